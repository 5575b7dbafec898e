"""Vendors as evaluated objects: the SLA results outsource reports for each contract and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from govkit.events import Envelope


@dataclass(frozen=True)
class VendorResult:
    report_id: str
    contract_id: str
    vendor_id: str
    org_unit_id: str
    period_start: date
    period_end: date
    tickets: int
    response_attainment_pct: Decimal
    resolution_attainment_pct: Decimal
    breaches: int
    penalty_total: Decimal
    reported_at: datetime


def from_event(env: Envelope) -> VendorResult:
    """outsource.vendor_sla_reported → a result; the envelope's org unit is the contract's owning unit."""
    d = env.data
    return VendorResult(
        report_id=d["report_id"], contract_id=d["contract_id"], vendor_id=d["vendor_id"],
        org_unit_id=env.org_unit_id or "", period_start=date.fromisoformat(d["period_start"]),
        period_end=date.fromisoformat(d["period_end"]), tickets=int(d["tickets"]),
        response_attainment_pct=Decimal(d["response_attainment_percent"]),
        resolution_attainment_pct=Decimal(d["resolution_attainment_percent"]),
        breaches=int(d["breaches"]), penalty_total=Decimal(d["penalty_total"]),
        reported_at=datetime.fromisoformat(env.time),
    )
