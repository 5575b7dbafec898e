"""Repositories and the unit of work of the outsource service.

Projects, contracts, acceptances, payments, complaints and SLA reports belong to an owning org
unit: every read of them takes the caller's `Scope` and filters by it in SQL, so a row of another
department is simply not found. The vendor register is shared by all units (any caller with
`outsource.read` sees it); changes to a vendor need the registering unit in scope (handlers)."""

from __future__ import annotations

import builtins
import dataclasses
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from govkit.auth import Scope
from govkit.events import jsonable
from govkit.orgdir import OrgDirectory
from govkit.uow import SqlUnitOfWork

from ..domain.model import (
    DEFAULT_ALLOWED_PAUSES,
    Acceptance,
    AcceptanceResult,
    Bid,
    ChecklistItem,
    Complaint,
    Contact,
    Contract,
    ContractVersion,
    Milestone,
    PenaltyClause,
    PenaltyMetric,
    Project,
    ProjectState,
    Qualification,
    SlaTarget,
    SlaTerms,
    Vendor,
    VendorStatus,
)
from ..domain.ports import OutsourceUow
from . import tables as t
from .facts import TicketFacts


def _plain(value):
    """History snapshots: dataclasses (contacts, …) into dicts, then JSON-safe."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return jsonable(value)


def _scoped(q, column, scope: Scope | None):
    if scope is None or scope.is_global:
        return q
    return q.where(column.in_(sorted(scope.units or ())))


class Vendors:
    def __init__(self, conn):
        self.conn = conn

    def add(self, v: Vendor) -> None:
        self.conn.execute(t.vendors.insert().values(**_vendor_row(v)))

    def update(self, v: Vendor) -> None:
        row = _vendor_row(v)
        self.conn.execute(t.vendors.update().where(t.vendors.c.id == v.id).values(
            **{k: x for k, x in row.items() if k != "id"}))

    def get(self, vid: str, *, lock: bool = False) -> Vendor | None:
        q = sa.select(t.vendors).where(t.vendors.c.id == vid)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return _vendor(row) if row else None

    def by_credit_code(self, credit: str) -> Vendor | None:
        row = self.conn.execute(sa.select(t.vendors).where(t.vendors.c.credit_code == credit)).first()
        return _vendor(row) if row else None

    def list(self, *, status: str | None = None) -> list[Vendor]:
        q = sa.select(t.vendors).order_by(t.vendors.c.id)
        if status:
            q = q.where(t.vendors.c.status == status)
        return [_vendor(r) for r in self.conn.execute(q)]

    def record(self, vid: str, action: str, before, after, actor: str) -> None:
        self.conn.execute(t.vendor_history.insert().values(vendor_id=vid, action=action, before=_plain(before),
                                                           after=_plain(after), actor=actor))

    def history(self, vid: str) -> builtins.list[dict]:
        q = sa.select(t.vendor_history).where(t.vendor_history.c.vendor_id == vid).order_by(t.vendor_history.c.seq)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def add_qualification(self, q: Qualification) -> bool:
        stmt = pg_insert(t.qualifications).values(**vars(q)).on_conflict_do_nothing()
        return self.conn.execute(stmt).rowcount == 1

    def find_qualification(self, vid: str, name: str, number: str) -> Qualification | None:
        row = self.conn.execute(sa.select(t.qualifications).where(
            t.qualifications.c.vendor_id == vid, t.qualifications.c.name == name,
            t.qualifications.c.number == number)).first()
        return Qualification(**row._mapping) if row else None

    def qualifications(self, vid: str) -> builtins.list[Qualification]:
        q = sa.select(t.qualifications).where(t.qualifications.c.vendor_id == vid).order_by(
            t.qualifications.c.expires_on, t.qualifications.c.id)
        return [Qualification(**r._mapping) for r in self.conn.execute(q)]

    def qualifications_of(self, vids: builtins.list[str]) -> dict[str, builtins.list[Qualification]]:
        out: dict[str, builtins.list[Qualification]] = {v: [] for v in vids}
        if not vids:
            return out
        q = sa.select(t.qualifications).where(t.qualifications.c.vendor_id.in_(vids)).order_by(
            t.qualifications.c.expires_on, t.qualifications.c.id)
        for r in self.conn.execute(q):
            out[r.vendor_id].append(Qualification(**r._mapping))
        return out

    def expiring(self, until: date, since: date) -> builtins.list[tuple[Qualification, str]]:
        """Qualifications expiring in [since, until], with the vendor's registering unit."""
        q = sa.select(t.qualifications, t.vendors.c.org_unit_id).join(
            t.vendors, t.vendors.c.id == t.qualifications.c.vendor_id).where(
            t.qualifications.c.expires_on >= since, t.qualifications.c.expires_on <= until).order_by(
            t.qualifications.c.id)
        out = []
        for r in self.conn.execute(q):
            m = dict(r._mapping)
            unit = m.pop("org_unit_id")
            out.append((Qualification(**m), unit))
        return out

    def mark_warned(self, qid: str, threshold: int, on: date) -> bool:
        """True if this (qualification, threshold) had not been warned before."""
        stmt = pg_insert(t.qualification_warnings).values(qualification_id=qid, threshold_days=threshold,
                                                          warned_on=on).on_conflict_do_nothing()
        return self.conn.execute(stmt).rowcount == 1


