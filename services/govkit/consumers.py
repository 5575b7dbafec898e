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
4. on any error — a malformed envelope, the database gone, a bug — takes the one failure path,
   `EventConsumer.failed`: log with the consumer, event id and correlation id, and reject the
   message with requeue. Nothing is acked unless it was applied or already seen.

The handler runs inside the open transaction and must not commit or open its own `with uow:`.
`after_commit(self, env, uow)` runs after that transaction for new and already-seen events alike:
for an effect outside PostgreSQL that dedupes itself on the event id (evaluation's Redis KPIs),
so a redelivery after a crash between the two still completes it.

The queue is nameko's (`evt-<source>-<event>--<service>.<method>`), declared by govops-migrate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nameko.events import EventHandler
from structlog.contextvars import bound_contextvars

from . import logs
from .events import Envelope

log = logs.get_logger(__name__)

DEFAULT_CONSUMER = "{service}.{method}"


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


class EventConsumer(EventHandler):
    """nameko's SERVICE_POOL event handler (same queue, same binding), with the kit's one
    failure policy instead of nameko's ack-on-error / requeue_on_error."""

    def __init__(self, source_service: str, event_type: str, consumer: str = DEFAULT_CONSUMER, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=True, **kwargs)
        self.consumer = consumer

    def consumer_name(self) -> str:
        return self.consumer.format(service=self.container.service_name, method=self.method_name)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        else:
            self.failed(message, worker_ctx.args[0] if worker_ctx.args else None, exc_info)
        return result, exc_info

    def failed(self, message, payload, exc_info) -> None:
        """THE failure policy of every event consumer — change it here, and only here.

        Today: never drop; log and put the message back on its queue (immediate redelivery).
        Planned: a bounded number of retries, then the dead-letter exchange."""
        log.error("event_failed_requeued", consumer=self.consumer_name(),
                  redelivered=bool((getattr(message, "delivery_info", None) or {}).get("redelivered")),
                  error=f"{exc_info[0].__name__}: {exc_info[1]}", **_ids(payload))
        self.queue_consumer.requeue_message(message)


def consume(source: str, event: str, *, consumer: str = DEFAULT_CONSUMER,
            after_commit: Callable[[Any, Envelope, Any], Any] | None = None):
    """Decorate `handler(self, env, uow)` as the service's consumer of `<source>.<event>`.

    `consumer` names the inbox entries: a format string with `{service}` and `{method}`
    (default `<service>.<method>`, one per queue); handlers that share one name dedupe together."""

    def decorate(handler):
        @functools.wraps(handler)
        def entrypoint(self, payload: dict) -> None:
            env = Envelope.from_dict(payload)
            name = consumer.format(service=self.name, method=handler.__name__)
            after = functools.partial(after_commit, self) if after_commit is not None else None
            with bound_contextvars(correlation_id=env.correlationid or logs.current("correlation_id"),
                                   event_id=env.id, event_type=env.type, consumer=name):
                deliver(self.uow(), name, env, functools.partial(handler, self), after_commit=after)

        return EventConsumer.decorator(source, event, consumer=consumer)(entrypoint)

    return decorate
