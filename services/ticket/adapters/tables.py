"""The ticket service's tables (database govops_ticket)."""

import sqlalchemy as sa

from govkit.db import kit_tables

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("requester", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_tickets_department_created", "department", "created_at"),
    sa.Index("ux_tickets_idempotency", "requester", "idempotency_key", unique=True,
             postgresql_where=sa.text("idempotency_key IS NOT NULL")),
)
