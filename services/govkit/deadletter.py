"""Dead letters of the event consumers: the broker topology around each consumer queue, the headers
a failed delivery carries, and listing / replaying what died (`govops events dead-letters`).

For a consumer queue `Q` (nameko's `evt-<source>-<event>--<service>.<method>`):

* `Q` is declared with `x-dead-letter-exchange = Q.dlx`;
* `Q.dlx` is a durable fanout exchange and `Q.dead` the durable queue bound to it: the dead
  letters. The kit publishes a message there itself (with the headers below) when it gives up;
  anything the broker dead-letters natively (a `reject` without requeue) lands there too;
* `Q.retry` is a durable queue nobody consumes, declared with `x-dead-letter-exchange = ""` and
  `x-dead-letter-routing-key = Q`: a message published to it with a per-message `expiration`
  (the backoff) goes back to `Q` when it expires. The worker never sleeps.

Both `govops-migrate` (`declare`) and the worker (`govkit.consumers.EventConsumer.setup`) declare
this with the same arguments — RabbitMQ refuses a redeclaration with different ones
(PRECONDITION_FAILED). A queue left over from before dead-lettering (no arguments) is recreated
by `govops-migrate` only if it is empty and unused; otherwise it refuses, naming the queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import logs

log = logs.get_logger(__name__)

# Headers the kit puts on a retried or dead-lettered message.
ATTEMPTS = "x-attempts"          # failed deliveries so far
LAST_ERROR = "x-last-error"      # "<ExceptionType>: <message>" of the last failure
ERROR_CLASS = "x-error-class"    # malformed | transient | error
CONSUMER = "x-consumer"          # the consumer (inbox name) that failed
ORIGINAL_QUEUE = "x-original-queue"
FAILED_AT = "x-failed-at"        # ISO 8601, UTC, of the last failure
REPLAYS = "x-replays"            # how often `govops events dead-letters replay` put it back
KIT_HEADERS = (ATTEMPTS, LAST_ERROR, ERROR_CLASS, CONSUMER, ORIGINAL_QUEUE, FAILED_AT)


def carried(headers: dict | None) -> dict:
    """The headers worth keeping on a republished message: without the broker's death records
    (`x-death`, `x-first-death-*`, `x-last-death-*`), which grow with every retry."""
    return {k: v for k, v in (headers or {}).items()
            if k != "x-death" and not k.startswith(("x-first-death-", "x-last-death-"))}


class TopologyMismatch(RuntimeError):
    """A consumer queue exists with other arguments and cannot be recreated safely."""


def dead_exchange(queue: str) -> str:
    return f"{queue}.dlx"


def dead_queue(queue: str) -> str:
    return f"{queue}.dead"


def retry_queue(queue: str) -> str:
    return f"{queue}.retry"


def is_companion(name: str) -> bool:
    """A consumer queue's retry or dead-letter queue (nobody consumes these)."""
    return name.endswith((dead_queue(""), retry_queue("")))


def queue_arguments(queue: str) -> dict:
    """The arguments of consumer queue `queue` — identical wherever it is declared."""
    return {"x-dead-letter-exchange": dead_exchange(queue)}


def retry_arguments(queue: str) -> dict:
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}


def _is_precondition_failed(exc: Exception) -> bool:
    return getattr(exc, "code", None) == 406 or "PRECONDITION_FAILED" in str(exc)


def declare(connection, source: str, event: str, queue: str, *, recreate_empty: bool = False) -> None:
    """Declare `queue` (bound to `<source>.events` / `event`) with its dead-letter exchange, dead
    queue and retry queue on kombu `connection`. If `queue` exists with other arguments: with
    `recreate_empty`, delete it when it holds no message and has no consumer and declare it again;
    otherwise (or when it is not empty) raise TopologyMismatch."""
    from kombu import Exchange, Queue

    def declare_all(channel) -> None:
        events = Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False)
        events(channel).declare()
        dlx = Exchange(dead_exchange(queue), type="fanout", durable=True, auto_delete=False)
        dlx(channel).declare()
        Queue(dead_queue(queue), exchange=dlx, routing_key="", durable=True, auto_delete=False)(channel).declare()
        Queue(retry_queue(queue), durable=True, auto_delete=False,
              queue_arguments=retry_arguments(queue))(channel).declare()
        Queue(queue, exchange=events, routing_key=event, durable=True, auto_delete=False, exclusive=False,
              queue_arguments=queue_arguments(queue))(channel).declare()

    channel = connection.channel()
    try:
        declare_all(channel)
        return
    except Exception as exc:
        if not _is_precondition_failed(exc):
            raise
        mismatch = exc
    finally:
        _close(channel)

    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
    finally:
        _close(channel)
    if not recreate_empty or messages or consumers:
        raise TopologyMismatch(
            f"queue {queue!r} exists with other arguments than {queue_arguments(queue)} "
            f"({messages} message(s), {consumers} consumer(s)): {mismatch}. "
            + ("It is not empty or still consumed: stop the service's old workers, let the queue drain "
               "(or move its messages elsewhere), then run govops-migrate again."
               if recreate_empty else "Run govops-migrate for its service (it recreates an empty queue)."))
    channel = connection.channel()
    try:
        # if_empty/if_unused: the broker refuses if a message or a consumer arrived meanwhile.
        channel.queue_delete(queue=queue, if_empty=True, if_unused=True)
        log.warning("consumer_queue_recreated", queue=queue, reason="arguments changed (dead-letter exchange)")
        declare_all(channel)
    finally:
        _close(channel)


def _close(channel) -> None:
    try:
        channel.close()
    except Exception:  # a channel the broker already closed (PRECONDITION_FAILED)
        pass


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def describe_error(exc_info) -> str:
    text = f"{exc_info[0].__name__}: {exc_info[1]}"
    return text if len(text) <= 1000 else text[:997] + "..."


