"""The subscriber side of the services' live streams (ticket's WatchQueue, evaluation's WatchKpis):
one thread follows a Redis pub/sub channel and hands what arrived, coalesced, to the stream hub.
What each message means, and which streams want it, stays with the hub."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

import redis

from . import logs

log = logs.get_logger(__name__)

# Messages already waiting are read as one batch, up to this many: one dispatch per burst, not
# one per message, while a steady flood still yields to the stop check.
COALESCE = 1000


def follow(client: redis.Redis, channel: Callable[[], str], *, stop: threading.Event, ready: threading.Event,
           on_batch: Callable[[list], None], name: str, on_resubscribe: Callable[[], None] | None = None) -> None:
    """Runs until `stop`: subscribes to `channel()`, sets `ready` once subscribed, and calls `on_batch`
    with the raw `data` of the messages waiting together. A broken connection resubscribes after
    half a second; after a resubscription `on_resubscribe` (if any) runs first, since Redis keeps
    nothing for a subscriber that was away. An error of the hub is logged (`<name>_error`) and the
    loop resubscribes: a bug must not silence every stream for good."""
    connected_before = False
    while not stop.is_set():
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(channel())
            ready.set()
            if connected_before and on_resubscribe is not None:
                on_resubscribe()
            connected_before = True
            while not stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None:
                    continue
                batch = []
                while message is not None:
                    batch.append(message["data"])
                    message = pubsub.get_message(timeout=0) if len(batch) < COALESCE else None
                on_batch(batch)
        except redis.ConnectionError:
            stop.wait(0.5)
        except Exception:
            log.exception(f"{name}_error")
            stop.wait(0.5)
        finally:
            pubsub.close()


def offer(q: queue.Queue, items: Iterable) -> bool:
    """Puts one batch on a stream's bounded queue. A stuck client loses its stream (its queue is
    emptied and None ends it; it reconnects and reloads), not the other clients theirs: False then,
    and the hub drops the subscription."""
    try:
        q.put_nowait(items)
        return True
    except queue.Full:
        with q.mutex:
            q.queue.clear()
        q.put_nowait(None)
        return False
