"""Repositories. Every ticket read is filtered by the caller's department scope here, so a
handler that forgets a check still cannot leak another department's tickets."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from govkit.auth import Scope
from govkit.protoconv import decode_page_token, encode_page_token

from ..domain.alert import AlertRecord
from ..domain.calendar import BusinessCalendar
from ..domain.catalogue import CatalogueItem
from ..domain.change import CHANGE_TYPES, DEFAULT_ROUTES, ChangeRoute
from ..domain.knowledge import Article, search_tokens
from ..domain.lifecycle import NUMBER_PREFIX, is_ticket_number
from ..domain.model import Category, Priority, Status, Ticket
from ..domain.sla import Deadline, SlaPolicy, SlaState
from ..domain.views import SavedView
from . import tables as t
from .details import audit_snapshot, details_from_json, details_to_json

DEADLINE_CHANNEL = "ticket_deadlines"

_TICKET_COLUMNS = [c.name for c in t.tickets.columns]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


def _id_or_number(ticket_id: str):
    """The WHERE clause of a ticket named by its id or by its number (unique, `ux_tickets_number`)."""
    key = _uuid(ticket_id)
    if key is not None:
        return t.tickets.c.id == key
    number = str(ticket_id or "").strip().upper()
    if not is_ticket_number(number):
        return None
    return t.tickets.c.number == number


def _ticket_values(x: Ticket) -> dict:
    return {
        "id": uuid.UUID(x.id), "title": x.title, "description": x.description, "org_unit_id": x.org_unit_id,
        "category": _v(x.category), "priority": _v(x.priority), "status": _v(x.status),
        "requester": x.requester, "idempotency_key": x.idempotency_key, "created_at": x.created_at,
        "number": x.number, "ticket_type": x.ticket_type, "impact": x.impact, "urgency": x.urgency,
        "channel": x.channel, "catalogue_item_id": x.catalogue_item_id, "group_id": x.group_id,
        "position_id": x.position_id, "assignee": x.assignee, "vendor_id": x.vendor_id,
        "pending_reason": x.pending_reason, "form": x.form, "details": details_to_json(x),
        "sla": x.sla.to_dict() if x.sla else None, "sla_state": x.sla_state,
        "response_due_at": x.response_due_at, "resolution_due_at": x.resolution_due_at,
        "resolution_code": x.resolution_code, "resolution": x.resolution, "resolved_at": x.resolved_at,
        "closed_at": x.closed_at, "closed_by": x.closed_by, "reopen_count": x.reopen_count,
        "reassignment_count": x.reassignment_count, "first_assignee": x.first_assignee,
        "transferred": x.transferred, "rating": x.rating, "rating_comment": x.rating_comment,
        "escalation_level": x.escalation_level, "is_open": x.is_open, "updated_at": x.updated_at,
    }


def _v(value):
    return getattr(value, "value", value)


def to_ticket(row) -> Ticket:
    m = row._mapping
    return Ticket(
        id=str(m["id"]), title=m["title"], description=m["description"], org_unit_id=m["org_unit_id"],
        category=Category(m["category"]), priority=Priority(m["priority"]), status=Status(m["status"]),
        requester=m["requester"], created_at=m["created_at"], idempotency_key=m["idempotency_key"],
        number=m["number"], ticket_type=m["ticket_type"], impact=m["impact"], urgency=m["urgency"],
        channel=m["channel"], catalogue_item_id=m["catalogue_item_id"], group_id=m["group_id"],
        position_id=m["position_id"], assignee=m["assignee"], vendor_id=m["vendor_id"],
        pending_reason=m["pending_reason"], form=m["form"] or {}, **details_from_json(m["ticket_type"], m["details"]),
        sla=SlaState.from_dict(m["sla"]), sla_state=m["sla_state"], response_due_at=m["response_due_at"],
        resolution_due_at=m["resolution_due_at"], resolution_code=m["resolution_code"],
        resolution=m["resolution"], resolved_at=m["resolved_at"], closed_at=m["closed_at"],
        closed_by=m["closed_by"], reopen_count=m["reopen_count"], reassignment_count=m["reassignment_count"],
        first_assignee=m["first_assignee"], transferred=m["transferred"], rating=m["rating"],
        rating_comment=m["rating_comment"], escalation_level=m["escalation_level"], updated_at=m["updated_at"],
    )


def encode_token(values: list) -> str:
    return encode_page_token(values)


def decode_token(token: str, sort: str = "created_desc") -> list | None:
    """The cursor [sort key, last id] of a token `encode_token` made; None for no token. A token
    that is not one (garbage, another sort's) is InvalidArgument naming page.page_token."""
    def cursor(value) -> list:
        key, last_id = value
        uuid.UUID(last_id)
        if key is None and sort == "sla_due":
            return [None, last_id]
        datetime.fromisoformat(key)
        return [key, last_id]

    return decode_page_token(token, cursor)


# Statements built once: parameters passed at execution let SQLAlchemy reuse the compiled form
# (building a 48-column INSERT per call cost more than the database round trip).
_INSERT_TICKET = pg_insert(t.tickets).on_conflict_do_nothing(
    index_elements=["requester", "idempotency_key"], index_where=sa.text("idempotency_key IS NOT NULL"))
_UPDATE_TICKET = t.tickets.update().where(t.tickets.c.id == sa.bindparam("b_id"))


class TicketRepository:
    def __init__(self, conn: Connection, scope: Scope):
        self.conn, self.scope = conn, scope
        # Tickets saved in this transaction: the unit of work tells the open queues at commit
        # (adapters/feed.py), also for a save that published no event.
        self.saved: builtins.list[Ticket] = []

    def _scoped(self, query):
        if self.scope.is_global:
            return query
        return query.where(t.tickets.c.org_unit_id.in_(sorted(self.scope.units)))

    def next_number(self, ticket_type: str, year: int) -> str:
        prefix = NUMBER_PREFIX[ticket_type]
        n = self.conn.execute(sa.text(f"SELECT nextval('ticket_number_{prefix.lower()}')")).scalar()
        return f"{prefix}-{year}-{n:06d}"

    def add(self, ticket: Ticket, actor: str | None = None, fingerprint: str | None = None) -> bool:
        """Insert; False if the caller's idempotency key is already taken."""
        values = _ticket_values(ticket)
        values["request_fingerprint"] = fingerprint
        if self.conn.execute(_INSERT_TICKET, values).rowcount != 1:
            return False
        self._audit(ticket, actor or ticket.requester, "created", {}, audit_snapshot(ticket))
        ticket._loaded = audit_snapshot(ticket)  # type: ignore[attr-defined]
        return True

    def get(self, ticket_id: str, *, for_update: bool = False, skip_locked: bool = False) -> Ticket | None:
        """By id, or by the ticket's number (INC-2026-000002, any case)."""
        where = _id_or_number(ticket_id)
        if where is None:
            return None
        q = self._scoped(sa.select(t.tickets).where(where))
        if for_update:
            q = q.with_for_update(skip_locked=skip_locked)
        row = self.conn.execute(q).first()
        if row is None:
            return None
        ticket = to_ticket(row)
        ticket._loaded = audit_snapshot(ticket)  # type: ignore[attr-defined]
        return ticket

    def lock_many(self, ticket_ids: list[str]) -> list[Ticket]:
        """The tickets not locked by anyone else, locked now (FOR UPDATE SKIP LOCKED)."""
        keys = [k for k in (_uuid(i) for i in ticket_ids) if k]
        rows = self.conn.execute(self._scoped(sa.select(t.tickets).where(t.tickets.c.id.in_(keys)))
                                 .with_for_update(skip_locked=True)).fetchall()
        out = []
        for row in rows:
            ticket = to_ticket(row)
            ticket._loaded = audit_snapshot(ticket)  # type: ignore[attr-defined]
            out.append(ticket)
        return out

    def exists(self, ticket_id: str) -> bool:
        """Unscoped existence, to tell PERMISSION_DENIED (someone else's) from NOT_FOUND on writes."""
        where = _id_or_number(ticket_id)
        return where is not None and self.conn.execute(sa.select(sa.literal(1)).where(where)).first() is not None

    def by_idempotency_key(self, requester: str, key: str) -> Ticket | None:
        row = self.conn.execute(self._scoped(sa.select(t.tickets).where(
            t.tickets.c.requester == requester, t.tickets.c.idempotency_key == key))).first()
        return to_ticket(row) if row else None

    def request_fingerprint(self, requester: str, key: str) -> str | None:
        return self.conn.execute(sa.select(t.tickets.c.request_fingerprint).where(
            t.tickets.c.requester == requester, t.tickets.c.idempotency_key == key)).scalar()

    def save(self, ticket: Ticket, actor: str, action: str) -> None:
        self.saved.append(ticket)
        before_all = getattr(ticket, "_loaded", {})
        after_all = audit_snapshot(ticket)
        values = _ticket_values(ticket)
        values["b_id"] = values.pop("id")
        self.conn.execute(_UPDATE_TICKET, values)
        changed = [k for k in after_all if before_all.get(k) != after_all[k]]
        if changed or not action.startswith("sla_"):
            self._audit(ticket, actor, action, {k: before_all.get(k) for k in changed},
                        {k: after_all[k] for k in changed})
        ticket._loaded = after_all  # type: ignore[attr-defined]

    def _audit(self, ticket: Ticket, actor: str, action: str, before: dict, after: dict) -> None:
        self.conn.execute(t.audit.insert(), {
            "ticket_id": uuid.UUID(ticket.id), "org_unit_id": ticket.org_unit_id, "actor": actor, "action": action,
            "at": ticket.updated_at or datetime.now(UTC), "before": before, "after": after})

    def audit_entries(self, *, ticket_id: str | None = None, actor: str | None = None, after_id: int = 0,
                      limit: int = 50) -> list[dict]:
        q = sa.select(t.audit).where(t.audit.c.id > after_id).order_by(t.audit.c.id).limit(limit)
        if ticket_id is not None:
            q = q.where(t.audit.c.ticket_id == _uuid(ticket_id))
        if actor is not None:
            q = q.where(t.audit.c.actor == actor)
        if not self.scope.is_global:
            q = q.where(t.audit.c.org_unit_id.in_(sorted(self.scope.units)))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def open_load(self, staff_ids: list[str]) -> dict[str, int]:
        if not staff_ids:
            return {}
        rows = self.conn.execute(sa.select(t.tickets.c.assignee, sa.func.count()).where(
            t.tickets.c.is_open, t.tickets.c.assignee.in_(staff_ids)).group_by(t.tickets.c.assignee))
        load = dict.fromkeys(staff_ids, 0)
        load.update({a: n for a, n in rows})  # noqa: C416 - dict(rows) would take a CursorResult (it has keys()) for a mapping
        return load

    def list(self, f: dict, *, page_size: int, page_token: str = "", sort: str = "created_desc"
             ) -> tuple[list[Ticket], str]:
        c = t.tickets.c
        q = self._scoped(sa.select(t.tickets))
        for name in ("status", "priority", "category", "org_unit_id", "assignee", "sla_state", "ticket_type",
                     "group_id", "catalogue_item_id"):
            values = f.get(name)
            if values:
                q = q.where(c[name].in_(list(values)))
        if f.get("requester"):
            q = q.where(c.requester == f["requester"])
        if f.get("open_only"):
            q = q.where(c.is_open)
        if f.get("unassigned"):
            q = q.where(c.assignee.is_(None))
        if f.get("created_from"):
            q = q.where(c.created_at >= f["created_from"])
        if f.get("created_to"):
            q = q.where(c.created_at < f["created_to"])
        cursor = decode_token(page_token, sort)
        if sort == "sla_due":
            if cursor:
                due, last_id = cursor
                if due is None:
                    q = q.where(c.resolution_due_at.is_(None), c.id > uuid.UUID(last_id))
                else:
                    d = datetime.fromisoformat(due)
                    q = q.where(sa.or_(c.resolution_due_at > d, c.resolution_due_at.is_(None),
                                       sa.and_(c.resolution_due_at == d, c.id > uuid.UUID(last_id))))
            q = q.order_by(c.resolution_due_at.asc().nulls_last(), c.id)
        else:
            if cursor:
                created, last_id = cursor
                q = q.where(sa.tuple_(c.created_at, c.id) < sa.tuple_(
                    sa.literal(datetime.fromisoformat(created)), sa.literal(uuid.UUID(last_id))))
            q = q.order_by(c.created_at.desc(), c.id.desc())
        rows = self.conn.execute(q.limit(page_size + 1)).fetchall()
        items = [to_ticket(r) for r in rows[:page_size]]
        token = ""
        if len(rows) > page_size:
            last = items[-1]
            key = (last.resolution_due_at.isoformat() if last.resolution_due_at else None) \
                if sort == "sla_due" else last.created_at.isoformat()
            token = encode_token([key, last.id])
        return items, token

    def by_ids(self, ids: builtins.list[str]) -> builtins.list[Ticket]:
        keys = [k for k in (_uuid(i) for i in ids) if k]
        rows = self.conn.execute(self._scoped(sa.select(t.tickets).where(t.tickets.c.id.in_(keys))))
        return [to_ticket(r) for r in rows]


class CatalogueRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, item_id: str) -> CatalogueItem | None:
        row = self.conn.execute(sa.select(t.catalogue_items).where(t.catalogue_items.c.id == item_id)).first()
        return CatalogueItem(**row._mapping) if row else None

    def list(self, *, include_inactive: bool = False) -> list[CatalogueItem]:
        q = sa.select(t.catalogue_items).order_by(t.catalogue_items.c.sort, t.catalogue_items.c.id)
        if not include_inactive:
            q = q.where(t.catalogue_items.c.active)
        return [CatalogueItem(**r._mapping) for r in self.conn.execute(q)]

    def get_for_update(self, item_id: str) -> CatalogueItem | None:
        row = self.conn.execute(sa.select(t.catalogue_items).where(t.catalogue_items.c.id == item_id)
                                .with_for_update()).first()
        return CatalogueItem(**row._mapping) if row else None

    def upsert(self, item: CatalogueItem) -> int:
        """Insert at version 1 or replace with the version one up; the stored version."""
        values = item.to_dict()
        stmt = pg_insert(t.catalogue_items).values(**values, version=1)
        return self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["id"], set_={**{k: stmt.excluded[k] for k in values if k != "id"},
                                         "version": t.catalogue_items.c.version + 1})
            .returning(t.catalogue_items.c.version)).scalar_one()


