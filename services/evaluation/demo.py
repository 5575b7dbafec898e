"""Demo seed for evaluation: a month of ticket activity — four departments' tickets handled by the
O&M centre's support groups, one of whose engineers works for a vendor (as ticket events per the
contract, kept as facts and live KPIs) — the default nine-grid model, and one evaluation plan run
end to end on the O&M organisation: the centre, its groups, one engineer and the vendor, with the
customer departments only on the indicator they own (cooperation). Data collection,
self-assessment with manual scores, review sign-off, publication (rectifications, routed to the
responsible positions, for results short of baseline). Safe to repeat: event ids, the plan's
idempotency key and the model lookup are fixed, and a published plan is left as it is."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from govkit import config as govconfig
from govkit.auth import SYSTEM, Principal, Scope
from govkit.db import make_engine
from govkit.events import Envelope

DEPARTMENTS = ("fgw", "czj", "gaj", "wjw")
# The O&M centre's groups that serve them (org's demo), with their engineers (staff, vendor) and
# how well the group works in the demo: (SLA met share, mean resolution hours, rating).
GROUPS = {
    "grp-desktop": ((("E010", None), ("E011", None)), (0.95, 3, 5)),
    "grp-application": ((("E008", None), ("V001", "vendor-hx")), (0.75, 10, 3)),
    "grp-network": ((("E003", None), ("E004", None)), (0.9, 5, 4)),
    "grp-database": ((("E006", None), ("E005", None)), (0.6, 14, 3)),
}
# Manual scores: the centre's rules and duties; each group's duties; each department's cooperation.
CENTRE_MANUAL = (80, 78)
GROUP_DUTIES = {"grp-desktop": 88, "grp-application": 72, "grp-network": 82, "grp-database": 58}
COOPERATION = {"fgw": 90, "czj": 75, "gaj": 85, "wjw": 55}
PERSON, VENDOR = "E008", "vendor-hx"  # one engineer and the vendor, evaluated too
REVIEWER = Principal("demo-reviewer", "演示审核人", ("reviewer",), frozenset({"*"}), Scope(None))


def _events(month_start, days: int) -> list[Envelope]:
    rnd = random.Random(2026)
    out = []
    groups = list(GROUPS)
    for n, dept in enumerate(DEPARTMENTS):
        for i in range(24):
            group = groups[(n + i) % len(groups)]
            engineers, (sla, hours, rating) = GROUPS[group]
            staff, vendor = engineers[i % len(engineers)]
            tid = f"demo-om-{dept}-{month_start:%Y%m}-{i}"
            ttype = ("incident", "request", "change", "incident", "problem", "request")[i % 6]
            at = datetime.combine(month_start + timedelta(days=i % days), time(1 + i % 8), tzinfo=UTC)
            common = {"ticket_id": tid, "number": f"{ttype[:3].upper()}-{i:04d}", "ticket_type": ttype,
                      "org_unit_id": dept, "catalogue_item_id": "cat-desk" if rnd.random() < 0.8 else None,
                      "category": "application", "priority": "medium", "group_id": group,
                      "vendor_id": vendor, "requester": "demo"}

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


def plan_objects() -> tuple[dict, ...]:
    """The demo plan's objects: the O&M centre, its groups, one engineer and the vendor (all
    measured on the tickets they handled for every department), and the customer departments on
    the indicator they own."""
    return ({"kind": "org_unit", "id": "om-centre"},
            *({"kind": "group", "id": g, "org_unit_id": "om-centre"} for g in GROUPS),
            {"kind": "person", "id": PERSON, "org_unit_id": "om-centre"},
            {"kind": "vendor", "id": VENDOR, "org_unit_id": "om-centre"},
            *({"kind": "department", "id": d} for d in DEPARTMENTS))


def _manual_scores() -> list[tuple[str, str, float, str]]:
    rules, duties = CENTRE_MANUAL
    out: list[tuple[str, str, float, str]] = [
        ("om-centre", "org_rules_in_place", rules, "运维管理制度汇编及执行记录（演示）"),
        ("om-centre", "ind_position_duties", duties, "岗位说明书与值班表（演示）")]
    out += [(f"om-centre/group/{g}", "ind_position_duties", s, "运维组岗位职责与值班记录（演示）")
            for g, s in GROUP_DUTIES.items()]
    out += [(f"om-centre/staff/{PERSON}", "ind_position_duties", 80, "个人岗位职责与履职记录（演示）"),
            (f"om-centre/vendor/{VENDOR}", "ind_position_duties", 70, "服务商驻场人员履职记录（演示）")]
    out += [(d, "dept_cooperation", s, "故障报告、配合排查与工单确认记录（演示）") for d, s in COOPERATION.items()]
    return out


def _catch_up_org(engine) -> None:
    """The org directory normally follows org's events; the seed runs before the workers do, so it
    applies the demo organisation (org's `org_demo_directory`) to evaluation's copy (upserts)."""
    from govkit.demo import export
    from govkit.orgdir import OrgDirectory

    snapshot = export("org_demo_directory")()
    with engine.begin() as conn:
        directory = OrgDirectory(conn)
        for section, event in (("org_units", "org_unit_created"), ("positions", "position_created"),
                               ("staff", "staff_created"), ("staff_positions", "staff_assigned"),
                               ("groups", "group_created"), ("group_members", "group_member_added")):
            for record in snapshot[section]:
                directory.apply(event, record)


def seed(console) -> None:
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
        _catch_up_org(engine)
        today = kpis.today_cst()
        month_start = today.replace(day=1)
        events = _events(month_start, max(1, today.day))
        fresh = sum(handlers.record_event(e, uow(), store) for e in events)
        model = ev.ensure_default_model(uow(), SYSTEM)
        end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        plan = ev.create_plan(CreatePlan(
            f"{month_start.year}年{month_start.month}月运维绩效评价", "om-centre", "om_centre_director",
            model.code, 0, month_start, end, plan_objects(),
            idempotency_key=f"demo-plan-om-{month_start:%Y-%m}"), uow(), SYSTEM)
        state = plan["state"]
        for step in ("data_collection", "self_assessment"):
            if state in ("draft", "data_collection") and state != step:
                state = ev.advance_plan(AdvancePlan(plan["id"], step), uow(), SYSTEM)["state"]
        if state == "self_assessment":
            for object_id, code, score, evidence in _manual_scores():
                ev.submit_manual_score(SubmitManualScore(plan["id"], object_id, code, score, evidence), uow(), SYSTEM)
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
