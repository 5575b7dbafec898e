"""Ticket use cases: one function each, `handle(command, uow, caller) -> result`.

Both windows call these: the service-request window (submit, my tickets, comment, supply info,
confirm, rate, reopen) and the operations window (queues, claim, assign, transfer, escalate,
resolve, bulk), plus change approval, problems, the knowledge base, alert intake and the SLA
deadline scheduler. gRPC (grpc_api.py) and nameko (worker.py) are thin shells around them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from govkit.auth import Principal
from govkit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Validator
from govkit.events import utcnow

from .domain import events as ev
from .domain.calendar import BusinessCalendar
from .domain.catalogue import CatalogueItem, form_violations
from .domain.commands import CreateTicket, GetTicket
from .domain.knowledge import Article
from .domain.model import COMMENT_MAX, OUTCOMES, Status, Ticket
from .domain.sla import SlaPolicy

DEFAULT_POLICY = "standard"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_CONTENT_TYPES = ("image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", "text/csv",
                         "application/zip", "application/msword", "application/vnd.ms-excel",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/json")
MAX_PAGE_SIZE = 200


def number_year(now: datetime) -> int:
    """The year in ticket numbers is Beijing time's (INC-2027-… from 1 January 00:00 CST)."""
    from .domain.calendar import CN_2026

    return now.astimezone(CN_2026.tz).year


def staff_id(caller: Principal) -> str:
    """The caller's staff id (org puts `staff_id` in staff tokens); the subject otherwise."""
    return str(caller.claims.get("staff_id") or caller.subject)


# -- helpers ------------------------------------------------------------------------------------

def _load(uow, ticket_id: str, caller: Principal) -> Ticket:
    """A ticket to act on, locked; PERMISSION_DENIED if it is another department's."""
    t = uow.tickets.get(ticket_id, for_update=True)
    if t is None or not caller.scope.allows(t.department):
        if uow.tickets.exists(ticket_id):
            raise PermissionDenied(f"ticket {ticket_id} belongs to a department outside your scope")
        raise NotFound(f"ticket {ticket_id} not found")
    return t


def _read(uow, ticket_id: str, caller: Principal) -> Ticket:
    t = uow.tickets.get(ticket_id)
    # outside the caller's scope reads the same as missing: no existence leak
    if t is None or not caller.scope.allows(t.department):
        raise NotFound(f"ticket {ticket_id} not found")
    return t


def _cal(uow, t: Ticket) -> BusinessCalendar | None:
    return uow.sla.calendar(t.sla.calendar_id) if t.sla else None


def _persist(uow, t: Ticket, actor: str, action: str, now: datetime) -> None:
    cal = _cal(uow, t)
    if cal is not None:
        t.refresh_due(cal)
    t.updated_at = now
    uow.deadlines.replace(t.id, t.deadlines(cal, uow.settings), now)
    uow.tickets.save(t, actor, action)


def _policy(uow, item: CatalogueItem | None, department: str) -> SlaPolicy:
    """Department override first, then the catalogue item's policy, then the default."""
    for pid in (uow.sla.department_policy(department), item.sla_policy_id if item else None, DEFAULT_POLICY):
        p = uow.sla.policy(pid)
        if p is not None:
            return p
    raise FailedPrecondition("no SLA policy configured")


def _require_staff_on(t: Ticket, caller: Principal) -> None:
    """`ticket.work` acts on tickets assigned to the caller; `ticket.assign` (leads) on any."""
    if caller.has("ticket.assign"):
        return
    if t.assignee != staff_id(caller):
        raise PermissionDenied(f"{t.number} is assigned to {t.assignee or 'nobody'}, not to you")


def _require_requester(t: Ticket, caller: Principal) -> None:
    if t.requester != caller.subject and not caller.has("ticket.work"):
        raise PermissionDenied(f"only the requester of {t.number} may do this")


def _auto_assign(uow, t: Ticket, now: datetime) -> list:
    """Routing: the on-duty member of the item's group with the least open load, else the queue."""
    if not t.group_id or t.ticket_type not in ("request", "incident"):
        return []
    on_duty = uow.orgdir.on_duty(t.group_id, now)
    if not on_duty:
        return []
    load = uow.tickets.open_load(on_duty)
    chosen = min(on_duty, key=lambda s: (load.get(s, 0), s))
    member = uow.orgdir.staff_member(chosen) or {}
    return t.assign(chosen, by="system", method="auto", now=now, cal=_cal(uow, t), vendor_id=member.get("vendor_id"))


def _check_page(page_size: int) -> int:
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InvalidArgument(field="page_size", reason=f"must be between 0 and {MAX_PAGE_SIZE}")
    return page_size or 50


# -- creating and reading -----------------------------------------------------------------------

@dataclass(frozen=True)
class Created:
    ticket: Ticket
    replayed: bool
    suggestions: list = field(default_factory=list)


