"""The org directory as the KPI roll-up resolver."""

from __future__ import annotations

import threading
import time

from govkit.orgdir import OrgDirectory


class OrgTree:
    """`ancestors(unit)` from the local org directory, on one connection."""

    def __init__(self, conn, cache: AncestorCache | None = None):
        self.dir = OrgDirectory(conn)
        self.cache = cache

    def ancestors(self, unit: str) -> list[str]:
        if self.cache is not None:
            hit = self.cache.get(unit)
            if hit is not None:
                return hit
        found = self.dir.ancestors(unit)
        if self.cache is not None:
            self.cache.put(unit, found)
        return found


class AncestorCache:
    """Per-process cache of ancestor chains for `ttl` seconds (saves a recursive query per event).

    A created or moved unit rolls up to its (new) parents at most `ttl` seconds late in a worker
    that looked it up just before; `govops eval kpi check` shows such events and
    `govops eval kpi rebuild` re-derives every roll-up from the current tree."""

    def __init__(self, ttl: float = 5.0):
        self.ttl = ttl
        self._data: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def get(self, unit: str) -> list[str] | None:
        with self._lock:
            hit = self._data.get(unit)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def put(self, unit: str, ancestors: list[str]) -> None:
        with self._lock:
            self._data[unit] = (time.monotonic(), ancestors)


class FrozenTree:
    """Ancestors loaded once (rebuild, check, periodic evaluation: the tree as it is now)."""

    def __init__(self, conn):
        self.dir = OrgDirectory(conn)
        self._memo: dict[str, list[str]] = {}

    def ancestors(self, unit: str) -> list[str]:
        if unit not in self._memo:
            self._memo[unit] = self.dir.ancestors(unit)
        return self._memo[unit]
