"""A vendor on a signed O&M contract with SLA terms and penalty clauses, with a synthetic November
of its tickets fed to outsource as its worker would (same handler and inbox) on the stack's
database: what the browser tests of the outsourcing window and of the evaluation of vendors start
from. Each caller passes its own unit, vendor and ticket ids (the stack is shared)."""

from __future__ import annotations

from datetime import date, timedelta

from govkit.client import channel
from govkit.db import make_engine
from govkit.protoconv import as_money
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc
from outsource import handlers
from outsource.adapters.uow import OutsourceUnitOfWork
from outsource.domain.credit_code import check_character
from tests.outsource_samples import synthetic_month

SLA = pb.SlaTerms(targets=[pb.SlaTarget(priority="critical", response_minutes=15, resolution_minutes=240),
                           pb.SlaTarget(priority="high", response_minutes=30, resolution_minutes=480)],
                  attainment_target_percent="95", availability_percent="99.90", onsite_minutes=60)
PENALTIES = [pb.PenaltyClause(id="p1", name="响应超时", metric="response", per_breach_amount=as_money("200.00"),
                              per_point_amount=as_money("1000.00"), cap=as_money("20000.00")),
             pb.PenaltyClause(id="p2", name="解决超时", metric="resolution", per_breach_amount=as_money("500.00"))]


def credit_code(first17: str) -> str:
    """A unified social credit code with its check character."""
    return first17 + check_character(first17)


def own_month(vendor_id: str, prefix: str) -> list[dict]:
    """The shared synthetic November (20 tickets of one vendor: t18 answered late, t19 and t20
    resolved late on the contract's clock) under the caller's vendor and `<prefix>-` ticket ids."""
    events = synthetic_month()
    for e in events:
        data = e["data"]
        if data.get("vendor_id") == "vendor-hx":
            data["vendor_id"] = vendor_id
        data["ticket_id"] = f"{prefix}-{data['ticket_id']}"
        e["id"], e["subject"] = f"{prefix}-{e['id']}", data["ticket_id"]
    return events


def award_om_project(admin, *, unit: str, vendor_id: str, name: str, item: str, method) -> pb.Project:
    """A 2026 O&M project of `unit` (software_om) through procurement, one bid of 480,000.00, to its
    award to `vendor_id` (already registered), all through gRPC."""
    project = admin.CreateProject(pb.CreateProjectRequest(
        name=name, kind=pb.PROJECT_KIND_OM, org_unit_id=unit, catalogue_item_ids=[item], budget_year=2026,
        fee_category="software_om"), timeout=10).project
    admin.StartProcurement(pb.StartProcurementRequest(project_id=project.id, method=method), timeout=10)
    admin.RecordBid(pb.RecordBidRequest(project_id=project.id, vendor_id=vendor_id, amount=as_money("480000.00")),
                    timeout=10)
    admin.AwardProject(pb.AwardProjectRequest(project_id=project.id, vendor_id=vendor_id, reason="综合评分第一"),
                       timeout=10)
    return project


def sign_om_contract(stack, *, unit: str, vendor_id: str, vendor_name: str, credit: str, prefix: str):
    """Registers the vendor, takes an O&M project of `unit` through procurement to a signed contract
    in execution (2026), adds a qualification expiring in 20 days and feeds November's tickets to
    outsource. (project, contract) as outsource answered them."""
    admin = pb_grpc.OutsourceServiceStub(channel(stack.target("outsource"), stack.token()))
    admin.RegisterVendor(pb.RegisterVendorRequest(id=vendor_id, name=vendor_name, credit_code=credit,
                                                  org_unit_id=unit, contacts=[pb.Contact(name="林涛", role="项目经理",
                                                                                         phone="13800000000")]),
                         timeout=10)
    project = award_om_project(admin, unit=unit, vendor_id=vendor_id, name="2026年区政务应用系统运维外包",
                               item="app-om", method=pb.PROCUREMENT_METHOD_PUBLIC_TENDER)
    signed = admin.SignContract(pb.SignContractRequest(
        project_id=project.id, amount=as_money("480000.00"), starts_on="2026-01-01", ends_on="2026-12-31",
        signed_on="2025-12-20", vendor_group_id="app", deliverables=["运维方案", "月度报告"],
        milestones=[pb.Milestone(id="m1", name="首期款", amount=as_money("144000.00"), acceptance="初验",
                                 deliverables=["运维方案"]),
                    pb.Milestone(id="m2", name="尾款", amount=as_money("336000.00"), acceptance="终验")],
        sla=SLA, penalties=PENALTIES), timeout=10).contract
    admin.StartExecution(pb.StartExecutionRequest(project_id=project.id, note="进场服务"), timeout=10)
    # added after the award (an expired one would have refused it): one expiring within 30 days
    admin.AddQualification(pb.AddQualificationRequest(
        vendor_id=vendor_id, name="信息系统运维服务能力（ITSS）三级", number="ITSS-YW-3-2023-0815",
        issuer="中国电子工业标准化技术协会",
        expires_on=(date.today() + timedelta(days=20)).isoformat()), timeout=10)
    pg = stack.env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
    engine = make_engine(f"{pg}/{stack.name}_outsource", pool_size=1)
    try:
        for e in own_month(vendor_id, prefix):
            handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.portal-e2e", e)
    finally:
        engine.dispose()
    return project, signed
