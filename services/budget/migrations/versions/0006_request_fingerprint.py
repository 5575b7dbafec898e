"""idempotency keys remember their request: expenses.request_fingerprint

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A create with a known idempotency key replays the first expense (a manual expense's key) only when the request's
fingerprint (govkit.idempotency) matches; rows written before this revision have none and replay.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("expenses", sa.Column("request_fingerprint", sa.Text))


def downgrade() -> None:
    op.drop_column("expenses", "request_fingerprint")
