"""ticket-worker and evaluation-worker as nameko containers on a real broker."""

from __future__ import annotations

import time

import eventlet
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from evaluation.adapters.kpi_store import KpiStore
from evaluation.domain.kpis import KpiFilter, Level
from evaluation.worker import Service as EvaluationWorker
from govkit.auth import SYSTEM
from govkit.events import Envelope
from tests.org_units import seed_test_units
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import CreateTicket
from ticket.handlers import tickets
from ticket.worker import Service as TicketWorker


def _kpis(redis_client):
    store = KpiStore(redis_client)
    return {
        (v.key.subject, v.name): v.value for v in store.snapshot(KpiFilter(level=Level.ORGANIZATION), lambda s: True)
    }


def _envelope(i, dept):
    return Envelope(id=f"w-{i}", source="ticket", type="govops.ticket.ticket_created.v1",
                    time="2026-11-25T08:00:00+00:00", subject=f"t{i}", org_unit_id=dept, correlationid="c",
                    data={"ticket_id": f"t{i}", "org_unit_id": dept}).to_dict()


def test_evaluation_worker_counts_a_duplicate_delivery_once(container_factory, config, engine_for, redis_client):
    engine_for("evaluation")
    container = container_factory(EvaluationWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    for _ in range(2):
        with entrypoint_waiter(container, "on_ticket_created"):
            dispatch("ticket", "ticket_created", _envelope(1, "fgw"))
    kpis = _kpis(redis_client)
    assert (kpis[("fgw", "tickets_created")], kpis[("fgw", "tickets_open")]) == (1, 1)


def test_ticket_relay_to_evaluation_worker_end_to_end(container_factory, config, engine_for, redis_client):
    ticket_engine = engine_for("ticket")
    seed_test_units(ticket_engine)
    engine_for("evaluation")
    evaluation = container_factory(EvaluationWorker, config)
    evaluation.start()
    ticket = container_factory(TicketWorker, config)
    ticket.start()
    with entrypoint_waiter(evaluation, "on_ticket_created", timeout=10):
        tickets.create_ticket(CreateTicket("数据库连接超时", "", "czj", "infrastructure", "critical"),
                              TicketUnitOfWork(ticket_engine), SYSTEM)
    kpis = _kpis(redis_client)
    assert (kpis[("czj", "tickets_created")], kpis[("czj", "tickets_open")]) == (1, 1)
    # The relay marks the row sent once the broker confirms it, which may come after the consumer
    # has already run: wait for that, rather than race it.
    deadline = time.monotonic() + 10
    while True:
        with ticket_engine.connect() as c:
            unsent = c.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
        if unsent == 0 or time.monotonic() > deadline:
            break
        eventlet.sleep(0.05)
    assert unsent == 0


def test_ticket_rpc_creates_for_other_services(container_factory, config, engine_for):
    seed_test_units(engine_for("ticket"))
    container = container_factory(TicketWorker, config)
    container.start()
    with entrypoint_hook(container, "create_ticket") as create:
        reply = create("整改：SLA达成率低于基线", "由评价服务创建", "gaj", "application", "high", "rect-1")
        again = create("整改：SLA达成率低于基线", "由评价服务创建", "gaj", "application", "high", "rect-1")
    assert reply["ticket"]["title"] == "整改：SLA达成率低于基线" and not reply["replayed"]
    assert again["replayed"] and again["ticket"]["id"] == reply["ticket"]["id"]
