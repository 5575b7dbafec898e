"""Use cases of the nine-grid evaluation system: models, plans, scores, results, reports,
rectification and accountability. Each takes (command, uow, caller); every state change writes
an audit row, and events leave through the outbox in the same transaction."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, time, timedelta

from govkit.auth import Principal, Scope
from govkit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Validator
from govkit.idempotency import check_replay, fingerprint

from .domain import kpis, owners
from .domain import model as m
from .domain import plan as p
from .domain.commands import AdvancePlan, CreateModel, CreatePlan, GetReport, SignOffScores, SubmitManualScore
from .domain.events import AccountabilityRecorded, EvaluationPublished, RectificationClosed, RectificationOpened
from .domain.ports import EvaluationUow, PlanningUow

_NS = uuid.UUID("5b1f9a52-7d1e-4c55-9a0b-6f1e0c2d7a11")


def _now() -> datetime:
    return datetime.now(UTC)


def max_no_data_share() -> float:
    """Above this share of "no data" indicator rows a plan is published only with an override
    (GOVOPS_EVAL_MAX_NO_DATA_SHARE, 0–1, default 0.5)."""
    return float(os.environ.get("GOVOPS_EVAL_MAX_NO_DATA_SHARE") or p.DEFAULT_MAX_NO_DATA_SHARE)


# ---- models ------------------------------------------------------------------------------
def create_model(cmd: CreateModel, uow: PlanningUow, caller: Principal) -> m.Model:
    """Validate a model and store it as the next version of its code (dry_run: validate only)."""
    m.validate(cmd.model)
    if cmd.dry_run:
        return cmd.model
    with uow:
        version = uow.eval.latest_model_version(cmd.model.code) + 1
        stored = m.Model.from_dict({**cmd.model.to_dict(), "version": version})
        uow.eval.add_model(stored.code, version, stored.name, stored.to_dict(), caller.subject)
        uow.eval.audit(caller.subject, "model_created", "model", f"{stored.code}@{version}", actor_name=caller.name)
        uow.commit()
    return stored


def ensure_default_model(uow: PlanningUow, caller: Principal) -> m.Model:
    """The latest stored default model; a new version when the built-in default has changed (e.g.
    new indicators), so plans created from now on use it (earlier plans keep their version)."""
    with uow:
        row = uow.eval.get_model(m.DEFAULT_MODEL.code)
    if row:
        stored = m.Model.from_dict(row["definition"])
        if {**stored.to_dict(), "version": 0} == {**m.DEFAULT_MODEL.to_dict(), "version": 0}:
            return stored
    return create_model(CreateModel(m.DEFAULT_MODEL), uow, caller)


def get_model(code: str, version: int, uow: PlanningUow, caller: Principal) -> m.Model:
    with uow:
        row = uow.eval.get_model(code, version or None)
    if not row:
        raise NotFound(f"model {code}{'@' + str(version) if version else ''} not found")
    return m.Model.from_dict(row["definition"])


def list_models(uow: PlanningUow, caller: Principal) -> list[m.Model]:
    with uow:
        return [m.Model.from_dict(r["definition"]) for r in uow.eval.list_models()]


# ---- plans -------------------------------------------------------------------------------
def _objects(raw: tuple[dict, ...], v: Validator) -> list[p.EvalObject]:
    out, seen = [], set()
    if not raw:
        v.fail("objects", "must name at least one evaluation object")
    for n, o in enumerate(raw):
        kind, oid, org_unit_id = o.get("kind", ""), (o.get("id") or "").strip(), (o.get("org_unit_id") or "").strip()
        if kind not in p.OBJECT_KINDS:
            v.fail(f"objects[{n}].kind", f"must be one of {', '.join(p.OBJECT_KINDS)}")
            continue
        if not oid:
            v.fail(f"objects[{n}].id", "must not be empty")
            continue
        if kind == "process" and oid not in kpis.PROCESSES:
            v.fail(f"objects[{n}].id", f"a process is one of {', '.join(kpis.PROCESSES)}")
        if kind not in ("org_unit", "department") and not org_unit_id:
            v.fail(f"objects[{n}].org_unit_id", "must name the org unit the object belongs to")
        obj = p.EvalObject(kind, oid, org_unit_id or oid)
        if obj.key in seen:
            v.fail(f"objects[{n}]", f"duplicate object {obj.key}")
        seen.add(obj.key)
        out.append(obj)
    return out


def _named_units(raw: tuple[dict, ...]) -> list[tuple[str, str]]:
    """The org units a plan's objects name: an org unit object's id, any object's org_unit_id."""
    out = []
    for n, o in enumerate(raw):
        if o.get("kind") == "org_unit":
            out.append((f"objects[{n}].id", (o.get("id") or "").strip()))
        out.append((f"objects[{n}].org_unit_id", (o.get("org_unit_id") or "").strip()))
    return out


