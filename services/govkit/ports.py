"""The transaction part every service's unit-of-work Protocol shares (`<svc>/domain/ports.py`).

Plain typing, no SQLAlchemy: a domain module may import it. `govkit.uow.UnitOfWork` and the
in-memory fakes in tests/unit implement it."""

from __future__ import annotations

from typing import Any, Protocol

from .events import Event


class Transaction(Protocol):
    """Open with `with uow:`, collect events for the outbox, commit or roll back; `seen` is the
    inbox (True if this consumer has applied the event id before)."""

    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: object) -> None: ...
    def collect(self, *events: Event) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def seen(self, consumer: str, event_id: str) -> bool: ...
