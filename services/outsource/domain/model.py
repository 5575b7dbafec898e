"""Outsourcing domain: vendors, projects (an explicit state machine), contracts with versioned
terms, acceptance and payments. Plain Python; persistence lives in adapters/."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from govkit.errors import FailedPrecondition, Validator

from . import credit_code as cc
from .kinds import KINDS

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")
PRIORITIES = ("critical", "high", "medium", "low")
# The ticket's pending reasons (docs/contracts/ticket-events.md) a contract may allow to stop its clock.
PAUSE_REASONS = ("requester", "vendor", "change")
# Waiting for the requester or for an approved change window stops the vendor's clock; waiting for
# the vendor itself never does unless the contract says so.
DEFAULT_ALLOWED_PAUSES = ("requester", "change")
# business: the business calendar of the ticket's SLA policy (what ticket measures with); 24x7: every second.
CLOCKS = ("business", "24x7")
FEE_CATEGORIES = ("hardware_om", "software_om", "consumables_tools", "system_management", "information_resources")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def new_id() -> str:
    return str(uuid.uuid4())


# ---- input helpers (every bad field reported at once through a Validator) ----------------------


def code(v: Validator, fld: str, value: str) -> str:
    value = (value or "").strip()
    if not _CODE.match(value):
        v.fail(fld, "must be 1–64 of a-z, 0-9, '_', '.', '-' starting with a letter or digit")
    return value


def money(v: Validator, fld: str, value, *, required: bool = True, positive: bool = False,
          allow_zero: bool = True) -> Decimal | None:
    """A yuan amount as a decimal string with at most two decimals (never a float)."""
    if value in (None, ""):
        if required:
            v.fail(fld, "is required (a decimal string, e.g. \"12345.60\")")
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        v.fail(fld, "must be a decimal number, e.g. \"12345.60\"")
        return None
    if not amount.is_finite():
        v.fail(fld, "must be a finite number")
        return None
    if amount != amount.quantize(CENT):
        v.fail(fld, "must have at most two decimals (fen)")
        return None
    if amount < 0:
        v.fail(fld, "must not be negative")
    elif positive and amount == 0:
        v.fail(fld, "must be greater than zero")
    elif amount > MAX_MONEY:
        v.fail(fld, f"must be at most {MAX_MONEY}")
    return amount.quantize(CENT)


def percent(v: Validator, fld: str, value, *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            v.fail(fld, "is required (a percentage, e.g. \"99.90\")")
        return None
    try:
        p = Decimal(str(value).strip())
    except InvalidOperation:
        v.fail(fld, "must be a decimal percentage")
        return None
    if not p.is_finite() or p < 0 or p > 100:
        v.fail(fld, "must be between 0 and 100")
        return None
    return p


# ---- vendors -----------------------------------------------------------------------------------


class VendorStatus(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BLACKLISTED = "blacklisted"


@dataclass
class Contact:
    name: str
    role: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class Vendor:
    id: str
    name: str
    credit_code: str
    org_unit_id: str  # the registering org unit
    status: VendorStatus = VendorStatus.ACTIVE
    status_reason: str = ""
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class Qualification:
    id: str
    vendor_id: str
    name: str
    number: str
    issuer: str
    expires_on: date

    def expired_on(self, day: date) -> bool:
        return self.expires_on < day

    def days_left(self, day: date) -> int:
        return (self.expires_on - day).days


def validate_vendor(v: Validator, vid: str, name: str, credit: str, contacts: list[Contact]):
    vid = code(v, "id", vid)
    name = v.text("name", name, max_len=200)
    credit = cc.normalise(credit)
    why = cc.problem(credit)
    if why:
        v.fail("credit_code", why)
    clean = []
    for i, c in enumerate(contacts or []):
        cname = v.text(f"contacts[{i}].name", c.name, max_len=64)
        email = (c.email or "").strip()
        if email and "@" not in email:
            v.fail(f"contacts[{i}].email", "is not an e-mail address")
        clean.append(Contact(cname, (c.role or "").strip(), (c.phone or "").strip(), email))
    return vid, name, credit, clean


def check_awardable(vendor: Vendor, qualifications: list[Qualification], on: date) -> None:
    """An award goes only to an active vendor whose qualifications are all in force on `on`."""
    if vendor.status is VendorStatus.BLACKLISTED:
        raise FailedPrecondition(f"vendor {vendor.id} is blacklisted: {vendor.status_reason}")
    if vendor.status is VendorStatus.SUSPENDED:
        raise FailedPrecondition(f"vendor {vendor.id} is suspended: {vendor.status_reason}")
    expired = [q for q in qualifications if q.expired_on(on)]
    if expired:
        names = ", ".join(f"{q.name} ({q.number}, expired {q.expires_on.isoformat()})" for q in expired)
        raise FailedPrecondition(f"vendor {vendor.id} has expired qualifications: {names}")


def expiring_thresholds(q: Qualification, today: date, thresholds: tuple[int, ...]) -> list[int]:
    """The warning thresholds (days) this qualification has reached and not passed expiry."""
    left = q.days_left(today)
    if left < 0:
        return []
    return sorted(t for t in thresholds if left <= t)


# ---- projects: the lifecycle state machine -----------------------------------------------------


class ProjectState(str, Enum):
    PROPOSAL = "proposal"
    PROCUREMENT = "procurement"
    CONTRACT = "contract"
    EXECUTION = "execution"
    ACCEPTANCE = "acceptance"
    CLOSURE = "closure"


# The only forward steps; there is no skipping and no going back.
NEXT_STATE = {
    ProjectState.PROPOSAL: ProjectState.PROCUREMENT,
    ProjectState.PROCUREMENT: ProjectState.CONTRACT,
    ProjectState.CONTRACT: ProjectState.EXECUTION,
    ProjectState.EXECUTION: ProjectState.ACCEPTANCE,
    ProjectState.ACCEPTANCE: ProjectState.CLOSURE,
}


class ProcurementMethod(str, Enum):
    PUBLIC_TENDER = "public_tender"
    INVITED_TENDER = "invited_tender"
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"
    COMPETITIVE_CONSULTATION = "competitive_consultation"
    SINGLE_SOURCE = "single_source"
    INQUIRY = "inquiry"


KIND_CODES = tuple(k.code for k in KINDS)


@dataclass
class Project:
    id: str
    name: str
    kind: str
    org_unit_id: str
    state: ProjectState = ProjectState.PROPOSAL
    catalogue_item_ids: list[str] = field(default_factory=list)
    asset_ids: list[str] = field(default_factory=list)
    budget_line_ref: str | None = None
    budget_year: int | None = None
    fee_category: str = ""  # O&M projects only (kind "om"); "" for planning and construction
    allow_overlap: bool = False
    procurement_method: str | None = None
    awarded_vendor_id: str | None = None
    award_amount: Decimal | None = None
    award_reason: str = ""
    contract_id: str | None = None

    def require(self, *states: ProjectState, step: str) -> None:
        if self.state not in states:
            wanted = " or ".join(s.value for s in states)
            raise FailedPrecondition(f"project {self.id} is in state '{self.state.value}'; {step} needs "
                                     f"state '{wanted}'")

    def advance(self, to: ProjectState, *, step: str) -> ProjectState:
        """Move one step forward; anything else is FAILED_PRECONDITION naming the current state."""
        if NEXT_STATE.get(self.state) is not to:
            expected = [s.value for s, n in NEXT_STATE.items() if n is to]
            raise FailedPrecondition(f"project {self.id} is in state '{self.state.value}'; {step} needs "
                                     f"state '{expected[0] if expected else '-'}'")
        before, self.state = self.state, to
        return before


@dataclass
class Bid:
    id: str
    project_id: str
    vendor_id: str
    amount: Decimal
    submitted_on: date


# ---- contracts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaTarget:
    priority: str
    response_minutes: int  # business minutes to first response
    resolution_minutes: int  # business minutes to resolution


@dataclass(frozen=True)
class SlaTerms:
    targets: tuple[SlaTarget, ...] = ()
    attainment_target_percent: Decimal = Decimal("95")  # share of tickets that must meet a target
    availability_percent: Decimal | None = None
    onsite_minutes: int | None = None  # on-site arrival time for critical faults
    clock: str = "business"  # one of CLOCKS: how the contract's minutes are counted
    allowed_pause_reasons: tuple[str, ...] = DEFAULT_ALLOWED_PAUSES  # pending reasons that stop the clock

    def target(self, priority: str) -> SlaTarget | None:
        return next((t for t in self.targets if t.priority == priority), None)


class PenaltyMetric(str, Enum):
    RESPONSE = "response"
    RESOLUTION = "resolution"
    AVAILABILITY = "availability"


@dataclass(frozen=True)
class PenaltyClause:
    id: str
    name: str
    metric: PenaltyMetric
    per_breach_amount: Decimal = Decimal("0.00")  # per ticket that missed the metric's target
    per_point_amount: Decimal = Decimal("0.00")  # per percentage point below the target percent
    cap: Decimal | None = None  # None: no cap; otherwise ≥ 0


@dataclass(frozen=True)
class Milestone:
    id: str
    name: str
    amount: Decimal
    acceptance: str  # the named acceptance (e.g. 初验, 终验) this payment requires
    deliverables: tuple[str, ...] = ()
    # Within the contract period; None on milestones signed before due dates existed.
    due_on: date | None = None


@dataclass(frozen=True)
class ContractVersion:
    version: int
    amount: Decimal
    starts_on: date
    ends_on: date
    sla: SlaTerms
    penalties: tuple[PenaltyClause, ...]
    effective_from: date
    reason: str


@dataclass
class Contract:
    id: str
    project_id: str
    vendor_id: str
    org_unit_id: str
    vendor_group_id: str | None
    signed_on: date
    deliverables: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    versions: list[ContractVersion]
    catalogue_item_ids: tuple[str, ...] = ()
    asset_ids: tuple[str, ...] = ()
    # What budget decided about the contract's commitment (see BUDGET_STATUSES); signed_by may
    # not approve it over budget (budget's separation of duties).
    budget_status: str = "pending"
    commitment_id: str | None = None
    budget_note: str = ""
    signed_by: str = ""
    budget_version: int = 1  # the contract version budget_status is about (budget applies amendments)

    def require_budget_cleared(self) -> None:
        """A contract whose commitment budget refused (over budget, no approval yet) takes no payment."""
        if self.budget_status == BLOCKED:
            raise FailedPrecondition(
                f"contract {self.id} is blocked: its over-budget commitment {self.commitment_id} has no over-budget "
                f"approval (超预算审批) yet — {self.budget_note or 'beyond the available budget'}; budget's "
                "ApproveOverBudget by someone other than the signer, with a reason, unblocks it")

    @property
    def current(self) -> ContractVersion:
        return max(self.versions, key=lambda v: v.version)

    def terms_for(self, period_start: date) -> ContractVersion:
        """The version in force on the first day of a report period: the highest version whose
        effective_from is on or before it (version 1 if the period starts before every amendment)."""
        in_force = [v for v in self.versions if v.effective_from <= period_start]
        return max(in_force, key=lambda v: v.version) if in_force else min(self.versions, key=lambda v: v.version)

    def milestone(self, milestone_id: str) -> Milestone | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)


# The budget status of a contract (a saga: outsource signs, budget decides, outsource learns).
# pending: signed, budget has not answered; committed: budget reserved the amount; blocked: budget
# refused it (over budget) — no payment until approved: an over-budget approval was recorded;
# not_om: a planning or construction contract, which reserves no O&M budget.
PENDING, COMMITTED, BLOCKED, APPROVED, NOT_OM = "pending", "committed", "blocked", "approved", "not_om"
BUDGET_STATUSES = (PENDING, COMMITTED, BLOCKED, APPROVED, NOT_OM)
_BUDGET_RANK = {PENDING: 0, COMMITTED: 1, BLOCKED: 1, APPROVED: 2, NOT_OM: 3}


def next_budget_status(current: str, learned: str, current_version: int = 1, version: int = 1) -> str | None:
    """The status after learning `learned` from budget about contract version `version`, or None to
    keep `current` (about `current_version`). Budget's events may arrive in any order or again:
    a decision about an older version changes nothing, one about a newer version (an amendment)
    replaces the current one whatever it is — a refused increase blocks even an approved or
    committed contract. For the same version an approval is final (a late refusal never re-blocks)."""
    if version < current_version or current == NOT_OM:
        return None
    if version > current_version:
        return learned
    if _BUDGET_RANK.get(learned, -1) <= _BUDGET_RANK.get(current, 0) and current != PENDING:
        return None
    return learned if learned != current else None


def check_fee_category(v: Validator, kind: str, fee_category: str) -> str:
    """Only O&M is O&M spending: an O&M project names one of budget's five fee categories; a
    planning or construction project names none."""
    fee_category = (fee_category or "").strip()
    if kind == "om":
        if fee_category not in FEE_CATEGORIES:
            v.fail("fee_category", f"an O&M project names its fee category: one of {', '.join(FEE_CATEGORIES)}")
    elif fee_category and kind in KIND_CODES:
        v.fail("fee_category", f"a {kind} project is not O&M spending and names no fee category")
    return fee_category


def validate_terms(v: Validator, prefix: str, raw: dict) -> SlaTerms:
    """raw: {targets: [{priority, response_minutes, resolution_minutes}], attainment_target_percent,
    availability_percent, onsite_minutes, clock, allowed_pauses: {reasons: [...]}}; no `allowed_pauses`:
    the default reasons; an empty list: no pause stops the clock."""
    targets, seen = [], set()
    for i, t in enumerate(raw.get("targets") or []):
        f = f"{prefix}.targets[{i}]"
        pr = t.get("priority", "")
        if pr not in PRIORITIES:
            v.fail(f"{f}.priority", f"must be one of {', '.join(PRIORITIES)}")
        elif pr in seen:
            v.fail(f"{f}.priority", f"{pr} is listed twice")
        seen.add(pr)
        resp, reso = int(t.get("response_minutes") or 0), int(t.get("resolution_minutes") or 0)
        if resp <= 0:
            v.fail(f"{f}.response_minutes", "must be greater than zero")
        if reso <= 0:
            v.fail(f"{f}.resolution_minutes", "must be greater than zero")
        elif resp > 0 and reso < resp:
            v.fail(f"{f}.resolution_minutes", "must not be shorter than the response target")
        targets.append(SlaTarget(pr, resp, reso))
    attain = percent(v, f"{prefix}.attainment_target_percent", raw.get("attainment_target_percent") or "95")
    avail = percent(v, f"{prefix}.availability_percent", raw.get("availability_percent"), required=False)
    onsite = raw.get("onsite_minutes")
    if onsite is not None and int(onsite) < 0:
        v.fail(f"{prefix}.onsite_minutes", "must not be negative")
    clock = (raw.get("clock") or "business").strip()
    if clock not in CLOCKS:
        v.fail(f"{prefix}.clock", f"must be one of {', '.join(CLOCKS)}")
    pauses = raw.get("allowed_pauses")
    reasons: tuple[str, ...] = DEFAULT_ALLOWED_PAUSES
    if pauses is not None:
        for i, r in enumerate(pauses.get("reasons") or ()):
            if r not in PAUSE_REASONS:
                v.fail(f"{prefix}.allowed_pauses.reasons[{i}]", f"must be one of {', '.join(PAUSE_REASONS)}")
        reasons = tuple(dict.fromkeys(r for r in pauses.get("reasons") or () if r in PAUSE_REASONS))
    return SlaTerms(tuple(targets), attain or Decimal("95"), avail, int(onsite) if onsite else None, clock, reasons)


def validate_penalties(v: Validator, prefix: str, raw: list[dict]) -> tuple[PenaltyClause, ...]:
    clauses, ids = [], set()
    for i, p in enumerate(raw or []):
        f = f"{prefix}[{i}]"
        cid = (p.get("id") or f"p{i + 1}").strip()
        if cid in ids:
            v.fail(f"{f}.id", f"{cid} is listed twice")
        ids.add(cid)
        try:
            metric = PenaltyMetric(p.get("metric", ""))
        except ValueError:
            v.fail(f"{f}.metric", "must be one of response, resolution, availability")
            metric = PenaltyMetric.RESPONSE
        per_breach = money(v, f"{f}.per_breach_amount", p.get("per_breach_amount") or "0")
        per_point = money(v, f"{f}.per_point_amount", p.get("per_point_amount") or "0")
        cap_raw = p.get("cap")
        cap = None
        if cap_raw not in (None, ""):
            try:
                if Decimal(str(cap_raw)) < 0:
                    v.fail(f"{f}.cap", "must be zero or more (a negative cap would pay the vendor)")
                else:
                    cap = money(v, f"{f}.cap", cap_raw)
            except InvalidOperation:
                v.fail(f"{f}.cap", "must be a decimal number")
        if not per_breach and not per_point:
            v.fail(f"{f}", "needs a per_breach_amount or a per_point_amount")
        clauses.append(PenaltyClause(cid, (p.get("name") or cid).strip(), metric, per_breach or Decimal("0.00"),
                                     per_point or Decimal("0.00"), cap))
    return tuple(clauses)


def periods_overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Inclusive date periods."""
    return a_start <= b_end and b_start <= a_end