def create_ticket(cmd: CreateTicket, uow, caller: Principal, *, now: datetime | None = None) -> Created:
    """Open a ticket — from the catalogue (submit) or directly (API, alerts) — route it, start its SLA."""
    now = now or utcnow()
    with uow:
        item = None
        if cmd.catalogue_item_id:
            item = uow.catalogue.get(cmd.catalogue_item_id)
            if item is None or item.kind != "item" or not item.active:
                raise NotFound(f"catalogue item {cmd.catalogue_item_id} not found")
        violations = form_violations(item.form_schema, dict(cmd.form or {})) if item else []
        ticket_type = cmd.ticket_type or (item.ticket_type if item else "incident")
        department = (cmd.department or "").strip()
        if department and not caller.scope.allows(department):
            raise PermissionDenied(f"department {department} is outside your scope")
        key = (cmd.idempotency_key or "").strip()
        if key:
            earlier = uow.tickets.by_idempotency_key(caller.subject, key)
            if earlier is not None:
                return Created(earlier, replayed=True)
        policy = _policy(uow, item, department) if ticket_type in ("request", "incident") else None
        cal = uow.sla.calendar(policy.calendar_id) if policy else None
        ticket, _ = Ticket.open(cmd, requester=caller.subject, now=now, policy=policy, calendar=cal,
                                item=item, form_violations=violations)
        ticket.number = uow.tickets.next_number(ticket.ticket_type, number_year(now))
        routed = _auto_assign(uow, ticket, now)
        # The created event (and the audit's first entry) carry the state after routing.
        events = [ticket.created_event(now), *routed]
        if not uow.tickets.add(ticket, caller.subject):
            # A concurrent retry with the same key won the race: return its ticket.
            uow.rollback()
            return Created(uow.tickets.by_idempotency_key(caller.subject, ticket.idempotency_key), True)
        uow.deadlines.replace(ticket.id, ticket.deadlines(cal, uow.settings), now, new=True)
        uow.collect(*events)
        uow.commit()
        suggestions = uow.articles.search(f"{ticket.title} {ticket.description}",
                                          catalogue_item_id=ticket.catalogue_item_id, limit=3) \
            if ticket.channel == "request_window" else []
    return Created(ticket, replayed=False, suggestions=suggestions)


def get_ticket(cmd: GetTicket, uow, caller: Principal) -> Ticket:
    with uow:
        return _read(uow, cmd.ticket_id, caller)


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    comments: list
    attachments: list
    watchers: list
    links: list
    allowed_actions: list


def ticket_detail(ticket_id: str, uow, caller: Principal) -> TicketDetail:
    from .domain.lifecycle import allowed_actions

    with uow:
        t = _read(uow, ticket_id, caller)
        return TicketDetail(t, uow.comments.list(t.id, include_internal=caller.has("ticket.work")),
                            uow.attachments.list(t.id), uow.relations.watchers(t.id), uow.relations.links(t.id),
                            allowed_actions(t.ticket_type, t.status.value))


@dataclass(frozen=True)
class ListTickets:
    view: str = "all"  # mine | my_queue | group_queue | all
    filters: dict = field(default_factory=dict)
    page_size: int = 50
    page_token: str = ""
    sort: str = "created_desc"  # created_desc | sla_due


def list_tickets(cmd: ListTickets, uow, caller: Principal) -> tuple[list[Ticket], str]:
    f = dict(cmd.filters)
    if cmd.view == "mine":
        f["requester"] = caller.subject
    elif cmd.view == "my_queue":
        f["assignee"] = [staff_id(caller)]
        f.setdefault("open_only", True)
    elif cmd.view == "group_queue":
        if not f.get("group_id"):
            raise InvalidArgument(field="filter.group_id", reason="is required for the group queue")
        f.setdefault("open_only", True)
    elif cmd.view != "all":
        raise InvalidArgument(field="view", reason="must be mine, my_queue, group_queue or all")
    if (
        cmd.view in ("my_queue", "group_queue", "all")
        and not caller.has("ticket.work")
        and not caller.has("ticket.assign")
    ):
        if cmd.view != "all":
            raise PermissionDenied("queues are for staff with ticket.work")
    if cmd.sort not in ("created_desc", "sla_due"):
        raise InvalidArgument(field="sort", reason="must be created_desc or sla_due")
    size = _check_page(cmd.page_size)
    with uow:
        return uow.tickets.list(f, page_size=size, page_token=cmd.page_token, sort=cmd.sort)


# -- the operations window ------------------------------------------------------------------

def assign_ticket(ticket_id: str, assignee: str, method: str, uow, caller: Principal, *,
                  group_id: str | None = None, now: datetime | None = None) -> Ticket:
    """claim (to oneself), manual assignment, or transfer (to another group and/or person)."""
    now = now or utcnow()
    actor = staff_id(caller)
    with uow:
        t = _load(uow, ticket_id, caller)
        if method == "claim":
            assignee = actor
            if t.assignee is not None:
                raise FailedPrecondition(f"{t.number} is already assigned to {t.assignee}; ask for a transfer")
        if group_id and uow.orgdir.group(group_id) is None:
            raise NotFound(f"support group {group_id} not found")
        if not assignee:
            if method != "transfer" or not group_id:
                raise InvalidArgument(field="assignee", reason="must not be empty")
            events = t.act("requeue", now, _cal(uow, t)) if t.status != Status.NEW else []
            t.assignee, t.group_id, t.transferred = None, group_id, True
            events = [ev.TicketStatusChanged(**{**e.__dict__, **t.common(now)}) for e in events]
        else:
            member = uow.orgdir.staff_member(assignee)
            if member is None or not member.get("active", True):
                raise NotFound(f"staff member {assignee} not found")
            events = t.assign(assignee, by=actor, method=method, now=now, cal=_cal(uow, t),
                              vendor_id=member.get("vendor_id"), group_id=group_id)
        _persist(uow, t, actor, method, now)
        uow.collect(*events)
        uow.commit()
        return t