def create_plan(cmd: CreatePlan, uow: PlanningUow, caller: Principal) -> dict:
    v = Validator()
    name = v.text("name", cmd.name, max_len=200)
    subject_org_unit_id = v.text("subject_org_unit_id", cmd.subject_org_unit_id, max_len=64)
    v.text("subject_role", cmd.subject_role, max_len=64)
    if cmd.period_start is None:
        v.fail("period_start", "must be set")
    if cmd.period_end is None:
        v.fail("period_end", "must be set")
    if cmd.period_start and cmd.period_end and cmd.period_end < cmd.period_start:
        v.fail("period_end", "must not be before period_start")
    objects = _objects(cmd.objects, v)
    v.check()
    if not caller.scope.allows(subject_org_unit_id):
        raise PermissionDenied(f"{subject_org_unit_id} is outside the caller's scope")
    request = fingerprint(cmd)
    with uow:
        if cmd.idempotency_key:
            existing = uow.eval.plan_by_key(cmd.idempotency_key)
            if existing:
                check_replay(existing.get("request_fingerprint"), request, key=cmd.idempotency_key, what="plan")
                return existing
        uow.units.require_units([("subject_org_unit_id", subject_org_unit_id), *_named_units(cmd.objects)])
        row = uow.eval.get_model(cmd.model_code, cmd.model_version or None)
        if not row:
            raise InvalidArgument(field="model_code", reason=f"no model {cmd.model_code!r}"
                                  + (f" version {cmd.model_version}" if cmd.model_version else ""))
        p.check_objects(m.Model.from_dict(row["definition"]), objects,
                        uow.eval.unit_kinds(sorted({o.id for o in objects if o.kind in ("org_unit", "department")})))
        plan_id = str(uuid.uuid5(_NS, cmd.idempotency_key)) if cmd.idempotency_key else str(uuid.uuid4())
        values = dict(id=plan_id, name=name, subject_org_unit_id=subject_org_unit_id,
                      subject_role=cmd.subject_role.strip(),
                      model_code=row["code"], model_version=row["version"], period_start=cmd.period_start,
                      period_end=cmd.period_end, objects=[o.to_dict() for o in objects], state="draft",
                      idempotency_key=cmd.idempotency_key or None,
                      request_fingerprint=request if cmd.idempotency_key else None, created_by=caller.subject)
        uow.eval.add_plan(**values)
        uow.eval.audit(caller.subject, "plan_created", "plan", plan_id, subject_org_unit_id,
                       model=f"{row['code']}@{row['version']}", objects=[o.key for o in objects],
                       actor_name=caller.name)
        uow.commit()
        return uow.eval.get_plan(plan_id, caller.scope)


def get_plan(plan_id: str, uow: PlanningUow, caller: Principal) -> dict:
    with uow:
        plan = uow.eval.get_plan(plan_id, caller.scope)
        if not plan:
            raise NotFound(f"plan {plan_id} not found")
        plan["manual_scores"] = uow.eval.manual_scores(plan_id)
    return _visible(plan, caller)


