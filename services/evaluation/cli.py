"""`govops eval …`: nine-grid models, evaluation plans, reports and supervision (over gRPC), and the
live KPIs (`govops eval kpi get|watch` over gRPC; `rebuild|check` against Redis and the facts)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import grpc
import typer
from rich.live import Live
from rich.table import Table

from govkit import config as govconfig
from govkit.cli_support import console, fail, grpc_channel
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

    reply = _call("ListModels", pb.ListModelsRequest())
    table = Table(title="Evaluation models")
    for col in ("code", "version", "name", "indicators"):
        table.add_column(col)
    for mdl in reply.models:
        table.add_row(mdl.code, str(mdl.version), mdl.name, str(len(mdl.indicators)))
    console.print(table)


@model_app.command("show")
def model_show(code: str = typer.Argument("ninegrid_default"), version: int = typer.Option(0, help="0 = latest")):
    """Show a model's nine cells and indicators."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    mdl = _call("GetModel", pb.GetModelRequest(code=code, version=version)).model
    table = Table(title=f"{mdl.name} ({mdl.code} v{mdl.version})")
    for col in ("cell", "code", "indicator", "kind", "baseline", "target", "weight", "rule"):
        table.add_column(col)
    for i in mdl.indicators:
        table.add_row(f"{pb.Level.Name(i.level)[6:].lower()}.{pb.Dimension.Name(i.dimension)[10:].lower()}", i.code,
                      i.name, pb.IndicatorKind.Name(i.kind)[15:].lower(), _fmt(i.baseline), _fmt(i.target),
                      _fmt(i.weight), pb.ScoringRule.Name(i.rule)[13:].lower())
    console.print(table)


@model_app.command("create-default")
def model_create_default():
    """Store the shipped default nine-grid model (docs/evaluation-model.md) as a new version."""
    from evaluation.domain.model import DEFAULT_MODEL
    from evaluation.grpc_api import model_to_pb
    from govops.evaluation.v1 import evaluation_pb2 as pb

    mdl = _call("CreateModel", pb.CreateModelRequest(model=model_to_pb(DEFAULT_MODEL))).model
    console.print(f"stored {mdl.code} version {mdl.version}")


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
    plan = _call("CreatePlan", pb.CreatePlanRequest(
        name=name, subject_org_unit_id=subject_org_unit_id, subject_role=subject_role, model_code=model,
        period=to_date_range(start, end), objects=objects, idempotency_key=idempotency_key or "")).plan
    console.print(f"plan [bold]{plan.id}[/bold] 「{plan.name}」 {pb.PlanState.Name(plan.state)}")


@plan_app.command("list")
def plan_list():
    """List plans the caller may see."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Table(title="Evaluation plans")
    for col in ("id", "name", "period", "state", "objects"):
        table.add_column(col)
    for p in _all("ListPlans", pb.ListPlansRequest(), "plans"):
        table.add_row(p.id, p.name, f"{p.period.start}..{p.period.end}", pb.PlanState.Name(p.state)[11:].lower(),
                      ", ".join(o.id for o in p.objects))
    console.print(table)


@plan_app.command("show")
def plan_show(plan_id: str):
    """Show a plan's results: ranking and nine-grid per object."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    p = _call("GetPlan", pb.GetPlanRequest(id=plan_id)).plan
    console.print(f"[bold]{p.name}[/bold] {p.period.start}..{p.period.end} — {pb.PlanState.Name(p.state)}")
    table = Table(title="Results")
    for col in ("rank", "object", "overall", "organization", "process", "individual", "Δ previous", "findings"):
        table.add_column(col)
    for r in sorted(p.results, key=lambda r: r.rank or 999):
        table.add_row(str(r.rank or "—"), r.object_id, _fmt(r.overall if r.HasField("overall") else None),
                      *[_fmt(r.level_scores.get(level)) for level in ("organization", "process", "individual")],
                      _fmt(r.delta if r.HasField("delta") else None), str(len(r.findings)))
    console.print(table)


