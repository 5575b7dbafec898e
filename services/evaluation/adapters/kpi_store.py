"""Live KPI state in Redis.

One Lua script per event records the event id (SET NX) and applies all of its KPI deltas, then
publishes the changed values on a pub/sub channel — atomically, so a duplicate delivery changes
nothing and a watcher never sees a half-applied event. WatchKpis streams are fed from that
channel by one subscriber thread per process (KpiHub), never by polling SQL.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Iterable

import redis

from ..domain.kpis import KpiDelta, KpiFilter, KpiKey, KpiValue, Level

PREFIX = "kpi:v1"
INDEX = f"{PREFIX}:index"
SEEN_TTL_SECONDS = 90 * 24 * 3600

# KEYS[1] seen-key, KEYS[2] index set, KEYS[3..] value hashes (each with a twin "<key>:at" hash)
# ARGV[1] ttl, ARGV[2] channel, ARGV[3] event time, ARGV[4] event id, then per hash: field, delta
_APPLY = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local changes = {}
for i = 3, #KEYS do
  local field = ARGV[2 * i - 1]
  local value = redis.call('HINCRBYFLOAT', KEYS[i], field, ARGV[2 * i])
  redis.call('HSET', KEYS[i] .. ':at', field, ARGV[3])
  redis.call('SADD', KEYS[2], KEYS[i])
  changes[#changes + 1] = {KEYS[i], field, value}
end
redis.call('PUBLISH', ARGV[2], cjson.encode({event = ARGV[4], at = ARGV[3], changes = changes}))
return 1
"""


def changes_channel(client: redis.Redis) -> str:
    # Pub/sub channels are global to a Redis server, not per database: name the database in the
    # channel, or stacks sharing one server on different databases would see each other's KPIs.
    return f"{PREFIX}:changes:{client.connection_pool.connection_kwargs.get('db', 0)}"


def hash_key(key: KpiKey) -> str:
    return f"{PREFIX}:{key.level.value}:{key.subject}:{key.window}"


def parse_hash_key(raw: str) -> KpiKey:
    _, _, level, rest = raw.split(":", 3)
    subject, window = rest.rsplit(":", 1)
    return KpiKey(Level(level), subject, window)


class KpiStore:
    def __init__(self, client: redis.Redis):
        self.redis = client
        self.channel = changes_channel(client)
        self._apply = client.register_script(_APPLY)

    @classmethod
    def from_url(cls, url: str) -> "KpiStore":
        return cls(redis.Redis.from_url(url, decode_responses=True))

    def apply(self, event_id: str, at: str, deltas: Iterable[KpiDelta]) -> bool:
        """Apply one event's deltas exactly once; False if this event was applied before."""
        deltas = list(deltas)
        keys = [f"{PREFIX}:seen:{event_id}", INDEX] + [hash_key(d.key) for d in deltas]
        args: list = [SEEN_TTL_SECONDS, self.channel, at, event_id]
        for d in deltas:
            args += [d.name, d.delta]
        return bool(self._apply(keys=keys, args=args))

    def snapshot(self, flt: KpiFilter, allowed) -> list[KpiValue]:
        """Current values matching `flt` whose subject passes `allowed(subject)`."""
        values = []
        for raw in sorted(self.redis.smembers(INDEX)):
            key = parse_hash_key(raw)
            if not allowed(key.subject):
                continue
            pipe = self.redis.pipeline(transaction=False)
            pipe.hgetall(raw)
            pipe.hgetall(raw + ":at")
            fields, stamps = pipe.execute()
            for name, value in sorted(fields.items()):
                v = KpiValue(key, name, float(value), stamps.get(name))
                if flt.matches(v):
                    values.append(v)
        return values

    def flush(self) -> None:
        """Drop all live KPI state (rebuild replays the facts afterwards)."""
        for pattern in (f"{PREFIX}:*",):
            keys = list(self.redis.scan_iter(pattern, count=1000))
            for i in range(0, len(keys), 1000):
                self.redis.delete(*keys[i:i + 1000])


def parse_change_message(data: str) -> list[KpiValue]:
    msg = json.loads(data)
    return [KpiValue(parse_hash_key(raw), name, float(value), msg["at"])
            for raw, name, value in msg["changes"]]


class KpiHub:
    """Fans the Redis change channel out to the in-process WatchKpis streams."""

    def __init__(self, client: redis.Redis):
        self.redis = client
        self._subscribers: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue(maxsize=10000)
        with self._lock:
            self._subscribers.add(q)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kpi-hub", daemon=True)
                self._thread.start()
        # A stream must not miss changes made right after it subscribed.
        self._ready.wait(timeout=5)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(q)

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(changes_channel(self.redis))
                self._ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is None:
                        continue
                    values = parse_change_message(message["data"])
                    with self._lock:
                        subscribers = list(self._subscribers)
                    for q in subscribers:
                        try:
                            q.put_nowait(values)
                        except queue.Full:
                            # A stuck client loses its stream (None ends it), not the others theirs.
                            self.unsubscribe(q)
                            with q.mutex:
                                q.queue.clear()
                            q.put_nowait(None)
            except redis.ConnectionError:
                self._stop.wait(0.5)
            finally:
                pubsub.close()

    def stop(self) -> None:
        self._stop.set()
