"""Events budget consumes whose producer does not define them yet: the payload contract.

`outsource.payment_recorded` — the outsource service will publish one per payment to a vendor;
budget records it as actual spending against the approved budget of the department and year.
Until outsource defines this class itself (it should then own it, with these fields), it lives
here so the catalogue test checks docs/events.md against it."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.events import Event


@dataclass(frozen=True)
class PaymentRecorded(Event):
    source = "outsource"  # type: ignore[misc]

    payment_id: str        # stable id; budget dedupes on it (and on the envelope id)
    contract_id: str
    vendor_id: str
    department: str        # org unit whose budget pays
    fee_category: str      # one of the five O&M fee categories
    fee_item: str          # fee item code, "" if unknown
    budget_year: int       # budget year; 0 = the year of paid_at
    amount: str            # decimal yuan, e.g. "12500.00"
    paid_at: str           # ISO 8601
    description: str

    def event_subject(self) -> str:
        return self.payment_id

    def event_dept(self) -> str | None:
        return self.department
