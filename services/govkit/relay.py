"""Outbox relay: publishes outbox rows to RabbitMQ with publisher confirms, then marks them sent.

* Woken at once by PostgreSQL LISTEN/NOTIFY (the unit of work notifies at commit; govkit.listen);
  the timer is a backstop only.
* Several replicas are safe: each batch is claimed with `FOR UPDATE SKIP LOCKED` and marked sent in
  the same transaction, after the broker confirmed every message of the batch.
* Confirms are batched: publish the whole batch, then wait for the acks, instead of one round trip
  per message.
* At least once: a relay that dies after publishing but before its commit publishes the batch
  again; consumers are idempotent (govkit.consumers).

Messages use nameko's event conventions (topic exchange `<service>.events`, routing key = event
name, JSON body) so nameko `@event_handler`s consume them directly. The body is the envelope.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import amqp
import sqlalchemy as sa
from kombu import Connection as KombuConnection
from prometheus_client import Counter, Histogram
from sqlalchemy.engine import Engine

from . import logs
from .db import OUTBOX_CHANNEL
from .listen import Listener

log = logs.get_logger(__name__)

RELAYED = Counter("govops_outbox_relayed_total", "Outbox rows published and confirmed", ["service"])
BATCH_SECONDS = Histogram("govops_outbox_batch_seconds", "Time to publish and confirm one batch", ["service"])

_CLAIM = sa.text(
    "SELECT seq, envelope FROM outbox WHERE sent_at IS NULL ORDER BY seq "
    "LIMIT :n FOR UPDATE SKIP LOCKED"
)
_MARK = sa.text("UPDATE outbox SET sent_at = now() WHERE seq = ANY(:seqs)")


def event_exchange(service: str) -> str:
    """nameko's event exchange name for `service` (nameko.standalone.events.get_event_exchange)."""
    return f"{service}.events"


class PublishFailed(Exception):
    pass


class ConfirmingPublisher:
    """Publishes batches on one channel in confirm mode and waits for all acks of the batch."""

    def __init__(self, amqp_uri: str, exchange: str, *, confirm_timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self._kombu: KombuConnection | None = None
        self._channel = None
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked = False

    def _ensure(self):
        if self._channel is not None:
            return self._channel
        self._kombu = KombuConnection(self.amqp_uri, heartbeat=0)
        self._kombu.ensure_connection(max_retries=3)
        ch = self._kombu.connection.channel()
        # Same attributes nameko declares, or RabbitMQ refuses the redeclaration.
        ch.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
        ch.confirm_select()
        ch.events["basic_ack"].add(self._on_ack)
        ch.events["basic_nack"].add(self._on_nack)
        self._channel, self._next_tag, self._unconfirmed, self._nacked = ch, 1, set(), False
        return ch

    def _confirmed(self, tag: int, multiple: bool) -> set[int]:
        # The broker may confirm out of order, singly or "everything up to tag".
        done = {t for t in self._unconfirmed if t <= tag} if multiple else {tag} & self._unconfirmed
        self._unconfirmed -= done
        return done

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._confirmed(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        if self._confirmed(tag, multiple):
            self._nacked = True

    def publish_batch(self, envelopes: list[dict]) -> None:
        try:
            ch = self._ensure()
            for env in envelopes:
                msg = amqp.Message(
                    json.dumps(env, ensure_ascii=False).encode("utf-8"),
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=env["id"],
                    application_headers={"nameko.correlation_id": env.get("correlationid") or "",
                                         "govops.type": env["type"]},
                )
                routing_key = env["type"].split(".")[2]
                ch.basic_publish(msg, exchange=self.exchange, routing_key=routing_key)
                self._unconfirmed.add(self._next_tag)
                self._next_tag += 1
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed and not self._nacked:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PublishFailed("timed out waiting for publisher confirms")
                self._kombu.connection.drain_events(timeout=remaining)
            if self._nacked:
                raise PublishFailed("broker nacked a message")
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._kombu is not None:
            try:
                self._kombu.release()
            except Exception:  # already broken: nothing left to release
                pass
        self._kombu, self._channel = None, None


class OutboxRelay:
    def __init__(self, engine: Engine, amqp_uri: str, service: str, *, batch_size: int = 500,
                 backstop_seconds: float = 5.0, linger_seconds: float = 0.005,
                 publisher_factory: Callable[[], ConfirmingPublisher] | None = None):
        self.engine = engine
        self.service = service
        self.batch_size = batch_size
        self.backstop_seconds = backstop_seconds
        self.linger_seconds = linger_seconds
        self.publisher = (publisher_factory or (lambda: ConfirmingPublisher(amqp_uri, event_exchange(service))))()
        self._stop = threading.Event()
        self.listener = Listener(engine, OUTBOX_CHANNEL, stop=self._stop)

    # -- one step -------------------------------------------------------------------------
    def relay_once(self) -> int:
        """Claim, publish, confirm and mark one batch. Returns how many rows were relayed."""
        with self.engine.begin() as conn:
            rows = conn.execute(_CLAIM, {"n": self.batch_size}).all()
            if not rows:
                return 0
            with BATCH_SECONDS.labels(self.service).time():
                self.publisher.publish_batch([r.envelope for r in rows])
            conn.execute(_MARK, {"seqs": [r.seq for r in rows]})
        RELAYED.labels(self.service).inc(len(rows))
        return len(rows)

    def drain(self) -> int:
        total = 0
        while not self._stop.is_set():
            n = self.relay_once()
            total += n
            if n < self.batch_size:
                break
        return total

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        log.info("outbox_relay_started", batch_size=self.batch_size)
        failures = 0
        while not self._stop.is_set():
            try:
                # Drain first: rows committed while nobody listened must not wait for a NOTIFY
                # (the listener also answers True right after it (re)connects, for the same reason).
                self.drain()
                failures = 0
                if self.listener.wait(self.backstop_seconds) and self.linger_seconds:
                    # Under load, commits arrive in bursts: a few ms of patience turns one-row
                    # batches (a claim, a confirm round trip and a commit each) into real batches.
                    self._stop.wait(self.linger_seconds)
            except Exception as exc:  # broker or database down: back off, keep the rows, retry
                failures += 1
                log.warning("outbox_relay_retry", error=str(exc), failures=failures)
                self.publisher.close()
                self._stop.wait(min(0.2 * 2 ** failures, 5.0))
        self.listener.close()
        self.publisher.close()
        log.info("outbox_relay_stopped")

    def stop(self) -> None:
        self._stop.set()
