"""`govops eval …`: nine-grid models, evaluation plans, reports and supervision (over gRPC), and the
live KPIs (`govops eval kpi get|watch` over gRPC; `rebuild|check` against Redis and the facts)."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path

import grpc
import typer
from rich.live import Live

from govkit import config as govconfig
from govkit.cli_support import Listing, console, emit, emit_record, fail, file_format, grpc_channel, when
from govkit.client import all_pages
from govkit.protoconv import to_date_range

app = typer.Typer(help="Nine-grid evaluation: models, plans, reports, rectification, accountability",
                  no_args_is_help=True)
model_app = typer.Typer(help="Evaluation models", no_args_is_help=True)
plan_app = typer.Typer(help="Evaluation plans", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(plan_app, name="plan")
kpi_app = typer.Typer(help="Live KPIs", no_args_is_help=True)
app.add_typer(kpi_app, name="kpi")

_STATES = ("data_collection", "self_assessment", "review", "published", "archived")
PlanStep = Enum("PlanStep", {s: s for s in _STATES}, type=str)  # type: ignore[misc]
REPORT_FORMATS = ("pdf", "xlsx")  # what GetReport produces; nothing else is offered
ReportFormat = Enum("ReportFormat", {f: f for f in REPORT_FORMATS}, type=str)  # type: ignore[misc]
PLAN = typer.Argument(..., help="plan id")


def _stub():
    from govops.evaluation.v1 import evaluation_pb2_grpc

    ch = grpc_channel("evaluation")
    return ch, evaluation_pb2_grpc.EvaluationServiceStub(ch)


def _call(method: str, request, timeout: float = 30):
    ch, stub = _stub()
    with ch:
        try:
            return getattr(stub, method)(request, timeout=timeout)
        except grpc.RpcError as err:
            fail(err)


def _all(method: str, request, field: str, timeout: float = 30):
    """Every item of a paged list method, page after page."""
    ch, stub = _stub()
    with ch:
        try:
            return all_pages(getattr(stub, method), request, field, timeout=timeout)
        except grpc.RpcError as err:
            fail(err)


def _fmt(v) -> str:
    return "—" if v is None else f"{v:.2f}".rstrip("0").rstrip(".")


# ---- models ------------------------------------------------------------------------------
@model_app.command("list")
def model_list():
    """List stored models (every version)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Listing("Evaluation models", "code", "version", "name", "indicators")
    for mdl in _all("ListModels", pb.ListModelsRequest(), "models"):
        table.add_row(mdl.code, mdl.version, mdl.name, len(mdl.indicators))
    emit(table)


