"""evaluation-grpc: govops.evaluation.v1.EvaluationService."""

from __future__ import annotations

import json
import queue
import time
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

import redis

from govkit.db import make_engine
from govkit.errors import InvalidArgument, Unauthenticated, Validator
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govkit.protoconv import (
    date_range,
    decode_page_token,
    encode_page_token,
    money,
    offset_page,
    page,
    page_offset,
    page_response,
    page_size,
    timestamp,
    to_date_range,
)
from govops.evaluation.v1 import evaluation_pb2 as pb
from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc

from . import handlers
from . import handlers_eval as ev
from .adapters.kpi_store import KpiHub, KpiStore
from .adapters.uow import EvaluationUnitOfWork
from .domain import model as m
from .domain.commands import AdvancePlan, CreateModel, CreatePlan, GetReport, SignOffScores, SubmitManualScore
from .domain.kpis import CST, KpiFilter, KpiValue, Level

PERMISSIONS = {
    "GetKpis": "evaluation.read",
    "WatchKpis": "evaluation.read",
    "GetKpiSeries": "evaluation.read",
    "CreateModel": "evaluation.model.write",
    "ValidateModel": "evaluation.model.write",
    "GetModel": "evaluation.read",
    "ListModels": "evaluation.read",
    "CreatePlan": "evaluation.run",
    "GetPlan": "evaluation.read",
    "ListPlans": "evaluation.read",
    "AdvancePlan": "evaluation.run",
    "SubmitManualScore": "evaluation.score",
    "SignOffScores": "evaluation.review",
    "PublishPlan": "evaluation.publish",
    "ArchivePlan": "evaluation.publish",
    "GetReport": "evaluation.read",
    "GetNineGrid": "evaluation.read",
    "ListRectifications": "evaluation.read",
    "ListVendorResults": "evaluation.read",
    "ListAccountabilityRecords": "evaluation.read",
    "RunAccountability": "evaluation.accountability",
    "ListAuditTrail": "evaluation.read",
}

_LEVEL = {pb.LEVEL_ORGANIZATION: Level.ORGANIZATION, pb.LEVEL_PROCESS: Level.PROCESS,
          pb.LEVEL_INDIVIDUAL: Level.INDIVIDUAL}
_LEVEL_PB = {v: k for k, v in _LEVEL.items()}
_LEVEL_STR = {k: v.value for k, v in _LEVEL.items()}
_LEVEL_STR_PB = {v: k for k, v in _LEVEL_STR.items()}
_DIM = {pb.DIMENSION_GOALS: "goals", pb.DIMENSION_DESIGN: "design", pb.DIMENSION_MANAGEMENT: "management"}
_DIM_PB = {v: k for k, v in _DIM.items()}
_KIND = {pb.INDICATOR_KIND_KPI: "kpi", pb.INDICATOR_KIND_FORMULA: "formula", pb.INDICATOR_KIND_MANUAL: "manual"}
_KIND_PB = {v: k for k, v in _KIND.items()}
_DIR = {pb.DIRECTION_HIGHER_BETTER: "higher_better", pb.DIRECTION_LOWER_BETTER: "lower_better"}
_DIR_PB = {v: k for k, v in _DIR.items()}
_RULE = {pb.SCORING_RULE_LINEAR: "linear", pb.SCORING_RULE_BANDED: "banded",
         pb.SCORING_RULE_PASS_FAIL: "pass_fail", pb.SCORING_RULE_DIRECT: "direct"}
_RULE_PB = {v: k for k, v in _RULE.items()}
_OBJ = {pb.OBJECT_KIND_ORG_UNIT: "org_unit", pb.OBJECT_KIND_PROCESS: "process",
        pb.OBJECT_KIND_PERSON: "person", pb.OBJECT_KIND_GROUP: "group", pb.OBJECT_KIND_VENDOR: "vendor",
        pb.OBJECT_KIND_DEPARTMENT: "department"}
