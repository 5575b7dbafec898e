"""The service-request window: comments, supplying information, confirming and rating the
resolution, reopening, attachments and watchers."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from govkit.auth import Principal
from govkit.errors import FailedPrecondition, NotFound, PermissionDenied, Validator
from govkit.events import utcnow

from ..domain import events as ev
from ..domain.commands import (
    AddAttachment,
    AddComment,
    ConfirmResolution,
    GetAttachment,
    RateTicket,
    ReopenTicket,
    SupplyInfo,
    WatchTicket,
)
from ..domain.model import COMMENT_MAX, Status, Ticket
from ..domain.ports import TicketUow
from ._common import calendar, load, record, require_requester, require_requester_or_staff

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_CONTENT_TYPES = ("image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", "text/csv",
                         "application/zip", "application/msword", "application/vnd.ms-excel",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/json")


def add_comment(cmd: AddComment, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    v = Validator()
    body = v.text("body", cmd.body, max_len=COMMENT_MAX)
    if cmd.visibility not in ("public", "internal"):
        v.fail("visibility", "must be public or internal")
    v.check()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        if cmd.visibility == "internal" and not caller.has("ticket.work"):
            raise PermissionDenied("internal comments are for staff with ticket.work")
        if cmd.visibility == "public":
            require_requester_or_staff(t, caller)
        comment_id = uow.comments.add(t.id, caller.subject, body, cmd.visibility, now)
        t.updated_at = now
        uow.tickets.save(t, caller.subject, f"comment_{cmd.visibility}")
        uow.collect(ev.CommentAdded(**t.common(now), comment_id=comment_id, author=caller.subject,
                                    author_staff_id=caller.staff_id or None, visibility=cmd.visibility,
                                    body=body))
        uow.commit()
        return comment_id


def supply_info(cmd: SupplyInfo, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """The requester answers a 'pending: requester' ticket: comment, and the clock runs again."""
    now = now or utcnow()
    v = Validator()
    body = v.text("body", cmd.body, max_len=COMMENT_MAX)
    v.check()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_requester(t, caller)
        if t.status != Status.PENDING or t.pending_reason != "requester":
            raise FailedPrecondition(f"{t.number} is not waiting for the requester (status {t.status.value})")
        uow.comments.add(t.id, caller.subject, body, "public", now)
        events = t.act("resume", now, calendar(uow, t))
        record(uow, t, caller.subject, "supply_info", now, events)
        return t


def confirm_resolution(cmd: ConfirmResolution, uow: TicketUow, caller: Principal, *,
                       now: datetime | None = None) -> Ticket:
    """The requester confirms the resolution (closing it) and may rate it 1–5 at once (0 = no rating)."""
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_requester(t, caller)
        events = t.close("requester", now, calendar(uow, t))
        if cmd.rating:
            events += t.rate(cmd.rating, cmd.comment, now)
        record(uow, t, caller.subject, "confirm", now, events)
        return t


def rate_ticket(cmd: RateTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        if t.requester != caller.subject:
            raise PermissionDenied(f"only the requester may rate {t.number}")
        events = t.rate(cmd.rating, cmd.comment, now)
        record(uow, t, caller.subject, "rate", now, events)
        return t


def reopen_ticket(cmd: ReopenTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_requester(t, caller)
        events = t.reopen(now, calendar(uow, t), uow.settings)
        if cmd.reason.strip():
            uow.comments.add(t.id, caller.subject, cmd.reason.strip()[:COMMENT_MAX], "public", now)
        record(uow, t, caller.subject, "reopen", now, events)
        return t


def add_attachment(cmd: AddAttachment, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> dict:
    """Up to 10 MB of a listed type; the bytes are stored with the ticket (PostgreSQL)."""
    now = now or utcnow()
    v = Validator()
    filename = v.text("filename", cmd.filename, max_len=255)
    if cmd.content_type not in ALLOWED_CONTENT_TYPES:
        v.fail("content_type", f"is not an allowed type ({', '.join(ALLOWED_CONTENT_TYPES[:6])}, …)")
    if not cmd.data:
        v.fail("data", "must not be empty")
    elif len(cmd.data) > MAX_ATTACHMENT_BYTES:
        v.fail("data", f"must be at most {MAX_ATTACHMENT_BYTES} bytes (got {len(cmd.data)})")
    v.check()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_requester_or_staff(t, caller)
        row = {"id": uuid.uuid4(), "ticket_id": uuid.UUID(t.id), "filename": filename,
               "content_type": cmd.content_type, "size": len(cmd.data), "sha256": hashlib.sha256(cmd.data).hexdigest(),
               "data": cmd.data, "uploaded_by": caller.subject, "created_at": now}
        uow.attachments.add(**row)
        t.updated_at = now
        uow.tickets.save(t, caller.subject, f"attach {filename}")
        uow.commit()
        return {k: x for k, x in row.items() if k != "data"}


def get_attachment(cmd: GetAttachment, uow: TicketUow, caller: Principal) -> dict:
    with uow:
        a = uow.attachments.get(cmd.attachment_id)
        if a is None or uow.tickets.get(str(a["ticket_id"])) is None:
            raise NotFound(f"attachment {cmd.attachment_id} not found")
        return a


def watch_ticket(cmd: WatchTicket, uow: TicketUow, caller: Principal) -> list[str]:
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        who = cmd.subject or caller.subject
        if who != caller.subject and not caller.has("ticket.assign"):
            raise PermissionDenied("only leads (ticket.assign) add other people as watchers")
        uow.relations.watch(t.id, who, cmd.on)
        uow.commit()
        return uow.relations.watchers(t.id)