@model_app.command("show")
def model_show(code: str = typer.Argument("ninegrid_default", help="model code"),
               version: int = typer.Option(0, help="0 = latest")):
    """Show a model's nine cells and indicators."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    mdl = _call("GetModel", pb.GetModelRequest(code=code, version=version)).model
    table = Listing(f"{mdl.name} ({mdl.code} v{mdl.version})", "cell", "code", "indicator", "kind", "baseline",
                    "target", "weight", "rule")
    for i in mdl.indicators:
        table.add_row(f"{pb.Level.Name(i.level)[6:].lower()}.{pb.Dimension.Name(i.dimension)[10:].lower()}", i.code,
                      i.name, pb.IndicatorKind.Name(i.kind)[15:].lower(), i.baseline, i.target,
                      i.weight, pb.ScoringRule.Name(i.rule)[13:].lower())
    emit(table)


@model_app.command("create-default")
def model_create_default():
    """Store the shipped default nine-grid model (docs/evaluation-model.md) as a new version."""
    from evaluation.domain.model import DEFAULT_MODEL
    from evaluation.grpc_api import model_to_pb
    from govops.evaluation.v1 import evaluation_pb2 as pb

    mdl = _call("CreateModel", pb.CreateModelRequest(model=model_to_pb(DEFAULT_MODEL))).model
    emit_record({"code": mdl.code, "version": mdl.version}, f"stored {mdl.code} version {mdl.version}")


# ---- plans -------------------------------------------------------------------------------
@plan_app.command("create")
def plan_create(
    name: str = typer.Option(..., help="e.g. 2026年11月运维绩效评价"),
    subject_org_unit_id: str = typer.Option("om-centre", "--subject-org-unit", help="the evaluating org unit"),
    subject_role: str = typer.Option("om_centre_director", help="the evaluating role"),
    model: str = typer.Option("ninegrid_default", help="model code"),
    start: str = typer.Option(..., help="YYYY-MM-DD"),
    end: str = typer.Option(..., help="YYYY-MM-DD (inclusive)"),
    org_unit_ids: list[str] = typer.Option([], "--org-unit", help="org unit objects"),
    process: list[str] = typer.Option([], help="process objects as UNIT/PROCESS, e.g. gov/incident"),
    vendor: list[str] = typer.Option([], help="vendor objects as UNIT/VENDOR, e.g. om-centre/vendor-hx"),
    group: list[str] = typer.Option([], help="support group objects as UNIT/GROUP, e.g. om-centre/grp-network "
                                             "or fgw/grp-network (the group's work for the department it serves)"),
    person: list[str] = typer.Option([], help="staff objects as UNIT/STAFF, e.g. om-centre/E008"),
    department: list[str] = typer.Option([], help="customer departments, on the indicators they own"),
    idempotency_key: str | None = typer.Option(None, help="retry-safe key"),
):
    """Create an evaluation plan (draft)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    objects = [pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id=u) for u in org_unit_ids]
    for p in process:
        u, _, proc = p.partition("/")
        objects.append(pb.EvaluationObject(kind=pb.OBJECT_KIND_PROCESS, id=proc, org_unit_id=u))
    for v in vendor:
        u, _, vendor_id = v.partition("/")
        objects.append(pb.EvaluationObject(kind=pb.OBJECT_KIND_VENDOR, id=vendor_id, org_unit_id=u))
    for g in group:
        u, _, group_id = g.partition("/")
        objects.append(pb.EvaluationObject(kind=pb.OBJECT_KIND_GROUP, id=group_id, org_unit_id=u))
    for s in person:
        u, _, staff_id = s.partition("/")
        objects.append(pb.EvaluationObject(kind=pb.OBJECT_KIND_PERSON, id=staff_id, org_unit_id=u))
    objects += [pb.EvaluationObject(kind=pb.OBJECT_KIND_DEPARTMENT, id=d) for d in department]
    plan = _call("CreatePlan", pb.CreatePlanRequest(
        name=name, subject_org_unit_id=subject_org_unit_id, subject_role=subject_role, model_code=model,
        period=to_date_range(start, end), objects=objects, idempotency_key=idempotency_key or "")).plan
    emit_record(plan, f"plan [bold]{plan.id}[/bold] 「{plan.name}」 {pb.PlanState.Name(plan.state)}")


@plan_app.command("list")
def plan_list():
    """List plans the caller may see."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Listing("Evaluation plans", "id", "name", "period", "state", "objects")
    for p in _all("ListPlans", pb.ListPlansRequest(), "plans"):
        table.add_row(p.id, p.name, f"{p.period.start}..{p.period.end}", pb.PlanState.Name(p.state)[11:].lower(),
                      [o.id for o in p.objects])
    emit(table)


@plan_app.command("show")
def plan_show(plan_id: str = PLAN):
    """Show a plan's results: ranking and nine-grid per object."""
    from govkit.cli_support import json_output
    from govops.evaluation.v1 import evaluation_pb2 as pb

    p = _call("GetPlan", pb.GetPlanRequest(id=plan_id)).plan
    if json_output():
        emit_record(p)
        return
    console.print(f"[bold]{p.name}[/bold] {p.period.start}..{p.period.end} — {pb.PlanState.Name(p.state)}")
    table = Listing("Results", "rank", "object", "overall", "organization", "process", "individual")
    table.add_column("Δ previous", "delta")
    table.add_column("findings")
    for r in sorted(p.results, key=lambda r: r.rank or 999):
        table.add_row(str(r.rank or "—"), r.object_id, _fmt(r.overall if r.HasField("overall") else None),
                      *[_fmt(r.level_scores.get(level)) for level in ("organization", "process", "individual")],
                      _fmt(r.delta if r.HasField("delta") else None), str(len(r.findings)))
    emit(table)


