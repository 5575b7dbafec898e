"""rectification tickets: their own number sequence (RCT-YYYY-NNNNNN)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A `rectification` ticket is evaluation's rectification work: a due date of its own, no SLA
policy. ticket_type is plain text, so only the number sequence is new.
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS ticket_number_rct")


def downgrade() -> None:
    op.execute("DROP SEQUENCE IF EXISTS ticket_number_rct")
