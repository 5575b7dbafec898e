"""The one way a service consumes events: `@consume(source, event)` on a nameko service method.

    @consume("outsource", "payment_recorded")
    def on_payment_recorded(self, env: Envelope, uow) -> None:
        handlers.apply_payment(env, uow)

For every delivery the kit, not the handler:

1. parses the envelope (govkit.events.Envelope) once;
2. binds `correlation_id` (the envelope's), `event_id`, `event_type` and `consumer` to the log
   context;
3. opens the service's unit of work (`self.uow()`), records the event id in the inbox under the
   consumer's name and calls the handler only if the id is new — the handler's effect and the
   inbox row commit in the same transaction (`deliver`, also callable without nameko);
4. on any error takes the one failure path, `EventConsumer.failed` → `settle` (the decision is
   `judge`; evaluation's pika batch consumer applies the same two; govkit.deadletter has the
   queues and headers):
   * a malformed envelope (`MalformedEvent`) is dead-lettered at once: retrying cannot help —
     so is a body kombu cannot decode (`DecodingQueueConsumer` → `EventConsumer.undecodable`);
   * any other error (transient — database, Redis, broker connection — or not) is retried: the
     message is republished to the queue's retry queue `<queue>.retry` with `x-attempts` = the
     failures so far and a per-message expiration (the backoff, base * 2^(n-1), capped), whence
     the broker dead-letters it back to the queue; the original is acked. No sleep in the worker;
   * after GOVOPS_CONSUMER_MAX_ATTEMPTS (default 5) failures it is published to the queue's
     dead-letter exchange `<queue>.dlx` (queue `<queue>.dead`) with `x-last-error`,
     `x-attempts`, `x-error-class`, `x-consumer`, `x-failed-at`, then acked, and
     `govops_consumer_dead_lettered_total` counts it. If that publish fails the message is
     rejected without requeue, which the broker dead-letters to the same queue.
   Nothing is acked unless it was applied, already seen, or safely on the retry/dead queue.

The handler runs inside the open transaction and must not commit or open its own `with uow:`.
`after_commit(self, env, uow)` runs after that transaction for new and already-seen events alike:
for an effect outside PostgreSQL that dedupes itself on the event id (evaluation's Redis KPIs),
so a redelivery after a crash between the two still completes it.

The queue is nameko's (`evt-<source>-<event>--<service>.<method>`) with the dead-letter
arguments (govkit.deadletter.queue_arguments), declared by govops-migrate and by the worker alike.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nameko.events import EventHandler
from nameko.messaging import QueueConsumer
from prometheus_client import Counter
from structlog.contextvars import bound_contextvars

from . import deadletter as dl
from . import logs
from .errors import is_transient
from .events import Envelope

log = logs.get_logger(__name__)

DEFAULT_CONSUMER = "{service}.{method}"

RETRIED = Counter("govops_consumer_retries_total", "Event deliveries that failed and were scheduled for a retry",
                  ["consumer", "error_class"])
DEAD_LETTERED = Counter("govops_consumer_dead_lettered_total",
                        "Events moved to the consumer's dead-letter queue (malformed or out of attempts)",
                        ["consumer", "queue", "error_class"])


class MalformedEvent(ValueError):
    """The message is not a GovOps event envelope: dead-lettered without a retry."""


@dataclass(frozen=True)
class RetryPolicy:
    """GOVOPS_CONSUMER_MAX_ATTEMPTS (5), GOVOPS_CONSUMER_RETRY_DELAY_SECONDS (2, the first
    backoff, doubled per failure), GOVOPS_CONSUMER_RETRY_MAX_DELAY_SECONDS (300, the cap)."""

    max_attempts: int = 5
    delay: float = 2.0
    max_delay: float = 300.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(max_attempts=max(1, int(os.environ.get("GOVOPS_CONSUMER_MAX_ATTEMPTS", "5"))),
                   delay=float(os.environ.get("GOVOPS_CONSUMER_RETRY_DELAY_SECONDS", "2")),
                   max_delay=float(os.environ.get("GOVOPS_CONSUMER_RETRY_MAX_DELAY_SECONDS", "300")))

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure."""
        return min(self.max_delay, self.delay * 2 ** max(0, failures - 1))


def classify(exc: BaseException) -> str:
    """"malformed" (no retry), "transient" (database, Redis or broker unreachable) or "error"."""
    if isinstance(exc, MalformedEvent):
        return "malformed"
    return "transient" if is_transient(exc) else "error"


def parse(payload) -> Envelope:
    """The envelope of a delivery, or MalformedEvent."""
    if not isinstance(payload, dict):
        raise MalformedEvent(f"not a GovOps event envelope: a JSON {type(payload).__name__}, not an object")
    try:
        return Envelope.from_dict(payload)
    except (TypeError, ValueError) as exc:
        raise MalformedEvent(str(exc)) from exc


