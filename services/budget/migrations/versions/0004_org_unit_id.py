"""one vocabulary: org unit columns are org_unit_id (was department / unit) and a budget's
included org units are org_unit_ids (was units); the index and unique constraint follow

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (("assets", "department", "org_unit_id"),
           ("budgets", "unit", "org_unit_id"),
           ("budgets", "units", "org_unit_ids"),
           ("budget_groups", "department", "org_unit_id"),
           ("budget_lines", "department", "org_unit_id"),
           ("expenses", "department", "org_unit_id"))
INDEXES = (("ix_assets_department_kind_status", "ix_assets_org_unit_id_kind_status"),)
CONSTRAINTS = (("budgets", "uq_budgets_unit_year", "uq_budgets_org_unit_id_year"),)


def upgrade() -> None:
    for table, old, new in COLUMNS:
        op.alter_column(table, old, new_column_name=new)
    for old, new in INDEXES:
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")
    for table, old, new in CONSTRAINTS:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")


def downgrade() -> None:
    for table, old, new in CONSTRAINTS:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new} TO {old}")
    for old, new in INDEXES:
        op.execute(f"ALTER INDEX {new} RENAME TO {old}")
    for table, old, new in COLUMNS:
        op.alter_column(table, new, new_column_name=old)
