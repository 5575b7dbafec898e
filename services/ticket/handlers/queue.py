"""The operations window: claim, assign and transfer, status moves, reprioritisation, resolve,
close, bulk actions and links between tickets. Staff act on tickets assigned to them (`ticket.work`); leads
(`ticket.assign`) on any in scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from govkit.auth import Principal
from govkit.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from govkit.events import utcnow

from ..domain import events as ev
from ..domain.commands import (
    AssignTicket,
    BulkAction,
    ChangeStatus,
    ClaimTicket,
    CloseTicket,
    LinkTickets,
    ListGroupWorkload,
    ReprioritiseTicket,
    ResolveTicket,
    TransferTicket,
    WatchQueue,
)
from ..domain.model import Status, Ticket
from ..domain.ports import TicketUow, TicketUowFactory
from ._common import calendar, load, record, require_staff_on, staff_id

LINK_KINDS = ("relates", "duplicates", "caused_by", "problem_incident", "change_for")


def claim_ticket(cmd: ClaimTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """Take an unassigned ticket oneself."""
    return _assign(uow, caller, cmd.ticket_id, "", "claim", None, now or utcnow())


def assign_ticket(cmd: AssignTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    return _assign(uow, caller, cmd.ticket_id, cmd.assignee, "manual", None, now or utcnow())


def transfer_ticket(cmd: TransferTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """To another person and/or group; to a group alone puts it back in that group's queue."""
    return _assign(uow, caller, cmd.ticket_id, cmd.assignee, "transfer", cmd.group_id or None, now or utcnow())


def _assign(uow: TicketUow, caller: Principal, ticket_id: str, assignee: str, method: str, group_id: str | None,
            now: datetime) -> Ticket:
    actor = staff_id(caller)
    with uow:
        t = load(uow, ticket_id, caller)
        if method == "claim":
            assignee = actor
            if t.assignee is not None:
                # Two claims of one ticket serialise on its row lock (load): the later one lands
                # here and learns who has it, instead of overwriting the first.
                holder = (uow.orgdir.staff_member(t.assignee) or {}).get("name") or t.assignee
                raise FailedPrecondition(f"{t.number} is already assigned to {holder} ({t.assignee}); "
                                         "ask for a transfer", field="ticket_id",
                                         reason=f"already assigned to {holder} ({t.assignee})")
        if group_id and uow.orgdir.group(group_id) is None:
            raise NotFound(f"support group {group_id} not found")
        if not assignee:
            if method != "transfer" or not group_id:
                raise InvalidArgument(field="assignee", reason="must not be empty")
            events = t.act("requeue", now, calendar(uow, t)) if t.status != Status.NEW else []
            t.assignee, t.group_id, t.transferred = None, group_id, True
            # The status event carries the state after the whole transfer (group and no assignee).
            events = [ev.TicketStatusChanged(**{**e.__dict__, **t.common(now)}) for e in events]
        else:
            member = uow.orgdir.staff_member(assignee)
            if member is None or not member.get("active", True):
                raise NotFound(f"staff member {assignee} not found")
            events = t.assign(assignee, by=actor, method=method, now=now, cal=calendar(uow, t),
                              vendor_id=member.get("vendor_id"), group_id=group_id)
        record(uow, t, actor, method, now, events)
        return t