def _visible(plan: dict, caller: Principal) -> dict:
    """An object's results are visible to its own unit; the evaluating unit sees them all."""
    if caller.scope.is_global or caller.scope.allows(plan["subject_org_unit_id"]):
        return plan
    plan = dict(plan)
    allowed = {o["org_unit_id"] for o in plan["objects"] if caller.scope.allows(o["org_unit_id"])}
    if plan.get("results"):
        plan["results"] = {**plan["results"], "objects": [
            r for r in plan["results"]["objects"] if r["object"]["org_unit_id"] in allowed]}
    plan["manual_scores"] = [s for s in plan.get("manual_scores", [])
                             if kpis.org_unit_of(s["object_id"]) in allowed]
    return plan


def get_nine_grid(plan_id: str, compare_plan_id: str, uow: EvaluationUow, caller: Principal, *,
                  scores_only: bool = False, object_id: str = "") -> dict:
    """The nine-grid dashboard's data in one call (plan, its model version, a plan to compare, trends)."""
    plan = get_plan(plan_id, uow, caller)
    compare_id = compare_plan_id or (plan.get("results") or {}).get("previous_plan_id") or ""
    compare = get_plan(compare_id, uow, caller) if compare_id else None
    if compare is not None:
        # a comparison reads overall, level and cell scores: the indicator rows would double the reply
        compare = {**compare, "results": _scores(compare.get("results"), None), "manual_scores": []}
    if scores_only:
        plan = {**plan, "results": _scores(plan.get("results"), object_id)}
    with uow:
        row = uow.eval.get_model(plan["model_code"], plan["model_version"])
    visible = (plan.get("results") or {}).get("objects", [])
    return {"plan": plan, "model": m.Model.from_dict(row["definition"]), "compare": compare,
            "trends": _trends(plan, visible, uow, with_plan_id=True) if visible else {}}


def _scores(results: dict | None, keep: str | None) -> dict | None:
    """Results without indicator rows and findings, except those of object `keep` (the first
    object's when empty; nobody's when None)."""
    if not results:
        return results
    objects = results.get("objects", [])
    if keep == "" and objects:
        keep = objects[0]["object_id"]
    return {**results, "objects": [r if r["object_id"] == keep else {**r, "indicators": [], "findings": []}
                                   for r in objects]}


def list_plans(state: str, uow: PlanningUow, caller: Principal) -> list[dict]:
    with uow:
        return [_visible(pl, caller) for pl in uow.eval.list_plans(caller.scope, state or None)]


def _load(uow: PlanningUow, plan_id: str, caller: Principal) -> tuple[dict, m.Model]:
    plan = uow.eval.get_plan(plan_id, caller.scope, lock=True)
    if not plan:
        raise NotFound(f"plan {plan_id} not found")
    row = uow.eval.get_model(plan["model_code"], plan["model_version"])
    return plan, m.Model.from_dict(row["definition"])


def _manual_missing(plan: dict, model: m.Model, scores: list[dict]) -> list[str]:
    have = {(s["object_id"], s["indicator_code"]) for s in scores}
    missing = []
    for o in map(p.EvalObject.from_dict, plan["objects"]):
        for ind in model.indicators:
            if ind.kind == "manual" and o.applies(ind) and (o.key, ind.code) not in have:
                missing.append(f"{o.key}:{ind.code}")
    return missing


