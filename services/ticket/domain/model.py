"""Tickets. Plain Python: no transport, no ORM."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from govkit.errors import Validator

from .commands import CreateTicket
from .events import TicketCreated

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
DEPARTMENT_MAX = 64
IDEMPOTENCY_KEY_MAX = 128


class Category(str, Enum):
    """The seed's three O&M service categories."""

    INFRASTRUCTURE = "infrastructure"
    APPLICATION = "application"
    INFORMATION_RESOURCE = "information_resource"


class Priority(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Status(str, Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


@dataclass
class Ticket:
    id: str
    title: str
    description: str
    department: str
    category: Category
    priority: Priority
    status: Status
    requester: str
    created_at: datetime
    idempotency_key: str | None = None

    @classmethod
    def open(cls, cmd: CreateTicket, *, requester: str, now: datetime) -> tuple["Ticket", TicketCreated]:
        """Validate a creation request and open the ticket; every bad field is reported at once."""
        v = Validator()
        title = v.text("title", cmd.title, max_len=TITLE_MAX)
        description = v.text("description", cmd.description, required=False, max_len=DESCRIPTION_MAX)
        department = v.text("department", cmd.department, max_len=DEPARTMENT_MAX)
        key = v.text("idempotency_key", cmd.idempotency_key or "", required=False,
                     max_len=IDEMPOTENCY_KEY_MAX) or None
        category = _enum(v, "category", Category, cmd.category)
        priority = _enum(v, "priority", Priority, cmd.priority)
        v.check()
        ticket = cls(
            id=str(uuid.uuid4()), title=title, description=description, department=department,
            category=category, priority=priority, status=Status.NEW, requester=requester,
            created_at=now, idempotency_key=key,
        )
        event = TicketCreated(
            ticket_id=ticket.id, title=ticket.title, department=department, category=category.value,
            priority=priority.value, status=ticket.status.value, requester=requester, created_at=now,
        )
        return ticket, event


def _enum(v: Validator, field: str, enum_cls, value):
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        v.fail(field, f"must be one of {allowed}" if value else "is required")
        return None