# ---- acceptance and payment --------------------------------------------------------------------


class AcceptanceResult(str, Enum):
    PASS = "pass"
    CONDITIONAL_PASS = "conditional_pass"
    FAIL = "fail"


PAYABLE_RESULTS = (AcceptanceResult.PASS, AcceptanceResult.CONDITIONAL_PASS)


@dataclass(frozen=True)
class ChecklistItem:
    deliverable: str
    item: str
    passed: bool
    note: str = ""


@dataclass
class Acceptance:
    id: str
    contract_id: str
    milestone_id: str
    name: str
    result: AcceptanceResult
    reviewers: tuple[str, ...]
    checklist: tuple[ChecklistItem, ...]
    rectification_items: tuple[str, ...]
    accepted_on: date
    org_unit_id: str


def validate_acceptance(v: Validator, milestone: Milestone | None, contract: Contract, result: str,
                        reviewers: list[str], checklist: list[ChecklistItem], rectification: list[str]):
    try:
        res = AcceptanceResult(result)
    except ValueError:
        v.fail("result", "must be pass, conditional_pass or fail")
        res = AcceptanceResult.FAIL
    reviewers = [r.strip() for r in reviewers if r and r.strip()]
    if not reviewers:
        v.fail("reviewers", "at least one reviewer is required")
    if not checklist:
        v.fail("checklist", "at least one checklist item is required")
    deliverables = (milestone.deliverables if milestone and milestone.deliverables else contract.deliverables)
    covered = {c.deliverable for c in checklist}
    for i, c in enumerate(checklist):
        if c.deliverable not in contract.deliverables:
            v.fail(f"checklist[{i}].deliverable", f"{c.deliverable!r} is not a deliverable of the contract")
        if not c.item.strip():
            v.fail(f"checklist[{i}].item", "must not be empty")
    missing = [d for d in deliverables if d not in covered]
    if missing and checklist:
        v.fail("checklist", f"no checklist item for deliverable(s): {', '.join(missing)}")
    rectification = [r.strip() for r in rectification if r and r.strip()]
    if res is AcceptanceResult.CONDITIONAL_PASS and not rectification:
        v.fail("rectification_items", "a conditional pass needs at least one rectification item")
    if res is AcceptanceResult.PASS and any(not c.passed for c in checklist):
        v.fail("result", "pass needs every checklist item passed (use conditional_pass or fail)")
    if res is not AcceptanceResult.CONDITIONAL_PASS and rectification:
        v.fail("rectification_items", "only a conditional pass carries rectification items")
    return res, tuple(reviewers), tuple(rectification)