@plan_app.command("advance")
def plan_advance(plan_id: str = PLAN, to: PlanStep = typer.Argument(..., help="the step to move to"),
                 override_no_data: str = typer.Option(
                     "", "--override-no-data", metavar="REASON",
                     help="publish although most indicators have no data for the period, for this reason "
                          "(recorded in the audit trail)")):
    """Move a plan to its next step (published/archived go through PublishPlan/ArchivePlan)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    if override_no_data and to.value != "published":
        raise typer.BadParameter("only when publishing", param_hint="--override-no-data")
    if to.value == "published":
        p = _call("PublishPlan", pb.PublishPlanRequest(id=plan_id, no_data_override_reason=override_no_data)).plan
    elif to.value == "archived":
        p = _call("ArchivePlan", pb.ArchivePlanRequest(id=plan_id)).plan
    else:
        state = pb.PlanState.ValueType(pb.PlanState.Value(f"PLAN_STATE_{to.value.upper()}"))
        p = _call("AdvancePlan", pb.AdvancePlanRequest(id=plan_id, to_state=state)).plan
    emit_record(p, f"plan {p.id}: {pb.PlanState.Name(p.state)}")


@plan_app.command("score")
def plan_score(plan_id: str = PLAN, object_id: str = typer.Argument(..., help="evaluated object id"),
               indicator: str = typer.Argument(..., help="indicator code"),
               score: float = typer.Argument(..., help="the score"),
               evidence: str = typer.Option(..., help="what the score rests on")):
    """Enter a manual score with its evidence."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    s = _call(
        "SubmitManualScore",
        pb.SubmitManualScoreRequest(
            plan_id=plan_id, object_id=object_id, indicator_code=indicator, score=score, evidence=evidence
        ),
    ).score
    emit_record(s, f"{s.object_id} {s.indicator_code} = {s.score:g} (by {s.scored_by})")


@plan_app.command("sign-off")
def plan_sign_off(plan_id: str = PLAN, object_id: list[str] = typer.Option([], help="only these objects")):
    """Reviewer sign-off of the manual scores."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    scores = _call("SignOffScores", pb.SignOffScoresRequest(plan_id=plan_id, object_ids=object_id)).scores
    emit_record({"signed_off": len(scores)}, f"signed off {len(scores)} scores")


@app.command("report")
def report(plan_id: str = PLAN, object_id: str = typer.Option("", help="one object; empty = whole plan"),
           format: ReportFormat = typer.Option("pdf", help="report format"),
           out: Path | None = typer.Option(None, help="file to write, ending in the format's suffix "
                                                      "(default: the server's file name)")):
    """Download a result report (PDF with the nine-grid heatmap, or XLSX)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    if out is not None:
        file_format(out, {f".{format.value}": format.value}, param="--out")
    fmt = pb.REPORT_FORMAT_XLSX if format.value == "xlsx" else pb.REPORT_FORMAT_PDF
    reply = _call("GetReport", pb.GetReportRequest(plan_id=plan_id, object_id=object_id, format=fmt), timeout=120)
    path = out or Path(reply.file_name)
    path.write_bytes(reply.content)
    emit_record({"file": str(path), "bytes": len(reply.content), "mime_type": reply.mime_type},
                f"wrote {path} ({len(reply.content)} bytes, {reply.mime_type})")


@app.command("rectifications")
def rectifications(org_unit_id: str = typer.Option("", "--org-unit", help="org unit"),
                   open_only: bool = typer.Option(False, help="open rectifications only")):
    """Supervision view: rectifications by unit."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Listing("Rectifications (整改)")
    for header, key in (("org unit", "org_unit_id"), ("object", "object_id"), ("indicator", None), ("actual", None),
                        ("baseline", None), ("owner", "owner_position"), ("due", "due_date"), ("state", None),
                        ("ticket", "ticket_id")):
        table.add_column(header, key)
    for r in _all("ListRectifications", pb.ListRectificationsRequest(org_unit_id=org_unit_id, open_only=open_only),
                  "rectifications"):
        table.add_row(r.org_unit_id, r.object_id, r.indicator_name, _fmt(r.actual if r.HasField("actual") else None),
                      _fmt(r.baseline if r.HasField("baseline") else None), r.owner_position, r.due_date,
                      pb.RectificationState.Name(r.state).removeprefix("RECTIFICATION_STATE_").lower(),
                      r.ticket_id)
    emit(table)


@app.command("vendors")
def vendors(vendor: str = typer.Option("", help="vendor id"), since: str = typer.Option("", help="YYYY-MM-DD"),
            until: str = typer.Option("", help="YYYY-MM-DD"),
            org_unit_id: str = typer.Option("", "--unit", "--org-unit",
                                            help="only contracts owned by this org unit (not its subtree)")):
    """Vendors as evaluated objects: SLA attainment and penalties per contract and period."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Listing("Vendor results (服务商考核)")
    for header, key in (("vendor", "vendor_id"), ("contract", "contract_id"), ("org unit", "org_unit_id"),
                        ("period", None), ("tickets", None), ("response %", "response_attainment_pct"),
                        ("resolution %", "resolution_attainment_pct"), ("breaches", None), ("penalty 元", "penalty")):
        table.add_column(header, key)
    request = pb.ListVendorResultsRequest(vendor_id=vendor, period=to_date_range(since, until), org_unit_id=org_unit_id)
    for r in _all("ListVendorResults", request, "results"):
        table.add_row(r.vendor_id, r.contract_id, r.org_unit_id, f"{r.period.start}–{r.period.end}", r.tickets,
                      r.response_attainment_pct, r.resolution_attainment_pct, r.breaches, r.penalty_total.amount)
    emit(table)


