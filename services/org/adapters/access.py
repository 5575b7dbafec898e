"""In-memory access index: "may subject X do permission Y on org unit Z?" in microseconds.

Built from the org database (units' parents, roles, role assignments) and rebuilt lazily after
any committed org change: a background thread LISTENs on the database's outbox channel, which
every org unit of work NOTIFYs when it commits events (role grants, unit moves, …)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from govkit.db import OUTBOX_CHANNEL
from govkit.listen import Listener

from . import tables as t


class AccessIndex:
    def __init__(self, engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._stale = True
        self._parents: dict[str, str | None] = {}
        self._perms: dict[str, frozenset[str]] = {}
        self._grants: dict[str, list[tuple[str, bool, frozenset[str]]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_listening(self) -> None:
        self._thread = threading.Thread(target=self._listen, name="access-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def invalidate(self) -> None:
        self._stale = True

    def _listen(self) -> None:
        with Listener(self.engine, OUTBOX_CHANNEL, stop=self._stop) as listener:
            while not self._stop.is_set():
                # True on a notification, and on (re)connecting: changes made while nobody listened.
                if listener.wait(5.0):
                    self.invalidate()

    def _load(self) -> None:
        with self.engine.connect() as conn:
            parents = dict(conn.execute(sa.select(t.org_units.c.id, t.org_units.c.parent_id)).all())
            perms = {r.code: frozenset(r.permissions) for r in conn.execute(sa.select(t.roles))}
            grants: dict[str, list] = {}
            for a in conn.execute(sa.select(t.role_assignments)):
                grants.setdefault(a.subject, []).append((a.org_unit_id, a.subtree, perms.get(a.role, frozenset())))
        self._parents, self._perms, self._grants = parents, perms, grants

    def _fresh(self) -> None:
        if self._stale:
            with self._lock:
                if self._stale:
                    self._stale = False  # before loading: a change during the load marks it stale again
                    self._load()

    def allowed(self, subject: str, permission: str, unit_id: str) -> bool:
        self._fresh()
        grants = self._grants.get(subject)
        if not grants:
            return False
        lineage, node, hops = [], unit_id, 0
        while node is not None and hops < 256:
            lineage.append(node)
            node = self._parents.get(node)
            hops += 1
        for unit, subtree, perms in grants:
            if permission not in perms and "*" not in perms:
                continue
            if unit == unit_id or (subtree and unit in lineage):
                return True
        return False
