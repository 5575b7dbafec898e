"""notify's repository and unit of work (SQLAlchemy Core on PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from govkit.orgdir import OrgDirectory
from govkit.uow import SqlUnitOfWork

from ..domain.model import Message, Preferences, Status
from . import tables as t


def message_json(m: Message) -> dict:
    return {"channel": m.channel, "address": m.address, "subject": m.subject, "text": m.text, "html": m.html,
            "link": m.link, "params": m.params}


def message_of(row: dict) -> Message:
    d = row["message"]
    return Message(d["channel"], d.get("address", ""), d.get("subject", ""), d.get("text", ""), d.get("html", ""),
                   d.get("link", ""), d.get("params") or {})


class NotifyStore:
    def __init__(self, conn):
        self.conn = conn

    # -- contacts and preferences --------------------------------------------------------------
    def save_contact(self, staff_id: str, email: str, phone: str) -> None:
        stmt = pg_insert(t.contacts).values(staff_id=staff_id, email=email or "", phone=phone or "")
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["staff_id"],
                                                     set_={"email": stmt.excluded.email, "phone": stmt.excluded.phone}))

    def save_user_contact(self, username: str, email: str, phone: str) -> None:
        stmt = pg_insert(t.user_contacts).values(username=username, email=email or "", phone=phone or "")
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["username"],
                                                     set_={"email": stmt.excluded.email, "phone": stmt.excluded.phone}))

    def contact(self, recipient: str) -> dict:
        """The addresses of a staff member (by staff id), else of a login user (by username: a
        requester without a staff record)."""
        row = self.conn.execute(sa.select(t.contacts).where(t.contacts.c.staff_id == recipient)).mappings().first()
        if row is not None:
            return dict(row)
        user = self.conn.execute(sa.select(t.user_contacts).where(
            t.user_contacts.c.username == recipient)).mappings().first()
        return {"staff_id": recipient, "email": user["email"] if user else "", "phone": user["phone"] if user else ""}

    def preferences(self, staff_id: str) -> Preferences:
        row = self.conn.execute(sa.select(t.preferences).where(t.preferences.c.staff_id == staff_id)).mappings().first()
        if row is None:
            return Preferences(staff_id)
        return Preferences(staff_id, {k: tuple(v) for k, v in (row["channels"] or {}).items()},
                           row["quiet_start"], row["quiet_end"])

    def save_preferences(self, p: Preferences) -> None:
        values = {"staff_id": p.staff_id, "channels": {k: list(v) for k, v in p.channels.items()},
                  "quiet_start": p.quiet_start, "quiet_end": p.quiet_end}
        stmt = pg_insert(t.preferences).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["staff_id"], set_={k: stmt.excluded[k] for k in values if k != "staff_id"}))

    # -- administrators' templates -----------------------------------------------------------------
    def current_templates(self) -> dict[tuple[str, str], dict]:
        """(kind, channel) → the newest version, for those whose newest version is not a reset."""
        tp = t.templates
        newest = sa.select(tp.c.kind, tp.c.channel, sa.func.max(tp.c.version).label("version")).group_by(
            tp.c.kind, tp.c.channel).subquery()
        rows = self.conn.execute(sa.select(tp).join(newest, sa.and_(
            tp.c.kind == newest.c.kind, tp.c.channel == newest.c.channel, tp.c.version == newest.c.version))
            .where(tp.c.active.is_(True))).mappings()
        return {(r["kind"], r["channel"]): dict(r) for r in rows}

    def template_versions(self, kind: str, channel: str) -> list[dict]:
        tp = t.templates
        rows = self.conn.execute(sa.select(tp).where(tp.c.kind == kind, tp.c.channel == channel).order_by(
            tp.c.version.desc())).mappings()
        return [dict(r) for r in rows]

    def save_template(self, *, kind: str, channel: str, subject: str, text: str, active: bool, by: str,
                      now: datetime) -> int:
        tp = t.templates
        # serialise saves of one template: two administrators saving at once get consecutive versions
        self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"template:{kind}:{channel}"})
        version = self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(tp.c.version), 0) + 1).where(
            tp.c.kind == kind, tp.c.channel == channel)).scalar_one()
        self.conn.execute(tp.insert().values(kind=kind, channel=channel, version=version, subject=subject, text=text,
                                             active=active, updated_by=by, updated_at=now))
        return version

    # -- the notification centre -----------------------------------------------------------------
    def add_notification(self, *, recipient: str, event_id: str, kind: str, subject_key: str, title: str,
                         body: str, link: str, now: datetime) -> bool:
        stmt = pg_insert(t.notifications).values(
            id=uuid.uuid4(), recipient=recipient, event_id=event_id, kind=kind, subject_key=subject_key,
            title=title, body=body, link=link, created_at=now).on_conflict_do_nothing()
        return self.conn.execute(stmt).rowcount == 1

    def notifications(self, recipients: list[str], *, unread_only: bool, offset: int, limit: int
                      ) -> tuple[list[dict], int]:
        where = [t.notifications.c.recipient.in_(recipients)]
        if unread_only:
            where.append(t.notifications.c.read_at.is_(None))
        total = self.conn.execute(sa.select(sa.func.count()).select_from(t.notifications).where(*where)).scalar_one()
        rows = self.conn.execute(sa.select(t.notifications).where(*where).order_by(
            t.notifications.c.created_at.desc(), t.notifications.c.id).offset(offset).limit(limit)).mappings()
        return [dict(r) for r in rows], total

    def mark_read(self, recipients: list[str], ids: list[str], now: datetime) -> int:
        q = t.notifications.update().where(t.notifications.c.recipient.in_(recipients),
                                           t.notifications.c.read_at.is_(None))
        if ids:
            q = q.where(t.notifications.c.id.in_([uuid.UUID(i) for i in ids]))
        return self.conn.execute(q.values(read_at=now)).rowcount

    # -- deliveries --------------------------------------------------------------------------------
    def open_window(self, key: str, delivery_id: uuid.UUID, now: datetime, window: timedelta) -> bool:
        """True: `key` had no open de-duplication window, and now has one (this delivery's);
        False: a message for it went out within the window — the repeat is folded into that one."""
        stmt = pg_insert(t.dedupe).values(key=key, window_start=now, delivery_id=delivery_id)
        upsert = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"window_start": stmt.excluded.window_start,
                                          "delivery_id": stmt.excluded.delivery_id},
            where=t.dedupe.c.window_start <= now - window).returning(t.dedupe.c.delivery_id)
        if self.conn.execute(upsert).first() is not None:
            return True
        self.conn.execute(t.deliveries.update().where(
            t.deliveries.c.id == sa.select(t.dedupe.c.delivery_id).where(t.dedupe.c.key == key).scalar_subquery()
        ).values(repeats=t.deliveries.c.repeats + 1))
        return False

    def add_delivery(self, *, delivery_id: uuid.UUID, event_id: str, kind: str, subject_key: str, recipient: str,
                     message: Message, now: datetime, due: datetime, template_error: str = "",
                     status: Status = Status.PENDING) -> None:
        self.conn.execute(t.deliveries.insert().values(
            id=delivery_id, event_id=event_id, kind=kind, subject_key=subject_key, recipient=recipient,
            channel=message.channel, address=message.address, status=status.value, attempts=0,
            next_attempt_at=due, message=message_json(message), template_error=template_error,
            created_at=now, updated_at=now))

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[dict]:
        """Up to `limit` deliveries due now (or whose sender's lease ran out), marked `sending`
        with one more attempt; rows other senders hold are skipped (SKIP LOCKED)."""
        d = t.deliveries
        due = sa.select(d.c.id).where(sa.or_(
            sa.and_(d.c.status == Status.PENDING.value, d.c.next_attempt_at <= now),
            sa.and_(d.c.status == Status.SENDING.value, d.c.claimed_until < now))).order_by(
            d.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
        rows = self.conn.execute(d.update().where(d.c.id.in_(due.scalar_subquery())).values(
            status=Status.SENDING.value, attempts=d.c.attempts + 1, claimed_until=now + lease, updated_at=now
        ).returning(*d.c)).mappings()
        return [dict(r) for r in rows]

    def finish(self, delivery_id, *, status: Status, now: datetime, next_attempt_at: datetime | None = None,
               provider_message_id: str = "", error: str = "", count_attempt: bool = True) -> None:
        d = t.deliveries
        values: dict[str, Any] = {"status": status.value, "updated_at": now, "claimed_until": None,
                                  "next_attempt_at": next_attempt_at, "last_error": error[:2000]}
        if status is Status.SENT:
            values.update(sent_at=now, provider_message_id=provider_message_id)
        if not count_attempt:  # postponed by a rate limit: not an attempt
            values["attempts"] = d.c.attempts - 1
        self.conn.execute(d.update().where(d.c.id == delivery_id).values(**values))

    def get_delivery(self, delivery_id: str) -> dict | None:
        q = sa.select(t.deliveries).where(t.deliveries.c.id == uuid.UUID(delivery_id))
        row = self.conn.execute(q).mappings().first()
        return dict(row) if row else None

    def _filters(self, f: dict) -> list:
        d, where = t.deliveries, []
        for key in ("status", "channel", "recipient", "kind", "event_id"):
            if f.get(key):
                where.append(d.c[key] == f[key])
        if f.get("subject_key"):
            where.append(d.c.subject_key == f["subject_key"])
        if f.get("since"):
            where.append(d.c.created_at >= f["since"])
        if f.get("until"):
            where.append(d.c.created_at < f["until"])
        return where

    def deliveries(self, f: dict, *, offset: int, limit: int) -> tuple[list[dict], int]:
        where = self._filters(f)
        total = self.conn.execute(sa.select(sa.func.count()).select_from(t.deliveries).where(*where)).scalar_one()
        rows = self.conn.execute(sa.select(t.deliveries).where(*where).order_by(
            t.deliveries.c.created_at.desc(), t.deliveries.c.id).offset(offset).limit(limit)).mappings()
        return [dict(r) for r in rows], total

    def replay(self, ids: list[str], f: dict, now: datetime) -> int:
        """Dead deliveries (those ids, or all matching the filters) back to pending, attempts reset."""
        d = t.deliveries
        q = d.update().where(d.c.status == Status.DEAD.value, *self._filters({**f, "status": None}))
        if ids:
            q = q.where(d.c.id.in_([uuid.UUID(i) for i in ids]))
        return self.conn.execute(q.values(status=Status.PENDING.value, attempts=0, next_attempt_at=now,
                                          claimed_until=None, updated_at=now)).rowcount


class NotifyUnitOfWork(SqlUnitOfWork):
    def bind(self, conn) -> None:
        self.store = NotifyStore(conn)
        self.orgdir = OrgDirectory(conn)
