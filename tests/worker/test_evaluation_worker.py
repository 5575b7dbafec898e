"""evaluation-worker as a nameko container on a real broker, PostgreSQL and Redis: ticket events
(synthesized per the contract) delivered twice and out of order give the numbers of a clean
run; org events feed the roll-up; rectifications become tickets through ticket's RPC."""

from __future__ import annotations

import random
import time
from datetime import date

import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher

from evaluation import handlers
from evaluation.adapters.kpi_store import KpiStore
from evaluation.adapters.uow import EvaluationUnitOfWork
from evaluation.domain import kpis
from evaluation.domain.kpis import KpiFilter, Level
from evaluation.worker import Service as EvaluationWorker
from govkit.events import Envelope
from govkit.orgdir import OrgDirectory
from tests.eval_events import T0, lifecycle, mixed
from tests.org_units import seed_test_units
from ticket.worker import Service as TicketWorker


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _org(i: int, unit: str, parent):
    return Envelope(id=f"org-{i}", source="org", type="govops.org.org_unit_created.v1", time=T0.isoformat(),
                    subject=unit, org_unit_id=unit, correlationid="c",
                    data={"org_unit_id": unit, "name": unit, "parent_id": parent, "kind": "department"}).to_dict()


def _org_values(store):
    return {(v.key.subject, v.name): v.value
            for v in store.snapshot(KpiFilter(level=Level.ORGANIZATION), lambda u: True)}


def test_duplicate_and_out_of_order_ticket_events_give_the_clean_numbers(container_factory, config, engine_for,
                                                                           redis_client):
    engine = engine_for("evaluation")
    container = container_factory(EvaluationWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    for i, (unit, parent) in enumerate([("gov", None), ("fgw", "gov"), ("czj", "gov")]):
        dispatch("org", "org_unit_created", _org(i, unit, parent))
    with engine.connect() as c:
        wait_for(lambda: c.execute(sa.text("SELECT count(*) FROM orgdir_units")).scalar() == 3, what="org units")

    events = mixed(12, seed=21)
    deliveries = events + random.Random(5).sample(events, 25)
    random.Random(6).shuffle(deliveries)
    for env in deliveries:
        dispatch("ticket", env.name, env.to_dict())

    store = KpiStore(redis_client)

    def settled():
        with engine.connect() as c:
            if c.execute(sa.text("SELECT count(*) FROM facts")).scalar() != len(events):
                return False
        return handlers.check_live_kpis(EvaluationUnitOfWork(engine), store)[1] == []

    wait_for(settled, timeout=60, what="every event counted")
    # the clean run: every event once, in order, in memory
    clean = kpis.Ledger()
    clean.apply_all(events, type("T", (), {"ancestors": lambda self, u: [] if u == "gov" else ["gov"]})())
    got = _org_values(store)
    for unit in ("fgw", "czj", "gov"):
        expected = kpis.derive(clean.raw(Level.ORGANIZATION, unit, ["all"]))
        assert {k: round(v, 6) for k, v in expected.items()} == \
            {k: round(v, 6) for (s, k), v in got.items() if s == unit}, unit
    assert got[("gov", "tickets_created")] == 12


def test_rectification_becomes_a_ticket_through_the_ticket_rpc(container_factory, config, engine_for):
    ticket_engine = engine_for("ticket")
    seed_test_units(ticket_engine)
    engine = engine_for("evaluation")
    ticket = container_factory(TicketWorker, config)
    ticket.start()
    evaluation = container_factory(EvaluationWorker, config)
    evaluation.start()
    with engine.begin() as c:  # the evaluated group and its lead, in evaluation's org copy
        d = OrgDirectory(c)
        d.apply("org_unit_created", {"org_unit_id": "om-centre", "name": "运维中心", "parent_id": None,
                                     "kind": "om_centre"})
        d.apply("position_created", {"position_id": "pos-app-lead", "org_unit_id": "om-centre", "code": "app-lead",
                                     "name": "应用组组长", "parent_position_id": None, "responsibilities": []})
        d.apply("group_created", {"group_id": "grp-application", "code": "app", "name": "应用组",
                                  "org_unit_id": "om-centre", "lead_position_id": "pos-app-lead"})
    with EvaluationUnitOfWork(engine) as uow:
        uow.eval.add_rectification(
            id="r1", plan_id=None, object_id="gaj/group/grp-application", org_unit_id="gaj",
            indicator_code="ind_personal_sla", indicator_name="个人SLA达成率（人均）", actual=70.0, baseline=85.0,
            owner_position="pos-app-lead", due_date=date(2026, 12, 25), actions=["分析原因"], state="pending_ticket",
            idempotency_key="rect:test:gaj/group/grp-application:ind_personal_sla")
        uow.commit()

    def opened():
        with EvaluationUnitOfWork(engine) as uow:
            r = uow.eval.rectification("r1")
        return r["state"] == "open" and r["ticket_id"]

    wait_for(opened, timeout=30, what="rectification ticket")
    with ticket_engine.connect() as c:
        rows = c.execute(sa.text("SELECT title, ticket_type, org_unit_id, group_id, position_id, sla_state, "
                                 "resolution_due_at FROM tickets")).all()
    [(title, ttype, unit, group, position, sla_state, due)] = rows
    assert title == "整改：个人SLA达成率（人均）低于基线（gaj/group/grp-application）"
    assert (ttype, unit, group, position, sla_state) == ("rectification", "om-centre", "grp-application",
                                                         "pos-app-lead", "none")
    assert due is not None
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM outbox WHERE type = "
                                 "'govops.evaluation.rectification_opened.v1'")).scalar() == 1

    # the ticket is resolved: the worker closes the rectification
    with EvaluationUnitOfWork(engine) as uow:
        ticket_id = uow.eval.rectification("r1")["ticket_id"]
    done = lifecycle("om-centre", ticket_id=ticket_id, ttype="rectification")
    dispatch = event_dispatcher(config)
    for env in done:
        dispatch("ticket", env.name, env.to_dict())

    def closed():
        with EvaluationUnitOfWork(engine) as uow:
            return uow.eval.rectification("r1")["state"] == "closed"

    wait_for(closed, what="rectification closed by ticket_resolved")