@plan_app.command("advance")
def plan_advance(plan_id: str, to: str = typer.Argument(..., help="|".join(_STATES))):
    """Move a plan to its next step (published/archived go through PublishPlan/ArchivePlan)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    if to == "published":
        p = _call("PublishPlan", pb.PublishPlanRequest(id=plan_id)).plan
    elif to == "archived":
        p = _call("ArchivePlan", pb.ArchivePlanRequest(id=plan_id)).plan
    else:
        state = pb.PlanState.ValueType(getattr(pb, f"PLAN_STATE_{to.upper()}", 0))
        p = _call("AdvancePlan", pb.AdvancePlanRequest(id=plan_id, to_state=state)).plan
    console.print(f"plan {p.id}: {pb.PlanState.Name(p.state)}")


@plan_app.command("score")
def plan_score(plan_id: str, object_id: str, indicator: str, score: float,
               evidence: str = typer.Option(..., help="what the score rests on")):
    """Enter a manual score with its evidence."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    s = _call(
        "SubmitManualScore",
        pb.SubmitManualScoreRequest(
            plan_id=plan_id, object_id=object_id, indicator_code=indicator, score=score, evidence=evidence
        ),
    ).score
    console.print(f"{s.object_id} {s.indicator_code} = {s.score:g} (by {s.scored_by})")


@plan_app.command("sign-off")
def plan_sign_off(plan_id: str, object_id: list[str] = typer.Option([], help="only these objects")):
    """Reviewer sign-off of the manual scores."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    scores = _call("SignOffScores", pb.SignOffScoresRequest(plan_id=plan_id, object_ids=object_id)).scores
    console.print(f"signed off {len(scores)} scores")


@app.command("report")
def report(plan_id: str, object_id: str = typer.Option("", help="one object; empty = whole plan"),
           format: str = typer.Option("pdf", help="pdf|xlsx"),
           out: Path | None = typer.Option(None, help="file to write (default: the server's file name)")):
    """Download a result report (PDF with the nine-grid heatmap, or XLSX)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    fmt = pb.REPORT_FORMAT_XLSX if format == "xlsx" else pb.REPORT_FORMAT_PDF
    reply = _call("GetReport", pb.GetReportRequest(plan_id=plan_id, object_id=object_id, format=fmt), timeout=120)
    path = out or Path(reply.file_name)
    path.write_bytes(reply.content)
    console.print(f"wrote {path} ({len(reply.content)} bytes, {reply.mime_type})")


@app.command("rectifications")
def rectifications(org_unit_id: str = typer.Option("", "--org-unit", help="org unit"),
                   open_only: bool = typer.Option(False)):
    """Supervision view: rectifications by unit."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Table(title="Rectifications (整改)")
    for col in ("org unit", "object", "indicator", "actual", "baseline", "owner", "due", "state", "ticket"):
        table.add_column(col)
    for r in _all("ListRectifications", pb.ListRectificationsRequest(org_unit_id=org_unit_id, open_only=open_only),
                  "rectifications"):
        table.add_row(r.org_unit_id, r.object_id, r.indicator_name, _fmt(r.actual if r.HasField("actual") else None),
                      _fmt(r.baseline if r.HasField("baseline") else None), r.owner_position, r.due_date,
                      pb.RectificationState.Name(r.state).removeprefix("RECTIFICATION_STATE_").lower(),
                      r.ticket_id)
    console.print(table)


@app.command("vendors")
def vendors(vendor: str = typer.Option("", help="vendor id"), since: str = typer.Option("", help="YYYY-MM-DD"),
            until: str = typer.Option("", help="YYYY-MM-DD")):
    """Vendors as evaluated objects: SLA attainment and penalties per contract and period."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    table = Table(title="Vendor results (服务商考核)")
    for col in ("vendor", "contract", "org unit", "period", "tickets", "response %", "resolution %", "breaches",
                "penalty 元"):
        table.add_column(col)
    for r in _call("ListVendorResults", pb.ListVendorResultsRequest(vendor_id=vendor,
                                                                     period=to_date_range(since, until))).results:
        table.add_row(r.vendor_id, r.contract_id[:8], r.org_unit_id, f"{r.period.start}–{r.period.end}", str(r.tickets),
                      r.response_attainment_pct, r.resolution_attainment_pct, str(r.breaches), r.penalty_total.amount)
    console.print(table)


