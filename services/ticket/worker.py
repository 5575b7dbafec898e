"""ticket-worker: nameko RPC for other services, and the outbox relay."""

from __future__ import annotations

from nameko.rpc import rpc

from govkit.auth import SYSTEM
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork

from . import handlers
from .adapters.uow import TicketUnitOfWork
from .domain.commands import CreateTicket, GetTicket
from .serializers import ticket_to_dict


class Service:
    name = "ticket"

    uow = UnitOfWork(TicketUnitOfWork)
    relay = OutboxRelayRunner()

    @rpc
    def create_ticket(self, title: str, description: str, department: str, category: str,
                      priority: str, idempotency_key: str | None = None) -> dict:
        """Open a ticket on behalf of another service (e.g. evaluation's rectification work)."""
        result = handlers.create_ticket(
            CreateTicket(title, description, department, category, priority, idempotency_key),
            self.uow(), SYSTEM)
        return {"ticket": ticket_to_dict(result.ticket), "replayed": result.replayed}

    @rpc
    def get_ticket(self, ticket_id: str) -> dict:
        return ticket_to_dict(handlers.get_ticket(GetTicket(ticket_id), self.uow(), SYSTEM))
