"""Events the outsource service publishes (docs/contracts/outsource-events.md, docs/events.md).
Money and percentages are decimal strings; dates are ISO 8601 strings."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.events import Event


class OutsourceEvent(Event):
    source = "outsource"
    _subject = ""  # the payload field that is the envelope's subject

    def event_subject(self) -> str:
        return getattr(self, self._subject)

    def event_org_unit_id(self) -> str | None:
        # Vendor events belong to the registering unit, which is not a payload field: `in_org_unit`.
        return getattr(self, "_org_unit_id", None) or getattr(self, "org_unit_id", None)

    def in_org_unit(self, org_unit_id: str | None):
        object.__setattr__(self, "_org_unit_id", org_unit_id)
        return self


@dataclass(frozen=True)
class VendorRegistered(OutsourceEvent):
    vendor_id: str
    name: str
    credit_code: str
    status: str
    _subject = "vendor_id"


@dataclass(frozen=True)
class VendorBlacklisted(OutsourceEvent):
    vendor_id: str
    name: str
    reason: str
    _subject = "vendor_id"


@dataclass(frozen=True)
class QualificationExpiring(OutsourceEvent):
    vendor_id: str
    qualification_id: str
    name: str
    expires_on: str
    days_left: int
    _subject = "vendor_id"


@dataclass(frozen=True)
class ProjectCreated(OutsourceEvent):
    project_id: str
    name: str
    kind: str
    org_unit_id: str
    budget_line_ref: str | None
    _subject = "project_id"


@dataclass(frozen=True)
class ContractSigned(OutsourceEvent):
    contract_id: str
    project_id: str
    vendor_id: str
    org_unit_id: str
    amount: str
    starts_on: str
    ends_on: str
    vendor_group_id: str | None
    project_kind: str  # planning | construction | om
    fee_category: str  # the O&M fee category; "" unless project_kind is om
    budget_year: int  # the project's budget year, else the year of starts_on
    signed_by: str  # who signed (may not approve the commitment over budget)
    _subject = "contract_id"


@dataclass(frozen=True)
class ContractAmended(OutsourceEvent):
    # `version` (the contract's version) shadows the kit's Event.version class attribute (the event
    # type's version, 1): dataclasses take the inherited 1 as the field's default, so every later
    # field needs a default too. Construct it with all fields. Kit: rename Event.version.
    contract_id: str
    version: int  # type: ignore[misc]  # shadows Event.version, see above
    amount: str = ""
    ends_on: str = ""
    reason: str = ""
    _subject = "contract_id"


@dataclass(frozen=True)
class MilestoneAccepted(OutsourceEvent):
    contract_id: str
    milestone_id: str
    name: str
    result: str
    accepted_on: str
    _subject = "contract_id"


@dataclass(frozen=True)
class PaymentRecorded(OutsourceEvent):
    payment_id: str
    contract_id: str
    project_id: str
    vendor_id: str
    org_unit_id: str
    milestone_id: str
    amount: str
    paid_on: str
    budget_year: int
    budget_line_ref: str | None
    fee_category: str  # "" unless project_kind is om
    project_kind: str
    _subject = "payment_id"


@dataclass(frozen=True)
class VendorSlaReported(OutsourceEvent):
    report_id: str
    contract_id: str
    vendor_id: str
    period_start: str
    period_end: str
    tickets: int
    response_attainment_percent: str
    resolution_attainment_percent: str
    breaches: int
    penalty_total: str
    _subject = "report_id"


@dataclass(frozen=True)
class PenaltyAssessed(OutsourceEvent):
    report_id: str
    contract_id: str
    vendor_id: str
    clause_id: str
    amount: str
    ticket_ids: list
    _subject = "report_id"
