"""Repositories and the unit of work of the org service."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from govkit.events import jsonable
from govkit.uow import SqlUnitOfWork

from ..domain.model import (
    OrgUnit,
    OrgUnitKind,
    Position,
    Responsibility,
    Role,
    RoleAssignment,
    RosterPublish,
    Shift,
    Staff,
    StaffPosition,
    SupportGroup,
    User,
)
from ..domain.ports import OrgUow
from . import tables as t

_TREE_UP = sa.text("""
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM org_units WHERE id = :u
      UNION ALL
      SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 256)
    SELECT id FROM up ORDER BY depth""")
_TREE_DOWN = sa.text("""
    WITH RECURSIVE down(id, depth) AS (
      SELECT id, 0 FROM org_units WHERE id = ANY(:u)
      UNION
      SELECT o.id, down.depth + 1 FROM org_units o JOIN down ON o.parent_id = down.id WHERE down.depth < 256)
    SELECT DISTINCT id FROM down""")
_POSITION_UP = sa.text("""
    WITH RECURSIVE up(id, parent, depth) AS (
      SELECT id, parent_position_id, 0 FROM positions WHERE id = :p
      UNION ALL
      SELECT p.id, p.parent_position_id, up.depth + 1 FROM positions p JOIN up ON p.id = up.parent WHERE up.depth < 256)
    SELECT id FROM up ORDER BY depth""")


class OrgUnits:
    def __init__(self, conn):
        self.conn = conn

    def add(self, u: OrgUnit) -> None:
        self.conn.execute(t.org_units.insert().values(id=u.id, name=u.name, parent_id=u.parent_id,
                                                      kind=u.kind.value, active=u.active))

    def update(self, u: OrgUnit) -> None:
        self.conn.execute(t.org_units.update().where(t.org_units.c.id == u.id).values(
            name=u.name, parent_id=u.parent_id, active=u.active))

    def get(self, unit_id: str, *, lock: bool = False) -> OrgUnit | None:
        q = sa.select(t.org_units).where(t.org_units.c.id == unit_id)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return _unit(row) if row else None

    def list(self, *, within: set[str] | None = None, include_inactive: bool = False) -> list[OrgUnit]:
        q = sa.select(t.org_units).order_by(t.org_units.c.id)
        if within is not None:
            q = q.where(t.org_units.c.id.in_(sorted(within)))
        if not include_inactive:
            q = q.where(t.org_units.c.active.is_(True))
        return [_unit(r) for r in self.conn.execute(q)]

    def lineage(self, unit_id: str) -> builtins.list[str]:
        """The unit and its ancestors, nearest first."""
        return list(self.conn.execute(_TREE_UP, {"u": unit_id}).scalars())

    def subtree(self, unit_ids: builtins.list[str]) -> set[str]:
        return set(self.conn.execute(_TREE_DOWN, {"u": list(unit_ids)}).scalars())

    def active_children(self, unit_id: str) -> int:
        return self.conn.execute(sa.select(sa.func.count()).where(
            t.org_units.c.parent_id == unit_id, t.org_units.c.active.is_(True))).scalar_one()

    def record(self, unit_id: str, action: str, before, after, actor: str) -> None:
        self.conn.execute(t.org_unit_history.insert().values(
            org_unit_id=unit_id, action=action, before=jsonable(before), after=jsonable(after), actor=actor))

    def history(self, unit_id: str) -> builtins.list[dict]:
        q = sa.select(t.org_unit_history).where(t.org_unit_history.c.org_unit_id == unit_id).order_by(
            t.org_unit_history.c.seq)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def roots(self) -> set[str]:
        return set(self.conn.execute(sa.select(t.org_units.c.id).where(t.org_units.c.parent_id.is_(None))).scalars())


def _unit(row) -> OrgUnit:
    return OrgUnit(row.id, row.name, row.parent_id, OrgUnitKind(row.kind), row.active)


class Positions:
    def __init__(self, conn):
        self.conn = conn

    def upsert(self, p: Position) -> None:
        values = dict(id=p.id, org_unit_id=p.org_unit_id, name=p.name, parent_position_id=p.parent_position_id,
                      responsibilities=[vars(r) for r in p.responsibilities], active=p.active)
        stmt = pg_insert(t.positions).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                     set_={k: stmt.excluded[k] for k in values if k != "id"}))

    def get(self, pid: str) -> Position | None:
        row = self.conn.execute(sa.select(t.positions).where(t.positions.c.id == pid)).first()
        return _position(row) if row else None

    def list(self, *, org_unit_id: str | None = None) -> list[Position]:
        q = sa.select(t.positions).order_by(t.positions.c.id)
        if org_unit_id:
            q = q.where(t.positions.c.org_unit_id == org_unit_id)
        return [_position(r) for r in self.conn.execute(q)]

    def lineage(self, pid: str) -> builtins.list[str]:
        return list(self.conn.execute(_POSITION_UP, {"p": pid}).scalars())


def _position(row) -> Position:
    return Position(row.id, row.org_unit_id, row.name, row.parent_position_id,
                    [Responsibility(**r) for r in row.responsibilities], row.active)


class StaffRepo:
    def __init__(self, conn):
        self.conn = conn

    def upsert(self, s: Staff) -> None:
        values = {k: getattr(s, k) for k in ("id", "name", "org_unit_id", "vendor_id", "phone", "email", "active",
                                            "pinyin", "initials")}
        stmt = pg_insert(t.staff).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                     set_={k: stmt.excluded[k] for k in values if k != "id"}))

    def get(self, sid: str) -> Staff | None:
        row = self.conn.execute(sa.select(t.staff).where(t.staff.c.id == sid)).first()
        return Staff(**row._mapping) if row else None

    def count_active_in(self, unit_id: str) -> int:
        return self.conn.execute(sa.select(sa.func.count()).where(
            t.staff.c.org_unit_id == unit_id, t.staff.c.active.is_(True))).scalar_one()

    def search(self, query: str, *, within: set[str] | None, limit: int) -> list[Staff]:
        """By Chinese name, full pinyin or initials: "张三", "zhangsan", "zs" all find 张三."""
        q = sa.select(t.staff).where(t.staff.c.active.is_(True))
        if query:
            like = f"%{query.lower().replace(' ', '')}%"
            q = q.where(sa.or_(t.staff.c.name.contains(query), t.staff.c.pinyin.like(like),
                               t.staff.c.initials.like(like), t.staff.c.id == query))
        if within is not None:
            q = q.where(t.staff.c.org_unit_id.in_(sorted(within)))
        # Exact initials first (zs → 张三 before 张少松), then shorter names, then id.
        q = q.order_by((t.staff.c.initials == query.lower()).desc(), sa.func.length(t.staff.c.pinyin),
                       t.staff.c.id).limit(limit)
        return [Staff(**r._mapping) for r in self.conn.execute(q)]

    def list(self, *, within: set[str] | None = None) -> list[Staff]:
        q = sa.select(t.staff).order_by(t.staff.c.id)
        if within is not None:
            q = q.where(t.staff.c.org_unit_id.in_(sorted(within)))
        return [Staff(**r._mapping) for r in self.conn.execute(q)]

    # positions held
    def assign(self, sp: StaffPosition) -> None:
        stmt = pg_insert(t.staff_positions).values(staff_id=sp.staff_id, position_id=sp.position_id,
                                                   start_date=sp.start_date, end_date=sp.end_date)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["staff_id", "position_id"],
            set_={"start_date": stmt.excluded.start_date, "end_date": stmt.excluded.end_date}))

    def holding(self, staff_id: str, position_id: str) -> StaffPosition | None:
        row = self.conn.execute(sa.select(t.staff_positions).where(
            t.staff_positions.c.staff_id == staff_id, t.staff_positions.c.position_id == position_id)).first()
        return StaffPosition(**row._mapping) if row else None

    def positions_of(self, staff_id: str) -> builtins.list[StaffPosition]:
        q = sa.select(t.staff_positions).where(t.staff_positions.c.staff_id == staff_id)
        return [StaffPosition(**r._mapping) for r in self.conn.execute(q)]

    def all_assignments(self) -> builtins.list[StaffPosition]:
        return [StaffPosition(**r._mapping) for r in self.conn.execute(sa.select(t.staff_positions))]


class Groups:
    def __init__(self, conn):
        self.conn = conn

    def add(self, g: SupportGroup) -> None:
        self.conn.execute(t.support_groups.insert().values(id=g.id, name=g.name, org_unit_id=g.org_unit_id,
                                                           lead_position_id=g.lead_position_id))

    def get(self, gid: str, *, lock: bool = False) -> SupportGroup | None:
        q = sa.select(t.support_groups).where(t.support_groups.c.id == gid)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return SupportGroup(**row._mapping) if row else None

    def list(self) -> list[SupportGroup]:
        return [SupportGroup(**r._mapping) for r in self.conn.execute(
            sa.select(t.support_groups).order_by(t.support_groups.c.id))]

    def members(self, gid: str) -> builtins.list[str]:
        return list(self.conn.execute(sa.select(t.group_members.c.staff_id).where(
            t.group_members.c.group_id == gid).order_by(t.group_members.c.staff_id)).scalars())

    def all_members(self) -> builtins.list[tuple[str, str]]:
        return [tuple(r) for r in self.conn.execute(sa.select(t.group_members.c.group_id, t.group_members.c.staff_id))]

    def add_member(self, gid: str, sid: str) -> bool:
        return self.conn.execute(pg_insert(t.group_members).values(group_id=gid, staff_id=sid)
                                 .on_conflict_do_nothing()).rowcount == 1

    def remove_member(self, gid: str, sid: str) -> bool:
        return self.conn.execute(t.group_members.delete().where(
            t.group_members.c.group_id == gid, t.group_members.c.staff_id == sid)).rowcount == 1

    # rosters
    def replace_shifts(self, gid: str, start: datetime, end: datetime, shifts: builtins.list[Shift]) -> None:
        self.conn.execute(t.shifts.delete().where(t.shifts.c.group_id == gid, t.shifts.c.starts_at >= start,
                                                  t.shifts.c.starts_at < end))
        if shifts:
            self.conn.execute(t.shifts.insert(), [{"group_id": gid, "staff_id": s.staff_id,
                                                  "starts_at": s.starts_at, "ends_at": s.ends_at} for s in shifts])

    def shifts_overlapping(self, staff_ids: builtins.list[str], start: datetime, end: datetime,
                           exclude_group_period: tuple[str, datetime, datetime]) -> builtins.list[tuple]:
        """Shifts of these people elsewhere (other groups, or outside the replaced period)."""
        gid, pstart, pend = exclude_group_period
        c = t.shifts.c
        q = sa.select(c.staff_id, c.group_id, c.starts_at, c.ends_at).where(
            c.staff_id.in_(staff_ids), c.starts_at < end, c.ends_at > start,
            sa.not_(sa.and_(c.group_id == gid, c.starts_at >= pstart, c.starts_at < pend)))
        return [tuple(r) for r in self.conn.execute(q)]

    def on_duty(self, gid: str, at: datetime) -> builtins.list[Shift]:
        c = t.shifts.c
        # Shifts last at most 24 h (validate_roster), which bounds the index range scan.
        q = sa.select(c.staff_id, c.starts_at, c.ends_at).where(
            c.group_id == gid, c.starts_at <= at, c.starts_at > at - timedelta(hours=24),
            c.ends_at > at).order_by(c.starts_at, c.staff_id)
        return [Shift(*r) for r in self.conn.execute(q)]

    def shifts(self, gid: str, start: datetime, end: datetime) -> builtins.list[Shift]:
        c = t.shifts.c
        q = sa.select(c.staff_id, c.starts_at, c.ends_at).where(
            c.group_id == gid, c.starts_at >= start, c.starts_at < end).order_by(c.starts_at, c.staff_id)
        return [Shift(*r) for r in self.conn.execute(q)]

    def record_publish(self, p: RosterPublish) -> None:
        self.conn.execute(t.roster_publishes.insert().values(
            group_id=p.group_id, period_start=p.period_start, period_end=p.period_end, publisher=p.publisher,
            publisher_name=p.publisher_name, published_at=p.published_at, version=p.version))

    def last_publish(self, gid: str, start: datetime, end: datetime) -> RosterPublish | None:
        """The latest publish whose period overlaps [start, end) (seq breaks a tie of instants)."""
        c = t.roster_publishes.c
        row = self.conn.execute(sa.select(c.group_id, c.period_start, c.period_end, c.publisher, c.publisher_name,
                                          c.published_at, c.version)
                                .where(c.group_id == gid, c.period_start < end, c.period_end > start)
                                .order_by(c.published_at.desc(), c.seq.desc()).limit(1)).first()
        return RosterPublish(**row._mapping) if row else None

    def all_shifts(self) -> builtins.list[tuple]:
        c = t.shifts.c
        return [tuple(r) for r in self.conn.execute(sa.select(c.group_id, c.staff_id, c.starts_at, c.ends_at))]


class Roles:
    def __init__(self, conn):
        self.conn = conn

    def upsert(self, r: Role) -> None:
        values = dict(code=r.code, name=r.name, description=r.description,
                      permissions=sorted(r.permissions), builtin=r.builtin)
        stmt = pg_insert(t.roles).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["code"],
                                                     set_={k: stmt.excluded[k] for k in values if k != "code"}))

    def get(self, code: str) -> Role | None:
        row = self.conn.execute(sa.select(t.roles).where(t.roles.c.code == code)).first()
        return _role(row) if row else None

    def list(self) -> list[Role]:
        return [_role(r) for r in self.conn.execute(sa.select(t.roles).order_by(t.roles.c.code))]

    def grant(self, a: RoleAssignment) -> bool:
        stmt = pg_insert(t.role_assignments).values(**vars(a)).on_conflict_do_nothing()
        return self.conn.execute(stmt).rowcount == 1

    def find_assignment(self, subject: str, role: str, unit: str) -> RoleAssignment | None:
        row = self.conn.execute(sa.select(t.role_assignments).where(
            t.role_assignments.c.subject == subject, t.role_assignments.c.role == role,
            t.role_assignments.c.org_unit_id == unit)).first()
        return RoleAssignment(**row._mapping) if row else None

    def revoke(self, assignment_id: str) -> None:
        self.conn.execute(t.role_assignments.delete().where(t.role_assignments.c.id == assignment_id))

    def assignments_of_many(self, subjects: builtins.list[str]) -> dict[str, builtins.list[RoleAssignment]]:
        q = sa.select(t.role_assignments).where(t.role_assignments.c.subject.in_(subjects)).order_by(
            t.role_assignments.c.granted_at, t.role_assignments.c.id)
        found: dict[str, builtins.list[RoleAssignment]] = {}
        for r in self.conn.execute(q):
            found.setdefault(r.subject, []).append(RoleAssignment(**r._mapping))
        return found

    def assignments_of(self, subject: str) -> builtins.list[RoleAssignment]:
        q = sa.select(t.role_assignments).where(t.role_assignments.c.subject == subject).order_by(
            t.role_assignments.c.granted_at, t.role_assignments.c.id)
        return [RoleAssignment(**r._mapping) for r in self.conn.execute(q)]


def _role(row) -> Role:
    return Role(row.code, row.name, row.description, frozenset(row.permissions), row.builtin)


class Identities:
    def __init__(self, conn):
        self.conn = conn

    def add_user(self, u: User) -> bool:
        stmt = pg_insert(t.users).values(**vars(u)).on_conflict_do_nothing()
        return self.conn.execute(stmt).rowcount == 1

    def user(self, username: str, *, lock: bool = False) -> User | None:
        q = sa.select(t.users).where(t.users.c.username == username)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return User(**row._mapping) if row else None

    def user_contacts(self) -> list[dict]:
        """Login users with an e-mail or mobile (org's snapshot carries them for notify)."""
        u = t.users
        rows = self.conn.execute(sa.select(u.c.username, u.c.staff_id, u.c.email, u.c.mobile).where(
            sa.or_(u.c.email != "", u.c.mobile != "")).order_by(u.c.username)).mappings()
        return [dict(r) for r in rows]

    def list_users(self, query: str, *, within: list[set[str]], offset: int,
                   limit: int) -> tuple[list[tuple[User, str | None]], int]:
        """One page of login users with their staff record's unit, in pinyin order of the display
        name, and how many match in all. `query` matches the username or display name (a part), or
        the name's full pinyin or initials; each set in `within` keeps only users whose staff record
        or some grant lies in it."""
        u, s, ra = t.users, t.staff, t.role_assignments
        q = sa.select(u, s.c.org_unit_id.label("staff_org_unit_id")).select_from(
            u.outerjoin(s, s.c.id == u.c.staff_id))
        if query:
            key = query.lower().replace(" ", "")
            q = q.where(sa.or_(u.c.display_name.contains(query, autoescape=True),
                               sa.func.lower(u.c.username).contains(query.lower(), autoescape=True),
                               u.c.pinyin.contains(key, autoescape=True), u.c.initials.contains(key, autoescape=True)))
        for units in within:
            granted = sa.select(ra.c.subject).where(ra.c.org_unit_id.in_(sorted(units)))
            q = q.where(sa.or_(s.c.org_unit_id.in_(sorted(units)), u.c.username.in_(granted)))
        total = self.conn.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
        # "C": the keys are ASCII, compared as Python compares them (govkit.pinyin.sort_key).
        q = q.order_by(u.c.pinyin.collate("C"), u.c.display_name, u.c.username).offset(offset).limit(limit)
        rows = []
        for r in self.conn.execute(q).mappings():
            data = dict(r)
            unit = data.pop("staff_org_unit_id")
            rows.append((User(**data), unit))
        return rows, total

    def save_user(self, u: User) -> None:
        self.conn.execute(t.users.update().where(t.users.c.username == u.username).values(
            **{k: v for k, v in vars(u).items() if k != "username"}))

    def add_refresh(self, token_hash: str, subject: str, expires_at: datetime) -> None:
        self.conn.execute(t.refresh_tokens.insert().values(token_hash=token_hash, subject=subject,
                                                           expires_at=expires_at))

    def refresh(self, token_hash: str, *, lock: bool = True):
        q = sa.select(t.refresh_tokens).where(t.refresh_tokens.c.token_hash == token_hash)
        return self.conn.execute(q.with_for_update() if lock else q).first()

    def revoke_refresh(self, token_hash: str, at: datetime) -> None:
        self.conn.execute(t.refresh_tokens.update().where(t.refresh_tokens.c.token_hash == token_hash,
                                                          t.refresh_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=at))

    def revoke_all_refresh(self, subject: str, at: datetime) -> int:
        return self.conn.execute(t.refresh_tokens.update().where(
            t.refresh_tokens.c.subject == subject, t.refresh_tokens.c.revoked_at.is_(None)).values(
            revoked_at=at)).rowcount

    def add_service_account(self, client_id: str, name: str, secret_hash: str, created_by: str) -> bool:
        stmt = pg_insert(t.service_accounts).values(client_id=client_id, name=name, secret_hash=secret_hash,
                                                    created_by=created_by).on_conflict_do_nothing()
        return self.conn.execute(stmt).rowcount == 1

    def service_account(self, client_id: str):
        return self.conn.execute(sa.select(t.service_accounts).where(
            t.service_accounts.c.client_id == client_id)).first()


class OrgUnitOfWork(SqlUnitOfWork):
    def bind(self, conn) -> None:
        self.org_units = OrgUnits(conn)
        self.positions = Positions(conn)
        self.staff = StaffRepo(conn)
        self.groups = Groups(conn)
        self.roles = Roles(conn)
        self.identities = Identities(conn)





def _conforms(uow: OrgUnitOfWork) -> OrgUow:
    """Never called: mypy checks here that the PostgreSQL unit of work meets the Protocol."""
    return uow
