"""Issue 12 items 8–10 on the real servers: a plan that is mostly "no data" is published only
with an override and its reason (audited); a rectification becomes a rectification ticket in the
ticket service, routed to the evaluated group's lead position, with the rectification's due date
and no SLA."""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
import sqlalchemy as sa

from evaluation import handlers
from evaluation import handlers_eval as ev
from evaluation.adapters.kpi_store import KpiStore
from evaluation.adapters.uow import EvaluationUnitOfWork
from evaluation.domain import model as m
from evaluation.domain.commands import AdvancePlan, CreateModel, CreatePlan, SignOffScores, SubmitManualScore
from evaluation.grpc_api import model_to_pb
from govkit.auth import SYSTEM, Principal, Scope
from govkit.client import channel
from govkit.orgdir import OrgDirectory
from govops.common.v1.common_pb2 import DateRange
from govops.evaluation.v1 import evaluation_pb2 as pb
from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc
from tests.eval_events import lifecycle
from tests.org_units import seed_test_units

UNITS = [("gov", None, "government"), ("om-centre", "gov", "om_centre"), ("czj", "gov", "department")]
REVIEWER = Principal("rev", "rev", (), frozenset({"*"}), Scope(None))


def _org(engine):
    with engine.begin() as c:
        d = OrgDirectory(c)
        for unit, parent, kind in UNITS:
            d.apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": parent, "kind": kind})
        d.apply("position_created", {"position_id": "pos-om-director", "org_unit_id": "om-centre",
                                     "code": "director", "name": "运维中心主任", "parent_position_id": None,
                                     "responsibilities": [{"kind": "process", "value": "incident"}]})
        d.apply("position_created", {"position_id": "pos-app-lead", "org_unit_id": "om-centre", "code": "app-lead",
                                     "name": "应用组组长", "parent_position_id": "pos-om-director",
                                     "responsibilities": []})
        d.apply("group_created", {"group_id": "grp-application", "code": "app", "name": "应用组",
                                  "org_unit_id": "om-centre", "lead_position_id": "pos-app-lead"})


def test_a_plan_without_data_is_published_only_with_an_audited_override(engine_for, redis_client, grpc_server,
                                                                          signer):
    engine = engine_for("evaluation")
    _org(engine)
    target = grpc_server("evaluation")["evaluation"]

    def stub(subject, perms):
        token = signer.mint(subject, perms=list(perms), scopes=[{"unit": "*"}])
        return pb_grpc.EvaluationServiceStub(channel(target, token))

    admin, reviewer = stub("admin", ("*",)), stub("reviewer", ("*",))
    admin.CreateModel(pb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=5)
    # a customer department is not scored on the O&M centre's indicators (item 8)
    with pytest.raises(grpc.RpcError) as refused:
        admin.CreatePlan(pb.CreatePlanRequest(
            name="部门评价", subject_org_unit_id="om-centre", subject_role="director", model_code=m.DEFAULT_MODEL.code,
            period=DateRange(start="2025-03-01", end="2025-03-31"),
            objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="czj")]), timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "customer department" in refused.value.details()
    plan = admin.CreatePlan(pb.CreatePlanRequest(
        name="空数据评价", subject_org_unit_id="om-centre", subject_role="director", model_code=m.DEFAULT_MODEL.code,
        period=DateRange(start="2025-03-01", end="2025-03-31"),
        objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_GROUP, id="grp-application", org_unit_id="om-centre")]),
        timeout=5).plan
    for state in (pb.PLAN_STATE_DATA_COLLECTION, pb.PLAN_STATE_SELF_ASSESSMENT):
        admin.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=state), timeout=5)
    admin.SubmitManualScore(pb.SubmitManualScoreRequest(plan_id=plan.id, object_id="om-centre/group/grp-application",
                                                        indicator_code="ind_position_duties", score=80,
                                                        evidence="岗位说明书"), timeout=5)
    admin.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=pb.PLAN_STATE_REVIEW), timeout=5)
    reviewer.SignOffScores(pb.SignOffScoresRequest(plan_id=plan.id), timeout=5)
    with pytest.raises(grpc.RpcError) as err:
        admin.PublishPlan(pb.PublishPlanRequest(id=plan.id), timeout=5)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "no data" in err.value.details()
    reason = "新系统首月数据不全，经中心主任同意发布"
    published = admin.PublishPlan(pb.PublishPlanRequest(id=plan.id, no_data_override_reason=reason), timeout=5).plan
    assert published.state == pb.PLAN_STATE_PUBLISHED
    trail = admin.ListAuditTrail(pb.ListAuditTrailRequest(entity_type="plan", entity_id=plan.id), timeout=5).entries
    [override] = [e for e in trail if e.action == "plan_publish_override"]
    assert reason in override.detail_json