def _vendor_row(v: Vendor) -> dict:
    return {"id": v.id, "name": v.name, "credit_code": v.credit_code, "org_unit_id": v.org_unit_id,
            "status": v.status.value, "status_reason": v.status_reason, "contacts": [vars(c) for c in v.contacts]}


def _vendor(row) -> Vendor:
    return Vendor(row.id, row.name, row.credit_code, row.org_unit_id, VendorStatus(row.status), row.status_reason,
                  [Contact(**c) for c in row.contacts])


_PROJECT_FIELDS = ("id", "name", "kind", "org_unit_id", "catalogue_item_ids", "asset_ids", "budget_line_ref",
                   "budget_year", "fee_category", "allow_overlap", "procurement_method", "awarded_vendor_id",
                   "award_amount", "award_reason", "contract_id")


class Projects:
    def __init__(self, conn):
        self.conn = conn

    def add(self, p: Project, idempotency_key: str | None = None, fingerprint: str | None = None) -> None:
        self.conn.execute(t.projects.insert().values(**_project_row(p), idempotency_key=idempotency_key,
                                                     request_fingerprint=fingerprint))

    def update(self, p: Project) -> None:
        row = _project_row(p)
        self.conn.execute(t.projects.update().where(t.projects.c.id == p.id).values(
            **{k: v for k, v in row.items() if k != "id"}))

    def get(self, pid: str, scope: Scope, *, lock: bool = False) -> Project | None:
        q = _scoped(sa.select(t.projects).where(t.projects.c.id == pid), t.projects.c.org_unit_id, scope)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return _project(row) if row else None

    def by_key(self, key: str) -> Project | None:
        row = self.conn.execute(sa.select(t.projects).where(t.projects.c.idempotency_key == key)).first()
        return _project(row) if row else None

    def key_fingerprint(self, key: str) -> str | None:
        return self.conn.execute(sa.select(t.projects.c.request_fingerprint).where(
            t.projects.c.idempotency_key == key)).scalar()

    def list(self, scope: Scope, *, state: str | None = None, org_unit_id: str | None = None) -> list[Project]:
        q = _scoped(sa.select(t.projects).order_by(t.projects.c.created_at, t.projects.c.id),
                    t.projects.c.org_unit_id, scope)
        if state:
            q = q.where(t.projects.c.state == state)
        if org_unit_id:
            q = q.where(t.projects.c.org_unit_id == org_unit_id)
        return [_project(r) for r in self.conn.execute(q)]

    def record(self, pid: str, from_state, to_state, note: str, actor: str) -> None:
        self.conn.execute(t.project_history.insert().values(
            project_id=pid, from_state=from_state.value if from_state else None, to_state=to_state.value,
            note=note, actor=actor))

    def history(self, pid: str) -> builtins.list[dict]:
        q = sa.select(t.project_history).where(t.project_history.c.project_id == pid).order_by(
            t.project_history.c.seq)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def add_bid(self, b: Bid) -> bool:
        stmt = pg_insert(t.bids).values(**vars(b))
        stmt = stmt.on_conflict_do_update(constraint="uq_bids_project_vendor",
                                          set_={"amount": stmt.excluded.amount,
                                                "submitted_on": stmt.excluded.submitted_on})
        return self.conn.execute(stmt).rowcount == 1

    def bids(self, pid: str) -> builtins.list[Bid]:
        q = sa.select(t.bids).where(t.bids.c.project_id == pid).order_by(t.bids.c.amount, t.bids.c.vendor_id)
        return [Bid(**r._mapping) for r in self.conn.execute(q)]


