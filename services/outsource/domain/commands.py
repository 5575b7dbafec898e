"""Commands: what a caller asks the outsource service to do (imperative, never broadcast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .model import ChecklistItem, Contact


@dataclass(frozen=True)
class RegisterVendor:
    id: str
    name: str
    credit_code: str
    org_unit_id: str
    contacts: list[Contact] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateVendor:
    id: str
    name: str
    contacts: list[Contact] = field(default_factory=list)


@dataclass(frozen=True)
class SetVendorStatus:
    id: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class AddQualification:
    vendor_id: str
    name: str
    number: str
    issuer: str
    expires_on: date | None


@dataclass(frozen=True)
class CreateProject:
    name: str
    kind: str
    org_unit_id: str
    catalogue_item_ids: list[str] = field(default_factory=list)
    asset_ids: list[str] = field(default_factory=list)
    budget_line_ref: str = ""
    budget_year: int = 0
    fee_category: str = ""  # required for kind "om", empty for planning and construction
    allow_overlap: bool = False
    idempotency_key: str = ""


@dataclass(frozen=True)
class StartProcurement:
    project_id: str
    method: str


@dataclass(frozen=True)
class RecordBid:
    project_id: str
    vendor_id: str
    amount: str
    submitted_on: date | None = None


@dataclass(frozen=True)
class AwardProject:
    project_id: str
    vendor_id: str
    reason: str
    on: date | None = None


@dataclass(frozen=True)
class SignContract:
    project_id: str
    amount: str
    starts_on: date | None
    ends_on: date | None
    signed_on: date | None
    vendor_group_id: str = ""
    deliverables: list[str] = field(default_factory=list)
    # {id, name, amount, acceptance, deliverables, due_on: date | None}
    milestones: list[dict] = field(default_factory=list)
    sla: dict = field(default_factory=dict)
    penalties: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class AdvanceProject:
    project_id: str
    to_state: str  # execution | acceptance | closure
    note: str = ""


@dataclass(frozen=True)
class AmendContract:
    contract_id: str
    reason: str
    effective_from: date | None
    amount: str = ""
    ends_on: date | None = None
    sla: dict | None = None
    penalties: list[dict] | None = None


@dataclass(frozen=True)
class RecordAcceptance:
    contract_id: str
    milestone_id: str
    result: str
    reviewers: list[str]
    checklist: list[ChecklistItem]
    rectification_items: list[str] = field(default_factory=list)
    accepted_on: date | None = None


@dataclass(frozen=True)
class AddEvidence:
    acceptance_id: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RecordPayment:
    contract_id: str
    milestone_id: str
    amount: str
    paid_on: date | None
    idempotency_key: str = ""


@dataclass(frozen=True)
class GenerateSlaReport:
    contract_id: str
    period_start: date | None
    period_end: date | None
    availability_percent: str = ""


@dataclass(frozen=True)
class FileComplaint:
    vendor_id: str
    org_unit_id: str
    description: str
    contract_id: str = ""
    filed_on: date | None = None