def advance_plan(cmd: AdvancePlan, uow: EvaluationUow, caller: Principal, compute=None) -> dict:
    """Move a plan one step. Out of order → FAILED_PRECONDITION; wrong role → PERMISSION_DENIED."""
    if cmd.to_state not in p.STATES or cmd.to_state == "draft":
        raise InvalidArgument(field="to_state", reason=f"must be one of {', '.join(p.STATES[1:])}")
    caller.require(p.PERMISSION_FOR[cmd.to_state])
    with uow:
        plan, model = _load(uow, cmd.plan_id, caller)
        if not caller.scope.allows(plan["subject_org_unit_id"]):
            raise PermissionDenied("only the evaluating unit moves a plan through its steps")
        if p.NEXT.get(plan["state"]) != cmd.to_state:
            raise FailedPrecondition(f"plan is {plan['state']}; the next step is "
                                     f"{p.NEXT.get(plan['state'], 'none')}, not {cmd.to_state}")
        scores = uow.eval.manual_scores(plan["id"])
        values: dict = {"state": cmd.to_state}
        if cmd.to_state == "review":
            missing = _manual_missing(plan, model, scores)
            if missing:
                raise FailedPrecondition(f"manual indicators not scored yet: {', '.join(missing[:10])}")
        if cmd.to_state == "published":
            unsigned = [f"{s['object_id']}:{s['indicator_code']}" for s in scores if not s["reviewed_by"]]
            if unsigned:
                raise FailedPrecondition(f"manual scores not signed off: {', '.join(unsigned[:10])}")
        if cmd.no_data_override_reason and cmd.to_state != "published":
            raise InvalidArgument(field="no_data_override_reason", reason="only when publishing")
        share = None
        if cmd.to_state in ("self_assessment", "review", "published"):
            prev = uow.eval.previous_plan(plan)
            results = compute_results(plan, model, scores, uow, prev)
            values.update(results=results, computed_at=_now())
            if cmd.to_state == "published":
                share = p.check_publishable(results, max_no_data_share=max_no_data_share(),
                                            override_reason=cmd.no_data_override_reason)
        uow.eval.update_plan(plan["id"], **values)
        uow.eval.audit(caller.subject, f"plan_{cmd.to_state}", "plan", plan["id"], plan["subject_org_unit_id"],
                       from_state=plan["state"], actor_name=caller.name)
        if cmd.to_state == "published" and share is not None and share > max_no_data_share():
            uow.eval.audit(caller.subject, "plan_publish_override", "plan", plan["id"], plan["subject_org_unit_id"],
                           no_data_share=round(share, 4), max_no_data_share=max_no_data_share(),
                           reason=cmd.no_data_override_reason.strip(), actor_name=caller.name)
        if cmd.to_state == "published":
            _on_publish(plan, model, values["results"], uow, caller)
        uow.commit()
        out = uow.eval.get_plan(plan["id"], caller.scope)
        out["manual_scores"] = uow.eval.manual_scores(plan["id"])
    return out


def period_values(uow: EvaluationUow, start: date, end: date) -> dict:
    """Every subject's KPI values over [start, end] computed from the facts (same rules as live)."""
    from .adapters.org import FrozenTree

    days = {kpis.day_bucket(start + timedelta(days=i)) for i in range((end - start).days + 1)}
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=kpis.CST)
    ledger = kpis.Ledger(keep=lambda b: b in days)
    ledger.apply_all(uow.facts.iter_all(until=until), FrozenTree(uow.conn))
    # A count that never moved is 0 for a subject with data (no breaches is a result, not "no data").
    zeros = dict.fromkeys(kpis.COUNTS, 0.0)
    return {(level, subject): {**zeros, **kpis.derive(ledger.raw(level, subject, sorted(days)))}
            for level, subject in ledger.subjects()}


def compute_results(plan: dict, model: m.Model, scores: list[dict], uow: EvaluationUow, previous: dict | None) -> dict:
    values = period_values(uow, plan["period_start"], plan["period_end"])
    manual: dict[str, dict] = {}
    for s in scores:
        manual.setdefault(s["object_id"], {})[s["indicator_code"]] = s
    objects = [p.compute_object(model, o, values, manual.get(o.key, {}))
               for o in map(p.EvalObject.from_dict, plan["objects"])]
    p.rank(objects)
    p.compare(objects, (previous or {}).get("results", {}).get("objects") if previous else None)
    return {"objects": objects, "previous_plan_id": previous["id"] if previous else None,
            "model": {"code": model.code, "version": model.version, "name": model.name}}


