"""Commands: what callers ask the ticket service to do (imperative, never broadcast)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateTicket:
    title: str
    description: str
    department: str
    category: str
    priority: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class GetTicket:
    ticket_id: str
