"""Outsource use cases: `handle(command, uow, caller)`. Each runs in one unit of work: the state
change and its events (outbox rows) commit together or not at all."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from govkit.auth import SYSTEM, Principal
from govkit.consumers import deliver
from govkit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Validator
from govkit.events import Envelope, jsonable
from govkit.idempotency import check_replay, fingerprint
from govkit.uow import transactional

from .domain import commands as c
from .domain import events as ev
from .domain import sla
from .domain.model import (
    KIND_CODES,
    NOT_OM,
    PENDING,
    Acceptance,
    Bid,
    Complaint,
    Contract,
    ContractVersion,
    Milestone,
    ProcurementMethod,
    Project,
    ProjectState,
    Qualification,
    Vendor,
    VendorStatus,
    check_awardable,
    check_fee_category,
    check_payment,
    code,
    expiring_thresholds,
    money,
    new_id,
    next_budget_status,
    percent,
    validate_acceptance,
    validate_evidence,
    validate_penalties,
    validate_terms,
    validate_vendor,
)
from .domain.ports import OutsourceUow, ProcurementUow

CST = timezone(timedelta(hours=8))  # report periods are calendar days in China Standard Time
WARNING_THRESHOLDS = (30, 7)
READ, MANAGE, ACCEPT, PAY = "outsource.read", "outsource.manage", "outsource.accept", "outsource.pay"
_REPORT_NS = uuid.UUID("5b0f1d1e-7c53-4c55-9a53-6f75747372c1")


def today() -> date:
    return datetime.now(CST).date()


def _in_scope(caller: Principal, unit: str) -> None:
    if not caller.scope.allows(unit):
        raise PermissionDenied(f"org unit {unit} is outside your scope")


def _vendor(uow: ProcurementUow, vid: str, *, lock: bool = False) -> Vendor:
    vendor = uow.vendors.get(vid, lock=lock)
    if vendor is None:
        raise NotFound(f"vendor {vid} not found")
    return vendor


def _project(uow: ProcurementUow, pid: str, caller: Principal, *, lock: bool = True) -> Project:
    project = uow.projects.get(pid, caller.scope, lock=lock)
    if project is None:
        raise NotFound(f"project {pid} not found")
    return project


def _contract(uow: OutsourceUow, cid: str, caller: Principal, *, lock: bool = False) -> Contract:
    contract = uow.contracts.get(cid, caller.scope, lock=lock)
    if contract is None:
        raise NotFound(f"contract {cid} not found")
    return contract


def _acceptance(uow: OutsourceUow, aid: str, caller: Principal) -> Acceptance:
    acceptance = uow.acceptances.get(aid, caller.scope)
    if acceptance is None:
        raise NotFound(f"acceptance {aid} not found")
    return acceptance


# ---- vendors -----------------------------------------------------------------------------------


@transactional
def register_vendor(cmd: c.RegisterVendor, uow: ProcurementUow, caller: Principal) -> Vendor:
    caller.require(MANAGE)
    v = Validator()
    vid, name, credit, contacts = validate_vendor(v, cmd.id, cmd.name, cmd.credit_code, cmd.contacts)
    unit = v.text("org_unit_id", cmd.org_unit_id)
    v.check()
    _in_scope(caller, unit)
    uow.orgdir.require_units([("org_unit_id", unit)])
    if uow.vendors.get(vid) is not None:
        raise AlreadyExists(f"vendor {vid} already exists")
    other = uow.vendors.by_credit_code(credit)
    if other is not None:
        raise AlreadyExists(f"credit code {credit} is already registered as vendor {other.id}")
    vendor = Vendor(vid, name, credit, unit, VendorStatus.ACTIVE, "", contacts)
    uow.vendors.add(vendor)
    uow.vendors.record(vid, "registered", None, vars(vendor), caller.subject)
    uow.collect(ev.VendorRegistered(vid, name, credit, vendor.status.value).in_org_unit(unit))
    return vendor


def ensure_vendor(cmd: c.RegisterVendor, uow: ProcurementUow, caller: Principal) -> Vendor:
    """Register unless registered already (the demo seed runs many times)."""
    with uow:
        existing = uow.vendors.get(cmd.id)
    return existing or register_vendor(cmd, uow, caller)


@transactional
def update_vendor(cmd: c.UpdateVendor, uow: ProcurementUow, caller: Principal) -> Vendor:
    caller.require(MANAGE)
    v = Validator()
    vendor = _vendor(uow, cmd.id, lock=True)
    _, name, _, contacts = validate_vendor(v, vendor.id, cmd.name, vendor.credit_code, cmd.contacts)
    v.check()
    _in_scope(caller, vendor.org_unit_id)
    before = vars(vendor).copy()
    vendor.name, vendor.contacts = name, contacts
    uow.vendors.update(vendor)
    uow.vendors.record(vendor.id, "updated", before, vars(vendor), caller.subject)
    return vendor


@transactional
def set_vendor_status(cmd: c.SetVendorStatus, uow: ProcurementUow, caller: Principal) -> Vendor:
    caller.require(MANAGE)
    v = Validator()
    try:
        status = VendorStatus(cmd.status)
    except ValueError:
        v.fail("status", "must be active, suspended or blacklisted")
        status = VendorStatus.ACTIVE
    reason = v.text("reason", cmd.reason, required=status is not VendorStatus.ACTIVE, max_len=500)
    v.check()
    vendor = _vendor(uow, cmd.id, lock=True)
    _in_scope(caller, vendor.org_unit_id)
    if vendor.status is status:
        raise FailedPrecondition(f"vendor {vendor.id} is already {status.value}")
    before = vars(vendor).copy()
    vendor.status, vendor.status_reason = status, reason
    uow.vendors.update(vendor)
    uow.vendors.record(vendor.id, f"status:{status.value}", before, vars(vendor), caller.subject)
    if status is VendorStatus.BLACKLISTED:
        uow.collect(ev.VendorBlacklisted(vendor.id, vendor.name, reason).in_org_unit(vendor.org_unit_id))
    return vendor


@transactional
def add_qualification(cmd: c.AddQualification, uow: ProcurementUow, caller: Principal) -> Qualification:
    caller.require(MANAGE)
    v = Validator()
    name = v.text("name", cmd.name, max_len=200)
    number = v.text("number", cmd.number, max_len=100)
    issuer = v.text("issuer", cmd.issuer, required=False, max_len=200)
    if cmd.expires_on is None:
        v.fail("expires_on", "is required (YYYY-MM-DD)")
    v.check()
    vendor = _vendor(uow, cmd.vendor_id, lock=True)
    _in_scope(caller, vendor.org_unit_id)
    if uow.vendors.find_qualification(vendor.id, name, number) is not None:
        raise AlreadyExists(f"vendor {vendor.id} already has qualification {name} {number}")
    q = Qualification(new_id(), vendor.id, name, number, issuer, cmd.expires_on)
    uow.vendors.add_qualification(q)
    uow.vendors.record(vendor.id, "qualification_added", None, vars(q), caller.subject)
    return q


def get_vendor(vid: str, uow: ProcurementUow, caller: Principal) -> tuple[Vendor, list[Qualification]]:
    with uow:
        vendor = _vendor(uow, vid)
        return vendor, uow.vendors.qualifications(vid)


def list_vendors(uow: ProcurementUow, caller: Principal, *, status: str = "") -> list[Vendor]:
    with uow:
        return uow.vendors.list(status=status or None)


def qualifications_of(vids: list[str], uow: ProcurementUow, caller: Principal) -> dict[str, list[Qualification]]:
    """The qualifications of a page of vendors, in one read (ListVendors shows their expiry)."""
    with uow:
        return uow.vendors.qualifications_of(vids)


def vendor_history(vid: str, uow: ProcurementUow, caller: Principal) -> list[dict]:
    with uow:
        _vendor(uow, vid)
        return uow.vendors.history(vid)


def check_qualifications(uow: ProcurementUow, on: date | None = None,
                         thresholds: tuple[int, ...] = WARNING_THRESHOLDS) -> list:
    """The daily check: `qualification_expiring` once per qualification and threshold. A
    qualification already inside several thresholds (5 days left, never warned) gets one event,
    for the tightest; the wider thresholds are marked as done with it."""
    on = on or today()
    published = []
    with uow:
        for q, unit in uow.vendors.expiring(on + timedelta(days=max(thresholds)), on):
            reached = expiring_thresholds(q, on, thresholds)
            fresh = [t for t in reached if uow.vendors.mark_warned(q.id, t, on)]
            if fresh and min(fresh) == min(reached):
                event = ev.QualificationExpiring(q.vendor_id, q.id, q.name, q.expires_on.isoformat(),
                                                 q.days_left(on)).in_org_unit(unit)
                uow.collect(event)
                published.append(event)
        uow.commit()
    return published


# ---- projects ----------------------------------------------------------------------------------


def create_project(cmd: c.CreateProject, uow: ProcurementUow, caller: Principal) -> tuple[Project, bool]:
    """Returns (project, replayed): a retry with the same idempotency key gets the first project."""
    caller.require(MANAGE)
    v = Validator()
    name = v.text("name", cmd.name, max_len=200)
    if cmd.kind not in KIND_CODES:
        v.fail("kind", f"must be one of {', '.join(KIND_CODES)}")
    unit = v.text("org_unit_id", cmd.org_unit_id)
    fee_category = check_fee_category(v, cmd.kind, cmd.fee_category)
    if cmd.budget_year and not 2000 <= cmd.budget_year <= 2100:
        v.fail("budget_year", "must be a year between 2000 and 2100")
    items = sorted({code(v, f"catalogue_item_ids[{i}]", x) for i, x in enumerate(cmd.catalogue_item_ids)})
    assets = sorted({v.text(f"asset_ids[{i}]", x, max_len=100) for i, x in enumerate(cmd.asset_ids)})
    v.check()
    _in_scope(caller, unit)
    request = fingerprint(cmd) if cmd.idempotency_key else None
    with uow:
        if cmd.idempotency_key:
            existing = uow.projects.by_key(cmd.idempotency_key)
            if existing is not None:
                check_replay(uow.projects.key_fingerprint(cmd.idempotency_key), request or "",
                             key=cmd.idempotency_key, what="project")
                return existing, True
        uow.orgdir.require_units([("org_unit_id", unit)])
        project = Project(new_id(), name, cmd.kind, unit, ProjectState.PROPOSAL, items, assets,
                          cmd.budget_line_ref.strip() or None, cmd.budget_year or None, fee_category,
                          cmd.allow_overlap)
        uow.projects.add(project, cmd.idempotency_key or None, request)
        uow.projects.record(project.id, None, project.state, "proposal", caller.subject)
        uow.collect(ev.ProjectCreated(project.id, name, cmd.kind, unit, project.budget_line_ref))
        uow.commit()
    return project, False


def get_project(pid: str, uow: ProcurementUow, caller: Principal) -> tuple[Project, list[Bid], list[dict]]:
    with uow:
        project = _project(uow, pid, caller, lock=False)
        return project, uow.projects.bids(pid), uow.projects.history(pid)


def list_projects(uow: ProcurementUow, caller: Principal, *, state: str = "", org_unit_id: str = "") -> list[Project]:
    with uow:
        return uow.projects.list(caller.scope, state=state or None, org_unit_id=org_unit_id or None)


@transactional
def start_procurement(cmd: c.StartProcurement, uow: ProcurementUow, caller: Principal) -> Project:
    caller.require(MANAGE)
    try:
        method = ProcurementMethod(cmd.method)
    except ValueError:
        raise InvalidArgument(field="method", reason="must be one of " + ", ".join(
            m.value for m in ProcurementMethod)) from None
    project = _project(uow, cmd.project_id, caller)
    before = project.advance(ProjectState.PROCUREMENT, step="starting procurement")
    project.procurement_method = method.value
    uow.projects.update(project)
    uow.projects.record(project.id, before, project.state, f"method {method.value}", caller.subject)
    return project


@transactional
def record_bid(cmd: c.RecordBid, uow: ProcurementUow, caller: Principal) -> Bid:
    caller.require(MANAGE)
    v = Validator()
    amount = money(v, "amount", cmd.amount, positive=True)
    v.check()
    project = _project(uow, cmd.project_id, caller)
    project.require(ProjectState.PROCUREMENT, step="recording a bid")
    if project.awarded_vendor_id:
        raise FailedPrecondition(f"project {project.id} is already awarded to {project.awarded_vendor_id}")
    vendor = _vendor(uow, cmd.vendor_id)
    if project.procurement_method == ProcurementMethod.SINGLE_SOURCE.value:
        others = [b for b in uow.projects.bids(project.id) if b.vendor_id != vendor.id]
        if others:
            raise FailedPrecondition(f"single-source procurement of project {project.id} already has a bid "
                                     f"from {others[0].vendor_id}")
    bid = Bid(new_id(), project.id, vendor.id, amount, cmd.submitted_on or today())
    uow.projects.add_bid(bid)
    uow.projects.record(project.id, project.state, project.state, f"bid {vendor.id} {amount}", caller.subject)
    return bid


@transactional
def award_project(cmd: c.AwardProject, uow: ProcurementUow, caller: Principal) -> Project:
    caller.require(MANAGE)
    v = Validator()
    reason = v.text("reason", cmd.reason, max_len=1000)
    v.check()
    project = _project(uow, cmd.project_id, caller)
    project.require(ProjectState.PROCUREMENT, step="the award decision")
    if project.awarded_vendor_id:
        raise FailedPrecondition(f"project {project.id} is already awarded to {project.awarded_vendor_id}")
    vendor = _vendor(uow, cmd.vendor_id)
    bid = next((b for b in uow.projects.bids(project.id) if b.vendor_id == vendor.id), None)
    if bid is None:
        raise FailedPrecondition(f"vendor {vendor.id} has no bid on project {project.id}")
    check_awardable(vendor, uow.vendors.qualifications(vendor.id), cmd.on or today())
    project.awarded_vendor_id, project.award_amount, project.award_reason = vendor.id, bid.amount, reason
    uow.projects.update(project)
    uow.projects.record(project.id, project.state, project.state, f"awarded to {vendor.id}: {reason}",
                        caller.subject)
    return project


def _milestones(v: Validator, raw: list[dict], deliverables: tuple[str, ...], amount: Decimal | None,
                starts_on: date | None, ends_on: date | None):
    out, ids = [], set()
    for i, m in enumerate(raw):
        f = f"milestones[{i}]"
        mid = (m.get("id") or f"m{i + 1}").strip()
        if mid in ids:
            v.fail(f"{f}.id", f"{mid} is listed twice")
        ids.add(mid)
        name = v.text(f"{f}.name", m.get("name", ""), max_len=200)
        acceptance = v.text(f"{f}.acceptance", m.get("acceptance", ""), max_len=100)
        mamount = money(v, f"{f}.amount", m.get("amount"), positive=True)
        mdel = tuple(m.get("deliverables") or ())
        for d in mdel:
            if d not in deliverables:
                v.fail(f"{f}.deliverables", f"{d!r} is not a deliverable of the contract")
        due_on = m.get("due_on")
        if due_on and starts_on and due_on < starts_on:
            v.fail(f"{f}.due_on", f"{due_on} is before the contract starts ({starts_on})")
        elif due_on and ends_on and due_on > ends_on:
            v.fail(f"{f}.due_on", f"{due_on} is after the contract ends ({ends_on})")
        out.append(Milestone(mid, name, mamount or Decimal("0.00"), acceptance, mdel, due_on))
    if amount is not None and sum((m.amount for m in out), Decimal(0)) > amount:
        v.fail("milestones", "milestone amounts add up to more than the contract amount")
    return tuple(out)


def _check_overlap(uow: OutsourceUow, contract_id: str | None, project: Project, starts_on: date,
                   ends_on: date) -> None:
    if project.allow_overlap:
        return
    clash = uow.contracts.overlapping(exclude_id=contract_id, org_unit_id=project.org_unit_id,
                                      catalogue_item_ids=project.catalogue_item_ids, asset_ids=project.asset_ids,
                                      starts_on=starts_on, ends_on=ends_on)
    if clash:
        first = clash[0]
        raise FailedPrecondition(
            f"contract period {starts_on}–{ends_on} overlaps contract {first['id']} ({first['starts_on']}–"
            f"{first['ends_on']}) for the same scope; the project does not allow overlapping contracts")


@transactional
def sign_contract(cmd: c.SignContract, uow: OutsourceUow, caller: Principal) -> Contract:
    caller.require(MANAGE)
    v = Validator()
    amount = money(v, "amount", cmd.amount, positive=True)
    if cmd.starts_on is None:
        v.fail("starts_on", "is required (YYYY-MM-DD)")
    if cmd.ends_on is None:
        v.fail("ends_on", "is required (YYYY-MM-DD)")
    elif cmd.starts_on and cmd.ends_on < cmd.starts_on:
        v.fail("ends_on", "must not be before starts_on")
    deliverables = tuple(dict.fromkeys(d.strip() for d in cmd.deliverables if d.strip()))
    if not deliverables:
        v.fail("deliverables", "at least one deliverable is required")
    milestones = _milestones(v, cmd.milestones, deliverables, amount, cmd.starts_on, cmd.ends_on)
    if not milestones:
        v.fail("milestones", "at least one payment milestone is required")
    terms = validate_terms(v, "sla", cmd.sla or {})
    penalties = validate_penalties(v, "penalties", cmd.penalties)
    group = cmd.vendor_group_id.strip() or None
    v.check()
    project = _project(uow, cmd.project_id, caller)
    project.require(ProjectState.PROCUREMENT, step="signing the contract")
    if not project.awarded_vendor_id:
        raise FailedPrecondition(f"project {project.id} has no award decision yet")
    vendor = _vendor(uow, project.awarded_vendor_id)
    signed_on = cmd.signed_on or today()
    check_awardable(vendor, uow.vendors.qualifications(vendor.id), signed_on)
    _check_overlap(uow, None, project, cmd.starts_on, cmd.ends_on)
    version = ContractVersion(1, amount, cmd.starts_on, cmd.ends_on, terms, penalties, cmd.starts_on, "signed")
    contract = Contract(new_id(), project.id, vendor.id, project.org_unit_id, group, signed_on, deliverables,
                        milestones, [version], tuple(project.catalogue_item_ids), tuple(project.asset_ids),
                        budget_status=PENDING if project.kind == "om" else NOT_OM, signed_by=caller.subject)
    uow.contracts.add(contract, caller.subject)
    before = project.advance(ProjectState.CONTRACT, step="signing the contract")
    project.contract_id = contract.id
    uow.projects.update(project)
    uow.projects.record(project.id, before, project.state, f"contract {contract.id} signed", caller.subject)
    uow.collect(ev.ContractSigned(contract.id, project.id, vendor.id, project.org_unit_id, str(amount),
                                  cmd.starts_on.isoformat(), cmd.ends_on.isoformat(), group, project.kind,
                                  project.fee_category if project.kind == "om" else "",
                                  project.budget_year or cmd.starts_on.year, caller.subject))
    return contract


_STEP_PERMISSION = {ProjectState.EXECUTION: MANAGE, ProjectState.ACCEPTANCE: ACCEPT, ProjectState.CLOSURE: MANAGE}


@transactional
def advance_project(cmd: c.AdvanceProject, uow: OutsourceUow, caller: Principal) -> Project:
    """contract → execution (manage), execution → acceptance (accept), acceptance → closure (manage;
    needs every milestone accepted with pass or conditional pass)."""
    try:
        to = ProjectState(cmd.to_state)
    except ValueError:
        to = None
    if to not in _STEP_PERMISSION:
        raise InvalidArgument(field="to_state", reason="must be execution, acceptance or closure")
    caller.require(_STEP_PERMISSION[to])
    project = _project(uow, cmd.project_id, caller)
    if to is ProjectState.CLOSURE and project.state is ProjectState.ACCEPTANCE:
        contract = _contract(uow, project.contract_id, caller)
        accepted = {a.milestone_id for a in uow.acceptances.of_contract(contract.id)
                    if a.result.value in ("pass", "conditional_pass")}
        missing = [m.id for m in contract.milestones if m.id not in accepted]
        if missing:
            raise FailedPrecondition(f"project {project.id} cannot close: milestone(s) {', '.join(missing)} "
                                     f"not accepted")
    before = project.advance(to, step=f"moving to {to.value}")
    uow.projects.update(project)
    uow.projects.record(project.id, before, project.state, cmd.note, caller.subject)
    return project


# ---- contracts ---------------------------------------------------------------------------------


def get_contract(cid: str, uow: OutsourceUow, caller: Principal) -> tuple[Contract, list[dict], list[Acceptance]]:
    with uow:
        contract = _contract(uow, cid, caller)
        return contract, uow.payments.of_contract(cid), uow.acceptances.of_contract(cid)


@transactional
def amend_contract(cmd: c.AmendContract, uow: OutsourceUow, caller: Principal) -> Contract:
    caller.require(MANAGE)
    v = Validator()
    reason = v.text("reason", cmd.reason, max_len=1000)
    amount = money(v, "amount", cmd.amount, required=False, positive=True)
    terms = validate_terms(v, "sla", cmd.sla) if cmd.sla is not None else None
    penalties = validate_penalties(v, "penalties", cmd.penalties) if cmd.penalties is not None else None
    if cmd.effective_from is None:
        v.fail("effective_from", "is required (YYYY-MM-DD)")
    v.check()
    contract = _contract(uow, cmd.contract_id, caller, lock=True)
    project = _project(uow, contract.project_id, caller)
    project.require(ProjectState.CONTRACT, ProjectState.EXECUTION, ProjectState.ACCEPTANCE, step="an amendment")
    cur = contract.current
    ends_on = cmd.ends_on or cur.ends_on
    if ends_on < cur.starts_on:
        raise InvalidArgument(field="ends_on", reason="must not be before the contract's start")
    # Milestones are not amended, so a shorter period must still hold every due date.
    late = [m for m in contract.milestones if m.due_on and m.due_on > ends_on]
    if late:
        raise InvalidArgument(field="ends_on", reason=f"milestone {late[0].id} is due on {late[0].due_on}, after "
                                                      f"{ends_on}; the period must cover every milestone's due date")
    if not cur.starts_on <= cmd.effective_from <= ends_on:
        raise InvalidArgument(field="effective_from", reason="must fall within the contract period")
    paid = sum((p["amount"] for p in uow.payments.of_contract(contract.id)), Decimal("0.00"))
    new_amount = amount or cur.amount
    if new_amount < paid:
        raise FailedPrecondition(f"amount {new_amount} is below what is already paid ({paid})")
    if sum((m.amount for m in contract.milestones), Decimal(0)) > new_amount:
        raise FailedPrecondition("milestone amounts would exceed the amended contract amount")
    if ends_on > cur.ends_on:
        _check_overlap(uow, contract.id, project, cur.starts_on, ends_on)
    version = ContractVersion(cur.version + 1, new_amount, cur.starts_on, ends_on, terms or cur.sla,
                              penalties if penalties is not None else cur.penalties, cmd.effective_from, reason)
    uow.contracts.add_version(contract.id, version, caller.subject)
    contract.versions.append(version)
    uow.collect(ev.ContractAmended(contract.id, version.version, str(new_amount), ends_on.isoformat(), reason)
                .in_org_unit(contract.org_unit_id))
    return contract


# ---- acceptance and payment --------------------------------------------------------------------


@transactional
def record_acceptance(cmd: c.RecordAcceptance, uow: OutsourceUow, caller: Principal) -> Acceptance:
    caller.require(ACCEPT)
    contract = _contract(uow, cmd.contract_id, caller)
    milestone = contract.milestone(cmd.milestone_id)
    if milestone is None:
        raise NotFound(f"milestone {cmd.milestone_id} not found in contract {contract.id}")
    v = Validator()
    result, reviewers, rectification = validate_acceptance(v, milestone, contract, cmd.result, cmd.reviewers,
                                                           cmd.checklist, cmd.rectification_items)
    v.check()
    project = _project(uow, contract.project_id, caller)
    project.require(ProjectState.EXECUTION, ProjectState.ACCEPTANCE, step="an acceptance")
    acceptance = Acceptance(new_id(), contract.id, milestone.id, milestone.acceptance, result, reviewers,
                            tuple(cmd.checklist), rectification, cmd.accepted_on or today(), contract.org_unit_id)
    uow.acceptances.add(acceptance, caller.subject)
    uow.collect(ev.MilestoneAccepted(contract.id, milestone.id, milestone.acceptance, result.value,
                                     acceptance.accepted_on.isoformat()).in_org_unit(contract.org_unit_id))
    return acceptance


@transactional
def add_evidence(cmd: c.AddEvidence, uow: OutsourceUow, caller: Principal) -> dict:
    caller.require(ACCEPT)
    v = Validator()
    validate_evidence(v, cmd.filename, cmd.content_type, cmd.data)
    v.check()
    acceptance = _acceptance(uow, cmd.acceptance_id, caller)
    row = {"id": new_id(), "acceptance_id": acceptance.id, "filename": cmd.filename.strip(),
           "content_type": cmd.content_type, "size": len(cmd.data),
           "sha256": hashlib.sha256(cmd.data).hexdigest(), "data": cmd.data}
    uow.acceptances.add_evidence(row)
    return {k: x for k, x in row.items() if k != "data"}


def get_acceptance(aid: str, uow: OutsourceUow, caller: Principal) -> tuple[Acceptance, list[dict]]:
    with uow:
        acceptance = _acceptance(uow, aid, caller)
        return acceptance, uow.acceptances.evidence(aid)


def get_evidence(aid: str, eid: str, uow: OutsourceUow, caller: Principal) -> dict:
    """One evidence file with its `data`. Scope comes from the acceptance, so a file is found only
    through an acceptance the caller may read."""
    v = Validator()
    aid = v.text("acceptance_id", aid)
    eid = v.text("evidence_id", eid)
    v.check()
    with uow:
        acceptance = _acceptance(uow, aid, caller)
        row = uow.acceptances.evidence_file(acceptance.id, eid)
        if row is None:
            raise NotFound(f"evidence {eid} not found in acceptance {acceptance.id}")
        return row


def record_payment(cmd: c.RecordPayment, uow: OutsourceUow, caller: Principal) -> tuple[dict, bool]:
    """Returns (payment, replayed). The contract row is locked, so two concurrent payments cannot
    both fit into the same remaining amount."""
    caller.require(PAY)
    v = Validator()
    amount = money(v, "amount", cmd.amount, positive=True)
    if cmd.paid_on is None:
        v.fail("paid_on", "is required (YYYY-MM-DD)")
    v.check()
    request = fingerprint(cmd) if cmd.idempotency_key else None
    with uow:
        if cmd.idempotency_key:
            existing = uow.payments.by_key(cmd.idempotency_key)
            if existing is not None:
                _contract(uow, existing["contract_id"], caller)
                check_replay(existing.get("request_fingerprint"), request or "", key=cmd.idempotency_key,
                             what="payment")
                return existing, True
        contract = _contract(uow, cmd.contract_id, caller, lock=True)
        project = _project(uow, contract.project_id, caller)
        project.require(ProjectState.EXECUTION, ProjectState.ACCEPTANCE, ProjectState.CLOSURE, step="a payment")
        milestone = contract.milestone(cmd.milestone_id)
        if milestone is None:
            raise NotFound(f"milestone {cmd.milestone_id} not found in contract {contract.id}")
        contract.require_budget_cleared()
        paid = uow.payments.of_contract(contract.id)
        total = sum((p["amount"] for p in paid), Decimal("0.00"))
        on_milestone = sum((p["amount"] for p in paid if p["milestone_id"] == milestone.id), Decimal("0.00"))
        check_payment(contract, milestone, amount, total, on_milestone, uow.acceptances.of_contract(contract.id))
        year = project.budget_year or cmd.paid_on.year
        row: dict[str, Any] = {"id": new_id(), "contract_id": contract.id, "milestone_id": milestone.id,
               "amount": amount,
               "paid_on": cmd.paid_on, "budget_year": year, "org_unit_id": contract.org_unit_id,
               "idempotency_key": cmd.idempotency_key or None, "request_fingerprint": request,
               "actor": caller.subject}
        uow.payments.add(row)
        uow.collect(ev.PaymentRecorded(row["id"], contract.id, project.id, contract.vendor_id, contract.org_unit_id,
                                       milestone.id, str(amount), cmd.paid_on.isoformat(), year,
                                       project.budget_line_ref, project.fee_category if project.kind == "om" else "",
                                       project.kind))
        uow.commit()
    return row, False


# ---- budget's decision on a contract's commitment (the saga's return leg) ----------------------

_LEARNED = {"commitment_recorded": "committed", "commitment_refused": "blocked", "commitment_approved": "approved"}


def apply_commitment_event(env: Envelope, uow: OutsourceUow) -> str:
    """budget's commitment_recorded / commitment_refused / commitment_approved → the contract's
    budget status (committed / blocked / approved), inside the consumer's transaction. Order- and
    replay-safe (`next_budget_status`): per contract version an approval is final; a decision about
    a newer version (`contract_version`: an amendment) replaces it. Returns the new status,
    "ignored" (nothing changes) or "unknown_contract"."""
    d = env.data
    learned = _LEARNED[env.type.split(".")[2]]
    contract = uow.contracts.get(str(d.get("contract_id") or ""), SYSTEM.scope, lock=True)
    if contract is None:
        return "unknown_contract"
    try:
        version = int(d.get("contract_version") or 1)  # absent in events from before amendments: the signing
    except (TypeError, ValueError):
        version = 1
    status = next_budget_status(contract.budget_status, learned, contract.budget_version, version)
    if status is None:
        return "ignored"
    note = str(d.get("reason") or "")
    if learned == "approved":
        note = f"over-budget approval by {d.get('approved_by', '')}: {note}"
    uow.contracts.set_budget_status(contract.id, status, str(d.get("commitment_id") or "") or None, note[:1000],
                                    version)
    return status


def _on_commitment(env: Envelope, uow: OutsourceUow) -> str:
    # the inbox name is the worker's (`outsource.on_<event>`): the demo's delivery and the worker's dedupe together
    dl = deliver(uow, f"outsource.on_{env.type.split('.')[2]}", env, apply_commitment_event)
    return dl.result if dl.new else "duplicate"


on_commitment_recorded = on_commitment_refused = on_commitment_approved = _on_commitment


# ---- ticket facts and vendor SLA reports -------------------------------------------------------


def apply_ticket_event(env: Envelope, uow: OutsourceUow) -> None:
    """One ticket event → the ticket's fact row (order-independent merge), inside the consumer's
    transaction (govkit.consumers dedupes it through the inbox)."""
    uow.facts.apply(env.name, env.id, env.time, env.data)


def record_ticket_event(uow: OutsourceUow, consumer: str, payload: dict) -> bool:
    """`apply_ticket_event` exactly once for `consumer`, outside a worker (demo seed, tests)."""
    return deliver(uow, consumer, Envelope.from_dict(payload), apply_ticket_event).new


def report_id(contract_id: str, start: date, end: date) -> str:
    return str(uuid.uuid5(_REPORT_NS, f"{contract_id}/{start.isoformat()}/{end.isoformat()}"))


def _report_body(r: sla.Report) -> dict:
    return jsonable({
        "contract_version": r.version,
        "by_priority": [vars(s) for s in r.by_priority],
        "penalties": [vars(p) for p in r.penalties],
    })


@transactional
def generate_sla_report(cmd: c.GenerateSlaReport, uow: OutsourceUow, caller: Principal) -> dict:
    """Compute the vendor's SLA report for a period (inclusive dates, CST days): the tickets created
    in it that the vendor's engineers held, on the vendor's clock against the contract terms in force
    on the period's first day (domain/sla.py). Publishes `vendor_sla_reported` and one
    `penalty_assessed` per clause with a non-zero amount (or one that was non-zero before) — only when
    the figures changed, so
    generating the same report again publishes nothing new."""
    caller.require(MANAGE)
    v = Validator()
    if cmd.period_start is None:
        v.fail("period_start", "is required (YYYY-MM-DD)")
    if cmd.period_end is None:
        v.fail("period_end", "is required (YYYY-MM-DD)")
    elif cmd.period_start and cmd.period_end < cmd.period_start:
        v.fail("period_end", "must not be before period_start")
    elif cmd.period_start and (cmd.period_end - cmd.period_start).days > 366:
        v.fail("period_end", "a report period is at most a year")
    availability = percent(v, "availability_percent", cmd.availability_percent, required=False)
    v.check()
    contract = _contract(uow, cmd.contract_id, caller)
    version = contract.terms_for(cmd.period_start)
    start = datetime.combine(cmd.period_start, time.min, CST)
    end = datetime.combine(cmd.period_end + timedelta(days=1), time.min, CST)
    measured = uow.facts.measure(version, contract.vendor_id, start, end)
    result = sla.report(measured, version, availability)
    rid = report_id(contract.id, cmd.period_start, cmd.period_end)
    row = {"id": rid, "contract_id": contract.id, "vendor_id": contract.vendor_id, "org_unit_id": contract.org_unit_id,
           "period_start": cmd.period_start, "period_end": cmd.period_end, "contract_version": version.version,
           "tickets": result.tickets, "response_attainment_percent": result.response_attainment_percent,
           "resolution_attainment_percent": result.resolution_attainment_percent,
           "availability_percent": availability, "breaches": result.breaches,
           "penalty_total": result.penalty_total, "body": _report_body(result)}
    previous = uow.reports.get_for(contract.id, cmd.period_start, cmd.period_end)
    if previous is None or _figures(previous) != _figures(row):
        uow.reports.save(row)
        uow.collect(ev.VendorSlaReported(rid, contract.id, contract.vendor_id, cmd.period_start.isoformat(),
                                         cmd.period_end.isoformat(), result.tickets,
                                         str(result.response_attainment_percent),
                                         str(result.resolution_attainment_percent), result.breaches,
                                         str(result.penalty_total)).in_org_unit(contract.org_unit_id))
        before = {p["clause_id"]: Decimal(p["amount"]) for p in (previous or {}).get("body", {}).get("penalties", [])}
        for line in result.penalties:
            # a clause that drops to zero on regeneration is published too, so consumers (keyed by
            # report_id and clause_id) do not keep a stale amount
            if line.amount > 0 or before.get(line.clause_id, Decimal(0)) > 0:
                uow.collect(ev.PenaltyAssessed(rid, contract.id, contract.vendor_id, line.clause_id,
                                               str(line.amount), list(line.ticket_ids))
                            .in_org_unit(contract.org_unit_id))
    return row


def _figures(row: dict) -> tuple:
    keys = ("contract_version", "tickets", "response_attainment_percent", "resolution_attainment_percent",
            "availability_percent", "breaches", "penalty_total", "body")
    # numeric scale differs between a computed Decimal and the column (99.95 vs 99.9500): compare values
    return tuple(row[k].normalize() if isinstance(row[k], Decimal) else jsonable(row[k]) for k in keys)


def get_sla_report(rid: str, uow: OutsourceUow, caller: Principal) -> dict:
    with uow:
        row = uow.reports.get(rid, caller.scope)
        if row is None:
            raise NotFound(f"SLA report {rid} not found")
        return row


# ---- complaints and scorecards -----------------------------------------------------------------


@transactional
def file_complaint(cmd: c.FileComplaint, uow: OutsourceUow, caller: Principal) -> Complaint:
    caller.require(MANAGE)
    v = Validator()
    description = v.text("description", cmd.description, max_len=2000)
    unit = v.text("org_unit_id", cmd.org_unit_id)
    v.check()
    _in_scope(caller, unit)
    uow.orgdir.require_units([("org_unit_id", unit)])
    vendor = _vendor(uow, cmd.vendor_id)
    if cmd.contract_id:
        contract = _contract(uow, cmd.contract_id, caller)
        if contract.vendor_id != vendor.id:
            raise InvalidArgument(field="contract_id", reason=f"is not a contract of vendor {vendor.id}")
    complaint = Complaint(new_id(), vendor.id, unit, cmd.contract_id or None, description, cmd.filed_on or today(),
                          caller.subject)
    uow.complaints.add(complaint)
    return complaint


def vendor_scorecard(vendor_id: str, start: date | None, end: date | None, uow: OutsourceUow,
                     caller: Principal) -> dict:
    """Per vendor per period, over what the caller may see: SLA attainment pooled over the
    reports inside the period (met / measured of every report), penalties, acceptance results,
    complaints."""
    v = Validator()
    if start is None:
        v.fail("period_start", "is required (YYYY-MM-DD)")
    if end is None:
        v.fail("period_end", "is required (YYYY-MM-DD)")
    elif start and end < start:
        v.fail("period_end", "must not be before period_start")
    v.check()
    with uow:
        vendor = _vendor(uow, vendor_id)
        reports = uow.reports.of_vendor(vendor.id, start, end, caller.scope)
        acceptances = uow.acceptances.of_vendor(vendor.id, start, end, caller.scope)
        complaints = uow.complaints.of_vendor(vendor.id, start, end, caller.scope)
    stats = [s for r in reports for s in r["body"]["by_priority"]]
    resp = sla.attainment(sum(s["response_met"] for s in stats), sum(s["response_measured"] for s in stats))
    reso = sla.attainment(sum(s["resolution_met"] for s in stats), sum(s["resolution_measured"] for s in stats))
    results = {"pass": 0, "conditional_pass": 0, "fail": 0}
    for a in acceptances:
        results[a.result.value] += 1
    return {
        "vendor_id": vendor.id, "vendor_name": vendor.name, "status": vendor.status.value,
        "period_start": start, "period_end": end,
        "reports": [r["id"] for r in reports], "tickets": sum(r["tickets"] for r in reports),
        "response_attainment_percent": resp, "resolution_attainment_percent": reso,
        "breaches": sum(r["breaches"] for r in reports),
        "penalty_total": sum((r["penalty_total"] for r in reports), Decimal("0.00")),
        "acceptances": results, "complaints": len(complaints),
        "complaint_ids": [x.id for x in complaints],
    }