# ---- listing and replay (the CLI) --------------------------------------------------------------
@dataclass(frozen=True)
class DeadLetter:
    queue: str                 # the consumer queue it died in
    event_id: str | None
    event_type: str | None
    correlation_id: str | None
    attempts: int | None
    last_error: str | None
    failed_at: str | None
    error_class: str | None
    replays: int


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def describe(queue: str, message) -> DeadLetter:
    headers = dict(message.headers or {})
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = None
    raw = body if isinstance(body, dict) else {}
    attempts = headers.get(ATTEMPTS)
    if attempts is None:  # dead-lettered by the broker itself: x-death counts the rejections
        deaths = headers.get("x-death") or []
        attempts = sum(int(d.get("count", 0)) for d in deaths if _text(d.get("reason")) == "rejected") or None
    failed_at = _text(headers.get(FAILED_AT))
    return DeadLetter(queue=queue, event_id=_text(raw.get("id")), event_type=_text(raw.get("type")),
                      correlation_id=_text(raw.get("correlationid")), attempts=int(attempts) if attempts else None,
                      last_error=_text(headers.get(LAST_ERROR)), failed_at=failed_at,
                      error_class=_text(headers.get(ERROR_CLASS)), replays=int(headers.get(REPLAYS) or 0))


def _drain(channel, queue: str) -> Iterator[Any]:
    """The messages `queue` holds now, fetched without ack (returned to the queue when the channel
    closes unless acked). At most as many as it held when the drain began: a replayed poison
    message the consumer dead-letters again meanwhile lands behind them and is not taken again —
    otherwise a replay with the consumer running would chase it for as long as it wins the race."""
    held = channel.queue_declare(queue=queue, passive=True).message_count
    for _ in range(held):
        raw = channel.basic_get(queue, no_ack=False)
        if raw is None:
            return
        yield channel.message_to_python(raw)


def list_dead(connection, queues: list[str]) -> list[DeadLetter]:
    """What the dead queues of `queues` hold, without taking anything off them."""
    found: list[DeadLetter] = []
    for queue in queues:
        channel = connection.channel()
        try:
            found.extend(describe(queue, m) for m in _drain(channel, dead_queue(queue)))
        finally:
            _close(channel)  # the un-acked messages go back to the dead queue
    return found


def connect(amqp_uri: str):
    """A kombu connection for `list_dead` / `replay` (publisher confirms on)."""
    from kombu import Connection

    return Connection(amqp_uri, transport_options={"confirm_publish": True})


def replay(connection, queues: list[str], *, event_id: str | None = None) -> list[DeadLetter]:
    """Move dead letters of `queues` (all, or those of `event_id`) back to their consumer queue,
    with a fresh attempt budget; `connection` from `connect`. Each message is published with
    publisher confirms before it is acked off the dead queue: a crash in between leaves a copy
    behind, which the consumer's inbox dedupes if it is replayed again."""
    from kombu import Producer

    moved: list[DeadLetter] = []
    for queue in queues:
        channel = connection.channel()
        publish_channel = connection.channel()
        try:
            producer = Producer(publish_channel)  # the default exchange: routing key = queue
            for message in _drain(channel, dead_queue(queue)):
                letter = describe(queue, message)
                if event_id is not None and letter.event_id != event_id:
                    continue  # left un-acked: back on the dead queue when the channel closes
                headers = {k: v for k, v in carried(message.headers).items() if k not in KIT_HEADERS}
                headers[REPLAYS] = letter.replays + 1
                producer.publish(message.body, routing_key=queue, headers=headers,
                                 content_type=message.content_type or "application/json",
                                 content_encoding=message.content_encoding or "utf-8",
                                 delivery_mode=2, mandatory=True)
                message.ack()
                moved.append(letter)
                log.info("dead_letter_replayed", queue=queue, event_id=letter.event_id,
                         correlation_id=letter.correlation_id)
        finally:
            _close(publish_channel)
            _close(channel)
    return moved


# ---- the metric ---------------------------------------------------------------------------------
class DeadLetterGauge:
    """A Prometheus collector: `govops_dead_letters{queue}`, the messages on each consumer queue's
    dead-letter queue right now — read from the broker at scrape time (one connection, a passive
    declare per queue), so it counts every dead letter whoever put it there (a nameko worker, the
    batch consumer, the broker rejecting natively) and drops back when they are replayed. Every
    worker exposes it for its own service's consumer queues on its `/metrics`. A broker that
    cannot be reached yields no samples (and a log line), never a failed scrape."""

    NAME = "govops_dead_letters"
    HELP = "Messages now on the consumer queue's dead-letter queue (<queue>.dead)"

    def __init__(self, amqp_uri: str, queues: list[str]):
        self.amqp_uri = amqp_uri
        self.queues = list(queues)

    def describe(self):
        from prometheus_client.core import GaugeMetricFamily

        return [GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])]

    def collect(self):
        from kombu import Connection
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])
        try:
            with Connection(self.amqp_uri, connect_timeout=3) as conn:
                for queue in self.queues:
                    channel = conn.channel()
                    try:
                        family.add_metric([queue], channel.queue_declare(queue=dead_queue(queue),
                                                                         passive=True).message_count)
                    except Exception as exc:  # not declared (yet): no sample for it
                        if not _is_not_found(exc):
                            raise
                    finally:
                        _close(channel)
        except Exception as exc:
            log.warning("dead_letter_gauge_unavailable", error=repr(exc)[:300])
        yield family


def _is_not_found(exc: Exception) -> bool:
    return getattr(exc, "code", None) == 404 or "NOT_FOUND" in str(exc)