# Evidence: small files kept in PostgreSQL. Declared type must be one of these and the bytes must
# look like it (magic numbers where the format has one).
EVIDENCE_TYPES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "text/plain": None,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": b"PK\x03\x04",
}
MAX_EVIDENCE_BYTES = 2 * 1024 * 1024


def validate_evidence(v: Validator, filename: str, content_type: str, data: bytes) -> None:
    v.text("filename", filename, max_len=200)
    if content_type not in EVIDENCE_TYPES:
        v.fail("content_type", f"must be one of {', '.join(sorted(EVIDENCE_TYPES))}")
    elif EVIDENCE_TYPES[content_type] and not data.startswith(EVIDENCE_TYPES[content_type]):
        v.fail("data", f"content is not {content_type}")
    elif content_type == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            v.fail("data", "text/plain evidence must be UTF-8")
    if not data:
        v.fail("data", "must not be empty")
    elif len(data) > MAX_EVIDENCE_BYTES:
        v.fail("data", f"must be at most {MAX_EVIDENCE_BYTES} bytes (got {len(data)})")


@dataclass
class Payment:
    id: str
    contract_id: str
    milestone_id: str
    amount: Decimal
    paid_on: date
    budget_year: int
    org_unit_id: str


def check_payment(contract: Contract, milestone: Milestone, amount: Decimal, paid_total: Decimal,
                  paid_on_milestone: Decimal, acceptances: list[Acceptance]) -> None:
    if not any(a.milestone_id == milestone.id and a.result in PAYABLE_RESULTS for a in acceptances):
        raise FailedPrecondition(f"milestone {milestone.id} ({milestone.name}) needs acceptance "
                                 f"'{milestone.acceptance}' passed before payment")
    remaining = contract.current.amount - paid_total
    if amount > remaining:
        raise FailedPrecondition(f"payment {amount} exceeds the remaining contract amount {remaining} "
                                 f"(contract {contract.current.amount}, paid {paid_total})")
    if amount > milestone.amount - paid_on_milestone:
        raise FailedPrecondition(f"payment {amount} exceeds what is left of milestone {milestone.id}: "
                                 f"{milestone.amount - paid_on_milestone}")


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Complaint:
    id: str
    vendor_id: str
    org_unit_id: str
    contract_id: str | None
    description: str
    filed_on: date
    filed_by: str
    created_at: datetime | None = None
