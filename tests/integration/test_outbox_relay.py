"""Unit of work + outbox + relay against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from govkit import config
from govkit.auth import SYSTEM
from govkit.relay import OutboxRelay, PublishFailed
from tests.org_units import seed_test_units
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import CreateTicket
from ticket.handlers import tickets


@pytest.fixture
def engine_for(engine_for):
    """The ticket database with the test government in its org directory (tickets name units)."""
    def make(service: str):
        engine = engine_for(service)
        seed_test_units(engine)
        return engine
    return make


def _create(engine, n=1, dept="fgw", key=None):
    out = []
    for i in range(n):
        out.append(tickets.create_ticket(
            CreateTicket(f"工单{i}", "", dept, "application", "high", key), TicketUnitOfWork(engine), SYSTEM).ticket)
    return out


def _counts(engine):
    with engine.connect() as c:
        return (c.execute(sa.text("SELECT count(*) FROM tickets")).scalar(),
                c.execute(sa.text("SELECT count(*) FROM outbox")).scalar(),
                c.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar())


def test_state_and_event_commit_together_or_not_at_all(engine_for):
    engine = engine_for("ticket")
    _create(engine)
    assert _counts(engine) == (1, 1, 1)

    class Boom(Exception):
        pass

    uow = TicketUnitOfWork(engine)
    with pytest.raises(Boom), uow:
        from govkit.events import utcnow
        from ticket.domain.model import Ticket

        ticket = Ticket.open(CreateTicket("t", "", "fgw", "application", "low"), requester="x", now=utcnow())
        event = ticket.created_event(utcnow())
        uow.tickets.add(ticket)
        uow.collect(event)
        raise Boom()  # before commit: neither the ticket nor its event may remain
    assert _counts(engine) == (1, 1, 1)


def test_relay_publishes_with_confirms_and_marks_rows_sent(engine_for, bound_queue):
    engine = engine_for("ticket")
    drain = bound_queue("ticket", "ticket_created")
    tickets = _create(engine, 3, dept="czj")
    relay = OutboxRelay(engine, config.load("ticket").amqp_uri, "ticket")
    assert relay.relay_once() == 3
    assert relay.relay_once() == 0
    relay.publisher.close()
    got = drain(3)
    assert [m["body"]["subject"] for m in got] == [t.id for t in tickets]  # in commit order
    first = got[0]
    assert first["routing_key"] == "ticket_created"
    assert first["body"]["type"] == "govops.ticket.ticket_created.v1" and first["body"]["orgunitid"] == "czj"
    assert first["body"]["data"]["title"] == "工单0"
    assert first["properties"]["delivery_mode"] == 2
    assert _counts(engine)[2] == 0


def test_notify_wakes_the_relay_long_before_its_backstop(engine_for, bound_queue):
    engine = engine_for("ticket")
    drain = bound_queue("ticket", "ticket_created")
    relay = OutboxRelay(engine, config.load("ticket").amqp_uri, "ticket", backstop_seconds=120)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # let it drain (nothing) and block on LISTEN
        [ticket] = _create(engine)
        got = drain(1, timeout=10)  # far below the 120 s backstop: only NOTIFY can explain it
        assert [m["body"]["subject"] for m in got] == [ticket.id]
    finally:
        relay.stop()
        thread.join(10)


def test_two_relays_publish_every_row_exactly_once(engine_for, bound_queue):
    engine = engine_for("ticket")
    drain = bound_queue("ticket", "ticket_created")
    _create(engine, 400)
    uri = config.load("ticket").amqp_uri
    relays = [OutboxRelay(engine, uri, "ticket", batch_size=25) for _ in range(2)]
    threads = [threading.Thread(target=r.drain) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for r in relays:
        r.publisher.close()
    got = drain(400)
    ids = [m["body"]["id"] for m in got]
    assert len(ids) == 400 and len(set(ids)) == 400
    assert drain(1, timeout=1) == []  # and nothing more
    assert _counts(engine)[2] == 0


def test_unreachable_broker_keeps_rows_unsent(engine_for):
    engine = engine_for("ticket")
    _create(engine, 2)
    relay = OutboxRelay(engine, "amqp://guest:guest@127.0.0.1:5672/no-such-vhost", "ticket")
    with pytest.raises(Exception):  # noqa: B017 - whatever pika raises for a missing vhost
        relay.relay_once()
    assert _counts(engine) == (2, 2, 2)
    assert issubclass(PublishFailed, Exception)


def test_idempotent_create_survives_a_concurrent_race(engine_for):
    engine = engine_for("ticket")
    results, barrier = [], threading.Barrier(6)

    def go():
        barrier.wait()
        results.append(tickets.create_ticket(
            CreateTicket("重复提交", "", "fgw", "application", "high", "same-key"), TicketUnitOfWork(engine), SYSTEM))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.ticket.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert _counts(engine)[:2] == (1, 1)
