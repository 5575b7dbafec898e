"""Demo seed for evaluation: a month of ticket activity for four departments (as ticket events
per the contract, kept as facts and live KPIs), the default nine-grid model, and one evaluation
plan run end to end — data collection, self-assessment with manual scores, review sign-off,
publication (rectifications for results below baseline). Safe to repeat: event ids, the plan's
idempotency key and the model lookup are fixed, and a published plan is left as it is."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from govkit import config as govconfig
from govkit.auth import SYSTEM, Principal, Scope
from govkit.db import make_engine
from govkit.events import Envelope

DEPARTMENTS = ("fgw", "czj", "gaj", "wjw")
# How well each department's O&M goes in the demo: (SLA met share, mean resolution hours, rating).
PROFILE = {"fgw": (0.95, 3, 5), "czj": (0.75, 10, 3), "gaj": (0.9, 5, 4), "wjw": (0.6, 14, 3)}
MANUAL = {"fgw": (85, 88), "czj": (70, 75), "gaj": (80, 82), "wjw": (55, 60)}
REVIEWER = Principal("demo-reviewer", "演示审核人", ("reviewer",), frozenset({"*"}), Scope(None))


def _events(month_start, days: int) -> list[Envelope]:
    rnd = random.Random(2026)
    out = []
    for dept in DEPARTMENTS:
        sla, hours, rating = PROFILE[dept]
        for i in range(24):
            tid = f"demo-{dept}-{month_start:%Y%m}-{i}"
            ttype = ("incident", "request", "change", "incident", "problem", "request")[i % 6]
            at = datetime.combine(month_start + timedelta(days=i % days), time(1 + i % 8), tzinfo=UTC)
            staff = f"{dept}-eng-{i % 3}"
            common = {"ticket_id": tid, "number": f"{ttype[:3].upper()}-{i:04d}", "ticket_type": ttype,
                      "org_unit_id": dept, "catalogue_item_id": "cat-desk" if rnd.random() < 0.8 else None,
                      "category": "application", "priority": "medium", "group_id": f"{dept}-desk",
                      "vendor_id": None, "requester": "demo"}

            def ev(n, name, when, status, assignee, **extra):
                data = {**common, "status": status, "assignee": assignee, "occurred_at": when.isoformat(), **extra}
                return Envelope(id=f"{tid}-{n}", source="ticket", type=f"govops.ticket.{name}.v1",
                                time=when.isoformat(), subject=tid, org_unit_id=dept, correlationid="demo", data=data)

            resp = rnd.randint(120, 2400)
            res = int(rnd.uniform(0.3, 1.7) * hours * 3600)
            met = rnd.random() < sla
            out.append(ev(0, "ticket_created", at, "new", None, title="演示工单", created_at=at.isoformat(),
                          channel="request_window"))
            out.append(ev(1, "ticket_assigned", at + timedelta(seconds=resp), "assigned", staff,
                          previous_assignee=None, assigned_by="system", method="auto", first_response=True,
                          response_business_seconds=resp))
            if i % 8 == 7:
                continue  # still open
            if not met:
                out.append(ev(2, "sla_breached", at + timedelta(hours=hours), "in_progress", staff,
                              target="resolution", due_at=at.isoformat(), elapsed_business_seconds=res))
            if ttype == "change":
                out.append(ev(3, "change_implemented", at + timedelta(seconds=res - 60), "in_progress", staff,
                              outcome="successful" if rnd.random() < sla else "rolled_back",
                              emergency=rnd.random() < 0.15, risk="medium"))
            done = at + timedelta(seconds=res)
            out.append(ev(4, "ticket_resolved", done, "resolved", staff, resolution_code="fixed",
                          response_business_seconds=resp, resolution_business_seconds=res, response_sla_met=met,
                          resolution_sla_met=met, first_contact=rnd.random() < sla, reassignment_count=0))
            out.append(ev(5, "ticket_closed", done + timedelta(hours=2), "closed", staff, closed_by="requester",
                          resolution_business_seconds=res, resolution_sla_met=met))
            out.append(ev(6, "ticket_rated", done + timedelta(hours=2, seconds=5), "closed", staff,
                          rating=max(1, min(5, rating + rnd.choice((-1, 0, 0, 1)))), comment="演示评价"))
    return out


def seed(console) -> None:
    from govkit.demo import UNITS
    from govkit.orgdir import OrgDirectory

    from . import handlers
    from . import handlers_eval as ev
    from .adapters.kpi_store import KpiStore
    from .adapters.uow import EvaluationUnitOfWork
    from .domain import kpis
    from .domain.commands import AdvancePlan, CreatePlan, SignOffScores, SubmitManualScore

    s = govconfig.load("evaluation")
    engine = make_engine(s.database_url, pool_size=2)
    store = KpiStore.from_url(s.redis_url)
    uow = lambda: EvaluationUnitOfWork(engine)  # noqa: E731
    try:
        # The org directory normally follows org's events; the seed runs before the workers do.
        with engine.begin() as conn:
            directory = OrgDirectory(conn)
            for code, name, parent, kind in UNITS:
                directory.apply("org_unit_created", {"org_unit_id": code, "name": name, "parent_id": parent,
                                                     "kind": kind})
        today = kpis.today_cst()
        month_start = today.replace(day=1)
        events = _events(month_start, max(1, today.day))
        fresh = sum(handlers.record_event(e, uow(), store) for e in events)
        model = ev.ensure_default_model(uow(), SYSTEM)
        end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        plan = ev.create_plan(CreatePlan(
            f"{month_start.year}年{month_start.month}月运维绩效评价", "om-centre", "om_centre_director",
            model.code, 0, month_start, end, tuple({"kind": "org_unit", "id": d} for d in DEPARTMENTS),
            idempotency_key=f"demo-plan-{month_start:%Y-%m}"), uow(), SYSTEM)
        state = plan["state"]
        for step in ("data_collection", "self_assessment"):
            if state in ("draft", "data_collection") and state != step:
                state = ev.advance_plan(AdvancePlan(plan["id"], step), uow(), SYSTEM)["state"]
        if state == "self_assessment":
            for dept in DEPARTMENTS:
                rules, duties = MANUAL[dept]
                ev.submit_manual_score(SubmitManualScore(plan["id"], dept, "org_rules_in_place", rules,
                                                         "运维管理制度汇编及执行记录（演示）"), uow(), SYSTEM)
                ev.submit_manual_score(SubmitManualScore(plan["id"], dept, "ind_position_duties", duties,
                                                         "岗位说明书与值班表（演示）"), uow(), SYSTEM)
            state = ev.advance_plan(AdvancePlan(plan["id"], "review"), uow(), SYSTEM)["state"]
        if state == "review":
            ev.sign_off_scores(SignOffScores(plan["id"]), uow(), REVIEWER)
            state = ev.advance_plan(AdvancePlan(plan["id"], "published"), uow(), SYSTEM)["state"]
        final = ev.get_plan(plan["id"], uow(), SYSTEM)
        ranking = "，".join(f"{r['rank']}. {r['object_id']} {r['overall']:.1f}"
                           for r in sorted(final["results"]["objects"], key=lambda r: r["rank"] or 99))
        rects = len(ev.list_rectifications("", "", uow(), SYSTEM))
        console.print(f"demo evaluation: {len(events)} ticket events ({fresh} new), plan 「{final['name']}」 "
                      f"{state}: {ranking}; {rects} rectifications")
    finally:
        store.redis.close()
        engine.dispose()