def _on_publish(plan: dict, model: m.Model, results: dict, uow: EvaluationUow, caller: Principal) -> None:
    due = (_now().astimezone(kpis.CST).date() + timedelta(days=model.accountability.rectification_days))
    for r in results["objects"]:
        for row in r["indicators"]:
            if row["status"] != "below_baseline":
                continue
            ind = model.indicator(row["code"])
            # Consecutive shortfall: the previous period's plan opened one for the same indicator.
            prev = uow.eval.latest_rectification_for(r["object_id"], ind.code, plan["period_start"])
            prev_below = prev is not None and prev["plan_id"] == results.get("previous_plan_id")
            open_rectification(uow, caller, plan_id=plan["id"], object_id=r["object_id"],
                               org_unit_id=r["object"]["org_unit_id"], ind=ind, actual=row["actual"], due=due,
                               periods_below=(prev["periods_below"] + 1) if prev_below else 1)
    uow.collect(EvaluationPublished(
        plan_id=plan["id"], name=plan["name"], subject_org_unit_id=plan["subject_org_unit_id"], model_code=model.code,
        model_version=model.version, period_start=plan["period_start"].isoformat(),
        period_end=plan["period_end"].isoformat(),
        results=[{"object_id": r["object_id"], "org_unit_id": r["object"]["org_unit_id"], "overall": r["overall"],
                  "rank": r.get("rank"), "delta": r.get("delta")} for r in results["objects"]],
        published_by=caller.subject))


def open_rectification(uow: EvaluationUow, caller: Principal, *, plan_id, object_id, org_unit_id, ind: m.Indicator,
                       actual,
                       due: date, periods_below: int = 1, key: str | None = None) -> bool:
    key = key or f"rect:{plan_id}:{object_id}:{ind.code}"
    rect_id = str(uuid.uuid5(_NS, key))
    owner = _owner(uow, object_id, ind.owner_position)
    actions = [f"分析「{ind.name}」{p.shortfall_word(ind.direction)}的原因", "制定并落实整改措施", "下一评价周期复评"]
    created = uow.eval.add_rectification(
        id=rect_id, plan_id=plan_id, object_id=object_id, org_unit_id=org_unit_id, indicator_code=ind.code,
        indicator_name=ind.name, actual=actual, baseline=ind.baseline,
        owner_position=owner.position_id if owner else "", due_date=due, actions=actions,
        state="pending_ticket", periods_below=periods_below, idempotency_key=key)
    if created:
        uow.eval.audit(caller.subject, "rectification_requested", "rectification", rect_id, org_unit_id,
                       indicator=ind.code, actual=actual, baseline=ind.baseline, periods_below=periods_below,
                       owner_position=owner.position_id if owner else None,
                       **({} if owner else {"unrouted": "no responsible position in the org directory"}),
                       actor_name=caller.name)
    return created


def _owner(uow: EvaluationUow, object_id: str, owner_position: str = "") -> owners.Owner | None:
    """The responsible position (and group) of an evaluated object, from the org replica."""
    from .adapters.org import Owners

    return owners.resolve(Owners(uow.conn), object_id, owner_position, _now().astimezone(kpis.CST).date())


def check_live_baselines(uow: EvaluationUow, store, caller: Principal, *, model_code: str = m.DEFAULT_MODEL.code,
                         window: str = "30d", min_resolved: int = 10, today: date | None = None) -> list[str]:
    """The live half of the loop: each O&M organisation unit's (org-directory kind om_centre)
    organisation-level KPI indicators that apply to it, over the rolling window, against the
    latest model version; short of baseline (with at least `min_resolved` resolved tickets, so a
    quiet week is not a finding) opens a rectification once per unit, indicator and month (key
    `live:<YYYY-MM>:<unit>:<indicator>`). Customer departments are not scored on the O&M
    centre's KPIs."""
    import sqlalchemy as sa

    from govkit.orgdir import units as orgdir_units

    today = today or _now().astimezone(kpis.CST).date()
    opened = []
    with uow:
        row = uow.eval.get_model(model_code)
        if not row:
            return []
        model = m.Model.from_dict(row["definition"])
        depts = list(uow.conn.execute(sa.select(orgdir_units.c.id).where(
            orgdir_units.c.kind == "om_centre", orgdir_units.c.active.is_(True))).scalars())
        live = [i for i in model.indicators if i.level == "organization" and i.kind in ("kpi", "formula")
                and "org_unit" in i.applies_to]
        values: dict[str, dict] = {}
        for v in store.values_for([(kpis.Level.ORGANIZATION, d) for d in depts], [window], today):
            values.setdefault(v.key.subject, {})[v.name] = v.value
        due = today + timedelta(days=model.accountability.rectification_days)
        for dept in depts:
            vals = {**dict.fromkeys(kpis.COUNTS, 0.0), **values.get(dept, {})}
            if vals.get("tickets_resolved", 0) < min_resolved:
                continue
            for ind in live:
                actual = m.indicator_value(ind, vals)
                if m.below_baseline(ind, actual):
                    key = f"live:{today:%Y-%m}:{dept}:{ind.code}"
                    if open_rectification(uow, caller, plan_id=None, object_id=dept, org_unit_id=dept, ind=ind,
                                          actual=round(actual, 4), due=due, key=key):
                        opened.append(key)
        uow.commit()
    return opened


