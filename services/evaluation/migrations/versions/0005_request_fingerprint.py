"""idempotency keys remember their request: eval_plans.request_fingerprint

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A create with a known idempotency key replays the first plan only when the request's
fingerprint (govkit.idempotency) matches; rows written before this revision have none and replay.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("eval_plans", sa.Column("request_fingerprint", sa.Text))


def downgrade() -> None:
    op.drop_column("eval_plans", "request_fingerprint")
