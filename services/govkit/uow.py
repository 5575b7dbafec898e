"""Unit of work: one transaction per use case; its commit writes the collected domain events as
outbox rows in the same transaction, and wakes the relay with NOTIFY (delivered at commit)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from . import deadline, logs
from .db import OUTBOX_CHANNEL, kit_tables
from .events import Envelope, Event

_KIT_META = sa.MetaData()
OUTBOX, INBOX = kit_tables(_KIT_META)


class UnitOfWork:
    """What handlers see: repositories as attributes, `collect`, `commit`, `seen`."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __enter__(self):
        self.events = []
        return self

    def __exit__(self, *exc) -> None:
        self.rollback()

    def collect(self, *events: Event) -> None:
        self.events.extend(events)

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def seen(self, consumer: str, event_id: str) -> bool:
        """Inbox: record `event_id` for `consumer`; True if it was already recorded.

        Recorded in this unit's transaction, so the effect and the dedupe commit together."""
        raise NotImplementedError


class SqlUnitOfWork(UnitOfWork):
    """SQLAlchemy Core implementation. Subclasses build their repositories in `bind`."""

    def __init__(self, engine: Engine):
        super().__init__()
        self.engine = engine
        self.conn: Connection | None = None
        self.envelopes: list[Envelope] = []

    def bind(self, conn: Connection) -> None:
        """Create this service's repositories on the open connection."""

    def __enter__(self):
        super().__enter__()
        deadline.check()
        self.envelopes = []
        self.conn = self.engine.connect()
        self._begin()
        self.bind(self.conn)
        return self

    def _begin(self) -> None:
        assert self.conn is not None
        self.conn.begin()
        left = deadline.remaining()
        if left is not None:
            # No statement outlives the caller's deadline (a lock wait included).
            self.conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                              {"ms": str(max(1, int(left * 1000)))})

    def __exit__(self, *exc) -> None:
        try:
            self.rollback()
        finally:
            if self.conn is not None:
                self.conn.close()
                self.conn = None

    def commit(self) -> None:
        assert self.conn is not None, "commit outside `with uow:`"
        correlation_id = logs.current("correlation_id")
        self.envelopes = [Envelope.wrap(e, correlation_id) for e in self.events]
        write_outbox(self.conn, self.envelopes)
        deadline.check()  # the client gave up: saving now would report as failed what was done
        self.conn.commit()
        self.events = []
        self._begin()

    def rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction():
            self.conn.rollback()

    def seen(self, consumer: str, event_id: str) -> bool:
        assert self.conn is not None
        inserted = self.conn.execute(
            pg_insert(INBOX)
            .values(consumer=consumer, event_id=event_id)
            .on_conflict_do_nothing()
        ).rowcount
        return inserted == 0


# One round trip for all of a commit's events and the relay's wake-up call (delivered at commit).
_WRITE_OUTBOX = sa.text(f"""
    WITH written AS (
      INSERT INTO outbox (id, type, envelope)
      SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:envelopes AS jsonb[]))
      RETURNING 1)
    SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM (SELECT count(*) AS n FROM written) w WHERE w.n > 0""")


def write_outbox(conn: Connection, envelopes: Iterable[Envelope]) -> None:
    envelopes = list(envelopes)
    if not envelopes:
        return
    conn.execute(_WRITE_OUTBOX, {
        "ids": [e.id for e in envelopes],
        "types": [e.type for e in envelopes],
        "envelopes": [json.dumps(e.to_dict(), ensure_ascii=False, separators=(",", ":")) for e in envelopes],
    })


def transactional(steps):
    """Make `steps(cmd, uow, caller)` a handler that runs them in its own unit of work and commits.
    The bare steps stay available as `.within` for callers that already hold an open unit of work
    (an all-or-nothing bulk import runs many of them in one transaction)."""

    @functools.wraps(steps)
    def handler(cmd, uow, caller, *args, **kwargs):
        with uow:
            result = steps(cmd, uow, caller, *args, **kwargs)
            uow.commit()
        return result

    handler.within = steps  # type: ignore[attr-defined]
    return handler