def decode(body: bytes | str, content_type: str | None = None) -> Envelope:
    """The envelope of a raw message body (outside nameko, e.g. evaluation.batch_consumer), or
    MalformedEvent: what kombu would refuse to decode for a nameko consumer is malformed here too."""
    if content_type not in (None, "", "application/json"):
        raise MalformedEvent(f"undecodable body (content type {content_type!r}): not application/json")
    try:
        return parse(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"undecodable body: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class Verdict:
    """What the failure policy decided for one failed delivery."""

    dead: bool              # True: to the dead-letter exchange; False: to the retry queue
    attempts: int           # failed attempts so far, this one included
    error_class: str        # malformed | transient | error
    error: str              # "<ExceptionType>: <message>", shortened
    headers: dict           # the republished message's headers
    delay: float | None     # the backoff in seconds (retries only)

    def route(self, queue: str) -> tuple[str, str]:
        """(exchange, routing key) of the republished message."""
        return (dl.dead_exchange(queue), queue) if self.dead else ("", dl.retry_queue(queue))


def judge(headers: dict | None, exc_info, *, consumer: str, queue: str,
          policy: RetryPolicy | None = None) -> Verdict:
    """THE failure policy of every event consumer — change it here, and only here: malformed →
    dead at once; otherwise retried with backoff until `policy.max_attempts` failures, then dead."""
    policy = policy or RetryPolicy.from_env()
    error_class = classify(exc_info[1])
    headers = dict(headers or {})
    failures = int(headers.get(dl.ATTEMPTS) or 0) + 1
    error = dl.describe_error(exc_info)
    out = dl.carried(headers)
    out.update({dl.ATTEMPTS: failures, dl.LAST_ERROR: error, dl.ERROR_CLASS: error_class,
                dl.CONSUMER: consumer, dl.ORIGINAL_QUEUE: queue, dl.FAILED_AT: dl.now_iso()})
    dead = error_class == "malformed" or failures >= policy.max_attempts
    return Verdict(dead, failures, error_class, error, out, None if dead else policy.backoff(failures))


class SettleFailed(RuntimeError):
    """The retry or dead-letter publish failed: the caller falls back on the broker (requeue a
    retry, reject a dead letter without requeue so the queue's dead-letter exchange takes it)."""

    def __init__(self, verdict: Verdict, cause: BaseException):
        super().__init__(f"could not publish the {'dead letter' if verdict.dead else 'retry'}: {cause!r}")
        self.verdict = verdict


def settle(publish: Callable[[str, str, dict, float | None], None], headers: dict | None, exc_info, *,
           consumer: str, queue: str, payload=None) -> Verdict:
    """Apply the policy (`judge`) to a failed delivery from `queue`: `publish(exchange, routing_key,
    headers, expiration_seconds)` puts the message's own bytes on the retry queue or the
    dead-letter exchange and must return only once the broker confirmed it — then the caller acks
    the original. Logs and counts it; raises SettleFailed (logged) when the publish failed."""
    verdict = judge(headers, exc_info, consumer=consumer, queue=queue)
    fields = dict(consumer=consumer, queue=queue, attempts=verdict.attempts, error_class=verdict.error_class,
                  error=verdict.error, **_ids(payload))
    exchange, routing_key = verdict.route(queue)
    try:
        publish(exchange, routing_key, verdict.headers, verdict.delay)
    except Exception as exc:
        log.error("event_dead_letter_publish_failed_rejected" if verdict.dead
                  else "event_retry_publish_failed_requeued", publish_error=repr(exc), **fields)
        raise SettleFailed(verdict, exc) from exc
    if verdict.dead:
        DEAD_LETTERED.labels(consumer, queue, verdict.error_class).inc()
        log.error("event_dead_lettered", dead_queue=dl.dead_queue(queue), **fields)
    else:
        RETRIED.labels(consumer, verdict.error_class).inc()
        log.warning("event_failed_retrying", retry_in_seconds=verdict.delay, **fields)
    return verdict


@dataclass(frozen=True)
class Delivery:
    """What `deliver` did with one event."""

    new: bool            # False: the inbox already held the id; the handler was not called
    result: Any = None   # what the handler returned (None for a seen event)
    after: Any = None    # what after_commit returned


def deliver(uow, consumer: str, env: Envelope, handler: Callable[[Envelope, Any], Any], *,
            after_commit: Callable[[Envelope, Any], Any] | None = None) -> Delivery:
    """Apply `env` once for `consumer`: inbox claim and `handler(env, uow)` in one transaction."""
    with uow:
        new = not uow.seen(consumer, env.id)
        result = None
        if new:
            result = handler(env, uow)
            uow.commit()
        else:
            log.info("event_already_seen", consumer=consumer, event_id=env.id, event_type=env.type)
        after = after_commit(env, uow) if after_commit is not None else None
    return Delivery(new, result, after)


def _ids(payload) -> dict:
    raw = payload if isinstance(payload, dict) else {}
    return {"event_id": raw.get("id"), "event_type": raw.get("type"),
            "correlation_id": raw.get("correlationid") or logs.current("correlation_id")}


class DecodingQueueConsumer(QueueConsumer):
    """nameko's QueueConsumer (one broker connection shared by a worker's event consumers), except
    that a message whose body kombu cannot decode goes to its provider's `undecodable(message,
    exc)`: nameko's raises in the consumer thread, which kills the worker, and the broker hands the
    message to the next worker — a crash loop."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            undecodable = getattr(provider, "undecodable", None)
            if undecodable is not None:
                consumer.on_decode_error = undecodable
        return consumers


class EventConsumer(EventHandler):
    """nameko's SERVICE_POOL event handler (same queue name, same binding, plus the dead-letter
    arguments), with the kit's one failure policy instead of nameko's ack-on-error /
    requeue_on_error."""

    queue_consumer = DecodingQueueConsumer()

    def __init__(self, source_service: str, event_type: str, consumer: str = DEFAULT_CONSUMER, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=True, **kwargs)
        self.consumer = consumer
        self._publisher = None

    def consumer_name(self) -> str:
        return self.consumer.format(service=self.container.service_name, method=self.method_name)

    def setup(self):
        super().setup()  # nameko names the queue and registers with the queue consumer
        # Same arguments as govops-migrate, or the broker refuses nameko's declaration.
        self.queue.queue_arguments = dl.queue_arguments(self.queue.name)
        # The dead-letter exchange, dead and retry queues too: a worker on a vhost nobody
        # migrated (tests, a new deployment) must not dead-letter into nothing.
        from kombu import Connection
        from nameko.amqp.publish import Publisher
        from nameko.constants import AMQP_URI_CONFIG_KEY

        amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        with Connection(amqp_uri) as conn:
            try:
                dl.declare(conn, self.source_service, self.event_type, self.queue.name)
            except dl.TopologyMismatch as exc:
                raise dl.TopologyMismatch(f"{exc} (worker {self.container.service_name}: run "
                                          f"govops-migrate {self.container.service_name} first)") from None
        self._publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        else:
            self.failed(message, worker_ctx.args[0] if worker_ctx.args else None, exc_info)
        return result, exc_info

    def failed(self, message, payload, exc_info) -> None:
        """A delivery that failed (or could not be decoded): the kit's one failure policy
        (`settle`), published with this worker's confirming publisher, then acked."""
        consumer, queue = self.consumer_name(), self.queue.name
        try:
            settle(lambda exchange, routing_key, headers, expiration: self._republish(
                       message, headers, exchange=exchange, routing_key=routing_key, expiration=expiration),
                   getattr(message, "headers", None), exc_info, consumer=consumer, queue=queue, payload=payload)
        except SettleFailed as exc:  # broker trouble: fall back on the broker's own paths
            if exc.verdict.dead:
                _reject(message)  # x-dead-letter-exchange: still ends on <queue>.dead
            else:
                self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def undecodable(self, message, exc: Exception) -> None:
        """kombu could not decode the body (not JSON, a content type the worker does not accept):
        dead-lettered as malformed, like an envelope that does not parse — never raised in the
        consumer thread, which would kill the worker and have the broker redeliver it for ever."""
        error = MalformedEvent(f"undecodable body (content type {getattr(message, 'content_type', None)!r}): "
                               f"{type(exc).__name__}: {exc}")
        error.__cause__ = exc
        self.failed(message, None, (MalformedEvent, error, exc.__traceback__))

    def _republish(self, message, headers: dict, *, exchange: str, routing_key: str,
                   expiration: float | None = None) -> None:
        """The message's own bytes, with `headers`, confirmed by the broker before we ack."""
        assert self._publisher is not None, "EventConsumer.setup has not run"
        self._publisher.publish(message.body, exchange=exchange, routing_key=routing_key, headers=headers,
                                content_type=message.content_type or "application/json",
                                content_encoding=message.content_encoding or "utf-8",
                                delivery_mode=2, expiration=expiration)


def _reject(message) -> None:
    if message.channel.connection:
        try:
            message.reject(requeue=False)
        except ConnectionError:  # pragma: no cover - the broker reclaims it anyway
            pass


def consume(source: str, event: str, *, consumer: str = DEFAULT_CONSUMER,
            after_commit: Callable[[Any, Envelope, Any], Any] | None = None):
    """Decorate `handler(self, env, uow)` as the service's consumer of `<source>.<event>`.

    `consumer` names the inbox entries: a format string with `{service}` and `{method}`
    (default `<service>.<method>`, one per queue); handlers that share one name dedupe together."""

    def decorate(handler):
        @functools.wraps(handler)
        def entrypoint(self, payload: dict) -> None:
            env = parse(payload)
            name = consumer.format(service=self.name, method=handler.__name__)
            after = functools.partial(after_commit, self) if after_commit is not None else None
            with bound_contextvars(correlation_id=env.correlationid or logs.current("correlation_id"),
                                   event_id=env.id, event_type=env.type, consumer=name):
                deliver(self.uow(), name, env, functools.partial(handler, self), after_commit=after)

        return EventConsumer.decorator(source, event, consumer=consumer)(entrypoint)

    return decorate
