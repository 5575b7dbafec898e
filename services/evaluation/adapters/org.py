"""The org directory as the KPI roll-up resolver."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from govkit import orgdir
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

    def unit_of_group(self, group_id: str) -> str | None:
        """The unit a support group belongs to (its tickets count for it too; kpis.event_units)."""
        key = f"\0group:{group_id}"
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit[0] if hit else None
        g = self.dir.group(group_id)
        found = [g["org_unit_id"]] if g else []
        if self.cache is not None:
            self.cache.put(key, found)
        return found[0] if found else None


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
        self._groups: dict[str, str | None] = {}

    def ancestors(self, unit: str) -> list[str]:
        if unit not in self._memo:
            self._memo[unit] = self.dir.ancestors(unit)
        return self._memo[unit]

    def unit_of_group(self, group_id: str) -> str | None:
        if group_id not in self._groups:
            g = self.dir.group(group_id)
            self._groups[group_id] = g["org_unit_id"] if g else None
        return self._groups[group_id]


class Owners:
    """The org replica as the rectification owner directory (domain/owners.py)."""

    def __init__(self, conn):
        self.conn = conn
        self.dir = OrgDirectory(conn)

    def position(self, position_id: str) -> dict | None:
        return self.dir.position(position_id)

    def group(self, group_id: str) -> dict | None:
        return self.dir.group(group_id)

    def positions_of(self, staff_id: str, on) -> list[str]:
        return self.dir.positions_of(staff_id, on)

    def groups_of(self, staff_id: str) -> list[str]:
        gm = orgdir.group_members
        return list(self.conn.execute(sa.select(gm.c.group_id).where(gm.c.staff_id == staff_id)
                                      .order_by(gm.c.group_id)).scalars())

    def positions_responsible_for(self, kind: str, value: str) -> list[str]:
        return self.dir.positions_responsible_for(kind, value)

    def head_positions(self, unit_id: str) -> list[str]:
        """Active positions of the unit that report to no position of the same unit."""
        pos, sup = orgdir.positions, orgdir.positions.alias("sup")
        q = (sa.select(pos.c.id).select_from(pos.outerjoin(sup, sup.c.id == pos.c.parent_position_id))
             .where(pos.c.org_unit_id == unit_id, pos.c.active.is_(True),
                    sa.or_(sup.c.id.is_(None), sup.c.org_unit_id != unit_id))
             .order_by(pos.c.id))
        return list(self.conn.execute(q).scalars())

    def om_units(self) -> list[str]:
        u = orgdir.units
        return list(self.conn.execute(sa.select(u.c.id).where(u.c.kind == "om_centre", u.c.active.is_(True))
                                      .order_by(u.c.id)).scalars())