def submit_manual_score(cmd: SubmitManualScore, uow: PlanningUow, caller: Principal) -> dict:
    v = Validator()
    if not 0 <= cmd.score <= m.MANUAL_MAX:
        v.fail("score", f"must be between 0 and {m.MANUAL_MAX:g} (got {cmd.score:g})")
    evidence = v.text("evidence", cmd.evidence, max_len=4000)
    v.text("object_id", cmd.object_id)
    v.text("indicator_code", cmd.indicator_code)
    v.check()
    with uow:
        plan, model = _load(uow, cmd.plan_id, caller)
        if plan["state"] not in p.SCORING_STATES:
            raise FailedPrecondition(
                f"manual scores are entered in {' or '.join(p.SCORING_STATES)}; plan is {plan['state']}"
            )
        objects = {o.key: o for o in map(p.EvalObject.from_dict, plan["objects"])}
        obj = objects.get(cmd.object_id)
        if obj is None:
            raise InvalidArgument(field="object_id", reason=f"{cmd.object_id!r} is not an object of this plan")
        ind = model.indicator(cmd.indicator_code)
        if ind is None or ind.kind != "manual" or not obj.applies(ind):
            raise InvalidArgument(field="indicator_code",
                                  reason=f"{cmd.indicator_code!r} is not a manual indicator for this object")
        if not caller.scope.allows(obj.org_unit_id) and not caller.scope.allows(plan["subject_org_unit_id"]):
            raise PermissionDenied(f"{obj.org_unit_id} is outside the caller's scope")
        uow.eval.put_manual_score(plan["id"], obj.key, ind.code, cmd.score, evidence, caller.subject)
        uow.eval.audit(caller.subject, "manual_score_submitted", "plan", plan["id"], obj.org_unit_id,
                       object_id=obj.key, indicator=ind.code, score=cmd.score, evidence=evidence,
                       actor_name=caller.name)
        uow.commit()
        return next(s for s in uow.eval.manual_scores(plan["id"])
                    if s["object_id"] == obj.key and s["indicator_code"] == ind.code)


def sign_off_scores(cmd: SignOffScores, uow: PlanningUow, caller: Principal) -> list[dict]:
    with uow:
        plan, _ = _load(uow, cmd.plan_id, caller)
        if plan["state"] != "review":
            raise FailedPrecondition(f"scores are signed off in review; plan is {plan['state']}")
        scores = [s for s in uow.eval.manual_scores(plan["id"])
                  if not cmd.object_ids or s["object_id"] in cmd.object_ids]
        own = [f"{s['object_id']}:{s['indicator_code']}" for s in scores if s["scored_by"] == caller.subject]
        if own:
            raise FailedPrecondition(f"a reviewer does not sign off their own scores: {', '.join(own[:10])}")
        uow.eval.sign_off(plan["id"], [(s["object_id"], s["indicator_code"]) for s in scores], caller.subject)
        uow.eval.audit(caller.subject, "manual_scores_signed_off", "plan", plan["id"], plan["subject_org_unit_id"],
                       scores=[f"{s['object_id']}:{s['indicator_code']}" for s in scores], actor_name=caller.name)
        uow.commit()
        return uow.eval.manual_scores(plan["id"])


