"""roster_publishes: who published a group's roster period, when, and the version it produced

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Shifts published before this revision have no row: a stale refusal over them keeps saying
    # "someone else" (model.expect_roster_version).
    op.create_table(
        "roster_publishes",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("publisher_name", sa.Text(), server_default="", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["support_groups.id"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_roster_publishes_group_start", "roster_publishes", ["group_id", "period_start"])


def downgrade() -> None:
    op.drop_index("ix_roster_publishes_group_start", table_name="roster_publishes")
    op.drop_table("roster_publishes")
