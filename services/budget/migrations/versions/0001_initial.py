"""outbox, inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
from alembic import op

from govkit.migrate import create_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op)


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
