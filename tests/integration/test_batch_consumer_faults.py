"""evaluation.batch_consumer under the kit's failure policy, on the real broker, PostgreSQL and
Redis: an undecodable body is dead-lettered at once, an event that keeps failing is retried with
backoff and dead-lettered after GOVOPS_CONSUMER_MAX_ATTEMPTS, the rest of its batch is recorded —
nothing acked away, nothing redelivered for ever, and the consumer keeps running."""

from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa
from kombu import Connection, Producer

from govkit import config, deadletter
from govkit.migrate import declare_topology
from tests.catchup import wait_until

QUEUE = "evt-ticket-ticket_created--evaluation.on_ticket_created"


def _created(event_id: str) -> dict:
    at = "2030-01-05T02:00:00+00:00"
    return {"id": event_id, "source": "ticket", "type": "govops.ticket.ticket_created.v1", "time": at,
            "subject": f"t-{event_id}", "orgunitid": "bcf", "correlationid": f"corr-{event_id}",
            "data": {"ticket_id": f"t-{event_id}", "org_unit_id": "bcf", "priority": "high", "status": "new",
                     "occurred_at": at, "created_at": at}}


@pytest.fixture
def amqp(migrated):
    uri = config.load("evaluation").amqp_uri
    declare_topology("evaluation", uri)
    with Connection(uri) as conn:
        ch = conn.channel()
        for q in (QUEUE, deadletter.dead_queue(QUEUE), deadletter.retry_queue(QUEUE)):
            ch.queue_purge(q)
        ch.close()
    return uri


def test_the_batch_consumer_dead_letters_poison_and_retries_failures_with_backoff(
        amqp, engine_for, redis_client, monkeypatch):
    from evaluation import batch_consumer, handlers

    monkeypatch.setenv("GOVOPS_CONSUMER_RETRY_DELAY_SECONDS", "0.05")
    monkeypatch.setenv("GOVOPS_CONSUMER_MAX_ATTEMPTS", "3")
    engine = engine_for("evaluation")
    real_record, attempts = handlers.record_batch, []

    def record_batch(envs, *args, **kwargs):  # a handler bug that hits one event only
        if any(e.id == "bcf-bad" for e in envs):
            attempts.append(len(envs))
            raise RuntimeError("injected: cannot record bcf-bad")
        return real_record(envs, *args, **kwargs)

    monkeypatch.setattr(handlers, "record_batch", record_batch)
    with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        for body in [_created("bcf-1"), _created("bcf-2"), _created("bcf-bad"), _created("bcf-3")]:
            producer.publish(json.dumps(body).encode(), exchange="ticket.events", routing_key="ticket_created",
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2)
        producer.publish(b"\xff not JSON", exchange="", routing_key=QUEUE, content_type="application/json",
                         content_encoding="utf-8", delivery_mode=2)
        producer.publish(_created("bcf-4"), exchange="ticket.events", routing_key="ticket_created",
                         serializer="json")

    stop = threading.Event()
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            batch_consumer.run(stop, prefetch=50, wait_ms=50)
        except BaseException as exc:  # the test reports it
            errors.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    try:
        def facts() -> list[str]:
            with engine.connect() as c:
                return sorted(c.execute(sa.text("SELECT event_id FROM facts WHERE event_id LIKE 'bcf-%'")).scalars())

        def dead():
            with deadletter.connect(amqp) as conn:
                return deadletter.list_dead(conn, [QUEUE])

        wait_until(lambda: len(dead()) == 2, "both bad messages dead-lettered", timeout=20.0, interval=0.05)
        assert facts() == ["bcf-1", "bcf-2", "bcf-3", "bcf-4"]
        by_id = {d.event_id: d for d in dead()}
        garbage, bad = by_id[None], by_id["bcf-bad"]
        assert (garbage.error_class, garbage.attempts) == ("malformed", 1) and "undecodable" in garbage.last_error
        assert (bad.error_class, bad.attempts, bad.correlation_id) == ("error", 3, "corr-bcf-bad")
        assert bad.last_error == "RuntimeError: injected: cannot record bcf-bad"
        tried = len(attempts)
        time.sleep(0.5)
        assert len(attempts) == tried and attempts[-1] == 1  # alone at last, and not redelivered for ever
        assert len(dead()) == 2 and not errors and worker.is_alive()
        with Connection(amqp) as conn:
            ch = conn.channel()
            depths = [ch.queue_declare(queue=q, passive=True).message_count
                      for q in (QUEUE, deadletter.retry_queue(QUEUE))]
            ch.close()
        assert depths == [0, 0]
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id LIKE 'bcf-%'")).scalar() == 4
    finally:
        stop.set()
        worker.join(timeout=10)
