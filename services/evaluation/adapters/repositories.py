"""Repositories of the evaluation system. Every read that lists or fetches by id takes the
caller's scope, so a handler that forgot a check still cannot read another department's data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .tables import accountability, audit, manual_scores, models, plans, rectifications


def _now() -> datetime:
    return datetime.now(UTC)


def _plan_visible(scope):
    """A plan is visible if its subject unit or any object's unit is in scope."""
    if scope.is_global:
        return sa.true()
    units = sorted(scope.units)
    obj_units = sa.func.jsonb_path_query_array(plans.c.objects, sa.literal("$[*].org_unit_id"))
    return sa.or_(plans.c.subject_org_unit_id.in_(units), obj_units.op("?|")(sa.func.cast(units, sa.ARRAY(sa.Text))))  # type: ignore[arg-type]


class EvaluationRepository:
    def __init__(self, conn):
        self.conn = conn

    # -- the org replica -----------------------------------------------------------------
    def unit_kinds(self, unit_ids: list[str]) -> dict[str, str]:
        from govkit.orgdir import units

        if not unit_ids:
            return {}
        return dict(self.conn.execute(sa.select(units.c.id, units.c.kind).where(units.c.id.in_(unit_ids))).all())

    # -- models --------------------------------------------------------------------------
    def latest_model_version(self, code: str) -> int:
        return self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(models.c.version), 0))
                                 .where(models.c.code == code)).scalar_one()

    def add_model(self, code: str, version: int, name: str, definition: dict, actor: str) -> None:
        self.conn.execute(models.insert().values(code=code, version=version, name=name,
                                                 definition=definition, created_by=actor))

    def get_model(self, code: str, version: int | None = None) -> dict | None:
        q = sa.select(models).where(models.c.code == code)
        q = q.where(models.c.version == version) if version else q.order_by(models.c.version.desc())
        row = self.conn.execute(q.limit(1)).mappings().first()
        return dict(row) if row else None

    def list_models(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            sa.select(models).order_by(models.c.code, models.c.version)).mappings()]

    # -- plans ---------------------------------------------------------------------------
    def add_plan(self, **values) -> None:
        self.conn.execute(plans.insert().values(**values))

    def plan_by_key(self, key: str) -> dict | None:
        row = self.conn.execute(sa.select(plans).where(plans.c.idempotency_key == key)).mappings().first()
        return dict(row) if row else None

    def get_plan(self, plan_id: str, scope, *, lock: bool = False) -> dict | None:
        q = sa.select(plans).where(plans.c.id == plan_id, _plan_visible(scope))
        if lock:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return dict(row) if row else None

    def list_plans(self, scope, state: str | None = None) -> list[dict]:
        q = sa.select(plans).where(_plan_visible(scope)).order_by(plans.c.period_start.desc(), plans.c.created_at,
                                                                  plans.c.id)
        if state:
            q = q.where(plans.c.state == state)
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def plan_history(self, model_code: str, subject_org_unit_id: str, period_end, limit: int = 6) -> list[dict]:
        """The latest `limit` plans with results of a model and subject ending on or before
        period_end, oldest first: id, period_end and overall by object id — read out of the
        results in SQL, so a trend never loads whole result documents."""
        ids = sa.func.jsonb_path_query_array(plans.c.results, sa.literal("$.objects[*].object_id"))
        overalls = sa.func.jsonb_path_query_array(plans.c.results, sa.literal("$.objects[*].overall"))
        q = (sa.select(plans.c.id, plans.c.period_end, ids.label("ids"), overalls.label("overalls"))
             .where(plans.c.model_code == model_code, plans.c.subject_org_unit_id == subject_org_unit_id,
                    plans.c.results.isnot(None), plans.c.period_end <= period_end)
             .order_by(plans.c.period_end.desc(), plans.c.id.desc()).limit(limit))
        rows = self.conn.execute(q).mappings().all()
        return [{"id": r["id"], "period_end": r["period_end"], "overall": dict(zip(r["ids"], r["overalls"] or []))}
                for r in reversed(rows) if r["ids"]]

    def update_plan(self, plan_id: str, **values) -> None:
        self.conn.execute(plans.update().where(plans.c.id == plan_id).values(updated_at=_now(), **values))

    def previous_plan(self, plan: dict) -> dict | None:
        row = self.conn.execute(sa.select(plans).where(
            plans.c.model_code == plan["model_code"], plans.c.subject_org_unit_id == plan["subject_org_unit_id"],
            plans.c.state.in_(("published", "archived")), plans.c.period_end < plan["period_start"],
            plans.c.id != plan["id"]).order_by(plans.c.period_end.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    # -- manual scores -------------------------------------------------------------------
    def put_manual_score(self, plan_id, object_id, code, score, evidence, actor) -> None:
        stmt = pg_insert(manual_scores).values(plan_id=plan_id, object_id=object_id, indicator_code=code,
                                               score=score, evidence=evidence, scored_by=actor, scored_at=_now())
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["plan_id", "object_id", "indicator_code"],
            set_={"score": score, "evidence": evidence, "scored_by": actor, "scored_at": _now(),
                  "reviewed_by": None, "reviewed_at": None}))

    def manual_scores(self, plan_id: str) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            sa.select(manual_scores).where(manual_scores.c.plan_id == plan_id)
            .order_by(manual_scores.c.object_id, manual_scores.c.indicator_code)).mappings()]

    def sign_off(self, plan_id: str, keys: list[tuple[str, str]], actor: str) -> None:
        for object_id, code in keys:
            self.conn.execute(manual_scores.update().where(
                manual_scores.c.plan_id == plan_id, manual_scores.c.object_id == object_id,
                manual_scores.c.indicator_code == code).values(reviewed_by=actor, reviewed_at=_now()))

    # -- audit ---------------------------------------------------------------------------
    def audit(self, actor: str, action: str, entity_type: str, entity_id: str, org_unit_id: str | None = None,
              *, actor_name: str = "", **detail) -> None:
        self.conn.execute(audit.insert().values(actor=actor, actor_name=actor_name, action=action,
                                                entity_type=entity_type, entity_id=entity_id,
                                                org_unit_id=org_unit_id, detail=detail))

    def audit_trail(self, entity_type: str | None, entity_id: str | None, scope, limit: int = 200,
                    before_id: int | None = None, since: datetime | None = None,
                    until: datetime | None = None) -> list[dict]:
        q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if before_id is not None:
            q = q.where(audit.c.id < before_id)
        if since is not None:
            q = q.where(audit.c.at >= since)
        if until is not None:
            q = q.where(audit.c.at < until)
        if entity_type:
            q = q.where(audit.c.entity_type == entity_type)
        if entity_id:
            q = q.where(audit.c.entity_id == entity_id)
        if not scope.is_global:
            q = q.where(audit.c.org_unit_id.in_(sorted(scope.units)))
        return [dict(r) for r in self.conn.execute(q).mappings()]

    # -- rectifications and accountability ------------------------------------------------
    def add_rectification(self, **values) -> bool:
        return bool(self.conn.execute(pg_insert(rectifications).values(**values)
                                      .on_conflict_do_nothing(index_elements=["idempotency_key"])).rowcount)

    def rectification(self, rect_id: str) -> dict | None:
        row = self.conn.execute(sa.select(rectifications).where(rectifications.c.id == rect_id)).mappings().first()
        return dict(row) if row else None

    def rectification_by_key(self, key: str) -> dict | None:
        row = self.conn.execute(sa.select(rectifications).where(
            rectifications.c.idempotency_key == key)).mappings().first()
        return dict(row) if row else None

    def pending_rectifications(self, limit: int = 50) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            sa.select(rectifications).where(rectifications.c.state == "pending_ticket")
            .order_by(rectifications.c.opened_at).limit(limit).with_for_update(skip_locked=True)).mappings()]

    def open_rectifications_for_ticket(self, ticket_id: str) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            sa.select(rectifications).where(rectifications.c.ticket_id == ticket_id,
                                            rectifications.c.state != "closed").with_for_update()).mappings()]

    def tracked_tickets(self, ticket_ids: set[str]) -> set[str]:
        """Which of these tickets an unfinished rectification waits for."""
        if not ticket_ids:
            return set()
        return set(self.conn.execute(sa.select(rectifications.c.ticket_id).where(
            rectifications.c.ticket_id.in_(sorted(ticket_ids)), rectifications.c.state != "closed")).scalars())

    def update_rectification(self, rect_id: str, **values) -> None:
        self.conn.execute(rectifications.update().where(rectifications.c.id == rect_id).values(**values))

    def list_rectifications(self, scope, org_unit_id: str | None = None, state: str | None = None) -> list[dict]:
        q = sa.select(rectifications).order_by(rectifications.c.org_unit_id, rectifications.c.opened_at,
                                                 rectifications.c.id)
        if not scope.is_global:
            q = q.where(rectifications.c.org_unit_id.in_(sorted(scope.units)))
        if org_unit_id:
            q = q.where(rectifications.c.org_unit_id == org_unit_id)
        if state == "open":
            q = q.where(rectifications.c.state != "closed")
        elif state:
            q = q.where(rectifications.c.state == state)
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def latest_rectification_for(self, object_id: str, code: str, before_plan_period: date) -> dict | None:
        row = self.conn.execute(
            sa.select(rectifications).join(plans, plans.c.id == rectifications.c.plan_id).where(
                rectifications.c.object_id == object_id, rectifications.c.indicator_code == code,
                plans.c.period_end < before_plan_period).order_by(plans.c.period_end.desc()).limit(1)
        ).mappings().first()
        return dict(row) if row else None

    def unfinished_rectifications(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            sa.select(rectifications).where(rectifications.c.state != "closed")
            .order_by(rectifications.c.opened_at)).mappings()]

    def add_accountability(self, **values) -> bool:
        return bool(self.conn.execute(pg_insert(accountability).values(**values).on_conflict_do_nothing(
            constraint="uq_accountability_rect_level")).rowcount)

    def list_accountability(self, scope, org_unit_id: str | None = None) -> list[dict]:
        q = sa.select(accountability).order_by(accountability.c.org_unit_id, accountability.c.recorded_at,
                                                  accountability.c.id)
        if not scope.is_global:
            q = q.where(accountability.c.org_unit_id.in_(sorted(scope.units)))
        if org_unit_id:
            q = q.where(accountability.c.org_unit_id == org_unit_id)
        return [dict(r) for r in self.conn.execute(q).mappings()]
