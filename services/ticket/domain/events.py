"""Events the ticket service publishes (see docs/events.md, the event catalogue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from govkit.events import Event


class TicketEvent(Event):
    source = "ticket"

    def event_subject(self) -> str:
        return self.ticket_id  # type: ignore[attr-defined]

    def event_dept(self) -> str | None:
        return self.department  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TicketCreated(TicketEvent):
    ticket_id: str
    title: str
    department: str
    category: str
    priority: str
    status: str
    requester: str
    created_at: datetime
