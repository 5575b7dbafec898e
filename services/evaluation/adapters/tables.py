"""The evaluation service's tables (database govops_evaluation)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from govkit.db import kit_tables

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

# Every relevant event, kept as a durable fact: the source of truth Redis is rebuilt from.
facts = sa.Table(
    "facts", metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("dept", sa.Text),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("envelope", JSONB, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_facts_dept_occurred", "dept", "occurred_at"),
)