# ---- reports -----------------------------------------------------------------------------
def get_report(cmd: GetReport, uow: EvaluationUow, caller: Principal) -> tuple[bytes, str, str]:
    """(content, MIME type, file name) of a plan's or one object's result report."""
    from .adapters import reports

    if cmd.format not in ("pdf", "xlsx"):
        raise InvalidArgument(field="format", reason="must be pdf or xlsx")
    plan = get_plan(cmd.plan_id, uow, caller)
    if not plan.get("results"):
        raise FailedPrecondition(f"plan is {plan['state']}: results are computed from self_assessment on")
    objects = plan["results"]["objects"]
    if cmd.object_id:
        objects = [o for o in objects if o["object_id"] == cmd.object_id]
        if not objects:
            raise NotFound(f"object {cmd.object_id} not in this plan's visible results")
    series = _trends(plan, objects, uow)
    if cmd.format == "pdf":
        data, mime = reports.pdf(plan, objects, series), "application/pdf"
    else:
        data, mime = reports.xlsx(plan, objects, series), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    suffix = f"-{cmd.object_id.replace('/', '_')}" if cmd.object_id else ""
    return data, mime, f"evaluation-{plan['id'][:8]}{suffix}.{cmd.format}"


def _trends(plan: dict, objects: list[dict], uow: EvaluationUow, *, with_plan_id: bool = False) -> dict:
    """Overall score per object over this and up to five earlier plans with results of the same
    model and subject: (period end, overall), or (period end, plan id, overall) with_plan_id."""
    with uow:
        history = uow.eval.plan_history(plan["model_code"], plan["subject_org_unit_id"], plan["period_end"])
    out: dict[str, list] = {}
    for pl in history:
        for o in objects:
            if o["object_id"] in pl["overall"]:
                at = (pl["period_end"].isoformat(), *((pl["id"],) if with_plan_id else ()))
                point = (*at, pl["overall"][o["object_id"]])
                out.setdefault(o["object_id"], []).append(point)
    return out


_GLOBAL_SCOPE = Scope(None)


# ---- rectification and accountability ----------------------------------------------------
def open_pending_tickets(uow: EvaluationUow, create_ticket, caller: Principal, limit: int = 20) -> int:
    """Turn requested rectifications into rectification tickets through the ticket service
    (idempotent key): ticket type `rectification`, due by the rectification's due date (no SLA),
    opened in the responsible position's unit and routed to that position and its group. A
    rectification whose object has no responsible position in the org directory waits."""
    n = 0
    with uow:
        for r in uow.eval.pending_rectifications(limit):
            owner = _owner(uow, r["object_id"], r["owner_position"])
            if owner is None:
                continue  # audited when requested; routed once the org directory names a position
            word = "高于基线" if r["actual"] is not None and r["actual"] > r["baseline"] else "低于基线"
            title = f"整改：{r['indicator_name']}{word}（{r['object_id']}）"
            desc = (f"评价结果：实际 {r['actual']}，基线 {r['baseline']}。责任岗位：{owner.position_id}；"
                    f"整改期限：{r['due_date'].isoformat()}。要求：" + "；".join(r["actions"]))
            reply = create_ticket(title, desc, owner.org_unit_id, "application", "medium", r["idempotency_key"],
                                  ticket_type="rectification", due_date=r["due_date"].isoformat(),
                                  group_id=owner.group_id, position_id=owner.position_id)
            t = reply.get("ticket") or {}
            uow.eval.update_rectification(r["id"], state="open", ticket_id=t.get("id"), ticket_number=t.get("number"),
                                          owner_position=owner.position_id)
            uow.eval.audit(caller.subject, "rectification_opened", "rectification", r["id"], r["org_unit_id"],
                           ticket_id=t.get("id"), replayed=reply.get("replayed"), owner_position=owner.position_id,
                           group_id=owner.group_id or None, actor_name=caller.name)
            uow.collect(RectificationOpened(
                rectification_id=r["id"], plan_id=r["plan_id"], object_id=r["object_id"], org_unit_id=r["org_unit_id"],
                indicator_code=r["indicator_code"], indicator_name=r["indicator_name"], actual=r["actual"],
                baseline=r["baseline"], owner_position=owner.position_id, due_date=r["due_date"].isoformat(),
                actions=r["actions"], ticket_id=t.get("id")))
            uow.commit()  # one ticket, one commit: a crash repeats at most this RPC (same key)
            n += 1
    return n