def change_status(cmd: ChangeStatus, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """start, pend (requester|vendor|change), resume, cancel, and the other table actions without
    data (a change's revise, a problem's close …) — staff on their tickets."""
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_staff_on(t, caller)
        events = t.act(cmd.action, now, calendar(uow, t), pending_reason=cmd.pending_reason, settings=uow.settings)
        record(uow, t, staff_id(caller), cmd.action, now, events)
        return t


REPRIORITISE = "ticket.reprioritise"


def reprioritise_ticket(cmd: ReprioritiseTicket, uow: TicketUow, caller: Principal, *,
                        now: datetime | None = None) -> Ticket:
    """O&M staff with `ticket.reprioritise` change an open ticket's impact and urgency, with a
    reason: the priority and SLA targets follow, the elapsed business time is kept. Audited
    (`reprioritise`), noted on the ticket's timeline (a public comment) and published
    (`ticket_reprioritised`)."""
    now = now or utcnow()
    if not caller.has(REPRIORITISE):  # the gRPC table checks it too; nameko RPC callers come here
        raise PermissionDenied(f"{caller.subject} lacks permission {REPRIORITISE}")
    actor = staff_id(caller)
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        policy = uow.sla.policy(t.sla.policy_id) if t.sla else None
        if t.sla is not None and policy is None:
            raise FailedPrecondition(f"the SLA policy {t.sla.policy_id} of {t.number} no longer exists")
        before = t.priority.value
        events = t.reprioritise(cmd.impact, cmd.urgency, cmd.reason, by=actor, now=now, policy=policy,
                                cal=calendar(uow, t))
        uow.comments.add(t.id, actor, f"优先级调整 {before} → {t.priority.value}"
                         f"（影响 {t.impact}，紧急 {t.urgency}）：{events[0].reason}", "public", now)
        record(uow, t, actor, "reprioritise", now, events)
        return t


def resolve_ticket(cmd: ResolveTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_staff_on(t, caller)
        events = t.resolve(cmd.resolution_code, cmd.resolution, now, calendar(uow, t))
        record(uow, t, staff_id(caller), "resolve", now, events)
        return t


def close_ticket(cmd: CloseTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """Staff closes a resolved ticket (the requester confirms with confirm_resolution)."""
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        require_staff_on(t, caller)
        events = t.close("staff", now, calendar(uow, t))
        record(uow, t, staff_id(caller), "close", now, events)
        return t


@dataclass(frozen=True)
class BulkResult:
    ticket_id: str
    ok: bool
    code: str = ""
    message: str = ""


def bulk_action(cmd: BulkAction, uow_factory: TicketUowFactory, caller: Principal) -> list[BulkResult]:
    """Apply one action to many tickets; each succeeds or fails on its own (own transaction)."""
    if not cmd.ticket_ids or len(cmd.ticket_ids) > 100:
        raise InvalidArgument(field="ticket_ids", reason="must list between 1 and 100 tickets")
    ops = {
        "assign": lambda i, u: assign_ticket(AssignTicket(i, cmd.assignee), u, caller),
        "transfer": lambda i, u: transfer_ticket(TransferTicket(i, cmd.assignee, cmd.group_id or None), u, caller),
        "resolve": lambda i, u: resolve_ticket(ResolveTicket(i, cmd.resolution_code, cmd.resolution), u, caller),
        "close": lambda i, u: close_ticket(CloseTicket(i), u, caller),
        "start": lambda i, u: change_status(ChangeStatus(i, "start"), u, caller),
    }
    if cmd.action not in ops:
        raise InvalidArgument(field="action", reason=f"must be one of {', '.join(ops)}")
    out = []
    for ticket_id in cmd.ticket_ids:
        try:
            ops[cmd.action](ticket_id, uow_factory())
            out.append(BulkResult(ticket_id, True))
        except DomainError as exc:
            out.append(BulkResult(ticket_id, False, type(exc).__name__, exc.message))
    return out


def link_tickets(cmd: LinkTickets, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if cmd.kind not in LINK_KINDS:
        raise InvalidArgument(field="kind", reason=f"must be one of {', '.join(LINK_KINDS)}")
    if cmd.kind == "problem_incident":
        raise InvalidArgument(field="kind", reason="use LinkIncident to link an incident to a problem")
    with uow:
        a, b = load(uow, cmd.from_id, caller), load(uow, cmd.to_id, caller)
        if a.id == b.id:
            raise InvalidArgument(field="to_id", reason="must differ from from_id")
        uow.relations.link(a.id, b.id, cmd.kind, caller.subject, now)
        uow.commit()


def queue_watch(cmd: WatchQueue, caller: Principal) -> Callable[[dict], bool]:
    """Which committed changes (adapters/feed.change_of) a WatchQueue stream receives: only
    tickets in the caller's scope, and of those the ones its view shows or may just have stopped
    showing."""
    if cmd.view not in ("my_queue", "group_queue", "all"):
        raise InvalidArgument(field="view", reason="must be my_queue, group_queue or all")
    if cmd.view == "group_queue" and not cmd.group_id:
        raise InvalidArgument(field="group_id", reason="is required for the group queue")
    me = staff_id(caller)

    def wants(change: dict) -> bool:
        if not caller.scope.allows(change.get("org_unit_id") or ""):
            return False
        if cmd.view == "my_queue":
            return me in (change.get("assignee"), change.get("previous_assignee"))
        if cmd.view == "group_queue":
            # An assignment or an eventless save may have moved a ticket out of this group.
            return change.get("group_id") == cmd.group_id or change.get("event") in ("ticket_assigned",
                                                                                      "ticket_updated")
        return True

    return wants


@dataclass(frozen=True)
class Member:
    staff_id: str
    name: str
    on_duty: bool
    open_tickets: int
    vendor_id: str = ""


@dataclass(frozen=True)
class GroupLoad:
    group_id: str
    code: str
    name: str
    org_unit_id: str
    is_member: bool
    members: list[Member] = field(default_factory=list)


def group_workload(cmd: ListGroupWorkload, uow: TicketUow, caller: Principal, *,
                   now: datetime | None = None) -> list[GroupLoad]:
    """Support groups with each active member's duty now and open load (for assigning)."""
    now = now or utcnow()
    me = staff_id(caller)
    with uow:
        mine = set(uow.orgdir.groups_of(me))
        if cmd.group_ids:
            found = uow.orgdir.groups(cmd.group_ids)
            missing = set(cmd.group_ids) - {g["id"] for g in found}
            if missing:
                raise NotFound(f"support group {sorted(missing)[0]} not found")
        elif cmd.all_groups:
            found = uow.orgdir.groups()
        else:
            found = uow.orgdir.groups(sorted(mine))
        found = [g for g in found if caller.scope.allows(g["org_unit_id"]) or g["id"] in mine]
        members = {g["id"]: uow.orgdir.group_members(g["id"]) for g in found}
        people = uow.orgdir.staff_members({s for ids in members.values() for s in ids})
        active = {s for s, p in people.items() if p.get("active", True)}
        load = uow.tickets.open_load(sorted(active))
        out = []
        for g in found:
            duty = set(uow.orgdir.on_duty(g["id"], now))
            ms = [Member(s, people[s].get("name") or s, s in duty, load.get(s, 0), people[s].get("vendor_id") or "")
                  for s in members[g["id"]] if s in active]
            ms.sort(key=lambda m: (not m.on_duty, m.open_tickets, m.name))
            out.append(GroupLoad(g["id"], g.get("code") or "", g.get("name") or g["id"], g["org_unit_id"],
                                 g["id"] in mine, ms))
        return out
