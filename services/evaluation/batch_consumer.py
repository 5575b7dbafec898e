"""`python -m evaluation.batch_consumer`: a batched pika consumer of the ticket events, an
alternative to the nameko handlers of evaluation-worker for high ingest rates.

It consumes the very queues the nameko handlers are bound to (declared by govops-migrate), takes
whatever arrived within `GOVOPS_EVAL_BATCH_WAIT_MS` (up to the prefetch), records the batch in one
PostgreSQL transaction (bulk inbox + facts) and one Redis pipeline (one atomic script per event,
so the exactly-once and order rules are those of the nameko path), then acks the batch. A crash
before the ack redelivers the batch: the inbox and the Redis dedupe make that harmless. It can
run beside the nameko worker or instead of its ticket handlers; bench/evaluation.py measures both.

Failures follow the kit's one policy (govkit.consumers.settle, as every nameko consumer): a body
that does not decode or parse is dead-lettered at once; when the batch fails, its events are
recorded one by one, and each that still fails is republished to its queue's retry queue with
backoff, or after GOVOPS_CONSUMER_MAX_ATTEMPTS failures to its dead-letter exchange — confirmed
by the broker before the original is acked. Nothing is acked away, nothing loops for ever.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from dataclasses import dataclass

import pika

from govkit import config as govconfig
from govkit import logs
from govkit.consumers import MalformedEvent, SettleFailed, decode, settle
from govkit.db import make_engine
from govkit.events import Envelope
from govkit.migrate import event_subscriptions

from . import handlers
from . import handlers_eval as ev
from .adapters.kpi_store import KpiStore
from .adapters.org import AncestorCache
from .adapters.uow import EvaluationUnitOfWork

log = logs.get_logger(__name__)


def ticket_queues() -> list[str]:
    return [q for source, _event, q in event_subscriptions("evaluation") if source == "ticket"]


@dataclass
class _Delivery:
    queue: str
    tag: int
    properties: pika.BasicProperties
    body: bytes


def run(stop: threading.Event, *, prefetch: int = 500, wait_ms: float = 20.0, settings=None) -> None:
    settings = settings or govconfig.load("evaluation", "worker")
    engine = make_engine(settings.database_url, pool_size=2)
    store = KpiStore.from_url(settings.redis_url)
    cache = AncestorCache()
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    ch = conn.channel()
    ch.confirm_delivery()  # a retry or dead letter is confirmed before the original is acked
    ch.basic_qos(prefetch_count=prefetch)
    pending: list[_Delivery] = []

    def record(envs: list[Envelope]) -> None:
        handlers.record_batch(envs, EvaluationUnitOfWork(engine), store, cache, ev.close_rectifications_for)

    def failed(d: _Delivery, exc_info, payload=None) -> None:
        """The kit's failure policy (govkit.consumers.settle), published on this channel."""

        def publish(exchange: str, routing_key: str, headers: dict, expiration: float | None) -> None:
            ch.basic_publish(exchange, routing_key, d.body, pika.BasicProperties(
                content_type=d.properties.content_type or "application/json",
                content_encoding=d.properties.content_encoding or "utf-8", headers=headers, delivery_mode=2,
                expiration=None if expiration is None else str(max(1, round(expiration * 1000)))),
                mandatory=True)

        try:
            settle(publish, d.properties.headers, exc_info, consumer=handlers.CONSUMER, queue=d.queue,
                   payload=payload)
        except SettleFailed as exc:  # the broker's own paths: requeue a retry, dead-letter the rest
            ch.basic_reject(d.tag, requeue=not exc.verdict.dead)
        else:
            ch.basic_ack(d.tag)

    def settle_batch(batch: list[_Delivery]) -> None:
        parsed: list[tuple[_Delivery, Envelope]] = []
        for d in batch:
            try:
                parsed.append((d, decode(d.body, d.properties.content_type)))
            except MalformedEvent:
                failed(d, sys.exc_info())
        if not parsed:
            return
        try:
            record([env for _, env in parsed])
        except Exception:
            if len(parsed) == 1:
                failed(parsed[0][0], sys.exc_info(), parsed[0][1].to_dict())
                return
            # Which one? Each on its own: the good ones are recorded, each failing one takes the
            # policy (retried with backoff through its queue's retry queue, or dead-lettered).
            log.warning("batch_failed_one_by_one", events=len(parsed), exc_info=True)
            for d, env in parsed:
                try:
                    record([env])
                except Exception:
                    failed(d, sys.exc_info(), env.to_dict())
                else:
                    ch.basic_ack(d.tag)
            return
        if len(parsed) == len(batch):
            ch.basic_ack(batch[-1].tag, multiple=True)
        else:
            for d, _ in parsed:
                ch.basic_ack(d.tag)

    for q in ticket_queues():
        ch.basic_consume(q, functools.partial(_collect, pending, q))
    log.info("batch_consumer_started", queues=len(ticket_queues()), prefetch=prefetch)
    try:
        while not stop.is_set():
            conn.process_data_events(time_limit=wait_ms / 1000)
            if not pending:
                continue
            batch = sorted(pending, key=lambda d: d.tag)
            pending.clear()
            settle_batch(batch)
    finally:
        try:
            conn.close()
        finally:
            store.redis.close()
            engine.dispose()


def _collect(pending: list[_Delivery], queue: str, _ch, method, properties, body) -> None:
    pending.append(_Delivery(queue, method.delivery_tag, properties, body))


def main() -> None:
    logs.configure("evaluation", "batch_consumer")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run(stop, prefetch=int(os.environ.get("GOVOPS_EVAL_BATCH_PREFETCH", "500")),
        wait_ms=float(os.environ.get("GOVOPS_EVAL_BATCH_WAIT_MS", "20")))


if __name__ == "__main__":
    main()
