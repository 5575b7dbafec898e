"""change routes: the approval route of each change type (configuration)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

One row per change type (normal, emergency, standard) that an administrator configured; a type
without a row follows the built-in default (ticket.domain.change.DEFAULT_ROUTES).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_routes",
        sa.Column("change_type", sa.Text, primary_key=True),
        sa.Column("definition", JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("change_routes")
