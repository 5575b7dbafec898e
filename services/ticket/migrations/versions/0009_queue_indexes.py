"""operations window: indexes for the "all in scope" and "unassigned" queues sorted by SLA due

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

The group and my-queue views already walk (group_id | assignee, resolution_due_at, id) WHERE
is_open. "All open in scope" and "unassigned" had no index in due order, so each page sorted every
open ticket (bench/ops.py: 1M stored, 300k open). Both are partial, like the others.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_open_due", "tickets", ["resolution_due_at", "id"], postgresql_where=sa.text("is_open"))
    op.create_index("ix_tickets_unassigned_due", "tickets", ["resolution_due_at", "id"],
                    postgresql_where=sa.text("is_open AND assignee IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_tickets_unassigned_due", table_name="tickets")
    op.drop_index("ix_tickets_open_due", table_name="tickets")