def change_status(ticket_id: str, action: str, uow, caller: Principal, *, pending_reason: str | None = None,
                  now: datetime | None = None) -> Ticket:
    """start, pend (requester|vendor|change), resume, cancel — staff actions on their tickets."""
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_staff_on(t, caller)
        events = t.act(action, now, _cal(uow, t), pending_reason=pending_reason, settings=uow.settings)
        _persist(uow, t, staff_id(caller), action, now)
        uow.collect(*events)
        uow.commit()
        return t


def resolve_ticket(ticket_id: str, code: str, text: str, uow, caller: Principal, *,
                   now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_staff_on(t, caller)
        events = t.resolve(code, text, now, _cal(uow, t))
        _persist(uow, t, staff_id(caller), "resolve", now)
        uow.collect(*events)
        uow.commit()
        return t


def close_ticket(ticket_id: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """Staff closes a resolved ticket (the requester confirms with confirm_resolution)."""
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_staff_on(t, caller)
        events = t.close("staff", now, _cal(uow, t))
        _persist(uow, t, staff_id(caller), "close", now)
        uow.collect(*events)
        uow.commit()
        return t


def escalate_ticket(ticket_id: str, reason_text: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """Manual escalation one level up the position chain (reassigns to that position's holder)."""
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        if not t.is_open:
            raise FailedPrecondition(f"cannot escalate a {t.ticket_type} in status {t.status.value}")
        level = t.escalation_level + 1
        events = _escalate(uow, t, {"level": level, "action": "reassign", "step": level}, "manual",
                           staff_id(caller), now)
        _persist(uow, t, staff_id(caller), "escalate", now)
        uow.collect(*events)
        uow.commit()
        return t


def _escalate(uow, t: Ticket, cfg: dict, reason: str, actor: str, now: datetime) -> list:
    level, step = int(cfg["level"]), int(cfg.get("step", cfg["level"]))
    chain = uow.orgdir.escalation_chain(t.position_id) if t.position_id else []
    from_position = t.details.get("escalated_position_id") or t.position_id
    to_position = chain[min(step, len(chain)) - 1] if chain else None
    holders = uow.orgdir.holders(to_position, now.date()) if to_position else []
    to_staff = None
    if holders:
        load = uow.tickets.open_load(holders)
        to_staff = min(holders, key=lambda s: (load.get(s, 0), s))
    events = []
    t.escalation_level = level
    if to_position:
        t.details["escalated_position_id"] = to_position
    if cfg.get("action") == "reassign" and to_staff and to_staff != t.assignee:
        member = uow.orgdir.staff_member(to_staff) or {}
        events += t.assign(to_staff, by=actor, method="escalation", now=now, cal=_cal(uow, t),
                           vendor_id=member.get("vendor_id"))
    events.append(ev.TicketEscalated(**t.common(now), level=level, from_position_id=from_position,
                                     to_position_id=to_position, to_staff_id=to_staff, reason=reason))
    return events


@dataclass(frozen=True)
class BulkResult:
    ticket_id: str
    ok: bool
    code: str = ""
    message: str = ""


def bulk_action(ticket_ids: list[str], action: str, args: dict, uow_factory, caller: Principal) -> list[BulkResult]:
    """Apply one action to many tickets; each succeeds or fails on its own (own transaction)."""
    from govkit.errors import DomainError

    if not ticket_ids or len(ticket_ids) > 100:
        raise InvalidArgument(field="ticket_ids", reason="must list between 1 and 100 tickets")
    ops = {
        "assign": lambda i, u: assign_ticket(i, args.get("assignee", ""), "manual", u, caller),
        "transfer": lambda i, u: assign_ticket(
            i, args.get("assignee", ""), "transfer", u, caller, group_id=args.get("group_id") or None
        ),
        "resolve": lambda i, u: resolve_ticket(
            i, args.get("resolution_code", ""), args.get("resolution", ""), u, caller
        ),
        "close": lambda i, u: close_ticket(i, u, caller),
        "start": lambda i, u: change_status(i, "start", u, caller),
    }
    if action not in ops:
        raise InvalidArgument(field="action", reason=f"must be one of {', '.join(ops)}")
    out = []
    for ticket_id in ticket_ids:
        try:
            ops[action](ticket_id, uow_factory())
            out.append(BulkResult(ticket_id, True))
        except DomainError as exc:
            out.append(BulkResult(ticket_id, False, type(exc).__name__, exc.message))
    return out


# -- the service-request window ---------------------------------------------------------------

def add_comment(ticket_id: str, body: str, visibility: str, uow, caller: Principal, *,
                now: datetime | None = None) -> int:
    now = now or utcnow()
    v = Validator()
    body = v.text("body", body, max_len=COMMENT_MAX)
    if visibility not in ("public", "internal"):
        v.fail("visibility", "must be public or internal")
    v.check()
    with uow:
        t = _load(uow, ticket_id, caller)
        if visibility == "internal" and not caller.has("ticket.work"):
            raise PermissionDenied("internal comments are for staff with ticket.work")
        if visibility == "public":
            _require_requester_or_staff(t, caller)
        comment_id = uow.comments.add(t.id, caller.subject, body, visibility, now)
        t.updated_at = now
        uow.tickets.save(t, caller.subject, f"comment_{visibility}")
        uow.commit()
        return comment_id


def _require_requester_or_staff(t: Ticket, caller: Principal) -> None:
    if t.requester != caller.subject and not caller.has("ticket.work") and not caller.has("ticket.assign"):
        raise PermissionDenied(f"only the requester or staff may comment on {t.number}")


def supply_info(ticket_id: str, body: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """The requester answers a 'pending: requester' ticket: comment, and the clock runs again."""
    now = now or utcnow()
    v = Validator()
    body = v.text("body", body, max_len=COMMENT_MAX)
    v.check()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_requester(t, caller)
        if t.status != Status.PENDING or t.pending_reason != "requester":
            raise FailedPrecondition(f"{t.number} is not waiting for the requester (status {t.status.value})")
        uow.comments.add(t.id, caller.subject, body, "public", now)
        events = t.act("resume", now, _cal(uow, t))
        _persist(uow, t, caller.subject, "supply_info", now)
        uow.collect(*events)
        uow.commit()
        return t


def confirm_resolution(ticket_id: str, rating: int, comment: str, uow, caller: Principal, *,
                       now: datetime | None = None) -> Ticket:
    """The requester confirms the resolution (closing it) and may rate it 1–5 at once (0 = no rating)."""
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_requester(t, caller)
        events = t.close("requester", now, _cal(uow, t))
        if rating:
            events += t.rate(rating, comment, now)
        _persist(uow, t, caller.subject, "confirm", now)
        uow.collect(*events)
        uow.commit()
        return t


def rate_ticket(ticket_id: str, rating: int, comment: str, uow, caller: Principal, *,
                now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        if t.requester != caller.subject:
            raise PermissionDenied(f"only the requester may rate {t.number}")
        events = t.rate(rating, comment, now)
        _persist(uow, t, caller.subject, "rate", now)
        uow.collect(*events)
        uow.commit()
        return t


def reopen_ticket(ticket_id: str, reason: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_requester(t, caller)
        events = t.reopen(now, _cal(uow, t), uow.settings)
        if reason.strip():
            uow.comments.add(t.id, caller.subject, reason.strip()[:COMMENT_MAX], "public", now)
        _persist(uow, t, caller.subject, "reopen", now)
        uow.collect(*events)
        uow.commit()
        return t


def add_attachment(ticket_id: str, filename: str, content_type: str, data: bytes, uow, caller: Principal, *,
                   now: datetime | None = None) -> dict:
    now = now or utcnow()
    v = Validator()
    filename = v.text("filename", filename, max_len=255)
    if content_type not in ALLOWED_CONTENT_TYPES:
        v.fail("content_type", f"is not an allowed type ({', '.join(ALLOWED_CONTENT_TYPES[:6])}, …)")
    if not data:
        v.fail("data", "must not be empty")
    elif len(data) > MAX_ATTACHMENT_BYTES:
        v.fail("data", f"must be at most {MAX_ATTACHMENT_BYTES} bytes (got {len(data)})")
    v.check()
    with uow:
        t = _load(uow, ticket_id, caller)
        _require_requester_or_staff(t, caller)
        row = {"id": uuid.uuid4(), "ticket_id": uuid.UUID(t.id), "filename": filename, "content_type": content_type,
               "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "data": data,
               "uploaded_by": caller.subject, "created_at": now}
        uow.attachments.add(**row)
        t.updated_at = now
        uow.tickets.save(t, caller.subject, f"attach {filename}")
        uow.commit()
        return {k: v for k, v in row.items() if k != "data"}


def get_attachment(attachment_id: str, uow, caller: Principal) -> dict:
    with uow:
        a = uow.attachments.get(attachment_id)
        if a is None or uow.tickets.get(str(a["ticket_id"])) is None:
            raise NotFound(f"attachment {attachment_id} not found")
        return a


def watch_ticket(ticket_id: str, subject: str, on: bool, uow, caller: Principal) -> list[str]:
    with uow:
        t = _load(uow, ticket_id, caller)
        who = subject or caller.subject
        if who != caller.subject and not caller.has("ticket.assign"):
            raise PermissionDenied("only leads (ticket.assign) add other people as watchers")
        uow.relations.watch(t.id, who, on)
        uow.commit()
        return uow.relations.watchers(t.id)


LINK_KINDS = ("relates", "duplicates", "caused_by", "problem_incident", "change_for")


def link_tickets(from_id: str, to_id: str, kind: str, uow, caller: Principal, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if kind not in LINK_KINDS:
        raise InvalidArgument(field="kind", reason=f"must be one of {', '.join(LINK_KINDS)}")
    if kind == "problem_incident":
        raise InvalidArgument(field="kind", reason="use LinkIncident to link an incident to a problem")
    with uow:
        a, b = _load(uow, from_id, caller), _load(uow, to_id, caller)
        if a.id == b.id:
            raise InvalidArgument(field="to_id", reason="must differ from from_id")
        uow.relations.link(a.id, b.id, kind, caller.subject, now)
        uow.commit()


# -- changes ------------------------------------------------------------------------------------

def submit_change(ticket_id: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """RFC → awaiting approval by the positions holding the approval duty for changes (岗责)."""
    now = now or utcnow()
    with uow:
        t = _change(uow, ticket_id, caller)
        positions = uow.orgdir.positions_responsible_for("approval", "change")
        if not positions:
            raise FailedPrecondition("no position holds the approval duty for changes in the org directory")
        events = t.act("submit", now, None)
        t.details["approver_positions"] = positions
        t.details["approvals"] = []
        _persist(uow, t, staff_id(caller), "submit_change", now)
        uow.collect(*events)
        uow.commit()
        return t


def _change(uow, ticket_id: str, caller: Principal) -> Ticket:
    t = _load(uow, ticket_id, caller)
    if t.ticket_type != "change":
        raise FailedPrecondition(f"{t.number} is a {t.ticket_type}, not a change")
    return t


def decide_change(ticket_id: str, approve: bool, comment: str, uow, caller: Principal, *,
                  now: datetime | None = None) -> Ticket:
    """One approver's decision. Sequential: positions decide in order; all_of: any order, every
    position; an emergency change needs one approval. Any rejection rejects the change."""
    now = now or utcnow()
    approver = staff_id(caller)
    with uow:
        t = _change(uow, ticket_id, caller)
        if t.status != Status.AWAITING_APPROVAL:
            raise FailedPrecondition(f"cannot approve or reject a change in status {t.status.value}")
        d = t.details
        decided = {a["position_id"] for a in d.get("approvals", [])}
        waiting = [p for p in d.get("approver_positions", []) if p not in decided]
        mine = set(uow.orgdir.positions_of(approver, now.date()))
        eligible = waiting[:1] if d.get("approval_mode") == "sequential" else waiting
        position = next((p for p in eligible if p in mine), None)
        if position is None:
            raise PermissionDenied(f"{approver} holds none of the positions whose approval is awaited "
                                   f"({', '.join(eligible) or 'none'})")
        d.setdefault("approvals", []).append({"position_id": position, "approver": approver,
                                              "decision": "approved" if approve else "rejected",
                                              "comment": comment, "at": now.isoformat()})
        common = dict(approver=approver, position_id=position, risk=d.get("risk", "medium"),
                      emergency=bool(d.get("emergency")), comment=comment)
        if not approve:
            events = t.act("reject", now, None)
            events.append(ev.ChangeRejected(**t.common(now), **common))
        else:
            done = bool(d.get("emergency")) or len(waiting) == 1
            events = t.act("approve_final" if done else "approve", now, None)
            events.append(ev.ChangeApproved(**t.common(now), **common))
        _persist(uow, t, approver, "approve_change" if approve else "reject_change", now)
        uow.collect(*events)
        uow.commit()
        return t


def implement_change(ticket_id: str, outcome: str, notes: str, uow, caller: Principal, *,
                     now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    if outcome not in OUTCOMES:
        raise InvalidArgument(field="outcome", reason=f"must be one of {', '.join(OUTCOMES)}")
    with uow:
        t = _change(uow, ticket_id, caller)
        _require_staff_on(t, caller)
        events = t.act("implement", now, None)
        t.details.update(outcome=outcome, implementation_notes=notes)
        events.append(ev.ChangeImplemented(**t.common(now), outcome=outcome, emergency=bool(t.details.get("emergency")),
                                           risk=t.details.get("risk", "medium")))
        _persist(uow, t, staff_id(caller), "implement_change", now)
        uow.collect(*events)
        uow.commit()
        return t


def review_change(ticket_id: str, review: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = _change(uow, ticket_id, caller)
        events = t.act("review", now, None)
        t.details["review"] = review
        t.closed_by = "staff"
        events.append(ev.TicketClosed(**t.common(now), closed_by="staff", resolution_business_seconds=None,
                                      resolution_sla_met=True))
        _persist(uow, t, staff_id(caller), "review_change", now)
        uow.collect(*events)
        uow.commit()
        return t


def ticket_action(ticket_id: str, action: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """Lifecycle actions without extra data on changes and problems (start, revise, close, …)."""
    return change_status(ticket_id, action, uow, caller, now=now)


# -- problems -------------------------------------------------------------------------------

def link_incident(problem_id: str, incident_id: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        p = _load(uow, problem_id, caller)
        i = _load(uow, incident_id, caller)
        if p.ticket_type != "problem":
            raise FailedPrecondition(f"{p.number} is a {p.ticket_type}, not a problem")
        if i.ticket_type != "incident":
            raise FailedPrecondition(f"{i.number} is a {i.ticket_type}, not an incident")
        if not uow.relations.link(p.id, i.id, "problem_incident", caller.subject, now):
            raise FailedPrecondition(f"{i.number} is already linked to {p.number}")
        count = uow.relations.count(p.id, "problem_incident")
        p.details["linked_incident_count"] = count
        _persist(uow, p, staff_id(caller), f"link_incident {i.number}", now)
        uow.collect(ev.ProblemLinked(**p.common(now), problem_id=p.id, incident_id=i.id, linked_incident_count=count))
        uow.commit()
        return p


def update_problem(problem_id: str, root_cause: str | None, workaround: str | None, uow, caller: Principal, *,
                   known_error: bool = False, now: datetime | None = None) -> tuple[Ticket, Article | None]:
    """Record root cause and workaround; `known_error` moves it to known error and publishes a
    knowledge article from them (linked to the problem and its catalogue item)."""
    now = now or utcnow()
    with uow:
        p = _load(uow, problem_id, caller)
        if p.ticket_type != "problem":
            raise FailedPrecondition(f"{p.number} is a {p.ticket_type}, not a problem")
        if root_cause is not None:
            p.details["root_cause"] = root_cause.strip()
        if workaround is not None:
            p.details["workaround"] = workaround.strip()
        events, article = [], None
        if known_error:
            v = Validator()
            v.text("root_cause", p.details.get("root_cause", ""))
            v.text("workaround", p.details.get("workaround", ""))
            v.check()
            events = p.act("known_error", now, None)
            article = Article(
                id=str(uuid.uuid4()),
                title=f"已知错误：{p.title}",
                body=f"根本原因：{p.details['root_cause']}\n临时解决办法：{p.details['workaround']}",
                status="published",
                catalogue_item_ids=[p.catalogue_item_id] if p.catalogue_item_id else [],
                problem_id=p.id,
                author=staff_id(caller),
                created_at=now,
                updated_at=now,
            )
            uow.articles.add(article)
            p.details["kb_article_id"] = article.id
        _persist(uow, p, staff_id(caller), "update_problem", now)
        uow.collect(*events)
        uow.commit()
        return p, article


# -- knowledge base -------------------------------------------------------------------------

def create_article(title: str, body: str, catalogue_item_ids: list[str], problem_id: str | None, uow,
                   caller: Principal, *, now: datetime | None = None) -> Article:
    now = now or utcnow()
    title, body = Article.check(title, body)
    with uow:
        for item_id in catalogue_item_ids:
            if uow.catalogue.get(item_id) is None:
                raise NotFound(f"catalogue item {item_id} not found")
        if problem_id:
            _read(uow, problem_id, caller)
        a = Article(id=str(uuid.uuid4()), title=title, body=body, catalogue_item_ids=list(catalogue_item_ids),
                    problem_id=problem_id or None, author=caller.subject, created_at=now, updated_at=now)
        uow.articles.add(a)
        uow.commit()
        return a


def revise_article(article_id: str, title: str, body: str, action: str, uow, caller: Principal, *,
                   now: datetime | None = None) -> Article:
    """New version (title/body), and/or `publish` / `archive`."""
    now = now or utcnow()
    with uow:
        a = uow.articles.get(article_id, for_update=True)
        if a is None:
            raise NotFound(f"article {article_id} not found")
        new_version = bool(title or body)
        if new_version:
            a.revise(title or a.title, body or a.body, now)
            a.author = caller.subject
        if action:
            if action not in ("publish", "archive"):
                raise InvalidArgument(field="action", reason="must be publish or archive")
            a.act(action, now)
        uow.articles.save(a, new_version)
        uow.commit()
        return a


def search_articles(query: str, catalogue_item_id: str | None, include_drafts: bool, uow, caller: Principal,
                    limit: int = 10) -> list[Article]:
    v = Validator()
    query = v.text("query", query, max_len=200)
    v.check()
    statuses = ("published", "draft") if include_drafts and caller.has("ticket.kb.write") else ("published",)
    with uow:
        return uow.articles.search(query, catalogue_item_id=catalogue_item_id or None, statuses=statuses,
                                   limit=min(max(limit, 1), 50))


def get_article(article_id: str, uow, caller: Principal) -> tuple[Article, list]:
    with uow:
        a = uow.articles.get(article_id)
        if a is None or (a.status != "published" and not caller.has("ticket.kb.write")):
            raise NotFound(f"article {article_id} not found")
        return a, uow.articles.versions(a.id)


# -- catalogue and SLA administration -------------------------------------------------------

def ensure_defaults(uow) -> int:
    """Store the default catalogue, calendars and SLA policies where missing (safe to repeat)."""
    from .domain.calendar import DEFAULT_CALENDARS
    from .domain.defaults import DEFAULT_CATALOGUE
    from .domain.sla import DEFAULT_POLICIES

    added = 0
    with uow:
        for cal in DEFAULT_CALENDARS:
            if not any(c.id == cal.id for c in uow.sla.calendars()):
                uow.sla.upsert_calendar(cal)
        for p in DEFAULT_POLICIES:
            if not any(x.id == p.id for x in uow.sla.policies()):
                uow.sla.upsert_policy(p)
        for item in DEFAULT_CATALOGUE:
            if uow.catalogue.get(item.id) is None:
                uow.catalogue.upsert(item)
                added += 1
        uow.commit()
    return added


def list_catalogue(uow, caller: Principal, include_inactive: bool = False) -> list[CatalogueItem]:
    with uow:
        return uow.catalogue.list(include_inactive=include_inactive)


def upsert_catalogue_item(item: CatalogueItem, uow, caller: Principal) -> CatalogueItem:
    item.validate()
    with uow:
        if item.parent_id and uow.catalogue.get(item.parent_id) is None:
            raise NotFound(f"parent catalogue item {item.parent_id} not found")
        if item.sla_policy_id and uow.sla.policy(item.sla_policy_id) is None:
            raise NotFound(f"SLA policy {item.sla_policy_id} not found")
        uow.catalogue.upsert(item)
        uow.commit()
        return item


def upsert_sla_policy(policy: SlaPolicy, uow, caller: Principal) -> SlaPolicy:
    v = Validator()
    v.text("id", policy.id, max_len=64)
    if not 1 <= policy.warning_percent <= 99:
        v.fail("warning_percent", "must be between 1 and 99")
    for prio in ("critical", "high", "medium", "low"):
        for kind in ("response", "resolution"):
            value = (policy.targets.get(prio) or {}).get(kind)
            if not isinstance(value, (int, float)) or value <= 0:
                v.fail(f"targets.{prio}.{kind}", "must be a positive number of business seconds")
    v.check()
    with uow:
        if uow.sla.calendar(policy.calendar_id) is None:
            raise NotFound(f"calendar {policy.calendar_id} not found")
        uow.sla.upsert_policy(policy)
        uow.commit()
        return policy


def upsert_calendar(cal: BusinessCalendar, uow, caller: Principal) -> BusinessCalendar:
    v = Validator()
    v.text("id", cal.id, max_len=64)
    if not cal.always and not cal.periods:
        v.fail("periods", "a business calendar needs working periods")
    for i, (a, b) in enumerate(cal.periods):
        if b <= a:
            v.fail(f"periods.{i}", "must end after it starts")
    v.check()
    with uow:
        uow.sla.upsert_calendar(cal)
        uow.commit()
        return cal


def set_department_policy(department: str, policy_id: str, uow, caller: Principal) -> None:
    with uow:
        if policy_id and uow.sla.policy(policy_id) is None:
            raise NotFound(f"SLA policy {policy_id} not found")
        uow.sla.set_department_policy(department, policy_id or None)
        uow.commit()


def reapply_sla_policy(ticket_id: str, uow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """Re-read the policy (after a policy change): new targets, the same accumulated time."""
    now = now or utcnow()
    with uow:
        t = _load(uow, ticket_id, caller)
        if t.sla is None:
            raise FailedPrecondition(f"{t.number} has no SLA")
        item = uow.catalogue.get(t.catalogue_item_id) if t.catalogue_item_id else None
        policy = _policy(uow, item, t.department)
        t.apply_policy(policy, uow.sla.calendar(policy.calendar_id))
        _persist(uow, t, staff_id(caller), "reapply_sla", now)
        uow.commit()
        return t


def list_audit(
    ticket_id: str | None, actor: str | None, after_id: int, limit: int, uow, caller: Principal
) -> list[dict]:
    if not ticket_id and not actor:
        raise InvalidArgument(field="ticket_id", reason="give a ticket id or an actor")
    with uow:
        if ticket_id:
            _read(uow, ticket_id, caller)
        return uow.tickets.audit_entries(ticket_id=ticket_id or None, actor=actor or None, after_id=after_id,
                                         limit=min(max(limit, 1), 500))


# -- the SLA deadline scheduler ---------------------------------------------------------------

def fire_due_deadlines(uow_factory, now: datetime | None = None, limit: int = 200) -> tuple[int, int]:
    """Fire every deadline due by `now`: (fired, busy tickets skipped).

    One transaction per batch: the due tickets are locked FOR UPDATE SKIP LOCKED (a ticket busy
    with a user action is retried next round), their due deadlines read, events collected and
    the deadline rows replaced — committed with the outbox rows, so a crash fires nothing twice
    and loses nothing. If the batch fails, each ticket is retried in its own transaction so one
    bad ticket cannot hold the others back."""
    now = now or utcnow()
    with uow_factory() as uow:
        due = uow.deadlines.due_tickets(now, limit)
    if not due:
        return 0, 0
    try:
        with uow_factory() as uow:
            tickets = uow.tickets.lock_many(due)
            fired = _fire_locked(uow, tickets, now)
            uow.commit()
            return fired, len(due) - len(tickets)
    except Exception as exc:  # fall back to one transaction per ticket
        from govkit import logs

        logs.get_logger(__name__).warning("deadline_batch_failed", error=str(exc), tickets=len(due))
    fired = busy = 0
    errors: list[Exception] = []
    for ticket_id in due:
        try:
            with uow_factory() as uow:
                tickets = uow.tickets.lock_many([ticket_id])
                busy += not tickets
                fired += _fire_locked(uow, tickets, now)
                uow.commit()
        except Exception as exc:  # reported below; the others still fire
            errors.append(exc)
    if errors:
        raise errors[0]
    return fired, busy


def _fire_locked(uow, tickets: list[Ticket], now: datetime) -> int:
    if not tickets:
        return 0
    due = uow.deadlines.for_tickets([t.id for t in tickets], now)
    fired, events = 0, []
    for t in tickets:
        for d in due.get(t.id, []):
            events += _fire(uow, t, d, now)
            fired += 1
        _persist(uow, t, "system", "sla_deadline", now)
    uow.collect(*events)
    return fired


def _fire(uow, t: Ticket, d, now: datetime) -> list:
    if d.kind == "autoclose":
        return t.close("auto", now, _cal(uow, t)) if t.status == Status.RESOLVED else []
    if t.sla is None:
        return []
    cal = _cal(uow, t)
    clock = t.sla.clocks()[d.target]
    elapsed = int(clock.elapsed_at(now, cal))
    due_at = clock.due_at(cal, 100) or d.due_at
    if d.kind == "warning" and not clock.warned:
        clock.warned = True
        return [ev.SlaWarning(**t.common(now), target=d.target, due_at=due_at.isoformat(),
                              elapsed_business_seconds=elapsed, threshold_percent=t.sla.warning_percent)]
    if d.kind == "breach" and not clock.breached:
        clock.breached = True
        clock.warned = True
        t.refresh_due(cal)
        out = [ev.SlaBreached(**t.common(now), target=d.target, due_at=due_at.isoformat(),
                              elapsed_business_seconds=elapsed)]
        if d.target == "resolution":
            for cfg in sorted(t.sla.escalation, key=lambda c: int(c["level"])):
                if int(cfg["at_percent"]) <= 100 and int(cfg["level"]) > t.escalation_level:
                    out += _escalate(uow, t, cfg, "sla_breach", "system", now)
        return out
    if d.kind.startswith("escalate"):
        level = int(d.kind[len("escalate"):])
        cfg = next((c for c in t.sla.escalation if int(c["level"]) == level), None)
        if cfg and level > t.escalation_level:
            return _escalate(uow, t, cfg, "sla_breach", "system", now)
    return []


# -- alert intake -------------------------------------------------------------------------------

ALERT_ITEM = "infra.monitoring.alert"
ALERT_DEPARTMENT = "om-centre"
_SEVERITY = {"critical": ("high", "high"), "error": ("high", "medium"), "warning": ("medium", "medium"),
             "info": ("low", "low")}


def receive_alerts(payload: dict, uow_factory, *, now: datetime | None = None) -> list[dict]:
    """Alertmanager webhook (v4): one incident per fingerprint while it fires (repeats counted),
    resolved when Alertmanager says `resolved`."""
    from govkit.auth import SYSTEM

    now = now or utcnow()
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise InvalidArgument(field="alerts", reason="must be a list (Alertmanager webhook v4)")
    results = []
    for i, alert in enumerate(payload["alerts"]):
        labels = {**(payload.get("commonLabels") or {}), **(alert.get("labels") or {})}
        annotations = {**(payload.get("commonAnnotations") or {}), **(alert.get("annotations") or {})}
        fingerprint = str(alert.get("fingerprint") or "").strip()
        status = alert.get("status") or payload.get("status")
        if not fingerprint or status not in ("firing", "resolved"):
            raise InvalidArgument(field=f"alerts.{i}", reason="needs a fingerprint and status firing|resolved")
        results.append(_receive_alert(fingerprint, status, labels, annotations, uow_factory, SYSTEM, now))
    return results


def _receive_alert(fingerprint, status, labels, annotations, uow_factory, system, now) -> dict:
    alertname = str(labels.get("alertname", "alert"))
    severity = str(labels.get("severity", "warning"))
    with uow_factory() as uow:
        row = uow.alerts.get(fingerprint)  # locks the fingerprint: concurrent repeats serialise here
        incident_id = row["incident_id"] if row else None
        t = uow.tickets.get(str(incident_id), for_update=True) if incident_id else None
        if t is not None and not t.is_open:
            t, incident_id = None, None
        events, deduplicated = [], False
        if status == "firing":
            if t is not None:
                deduplicated = True
            else:
                impact, urgency = _SEVERITY.get(severity, ("medium", "medium"))
                department = str(labels.get("department") or ALERT_DEPARTMENT)
                title = str(annotations.get("summary") or f"{alertname} @ {labels.get('instance', '')}")[:200]
                item = uow.catalogue.get(str(labels.get("catalogue_item") or ALERT_ITEM))
                cmd = CreateTicket(title=title, description=str(annotations.get("description", ""))[:4000],
                                   department=department, ticket_type="incident", impact=impact, urgency=urgency,
                                   catalogue_item_id=item.id if item else None, channel="alert",
                                   idempotency_key=None, category="" if item else "infrastructure")
                policy = _policy(uow, item, department)
                cal = uow.sla.calendar(policy.calendar_id)
                t, _ = Ticket.open(cmd, requester="alertmanager", now=now, policy=policy, calendar=cal, item=item)
                t.number = uow.tickets.next_number("incident", number_year(now))
                t.details["alert"] = {"fingerprint": fingerprint, "labels": labels}
                uow.tickets.add(t, "alertmanager")
                events.append(t.created_event(now))
                events += _auto_assign(uow, t, now)
                if len(events) > 1:
                    events[0] = t.created_event(now)
            repeat = (row["repeat_count"] + 1) if (row and deduplicated) else 1
            t.details["alert_repeats"] = repeat
            _persist(uow, t, "alertmanager", "alert_repeat" if deduplicated else "alert_opened", now)
        else:
            repeat = row["repeat_count"] if row else 0
            if t is not None and t.status not in (Status.RESOLVED, Status.CLOSED):
                events += t.resolve("auto_resolved_by_alert", "告警已恢复（Alertmanager resolved）", now, _cal(uow, t))
                _persist(uow, t, "alertmanager", "alert_resolved", now)
        subject = t or _alert_subject(fingerprint)
        uow.alerts.upsert(fingerprint=fingerprint, alertname=alertname,
                          incident_id=uuid.UUID(t.id) if (t and status == "firing") else None,
                          status=status, repeat_count=repeat, labels=labels,
                          first_at=row["first_at"] if row else now, last_at=now)
        events.append(ev.AlertReceived(**subject.common(now), fingerprint=fingerprint, alertname=alertname,
                                       severity=severity, alert_status=status,
                                       incident_id=t.id if t else None, deduplicated=deduplicated))
        uow.collect(*events)
        uow.commit()
        return {"fingerprint": fingerprint, "incident_id": t.id if t else None, "number": t.number if t else None,
                "deduplicated": deduplicated, "repeat_count": repeat, "status": status}


def _alert_subject(fingerprint: str) -> Ticket:
    """A resolved alert with no open incident still yields alert_received: a placeholder subject."""
    from .domain.model import Category, Priority

    return Ticket(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"alert:{fingerprint}")), title="", description="",
                  department=ALERT_DEPARTMENT, category=Category.INFRASTRUCTURE, priority=Priority.LOW,
                  status=Status.CLOSED, requester="alertmanager", created_at=utcnow(), number="")
