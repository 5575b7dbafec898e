"""Who answers for a rectification: a real position (岗位) of the org replica, and the group whose
queue the work lands in. Plain Python over a small directory port.

In order (docs/evaluation-model.md, "Rectification"):

1. the indicator's `owner_position`, if it names an active position of the org directory;
2. a support group: the group's lead position, in the group's queue;
3. a person: the position they report to (their lead; their own if it has none), in the queue of
   a group they belong to;
4. a process: the O&M position responsible for that process (responsibility `process:<name>`);
5. an organisation unit, a customer department, a vendor and anything not found above: the head
   position of the object's unit (a position without a superior in the same unit); a unit with no
   positions of its own (e.g. the government as a whole) falls back to the O&M organisation's head.

No position found: no owner (the rectification waits, and says so in the audit trail) — never a
free-text title.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from .kpis import PROCESSES


@dataclass(frozen=True)
class Owner:
    position_id: str
    org_unit_id: str  # the position's unit: where the rectification work item is opened
    group_id: str = ""


class OwnerDirectory(Protocol):
    def position(self, position_id: str) -> dict | None: ...
    def group(self, group_id: str) -> dict | None: ...
    def positions_of(self, staff_id: str, on: date) -> list[str]: ...
    def groups_of(self, staff_id: str) -> list[str]: ...
    def positions_responsible_for(self, kind: str, value: str) -> list[str]: ...
    def head_positions(self, unit_id: str) -> list[str]: ...
    def om_units(self) -> list[str]: ...


def parse_object_key(key: str) -> tuple[str, str, str]:
    """(kind, id, org unit) of a plan object key: `om-centre`, `gov/incident`,
    `om-centre/group/g1`, `om-centre/staff/E008`, `om-centre/vendor/v1`."""
    parts = key.split("/")
    if len(parts) == 3:
        return {"staff": "person"}.get(parts[1], parts[1]), parts[2], parts[0]
    if len(parts) == 2:
        return "process", parts[1], parts[0]
    return "org_unit", key, key


def resolve(d: OwnerDirectory, object_key: str, owner_position: str, today: date) -> Owner | None:
    def at(position_id: str | None, group_id: str = "") -> Owner | None:
        pos = d.position(position_id) if position_id else None
        if not pos or not pos.get("active", True):
            return None
        return Owner(pos["id"], pos["org_unit_id"], group_id or "")

    def head(unit: str) -> Owner | None:
        for candidate in (unit, *d.om_units()):
            for pid in d.head_positions(candidate):
                found = at(pid)
                if found:
                    return found
        return None

    kind, oid, unit = parse_object_key(object_key)
    found = None
    if kind == "group":
        g = d.group(oid)
        found = at(g.get("lead_position_id"), oid) if g else None
    elif kind == "person":
        groups = d.groups_of(oid)
        for pid in d.positions_of(oid, today):
            pos = d.position(pid) or {}
            found = at(pos.get("parent_position_id") or pid, groups[0] if groups else "")
            if found:
                break
    elif kind == "process" and oid in PROCESSES:
        om = set(d.om_units())
        for pid in d.positions_responsible_for("process", oid):
            candidate = at(pid)
            if candidate and (not om or candidate.org_unit_id in om):
                found = candidate
                break
    found = found or head(unit)
    named = at(owner_position) if owner_position else None
    if named is not None:  # the indicator's own owner; the object's group queue if it is that group's owner
        return Owner(named.position_id, named.org_unit_id,
                     found.group_id if found and found.position_id == named.position_id else "")
    return found
