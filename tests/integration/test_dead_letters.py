"""Dead letters on the real broker, outside nameko: govops-migrate's declaration of the consumer
queues (and its upgrade of queues declared before dead-lettering), and
`govops events dead-letters list|replay`. The consumer side is tests/worker/test_consumers.py."""

from __future__ import annotations

import json
import uuid

import pytest
from kombu import Connection, Exchange, Producer, Queue
from typer.testing import CliRunner

from govkit import config, deadletter
from govkit.migrate import declare_topology

BUDGET_QUEUE = "evt-outsource-payment_recorded--budget.on_payment_recorded"


@pytest.fixture
def conn(vhost):
    with Connection(config.load("budget").amqp_uri) as c:
        yield c


def _old_style(conn, queue: str, source: str, event: str) -> None:
    """The queue as releases before dead-lettering declared it: no arguments."""
    ch = conn.channel()
    Queue(queue, exchange=Exchange(f"{source}.events", type="topic", durable=True), routing_key=event,
          durable=True)(ch).declare()
    ch.close()


def _delete(conn, *queues: str) -> None:
    ch = conn.channel()
    for q in queues:
        ch.queue_delete(q)
    ch.close()


def _depth(conn, queue: str) -> int:
    ch = conn.channel()
    try:
        return ch.queue_declare(queue=queue, passive=True).message_count
    finally:
        ch.close()


def test_migrate_recreates_an_empty_queue_declared_without_dead_letter_arguments(conn):
    queue = f"evt-dltest-{uuid.uuid4().hex[:8]}--x.on_thing"
    _old_style(conn, queue, "dltest", "thing")
    try:
        with pytest.raises(deadletter.TopologyMismatch, match="Run govops-migrate"):
            deadletter.declare(conn, "dltest", "thing", queue)  # what a new worker does: refuse
        deadletter.declare(conn, "dltest", "thing", queue, recreate_empty=True)  # what migrate does
        deadletter.declare(conn, "dltest", "thing", queue)  # now identical: a no-op for the worker
        # Bound again to the events exchange, dead-lettering into <queue>.dead.
        Producer(conn.channel()).publish({"x": 1}, exchange="dltest.events", routing_key="thing")
        ch = conn.channel()
        raw = None
        for _ in range(50):
            raw = ch.basic_get(queue, no_ack=False)
            if raw is not None:
                break
        assert raw is not None
        ch.basic_reject(raw.delivery_tag, requeue=False)
        ch.close()
        assert _depth(conn, deadletter.dead_queue(queue)) == 1
    finally:
        _delete(conn, queue, deadletter.dead_queue(queue), deadletter.retry_queue(queue))


def test_migrate_refuses_to_recreate_a_queue_that_holds_messages(conn):
    queue = f"evt-dltest-{uuid.uuid4().hex[:8]}--x.on_thing"
    _old_style(conn, queue, "dltest", "thing")
    try:
        Producer(conn.channel()).publish({"x": 1}, exchange="", routing_key=queue)
        with pytest.raises(deadletter.TopologyMismatch, match="1 message"):
            deadletter.declare(conn, "dltest", "thing", queue, recreate_empty=True)
        assert _depth(conn, queue) == 1  # untouched
    finally:
        _delete(conn, queue, deadletter.dead_queue(queue), deadletter.retry_queue(queue))


def test_declare_topology_upgrades_a_services_old_queues(migrated, conn):
    _delete(conn, BUDGET_QUEUE)
    _old_style(conn, BUDGET_QUEUE, "outsource", "payment_recorded")
    assert BUDGET_QUEUE in declare_topology("budget", config.load("budget").amqp_uri)
    deadletter.declare(conn, "outsource", "payment_recorded", BUDGET_QUEUE)  # arguments match now


def _kill(conn, event_id: str, error: str) -> None:
    """A dead letter as EventConsumer.failed leaves it."""
    body = {"id": event_id, "source": "outsource", "type": "govops.outsource.payment_recorded.v1",
            "time": "2027-05-01T02:00:00+00:00", "subject": "P", "correlationid": f"corr-{event_id}", "data": {}}
    Producer(conn.channel()).publish(
        json.dumps(body).encode(), exchange=deadletter.dead_exchange(BUDGET_QUEUE), routing_key=BUDGET_QUEUE,
        content_type="application/json", content_encoding="utf-8",
        headers={deadletter.ATTEMPTS: 5, deadletter.LAST_ERROR: error, deadletter.ERROR_CLASS: "transient",
                 deadletter.FAILED_AT: "2027-05-01T02:00:05+00:00"})