@app.command("accountability")
def accountability(org_unit_id: str = typer.Option("", "--org-unit", help="org unit"),
                   run: bool = typer.Option(False, help="apply the rules now first"),
                   as_of: str = typer.Option("", help="YYYY-MM-DD for --run (default today)")):
    """Supervision view: accountability records (问责) by unit."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    if run:
        got = _call("RunAccountability", pb.RunAccountabilityRequest(as_of_date=as_of)).recorded
        console.print(f"recorded {len(got)} new accountability records")
    table = Listing("Accountability (问责)")
    for header, key in (("org unit", "org_unit_id"), ("object", "object_id"), ("indicator", "indicator_code"),
                        ("level", None), ("reason", None), ("recorded", "recorded_at")):
        table.add_column(header, key)
    for a in _all("ListAccountabilityRecords", pb.ListAccountabilityRecordsRequest(org_unit_id=org_unit_id), "records"):
        level = pb.AccountabilityLevel.Name(a.level).removeprefix("ACCOUNTABILITY_LEVEL_").lower()
        table.add_row(a.org_unit_id, a.object_id, a.indicator_code, level, a.reason, a.recorded_at)
    emit(table)


def _days(text: str):
    """--days as a DateRange: "D" is that day, "A..B" the days from A to B (either may be empty). The
    dates themselves are checked by the service (INVALID_ARGUMENT naming days.start / days.end)."""
    start, sep, end = text.strip().partition("..")
    if ".." in end:
        raise typer.BadParameter(f"{text!r} is not YYYY-MM-DD or START..END", param_hint="--days")
    return to_date_range(start.strip(), end.strip() if sep else start.strip())


@app.command("audit")
def audit(entity_type: str = typer.Option("", help="only this kind of entity, e.g. plan"),
          entity_id: str = typer.Option("", help="only this entity"),
          limit: int = typer.Option(200, min=0, help="the newest N entries; 0 for the whole trail"),
          days: str = typer.Option("", help="only entries made on these China Standard Time days: YYYY-MM-DD (one "
                                             "day) or START..END, both inclusive; an end may be left open "
                                             "(2026-12-01..)")):
    """The audit trail, newest first."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Listing("audit trail", "at", "actor", "action", "entity type", "entity id", "detail")
    request = pb.ListAuditTrailRequest(entity_type=entity_type, entity_id=entity_id, days=_days(days))
    if limit:
        entries: list = []
        token = ""
        while len(entries) < limit:  # a page at a time (at most 1000 each) until the newest `limit`
            request.page.page_size, request.page.page_token = min(limit - len(entries), 1000), token
            reply = _call("ListAuditTrail", request)
            entries += reply.entries
            token = reply.page.next_page_token
            if not token:
                break
    else:
        entries = _all("ListAuditTrail", request, "entries")
    for e in entries:
        table.add_row(e.at, f"{e.actor_name}（{e.actor}）" if e.actor_name and e.actor_name != e.actor else e.actor,
                      e.action, e.entity_type, e.entity_id,
                      json.loads(e.detail_json) if e.detail_json else None)
    emit(table)


# ---- live KPIs (`govops eval kpi …`) ------------------------------------------------------------------------
def _kpi_request(org_unit_ids: list[str], name: list[str]):
    from govops.evaluation.v1 import evaluation_pb2 as pb

    return pb.KpiFilter(subjects=org_unit_ids, names=name)


