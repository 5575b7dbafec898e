"""idempotency keys remember their request: projects.request_fingerprint, payments.request_fingerprint

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A create with a known idempotency key replays the first project or payment only when the
request's fingerprint (govkit.idempotency) matches; rows written before this revision have none
and replay.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("projects", "payments")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("request_fingerprint", sa.Text))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "request_fingerprint")
