"""Ticket repository. Every read is filtered by the caller's department scope here, so a handler
that forgets a check still cannot leak another department's tickets."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from govkit.auth import Scope

from ..domain.model import Category, Priority, Status, Ticket
from .tables import tickets


class TicketRepository:
    def __init__(self, conn: Connection, scope: Scope):
        self.conn, self.scope = conn, scope

    def _scoped(self, query):
        if self.scope.is_global:
            return query
        return query.where(tickets.c.department.in_(sorted(self.scope.units)))

    def add(self, ticket: Ticket) -> bool:
        """Insert; False if the caller's idempotency key is already taken."""
        stmt = pg_insert(tickets).values(
            id=uuid.UUID(ticket.id), title=ticket.title, description=ticket.description,
            department=ticket.department, category=ticket.category.value,
            priority=ticket.priority.value, status=ticket.status.value, requester=ticket.requester,
            idempotency_key=ticket.idempotency_key, created_at=ticket.created_at,
        ).on_conflict_do_nothing(
            index_elements=["requester", "idempotency_key"],
            index_where=sa.text("idempotency_key IS NOT NULL"),
        )
        return self.conn.execute(stmt).rowcount == 1

    def get(self, ticket_id: str) -> Ticket | None:
        try:
            key = uuid.UUID(ticket_id)
        except ValueError:
            return None
        row = self.conn.execute(self._scoped(sa.select(tickets).where(tickets.c.id == key))).first()
        return _to_ticket(row) if row else None

    def by_idempotency_key(self, requester: str, key: str) -> Ticket | None:
        row = self.conn.execute(self._scoped(sa.select(tickets).where(
            tickets.c.requester == requester, tickets.c.idempotency_key == key))).first()
        return _to_ticket(row) if row else None


def _to_ticket(row) -> Ticket:
    return Ticket(
        id=str(row.id), title=row.title, description=row.description, department=row.department,
        category=Category(row.category), priority=Priority(row.priority), status=Status(row.status),
        requester=row.requester, created_at=row.created_at, idempotency_key=row.idempotency_key,
    )
