from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from govkit.events import Envelope

from ..domain.kpis import occurred_at, parse_time
from .tables import facts


class FactRepository:
    def __init__(self, conn):
        self.conn = conn

    def add(self, env: Envelope) -> bool:
        """Keep one event; False if it was kept before."""
        return bool(self.conn.execute(pg_insert(facts).values(
            event_id=env.id, type=env.type, subject=env.subject, org_unit_id=env.org_unit_id,
            occurred_at=parse_time(occurred_at(env)), envelope=env.to_dict(),
        ).on_conflict_do_nothing()).rowcount)

    def add_many(self, envs: list[Envelope]) -> None:
        if envs:
            # vars(): a shallow dict of the envelope (to_dict's deep copy costs more than the insert)
            self.conn.execute(pg_insert(facts).on_conflict_do_nothing(), [{
                "event_id": e.id, "type": e.type, "subject": e.subject, "org_unit_id": e.org_unit_id,
                "occurred_at": parse_time(occurred_at(e)), "envelope": dict(vars(e))} for e in envs])

    _RECORD_MANY = sa.text("""
        WITH batch AS (
          SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
            AS r(event_id text, type text, subject text, org_unit_id text, occurred_at timestamptz, envelope jsonb)),
        claimed AS (
          INSERT INTO inbox (consumer, event_id) SELECT :consumer, event_id FROM batch
          ON CONFLICT DO NOTHING RETURNING event_id),
        kept AS (
          INSERT INTO facts (event_id, type, subject, org_unit_id, occurred_at, envelope)
          SELECT b.event_id, b.type, b.subject, b.org_unit_id, b.occurred_at, b.envelope
          FROM batch b JOIN claimed c ON c.event_id = b.event_id
          ON CONFLICT DO NOTHING RETURNING 1)
        SELECT event_id FROM claimed""")

    def record_many(self, consumer: str, envs: list[Envelope]) -> set[str]:
        """Inbox claims and facts of a batch in one statement (one parameter, one compiled
        statement whatever the batch size); returns the ids that were new for `consumer`."""
        unique = list({e.id: e for e in envs}.values())
        if not unique:
            return set()
        rows = [{"event_id": e.id, "type": e.type, "subject": e.subject, "org_unit_id": e.org_unit_id,
                 "occurred_at": parse_time(occurred_at(e)).isoformat(), "envelope": vars(e)} for e in unique]
        return set(self.conn.execute(self._RECORD_MANY, {
            "consumer": consumer, "rows": json.dumps(rows, ensure_ascii=False, separators=(",", ":"))}).scalars())

    def iter_all(self, batch: int = 5000, until: datetime | None = None):
        q = sa.select(facts.c.envelope).order_by(facts.c.occurred_at, facts.c.event_id)
        if until is not None:
            q = q.where(facts.c.occurred_at < until)
        # Options on the statement, not the connection: Connection.execution_options() changes the
        # connection in place, and every later statement of the unit of work would be a cursor.
        result = self.conn.execute(q.execution_options(stream_results=True, yield_per=batch))
        for row in result:
            yield Envelope.from_dict(row.envelope)

    def count(self) -> int:
        return self.conn.execute(sa.select(sa.func.count()).select_from(facts)).scalar_one()
