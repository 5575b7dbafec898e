"""Per-channel rate limits in Redis, shared by every notify-worker: a counter per channel and
minute (`govops:notify:rate:<channel>:<epoch minute>`, expiring after two minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta


class RedisRateLimiter:
    def __init__(self, redis_client, limits: dict[str, int], prefix: str = "govops:notify:rate"):
        self.redis, self.limits, self.prefix = redis_client, limits, prefix

    def acquire(self, channel: str, now: datetime) -> datetime | None:
        """None: go ahead (this send is counted); else the time the next minute starts."""
        cap = self.limits.get(channel, 0)
        if cap <= 0:
            return None
        minute = int(now.timestamp() // 60)
        key = f"{self.prefix}:{channel}:{minute}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count = pipe.execute()[0]
        if count <= cap:
            return None
        return datetime.fromtimestamp((minute + 1) * 60, now.tzinfo) + timedelta(milliseconds=10)
