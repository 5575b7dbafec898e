"""The live ticket feed behind `WatchQueue`: after a unit of work commits, the changed tickets'
state (the common fields of the events it saved) goes to a Redis pub/sub channel; each ticket-grpc
process runs one subscriber thread that fans the changes out to its open WatchQueue streams.

This is a wake-up signal inside the ticket service, not an integration event: other services
consume the outbox (RabbitMQ). A lost message (Redis down at the moment of a commit) only delays a
queue page until its next refresh; it never loses data, so a failed publish is logged, not raised.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Callable

import redis

from govkit import logs, pubsub
from govkit.errors import Unavailable

from ..domain.events import COMMON_FIELDS, TicketEvent

log = logs.get_logger(__name__)

PREFIX = "govops:ticket"


def changes_channel(client: redis.Redis) -> str:
    # Pub/sub channels are global to a Redis server, not per database: name the database in the
    # channel, or stacks sharing one server on different databases would see each other's tickets.
    return f"{PREFIX}:changes:{client.connection_pool.connection_kwargs.get('db', 0)}"


def change_of(event: TicketEvent) -> dict:
    """What a queue needs to know of one saved event: the ticket's state after it."""
    out = {name: getattr(event, name) for name, _ in COMMON_FIELDS}
    out["event"] = event.event_name()
    out["previous_assignee"] = getattr(event, "previous_assignee", None)
    return out


def updated_change(ticket) -> dict:
    """A ticket saved without an event (ticket.domain.model.Ticket): its state as `ticket_updated`."""
    from govkit.events import utcnow

    out = ticket.common(ticket.updated_at or utcnow())
    out["event"] = "ticket_updated"
    out["previous_assignee"] = None
    return out


class ChangeFeed:
    """Publishes committed changes (one message per commit, a JSON list)."""

    def __init__(self, client: redis.Redis):
        self.redis = client
        self.channel = changes_channel(client)

    def publish(self, changes: list[dict]) -> None:
        if not changes:
            return
        try:
            self.redis.publish(self.channel, json.dumps(changes, ensure_ascii=False))
        except redis.RedisError as exc:
            log.warning("ticket_feed_publish_failed", error=str(exc), changes=len(changes))


_default: ChangeFeed | None = None
_default_lock = threading.Lock()


def default_feed() -> ChangeFeed:
    """The process's feed on the service's Redis (GOVOPS_REDIS_URL), created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            from govkit import config

            url = os.environ.get("GOVOPS_TICKET_FEED_REDIS_URL") or config.load("ticket").redis_url
            _default = ChangeFeed(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
        return _default


class Subscription:
    """One WatchQueue stream: which changes it wants and its queue (None ends the stream)."""

    def __init__(self, wants: Callable[[dict], bool]):
        self.wants = wants
        self.queue: queue.Queue = queue.Queue(maxsize=10000)


class QueueHub:
    """Fans the Redis change channel out to the in-process WatchQueue streams (one thread).

    Each open stream holds one of the gRPC server's worker threads for its lifetime, so at most
    `limit` streams are served at once (the rest of the pool stays free for unary calls); one more
    is refused as UNAVAILABLE and the page falls back to reloading."""

    def __init__(self, client: redis.Redis, limit: int = 8):
        self.redis = client
        self.limit = limit
        self.channel = changes_channel(client)
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()

    def subscribe(self, wants: Callable[[dict], bool]) -> Subscription:
        sub = Subscription(wants)
        with self._lock:
            if len(self._subs) >= self.limit:
                log.warning("queue_watch_limit_reached", limit=self.limit)
                raise Unavailable(f"this server already serves {self.limit} live queues; "
                                  "reload the page by hand or try again later")
            self._subs.add(sub)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ticket-queue-hub", daemon=True)
                self._thread.start()
        # A stream must not miss changes committed right after it subscribed.
        self._ready.wait(timeout=5)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def dispatch(self, changes: list[dict]) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            mine = [c for c in changes if sub.wants(c)]
            if not mine:
                continue
            if not pubsub.offer(sub.queue, mine):
                self.unsubscribe(sub)

    def _run(self) -> None:
        pubsub.follow(self.redis, lambda: self.channel, stop=self._stop, ready=self._ready,
                      on_batch=self._on_batch, name="ticket_queue_hub")

    def _on_batch(self, batch: list) -> None:
        changes: list[dict] = []
        for data in batch:
            try:
                changes.extend(json.loads(data))
            except (ValueError, TypeError):
                log.warning("ticket_feed_bad_message")
        if changes:
            self.dispatch(changes)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