_CACHE: dict = {}  # (database, kind, key) → (expires, value): policies change rarely
CACHE_SECONDS = 5.0


class SlaRepository:
    """Calendars, policies and department overrides. Reads are cached per process for a few
    seconds (CACHE_SECONDS): an administrator's change reaches every process within that time."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._calendars: dict[str, BusinessCalendar] = {}
        self._db = str(conn.engine.url)

    def _cached(self, kind: str, key, load):
        import time as _time

        k = (self._db, kind, key)
        hit = _CACHE.get(k)
        now = _time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        value = load()
        _CACHE[k] = (now + CACHE_SECONDS, value)
        return value

    def _forget(self) -> None:
        for k in [k for k in _CACHE if k[0] == self._db]:
            _CACHE.pop(k, None)

    def calendar(self, calendar_id: str | None) -> BusinessCalendar | None:
        if calendar_id is None:
            return None
        return self._cached("calendar", calendar_id, lambda: self._calendar(calendar_id))

    def _calendar(self, calendar_id: str) -> BusinessCalendar | None:
        if calendar_id not in self._calendars:
            d = self.conn.execute(sa.select(t.calendars.c.definition).where(t.calendars.c.id == calendar_id)).scalar()
            if d is None:  # the built-in calendars stand in until an administrator stores one
                from ..domain.calendar import DEFAULT_CALENDARS

                return next((c for c in DEFAULT_CALENDARS if c.id == calendar_id), None)
            self._calendars[calendar_id] = BusinessCalendar.from_dict(d)
        return self._calendars[calendar_id]

    def policy(self, policy_id: str | None) -> SlaPolicy | None:
        if policy_id is None:
            return None
        return self._cached("policy", policy_id, lambda: self._policy(policy_id))

    def _policy(self, policy_id: str) -> SlaPolicy | None:
        d = self.conn.execute(sa.select(t.sla_policies.c.definition).where(t.sla_policies.c.id == policy_id)).scalar()
        if d is None:  # the built-in policies stand in until an administrator stores one
            from ..domain.sla import DEFAULT_POLICIES

            return next((p for p in DEFAULT_POLICIES if p.id == policy_id), None)
        return SlaPolicy.from_dict(d)

    def department_policy(self, org_unit_id: str) -> str | None:
        return self._cached("org_unit_id", org_unit_id, lambda: self.conn.execute(
            sa.select(t.department_sla.c.sla_policy_id).where(t.department_sla.c.org_unit_id == org_unit_id)).scalar())

    def policies(self) -> list[SlaPolicy]:
        return [SlaPolicy.from_dict(d) for d in self.conn.execute(
            sa.select(t.sla_policies.c.definition).order_by(t.sla_policies.c.id)).scalars()]

    def calendars(self) -> list[BusinessCalendar]:
        return [BusinessCalendar.from_dict(d) for d in self.conn.execute(
            sa.select(t.calendars.c.definition).order_by(t.calendars.c.id)).scalars()]

    def upsert_policy(self, p: SlaPolicy) -> None:
        self._forget()
        stmt = pg_insert(t.sla_policies).values(id=p.id, definition=p.to_dict())
        self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={"definition": stmt.excluded.definition})
        )

    def upsert_calendar(self, cal: BusinessCalendar) -> None:
        self._forget()
        stmt = pg_insert(t.calendars).values(id=cal.id, definition=cal.to_dict())
        self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={"definition": stmt.excluded.definition})
        )
        self._calendars.pop(cal.id, None)

    def set_department_policy(self, org_unit_id: str, policy_id: str | None) -> None:
        self._forget()
        self.conn.execute(t.department_sla.delete().where(t.department_sla.c.org_unit_id == org_unit_id))
        if policy_id:
            self.conn.execute(t.department_sla.insert().values(org_unit_id=org_unit_id, sla_policy_id=policy_id))


class ChangeRouteRepository:
    """The approval route of each change type: the stored one, else the built-in default."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, change_type: str) -> ChangeRoute:
        d = self.conn.execute(sa.select(t.change_routes.c.definition)
                              .where(t.change_routes.c.change_type == change_type)).scalar()
        if d is not None:
            return ChangeRoute.from_dict(d)
        return next(r for r in DEFAULT_ROUTES if r.change_type == change_type)

    def list(self) -> list[ChangeRoute]:
        return [self.get(x) for x in CHANGE_TYPES]

    def upsert(self, route: ChangeRoute) -> None:
        stmt = pg_insert(t.change_routes).values(change_type=route.change_type, definition=route.to_dict())
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["change_type"],
                                                     set_={"definition": stmt.excluded.definition}))