def _kpi_rows(values: dict) -> Listing:
    table = Listing("GovOps live KPIs (organisation level)")
    for header, key in (("org unit", "subject"), ("KPI", "name"), ("window", None), ("value", None),
                        ("updated", "updated_at")):
        table.add_column(header, key)
    for (subject, name, window), (value, at) in sorted(values.items()):
        table.add_row(subject, name, window, value, at)
    return table


def _kpi_table(values: dict):
    return _kpi_rows(values).table()


@kpi_app.command("get")
def kpi_get(org_unit_ids: list[str] = typer.Option([], "--org-unit", help="org unit ids"),
            name: list[str] = typer.Option([], help="KPI names")):
    """Print a snapshot of the live KPIs."""
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    with grpc_channel("evaluation") as ch:
        try:
            found = all_pages(evaluation_pb2_grpc.EvaluationServiceStub(ch).GetKpis,
                              pb.GetKpisRequest(filter=_kpi_request(org_unit_ids, name)), "kpis", timeout=10)
        except grpc.RpcError as err:
            fail(err)
    emit(_kpi_rows({(k.subject, k.name, k.window): (k.value, k.updated_at) for k in found}))


@kpi_app.command("watch")
def kpi_watch(org_unit_ids: list[str] = typer.Option([], "--org-unit", help="org unit ids"),
              name: list[str] = typer.Option([], help="KPI names")):
    """Watch the live KPIs change (Ctrl-C to stop); with --output json, one line per change."""
    from contextlib import nullcontext

    from govkit.cli_support import json_output
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    values: dict = {}
    streaming = json_output()
    with (nullcontext() if streaming else Live(_kpi_table(values), console=console, refresh_per_second=10)) as live:
        while True:  # the server ends the stream UNAUTHENTICATED when the token expires: reconnect
            opened = time.monotonic()
            with grpc_channel("evaluation") as ch:  # a fresh (refreshed) token each time
                stream = evaluation_pb2_grpc.EvaluationServiceStub(ch).WatchKpis(
                    pb.WatchKpisRequest(filter=_kpi_request(org_unit_ids, name), include_snapshot=True))
                try:
                    for msg in stream:
                        k = msg.kpi
                        if streaming:
                            emit_record(k)
                            continue
                        values[(k.subject, k.name, k.window)] = (k.value, when(k.updated_at))
                        live.update(_kpi_table(values))
                    return
                except grpc.RpcError as err:
                    # an expiry mid-stream, not a token refused at the start (that would loop)
                    if err.code() == grpc.StatusCode.UNAUTHENTICATED and time.monotonic() - opened > 5:
                        continue
                    if err.code() != grpc.StatusCode.CANCELLED:
                        fail(err)
                    return
                except KeyboardInterrupt:
                    stream.cancel()
                    return


@kpi_app.command("rebuild")
def kpi_rebuild():
    """Flush the live KPIs in Redis and rebuild them from the facts in PostgreSQL."""
    from govkit.db import make_engine

    from .adapters.kpi_store import KpiStore
    from .adapters.uow import EvaluationUnitOfWork
    from .handlers import rebuild_live_kpis

    s = govconfig.load("evaluation")
    engine = make_engine(s.database_url, pool_size=1)
    n = rebuild_live_kpis(EvaluationUnitOfWork(engine), KpiStore.from_url(s.redis_url))
    emit_record({"facts": n}, f"rebuilt live KPIs from {n} facts")


@kpi_app.command("check")
def kpi_check(limit: int = typer.Option(20, help="differences to print")):
    """Compare the live KPIs in Redis with a recomputation from the facts; exit 1 on differences."""
    from govkit.db import make_engine

    from .adapters.kpi_store import KpiStore
    from .adapters.uow import EvaluationUnitOfWork
    from .handlers import check_live_kpis

    s = govconfig.load("evaluation")
    engine = make_engine(s.database_url, pool_size=1)
    n, diffs = check_live_kpis(EvaluationUnitOfWork(engine), KpiStore.from_url(s.redis_url))
    if not diffs:
        emit_record({"facts": n, "differences": 0}, f"live KPIs match the {n} facts")
        return
    table = Listing(f"{len(diffs)} differences between Redis and the {n} facts", "key", "field", "redis", "facts")
    for d in diffs[:limit]:
        table.add_row(d.key, d.field, d.redis, d.facts)
    emit(table)
    console.print("repair with [bold]govops eval kpi rebuild[/bold]")
    raise typer.Exit(1)