@app.command("accountability")
def accountability(org_unit_id: str = typer.Option("", "--org-unit", help="org unit"),
                   run: bool = typer.Option(False, help="apply the rules now first"),
                   as_of: str = typer.Option("", help="YYYY-MM-DD for --run (default today)")):
    """Supervision view: accountability records (问责) by unit."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    if run:
        got = _call("RunAccountability", pb.RunAccountabilityRequest(as_of_date=as_of)).recorded
        console.print(f"recorded {len(got)} new accountability records")
    table = Table(title="Accountability (问责)")
    for col in ("org unit", "object", "indicator", "level", "reason", "recorded"):
        table.add_column(col)
    for a in _all("ListAccountabilityRecords", pb.ListAccountabilityRecordsRequest(org_unit_id=org_unit_id), "records"):
        level = pb.AccountabilityLevel.Name(a.level).removeprefix("ACCOUNTABILITY_LEVEL_").lower()
        table.add_row(a.org_unit_id, a.object_id, a.indicator_code, level, a.reason, a.recorded_at.ToJsonString())
    console.print(table)


@app.command("audit")
def audit(entity_type: str = typer.Option(""), entity_id: str = typer.Option("")):
    """The audit trail."""
    from govops.evaluation.v1 import evaluation_pb2 as pb

    for e in _call("ListAuditTrail", pb.ListAuditTrailRequest(entity_type=entity_type, entity_id=entity_id)).entries:
        console.print(f"{e.at.ToJsonString()} {e.actor} {e.action} {e.entity_type}:{e.entity_id} "
                      f"{json.loads(e.detail_json) if e.detail_json else ''}")


# ---- live KPIs (`govops eval kpi …`) ------------------------------------------------------------------------
def _kpi_request(org_unit_ids: list[str], name: list[str]):
    from govops.evaluation.v1 import evaluation_pb2 as pb

    return pb.KpiFilter(subjects=org_unit_ids, names=name)


def _kpi_table(values: dict) -> Table:
    table = Table(title="GovOps live KPIs (organisation level)")
    for col in ("org unit", "KPI", "window", "value", "updated"):
        table.add_column(col)
    for (subject, name, window), (value, at) in sorted(values.items()):
        table.add_row(subject, name, window, f"{value:g}", at)
    return table


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
    console.print(_kpi_table({(k.subject, k.name, k.window): (k.value, k.updated_at.ToJsonString())
                              for k in found}))


@kpi_app.command("watch")
def kpi_watch(org_unit_ids: list[str] = typer.Option([], "--org-unit", help="org unit ids"),
              name: list[str] = typer.Option([], help="KPI names")):
    """Watch the live KPIs change (Ctrl-C to stop)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    values: dict = {}
    with Live(_kpi_table(values), console=console, refresh_per_second=10) as live:
        while True:  # the server ends the stream UNAUTHENTICATED when the token expires: reconnect
            opened = time.monotonic()
            with grpc_channel("evaluation") as ch:  # a fresh (refreshed) token each time
                stream = evaluation_pb2_grpc.EvaluationServiceStub(ch).WatchKpis(
                    pb.WatchKpisRequest(filter=_kpi_request(org_unit_ids, name), include_snapshot=True))
                try:
                    for msg in stream:
                        k = msg.kpi
                        values[(k.subject, k.name, k.window)] = (k.value, k.updated_at.ToJsonString())
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
    console.print(f"rebuilt live KPIs from {n} facts")


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
        console.print(f"live KPIs match the {n} facts")
        return
    table = Table(title=f"{len(diffs)} differences between Redis and the {n} facts")
    for col in ("key", "field", "redis", "facts"):
        table.add_column(col)
    for d in diffs[:limit]:
        table.add_row(d.key, d.field, f"{d.redis}", f"{d.facts}")
    console.print(table)
    console.print("repair with [bold]govops eval kpi rebuild[/bold]")
    raise typer.Exit(1)