class DeadlineRepository:
    """The table of next deadlines the scheduler sleeps on (one row per ticket, target and kind)."""

    def __init__(self, conn: Connection, notify_horizon_seconds: float = 5.0):
        self.conn, self.horizon = conn, notify_horizon_seconds

    def replace(self, ticket_id: str, items: list[Deadline], now: datetime, *, new: bool = False) -> None:
        key = uuid.UUID(ticket_id)
        if not new:
            self.conn.execute(t.sla_deadlines.delete().where(t.sla_deadlines.c.ticket_id == key))
        if not items:
            return
        self.conn.execute(t.sla_deadlines.insert(), [
            {"ticket_id": key, "target": d.target, "kind": d.kind, "due_at": d.due_at} for d in items])
        # The scheduler sleeps at most `horizon`; only a sooner deadline needs to wake it now.
        if min(d.due_at for d in items) < now + timedelta(seconds=self.horizon):
            self.conn.execute(sa.text("SELECT pg_notify(:c, '')"), {"c": DEADLINE_CHANNEL})

    def due_tickets(self, now: datetime, limit: int = 100) -> list[str]:
        rows = self.conn.execute(sa.select(t.sla_deadlines.c.ticket_id, sa.func.min(t.sla_deadlines.c.due_at))
                                 .where(t.sla_deadlines.c.due_at <= now)
                                 .group_by(t.sla_deadlines.c.ticket_id)
                                 .order_by(sa.func.min(t.sla_deadlines.c.due_at)).limit(limit))
        return [str(r[0]) for r in rows]

    def for_ticket(self, ticket_id: str, now: datetime) -> list[Deadline]:
        rows = self.conn.execute(sa.select(t.sla_deadlines).where(
            t.sla_deadlines.c.ticket_id == uuid.UUID(ticket_id), t.sla_deadlines.c.due_at <= now)
            .order_by(t.sla_deadlines.c.due_at).with_for_update())
        return [Deadline(r.target, r.kind, r.due_at) for r in rows]

    def for_tickets(self, ticket_ids: list[str], now: datetime) -> dict[str, list[Deadline]]:
        rows = self.conn.execute(sa.select(t.sla_deadlines).where(
            t.sla_deadlines.c.ticket_id.in_([uuid.UUID(i) for i in ticket_ids]), t.sla_deadlines.c.due_at <= now)
            .order_by(t.sla_deadlines.c.due_at).with_for_update())
        out: dict[str, list[Deadline]] = {}
        for r in rows:
            out.setdefault(str(r.ticket_id), []).append(Deadline(r.target, r.kind, r.due_at))
        return out

    def next_due(self) -> datetime | None:
        return self.conn.execute(sa.select(sa.func.min(t.sla_deadlines.c.due_at))).scalar()


class CommentRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, ticket_id: str, author: str, body: str, visibility: str, at: datetime) -> int:
        return self.conn.execute(t.comments.insert().values(
            ticket_id=uuid.UUID(ticket_id), author=author, body=body, visibility=visibility, created_at=at)
            .returning(t.comments.c.id)).scalar()

    def list(self, ticket_id: str, *, include_internal: bool) -> list[dict]:
        q = sa.select(t.comments).where(t.comments.c.ticket_id == uuid.UUID(ticket_id)).order_by(t.comments.c.id)
        if not include_internal:
            q = q.where(t.comments.c.visibility == "public")
        return [dict(r._mapping) for r in self.conn.execute(q)]


class AttachmentRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, **values) -> None:
        self.conn.execute(t.attachments.insert().values(**values))

    def get(self, attachment_id: str) -> dict | None:
        key = _uuid(attachment_id)
        row = self.conn.execute(sa.select(t.attachments).where(t.attachments.c.id == key)).first() if key else None
        return dict(row._mapping) if row else None

    def list(self, ticket_id: str) -> list[dict]:
        cols = [c for c in t.attachments.c if c.name != "data"]
        return [
            dict(r._mapping)
            for r in self.conn.execute(
                sa.select(*cols)
                .where(t.attachments.c.ticket_id == uuid.UUID(ticket_id))
                .order_by(t.attachments.c.created_at)
            )
        ]


