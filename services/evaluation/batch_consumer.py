"""`python -m evaluation.batch_consumer`: a batched pika consumer of the ticket events, an
alternative to the nameko handlers of evaluation-worker for high ingest rates.

It consumes the very queues the nameko handlers are bound to (declared by govops-migrate), takes
whatever arrived within `GOVOPS_EVAL_BATCH_WAIT_MS` (up to the prefetch), records the batch in one
PostgreSQL transaction (bulk inbox + facts) and one Redis pipeline (one atomic script per event,
so the exactly-once and order rules are those of the nameko path), then acks the batch. A crash
before the ack redelivers the batch: the inbox and the Redis dedupe make that harmless. It can
run beside the nameko worker or instead of its ticket handlers; bench/evaluation.py measures both.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import pika

from govkit import config as govconfig
from govkit import logs
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


def run(stop: threading.Event, *, prefetch: int = 500, wait_ms: float = 20.0, settings=None) -> None:
    settings = settings or govconfig.load("evaluation", "worker")
    engine = make_engine(settings.database_url, pool_size=2)
    store = KpiStore.from_url(settings.redis_url)
    cache = AncestorCache()
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    ch = conn.channel()
    ch.basic_qos(prefetch_count=prefetch)
    pending: list[tuple[int, bytes]] = []

    def on_message(_ch, method, _props, body):
        pending.append((method.delivery_tag, body))

    for q in ticket_queues():
        ch.basic_consume(q, on_message)
    log.info("batch_consumer_started", queues=len(ticket_queues()), prefetch=prefetch)
    try:
        while not stop.is_set():
            conn.process_data_events(time_limit=wait_ms / 1000)
            if not pending:
                continue
            envs = [Envelope.from_dict(json.loads(body)) for _, body in pending]
            handlers.record_batch(envs, EvaluationUnitOfWork(engine), store, cache, ev.close_rectifications_for)
            ch.basic_ack(pending[-1][0], multiple=True)
            pending.clear()
    finally:
        try:
            conn.close()
        finally:
            store.redis.close()
            engine.dispose()


def main() -> None:
    logs.configure("evaluation", "batch_consumer")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run(stop, prefetch=int(os.environ.get("GOVOPS_EVAL_BATCH_PREFETCH", "500")),
        wait_ms=float(os.environ.get("GOVOPS_EVAL_BATCH_WAIT_MS", "20")))


if __name__ == "__main__":
    main()