_OBJ_PB = {v: k for k, v in _OBJ.items()}
_STATE = {pb.PLAN_STATE_DRAFT: "draft", pb.PLAN_STATE_DATA_COLLECTION: "data_collection",
          pb.PLAN_STATE_SELF_ASSESSMENT: "self_assessment", pb.PLAN_STATE_REVIEW: "review",
          pb.PLAN_STATE_PUBLISHED: "published", pb.PLAN_STATE_ARCHIVED: "archived"}
_STATE_PB = {v: k for k, v in _STATE.items()}


# ---- KPIs --------------------------------------------------------------------------------
def _filter(msg: pb.KpiFilter) -> KpiFilter:
    return KpiFilter(level=_LEVEL.get(msg.level), subjects=frozenset(msg.subjects), names=frozenset(msg.names),
                     org_unit_ids=frozenset(msg.org_unit_ids), processes=frozenset(msg.processes),
                     persons=frozenset(msg.persons), groups=frozenset(msg.groups),
                     windows=frozenset(msg.windows))


def _words(prefix: str, *words: str) -> dict[str, Any]:
    """domain word → enum number, for enums whose values are `<PREFIX>_<WORD>`."""
    return {w: getattr(pb, f"{prefix}_{w.upper()}") for w in words}


_INDICATOR_STATUS_PB = _words("INDICATOR_STATUS", "ok", "below_baseline", "no_data")
_RECTIFICATION_STATE_PB = _words("RECTIFICATION_STATE", "pending_ticket", "open", "closed")
_ACCOUNTABILITY_PB = _words("ACCOUNTABILITY_LEVEL", "reminder", "formal_talk", "notice_of_criticism", "referral")


def kpi_to_pb(v: KpiValue) -> pb.Kpi:
    kpi = pb.Kpi(level=_LEVEL_PB[v.key.level], subject=v.key.subject, name=v.name, value=v.value,
                 window=v.key.window)
    if v.updated_at:
        kpi.updated_at.CopyFrom(timestamp(v.updated_at))
    return kpi


