from __future__ import annotations

from govkit.auth import SYSTEM, Scope
from govkit.uow import SqlUnitOfWork

from .repository import TicketRepository


class TicketUnitOfWork(SqlUnitOfWork):
    def __init__(self, engine, scope: Scope = SYSTEM.scope):
        super().__init__(engine)
        self.scope = scope

    def bind(self, conn) -> None:
        self.tickets = TicketRepository(conn, self.scope)
