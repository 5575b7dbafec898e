"""govkit.pubsub, the subscriber loop behind ticket's WatchQueue and evaluation's WatchKpis, on the
real local Redis: batches arrive, a killed connection resubscribes (and says so, for the hub's
resync), and a stuck stream's queue is ended rather than left to grow."""

from __future__ import annotations

import queue
import threading
import time

from govkit import pubsub
from tests.catchup import wait_until


def test_follow_delivers_batches_and_resubscribes_after_a_broken_connection(redis_client):
    channel = f"govops:test:pubsub:{time.monotonic_ns()}"
    stop, ready = threading.Event(), threading.Event()
    seen: list = []
    resubscribed = threading.Event()
    thread = threading.Thread(target=pubsub.follow, args=(redis_client, lambda: channel), daemon=True,
                              kwargs={"stop": stop, "ready": ready, "on_batch": seen.extend, "name": "test_hub",
                                      "on_resubscribe": resubscribed.set})
    thread.start()
    try:
        assert ready.wait(5)
        redis_client.publish(channel, "一")
        wait_until(lambda: [d.decode() if isinstance(d, bytes) else d for d in seen] == ["一"], "the first message",
                   timeout=10.0, interval=0.05)
        assert not resubscribed.is_set()  # the first subscription is not a resubscription

        # what Redis does to a subscriber too far behind: only this database's, not other runs' subscribers
        db = redis_client.connection_pool.connection_kwargs.get("db", 0)
        for c in redis_client.client_list(_type="pubsub"):
            if int(c["db"]) == db:
                redis_client.client_kill_filter(_id=c["id"])
        wait_until(resubscribed.is_set, "the loop to resubscribe and call on_resubscribe", timeout=10.0, interval=0.05)
        wait_until(lambda: redis_client.pubsub_numsub(channel)[0][1] == 1, "the new subscription",
                   timeout=10.0, interval=0.05)
        redis_client.publish(channel, "二")
        wait_until(lambda: len(seen) == 2, "a message after the resubscription", timeout=10.0, interval=0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_offer_ends_a_stuck_stream_instead_of_growing_its_queue():
    q: queue.Queue = queue.Queue(maxsize=2)
    assert pubsub.offer(q, ["a"]) and pubsub.offer(q, ["b"])
    assert pubsub.offer(q, ["c"]) is False  # full: the client is not reading
    assert q.get_nowait() is None and q.empty()  # only the end of the stream is left for it