def _date(field: str, text: str, v: Validator, required: bool = True) -> date | None:
    if not text:
        if required:
            v.fail(field, "must be set (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        v.fail(field, f"is not a date (YYYY-MM-DD): {text!r}")
        return None


# ---- models ------------------------------------------------------------------------------
def model_from_pb(msg: pb.Model) -> m.Model:
    lw = msg.level_weights
    acc = None
    if msg.HasField("accountability"):
        a = msg.accountability
        acc = m.AccountabilityRules(rectification_days=a.rectification_days or 30,
                                    overdue_days=dict(a.overdue_days) or m.AccountabilityRules().overdue_days,
                                    periods_below=dict(a.periods_below) or m.AccountabilityRules().periods_below)
    weights = {"organization": lw.organization, "process": lw.process, "individual": lw.individual}
    indicators = tuple(m.Indicator(
        code=i.code, name=i.name, level=_LEVEL_STR.get(i.level, ""), dimension=_DIM.get(i.dimension, ""),
        kind=_KIND.get(i.kind, ""), kpi=i.kpi, formula=i.formula, process=i.process, aggregate=i.aggregate,
        direction=_DIR.get(i.direction, "higher_better"), unit=i.unit, baseline=i.baseline, target=i.target,
        weight=i.weight, rule=_RULE.get(i.rule, "linear"), bands=tuple(m.Band(b.bound, b.score) for b in i.bands),
        owner_position=i.owner_position, description=i.description,
        applies_to=tuple(_OBJ.get(k, "") for k in i.applies_to) or m.OM_OBJECT_KINDS) for i in msg.indicators)
    return m.Model(code=msg.code, name=msg.name, description=msg.description, indicators=indicators,
                   level_weights={k: w for k, w in weights.items() if w} if any(weights.values()) else {},
                   **({"accountability": acc} if acc else {}))  # type: ignore[arg-type]


def model_to_pb(model: m.Model) -> pb.Model:
    a = model.accountability
    return pb.Model(
        code=model.code,
        version=model.version,
        name=model.name,
        description=model.description,
        level_weights=pb.LevelWeights(**{k: float(model.level_weights.get(k, 0)) for k in m.LEVELS}),
        accountability=pb.AccountabilityRules(
            rectification_days=a.rectification_days, overdue_days=a.overdue_days, periods_below=a.periods_below
        ),
        indicators=[
            pb.Indicator(
                code=i.code,
                name=i.name,
                level=_LEVEL_STR_PB.get(i.level, pb.LEVEL_UNSPECIFIED),
                dimension=_DIM_PB.get(i.dimension, pb.DIMENSION_UNSPECIFIED),
                kind=_KIND_PB.get(i.kind, pb.INDICATOR_KIND_UNSPECIFIED),
                kpi=i.kpi,
                formula=i.formula,
                process=i.process,
                aggregate=i.aggregate,
                direction=_DIR_PB.get(i.direction, pb.DIRECTION_UNSPECIFIED),
                unit=i.unit,
                baseline=i.baseline,
                target=i.target,
                weight=i.weight,
                rule=_RULE_PB.get(i.rule, pb.SCORING_RULE_UNSPECIFIED),
                bands=[pb.Band(bound=b.bound, score=b.score) for b in i.bands],
                owner_position=i.owner_position,
                description=i.description,
                applies_to=[_OBJ_PB[k] for k in i.applies_to if k in _OBJ_PB],
            )
            for i in model.indicators
        ],
    )


# ---- plans -------------------------------------------------------------------------------
def _obj_pb(o: dict) -> pb.EvaluationObject:
    return pb.EvaluationObject(kind=_OBJ_PB.get(o["kind"], pb.OBJECT_KIND_UNSPECIFIED), id=o["id"],
                               org_unit_id=o["org_unit_id"])


def _score_pb(s: dict) -> pb.ManualScore:
    return pb.ManualScore(plan_id=s["plan_id"], object_id=s["object_id"], indicator_code=s["indicator_code"],
                          score=s["score"], evidence=s["evidence"], scored_by=s["scored_by"],
                          reviewed_by=s.get("reviewed_by") or "")


def _result_pb(r: dict) -> pb.ObjectResult:
    out = pb.ObjectResult(object=_obj_pb(r["object"]), object_id=r["object_id"], rank=r.get("rank") or 0,
                          findings=r.get("findings", []),
                          level_scores={k: v for k, v in r["levels"].items() if v is not None},
                          cell_scores={k: v for k, v in r["cells"].items() if v is not None})
    for k in ("overall", "previous_overall", "delta"):
        if r.get(k) is not None:
            setattr(out, k, r[k])
    for ind in r["indicators"]:
        row = pb.IndicatorResult(code=ind["code"], name=ind["name"], level=_LEVEL_STR_PB[ind["level"]],
                                 dimension=_DIM_PB[ind["dimension"]], unit=ind["unit"], baseline=ind["baseline"],
                                 target=ind["target"], weight=ind["weight"],
                                 status=_INDICATOR_STATUS_PB.get(ind["status"], pb.INDICATOR_STATUS_UNSPECIFIED),
                                 manual=ind["manual"], evidence=ind.get("evidence") or "")
        for k in ("actual", "score", "previous_actual"):
            if ind.get(k) is not None:
                setattr(row, k, ind[k])
        out.indicators.append(row)
    return out


def plan_to_pb(plan: dict) -> pb.Plan:
    results = plan.get("results") or {}
    return pb.Plan(id=plan["id"], name=plan["name"], subject_org_unit_id=plan["subject_org_unit_id"],
                   subject_role=plan["subject_role"], model_code=plan["model_code"],
                   model_version=plan["model_version"], period=to_date_range(plan["period_start"], plan["period_end"]),
                   objects=[_obj_pb(o) for o in plan["objects"]],
                   state=_STATE_PB[plan["state"]], results=[_result_pb(r) for r in results.get("objects", [])],
                   manual_scores=[_score_pb(s) for s in plan.get("manual_scores", [])],
                   previous_plan_id=results.get("previous_plan_id") or "", created_by=plan["created_by"])


def _rect_pb(r: dict) -> pb.Rectification:
    out = pb.Rectification(id=r["id"], plan_id=r["plan_id"] or "", object_id=r["object_id"],
                           org_unit_id=r["org_unit_id"],
                           indicator_code=r["indicator_code"], indicator_name=r["indicator_name"],
                           owner_position=r["owner_position"], due_date=r["due_date"].isoformat(),
                           actions=r["actions"],
                           state=_RECTIFICATION_STATE_PB.get(r["state"], pb.RECTIFICATION_STATE_UNSPECIFIED),
                           ticket_id=r["ticket_id"] or "",
                           periods_below=r["periods_below"], opened_at=timestamp(r["opened_at"]))
    for k in ("actual", "baseline"):
        if r.get(k) is not None:
            setattr(out, k, r[k])
    if r.get("closed_at"):
        out.closed_at.CopyFrom(timestamp(r["closed_at"]))
    return out


def _acc_pb(a: dict) -> pb.AccountabilityRecord:
    out = pb.AccountabilityRecord(id=a["id"], rectification_id=a["rectification_id"], org_unit_id=a["org_unit_id"],
                                  object_id=a.get("object_id", ""), indicator_code=a.get("indicator_code", ""),
                                  level=_ACCOUNTABILITY_PB.get(a["level"], pb.ACCOUNTABILITY_LEVEL_UNSPECIFIED),
                                  reason=a["reason"], recorded_by=a.get("recorded_by", ""))
    if a.get("recorded_at"):
        out.recorded_at.CopyFrom(timestamp(a["recorded_at"]))
    return out


def _check_unexpired(expires: float) -> None:
    """End a stream whose token has expired: UNAUTHENTICATED, and the client reconnects with a fresh one."""
    if time.time() >= expires:
        raise Unauthenticated("token expired; reconnect with a fresh token")


class EvaluationServicer(pb_grpc.EvaluationServiceServicer):
    def __init__(self, store: KpiStore, hub: KpiHub, engine=None):
        self.store, self.hub, self.engine = store, hub, engine

    def uow(self) -> EvaluationUnitOfWork:
        return EvaluationUnitOfWork(self.engine)

    # -- KPIs ----------------------------------------------------------------------------
    def GetKpis(self, request, context):
        values, token, total = handlers.get_kpis_page(_filter(request.filter), self.store, principal(),
                                                      *page(request.page))
        return pb.GetKpisResponse(kpis=[kpi_to_pb(v) for v in values], page=page_response(token, total))

    def WatchKpis(self, request, context):
        caller, flt = principal(), _filter(request.filter)
        handlers.check_filter(flt)
        # The token was checked once, when the call started; the stream must not outlive it. Access
        # tokens are not revocable one by one (only org's refresh tokens are): expiry is the limit.
        expires = float(caller.claims.get("exp", "inf"))
        changes = self.hub.subscribe(flt, caller.scope.allows)  # before the snapshot: nothing falls between
        try:
            if request.include_snapshot:
                for v in handlers.get_kpis(flt, self.store, caller):
                    _check_unexpired(expires)
                    yield pb.WatchKpisResponse(kpi=kpi_to_pb(v), snapshot=True)
            while context.is_active():
                _check_unexpired(expires)
                try:
                    batch = changes.get(timeout=max(0.0, min(1.0, expires - time.time())))
                except queue.Empty:
                    continue
                _check_unexpired(expires)
                if batch is None:
                    return
                for v in batch:
                    yield pb.WatchKpisResponse(kpi=kpi_to_pb(v))
        finally:
            self.hub.unsubscribe(changes)

    def GetKpiSeries(self, request, context):
        start, end = date_range(request.dates, "dates", end_required=True)
        points = handlers.get_kpi_series(handlers.GetKpiSeries(
            _LEVEL.get(request.level), request.subject, frozenset(request.names), start, end), self.store, principal())
        return pb.GetKpiSeriesResponse(points=[pb.KpiSeriesPoint(date=d.isoformat(), values=vals)
                                               for d, vals in points])

    # -- models --------------------------------------------------------------------------
    def CreateModel(self, request, context):
        model = ev.create_model(CreateModel(model_from_pb(request.model)), self.uow(), principal())
        return pb.CreateModelResponse(model=model_to_pb(model))

    def ValidateModel(self, request, context):
        ev.create_model(CreateModel(model_from_pb(request.model), dry_run=True), self.uow(), principal())
        return pb.ValidateModelResponse(valid=True)

    def GetModel(self, request, context):
        if not request.code:
            raise InvalidArgument(field="code", reason="must not be empty")
        return pb.GetModelResponse(
            model=model_to_pb(ev.get_model(request.code, request.version, self.uow(), principal()))
        )

    def ListModels(self, request, context):
        models, paging = offset_page(ev.list_models(self.uow(), principal()), request.page)
        return pb.ListModelsResponse(models=[model_to_pb(x) for x in models], page=paging)

    # -- plans ---------------------------------------------------------------------------
    def CreatePlan(self, request, context):
        start, end = date_range(request.period, "period", end_required=True)
        cmd = CreatePlan(request.name, request.subject_org_unit_id, request.subject_role, request.model_code,
                         request.model_version, start, end,
                         tuple({"kind": _OBJ.get(o.kind, ""), "id": o.id,
                                "org_unit_id": o.org_unit_id} for o in request.objects),
                         request.idempotency_key)
        return pb.CreatePlanResponse(plan=plan_to_pb(ev.create_plan(cmd, self.uow(), principal())))

    def GetPlan(self, request, context):
        return pb.GetPlanResponse(plan=plan_to_pb(ev.get_plan(request.id, self.uow(), principal())))

    def ListPlans(self, request, context):
        plans, paging = offset_page(ev.list_plans(_STATE.get(request.state, ""), self.uow(), principal()),
                                    request.page)
        return pb.ListPlansResponse(plans=[plan_to_pb(x) for x in plans], page=paging)

    def AdvancePlan(self, request, context):
        to = _STATE.get(request.to_state, "")
        if to not in ("data_collection", "self_assessment", "review"):
            raise InvalidArgument(field="to_state", reason="must be DATA_COLLECTION, SELF_ASSESSMENT or REVIEW "
                                  "(PublishPlan and ArchivePlan do the last steps)")
        return pb.AdvancePlanResponse(
            plan=plan_to_pb(ev.advance_plan(AdvancePlan(request.id, to), self.uow(), principal()))
        )

    def SubmitManualScore(self, request, context):
        s = ev.submit_manual_score(SubmitManualScore(request.plan_id, request.object_id, request.indicator_code,
                                                     request.score, request.evidence), self.uow(), principal())
        return pb.SubmitManualScoreResponse(score=_score_pb(s))

    def SignOffScores(self, request, context):
        scores = ev.sign_off_scores(SignOffScores(request.plan_id, tuple(request.object_ids)), self.uow(), principal())
        return pb.SignOffScoresResponse(scores=[_score_pb(s) for s in scores])

    def PublishPlan(self, request, context):
        plan = ev.advance_plan(AdvancePlan(request.id, "published", request.no_data_override_reason), self.uow(),
                               principal())
        return pb.PublishPlanResponse(plan=plan_to_pb(plan))

    def ArchivePlan(self, request, context):
        plan = ev.advance_plan(AdvancePlan(request.id, "archived"), self.uow(), principal())
        return pb.ArchivePlanResponse(plan=plan_to_pb(plan))

    def GetNineGrid(self, request, context):
        if not request.plan_id:
            raise InvalidArgument(field="plan_id", reason="must not be empty")
        grid = ev.get_nine_grid(request.plan_id, request.compare_plan_id, self.uow(), principal(),
                                scores_only=request.scores_only, object_id=request.object_id)
        out = pb.GetNineGridResponse(plan=plan_to_pb(grid["plan"]), model=model_to_pb(grid["model"]))
        if grid["compare"] is not None:
            out.compare_plan.CopyFrom(plan_to_pb(grid["compare"]))
        for object_id, points in grid["trends"].items():
            trend = out.trends.add(object_id=object_id)
            for period_end, plan_id, overall in points:
                point = trend.points.add(period_end=period_end, plan_id=plan_id)
                if overall is not None:
                    point.overall = overall
        return out

    def GetReport(self, request, context):
        fmt = {pb.REPORT_FORMAT_XLSX: "xlsx"}.get(request.format, "pdf")
        data, mime, name = ev.get_report(GetReport(request.plan_id, request.object_id, fmt), self.uow(), principal())
        return pb.GetReportResponse(content=data, mime_type=mime, file_name=name)

    # -- supervision ---------------------------------------------------------------------
    def ListRectifications(self, request, context):
        rows, paging = offset_page(ev.list_rectifications(request.org_unit_id, "open" if request.open_only else "",
                                                          self.uow(), principal()), request.page)
        return pb.ListRectificationsResponse(rectifications=[_rect_pb(r) for r in rows], page=paging)

    def ListVendorResults(self, request, context):
        since, until = date_range(request.period, "period", start_required=False)
        rows, paging = offset_page(handlers.list_vendor_results(
            self.uow(), principal(), vendor_id=request.vendor_id, since=since, until=until,
            org_unit_id=request.org_unit_id), request.page)
        return pb.ListVendorResultsResponse(page=paging, results=[pb.VendorResult(
            report_id=r.report_id, contract_id=r.contract_id, vendor_id=r.vendor_id, org_unit_id=r.org_unit_id,
            period=to_date_range(r.period_start, r.period_end), tickets=r.tickets,
            response_attainment_pct=str(r.response_attainment_pct),
            resolution_attainment_pct=str(r.resolution_attainment_pct), breaches=r.breaches,
            penalty_total=money(r.penalty_total), reported_at=timestamp(r.reported_at)) for r in rows])

    def ListAccountabilityRecords(self, request, context):
        rows, paging = offset_page(ev.list_accountability(request.org_unit_id, self.uow(), principal()), request.page)
        return pb.ListAccountabilityRecordsResponse(records=[_acc_pb(a) for a in rows], page=paging)

    def RunAccountability(self, request, context):
        v = Validator()
        as_of = _date("as_of_date", request.as_of_date, v, required=False)
        v.check()
        recorded = ev.run_accountability(self.uow(), principal(), as_of)
        return pb.RunAccountabilityResponse(recorded=[_acc_pb(a) for a in recorded])

    def ListAuditTrail(self, request, context):
        # Newest first, a page at a time: the token is the id of the page's oldest entry.
        size = page_size(request.page, default_size=200)
        before = decode_page_token(request.page.page_token, page_offset)
        first, last = date_range(request.days, "days", start_required=False)
        # Days are China Standard Time calendar days: [first 00:00, day after last 00:00) in CST.
        since = datetime.combine(first, dt_time(), CST) if first else None
        until = datetime.combine(last + timedelta(days=1), dt_time(), CST) if last else None
        rows = ev.audit_trail(request.entity_type, request.entity_id, self.uow(), principal(), limit=size + 1,
                              before_id=before, since=since, until=until)
        more, rows = len(rows) > size, rows[:size]
        paging = page_response(encode_page_token(rows[-1]["id"]) if more else "")
        return pb.ListAuditTrailResponse(page=paging, entries=[pb.AuditEntry(
            at=timestamp(r["at"]), actor=r["actor"], actor_name=r["actor_name"], action=r["action"],
            entity_type=r["entity_type"],
            entity_id=r["entity_id"], org_unit_id=r["org_unit_id"] or "",
            detail_json=json.dumps(r["detail"], ensure_ascii=False, default=str)) for r in rows])


def build(settings) -> GrpcApp:
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    store = KpiStore(client)
    hub = KpiHub(client, store)
    engine = make_engine(settings.database_url, pool_size=min(settings.grpc_max_workers, 8))
    service = pb.DESCRIPTOR.services_by_name["EvaluationService"]
    return GrpcApp(
        service="evaluation",
        registrations=[(pb_grpc.add_EvaluationServiceServicer_to_server, EvaluationServicer(store, hub, engine))],
        service_names=[service.full_name],
        permissions=permissions_for(service, PERMISSIONS),
        on_stop=[hub.stop, client.close, engine.dispose],
    )


