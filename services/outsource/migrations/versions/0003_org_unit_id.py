"""one vocabulary: ticket_facts.department is org_unit_id (the ticket events' field name)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column('ticket_facts', 'department', new_column_name='org_unit_id')


def downgrade() -> None:
    op.alter_column('ticket_facts', 'org_unit_id', new_column_name='department')
