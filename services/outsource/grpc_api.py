"""outsource-grpc: govops.outsource.v1.OutsourceService. Thin: request → command → handler → response;
errors leave through the kit's one table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from govkit.db import make_engine
from govkit.events import jsonable
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govkit.protoconv import (
    choice,
    date_range,
    money,
    money_text,
    offset_page,
    offset_window,
    parse_date,
    to_date_range,
)
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc

from . import handlers
from .adapters.uow import OutsourceUnitOfWork
from .domain import commands as c
from .domain.kinds import KINDS
from .domain.model import (
    Acceptance,
    AcceptanceResult,
    Bid,
    ChecklistItem,
    Contact,
    Contract,
    ContractVersion,
    ProcurementMethod,
    Project,
    ProjectState,
    Qualification,
    Vendor,
    VendorStatus,
)

READ, MANAGE, ACCEPT, PAY = handlers.READ, handlers.MANAGE, handlers.ACCEPT, handlers.PAY
PERMISSIONS = {
    "ListOutsourcingKinds": READ,
    "RegisterVendor": MANAGE, "UpdateVendor": MANAGE, "SetVendorStatus": MANAGE, "AddQualification": MANAGE,
    "GetVendor": READ, "ListVendors": READ, "GetVendorHistory": READ,
    "CreateProject": MANAGE, "GetProject": READ, "ListProjects": READ, "StartProcurement": MANAGE,
    "RecordBid": MANAGE, "AwardProject": MANAGE, "SignContract": MANAGE, "StartExecution": MANAGE,
    "StartAcceptance": ACCEPT, "CloseProject": MANAGE,
    "GetContract": READ, "AmendContract": MANAGE,
    "RecordAcceptance": ACCEPT, "AddAcceptanceEvidence": ACCEPT, "GetAcceptance": READ,
    "GetAcceptanceEvidence": READ, "RecordPayment": PAY,
    "GenerateSlaReport": MANAGE, "GetSlaReport": READ, "FileComplaint": MANAGE, "GetVendorScorecard": READ,
}

_STATUS = {pb.VENDOR_STATUS_ACTIVE: VendorStatus.ACTIVE, pb.VENDOR_STATUS_SUSPENDED: VendorStatus.SUSPENDED,
           pb.VENDOR_STATUS_BLACKLISTED: VendorStatus.BLACKLISTED}
_STATUS_PB = {v: k for k, v in _STATUS.items()}
_STATE_PB = {ProjectState.PROPOSAL: pb.PROJECT_STATE_PROPOSAL, ProjectState.PROCUREMENT: pb.PROJECT_STATE_PROCUREMENT,
             ProjectState.CONTRACT: pb.PROJECT_STATE_CONTRACT, ProjectState.EXECUTION: pb.PROJECT_STATE_EXECUTION,
             ProjectState.ACCEPTANCE: pb.PROJECT_STATE_ACCEPTANCE, ProjectState.CLOSURE: pb.PROJECT_STATE_CLOSURE}
_STATE = {v: k for k, v in _STATE_PB.items()}
_METHOD = {getattr(pb, f"PROCUREMENT_METHOD_{m.name}"): m for m in ProcurementMethod}
_METHOD_PB = {m.value: k for k, m in _METHOD.items()}
_RESULT = {pb.ACCEPTANCE_RESULT_PASS: AcceptanceResult.PASS,
           pb.ACCEPTANCE_RESULT_CONDITIONAL_PASS: AcceptanceResult.CONDITIONAL_PASS,
           pb.ACCEPTANCE_RESULT_FAIL: AcceptanceResult.FAIL}
_RESULT_PB = {v: k for k, v in _RESULT.items()}


_KIND = {pb.PROJECT_KIND_PLANNING: "planning", pb.PROJECT_KIND_CONSTRUCTION: "construction", pb.PROJECT_KIND_OM: "om"}
_KIND_PB = {v: k for k, v in _KIND.items()}
_CHANGE_PB = {"registered": pb.VENDOR_CHANGE_REGISTERED, "updated": pb.VENDOR_CHANGE_UPDATED,
              "status:active": pb.VENDOR_CHANGE_STATUS_ACTIVE, "status:suspended": pb.VENDOR_CHANGE_STATUS_SUSPENDED,
              "status:blacklisted": pb.VENDOR_CHANGE_STATUS_BLACKLISTED,
              "qualification_added": pb.VENDOR_CHANGE_QUALIFICATION_ADDED}


def _s(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, date) else str(value)


# ---- to proto


def vendor_pb(v: Vendor, quals: Sequence[Qualification] = ()) -> pb.Vendor:
    return pb.Vendor(id=v.id, name=v.name, credit_code=v.credit_code, org_unit_id=v.org_unit_id,
                     status=_STATUS_PB[v.status], status_reason=v.status_reason,
                     contacts=[pb.Contact(**vars(x)) for x in v.contacts],
                     qualifications=[qualification_pb(q) for q in quals])


def qualification_pb(q: Qualification) -> pb.Qualification:
    return pb.Qualification(id=q.id, name=q.name, number=q.number, issuer=q.issuer, expires_on=_s(q.expires_on))


def bid_pb(b: Bid) -> pb.Bid:
    return pb.Bid(id=b.id, vendor_id=b.vendor_id, amount=money(b.amount), submitted_on=_s(b.submitted_on))


def project_pb(p: Project, bids=(), history=()) -> pb.Project:
    return pb.Project(
        id=p.id, name=p.name, kind=_KIND_PB.get(p.kind, pb.PROJECT_KIND_UNSPECIFIED),
        org_unit_id=p.org_unit_id, state=_STATE_PB[p.state],
        catalogue_item_ids=p.catalogue_item_ids, asset_ids=p.asset_ids, budget_line_ref=p.budget_line_ref or "",
        budget_year=p.budget_year or 0, fee_category=p.fee_category, allow_overlap=p.allow_overlap,
        procurement_method=_METHOD_PB.get(p.procurement_method, 0), awarded_vendor_id=p.awarded_vendor_id or "",
        award_amount=money(p.award_amount), award_reason=p.award_reason, contract_id=p.contract_id or "",
        bids=[bid_pb(b) for b in bids],
        history=[pb.ProjectStep(from_state=h["from_state"] or "", to_state=h["to_state"], note=h["note"],
                                actor=h["actor"], at=_s(h["at"])) for h in history])


def version_pb(v: ContractVersion) -> pb.ContractVersion:
    s = v.sla
    return pb.ContractVersion(
        version=v.version, amount=money(v.amount), starts_on=_s(v.starts_on), ends_on=_s(v.ends_on),
        sla=pb.SlaTerms(targets=[pb.SlaTarget(**vars(t)) for t in s.targets],
                        attainment_target_percent=_s(s.attainment_target_percent),
                        availability_percent=_s(s.availability_percent), onsite_minutes=s.onsite_minutes or 0,
                        clock=s.clock, allowed_pauses=pb.AllowedPauses(reasons=s.allowed_pause_reasons)),
        penalties=[pb.PenaltyClause(id=p.id, name=p.name, metric=p.metric.value,
                                    per_breach_amount=money(p.per_breach_amount),
                                    per_point_amount=money(p.per_point_amount), cap=money(p.cap)) for p in v.penalties],
        effective_from=_s(v.effective_from), reason=v.reason)


def acceptance_pb(a: Acceptance, evidence=()) -> pb.Acceptance:
    return pb.Acceptance(id=a.id, contract_id=a.contract_id, milestone_id=a.milestone_id, name=a.name,
                         result=_RESULT_PB[a.result], reviewers=a.reviewers,
                         checklist=[pb.ChecklistItem(**vars(x)) for x in a.checklist],
                         rectification_items=a.rectification_items, accepted_on=_s(a.accepted_on),
                         evidence=[evidence_pb(e) for e in evidence])


def evidence_pb(e: dict) -> pb.Evidence:
    return pb.Evidence(id=e["id"], filename=e["filename"], content_type=e["content_type"], size=e["size"],
                       sha256=e["sha256"])


def payment_pb(p: dict) -> pb.Payment:
    return pb.Payment(id=p["id"], milestone_id=p["milestone_id"], amount=money(p["amount"]), paid_on=_s(p["paid_on"]),
                      budget_year=p["budget_year"])


def contract_pb(ct: Contract, payments=(), acceptances=()) -> pb.Contract:
    paid = sum((p["amount"] for p in payments), Decimal("0.00"))
    return pb.Contract(
        id=ct.id, project_id=ct.project_id, vendor_id=ct.vendor_id, org_unit_id=ct.org_unit_id,
        vendor_group_id=ct.vendor_group_id or "", signed_on=_s(ct.signed_on), deliverables=ct.deliverables,
        milestones=[pb.Milestone(id=m.id, name=m.name, amount=money(m.amount), acceptance=m.acceptance,
                                 deliverables=m.deliverables, due_on=_s(m.due_on)) for m in ct.milestones],
        current=version_pb(ct.current), versions=[version_pb(v) for v in sorted(ct.versions, key=lambda v: v.version)],
        payments=[payment_pb(p) for p in payments], paid_total=money(paid), remaining=money(ct.current.amount - paid),
        acceptances=[acceptance_pb(a) for a in acceptances],
        budget_status=getattr(pb, f"CONTRACT_BUDGET_STATUS_{ct.budget_status.upper()}",
                              pb.CONTRACT_BUDGET_STATUS_UNSPECIFIED),
        commitment_id=ct.commitment_id or "", budget_note=ct.budget_note, signed_by=ct.signed_by)


def report_pb(r: dict) -> pb.SlaReport:
    body = r["body"]
    return pb.SlaReport(
        id=r["id"], contract_id=r["contract_id"], vendor_id=r["vendor_id"], org_unit_id=r["org_unit_id"],
        period=to_date_range(r["period_start"], r["period_end"]), contract_version=r["contract_version"],
        tickets=r["tickets"], response_attainment_percent=_s(r["response_attainment_percent"]),
        resolution_attainment_percent=_s(r["resolution_attainment_percent"]),
        availability_percent=_s(r["availability_percent"]), breaches=r["breaches"],
        penalty_total=money(r["penalty_total"]),
        by_priority=[pb.PriorityFigures(**s) for s in body["by_priority"]],
        penalties=[pb.PenaltyLine(clause_id=p["clause_id"], name=p["name"], metric=p["metric"], breaches=p["breaches"],
                                  points_below=p["points_below"], uncapped=money(p["uncapped"]),
                                  amount=money(p["amount"]), ticket_ids=p["ticket_ids"]) for p in body["penalties"]])


# ---- from proto


def _terms(s: pb.SlaTerms) -> dict:
    return {"targets": [{"priority": t.priority, "response_minutes": t.response_minutes,
                         "resolution_minutes": t.resolution_minutes} for t in s.targets],
            "attainment_target_percent": s.attainment_target_percent or "95",
            "availability_percent": s.availability_percent or None, "onsite_minutes": s.onsite_minutes or None,
            "clock": s.clock or "business",
            "allowed_pauses": {"reasons": list(s.allowed_pauses.reasons)} if s.HasField("allowed_pauses") else None}


def _clauses(ps) -> list[dict]:
    return [{"id": p.id, "name": p.name, "metric": p.metric,
             "per_breach_amount": money_text(p.per_breach_amount, f"penalties[{i}].per_breach_amount"),
             "per_point_amount": money_text(p.per_point_amount, f"penalties[{i}].per_point_amount"),
             "cap": money_text(p.cap, f"penalties[{i}].cap") or None} for i, p in enumerate(ps)]


class OutsourceServicer(pb_grpc.OutsourceServiceServicer):
    def __init__(self, engine):
        self.engine = engine

    def uow(self) -> OutsourceUnitOfWork:
        return OutsourceUnitOfWork(self.engine)

    def ListOutsourcingKinds(self, request, context):
        return pb.ListOutsourcingKindsResponse(
            kinds=[pb.OutsourcingKind(code=k.code, name=k.name, kind=_KIND_PB[k.code]) for k in KINDS])

    # vendors
    def _vendor(self, vid: str) -> pb.Vendor:
        vendor, quals = handlers.get_vendor(vid, self.uow(), principal())
        return vendor_pb(vendor, quals)

    def RegisterVendor(self, r, context):
        v = handlers.register_vendor(c.RegisterVendor(r.id, r.name, r.credit_code, r.org_unit_id,
                                                      [Contact(x.name, x.role, x.phone, x.email) for x in r.contacts]),
                                     self.uow(), principal())
        return pb.RegisterVendorResponse(vendor=self._vendor(v.id))

    def UpdateVendor(self, r, context):
        v = handlers.update_vendor(c.UpdateVendor(r.id, r.name, [Contact(x.name, x.role, x.phone, x.email)
                                                                 for x in r.contacts]), self.uow(), principal())
        return pb.UpdateVendorResponse(vendor=self._vendor(v.id))

    def SetVendorStatus(self, r, context):
        status = choice(_STATUS, r.status, "status")
        v = handlers.set_vendor_status(c.SetVendorStatus(r.id, status, r.reason), self.uow(), principal())
        return pb.SetVendorStatusResponse(vendor=self._vendor(v.id))

    def AddQualification(self, r, context):
        q = handlers.add_qualification(
            c.AddQualification(r.vendor_id, r.name, r.number, r.issuer, parse_date(r.expires_on, "expires_on")),
            self.uow(),
            principal(),
        )
        return pb.AddQualificationResponse(qualification=qualification_pb(q))

    def GetVendor(self, r, context):
        return pb.GetVendorResponse(vendor=self._vendor(r.id))

    def ListVendors(self, r, context):
        status = _STATUS[r.status].value if r.status in _STATUS else ""
        vendors, paging = offset_page(handlers.list_vendors(self.uow(), principal(), status=status), r.page)
        quals = handlers.qualifications_of([v.id for v in vendors], self.uow(), principal())
        return pb.ListVendorsResponse(vendors=[vendor_pb(v, quals[v.id]) for v in vendors], page=paging)

    def GetVendorHistory(self, r, context):
        offset_window(r.page)  # a bad page is refused before the id is looked up
        rows, paging = offset_page(handlers.vendor_history(r.id, self.uow(), principal()), r.page)
        dump = lambda x: json.dumps(jsonable(x), ensure_ascii=False) if x is not None else ""  # noqa: E731
        return pb.GetVendorHistoryResponse(entries=[pb.HistoryEntry(
            action=_CHANGE_PB.get(h["action"], pb.VENDOR_CHANGE_UNSPECIFIED),
            before_json=dump(h["before"]), after_json=dump(h["after"]), actor=h["actor"],
            at=_s(h["at"])) for h in rows], page=paging)

    # projects
    def _project(self, pid: str) -> pb.Project:
        project, bids, history = handlers.get_project(pid, self.uow(), principal())
        return project_pb(project, bids, history)

    def CreateProject(self, r, context):
        project, replayed = handlers.create_project(
            c.CreateProject(
                r.name,
                choice(_KIND, r.kind, "kind"),
                r.org_unit_id,
                list(r.catalogue_item_ids),
                list(r.asset_ids),
                r.budget_line_ref,
                r.budget_year,
                r.fee_category,
                r.allow_overlap,
                r.idempotency_key,
            ),
            self.uow(),
            principal(),
        )
        return pb.CreateProjectResponse(project=self._project(project.id), replayed=replayed)

    def GetProject(self, r, context):
        return pb.GetProjectResponse(project=self._project(r.id))

    def ListProjects(self, r, context):
        state = _STATE[r.state].value if r.state in _STATE else ""
        projects, paging = offset_page(handlers.list_projects(self.uow(), principal(), state=state,
                                                              org_unit_id=r.org_unit_id), r.page)
        return pb.ListProjectsResponse(projects=[project_pb(p) for p in projects], page=paging)

    def StartProcurement(self, r, context):
        method = choice(_METHOD, r.method, "method")
        p = handlers.start_procurement(c.StartProcurement(r.project_id, method), self.uow(), principal())
        return pb.StartProcurementResponse(project=self._project(p.id))

    def RecordBid(self, r, context):
        b = handlers.record_bid(c.RecordBid(r.project_id, r.vendor_id, money_text(r.amount, "amount"),
                                            parse_date(r.submitted_on, "submitted_on", required=False)),
                                self.uow(), principal())
        return pb.RecordBidResponse(bid=bid_pb(b))

    def AwardProject(self, r, context):
        p = handlers.award_project(c.AwardProject(r.project_id, r.vendor_id, r.reason), self.uow(), principal())
        return pb.AwardProjectResponse(project=self._project(p.id))

    def SignContract(self, r, context):
        ct = handlers.sign_contract(c.SignContract(
            r.project_id, money_text(r.amount, "amount"), parse_date(r.starts_on, "starts_on"),
            parse_date(r.ends_on, "ends_on"),
            parse_date(r.signed_on, "signed_on", required=False), r.vendor_group_id, list(r.deliverables),
            [{"id": m.id, "name": m.name, "amount": money_text(m.amount, f"milestones[{i}].amount"),
              "acceptance": m.acceptance, "deliverables": list(m.deliverables),
              "due_on": parse_date(m.due_on, f"milestones[{i}].due_on", required=False)}
             for i, m in enumerate(r.milestones)],
            _terms(r.sla), _clauses(r.penalties)), self.uow(), principal())
        return pb.SignContractResponse(contract=self._contract(ct.id))

    def _advance(self, project_id: str, to: str, note: str) -> pb.Project:
        p = handlers.advance_project(c.AdvanceProject(project_id, to, note), self.uow(), principal())
        return self._project(p.id)

    def StartExecution(self, r, context):
        return pb.StartExecutionResponse(project=self._advance(r.project_id, "execution", r.note))

    def StartAcceptance(self, r, context):
        return pb.StartAcceptanceResponse(project=self._advance(r.project_id, "acceptance", r.note))

    def CloseProject(self, r, context):
        return pb.CloseProjectResponse(project=self._advance(r.project_id, "closure", r.note))

    # contracts
    def _contract(self, cid: str) -> pb.Contract:
        ct, payments, acceptances = handlers.get_contract(cid, self.uow(), principal())
        return contract_pb(ct, payments, acceptances)

    def GetContract(self, r, context):
        return pb.GetContractResponse(contract=self._contract(r.id))

    def AmendContract(self, r, context):
        ct = handlers.amend_contract(c.AmendContract(
            r.contract_id, r.reason, parse_date(r.effective_from, "effective_from"),
            money_text(r.amount, "amount"),
            parse_date(r.ends_on, "ends_on", required=False), _terms(r.sla) if r.HasField("sla") else None,
            _clauses(r.penalties) if r.replace_penalties or r.penalties else None), self.uow(), principal())
        return pb.AmendContractResponse(contract=self._contract(ct.id))

    # acceptance and payment
    def RecordAcceptance(self, r, context):
        result = choice(_RESULT, r.result, "result")
        a = handlers.record_acceptance(
            c.RecordAcceptance(
                r.contract_id,
                r.milestone_id,
                result,
                list(r.reviewers),
                [ChecklistItem(x.deliverable, x.item, x.passed, x.note) for x in r.checklist],
                list(r.rectification_items),
                parse_date(r.accepted_on, "accepted_on", required=False),
            ),
            self.uow(),
            principal(),
        )
        return pb.RecordAcceptanceResponse(acceptance=acceptance_pb(a))

    def AddAcceptanceEvidence(self, r, context):
        e = handlers.add_evidence(c.AddEvidence(r.acceptance_id, r.filename, r.content_type, r.data),
                                  self.uow(), principal())
        return pb.AddAcceptanceEvidenceResponse(evidence=evidence_pb(e))

    def GetAcceptance(self, r, context):
        a, evidence = handlers.get_acceptance(r.id, self.uow(), principal())
        return pb.GetAcceptanceResponse(acceptance=acceptance_pb(a, evidence))

    def GetAcceptanceEvidence(self, r, context):
        e = handlers.get_evidence(r.acceptance_id, r.evidence_id, self.uow(), principal())
        return pb.GetAcceptanceEvidenceResponse(evidence=evidence_pb(e), data=e["data"])

    def RecordPayment(self, r, context):
        p, replayed = handlers.record_payment(c.RecordPayment(
            r.contract_id, r.milestone_id, money_text(r.amount, "amount"), parse_date(r.paid_on, "paid_on"),
            r.idempotency_key),
            self.uow(), principal())
        return pb.RecordPaymentResponse(payment=payment_pb(p), replayed=replayed)

    # SLA and scorecards
    def GenerateSlaReport(self, r, context):
        row = handlers.generate_sla_report(c.GenerateSlaReport(
            r.contract_id, *date_range(r.period, "period", end_required=True),
            r.availability_percent), self.uow(), principal())
        return pb.GenerateSlaReportResponse(report=report_pb(row))

    def GetSlaReport(self, r, context):
        return pb.GetSlaReportResponse(report=report_pb(handlers.get_sla_report(r.id, self.uow(), principal())))

    def FileComplaint(self, r, context):
        x = handlers.file_complaint(c.FileComplaint(r.vendor_id, r.org_unit_id, r.description, r.contract_id,
                                                    parse_date(r.filed_on, "filed_on", required=False)),
                                    self.uow(), principal())
        return pb.FileComplaintResponse(complaint_id=x.id)

    def GetVendorScorecard(self, r, context):
        start, end = date_range(r.period, "period", end_required=True)
        s = handlers.vendor_scorecard(r.vendor_id, start, end, self.uow(), principal())
        return pb.GetVendorScorecardResponse(scorecard=scorecard_pb(s))


def scorecard_pb(s: dict) -> pb.Scorecard:
    a = s["acceptances"]
    return pb.Scorecard(
        vendor_id=s["vendor_id"], vendor_name=s["vendor_name"], status=_STATUS_PB[VendorStatus(s["status"])],
        period=to_date_range(s["period_start"], s["period_end"]), report_ids=s["reports"],
        tickets=s["tickets"], response_attainment_percent=_s(s["response_attainment_percent"]),
        resolution_attainment_percent=_s(s["resolution_attainment_percent"]), breaches=s["breaches"],
        penalty_total=money(s["penalty_total"]), acceptances_passed=a["pass"],
        acceptances_conditional=a["conditional_pass"], acceptances_failed=a["fail"], complaints=s["complaints"])


def build(settings) -> GrpcApp:
    service = pb.DESCRIPTOR.services_by_name["OutsourceService"]
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    return GrpcApp(service="outsource",
                   registrations=[(pb_grpc.add_OutsourceServiceServicer_to_server, OutsourceServicer(engine))],
                   service_names=[service.full_name],
                   permissions=permissions_for(service, PERMISSIONS),
                   on_stop=[engine.dispose])
