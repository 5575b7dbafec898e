"""Org units named in requests are checked against the org directory on every service: an
unknown unit is INVALID_ARGUMENT naming the field, a deactivated one FAILED_PRECONDITION naming
it — even for a caller whose scope is `*`. Nothing is written. Real servers, real PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
import sqlalchemy as sa

from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.orgdir import OrgDirectory
from govkit.protoconv import as_money
from govops.common.v1.common_pb2 import DateRange

UNITS = [("gov", None, "government"), ("om-centre", "gov", "om_centre"), ("fgw", "gov", "department"),
         ("czj", "gov", "department"), ("old", "gov", "department")]


def seed_units(engine) -> None:
    """The replica as org's events leave it: five units, `old` deactivated."""
    with engine.begin() as conn:
        d = OrgDirectory(conn)
        for unit, parent, kind in UNITS:
            d.apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": parent, "kind": kind})
        d.apply("org_unit_deactivated", {"org_unit_id": "old"})


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def _refused(call, code: grpc.StatusCode, field: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        call()
    e = err.value
    assert e.code() == code, (e.code(), e.details())
    fields = dict(iter_bad_request(e))
    assert field in fields, fields


UNKNOWN, INACTIVE = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION


def test_ticket_refuses_unknown_and_deactivated_units(grpc_server, engine_for, admin_token):
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    engine = engine_for("ticket")
    seed_units(engine)
    stub = pb_grpc.TicketServiceStub(channel(grpc_server("ticket")["ticket"], admin_token))

    def create(unit):
        return stub.CreateTicket(pb.CreateTicketRequest(
            title="打印机无法连接", org_unit_id=unit, category=pb.CATEGORY_INFRASTRUCTURE,
            priority=pb.PRIORITY_MEDIUM), timeout=10)

    _refused(lambda: create("nosuchdept"), UNKNOWN, "org_unit_id")
    _refused(lambda: create("old"), INACTIVE, "org_unit_id")
    _refused(lambda: stub.SetDepartmentSlaPolicy(pb.SetDepartmentSlaPolicyRequest(
        org_unit_id="nosuchdept", sla_policy_id="default"), timeout=10), UNKNOWN, "org_unit_id")
    assert _count(engine, "tickets") == 0 and _count(engine, "department_sla_policies") == 0
    assert create("fgw").ticket.org_unit_id == "fgw"
    # a list filter naming an unknown unit is no error: nothing there
    listed = stub.ListMyTickets(pb.ListMyTicketsRequest(filter=pb.TicketFilter(org_unit_ids=["nosuchdept"])),
                                timeout=10)
    assert list(listed.tickets) == []


def test_budget_refuses_unknown_and_deactivated_units(grpc_server, engine_for, admin_token):
    from govops.budget.v1 import budget_pb2 as pb
    from govops.budget.v1 import budget_pb2_grpc as pb_grpc

    engine = engine_for("budget")
    seed_units(engine)
    s = pb_grpc.BudgetServiceStub(channel(grpc_server("budget")["budget"], admin_token))

    def register(unit, code):
        return s.RegisterAsset(pb.RegisterAssetRequest(fields=pb.AssetFields(
            code=code, name="服务器", kind="server", org_unit_id=unit, original_value=as_money("1000.00"),
            quantity=1)), timeout=30)

    _refused(lambda: register("nosuchdept", "A-1"), UNKNOWN, "org_unit_id")
    _refused(lambda: register("old", "A-2"), INACTIVE, "org_unit_id")
    _refused(lambda: s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="old", year=2027, standard_id="x"),
                                     timeout=30), INACTIVE, "org_unit_id")
    assert _count(engine, "assets") == 0
    assert register("fgw", "A-3").asset.fields.org_unit_id == "fgw"


def test_outsource_refuses_unknown_and_deactivated_units(grpc_server, engine_for, admin_token):
    from govops.outsource.v1 import outsource_pb2 as pb
    from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc

    engine = engine_for("outsource")
    seed_units(engine)
    stub = pb_grpc.OutsourceServiceStub(channel(grpc_server("outsource")["outsource"], admin_token))

    def project(unit):
        return stub.CreateProject(pb.CreateProjectRequest(
            name="运维外包", kind=pb.PROJECT_KIND_OM, org_unit_id=unit, fee_category="software_om"), timeout=10)

    _refused(lambda: project("nosuchdept"), UNKNOWN, "org_unit_id")
    _refused(lambda: project("old"), INACTIVE, "org_unit_id")
    _refused(lambda: stub.RegisterVendor(pb.RegisterVendorRequest(
        id="vendor-hx", name="华信科技服务有限公司", credit_code="91110108551385082Q", org_unit_id="nosuchdept"),
        timeout=10), UNKNOWN, "org_unit_id")
    assert _count(engine, "projects") == 0 and _count(engine, "vendors") == 0
    assert project("om-centre").project.org_unit_id == "om-centre"


