"""What the ticket use cases share: loading a ticket in the caller's scope, permission checks,
the SLA policy lookup, routing, and saving a ticket together with its deadlines."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter

from govkit import logs
from govkit.auth import Principal
from govkit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

from ..domain.calendar import CN, BusinessCalendar
from ..domain.catalogue import CatalogueItem
from ..domain.escalation import least_loaded
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ..domain.sla import SlaPolicy

DEFAULT_POLICY = "standard"
MAX_PAGE_SIZE = 200

log = logs.get_logger(__name__)
DUE_IN_MISSING_YEAR = Counter(
    "govops_ticket_due_in_missing_calendar_year_total",
    "SLA due times computed across a year whose holidays the calendar lacks (read as plain weekdays)",
    ["calendar", "year"])


def number_year(now: datetime) -> int:
    """The year in ticket numbers is Beijing time's (INC-2027-… from 1 January 00:00 CST)."""
    return now.astimezone(CN.tz).year


def staff_id(caller: Principal) -> str:
    """The caller's staff id (org puts `staff_id` in staff tokens); the subject otherwise."""
    return str(caller.claims.get("staff_id") or caller.subject)


def load(uow: TicketUow, ticket_id: str, caller: Principal) -> Ticket:
    """A ticket to act on, locked; PERMISSION_DENIED if it is another department's."""
    t = uow.tickets.get(ticket_id, for_update=True)
    if t is None or not caller.scope.allows(t.org_unit_id):
        if uow.tickets.exists(ticket_id):
            raise PermissionDenied(f"ticket {ticket_id} belongs to a department outside your scope")
        raise NotFound(f"ticket {ticket_id} not found")
    return t


def read(uow: TicketUow, ticket_id: str, caller: Principal) -> Ticket:
    """A ticket to read; outside the caller's scope it reads as missing (no existence leak)."""
    t = uow.tickets.get(ticket_id)
    if t is None or not caller.scope.allows(t.org_unit_id):
        raise NotFound(f"ticket {ticket_id} not found")
    return t


def calendar(uow: TicketUow, t: Ticket) -> BusinessCalendar | None:
    return uow.sla.calendar(t.sla.calendar_id) if t.sla else None


def warn_missing_years(cal: BusinessCalendar | None, t: Ticket, now: datetime) -> None:
    """A due time that runs into a year the calendar lacks was counted on plain weekdays: say so
    (log and metric) every time, so it is never silent; check_calendar_coverage asks for the year."""
    due = [d for d in (t.response_due_at, t.resolution_due_at) if d is not None]
    if cal is None or not due:
        return
    for year in cal.missing_years(now, max(due)):
        DUE_IN_MISSING_YEAR.labels(cal.id, str(year)).inc()
        log.warning("sla_due_in_missing_calendar_year", ticket=t.number, calendar=cal.id, year=year)


def persist(uow: TicketUow, t: Ticket, actor: str, action: str, now: datetime) -> None:
    """Save (audited) with fresh due times, replacing the ticket's deadline rows."""
    cal = calendar(uow, t)
    if cal is not None:
        t.refresh_due(cal)
        warn_missing_years(cal, t, now)
    t.updated_at = now
    uow.deadlines.replace(t.id, t.deadlines(cal, uow.settings), now)
    uow.tickets.save(t, actor, action)


def record(uow: TicketUow, t: Ticket, actor: str, action: str, now: datetime, events: list) -> None:
    """persist, then collect the change's events and commit."""
    persist(uow, t, actor, action, now)
    uow.collect(*events)
    uow.commit()


def policy_for(uow: TicketUow, item: CatalogueItem | None, org_unit_id: str) -> SlaPolicy:
    """Department override first, then the catalogue item's policy, then the default."""
    for pid in (uow.sla.department_policy(org_unit_id), item.sla_policy_id if item else None, DEFAULT_POLICY):
        p = uow.sla.policy(pid)
        if p is not None:
            return p
    raise FailedPrecondition("no SLA policy configured")


def require_staff_on(t: Ticket, caller: Principal) -> None:
    """`ticket.work` acts on tickets assigned to the caller; `ticket.assign` (leads) on any."""
    if caller.has("ticket.assign"):
        return
    if t.assignee != staff_id(caller):
        raise PermissionDenied(f"{t.number} is assigned to {t.assignee or 'nobody'}, not to you")


def require_requester(t: Ticket, caller: Principal) -> None:
    if t.requester != caller.subject and not caller.has("ticket.work"):
        raise PermissionDenied(f"only the requester of {t.number} may do this")


def require_requester_or_staff(t: Ticket, caller: Principal) -> None:
    if t.requester != caller.subject and not caller.has("ticket.work") and not caller.has("ticket.assign"):
        raise PermissionDenied(f"only the requester or staff may comment on {t.number}")


def auto_assign(uow: TicketUow, t: Ticket, now: datetime) -> list:
    """Routing: the on-duty member of the item's group with the least open load, else the queue."""
    if not t.group_id or t.ticket_type not in ("request", "incident"):
        return []
    on_duty = uow.orgdir.on_duty(t.group_id, now)
    if not on_duty:
        return []
    chosen = least_loaded(on_duty, uow.tickets.open_load(on_duty))
    member = uow.orgdir.staff_member(chosen) or {}
    return t.assign(chosen, by="system", method="auto", now=now, cal=calendar(uow, t),
                    vendor_id=member.get("vendor_id"))


def check_page(page_size: int) -> int:
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InvalidArgument(field="page.page_size", reason=f"must be between 0 and {MAX_PAGE_SIZE}")
    return page_size or 50
