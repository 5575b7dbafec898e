"""Browser sessions in Redis, and the login rate limits.

The browser holds only an opaque session id (an HttpOnly cookie). Redis holds, under
portal:session:<id>, the access and refresh tokens org issued at login, the access token's expiry
and the session's CSRF token. The refresh token works once (org rotates it), so one request at a
time refreshes a session, under a short Redis lock; the others wait for its result."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

PREFIX = "portal:session:"
LOGIN_PREFIX = "portal:login:"


@dataclass
class Session:
    id: str
    access_token: str
    refresh_token: str
    expires_at: float
    csrf_token: str
    subject: str

    def mapping(self) -> dict:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_at": repr(self.expires_at), "csrf_token": self.csrf_token, "subject": self.subject}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SessionStore:
    def __init__(self, client: aioredis.Redis, ttl_seconds: int):
        self.redis, self.ttl = client, ttl_seconds
        # The expiry slides on use, but renewing it on every call cost each call a MULTI/EXEC round
        # trip; once every `touch_every` seconds per session and process is as good at an 8-hour TTL.
        # Reading stays one HGETALL per call, so a logout ends the session at once in every process.
        self.touch_every = max(1.0, min(60.0, ttl_seconds / 10))
        self._touched: dict[str, float] = {}

    async def create(self, access_token: str, refresh_token: str, expires_at: float, subject: str) -> Session:
        session = Session(secrets.token_urlsafe(32), access_token, refresh_token, expires_at,
                          secrets.token_urlsafe(32), subject)
        key = PREFIX + session.id
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=session.mapping())
            pipe.expire(key, self.ttl)
            await pipe.execute()
        return session

    async def get(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 128:
            return None
        key = PREFIX + session_id
        data = await self.redis.hgetall(key)
        if not data or b"access_token" not in data:
            self._touched.pop(session_id, None)
            return None
        now = time.monotonic()
        if now - self._touched.get(session_id, -self.touch_every) >= self.touch_every:
            if len(self._touched) > 100_000:  # sessions this process no longer sees
                self._touched.clear()
            self._touched[session_id] = now
            await self.redis.expire(key, self.ttl, xx=True)  # sliding: an active session stays
        text = {_text(k): _text(v) for k, v in data.items()}
        return Session(session_id, text["access_token"], text["refresh_token"], float(text["expires_at"]),
                       text["csrf_token"], text["subject"])

    async def update_tokens(self, session: Session, access_token: str, refresh_token: str, expires_at: float) -> None:
        session.access_token, session.refresh_token, session.expires_at = access_token, refresh_token, expires_at
        key = PREFIX + session.id
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=session.mapping())
            pipe.expire(key, self.ttl)
            await pipe.execute()

    async def delete(self, session_id: str) -> None:
        self._touched.pop(session_id, None)
        await self.redis.delete(PREFIX + session_id)

    async def refreshed(self, session: Session, margin: float, refresh) -> Session:
        """The session with an access token valid for more than `margin` seconds: `refresh(token)`
        → (access, refresh, expires_at) is called by exactly one request at a time."""
        if session.expires_at - time.time() > margin:
            return session
        lock = self.redis.lock(PREFIX + session.id + ":refresh", timeout=15, blocking_timeout=15)
        async with lock:
            current = await self.get(session.id)
            if current is None:
                return session
            if current.expires_at - time.time() > margin:  # another request refreshed it meanwhile
                return current
            access, refresh_token, expires_at = await refresh(current.refresh_token)
            await self.update_tokens(current, access, refresh_token, expires_at)
            return current


class LoginLimiter:
    """Fixed-window counters per username and per client address; org also locks accounts."""

    def __init__(self, client: aioredis.Redis, per_user: int, per_ip: int, window_seconds: int):
        self.redis, self.per_user, self.per_ip, self.window = client, per_user, per_ip, window_seconds

    async def hit(self, username: str, address: str) -> int:
        """Count one attempt; 0 if allowed, else the seconds until the caller may try again."""
        wait = 0
        for key, limit in ((f"{LOGIN_PREFIX}user:{username.lower()}", self.per_user),
                           (f"{LOGIN_PREFIX}ip:{address}", self.per_ip)):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
                pipe.ttl(key)
                count, _, ttl = await pipe.execute()
            if count > limit:
                wait = max(wait, int(ttl) if ttl and ttl > 0 else self.window)
        return wait

    async def succeeded(self, username: str) -> None:
        await self.redis.delete(f"{LOGIN_PREFIX}user:{username.lower()}")
