"""Live KPI state in Redis.

One Lua script per event records the event id (SET NX), moves the ticket's backlog
contribution if the event is its latest, applies every counter delta and publishes which hashes
changed — atomically, so a duplicate delivery changes nothing and a watcher never sees a
half-applied event. Windows are sums of day/month bucket hashes (see domain/kpis.py).

Keys (db of GOVOPS_REDIS_URL):
  kpi:v1:<level>:<subject>:<bucket>   hash of counters (bucket: all | dYYYY-MM-DD | mYYYY-MM), `_at`
  kpi:v1:subjects                     set of "<level>|<subject>"
  kpi:v1:tk:<ticket id>               hash {o: order key, k: json list of all-bucket hash keys}
  kpi:v1:seen:<event id>              dedupe, 90 days
The script touches hashes it derives at run time (the ticket's previous subjects), so it needs a
single Redis (or a cluster with every kpi key in one hash slot) — stated in docs/evaluation-kpis.md.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, cast

import redis

from govkit import logs, pubsub

from ..domain import kpis
from ..domain.kpis import EventPlan, KpiDelta, KpiFilter, KpiKey, KpiValue, Level

log = logs.get_logger(__name__)

PREFIX = "kpi:v1"
SUBJECTS = f"{PREFIX}:subjects"
SEEN_TTL_SECONDS = 90 * 24 * 3600

_APPLY = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local touched, list = {}, {}
local function touch(k)
  if not touched[k] then
    touched[k] = true
    list[#list + 1] = k
    -- the latest event time is kept on the `all` bucket only (every read includes it)
    if string.sub(k, -4) == ':all' then
      local a = redis.call('HGET', k, '_at')
      if (not a) or ARGV[3] > a then redis.call('HSET', k, '_at', ARGV[3]) end
    end
  end
end
if ARGV[5] ~= '' then
  local cur = redis.call('HGET', KEYS[3], 'o')
  if (not cur) or ARGV[5] > cur then
    local old = redis.call('HGET', KEYS[3], 'k')
    if old then
      for _, k in ipairs(cjson.decode(old)) do
        redis.call('HINCRBYFLOAT', k, 'tickets_open', -1)
        touch(k)
      end
    end
    for _, k in ipairs(cjson.decode(ARGV[6])) do
      redis.call('HINCRBYFLOAT', k, 'tickets_open', 1)
      touch(k)
    end
    redis.call('HSET', KEYS[3], 'o', ARGV[5], 'k', ARGV[6])
  end
end
-- ARGV[8]: [[counters, [hash keys]], ...]: each counter set applies to every key listed with it
for _, group in ipairs(cjson.decode(ARGV[8])) do
  local counters, keys = group[1], group[2]
  for _, k in ipairs(keys) do
    for field, delta in pairs(counters) do
      redis.call('HINCRBYFLOAT', k, field, delta)
    end
    touch(k)
  end
end
local members = cjson.decode(ARGV[7])
for _, m in ipairs(members) do redis.call('SADD', KEYS[2], m) end
if #list > 0 then
  redis.call('PUBLISH', ARGV[2], cjson.encode({event = ARGV[4], at = ARGV[3], keys = list}))
end
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


def _member(level: Level, subject: str) -> str:
    return f"{level.value}|{subject}"


def _num(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


class KpiStore:
    def __init__(self, client: redis.Redis):
        self.redis = client
        self.org_cache: Any = None  # the worker sets its process-wide AncestorCache here
        self.channel = changes_channel(client)
        self._apply = client.register_script(_APPLY)

    @classmethod
    def from_url(cls, url: str) -> KpiStore:
        return cls(redis.Redis.from_url(url, decode_responses=True))

    # -- writes --------------------------------------------------------------------------------
    def _script_args(self, event_id: str, at: str, plan: EventPlan):
        t = plan.ticket
        keys = [f"{PREFIX}:seen:{event_id}", SUBJECTS, f"{PREFIX}:tk:{t.ticket_id}" if t else f"{PREFIX}:tk:-"]
        members = sorted(_member(level, subject) for level, subject in plan.members())
        # A ticket event adds the same counters to every subject and bucket: send each distinct
        # counter set once with the keys it applies to (a few hundred bytes instead of ~300 args).
        groups = []
        if plan.counters and plan.flow_keys:
            groups.append([plan.counters, [hash_key(k) for k in plan.flow_keys]])
        per_key: dict[str, dict] = {}
        for d in plan.extra:
            per_key.setdefault(hash_key(d.key), {})[d.name] = d.delta
        groups.extend([counters, [k]] for k, counters in per_key.items())
        args: list = [SEEN_TTL_SECONDS, self.channel, at, event_id,
                      t.order if t else "", json.dumps([hash_key(k) for k in t.open_keys]) if t else "[]",
                      json.dumps(members), json.dumps(groups)]
        return keys, args

    def apply_plan(self, event_id: str, at: str, plan: EventPlan) -> bool:
        """Apply one event exactly once; False if this event was applied before."""
        keys, args = self._script_args(event_id, at, plan)
        return bool(self._apply(keys=keys, args=args))

    def apply_many(self, items: list[tuple[str, str, EventPlan]]) -> int:
        """Several events in one pipeline (each its own atomic script run)."""
        if not items:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for event_id, at, plan in items:
            keys, args = self._script_args(event_id, at, plan)
            self._apply(keys=keys, args=args, client=pipe)
        return sum(bool(r) for r in pipe.execute())

    def apply(self, event_id: str, at: str, deltas: Iterable[KpiDelta]) -> bool:
        """Raw counter deltas (no backlog state): kept for tools and tests."""
        return self.apply_plan(event_id, at, EventPlan(extra=list(deltas)))

    # -- reads ---------------------------------------------------------------------------------
    def subjects(self) -> list[tuple[Level, str]]:
        out = []
        for m in self.redis.smembers(SUBJECTS):
            level, subject = cast(str, m).split("|", 1)  # decode_responses=True
            out.append((Level(level), subject))
        return sorted(out, key=lambda x: (x[0].value, x[1]))

    def values_for(self, pairs: list[tuple[Level, str]], windows: list[str],
                   today: date | None = None) -> list[KpiValue]:
        """KPI values of each (level, subject) in each window, in one pipeline."""
        today = today or kpis.today_cst()
        plan = []
        pipe = self.redis.pipeline(transaction=False)
        for level, subject in pairs:
            for window in windows:
                buckets = kpis.window_buckets(window, today)
                if kpis.WINDOW_ALL not in buckets:
                    buckets = buckets + [kpis.WINDOW_ALL]  # backlog lives in `all`
                for b in buckets:
                    pipe.hgetall(hash_key(KpiKey(level, subject, b)))
                plan.append((level, subject, window, buckets))
        results = iter(pipe.execute())
        values = []
        for level, subject, window, buckets in plan:
            total: dict[str, float] = {}
            at = None
            for b in buckets:
                h = next(results)
                if not h:
                    continue
                a = h.get("_at")
                if a and (at is None or a > at):
                    at = a
                if (
                    b == kpis.WINDOW_ALL
                    and window != kpis.WINDOW_ALL
                    and kpis.WINDOW_ALL not in kpis.window_buckets(window, today)
                ):
                    if "tickets_open" in h:
                        total["tickets_open"] = float(h["tickets_open"])
                    continue
                for k, v in h.items():
                    if k != "_at" and (n := _num(v)) is not None:
                        total[k] = total.get(k, 0.0) + n
            if not total:
                continue
            key = KpiKey(level, subject, window)
            for name, value in sorted(kpis.derive(total).items()):
                values.append(KpiValue(key, name, value, at))
        return values

    def snapshot(self, flt: KpiFilter, allowed: Callable[[str], bool], today: date | None = None) -> list[KpiValue]:
        """Current values matching `flt` whose unit passes `allowed(unit)`."""
        pairs = [(level, subject) for level, subject in self.subjects()
                 if allowed(kpis.org_unit_of(subject)) and flt.matches_subject(level, subject)]
        return [v for v in self.values_for(pairs, flt.window_list, today)
                if not flt.names or v.name in flt.names]

    def series(self, level: Level, subject: str, days: list[date], names: set[str]) -> list[tuple[date, dict]]:
        pipe = self.redis.pipeline(transaction=False)
        for d in days:
            pipe.hgetall(hash_key(KpiKey(level, subject, kpis.day_bucket(d))))
        out = []
        for d, h in zip(days, pipe.execute()):
            values = kpis.derive(kpis.add_raw({}, {k: v for k, v in h.items() if k != "_at"}))
            out.append((d, {k: v for k, v in values.items() if not names or k in names}))
        return out

    def raw_hashes(self) -> dict[str, dict[str, float]]:
        """Every counter hash (for `kpi check`)."""
        out = {}
        keys = [k for k in self.redis.scan_iter(f"{PREFIX}:*", count=1000)
                if k.split(":")[2] in {level.value for level in Level}]
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            pipe = self.redis.pipeline(transaction=False)
            for k in chunk:
                pipe.hgetall(k)
            for k, h in zip(chunk, pipe.execute()):
                out[k] = {f: float(v) for f, v in h.items() if f != "_at"}
        return out

    def flush(self) -> None:
        """Drop all live KPI state (rebuild replays the facts afterwards)."""
        batch = []
        for k in self.redis.scan_iter(f"{PREFIX}:*", count=5000):
            batch.append(k)
            if len(batch) >= 5000:
                self.redis.delete(*batch)
                batch = []
        if batch:
            self.redis.delete(*batch)


def parse_change_message(data: str) -> tuple[str, set[tuple[Level, str]]]:
    msg = json.loads(data)
    keys = msg.get("keys") or []
    if isinstance(keys, dict):  # cjson encodes an empty table as {}
        keys = []
    return msg.get("at", ""), {(k.level, k.subject) for k in map(parse_hash_key, keys)}


class Subscription:
    """One WatchKpis stream: its filter, the caller's scope test and its queue."""

    def __init__(self, flt: KpiFilter, allowed: Callable[[str], bool]):
        self.filter, self.allowed = flt, allowed
        self.queue: queue.Queue = queue.Queue(maxsize=10000)
        self.last: dict[tuple, float] = {}  # (key, name) → the value last sent on this stream

    def wants(self, level: Level, subject: str) -> bool:
        return self.allowed(kpis.org_unit_of(subject)) and self.filter.matches_subject(level, subject)


