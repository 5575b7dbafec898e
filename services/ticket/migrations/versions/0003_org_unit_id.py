"""one vocabulary: the org unit columns are org_unit_id (was department)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Plain renames (names, not behaviour); the index on tickets follows its column.
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (("tickets", "department", "org_unit_id"),
           ("ticket_audit", "department", "org_unit_id"),
           ("department_sla_policies", "department", "org_unit_id"))
INDEXES = (("ix_tickets_department_created", "ix_tickets_org_unit_id_created"),)


def upgrade() -> None:
    for table, old, new in COLUMNS:
        op.alter_column(table, old, new_column_name=new)
    for old, new in INDEXES:
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")


def downgrade() -> None:
    for old, new in INDEXES:
        op.execute(f"ALTER INDEX {new} RENAME TO {old}")
    for table, old, new in COLUMNS:
        op.alter_column(table, new, new_column_name=old)
