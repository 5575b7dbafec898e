"""configuration base, quota standards, budgets, lines, expenses, org read model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in budget.adapters.tables; this revision creates exactly
    # that set (later revisions alter with explicit op.* calls).
    from budget.adapters.tables import DOMAIN_TABLES

    bind = op.get_bind()
    for table in DOMAIN_TABLES:
        table.create(bind)


def downgrade() -> None:
    from budget.adapters.tables import DOMAIN_TABLES

    bind = op.get_bind()
    for table in reversed(DOMAIN_TABLES):
        table.drop(bind)
