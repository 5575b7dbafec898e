"""Ticket use cases: one function each, `handle(command, uow, caller) -> result`."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.auth import Principal
from govkit.errors import NotFound, PermissionDenied
from govkit.events import utcnow

from .domain.commands import CreateTicket, GetTicket
from .domain.model import Ticket


@dataclass(frozen=True)
class Created:
    ticket: Ticket
    replayed: bool


def create_ticket(cmd: CreateTicket, uow, caller: Principal) -> Created:
    ticket, event = Ticket.open(cmd, requester=caller.subject, now=utcnow())
    if not caller.scope.allows(ticket.department):
        raise PermissionDenied(f"department {ticket.department} is outside your scope")
    with uow:
        if ticket.idempotency_key:
            earlier = uow.tickets.by_idempotency_key(caller.subject, ticket.idempotency_key)
            if earlier is not None:
                return Created(earlier, replayed=True)
        if not uow.tickets.add(ticket):
            # A concurrent retry with the same key won the race: return its ticket.
            uow.rollback()
            return Created(uow.tickets.by_idempotency_key(caller.subject, ticket.idempotency_key), True)
        uow.collect(event)
        uow.commit()
    return Created(ticket, replayed=False)


def get_ticket(cmd: GetTicket, uow, caller: Principal) -> Ticket:
    with uow:
        ticket = uow.tickets.get(cmd.ticket_id)
    if ticket is None or not caller.scope.allows(ticket.department):
        # Outside the caller's scope reads the same as missing: no existence leak.
        raise NotFound(f"ticket {cmd.ticket_id} not found")
    return ticket
