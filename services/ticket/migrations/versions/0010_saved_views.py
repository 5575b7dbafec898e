"""saved queue views kept by the service: ticket_saved_views

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

The queue page kept its named views in the browser's localStorage, so they were lost on another
browser or device. One row per user and name now; the filter is the ListQueue filter's JSON.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_saved_views",
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("view", sa.Text, nullable=False),
        sa.Column("filter", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_saved_views")