def _project_row(p: Project) -> dict:
    row = {k: getattr(p, k) for k in _PROJECT_FIELDS}
    row["state"] = p.state.value
    return row


def _project(row) -> Project:
    m = {k: getattr(row, k) for k in _PROJECT_FIELDS}
    return Project(state=ProjectState(row.state), **m)


def terms_json(s: SlaTerms) -> dict:
    return jsonable({"targets": [vars(x) for x in s.targets], "attainment_target_percent": s.attainment_target_percent,
                     "availability_percent": s.availability_percent, "onsite_minutes": s.onsite_minutes,
                     "clock": s.clock, "allowed_pause_reasons": list(s.allowed_pause_reasons)})


def terms_from(d: dict) -> SlaTerms:
    avail = d.get("availability_percent")
    # terms stored before the contract clock existed get its defaults
    pauses = d.get("allowed_pause_reasons")
    return SlaTerms(tuple(SlaTarget(**x) for x in d.get("targets", [])), Decimal(d["attainment_target_percent"]),
                    Decimal(avail) if avail is not None else None, d.get("onsite_minutes"), d.get("clock", "business"),
                    tuple(pauses) if pauses is not None else DEFAULT_ALLOWED_PAUSES)


def clauses_json(cs) -> list:
    return jsonable([{"id": c.id, "name": c.name, "metric": c.metric, "per_breach_amount": c.per_breach_amount,
                      "per_point_amount": c.per_point_amount, "cap": c.cap} for c in cs])


def clauses_from(rows: list) -> tuple[PenaltyClause, ...]:
    return tuple(PenaltyClause(r["id"], r["name"], PenaltyMetric(r["metric"]), Decimal(r["per_breach_amount"]),
                               Decimal(r["per_point_amount"]), Decimal(r["cap"]) if r["cap"] is not None else None)
                 for r in rows)


