"""The org directory: a consumer-side read model of the org service's state.

Services that route, escalate, roll up or scope by the organisation (ticket, evaluation, …)
keep a local copy of org units, positions and their escalation chain, staff and their
positions, support groups and duty rosters, built from org's events. Hot paths (routing a
ticket, escalating, rolling a KPI up to parent units) read this copy, never org over the wire.

Wiring in a consumer service:
* migration: `govkit.migrate.create_orgdir_tables(op)` (the tables below as first created);
* metadata: copy `metadata`'s tables into the service's own (adapters/tables.py);
* worker: `class Service(OrgDirectoryConsumer): ...` with a `uow` dependency whose unit of work
  exposes `conn` — the mixin's handlers (govkit.consumers) keep the copy current, idempotently;
* catch-up: durable queues (declared by govops-migrate) hold events for a late starter; a brand
  new consumer loads `org.snapshot()` through its `sync_org_directory` RPC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from nameko.rpc import RpcProxy
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .consumers import consume, deliver
from .events import Envelope
from .nameko_ext import rpc
from .units import UnitChecks

metadata = sa.MetaData()
MAX_SHIFT = timedelta(hours=24)  # org.domain.model.validate_roster refuses longer shifts

units = sa.Table(
    "orgdir_units", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_id", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)
positions = sa.Table(
    "orgdir_positions", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_position_id", sa.Text),
    sa.Column("responsibilities", JSONB, nullable=False, server_default="[]"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)
staff = sa.Table(
    "orgdir_staff", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("vendor_id", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)
staff_positions = sa.Table(
    "orgdir_staff_positions", metadata,
    sa.Column("staff_id", sa.Text, primary_key=True),
    sa.Column("position_id", sa.Text, primary_key=True),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Index("ix_orgdir_staff_positions_position", "position_id"),
)
groups = sa.Table(
    "orgdir_groups", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("lead_position_id", sa.Text),
)
group_members = sa.Table(
    "orgdir_group_members", metadata,
    sa.Column("group_id", sa.Text, primary_key=True),
    sa.Column("staff_id", sa.Text, primary_key=True),
)
shifts = sa.Table(
    "orgdir_shifts", metadata,
    sa.Column("group_id", sa.Text, nullable=False),
    sa.Column("staff_id", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_orgdir_shifts_group_start", "group_id", "starts_at"),
)
TABLES = (units, positions, staff, staff_positions, groups, group_members, shifts)


def _upsert(conn, table, values: dict, keys: list[str]) -> None:
    stmt = pg_insert(table).values(**values)
    update = {k: stmt.excluded[k] for k in values if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update) if update
                 else stmt.on_conflict_do_nothing())


def _d(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _t(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class OrgDirectory(UnitChecks):
    """Reads and updates the local copy on one connection (inside the caller's transaction).
    `require_units(named)` / `unit_violations(named)` (govkit.units) check units named in a request."""

    def __init__(self, conn):
        self.conn = conn

    # -- updates from org events --------------------------------------------------------------
    def apply(self, name: str, d: dict) -> bool:
        """Apply one org event's data; False if the event does not concern the directory."""
        c = self.conn
        if name in ("org_unit_created", "org_unit_renamed", "org_unit_moved"):
            values = {"id": d["org_unit_id"], "name": d["name"]}
            if "kind" in d:
                values["kind"] = d["kind"]
            if name == "org_unit_moved":
                values["parent_id"] = d["new_parent_id"]
            elif name == "org_unit_created":
                values["parent_id"] = d.get("parent_id")
            # Only what the event says changes: a rename must not reset the unit's kind.
            stmt = pg_insert(units).values(**{"kind": "department", **values})
            c.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                 set_={k: stmt.excluded[k] for k in values if k != "id"}))
        elif name == "org_unit_deactivated":
            c.execute(units.update().where(units.c.id == d["org_unit_id"]).values(active=False))
        elif name in ("position_created", "position_changed"):
            _upsert(c, positions, {
                "id": d["position_id"], "org_unit_id": d["org_unit_id"], "code": d["code"],
                "name": d["name"], "parent_position_id": d.get("parent_position_id"),
                "responsibilities": d.get("responsibilities", []), "active": d.get("active", True),
            }, ["id"])
        elif name == "staff_created":
            _upsert(c, staff, {"id": d["staff_id"], "name": d["name"], "org_unit_id": d["org_unit_id"],
                               "vendor_id": d.get("vendor_id"), "active": d.get("active", True)}, ["id"])
        elif name == "staff_assigned":
            _upsert(c, staff_positions, {"staff_id": d["staff_id"], "position_id": d["position_id"],
                                         "start_date": _d(d["start_date"]), "end_date": _d(d.get("end_date"))},
                    ["staff_id", "position_id"])
        elif name == "staff_unassigned":
            c.execute(staff_positions.update().where(
                staff_positions.c.staff_id == d["staff_id"],
                staff_positions.c.position_id == d["position_id"]).values(end_date=_d(d["end_date"])))
        elif name == "group_created":
            _upsert(c, groups, {"id": d["group_id"], "code": d["code"], "name": d["name"],
                                "org_unit_id": d["org_unit_id"], "lead_position_id": d.get("lead_position_id")},
                    ["id"])
        elif name == "group_member_added":
            _upsert(c, group_members, {"group_id": d["group_id"], "staff_id": d["staff_id"]},
                    ["group_id", "staff_id"])
        elif name == "group_member_removed":
            c.execute(group_members.delete().where(group_members.c.group_id == d["group_id"],
                                                   group_members.c.staff_id == d["staff_id"]))
        elif name == "roster_published":
            # A roster replaces the group's shifts within its period: republishing is idempotent.
            c.execute(shifts.delete().where(shifts.c.group_id == d["group_id"],
                                            shifts.c.starts_at < _t(d["period_end"]),
                                            shifts.c.starts_at >= _t(d["period_start"])))
            rows = [{"group_id": d["group_id"], "staff_id": s["staff_id"], "starts_at": _t(s["starts_at"]),
                     "ends_at": _t(s["ends_at"])} for s in d["shifts"]]
            if rows:
                c.execute(shifts.insert(), rows)
        else:
            return False
        return True

    def load_snapshot(self, snapshot: dict) -> None:
        """Replace the whole copy with org's snapshot (see org's `snapshot` RPC)."""
        for table in reversed(TABLES):
            self.conn.execute(table.delete())
        for u in snapshot.get("org_units", []):
            self.apply("org_unit_created", u)
            if not u.get("active", True):
                self.apply("org_unit_deactivated", u)
        for p in snapshot.get("positions", []):
            self.apply("position_created", p)
        for s in snapshot.get("staff", []):
            self.apply("staff_created", s)
        for a in snapshot.get("staff_positions", []):
            self.apply("staff_assigned", a)
        for g in snapshot.get("groups", []):
            self.apply("group_created", g)
        for m in snapshot.get("group_members", []):
            self.apply("group_member_added", m)
        for r in snapshot.get("rosters", []):
            self.apply("roster_published", r)

    # -- queries -------------------------------------------------------------------------------
    def unit(self, unit_id: str) -> dict | None:
        row = self.conn.execute(sa.select(units).where(units.c.id == unit_id)).mappings().first()
        return dict(row) if row else None

    def find_unit(self, code_or_name: str) -> dict | None:
        """The active unit whose code (id) is `code_or_name`, else the one so named (e.g.
        市财政局); None when there is none, or the name is ambiguous."""
        row = self.conn.execute(sa.select(units).where(units.c.id == code_or_name, units.c.active)).mappings().first()
        if row is None:
            rows = self.conn.execute(sa.select(units).where(units.c.name == code_or_name, units.c.active)
                                     .limit(2)).mappings().all()
            row = rows[0] if len(rows) == 1 else None
        return dict(row) if row else None
    def unit_states(self, unit_ids) -> dict[str, bool]:
        """{id: active} for those of `unit_ids` the directory holds."""
        ids = sorted(set(unit_ids))
        if not ids:
            return {}
        return {r.id: r.active for r in self.conn.execute(
            sa.select(units.c.id, units.c.active).where(units.c.id.in_(ids)))}

    def known(self, unit_ids) -> set[str]:
        """Which of `unit_ids` the directory holds (active or not)."""
        ids = sorted(set(unit_ids))
        if not ids:
            return set()
        return set(self.conn.execute(sa.select(units.c.id).where(units.c.id.in_(ids))).scalars())

    def ancestors(self, unit_id: str) -> list[str]:
        """The unit's parents, nearest first (for KPI roll-up)."""
        q = sa.text("""
            WITH RECURSIVE up(id, parent_id, depth) AS (
              SELECT id, parent_id, 0 FROM orgdir_units WHERE id = :u
              UNION ALL
              SELECT u.id, u.parent_id, up.depth + 1 FROM orgdir_units u JOIN up ON u.id = up.parent_id
              WHERE up.depth < 64)
            SELECT id FROM up WHERE depth > 0 ORDER BY depth""")
        return list(self.conn.execute(q, {"u": unit_id}).scalars())

    def subtree(self, unit_id: str) -> set[str]:
        q = sa.text("""
            WITH RECURSIVE down(id, depth) AS (
              SELECT id, 0 FROM orgdir_units WHERE id = :u
              UNION ALL
              SELECT u.id, down.depth + 1 FROM orgdir_units u JOIN down ON u.parent_id = down.id
              WHERE down.depth < 64)
            SELECT id FROM down""")
        return set(self.conn.execute(q, {"u": unit_id}).scalars())

    def staff_member(self, staff_id: str) -> dict | None:
        row = self.conn.execute(sa.select(staff).where(staff.c.id == staff_id)).mappings().first()
        return dict(row) if row else None

    def position(self, position_id: str) -> dict | None:
        row = self.conn.execute(sa.select(positions).where(positions.c.id == position_id)).mappings().first()
        return dict(row) if row else None

    def escalation_chain(self, position_id: str) -> list[str]:
        """Parent positions of `position_id`, nearest first (the escalation path)."""
        chain, seen, current = [], {position_id}, self.position(position_id)
        while current and current["parent_position_id"] and current["parent_position_id"] not in seen:
            seen.add(current["parent_position_id"])
            chain.append(current["parent_position_id"])
            current = self.position(current["parent_position_id"])
        return chain

    def holders(self, position_id: str, on: date) -> list[str]:
        q = sa.select(staff_positions.c.staff_id).join(staff, staff.c.id == staff_positions.c.staff_id).where(
            staff_positions.c.position_id == position_id, staff_positions.c.start_date <= on,
            sa.or_(staff_positions.c.end_date.is_(None), staff_positions.c.end_date >= on),
            staff.c.active.is_(True)).order_by(staff_positions.c.staff_id)
        return list(self.conn.execute(q).scalars())

    def positions_of(self, staff_id: str, on: date) -> list[str]:
        q = sa.select(staff_positions.c.position_id).where(
            staff_positions.c.staff_id == staff_id, staff_positions.c.start_date <= on,
            sa.or_(staff_positions.c.end_date.is_(None), staff_positions.c.end_date >= on))
        return list(self.conn.execute(q).scalars())

    def group(self, group_id: str) -> dict | None:
        row = self.conn.execute(sa.select(groups).where(groups.c.id == group_id)).mappings().first()
        return dict(row) if row else None

    def group_members(self, group_id: str) -> list[str]:
        q = sa.select(group_members.c.staff_id).where(group_members.c.group_id == group_id).order_by(
            group_members.c.staff_id)
        return list(self.conn.execute(q).scalars())

    def groups(self, group_ids=None) -> list[dict]:
        """Support groups (all, or those named), by name."""
        q = sa.select(groups).order_by(groups.c.name, groups.c.id)
        if group_ids is not None:
            q = q.where(groups.c.id.in_(list(group_ids)))
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def groups_of(self, staff_id: str) -> list[str]:
        """The support groups `staff_id` is a member of."""
        q = sa.select(group_members.c.group_id).where(group_members.c.staff_id == staff_id).order_by(
            group_members.c.group_id)
        return list(self.conn.execute(q).scalars())

    def staff_members(self, staff_ids) -> dict[str, dict]:
        """staff id → record, for those that exist."""
        ids = list(staff_ids)
        if not ids:
            return {}
        return {r["id"]: dict(r) for r in self.conn.execute(sa.select(staff).where(staff.c.id.in_(ids))).mappings()}

    def on_duty(self, group_id: str, at: datetime) -> list[str]:
        """Staff of `group_id` whose shift covers `at` (overnight shifts included)."""
        # A shift lasts at most 24 h (org refuses longer ones), which bounds the index range scan;
        # plain text, since this sits on the routing hot path and Core statement building costs more
        # than the query.
        return list(self.conn.execute(_ON_DUTY, {"g": group_id, "at": at, "since": at - MAX_SHIFT}).scalars())

    def positions_responsible_for(self, kind: str, value: str, org_unit_id: str | None = None) -> list[str]:
        """Active positions whose responsibilities (岗责) include {kind, value}, e.g. ("approval",
        "change"); with `org_unit_id`, only the positions of that unit (not of its subunits)."""
        q = sa.select(positions.c.id).where(
            positions.c.active.is_(True),
            positions.c.responsibilities.contains([{"kind": kind, "value": value}])).order_by(positions.c.id)
        if org_unit_id is not None:
            q = q.where(positions.c.org_unit_id == org_unit_id)
        return list(self.conn.execute(q).scalars())

    def units_of_kind(self, kind: str) -> list[str]:
        """Active units of one kind (e.g. "om_centre"), by id."""
        q = sa.select(units.c.id).where(units.c.kind == kind, units.c.active.is_(True)).order_by(units.c.id)
        return list(self.conn.execute(q).scalars())


