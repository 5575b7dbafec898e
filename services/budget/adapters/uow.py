from __future__ import annotations

import csv
import io
import json
import uuid

import sqlalchemy as sa

from govkit import logs
from govkit.auth import SYSTEM, Scope
from govkit.db import OUTBOX_CHANNEL
from govkit.events import Event, jsonable, utcnow
from govkit.uow import SqlUnitOfWork

from .repository import AssetRepository, BudgetRepository, OrgUnitRepository, StandardRepository


class BudgetUnitOfWork(SqlUnitOfWork):
    def __init__(self, engine, scope: Scope = SYSTEM.scope):
        super().__init__(engine)
        self.scope = scope
        self.bulk_events: list[Event] = []

    def bind(self, conn) -> None:
        self.org_units = OrgUnitRepository(conn)
        self.assets = AssetRepository(conn, self.scope)
        self.standards = StandardRepository(conn)
        self.budgets = BudgetRepository(conn, self.scope)
        self.bulk_events = []

    def collect_bulk(self, events: list[Event]) -> None:
        """Like `collect`, for many flat events at once (an import): written with COPY at commit."""
        self.bulk_events.extend(events)

    def commit(self) -> None:
        if self.bulk_events:
            copy_outbox(self.conn, self.bulk_events, logs.current("correlation_id"))
            self.bulk_events = []
        super().commit()

    def rollback(self) -> None:
        self.bulk_events = []
        super().rollback()


def copy_outbox(conn, events: list[Event], correlation_id: str | None) -> None:
    """The kit's outbox rows (same envelope as govkit.events.Envelope.wrap) written with COPY:
    ~10× faster than row inserts for the 100k events of a large import. Events must be flat
    dataclasses (their fields JSON values already), which budget's asset events are."""
    at = jsonable(utcnow())
    buf = io.StringIO()
    w = csv.writer(buf)
    for e in events:
        event_id = str(uuid.uuid4())
        envelope = {"id": event_id, "source": e.source, "type": e.event_type(), "time": at,
                    "subject": e.event_subject(), "dept": e.event_dept(), "correlationid": correlation_id,
                    "data": jsonable(vars(e)), "specversion": "1.0", "datacontenttype": "application/json"}
        w.writerow([event_id, envelope["type"], json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))])
    buf.seek(0)
    conn.connection.driver_connection.cursor().copy_expert(
        "COPY outbox (id, type, envelope) FROM STDIN WITH (FORMAT csv)", buf)
    conn.execute(sa.text("SELECT pg_notify(:c, '')"), {"c": OUTBOX_CHANNEL})
