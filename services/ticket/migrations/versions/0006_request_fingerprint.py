"""idempotency keys remember their request: tickets.request_fingerprint

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A create with a known idempotency key replays the first ticket only when the request's
fingerprint (govkit.idempotency) matches; rows written before this revision have none and replay.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("request_fingerprint", sa.Text))


def downgrade() -> None:
    op.drop_column("tickets", "request_fingerprint")
