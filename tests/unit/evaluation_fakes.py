"""In-memory models, plans, manual scores and audit trail for the evaluation handler tests: the
`PlanningUow` Protocol (evaluation.domain.ports) without a database. mypy checks the fit
(`_conforms` below, run by `make lint`); tests/integration/test_evaluation_repository_contract.py
runs the same repository cases here and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from evaluation.domain.ports import PlanningUow
from govkit.units import UnitChecks


def _visible(plan, scope):
    """As on PostgreSQL: the subject unit or any object's unit is in scope."""
    return scope.is_global or plan["subject_org_unit_id"] in scope.units or any(
        o.get("org_unit_id") in scope.units for o in plan["objects"])


class FakeRepo:
    def __init__(self):
        self.models, self.plans, self.scores, self.audits = {}, {}, [], []
        self.units: dict[str, str] = {}  # org-directory unit kinds (empty: none known)

    def unit_kinds(self, unit_ids):
        return {u: self.units[u] for u in unit_ids if u in self.units}

    # -- models
    def latest_model_version(self, code):
        return max([v for c, v in self.models if c == code], default=0)

    def add_model(self, code, version, name, definition, actor):
        self.models[(code, version)] = {"code": code, "version": version, "name": name, "definition": definition,
                                        "created_by": actor}

    def get_model(self, code, version=None):
        version = version or self.latest_model_version(code)
        return self.models.get((code, version))

    def list_models(self):
        return [self.models[k] for k in sorted(self.models)]

    # -- plans
    def add_plan(self, **values):
        self.plans[values["id"]] = {"results": None, "computed_at": None, "idempotency_key": None, **values}

    def plan_by_key(self, key):
        return next((dict(p) for p in self.plans.values() if p.get("idempotency_key") == key), None)

    def get_plan(self, plan_id, scope, lock=False):
        p = self.plans.get(plan_id)
        return dict(p) if p is not None and _visible(p, scope) else None

    def list_plans(self, scope, state=None):
        """Newest period first, then in creation order (as created_at orders them)."""
        rows = [dict(p) for p in self.plans.values() if _visible(p, scope) and (not state or p["state"] == state)]
        return sorted(rows, key=lambda p: p["period_start"], reverse=True)

    def plan_history(self, model_code, subject_org_unit_id, period_end, limit=6):
        rows = [p for p in self.plans.values() if p["model_code"] == model_code
                and p["subject_org_unit_id"] == subject_org_unit_id and p["results"]
                and p["results"].get("objects") and p["period_end"] <= period_end]
        rows.sort(key=lambda p: (p["period_end"], p["id"]))
        return [{"id": p["id"], "period_end": p["period_end"],
                 "overall": {r["object_id"]: r.get("overall") for r in p["results"]["objects"]}} for p in rows[-limit:]]

    def update_plan(self, plan_id, **values):
        self.plans[plan_id].update(values)

    def previous_plan(self, plan):
        earlier = [p for p in self.plans.values() if p["model_code"] == plan["model_code"]
                   and p["subject_org_unit_id"] == plan["subject_org_unit_id"] and p["state"] in ("published",
                                                                                                  "archived")
                   and p["period_end"] < plan["period_start"] and p["id"] != plan["id"]]
        return dict(max(earlier, key=lambda p: p["period_end"])) if earlier else None

    # -- manual scores
    def put_manual_score(self, plan_id, object_id, code, score, evidence, actor):
        self.scores = [s for s in self.scores
                       if (s["plan_id"], s["object_id"], s["indicator_code"]) != (plan_id, object_id, code)]
        self.scores.append({"plan_id": plan_id, "object_id": object_id, "indicator_code": code, "score": score,
                            "evidence": evidence, "scored_by": actor, "scored_at": datetime.now(UTC),
                            "reviewed_by": None, "reviewed_at": None})

    def manual_scores(self, plan_id):
        return sorted((dict(s) for s in self.scores if s["plan_id"] == plan_id),
                      key=lambda s: (s["object_id"], s["indicator_code"]))

    def sign_off(self, plan_id, keys, actor):
        for s in self.scores:
            if s["plan_id"] == plan_id and (s["object_id"], s["indicator_code"]) in keys:
                s.update(reviewed_by=actor, reviewed_at=datetime.now(UTC))

    # -- audit
    def audit(self, actor, action, entity_type, entity_id, org_unit_id=None, *, actor_name="", **detail):
        self.audits.append({"id": len(self.audits) + 1, "actor": actor, "actor_name": actor_name, "action": action,
                            "entity_type": entity_type, "entity_id": entity_id, "org_unit_id": org_unit_id,
                            "detail": detail, "at": datetime.now(UTC)})

    def audit_trail(self, entity_type, entity_id, scope, limit=200, before_id=None, since=None, until=None):
        rows = [a for a in reversed(self.audits) if (not entity_type or a["entity_type"] == entity_type)
                and (before_id is None or a["id"] < before_id)
                and (since is None or a["at"] >= since) and (until is None or a["at"] < until)
                and (not entity_id or a["entity_id"] == entity_id)
                and (scope.is_global or a["org_unit_id"] in scope.units)]
        return rows[:limit]


class FakeUnits(UnitChecks):
    """Every unit the unit tests name is known and active, unless listed otherwise."""

    def __init__(self, unknown=(), inactive=()):
        self.unknown, self.inactive = set(unknown), set(inactive)

    def unit_states(self, ids):
        return {u: u not in self.inactive for u in ids if u not in self.unknown}


class FakeUow:
    def __init__(self):
        self.eval, self.committed = FakeRepo(), 0
        self.units = FakeUnits()
        self.events = []
        self.inbox: set[tuple[str, str]] = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def commit(self):
        self.committed += 1

    def collect(self, *events):
        self.events.extend(events)

    def rollback(self):
        self.events = []

    def seen(self, consumer, event_id):
        key = (consumer, event_id)
        if key in self.inbox:
            return True
        self.inbox.add(key)
        return False


def _conforms(uow: FakeUow) -> PlanningUow:
    """Never called: mypy checks here that the fake meets the Protocol the handlers declare."""
    return uow
