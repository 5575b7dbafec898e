"""Commands: what callers ask the ticket service to do (imperative, never broadcast)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreateTicket:
    title: str
    description: str
    department: str
    category: str = ""
    priority: str = ""  # empty: from impact × urgency
    idempotency_key: str | None = None
    ticket_type: str = ""  # empty: the catalogue item's default, else incident
    catalogue_item_id: str | None = None
    impact: str = ""
    urgency: str = ""
    form: dict = field(default_factory=dict)
    channel: str = "api"
    details: dict = field(default_factory=dict)  # change RFC fields


@dataclass(frozen=True)
class GetTicket:
    ticket_id: str