def test_cli_lists_and_replays_dead_letters(migrated, conn, monkeypatch):
    from govkit.cli import app
    from govkit.cli_support import console

    monkeypatch.setattr(console, "width", 300)
    ch = conn.channel()
    for q in (BUDGET_QUEUE, deadletter.dead_queue(BUDGET_QUEUE)):
        ch.queue_purge(q)
    ch.close()
    _kill(conn, "dl-1", "OperationalError: server closed the connection")
    _kill(conn, "dl-2", "KeyError: 'amount'")
    runner = CliRunner()

    listed = runner.invoke(app, ["events", "dead-letters", "list", "budget"])
    assert listed.exit_code == 0, listed.output
    assert "2 dead letter(s)" in listed.output
    for text in ("dl-1", "corr-dl-2", "OperationalError: server closed the connection", BUDGET_QUEUE, "5"):
        assert text in listed.output
    assert _depth(conn, deadletter.dead_queue(BUDGET_QUEUE)) == 2  # listing takes nothing away

    assert runner.invoke(app, ["events", "dead-letters", "replay", "budget"]).exit_code == 2  # neither option
    one = runner.invoke(app, ["events", "dead-letters", "replay", "budget", "--event-id", "dl-1"])
    assert one.exit_code == 0 and "1 dead letter(s) replayed" in one.output, one.output
    assert (_depth(conn, BUDGET_QUEUE), _depth(conn, deadletter.dead_queue(BUDGET_QUEUE))) == (1, 1)
    again = runner.invoke(app, ["events", "dead-letters", "replay", "budget", "--event-id", "dl-1"])
    assert "0 dead letter(s) replayed" in again.output
    everything = runner.invoke(app, ["events", "dead-letters", "replay", "budget", "--all"])
    assert "1 dead letter(s) replayed" in everything.output
    assert (_depth(conn, BUDGET_QUEUE), _depth(conn, deadletter.dead_queue(BUDGET_QUEUE))) == (2, 0)

    ch = conn.channel()
    raw = ch.basic_get(BUDGET_QUEUE, no_ack=True)
    replayed = ch.message_to_python(raw)
    assert replayed.headers[deadletter.REPLAYS] == 1
    assert deadletter.ATTEMPTS not in replayed.headers  # a fresh attempt budget
    assert json.loads(replayed.body)["id"] == "dl-1"
    ch.queue_purge(BUDGET_QUEUE)
    ch.close()


def test_the_dead_letter_gauge_reads_what_lies_on_each_dead_queue(migrated, conn):
    from prometheus_client import CollectorRegistry

    ch = conn.channel()
    for q in (BUDGET_QUEUE, deadletter.dead_queue(BUDGET_QUEUE)):
        ch.queue_purge(q)
    ch.close()
    registry = CollectorRegistry()
    registry.register(deadletter.DeadLetterGauge(config.load("budget").amqp_uri, [BUDGET_QUEUE, "evt-none--x.on_y"]))

    def gauge(queue=BUDGET_QUEUE):
        return registry.get_sample_value("govops_dead_letters", {"queue": queue})

    assert gauge() == 0
    _kill(conn, "g-1", "KeyError: 'amount'")
    _kill(conn, "g-2", "KeyError: 'amount'")
    assert gauge() == 2 and gauge() == 2  # reading it takes nothing off the queue
    assert gauge("evt-none--x.on_y") is None  # a queue nobody declared: no sample, no failed scrape
    with deadletter.connect(config.load("budget").amqp_uri) as c:
        assert len(deadletter.replay(c, [BUDGET_QUEUE])) == 2
    assert gauge() == 0
    ch = conn.channel()
    ch.queue_purge(BUDGET_QUEUE)
    ch.close()


def test_a_gauge_on_an_unreachable_broker_yields_no_sample():
    from prometheus_client import CollectorRegistry

    from govkit.stack import free_port

    registry = CollectorRegistry()
    registry.register(deadletter.DeadLetterGauge(f"amqp://guest:guest@127.0.0.1:{free_port()}//", [BUDGET_QUEUE]))
    assert registry.get_sample_value("govops_dead_letters", {"queue": BUDGET_QUEUE}) is None