_ON_DUTY = sa.text(
    "SELECT DISTINCT staff_id FROM orgdir_shifts WHERE group_id = :g AND starts_at <= :at "
    "AND starts_at > :since AND ends_at > :at ORDER BY staff_id")

ORG_EVENTS = ("org_unit_created", "org_unit_renamed", "org_unit_moved", "org_unit_deactivated",
              "position_created", "position_changed", "staff_created",
              "staff_assigned", "staff_unassigned", "group_created",
              "group_member_added", "group_member_removed", "roster_published")


CONSUMER = "{service}.orgdir"  # one inbox name for all of a service's org-directory handlers


def apply(env: Envelope, uow) -> None:
    """Apply one org event to the directory, inside the consumer's transaction."""
    OrgDirectory(uow.conn).apply(env.name, env.data)


def apply_event(uow, consumer: str, payload: dict) -> bool:
    """Idempotently apply one org event to the directory in the consumer's database."""
    return deliver(uow, consumer, Envelope.from_dict(payload), apply).new


def _handler(event: str):
    def handle(self, env: Envelope, uow) -> None:
        apply(env, uow)

    handle.__name__ = f"on_{event}"
    handle.__doc__ = f"Keep the org directory current: org.{event}."
    return consume("org", event, consumer=CONSUMER)(handle)


class OrgDirectoryConsumer:
    """Mixin for a nameko service class: one idempotent handler per org event, plus a
    `sync_org_directory` RPC that reloads the whole copy from org's snapshot."""

    org = RpcProxy("org")
    uow: Any  # the service class declares its UnitOfWork provider

    @rpc
    def sync_org_directory(self) -> dict:
        snapshot = self.org.snapshot()
        with self.uow() as uow:
            OrgDirectory(uow.conn).load_snapshot(snapshot)
            uow.commit()
        return {"org_units": len(snapshot.get("org_units", [])), "staff": len(snapshot.get("staff", []))}


for _event in ORG_EVENTS:
    setattr(OrgDirectoryConsumer, f"on_{_event}", _handler(_event))