class KpiHub:
    """Fans the Redis change channel out to the in-process WatchKpis streams.

    One subscriber thread per process. Messages that arrived together are coalesced; the hub
    recomputes the affected (subject, window) values once, for the windows someone watches, and
    pushes to each stream the values that differ from what that stream was last sent."""

    def __init__(self, client: redis.Redis, store: KpiStore | None = None):
        self.redis = client
        self.store = store or KpiStore(client)
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()

    def subscribe(self, flt: KpiFilter | None = None, allowed: Callable[[str], bool] | None = None) -> queue.Queue:
        sub = Subscription(flt or KpiFilter(), allowed or (lambda unit: True))
        with self._lock:
            self._subscribers.add(sub)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kpi-hub", daemon=True)
                self._thread.start()
        # A stream must not miss changes made right after it subscribed.
        self._ready.wait(timeout=5)
        sub.queue.sub = sub  # type: ignore[attr-defined]
        return sub.queue

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(getattr(q, "sub", None))

    def _dispatch(self, pairs: set[tuple[Level, str]]) -> None:
        with self._lock:
            subs = list(self._subscribers)
        wanted: dict[tuple[Level, str], set[str]] = {}
        for sub in subs:
            for pair in pairs:
                if sub.wants(*pair):
                    wanted.setdefault(pair, set()).update(sub.filter.window_list)
        if not wanted:
            return
        values: list[KpiValue] = []
        by_windows: dict[frozenset, list] = {}
        for pair, windows in wanted.items():
            by_windows.setdefault(frozenset(windows), []).append(pair)
        for window_set, group in by_windows.items():
            values.extend(self.store.values_for(group, sorted(window_set)))
        for sub in subs:
            # What this stream has been sent is what "changed" means for it.
            mine = [v for v in values if sub.wants(v.key.level, v.key.subject) and sub.filter.matches(v)
                    and sub.last.get((v.key, v.name)) != v.value]
            if not mine:
                continue
            for v in mine:
                sub.last[(v.key, v.name)] = v.value
            if not pubsub.offer(sub.queue, mine):
                self.unsubscribe(sub.queue)

    def _run(self) -> None:
        # Messages published while the hub was away (Redis drops a subscriber that falls too far
        # behind, or the connection broke) are lost: after a resubscription everything watched is
        # recomputed, and only values that changed since last sent go out.
        pubsub.follow(self.redis, lambda: changes_channel(self.redis), stop=self._stop, ready=self._ready,
                      on_batch=self._on_batch, name="kpi_hub",
                      on_resubscribe=lambda: self._dispatch(set(self.store.subjects())))

    def _on_batch(self, batch: list) -> None:
        pairs: set[tuple[Level, str]] = set()
        for data in batch:
            pairs |= parse_change_message(data)[1]
        if pairs:
            self._dispatch(pairs)

    def stop(self) -> None:
        """Stop and wait for the subscriber thread, so the Redis client can be closed after it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