def close_rectifications_for(env, uow: EvaluationUow) -> int:
    """on_fact hook: a resolved or closed ticket closes the rectification it tracks."""
    if env.name not in ("ticket_resolved", "ticket_closed"):
        return 0
    ticket_id = env.data.get("ticket_id") or env.subject
    n = 0
    for r in uow.eval.open_rectifications_for_ticket(ticket_id):
        uow.eval.update_rectification(r["id"], state="closed", closed_at=_now())
        uow.eval.audit("system", "rectification_closed", "rectification", r["id"], r["org_unit_id"],
                       ticket_id=ticket_id, event=env.name)
        uow.collect(RectificationClosed(rectification_id=r["id"], org_unit_id=r["org_unit_id"], ticket_id=ticket_id,
                                        closed_by_event=env.name))
        n += 1
    return n


def run_accountability(uow: EvaluationUow, caller: Principal, today: date | None = None) -> list[dict]:
    """Record accountability (问责) due for overdue rectifications or lasting shortfalls."""
    today = today or _now().astimezone(kpis.CST).date()
    recorded = []
    with uow:
        rules_by_plan: dict = {}
        for r in uow.eval.unfinished_rectifications():
            rules = rules_by_plan.get(r["plan_id"])
            if rules is None:
                plan = uow.eval.get_plan(r["plan_id"], _GLOBAL_SCOPE) if r["plan_id"] else None
                row = uow.eval.get_model(plan["model_code"], plan["model_version"]) if plan else None
                rules = m.Model.from_dict(row["definition"]).accountability if row else m.AccountabilityRules()
                rules_by_plan[r["plan_id"]] = rules
            overdue = (today - r["due_date"]).days
            for level, reason in rules.due(overdue, r["periods_below"]):
                late = rules.overdue_days.get(level)
                days_overdue = overdue if late is not None and overdue >= late else None  # due() checks days first
                rec_id = str(uuid.uuid5(_NS, f"acc:{r['id']}:{level}"))
                if uow.eval.add_accountability(id=rec_id, rectification_id=r["id"], org_unit_id=r["org_unit_id"],
                                               object_id=r["object_id"], indicator_code=r["indicator_code"],
                                               level=level, reason=reason, recorded_by=caller.subject):
                    uow.eval.audit(caller.subject, "accountability_recorded", "rectification", r["id"],
                                   r["org_unit_id"], level=level, reason=reason, actor_name=caller.name)
                    uow.collect(AccountabilityRecorded(
                        record_id=rec_id, rectification_id=r["id"], org_unit_id=r["org_unit_id"],
                        object_id=r["object_id"], indicator_code=r["indicator_code"], level=level, reason=reason,
                        recorded_by=caller.subject, owner_position=r.get("owner_position") or "",
                        days_overdue=days_overdue))
                    recorded.append({"id": rec_id, "rectification_id": r["id"], "org_unit_id": r["org_unit_id"],
                                     "level": level, "reason": reason})
        uow.commit()
    return recorded


def list_rectifications(org_unit_id: str, state: str, uow: EvaluationUow, caller: Principal) -> list[dict]:
    with uow:
        return uow.eval.list_rectifications(caller.scope, org_unit_id or None, state or None)


def list_accountability(org_unit_id: str, uow: EvaluationUow, caller: Principal) -> list[dict]:
    with uow:
        return uow.eval.list_accountability(caller.scope, org_unit_id or None)


def audit_trail(entity_type: str, entity_id: str, uow: PlanningUow, caller: Principal, *, limit: int = 200,
                before_id: int | None = None, since: datetime | None = None,
                until: datetime | None = None) -> list[dict]:
    """Audit entries, newest first: at most `limit`, older than entry `before_id` (the next page),
    made at or after `since` and before `until`."""
    with uow:
        return uow.eval.audit_trail(entity_type or None, entity_id or None, caller.scope, limit=limit,
                                    before_id=before_id, since=since, until=until)