class RelationRepository:
    """Watchers and links between tickets."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def watch(self, ticket_id: str, subject: str, on: bool) -> None:
        key = uuid.UUID(ticket_id)
        if on:
            self.conn.execute(pg_insert(t.watchers).values(ticket_id=key, subject=subject).on_conflict_do_nothing())
        else:
            self.conn.execute(t.watchers.delete().where(t.watchers.c.ticket_id == key, t.watchers.c.subject == subject))

    def watchers(self, ticket_id: str) -> list[str]:
        return list(self.conn.execute(sa.select(t.watchers.c.subject).where(
            t.watchers.c.ticket_id == uuid.UUID(ticket_id)).order_by(t.watchers.c.subject)).scalars())

    def link(self, from_id: str, to_id: str, kind: str, by: str, at: datetime) -> bool:
        return self.conn.execute(pg_insert(t.links).values(
            from_id=uuid.UUID(from_id), to_id=uuid.UUID(to_id), kind=kind, created_by=by, created_at=at)
            .on_conflict_do_nothing()).rowcount == 1

    def links(self, ticket_id: str) -> list[dict]:
        key = uuid.UUID(ticket_id)
        rows = self.conn.execute(sa.select(t.links).where(sa.or_(t.links.c.from_id == key, t.links.c.to_id == key)))
        return [dict(r._mapping) for r in rows]

    def count(self, from_id: str, kind: str) -> int:
        return self.conn.execute(sa.select(sa.func.count()).select_from(t.links).where(
            t.links.c.from_id == uuid.UUID(from_id), t.links.c.kind == kind)).scalar()


def _lexemes(text: str) -> list[str]:
    return sorted(set(search_tokens(text)))


class ArticleRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def _search_expr(self, title: str, body: str):
        return sa.text("setweight(array_to_tsvector(CAST(:tt AS text[])), 'A') || "
                       "setweight(array_to_tsvector(CAST(:bt AS text[])), 'B')").bindparams(
            tt=_lexemes(title), bt=_lexemes(body))

    def add(self, a: Article) -> None:
        self.conn.execute(t.articles.insert().values(
            id=uuid.UUID(a.id), title=a.title, body=a.body, status=a.status, version=a.version,
            catalogue_item_ids=a.catalogue_item_ids, problem_id=_uuid(a.problem_id) if a.problem_id else None,
            author=a.author, created_at=a.created_at, updated_at=a.updated_at,
            search=self._search_expr(a.title, a.body)))
        self._version(a)

    def save(self, a: Article, new_version: bool) -> None:
        self.conn.execute(t.articles.update().where(t.articles.c.id == uuid.UUID(a.id)).values(
            title=a.title, body=a.body, status=a.status, version=a.version,
            catalogue_item_ids=a.catalogue_item_ids, problem_id=_uuid(a.problem_id) if a.problem_id else None,
            updated_at=a.updated_at, search=self._search_expr(a.title, a.body)))
        if new_version:
            self._version(a)

    def _version(self, a: Article) -> None:
        self.conn.execute(t.article_versions.insert().values(
            article_id=uuid.UUID(a.id), version=a.version, title=a.title, body=a.body, author=a.author,
            created_at=a.updated_at))

    def get(self, article_id: str, for_update: bool = False) -> Article | None:
        key = _uuid(article_id)
        if key is None:
            return None
        q = sa.select(*[c for c in t.articles.c if c.name != "search"]).where(t.articles.c.id == key)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return _article(row) if row else None

    def versions(self, article_id: str) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(sa.select(t.article_versions).where(
            t.article_versions.c.article_id == uuid.UUID(article_id)).order_by(t.article_versions.c.version))]

    def list(self, *, statuses: Iterable[str], catalogue_item_id: str | None = None, problem_id: str | None = None,
             offset: int = 0, limit: int = 20) -> tuple[builtins.list[Article], int]:
        """One page, most recently changed first, and the total."""
        where: builtins.list[sa.ColumnElement[bool]] = [t.articles.c.status.in_(builtins.list(statuses))]
        if catalogue_item_id:
            where.append(t.articles.c.catalogue_item_ids.any(catalogue_item_id))
        if problem_id:
            where.append(t.articles.c.problem_id == _uuid(problem_id))
        total = self.conn.execute(sa.select(sa.func.count()).select_from(t.articles).where(*where)).scalar_one()
        rows = self.conn.execute(sa.select(*[c for c in t.articles.c if c.name != "search"]).where(*where)
                                 .order_by(t.articles.c.updated_at.desc(), t.articles.c.id)
                                 .offset(offset).limit(limit))
        return [_article(r) for r in rows], total

    def search(self, query: str, *, catalogue_item_id: str | None = None, statuses=("published",),
               limit: int = 10) -> builtins.list[Article]:
        lexemes = _lexemes(query)
        if not lexemes:
            return []
        tsq = " | ".join(f"'{x}'" for x in lexemes)
        boost = sa.case((t.articles.c.catalogue_item_ids.any(catalogue_item_id), 0.2), else_=0.0) \
            if catalogue_item_id else sa.literal(0.0)
        score = (sa.func.ts_rank(t.articles.c.search, sa.func.to_tsquery("simple", tsq)) + boost).label("score")
        q = (sa.select(*[c for c in t.articles.c if c.name != "search"], score)
             .where(t.articles.c.search.op("@@")(sa.func.to_tsquery("simple", tsq)),
                    t.articles.c.status.in_(list(statuses)))
             .order_by(sa.desc("score"), t.articles.c.updated_at.desc()).limit(limit))
        out = []
        for row in self.conn.execute(q):
            a = _article(row)
            a.score = float(row.score)
            out.append(a)
        return out


def _article(row) -> Article:
    m = row._mapping
    return Article(id=str(m["id"]), title=m["title"], body=m["body"], status=m["status"], version=m["version"],
                   catalogue_item_ids=list(m["catalogue_item_ids"] or []),
                   problem_id=str(m["problem_id"]) if m["problem_id"] else None, author=m["author"],
                   created_at=m["created_at"], updated_at=m["updated_at"])


class AlertRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, fingerprint: str) -> AlertRecord | None:
        """The fingerprint's row, locked; a transaction-scoped advisory lock first, so two
        deliveries of a brand-new fingerprint cannot both open an incident."""
        self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:fp, 0))"), {"fp": fingerprint})
        row = self.conn.execute(sa.select(t.alerts).where(t.alerts.c.fingerprint == fingerprint)
                                .with_for_update()).first()
        if row is None:
            return None
        m = row._mapping
        return AlertRecord(fingerprint=m["fingerprint"], alertname=m["alertname"], status=m["status"],
                           repeat_count=m["repeat_count"], labels=m["labels"] or {}, first_at=m["first_at"],
                           last_at=m["last_at"], incident_id=str(m["incident_id"]) if m["incident_id"] else None)

    def upsert(self, a: AlertRecord) -> None:
        values = {"fingerprint": a.fingerprint, "alertname": a.alertname, "status": a.status,
                  "repeat_count": a.repeat_count, "labels": a.labels, "first_at": a.first_at, "last_at": a.last_at,
                  "incident_id": uuid.UUID(a.incident_id) if a.incident_id else None}
        stmt = pg_insert(t.alerts).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["fingerprint"], set_={k: stmt.excluded[k] for k in values if k != "fingerprint"}))


class SavedViewRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def list(self, owner: str, *, for_update: bool = False) -> builtins.list[SavedView]:
        q = sa.select(t.saved_views).where(t.saved_views.c.owner == owner)
        rows = self.conn.execute(q.with_for_update() if for_update else q).mappings()
        return [SavedView(owner=m["owner"], name=m["name"], view=m["view"], filter=m["filter"] or {},
                          updated_at=m["updated_at"]) for m in rows]

    def upsert(self, view: SavedView) -> None:
        values = {"owner": view.owner, "name": view.name, "view": view.view, "filter": view.filter,
                  "updated_at": view.updated_at}
        stmt = pg_insert(t.saved_views).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["owner", "name"], set_={k: stmt.excluded[k] for k in ("view", "filter", "updated_at")}))

    def delete(self, owner: str, name: str) -> bool:
        gone = self.conn.execute(sa.delete(t.saved_views).where(t.saved_views.c.owner == owner,
                                                                t.saved_views.c.name == name))
        return bool(gone.rowcount)
