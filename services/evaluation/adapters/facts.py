from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from govkit.events import Envelope

from .tables import facts


class FactRepository:
    def __init__(self, conn):
        self.conn = conn

    def add(self, env: Envelope) -> None:
        self.conn.execute(pg_insert(facts).values(
            event_id=env.id, type=env.type, subject=env.subject, dept=env.dept,
            occurred_at=datetime.fromisoformat(env.time), envelope=env.to_dict(),
        ).on_conflict_do_nothing())

    def iter_all(self, batch: int = 5000):
        result = self.conn.execution_options(stream_results=True, yield_per=batch).execute(
            sa.select(facts.c.envelope).order_by(facts.c.occurred_at, facts.c.event_id))
        for row in result:
            yield Envelope.from_dict(row.envelope)

    def count(self) -> int:
        return self.conn.execute(sa.select(sa.func.count()).select_from(facts)).scalar_one()