def test_a_rectification_is_a_rectification_ticket_for_the_group_lead_with_its_due_date(engine_for, redis_client):
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.handlers import tickets

    engine, ticket_engine = engine_for("evaluation"), engine_for("ticket")
    _org(engine)
    seed_test_units(ticket_engine)  # the ticket opens in the owner's unit, which org holds (govkit.units)
    store = KpiStore(redis_client)
    uow = lambda: EvaluationUnitOfWork(engine)  # noqa: E731
    # November 2026: the application group answers czj's tickets slowly and misses their SLA.
    for i in range(6):
        for e in lifecycle("czj", assignee="E008", group="grp-application",
                           start=datetime(2026, 11, 2 + i, 2, tzinfo=UTC), response_s=7200,
                           resolution_s=30 * 3600, sla_met=False, breach=True):
            handlers.record_event(e, uow(), store)
    ev.create_model(CreateModel(m.DEFAULT_MODEL), uow(), SYSTEM)
    plan = ev.create_plan(CreatePlan("十一月", "om-centre", "director", m.DEFAULT_MODEL.code, 0, date(2026, 11, 1),
                                     date(2026, 11, 30),
                                     ({"kind": "group", "id": "grp-application", "org_unit_id": "om-centre"},)),
                          uow(), SYSTEM)
    for step in ("data_collection", "self_assessment"):
        ev.advance_plan(AdvancePlan(plan["id"], step), uow(), SYSTEM)
    ev.submit_manual_score(SubmitManualScore(plan["id"], "om-centre/group/grp-application", "ind_position_duties", 80,
                                             "岗位说明书"), uow(), SYSTEM)
    ev.advance_plan(AdvancePlan(plan["id"], "review"), uow(), SYSTEM)
    ev.sign_off_scores(SignOffScores(plan["id"]), uow(), REVIEWER)
    published = ev.advance_plan(AdvancePlan(plan["id"], "published"), uow(), SYSTEM)
    [result] = published["results"]["objects"]
    slow = {r["code"]: r for r in result["indicators"]}["ind_response_speed"]
    assert slow["status"] == "below_baseline"
    assert any("平均响应时长（人均）高于基线（未达标" in f for f in result["findings"])

    rects = ev.list_rectifications("", "", uow(), SYSTEM)
    assert rects and {r["owner_position"] for r in rects} == {"pos-app-lead"}

    def create_ticket(*args, **kw):  # what ticket-worker's create_ticket RPC does, on the ticket database
        return tickets.create_for_service(TicketUnitOfWork(ticket_engine), *args, **kw)

    assert ev.open_pending_tickets(uow(), create_ticket, SYSTEM) == len(rects)
    with ticket_engine.connect() as c:
        rows = c.execute(sa.text("SELECT ticket_type, org_unit_id, group_id, position_id, sla_state, "
                                 "response_due_at, resolution_due_at, number FROM tickets")).mappings().all()
    assert len(rows) == len(rects)
    for row in rows:
        assert (row["ticket_type"], row["org_unit_id"], row["group_id"], row["position_id"], row["sla_state"]) == (
            "rectification", "om-centre", "grp-application", "pos-app-lead", "none")
        assert row["response_due_at"] is None and row["number"].startswith("RCT-")
        assert row["resolution_due_at"].astimezone(ev.kpis.CST).date() == rects[0]["due_date"]
    with ticket_engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM sla_deadlines")).scalar() == 0
