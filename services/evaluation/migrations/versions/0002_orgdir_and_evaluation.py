"""org directory (read model of org events); nine-grid models, plans, manual scores, audit trail,
rectifications and accountability records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from govkit.orgdir import create_orgdir_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = ("eval_models", "eval_plans", "eval_manual_scores", "eval_audit", "rectifications",
           "accountability_records")


def upgrade() -> None:
    create_orgdir_tables(op)
    from evaluation.adapters.tables import metadata

    # The table definitions of this revision are those in adapters/tables.py at 0002; a later
    # change to a table gets its own revision with explicit operations.
    bind = op.get_bind()
    for name in _TABLES:
        metadata.tables[name].to_metadata(sa.MetaData()).create(bind)


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)
    for name in ("orgdir_shifts", "orgdir_group_members", "orgdir_groups", "orgdir_staff_positions",
                 "orgdir_staff", "orgdir_positions", "orgdir_units"):
        op.drop_table(name)
