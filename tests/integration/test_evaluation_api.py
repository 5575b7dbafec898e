"""The evaluation service over a real gRPC server, PostgreSQL and Redis: live KPIs with filters,
series and scope; the nine-grid model and a plan end to end with reports; bad input; the
closed loop (rectification, accountability, audit); `kpi check` and rebuild."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import grpc
import jwt
import pytest
import sqlalchemy as sa

from evaluation import handlers
from evaluation import handlers_eval as ev
from evaluation.adapters.kpi_store import KpiStore
from evaluation.adapters.uow import EvaluationUnitOfWork
from evaluation.domain import model as m
from evaluation.grpc_api import model_to_pb
from govkit.auth import SYSTEM
from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.orgdir import OrgDirectory
from govops.common.v1.common_pb2 import DateRange, PageRequest
from govops.evaluation.v1 import evaluation_pb2 as pb
from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc
from tests.eval_events import envelope, lifecycle, mixed
from tests.paging import assert_garbage_token_refused, read_paged

UNITS = [("gov", None, "government"), ("om-centre", "gov", "om_centre"), ("fgw", "gov", "department"),
         ("czj", "gov", "department"), ("gaj", "gov", "department"), ("wjw", "gov", "department")]


@pytest.fixture
def env(engine_for, redis_client, grpc_server, signer):
    engine = engine_for("evaluation")
    with engine.begin() as c:
        d = OrgDirectory(c)
        for unit, parent, kind in UNITS:
            d.apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": parent, "kind": kind})
        # The O&M centre's head, two support groups and their leads: the evaluated objects and the
        # positions rectifications are routed to.
        for pid, parent in (("pos-om-director", None), ("pos-net-lead", "pos-om-director"),
                            ("pos-app-lead", "pos-om-director")):
            d.apply("position_created", {"position_id": pid, "org_unit_id": "om-centre", "code": pid, "name": pid,
                                         "parent_position_id": parent, "responsibilities": []})
        for gid, lead in (("grp-network", "pos-net-lead"), ("grp-application", "pos-app-lead")):
            d.apply("group_created", {"group_id": gid, "code": gid, "name": gid, "org_unit_id": "om-centre",
                                      "lead_position_id": lead})
    target = grpc_server("evaluation")["evaluation"]

    def stub(subject="admin", perms=("*",), units=("*",)):
        token = signer.mint(subject, perms=list(perms), scopes=[{"unit": u} for u in units])
        return pb_grpc.EvaluationServiceStub(channel(target, token))

    class Env:
        pass

    e = Env()
    e.engine, e.redis, e.store, e.stub = engine, redis_client, KpiStore(redis_client), stub
    e.target = target
    e.record = lambda events: [handlers.record_event(x, EvaluationUnitOfWork(engine), e.store,
                                                     on_fact=ev.close_rectifications_for) for x in events]
    return e


def _kpis(reply):
    return {(k.subject, k.name, k.window): k.value for k in reply.kpis}


def _violations(err) -> dict:
    return dict(iter_bad_request(err))


# ---- live KPIs ---------------------------------------------------------------------------
def test_kpis_per_level_window_and_scope(env):
    # "today" is the Beijing calendar day: start the ticket early in it (not at a UTC hour, which
    # from 16:00 UTC falls on the previous Beijing day), with a lifecycle of a few minutes.
    now = datetime.now(UTC).replace(microsecond=0)
    midnight = now.astimezone(timezone(timedelta(hours=8))).replace(hour=0, minute=1, second=0)
    start = max(midnight.astimezone(UTC), now - timedelta(hours=1))
    env.record(lifecycle("fgw", assignee="s1", start=start, response_s=60, resolution_s=60)
               + lifecycle("czj", assignee="s2"))
    admin = env.stub()
    got = _kpis(admin.GetKpis(pb.GetKpisRequest(filter=pb.KpiFilter(
        org_unit_ids=["gov"], names=["tickets_created", "sla_attainment_pct"], windows=["all", "today"])), timeout=5))
    assert got[("gov", "tickets_created", "all")] == 2
    assert got[("gov/incident", "tickets_created", "all")] == 2
    assert ("gov", "tickets_created", "today") in got
    persons = _kpis(
        admin.GetKpis(pb.GetKpisRequest(filter=pb.KpiFilter(persons=["s1"], names=["tickets_resolved"])), timeout=5)
    )
    assert persons == {("fgw/staff/s1", "tickets_resolved", "all"): 1, ("gov/staff/s1", "tickets_resolved", "all"): 1}
    czj = env.stub("czj-user", ["evaluation.read"], ["czj"])
    seen = {k.subject.split("/")[0] for k in czj.GetKpis(pb.GetKpisRequest(), timeout=5).kpis}
    assert seen == {"czj"}
    with pytest.raises(grpc.RpcError) as err:
        czj.GetKpiSeries(pb.GetKpiSeriesRequest(level=pb.LEVEL_ORGANIZATION, subject="fgw",
                                                dates=DateRange(start="2026-11-01", end="2026-11-30")), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        admin.GetKpis(pb.GetKpisRequest(filter=pb.KpiFilter(windows=["fortnight"])), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "filter.windows" in _violations(err.value)


def test_series_gives_daily_buckets(env):
    env.record(lifecycle("fgw", start=datetime(2026, 11, 3, 2, tzinfo=UTC))
               + lifecycle("fgw", start=datetime(2026, 11, 5, 2, tzinfo=UTC))
               + lifecycle("fgw", start=datetime(2026, 11, 5, 4, tzinfo=UTC)))
    reply = env.stub().GetKpiSeries(pb.GetKpiSeriesRequest(
        level=pb.LEVEL_ORGANIZATION, subject="fgw", names=["tickets_created"],
        dates=DateRange(start="2026-11-03", end="2026-11-06")), timeout=5)
    assert [(p.date, dict(p.values).get("tickets_created", 0)) for p in reply.points] == [
        ("2026-11-03", 1), ("2026-11-04", 0), ("2026-11-05", 2), ("2026-11-06", 0)]
    with pytest.raises(grpc.RpcError) as err:
        env.stub().GetKpiSeries(pb.GetKpiSeriesRequest(level=pb.LEVEL_ORGANIZATION, subject="fgw", dates=DateRange(
            start="2026-11-06", end="2026-11-01")), timeout=5)
    assert "dates.end" in _violations(err.value)


def test_watch_filters_by_person_and_pushes_changes(env):
    stream = env.stub().WatchKpis(pb.WatchKpisRequest(filter=pb.KpiFilter(
        persons=["s7"], level=pb.LEVEL_INDIVIDUAL, names=["tickets_open"])))
    got, ready = [], threading.Event()

    def read():
        ready.set()
        for msg in stream:
            got.append(msg.kpi)
            if len(got) >= 2:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait()
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:  # the server subscribes when the call starts
        env.record(lifecycle("fgw", assignee="s7")[:2])
        time.sleep(0.2)
    reader.join(10)
    stream.cancel()
    assert got and {k.subject for k in got} <= {"fgw/staff/s7", "gov/staff/s7"}
    assert all(k.name == "tickets_open" and k.value >= 1 for k in got)


def test_watch_ends_unauthenticated_when_the_token_expires(env, signer):
    """A stream must not outlive its token: it ends with UNAUTHENTICATED at `exp` and the client
    reconnects with a fresh token."""
    token = signer.mint("admin", perms=["evaluation.read"], scopes=[{"unit": "*"}], ttl_seconds=2)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    stub = pb_grpc.EvaluationServiceStub(channel(env.target, token))
    stream = stub.WatchKpis(pb.WatchKpisRequest(filter=pb.KpiFilter(names=["tickets_created"])))
    ended: dict = {}

    def read():
        try:
            for _ in stream:
                pass
            ended["code"] = grpc.StatusCode.OK
        except grpc.RpcError as err:
            ended["code"] = err.code()
        ended["at"] = time.time()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = exp + 5
    while "code" not in ended and time.time() < deadline:
        reader.join(0.1)
    stream.cancel()
    assert ended.get("code") == grpc.StatusCode.UNAUTHENTICATED, ended
    assert exp - 1 <= ended["at"] <= exp + 3


CST = timezone(timedelta(hours=8))


def test_updated_at_is_the_utc_event_time_and_never_in_the_future(env):
    """updated_at is the event's time in UTC (whatever offset the event carries), capped at the
    time it was applied: an event stamped ahead of the clock never puts a KPI in the future."""
    past = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=250000).astimezone(CST)
    future = (datetime.now(UTC) + timedelta(hours=6)).astimezone(CST)
    env.record([envelope("ticket_created", {"id": "t-past", "dept": "fgw"}, past, created_at=past.isoformat())])
    before = datetime.now(UTC)
    env.record([envelope("ticket_created", {"id": "t-future", "dept": "czj"}, future,
                         created_at=future.isoformat())])
    after = datetime.now(UTC)
    flt = pb.KpiFilter(org_unit_ids=["fgw", "czj"], level=pb.LEVEL_ORGANIZATION, names=["tickets_created"],
                       windows=["all"])
    got = {k.subject: k.updated_at.ToDatetime(tzinfo=UTC) for k in env.stub().GetKpis(
        pb.GetKpisRequest(filter=flt), timeout=5).kpis}
    stream = env.stub().WatchKpis(pb.WatchKpisRequest(filter=flt, include_snapshot=True), timeout=5)
    watched = {}
    for msg in stream:
        watched[msg.kpi.subject] = msg.kpi.updated_at.ToDatetime(tzinfo=UTC)
        if len(watched) == 2:
            break
    stream.cancel()
    now = datetime.now(UTC)
    for seen in (got, watched):
        assert set(seen) == {"fgw", "czj"}
        assert all(t <= now for t in seen.values()), seen
        assert seen["fgw"] == past.astimezone(UTC)
        assert before - timedelta(seconds=1) <= seen["czj"] <= after


def test_kpi_check_finds_drift_and_rebuild_repairs_flush(env):
    from govkit.events import Envelope

    spend = [Envelope(id=f"x{i}", source="budget", type="govops.budget.expense_recorded.v1",
                      time=f"2026-11-0{i + 1}T02:00:00+00:00", subject="b1", org_unit_id="fgw", correlationid="c",
                      data={"budget_id": "b1", "org_unit_id": "fgw", "year": 2026, "amount": "1200.50"})
             for i in range(3)]
    env.record(mixed(30) + spend + spend[:1])  # a redelivered expense counts once
    n, diffs = handlers.check_live_kpis(EvaluationUnitOfWork(env.engine), env.store)
    assert n > 100 and diffs == []
    assert _kpis(env.stub().GetKpis(pb.GetKpisRequest(filter=pb.KpiFilter(
        org_unit_ids=["fgw"], names=["om_spend"])), timeout=5))[("fgw", "om_spend", "all")] == 3601.5
    env.redis.hincrbyfloat("kpi:v1:organization:fgw:all", "tickets_created", 5)
    _, diffs = handlers.check_live_kpis(EvaluationUnitOfWork(env.engine), env.store)
    assert [(d.key, d.field) for d in diffs] == [("kpi:v1:organization:fgw:all", "tickets_created")]
    env.redis.flushdb()
    assert handlers.rebuild_live_kpis(EvaluationUnitOfWork(env.engine), env.store) == n
    assert handlers.check_live_kpis(EvaluationUnitOfWork(env.engine), env.store)[1] == []


# ---- models and plans --------------------------------------------------------------------
def test_bad_models_are_invalid_argument_naming_fields(env):
    admin = env.stub()
    bad = model_to_pb(m.DEFAULT_MODEL)
    bad.indicators[0].weight = 50
    bad.indicators[1].kind = pb.INDICATOR_KIND_FORMULA
    bad.indicators[1].formula = "ghost_kpi / 2"
    bad.indicators[2].kind = pb.INDICATOR_KIND_FORMULA
    bad.indicators[2].formula = "tickets_created / 0"
    with pytest.raises(grpc.RpcError) as err:
        admin.CreateModel(pb.CreateModelRequest(model=bad), timeout=5)
    v = _violations(err.value)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown KPI 'ghost_kpi'" in v["model.indicators[1].formula"]
    assert "divides by zero" in v["model.indicators[2].formula"]
    assert "sum to 100" in v["model.indicators"]
    no_level = model_to_pb(m.DEFAULT_MODEL)
    del no_level.indicators[11:]
    with pytest.raises(grpc.RpcError) as err:
        admin.ValidateModel(pb.ValidateModelRequest(model=no_level), timeout=5)
    assert "level individual" in _violations(err.value)["model.indicators"]
    assert admin.ListModels(pb.ListModelsRequest(), timeout=5).models == []  # nothing half-written
    reader = env.stub("reader", ["evaluation.read"])
    with pytest.raises(grpc.RpcError) as err:
        reader.CreateModel(pb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_models_and_the_audit_trail_are_paged(env):
    """Issue 11, item 3: ListModels and ListAuditTrail answer a page at a time (the trail, newest
    first, is no longer cut at its latest 200 entries); a garbage token is refused."""
    admin = env.stub()
    for n in range(3):
        model = model_to_pb(m.DEFAULT_MODEL)
        model.code = f"model_{n}"
        admin.CreateModel(pb.CreateModelRequest(model=model), timeout=5)
    models = read_paged(admin.ListModels, pb.ListModelsRequest(), "models", 2)
    assert [x.code for x in models] == ["model_0", "model_1", "model_2"]
    trail = read_paged(admin.ListAuditTrail, pb.ListAuditTrailRequest(entity_type="model"), "entries", 2)
    assert [e.entity_id for e in trail] == ["model_2@1", "model_1@1", "model_0@1"]
    for call, request in ((admin.ListModels, pb.ListModelsRequest()),
                          (admin.ListAuditTrail, pb.ListAuditTrailRequest(entity_type="model"))):
        assert_garbage_token_refused(call, request)


def test_the_audit_trail_is_filtered_by_china_standard_time_days(env):
    """Issue 15: the portal's audit trail page filters by day. An entry at 2026-11-30 23:30 CST
    (15:30 UTC) is on the 30th, one at 2026-12-01 00:30 CST on the 1st; bad dates are named."""
    admin = env.stub()
    for n in range(3):
        model = model_to_pb(m.DEFAULT_MODEL)
        model.code = f"day_{n}"
        admin.CreateModel(pb.CreateModelRequest(model=model), timeout=5)
    audit = sa.table("eval_audit", sa.column("entity_id"), sa.column("at"))
    with env.engine.begin() as c:
        for code, at in (("day_0@1", datetime(2026, 11, 30, 15, 30, tzinfo=UTC)),
                         ("day_1@1", datetime(2026, 11, 30, 16, 30, tzinfo=UTC)),
                         ("day_2@1", datetime(2026, 12, 2, 3, 0, tzinfo=UTC))):
            c.execute(audit.update().where(audit.c.entity_id == code).values(at=at))

    def ids(start="", end=""):
        return [e.entity_id for e in read_paged(admin.ListAuditTrail, pb.ListAuditTrailRequest(
            entity_type="model", days=DateRange(start=start, end=end)), "entries", 1)]

    assert ids("2026-11-30", "2026-11-30") == ["day_0@1"]
    assert ids("2026-12-01") == ["day_2@1", "day_1@1"]
    assert ids(end="2026-12-01") == ["day_1@1", "day_0@1"]
    assert ids() == ["day_2@1", "day_1@1", "day_0@1"]
    with pytest.raises(grpc.RpcError) as err:
        admin.ListAuditTrail(pb.ListAuditTrailRequest(days=DateRange(start="2026-12-02", end="2026-11-31")),
                             timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(err.value)) == {"days.end"}


def _seed_period(env):
    # November 2026: the network group serves fgw well; the application group misses czj's SLA.
    good = [lifecycle("fgw", assignee=f"s{i % 2}", group="grp-network", start=datetime(2026, 11, 2 + i, 2, tzinfo=UTC),
                      resolution_s=3 * 3600, response_s=600, rating=5, ttype=("incident", "change")[i % 2],
                      outcome="successful") for i in range(6)]
    bad = [lifecycle("czj", assignee="s5" if i else "s6", group="grp-application",
                     start=datetime(2026, 11, 2 + i, 2, tzinfo=UTC),
                     resolution_s=30 * 3600, response_s=4000, sla_met=i % 3 == 0, rating=2, breach=True,
                     reopen=i == 1, catalogue=None) for i in range(6)]
    env.record([e for t in good + bad for e in t])


def test_a_plan_runs_end_to_end_with_roles_reports_and_rectification(env, tmp_path):
    _seed_period(env)
    admin = env.stub()
    model = admin.CreateModel(pb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=5).model
    assert model.version == 1 and len(model.indicators) == len(m.DEFAULT_MODEL.indicators) == 19
    runner = env.stub("director", ["evaluation.run", "evaluation.read"], ["om-centre"])
    scorer = env.stub("scorer", ["evaluation.score", "evaluation.read"], ["om-centre", "fgw", "czj"])
    reviewer = env.stub("reviewer", ["evaluation.review", "evaluation.read"], ["om-centre"])
    publisher = env.stub("publisher", ["evaluation.publish", "evaluation.read"], ["om-centre"])
    req = pb.CreatePlanRequest(
        name="2026年11月运维绩效评价", subject_org_unit_id="om-centre", subject_role="om_centre_director",
        model_code=m.DEFAULT_MODEL.code, period=DateRange(start="2026-11-01", end="2026-11-30"),
        objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="om-centre")]
        + [pb.EvaluationObject(kind=pb.OBJECT_KIND_GROUP, id=g, org_unit_id=u)
           for g, u in (("grp-network", "fgw"), ("grp-application", "czj"))]
        + [pb.EvaluationObject(kind=pb.OBJECT_KIND_PROCESS, id="incident", org_unit_id="gov")],
        idempotency_key="plan-2026-11")
    plan = runner.CreatePlan(req, timeout=5).plan
    assert runner.CreatePlan(req, timeout=5).plan.id == plan.id  # a retry makes no second plan
    assert plan.state == pb.PLAN_STATE_DRAFT

    def fails(call, code):
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == code, err.value.details()
        return err.value

    fails(lambda: runner.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=pb.PLAN_STATE_REVIEW), timeout=5),
          grpc.StatusCode.FAILED_PRECONDITION)
    fails(lambda: runner.PublishPlan(pb.PublishPlanRequest(id=plan.id), timeout=5), grpc.StatusCode.PERMISSION_DENIED)
    runner.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=pb.PLAN_STATE_DATA_COLLECTION), timeout=5)
    err = fails(lambda: scorer.SubmitManualScore(pb.SubmitManualScoreRequest(
        plan_id=plan.id, object_id="om-centre", indicator_code="org_rules_in_place", score=101, evidence=""),
        timeout=5), grpc.StatusCode.INVALID_ARGUMENT)
    assert set(_violations(err)) == {"score", "evidence"}
    scorer.SubmitManualScore(pb.SubmitManualScoreRequest(plan_id=plan.id, object_id="om-centre",
                             indicator_code="org_rules_in_place", score=50, evidence="制度汇编与执行记录"), timeout=5)
    for obj, duties in (("om-centre", 80), ("fgw/group/grp-network", 90), ("czj/group/grp-application", 70)):
        scorer.SubmitManualScore(pb.SubmitManualScoreRequest(plan_id=plan.id, object_id=obj,
                                 indicator_code="ind_position_duties", score=duties, evidence="岗位说明书"), timeout=5)
    plan = runner.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=pb.PLAN_STATE_SELF_ASSESSMENT), timeout=5).plan
    assert len(plan.results) == 4
    plan = runner.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=pb.PLAN_STATE_REVIEW), timeout=5).plan
    fails(
        lambda: publisher.PublishPlan(pb.PublishPlanRequest(id=plan.id), timeout=5), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert runner.GetPlan(pb.GetPlanRequest(id=plan.id), timeout=5).plan.state == pb.PLAN_STATE_REVIEW
    reviewer.SignOffScores(pb.SignOffScoresRequest(plan_id=plan.id), timeout=5)
    plan = publisher.PublishPlan(pb.PublishPlanRequest(id=plan.id), timeout=5).plan
    assert plan.state == pb.PLAN_STATE_PUBLISHED

    results = {r.object_id: r for r in plan.results}
    centre, fgw, czj = results["om-centre"], results["fgw/group/grp-network"], results["czj/group/grp-application"]
    assert len(centre.cell_scores) == 9 and set(centre.level_scores) == set(m.LEVELS)
    assert set(fgw.level_scores) == {"individual"}
    assert fgw.overall > czj.overall and (fgw.rank, czj.rank) == (1, 2)
    assert set(results["gov/incident"].level_scores) == {"process"}
    centre_rows = {r.code: r for r in centre.indicators}
    assert centre_rows["org_sla_attainment"].status == pb.INDICATOR_STATUS_BELOW_BASELINE
    assert centre_rows["org_rules_in_place"].actual == 50 and centre_rows["org_rules_in_place"].evidence
    assert {r.code: r for r in czj.indicators}["ind_personal_sla"].status == pb.INDICATOR_STATUS_BELOW_BASELINE

    # the department sees only the results about its own service; the evaluating unit sees all
    own = env.stub("czj-user", ["evaluation.read"], ["czj"]).GetPlan(pb.GetPlanRequest(id=plan.id), timeout=5).plan
    assert [r.object_id for r in own.results] == ["czj/group/grp-application"]
    fails(lambda: env.stub("gaj-user", ["evaluation.read"], ["gaj"]).GetPlan(pb.GetPlanRequest(id=plan.id), timeout=5),
          grpc.StatusCode.NOT_FOUND)

    # reports: PDF with Chinese text, XLSX with the four sheets
    pdf = admin.GetReport(pb.GetReportRequest(plan_id=plan.id, format=pb.REPORT_FORMAT_PDF), timeout=30)
    assert pdf.content.startswith(b"%PDF") and pdf.mime_type == "application/pdf"
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "r.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        for word in ("绩效评价结果报告", "九宫格热力图", "跨部门SLA达成率", "低于基线", "组织层"):
            assert word in text, word
    xlsx = admin.GetReport(
        pb.GetReportRequest(plan_id=plan.id, object_id="czj/group/grp-application", format=pb.REPORT_FORMAT_XLSX),
        timeout=30)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["排名", "九宫格", "指标明细", "趋势与发现"]
    assert {row[0] for row in wb["指标明细"].iter_rows(min_row=2, values_only=True)} == {"czj/group/grp-application"}

    # the closed loop: rectifications wait for their ticket, events and audit are recorded
    rects = admin.ListRectifications(pb.ListRectificationsRequest(org_unit_id="czj"), timeout=5).rectifications
    assert rects and all(r.state == pb.RECTIFICATION_STATE_PENDING_TICKET for r in rects)
    assert "ind_personal_sla" in {r.indicator_code for r in rects}
    assert {r.owner_position for r in rects} == {"pos-app-lead"}  # the group's lead, a real position
    with env.engine.connect() as c:
        types = set(c.execute(sa.text("SELECT type FROM outbox")).scalars())
    assert "govops.evaluation.evaluation_published.v1" in types
    trail = admin.ListAuditTrail(pb.ListAuditTrailRequest(entity_type="plan", entity_id=plan.id), timeout=5).entries
    assert {"plan_created", "manual_score_submitted", "manual_scores_signed_off", "plan_published"} <= {
        e.action for e in trail
    }


def test_rectification_ticket_tracking_and_accountability(env):
    _seed_period(env)
    uow = lambda: EvaluationUnitOfWork(env.engine)  # noqa: E731
    ev.create_model(ev.CreateModel(m.DEFAULT_MODEL), uow(), SYSTEM)
    from evaluation.domain.commands import AdvancePlan, CreatePlan, SignOffScores, SubmitManualScore

    plan = ev.create_plan(CreatePlan("十一月", "om-centre", "director", m.DEFAULT_MODEL.code, 0,
                                     datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date(),
                                     ({"kind": "group", "id": "grp-application", "org_unit_id": "czj"},)),
                          uow(), SYSTEM)
    for step in ("data_collection", "self_assessment"):
        ev.advance_plan(AdvancePlan(plan["id"], step), uow(), SYSTEM)
    ev.submit_manual_score(SubmitManualScore(plan["id"], "czj/group/grp-application", "ind_position_duties", 40,
                                             "证据"), uow(), SYSTEM)
    ev.advance_plan(AdvancePlan(plan["id"], "review"), uow(), SYSTEM)
    from govkit.auth import Principal, Scope

    reviewer = Principal("rev", "rev", (), frozenset({"*"}), Scope(None))
    ev.sign_off_scores(SignOffScores(plan["id"]), uow(), reviewer)
    ev.advance_plan(AdvancePlan(plan["id"], "published"), uow(), SYSTEM)

    calls = []

    def create_ticket(title, description, org_unit_id, category, priority, idempotency_key, **routing):
        assert routing["ticket_type"] == "rectification" and routing["position_id"] == "pos-app-lead"
        assert org_unit_id == "om-centre" and routing["group_id"] == "grp-application" and routing["due_date"]
        calls.append(idempotency_key)
        return {"ticket": {"id": f"T-{len(set(calls))}", "number": "REQ-1"}, "replayed": False}

    n = ev.open_pending_tickets(uow(), create_ticket, SYSTEM)
    assert n == len(calls) > 0 and ev.open_pending_tickets(uow(), create_ticket, SYSTEM) == 0
    rects = ev.list_rectifications("czj", "open", uow(), SYSTEM)
    assert all(r["state"] == "open" and r["ticket_id"] for r in rects)
    # the rectification ticket is resolved: the consumer closes the rectification
    first = rects[0]
    done = lifecycle("czj", ticket_id=first["ticket_id"], ttype="request")
    env.record(done)
    env.record(done)  # redelivered: closes nothing twice
    closed = list(ev.list_rectifications("czj", "closed", uow(), SYSTEM))
    assert [r["id"] for r in closed] == [first["id"]]
    # overdue: accountability escalates by the rules, once per level
    later = first["due_date"].replace(year=first["due_date"].year + 1)
    recorded = ev.run_accountability(uow(), SYSTEM, later)
    assert recorded and ev.run_accountability(uow(), SYSTEM, later) == []
    levels = {a["level"] for a in ev.list_accountability("czj", uow(), SYSTEM)}
    assert levels == {"reminder", "formal_talk", "notice_of_criticism", "referral"}
    with env.engine.connect() as c:
        types = list(c.execute(sa.text("SELECT type FROM outbox")).scalars())
    assert types.count("govops.evaluation.rectification_closed.v1") == 1
    assert types.count("govops.evaluation.rectification_opened.v1") == len(rects)
    assert "govops.evaluation.accountability_recorded.v1" in types
    with env.engine.connect() as c:  # overdue records name the owner and the days (notify tells the owner)
        overdue = [e["data"] for e in c.execute(sa.text(
            "SELECT envelope FROM outbox WHERE type = 'govops.evaluation.accountability_recorded.v1'")).scalars()]
    still_open = {r["id"]: r for r in rects[1:]}
    assert overdue and {d["rectification_id"] for d in overdue} == set(still_open)
    for d in overdue:
        r = still_open[d["rectification_id"]]
        assert (d["days_overdue"], d["owner_position"]) == ((later - r["due_date"]).days, r["owner_position"])
    # Over gRPC these lists are paged (issue 11, item 3): page after page covers the whole list once.
    admin = env.stub()
    accountability = read_paged(admin.ListAccountabilityRecords, pb.ListAccountabilityRecordsRequest(org_unit_id="czj"),
                            "records", 3)
    assert [a.id for a in accountability] == [a["id"] for a in ev.list_accountability("czj", uow(), SYSTEM)]
    every = read_paged(admin.ListRectifications, pb.ListRectificationsRequest(), "rectifications", 2)
    assert [r.id for r in every] == [r["id"] for r in ev.list_rectifications("", "", uow(), SYSTEM)]
    assert [x.id for x in read_paged(admin.ListPlans, pb.ListPlansRequest(), "plans", 1)] == [plan["id"]]



def test_live_kpis_below_baseline_open_one_rectification_per_month(env):
    now = datetime.now(UTC).replace(microsecond=0)
    from datetime import timedelta

    events = []
    for i in range(12):  # czj: a third of its tickets miss the SLA over the last days
        events += lifecycle("czj", group="grp-application", start=now - timedelta(days=1 + i % 5, hours=i),
                            sla_met=i % 3 != 0, rating=4)
    for _ in range(3):  # fgw, a customer department, is not scored on the O&M centre's KPIs
        events += lifecycle("fgw", start=now - timedelta(days=1), sla_met=False)
    env.record(events)
    uow = lambda: EvaluationUnitOfWork(env.engine)  # noqa: E731
    ev.create_model(ev.CreateModel(m.DEFAULT_MODEL), uow(), SYSTEM)
    opened = ev.check_live_baselines(uow(), env.store, SYSTEM)
    assert [k.split(":")[2:] for k in opened] == [["om-centre", "org_sla_attainment"]]
    assert ev.check_live_baselines(uow(), env.store, SYSTEM) == []
    rect = ev.list_rectifications("om-centre", "open", uow(), SYSTEM)
    assert len(rect) == 1 and rect[0]["plan_id"] is None and rect[0]["state"] == "pending_ticket"


def test_a_shortfall_lasting_two_periods_is_an_accountability_matter(env):
    from evaluation.domain.commands import AdvancePlan, CreatePlan, SignOffScores, SubmitManualScore
    from govkit.auth import Principal, Scope

    for month in (10, 11):  # czj misses its SLA in October and again in November
        env.record([e for i in range(4) for e in lifecycle(
            "czj", group="grp-application", start=datetime(2026, month, 3 + i, 2, tzinfo=UTC), sla_met=False,
            breach=True)])
    uow = lambda: EvaluationUnitOfWork(env.engine)  # noqa: E731
    ev.create_model(ev.CreateModel(m.DEFAULT_MODEL), uow(), SYSTEM)
    reviewer = Principal("rev", "rev", (), frozenset({"*"}), Scope(None))
    rects = {}
    for month, end in ((10, 31), (11, 30)):
        plan = ev.create_plan(CreatePlan(f"{month}月", "om-centre", "director", m.DEFAULT_MODEL.code, 0,
                                         datetime(2026, month, 1).date(), datetime(2026, month, end).date(),
                                         ({"kind": "group", "id": "grp-application", "org_unit_id": "czj"},)),
                              uow(), SYSTEM)
        for step in ("data_collection", "self_assessment"):
            ev.advance_plan(AdvancePlan(plan["id"], step), uow(), SYSTEM)
        ev.submit_manual_score(SubmitManualScore(plan["id"], "czj/group/grp-application", "ind_position_duties", 70,
                                                 "证据"), uow(), SYSTEM)
        ev.advance_plan(AdvancePlan(plan["id"], "review"), uow(), SYSTEM)
        ev.sign_off_scores(SignOffScores(plan["id"]), uow(), reviewer)
        published = ev.advance_plan(AdvancePlan(plan["id"], "published"), uow(), SYSTEM)
        rects[month] = {r["indicator_code"]: r for r in ev.list_rectifications("czj", "", uow(), SYSTEM)
                        if r["plan_id"] == plan["id"]}
    assert published["results"]["previous_plan_id"] is not None
    assert rects[10]["ind_personal_sla"]["periods_below"] == 1
    assert rects[11]["ind_personal_sla"]["periods_below"] == 2
    # not overdue yet: only the consecutive shortfall counts (reminder at 2 periods by default)
    recorded = ev.run_accountability(uow(), SYSTEM, datetime(2026, 11, 26).date())
    assert {(a["rectification_id"], a["level"]) for a in recorded} >= {
        (rects[11]["ind_personal_sla"]["id"], "reminder")
    }
    assert all(a["rectification_id"] != rects[10]["ind_personal_sla"]["id"] for a in recorded)
    with env.engine.connect() as c:  # a shortfall, not overdue: no days_overdue
        shortfalls = [e["data"] for e in c.execute(sa.text(
            "SELECT envelope FROM outbox WHERE type = 'govops.evaluation.accountability_recorded.v1'")).scalars()]
    assert shortfalls and all(d["days_overdue"] is None for d in shortfalls)


# ---- GetKpis paging (issue 11, item 3) -----------------------------------------------------


def test_get_kpis_is_paged_and_the_pages_cover_every_kpi_once(env):
    now = datetime.now(UTC).replace(microsecond=0)
    for dept, person in (("fgw", "s1"), ("czj", "s2"), ("gaj", "s3"), ("wjw", "s4")):
        env.record(lifecycle(dept, assignee=person, start=now - timedelta(hours=2)))
    flt = pb.KpiFilter(windows=["all", "today", "month"])
    whole = {(k.level, k.subject, k.name, k.window)
             for k in kpi_values(env.store.snapshot(handlers_filter(flt), lambda unit: True))}
    assert len(whole) > 300
    # read_paged: pages of at most 50, as many as the list needs, a token on all but the last
    seen = [(k.level, k.subject, k.name, k.window)
            for k in read_paged(env.stub().GetKpis, pb.GetKpisRequest(filter=flt), "kpis", 50)]
    assert len(seen) == len(set(seen)) and set(seen) == whole
    # Without a page size the reply is bounded (the default page), and a token continues it.
    first = env.stub().GetKpis(pb.GetKpisRequest(filter=flt), timeout=5)
    assert 0 < len(first.kpis) <= 500
    with pytest.raises(grpc.RpcError) as err:
        env.stub().GetKpis(pb.GetKpisRequest(page=PageRequest(page_token="garbage")), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page.page_token" in _violations(err.value)
    with pytest.raises(grpc.RpcError) as err:
        env.stub().GetKpis(pb.GetKpisRequest(page=PageRequest(page_size=-1)), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page.page_size" in _violations(err.value)


def kpi_values(values):
    from evaluation.grpc_api import kpi_to_pb

    return [kpi_to_pb(v) for v in values]


def handlers_filter(flt):
    from evaluation.grpc_api import _filter

    return _filter(flt)


def test_the_nine_grid_comes_in_one_call_with_model_comparison_and_trends(env):
    _seed_period(env)
    admin = env.stub()
    admin.CreateModel(pb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=5)
    runner = env.stub("director", ["evaluation.run", "evaluation.read"], ["om-centre"])
    objects = [pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="om-centre")] + [
        pb.EvaluationObject(kind=pb.OBJECT_KIND_GROUP, id=g, org_unit_id=u)
        for g, u in (("grp-network", "fgw"), ("grp-application", "czj"))]
    plans = []
    for month, end in (("2026-10", "31"), ("2026-11", "30")):
        plan = runner.CreatePlan(pb.CreatePlanRequest(
            name=f"{month} 评价", subject_org_unit_id="om-centre", subject_role="om_centre_director",
            model_code=m.DEFAULT_MODEL.code,
            period=DateRange(start=f"{month}-01", end=f"{month}-{end}"), objects=objects), timeout=5).plan
        for step in (pb.PLAN_STATE_DATA_COLLECTION, pb.PLAN_STATE_SELF_ASSESSMENT):
            runner.AdvancePlan(pb.AdvancePlanRequest(id=plan.id, to_state=step), timeout=5)
        plans.append(plan.id)
    october, november = plans

    grid = runner.GetNineGrid(pb.GetNineGridRequest(plan_id=november, compare_plan_id=october), timeout=5)
    assert grid.plan.id == november and len(grid.plan.results) == 3
    assert grid.model.code == m.DEFAULT_MODEL.code and grid.model.version == grid.plan.model_version
    sources = {i.code: (i.kind, i.kpi) for i in grid.model.indicators}
    assert sources["org_sla_attainment"] == (pb.INDICATOR_KIND_KPI, "sla_attainment_pct")
    assert grid.compare_plan.id == october and len(grid.compare_plan.results) == 3
    trends = {t.object_id: [(p.period_end, p.plan_id) for p in t.points] for t in grid.trends}
    assert trends["om-centre"] == [("2026-10-31", october), ("2026-11-30", november)]
    assert all(not r.indicators for r in grid.compare_plan.results)  # the comparison: scores only
    assert all(len(r.indicators) for r in grid.plan.results)
    # scores only: every object's cells, one object's indicator rows and findings
    light = runner.GetNineGrid(pb.GetNineGridRequest(plan_id=november, scores_only=True,
                                                     object_id="czj/group/grp-application"), timeout=5)
    assert {r.object_id: bool(r.indicators) for r in light.plan.results} == {
        "om-centre": False, "fgw/group/grp-network": False, "czj/group/grp-application": True}
    assert all(r.cell_scores for r in light.plan.results)
    first = runner.GetNineGrid(pb.GetNineGridRequest(plan_id=november, scores_only=True), timeout=5)
    assert [bool(r.indicators) for r in first.plan.results] == [True, False, False]
    # without a plan to compare and no previous plan (never published): no comparison
    assert not runner.GetNineGrid(pb.GetNineGridRequest(plan_id=november), timeout=5).HasField("compare_plan")

    # a department sees its own object only, in the plan, the comparison and the trends
    own = env.stub("czj-user", ["evaluation.read"], ["czj"]).GetNineGrid(
        pb.GetNineGridRequest(plan_id=november, compare_plan_id=october), timeout=5)
    assert [r.object_id for r in own.plan.results] == ["czj/group/grp-application"]
    assert [r.object_id for r in own.compare_plan.results] == ["czj/group/grp-application"]
    assert [t.object_id for t in own.trends] == ["czj/group/grp-application"]

    for request, code in ((pb.GetNineGridRequest(), grpc.StatusCode.INVALID_ARGUMENT),
                          (pb.GetNineGridRequest(plan_id="no-such-plan"), grpc.StatusCode.NOT_FOUND),
                          (pb.GetNineGridRequest(plan_id=november, compare_plan_id="no-such-plan"),
                           grpc.StatusCode.NOT_FOUND)):
        with pytest.raises(grpc.RpcError) as err:
            runner.GetNineGrid(request, timeout=5)
        assert err.value.code() == code
    with pytest.raises(grpc.RpcError) as err:
        env.stub("reader", ["ticket.read"]).GetNineGrid(pb.GetNineGridRequest(plan_id=november), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