class Contracts:
    def __init__(self, conn):
        self.conn = conn

    def add(self, c: Contract, actor: str) -> None:
        v = c.current
        self.conn.execute(t.contracts.insert().values(
            id=c.id, project_id=c.project_id, vendor_id=c.vendor_id, org_unit_id=c.org_unit_id,
            vendor_group_id=c.vendor_group_id, signed_on=c.signed_on, deliverables=list(c.deliverables),
            milestones=jsonable([vars(m) for m in c.milestones]), catalogue_item_ids=list(c.catalogue_item_ids),
            asset_ids=list(c.asset_ids), starts_on=v.starts_on, ends_on=v.ends_on, amount=v.amount,
            version=v.version, budget_status=c.budget_status, commitment_id=c.commitment_id,
            budget_note=c.budget_note, signed_by=c.signed_by, budget_version=c.budget_version))
        self.add_version(c.id, v, actor)

    def add_version(self, cid: str, v: ContractVersion, actor: str) -> None:
        self.conn.execute(t.contract_versions.insert().values(
            contract_id=cid, version=v.version, amount=v.amount, starts_on=v.starts_on, ends_on=v.ends_on,
            sla_terms=terms_json(v.sla), penalty_clauses=clauses_json(v.penalties), effective_from=v.effective_from,
            reason=v.reason, actor=actor))
        self.conn.execute(t.contracts.update().where(t.contracts.c.id == cid).values(
            starts_on=v.starts_on, ends_on=v.ends_on, amount=v.amount, version=v.version))

    def get(self, cid: str, scope: Scope, *, lock: bool = False) -> Contract | None:
        q = _scoped(sa.select(t.contracts).where(t.contracts.c.id == cid), t.contracts.c.org_unit_id, scope)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return self._load(row) if row else None

    def list(self, scope: Scope, *, vendor_id: str | None = None) -> list[Contract]:
        q = _scoped(sa.select(t.contracts).order_by(t.contracts.c.signed_on, t.contracts.c.id),
                    t.contracts.c.org_unit_id, scope)
        if vendor_id:
            q = q.where(t.contracts.c.vendor_id == vendor_id)
        return [self._load(r) for r in self.conn.execute(q)]

    def _load(self, row) -> Contract:
        versions = [ContractVersion(r.version, r.amount, r.starts_on, r.ends_on, terms_from(r.sla_terms),
                                    clauses_from(r.penalty_clauses), r.effective_from, r.reason)
                    for r in self.conn.execute(sa.select(t.contract_versions).where(
                        t.contract_versions.c.contract_id == row.id).order_by(t.contract_versions.c.version))]
        milestones = tuple(Milestone(m["id"], m["name"], Decimal(m["amount"]), m["acceptance"],
                                     tuple(m.get("deliverables") or ()),
                                     date.fromisoformat(m["due_on"]) if m.get("due_on") else None)
                           for m in row.milestones)
        return Contract(row.id, row.project_id, row.vendor_id, row.org_unit_id, row.vendor_group_id, row.signed_on,
                        tuple(row.deliverables), milestones, versions, tuple(row.catalogue_item_ids),
                        tuple(row.asset_ids), row.budget_status, row.commitment_id, row.budget_note, row.signed_by,
                        row.budget_version)

    def set_budget_status(self, cid: str, status: str, commitment_id: str | None, note: str,
                          version: int = 1) -> None:
        self.conn.execute(t.contracts.update().where(t.contracts.c.id == cid).values(
            budget_status=status, commitment_id=commitment_id, budget_note=note, budget_version=version))

    def overlapping(self, *, exclude_id: str | None, org_unit_id: str, catalogue_item_ids, asset_ids,
                    starts_on: date, ends_on: date) -> builtins.list[dict]:
        """Contracts (any unit) whose period overlaps and which share an asset, or (same unit) a
        catalogue item. Unscoped on purpose: it is a rule check, and only ids leave it."""
        c = t.contracts.c
        shares_asset = c.asset_ids.op("?|")(sa.cast(sorted(asset_ids), sa.ARRAY(sa.Text))) if asset_ids else sa.false()
        shares_item = sa.and_(c.org_unit_id == org_unit_id,
                              c.catalogue_item_ids.op("?|")(sa.cast(sorted(catalogue_item_ids), sa.ARRAY(sa.Text)))) \
            if catalogue_item_ids else sa.false()
        q = sa.select(c.id, c.project_id, c.starts_on, c.ends_on).where(
            c.starts_on <= ends_on, c.ends_on >= starts_on, sa.or_(shares_asset, shares_item))
        if exclude_id:
            q = q.where(c.id != exclude_id)
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(c.id))]

    def versions(self, cid: str) -> builtins.list[dict]:
        q = sa.select(t.contract_versions).where(t.contract_versions.c.contract_id == cid).order_by(
            t.contract_versions.c.version)
        return [dict(r._mapping) for r in self.conn.execute(q)]


class Acceptances:
    def __init__(self, conn):
        self.conn = conn

    def add(self, a: Acceptance, actor: str) -> None:
        self.conn.execute(t.acceptances.insert().values(
            id=a.id, contract_id=a.contract_id, milestone_id=a.milestone_id, name=a.name, result=a.result.value,
            reviewers=list(a.reviewers), checklist=[vars(c) for c in a.checklist],
            rectification_items=list(a.rectification_items), accepted_on=a.accepted_on, org_unit_id=a.org_unit_id,
            actor=actor))

    def get(self, aid: str, scope: Scope) -> Acceptance | None:
        q = _scoped(sa.select(t.acceptances).where(t.acceptances.c.id == aid), t.acceptances.c.org_unit_id, scope)
        row = self.conn.execute(q).first()
        return _acceptance(row) if row else None

    def of_contract(self, cid: str) -> list[Acceptance]:
        q = sa.select(t.acceptances).where(t.acceptances.c.contract_id == cid).order_by(
            t.acceptances.c.accepted_on, t.acceptances.c.created_at)
        return [_acceptance(r) for r in self.conn.execute(q)]

    def of_vendor(self, vendor_id: str, start: date, end: date, scope: Scope) -> list[Acceptance]:
        a = t.acceptances.c
        q = _scoped(sa.select(t.acceptances).join(t.contracts, t.contracts.c.id == a.contract_id).where(
            t.contracts.c.vendor_id == vendor_id, a.accepted_on >= start, a.accepted_on <= end), a.org_unit_id, scope)
        return [_acceptance(r) for r in self.conn.execute(q.order_by(a.accepted_on))]

    def add_evidence(self, row: dict) -> None:
        self.conn.execute(t.evidence.insert().values(**row))

    def evidence(self, aid: str) -> list[dict]:
        e = t.evidence.c
        q = sa.select(e.id, e.filename, e.content_type, e.size, e.sha256).where(e.acceptance_id == aid).order_by(
            e.created_at, e.id)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def evidence_file(self, aid: str, eid: str) -> dict | None:
        e = t.evidence.c
        q = sa.select(e.id, e.filename, e.content_type, e.size, e.sha256, e.data).where(
            e.acceptance_id == aid, e.id == eid)
        row = self.conn.execute(q).first()
        return dict(row._mapping) if row else None


