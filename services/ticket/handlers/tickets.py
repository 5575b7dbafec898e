"""Opening and reading tickets: create (catalogue submit, API, other services), get, the detail
page, my tickets and the queues, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from govkit.auth import SYSTEM, Principal
from govkit.errors import InvalidArgument, NotFound, PermissionDenied
from govkit.events import utcnow
from govkit.idempotency import check_replay, fingerprint

from ..domain.catalogue import form_violations
from ..domain.commands import CreateTicket, GetTicket, GetTicketDetail, ListAudit, ListTickets
from ..domain.lifecycle import SLA_TYPES, allowed_actions
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ..domain.timeline import TimelineEntry, public_timeline
from ._common import auto_assign, check_page, number_year, policy_for, read, staff_id, warn_missing_years


@dataclass(frozen=True)
class Created:
    ticket: Ticket
    replayed: bool
    suggestions: list = field(default_factory=list)


def create_ticket(cmd: CreateTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Created:
    """Open a ticket — from the catalogue (submit) or directly (API, RPC) — route it, start its SLA."""
    now = now or utcnow()
    with uow:
        item = None
        if cmd.catalogue_item_id:
            item = uow.catalogue.get(cmd.catalogue_item_id)
            if item is None or item.kind != "item" or not item.active:
                raise NotFound(f"catalogue item {cmd.catalogue_item_id} not found")
        violations = form_violations(item.form_schema, dict(cmd.form or {})) if item else []
        ticket_type = cmd.ticket_type or (item.ticket_type if item else "incident")
        org_unit_id = (cmd.org_unit_id or "").strip()
        if org_unit_id and not caller.scope.allows(org_unit_id):
            raise PermissionDenied(f"org unit {org_unit_id} is outside your scope")
        key = (cmd.idempotency_key or "").strip()
        request = fingerprint(cmd) if key else None
        if key:
            earlier = uow.tickets.by_idempotency_key(caller.subject, key)
            if earlier is not None:
                return _replay(uow, caller, key, request, earlier)
        policy = policy_for(uow, item, org_unit_id) if ticket_type in SLA_TYPES else None
        cal = uow.sla.calendar(policy.calendar_id) if policy else None
        ticket = Ticket.open(cmd, requester=caller.subject, now=now, policy=policy, calendar=cal, item=item,
                             form_violations=violations)
        # After the fields' own checks (a blank title is named first), before anything is written.
        uow.orgdir.require_units([("org_unit_id", org_unit_id)])
        ticket.number = uow.tickets.next_number(ticket.ticket_type, number_year(now))
        routed = auto_assign(uow, ticket, now)
        # Built once, after routing: the created event (and the audit's first entry) carry the routed state.
        events = [ticket.created_event(now), *routed]
        if not uow.tickets.add(ticket, caller.subject, request):
            # A concurrent retry with the same key won the race: return its ticket.
            uow.rollback()
            return _replay(uow, caller, key, request,
                           uow.tickets.by_idempotency_key(caller.subject, ticket.idempotency_key))
        uow.deadlines.replace(ticket.id, ticket.deadlines(cal, uow.settings), now, new=True)
        warn_missing_years(cal, ticket, now)
        uow.collect(*events)
        uow.commit()
        suggestions = uow.articles.search(f"{ticket.title} {ticket.description}",
                                          catalogue_item_id=ticket.catalogue_item_id, limit=3) \
            if ticket.channel == "request_window" else []
    return Created(ticket, replayed=False, suggestions=suggestions)


def _replay(uow: TicketUow, caller: Principal, key: str, request: str | None, earlier: Ticket | None) -> Created:
    """The first ticket of this key — if it was opened by the same request (govkit.idempotency)."""
    check_replay(uow.tickets.request_fingerprint(caller.subject, key), request or "", key=key, what="ticket")
    return Created(earlier, replayed=True)


def create_for_service(uow: TicketUow, title: str, description: str, org_unit_id: str, category: str,
                       priority: str, idempotency_key: str | None = None, *, ticket_type: str = "",
                       due_date: str = "", group_id: str = "", position_id: str = "") -> dict:
    """What ticket-worker's `create_ticket` RPC does for another service: open a ticket as the
    system (e.g. evaluation's rectification work: ticket_type `rectification`, its due date as
    an ISO date — due at the end of that day in the kit's local zone — or date-time, and the
    responsible group and position)."""
    from ..serializers import ticket_to_dict

    due_at = None
    if due_date:
        try:
            due_at = _due(due_date)
        except ValueError:
            raise InvalidArgument(field="due_date", reason=f"not an ISO date or date-time: {due_date!r}") from None
    result = create_ticket(CreateTicket(title, description, org_unit_id, category, priority, idempotency_key,
                                        ticket_type=ticket_type, due_at=due_at, group_id=group_id,
                                        position_id=position_id), uow, SYSTEM)
    return {"ticket": ticket_to_dict(result.ticket), "replayed": result.replayed}


def _due(text: str) -> datetime:
    from datetime import date, time, timedelta

    from govkit.config import local_zone

    if len(text) == 10:  # a date: due at the end of that day, local time
        d = date.fromisoformat(text)
        return datetime.combine(d + timedelta(days=1), time(0), tzinfo=local_zone()) - timedelta(seconds=1)
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(text)
    return at


def get_ticket(cmd: GetTicket, uow: TicketUow, caller: Principal) -> Ticket:
    with uow:
        return read(uow, cmd.ticket_id, caller)


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    comments: list
    attachments: list
    watchers: list
    links: list
    allowed_actions: list
    timeline: list = field(default_factory=list)  # of NamedEntry


@dataclass(frozen=True)
class NamedEntry:
    """A timeline entry with the display names of its group and assignee (org directory)."""
    entry: TimelineEntry
    group_name: str = ""
    assignee_name: str = ""


def get_ticket_detail(cmd: GetTicketDetail, uow: TicketUow, caller: Principal) -> TicketDetail:
    """The ticket with its comments (internal ones for staff), attachments, watchers, links, the
    lifecycle actions allowed now and its public timeline (status changes and assignments)."""
    with uow:
        t = read(uow, cmd.ticket_id, caller)
        timeline = _named(uow, public_timeline(_audit(uow, t.id)))
        return TicketDetail(t, uow.comments.list(t.id, include_internal=caller.has("ticket.work")),
                            uow.attachments.list(t.id), uow.relations.watchers(t.id), uow.relations.links(t.id),
                            allowed_actions(t.ticket_type, t.status.value), timeline)


def _audit(uow: TicketUow, ticket_id: str) -> list[dict]:
    """Every audit entry of one ticket, oldest first (read in pages of AUDIT_PAGE_MAX)."""
    entries: list[dict] = []
    while True:
        page = uow.tickets.audit_entries(ticket_id=ticket_id, after_id=entries[-1]["id"] if entries else 0,
                                         limit=AUDIT_PAGE_MAX)
        entries += page
        if len(page) < AUDIT_PAGE_MAX:
            return entries


def _named(uow: TicketUow, timeline: list[TimelineEntry]) -> list[NamedEntry]:
    groups: dict[str, str] = {}
    staff: dict[str, str] = {}
    for e in timeline:
        if e.group_id and e.group_id not in groups:
            groups[e.group_id] = (uow.orgdir.group(e.group_id) or {}).get("name") or e.group_id
        if e.assignee and e.assignee not in staff:
            staff[e.assignee] = (uow.orgdir.staff_member(e.assignee) or {}).get("name") or e.assignee
    return [NamedEntry(e, groups.get(e.group_id, ""), staff.get(e.assignee, "")) for e in timeline]


def list_tickets(cmd: ListTickets, uow: TicketUow, caller: Principal) -> tuple[list[Ticket], str]:
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
    elif cmd.view not in ("all", "department"):
        # department: everything in the caller's scope, like all; the scoped repository keeps
        # other departments out, and the gRPC method's own permission (ticket.department.read)
        # says who may list a department's tickets.
        raise InvalidArgument(field="view", reason="must be mine, my_queue, group_queue, department or all")
    if cmd.view in ("my_queue", "group_queue") and not caller.has("ticket.work") and not caller.has("ticket.assign"):
        raise PermissionDenied("queues are for staff with ticket.work")
    if cmd.sort not in ("created_desc", "sla_due"):
        raise InvalidArgument(field="sort", reason="must be created_desc or sla_due")
    size = check_page(cmd.page_size)
    with uow:
        return uow.tickets.list(f, page_size=size, page_token=cmd.page_token, sort=cmd.sort)


AUDIT_PAGE_MAX = 500


def list_audit(cmd: ListAudit, uow: TicketUow, caller: Principal) -> list[dict]:
    """Audit entries by ticket (one in scope) or by actor, after `after_id`: at most a page of
    AUDIT_PAGE_MAX and one more (so a caller paging them sees whether another page follows)."""
    if not cmd.ticket_id and not cmd.actor:
        raise InvalidArgument(field="ticket_id", reason="give a ticket id or an actor")
    with uow:
        ticket_id = read(uow, cmd.ticket_id, caller).id if cmd.ticket_id else None
        return uow.tickets.audit_entries(ticket_id=ticket_id, actor=cmd.actor or None,
                                         after_id=cmd.after_id, limit=min(max(cmd.limit, 1), AUDIT_PAGE_MAX + 1))