def test_evaluation_refuses_unknown_and_deactivated_units(grpc_server, engine_for, redis_client, admin_token):
    from evaluation.domain import model as m
    from evaluation.grpc_api import model_to_pb
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc

    engine = engine_for("evaluation")
    seed_units(engine)
    stub = pb_grpc.EvaluationServiceStub(channel(grpc_server("evaluation")["evaluation"], admin_token))
    stub.CreateModel(pb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=10)

    def plan(subject="om-centre", objects=None):
        objects = objects or [pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="om-centre")]
        return stub.CreatePlan(pb.CreatePlanRequest(
            name="评价", subject_org_unit_id=subject, subject_role="director", model_code=m.DEFAULT_MODEL.code,
            period=DateRange(start="2026-11-01", end="2026-11-30"), objects=list(objects)), timeout=10)

    _refused(lambda: plan(subject="nosuchdept"), UNKNOWN, "subject_org_unit_id")
    _refused(lambda: plan(objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="nosuchdept")]),
             UNKNOWN, "objects[0].id")
    _refused(lambda: plan(objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="om-centre"),
                                   pb.EvaluationObject(kind=pb.OBJECT_KIND_PROCESS, id="incident",
                                                       org_unit_id="nosuchdept")]),
             UNKNOWN, "objects[1].org_unit_id")
    _refused(lambda: plan(objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="old")]),
             INACTIVE, "objects[0].id")
    assert _count(engine, "eval_plans") == 0
    assert plan().plan.subject_org_unit_id == "om-centre"
    # a KPI query naming an unknown unit is no error: no KPIs there
    reply = stub.GetKpis(pb.GetKpisRequest(filter=pb.KpiFilter(org_unit_ids=["nosuchdept"])), timeout=10)
    assert list(reply.kpis) == []


def test_org_refuses_parents_and_units_that_do_not_exist_or_are_deactivated(grpc_server, engine_for, admin_token):
    from govkit import config
    from govops.org.v1 import org_pb2 as pb
    from govops.org.v1 import org_pb2_grpc as pb_grpc
    from org import setup

    engine = engine_for("org")
    setup.after_migrate(config.load("org"))
    stub = pb_grpc.OrgServiceStub(channel(grpc_server("org")["org"], admin_token))
    stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id="gov", name="某市人民政府", kind=pb.ORG_UNIT_KIND_GOVERNMENT),
                       timeout=10)
    for unit in ("fgw", "old"):
        stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id=unit, name=unit, parent_id="gov",
                                                   kind=pb.ORG_UNIT_KIND_DEPARTMENT), timeout=10)
    stub.DeactivateOrgUnit(pb.DeactivateOrgUnitRequest(id="old"), timeout=10)

    _refused(lambda: stub.CreateOrgUnit(pb.CreateOrgUnitRequest(
        id="x", name="x", parent_id="nosuchdept", kind=pb.ORG_UNIT_KIND_DIVISION), timeout=10), UNKNOWN, "parent_id")
    _refused(lambda: stub.MoveOrgUnit(pb.MoveOrgUnitRequest(id="fgw", new_parent_id="nosuchdept"), timeout=10),
             UNKNOWN, "new_parent_id")
    _refused(lambda: stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(
        id="s1", name="张伟", org_unit_id="nosuchdept")), timeout=10), UNKNOWN, "org_unit_id")
    _refused(lambda: stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(
        id="p1", name="工程师", org_unit_id="nosuchdept")), timeout=10), UNKNOWN, "org_unit_id")
    _refused(lambda: stub.CreateSupportGroup(pb.CreateSupportGroupRequest(group=pb.SupportGroup(
        id="grp-x", name="网络组", org_unit_id="nosuchdept")), timeout=10), UNKNOWN, "org_unit_id")
    _refused(lambda: stub.CreateSupportGroup(pb.CreateSupportGroupRequest(group=pb.SupportGroup(
        id="grp-y", name="网络组", org_unit_id="old")), timeout=10), INACTIVE, "org_unit_id")
    _refused(lambda: stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(
        id="s2", name="王芳", org_unit_id="old")), timeout=10), INACTIVE, "org_unit_id")
    assert _count(engine, "staff") == 0 and _count(engine, "support_groups") == 0