def _acceptance(row) -> Acceptance:
    return Acceptance(row.id, row.contract_id, row.milestone_id, row.name, AcceptanceResult(row.result),
                      tuple(row.reviewers), tuple(ChecklistItem(**c) for c in row.checklist),
                      tuple(row.rectification_items), row.accepted_on, row.org_unit_id)


class Payments:
    def __init__(self, conn):
        self.conn = conn

    def add(self, row: dict) -> None:
        self.conn.execute(t.payments.insert().values(**row))

    def by_key(self, key: str) -> dict | None:
        row = self.conn.execute(sa.select(t.payments).where(t.payments.c.idempotency_key == key)).first()
        return dict(row._mapping) if row else None

    def of_contract(self, cid: str) -> list[dict]:
        q = sa.select(t.payments).where(t.payments.c.contract_id == cid).order_by(t.payments.c.paid_on,
                                                                                    t.payments.c.created_at)
        return [dict(r._mapping) for r in self.conn.execute(q)]


class Complaints:
    def __init__(self, conn):
        self.conn = conn

    def add(self, c: Complaint) -> None:
        row = {k: v for k, v in vars(c).items() if k != "created_at"}
        self.conn.execute(t.complaints.insert().values(**row))

    def of_vendor(self, vendor_id: str, start: date, end: date, scope: Scope) -> list[Complaint]:
        c = t.complaints.c
        q = _scoped(sa.select(t.complaints).where(c.vendor_id == vendor_id, c.filed_on >= start, c.filed_on <= end),
                    c.org_unit_id, scope)
        return [Complaint(**r._mapping) for r in self.conn.execute(q.order_by(c.filed_on, c.id))]


class Reports:
    def __init__(self, conn):
        self.conn = conn

    def get_for(self, contract_id: str, start: date, end: date) -> dict | None:
        r = t.sla_reports.c
        row = self.conn.execute(sa.select(t.sla_reports).where(
            r.contract_id == contract_id, r.period_start == start, r.period_end == end)).first()
        return dict(row._mapping) if row else None

    def get(self, rid: str, scope: Scope) -> dict | None:
        q = _scoped(sa.select(t.sla_reports).where(t.sla_reports.c.id == rid), t.sla_reports.c.org_unit_id, scope)
        row = self.conn.execute(q).first()
        return dict(row._mapping) if row else None

    def save(self, row: dict) -> None:
        stmt = pg_insert(t.sla_reports).values(**row)
        self.conn.execute(stmt.on_conflict_do_update(
            constraint="uq_sla_reports_period",
            set_={k: stmt.excluded[k] for k in row if k not in ("id", "contract_id", "period_start", "period_end")}
            | {"generated_at": sa.func.now()}))

    def of_vendor(self, vendor_id: str, start: date, end: date, scope: Scope) -> list[dict]:
        r = t.sla_reports.c
        q = _scoped(sa.select(t.sla_reports).where(r.vendor_id == vendor_id, r.period_start >= start,
                                                   r.period_end <= end), r.org_unit_id, scope)
        return [dict(x._mapping) for x in self.conn.execute(q.order_by(r.period_start, r.contract_id))]


class OutsourceUnitOfWork(SqlUnitOfWork):
    def bind(self, conn) -> None:
        self.orgdir = OrgDirectory(conn)
        self.vendors = Vendors(conn)
        self.projects = Projects(conn)
        self.contracts = Contracts(conn)
        self.acceptances = Acceptances(conn)
        self.payments = Payments(conn)
        self.complaints = Complaints(conn)
        self.facts = TicketFacts(conn)
        self.reports = Reports(conn)


def _conforms(uow: OutsourceUnitOfWork) -> OutsourceUow:
    """Never called: mypy checks here that the PostgreSQL unit of work meets the Protocol."""
    return uow
