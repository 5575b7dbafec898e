"""budget reads the kit's org directory (govkit.orgdir) instead of its own org_units copy

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The org directory's tables as they are at this revision, written out (not imported from
govkit.orgdir), so a later change to the kit gets its own revision. Units budget already knew
are carried over (as departments; the next org event or `sync_org_directory` corrects the kind).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orgdir_units",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Text()),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "orgdir_positions",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("org_unit_id", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_position_id", sa.Text()),
        sa.Column("responsibilities", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "orgdir_staff",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("org_unit_id", sa.Text(), nullable=False),
        sa.Column("vendor_id", sa.Text()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "orgdir_staff_positions",
        sa.Column("staff_id", sa.Text(), primary_key=True),
        sa.Column("position_id", sa.Text(), primary_key=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
    )
    op.create_index("ix_orgdir_staff_positions_position", "orgdir_staff_positions", ["position_id"])
    op.create_table(
        "orgdir_groups",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("org_unit_id", sa.Text(), nullable=False),
        sa.Column("lead_position_id", sa.Text()),
    )
    op.create_table(
        "orgdir_group_members",
        sa.Column("group_id", sa.Text(), primary_key=True),
        sa.Column("staff_id", sa.Text(), primary_key=True),
    )
    op.create_table(
        "orgdir_shifts",
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_orgdir_shifts_group_start", "orgdir_shifts", ["group_id", "starts_at"])
    op.execute("INSERT INTO orgdir_units (id, name, parent_id, kind) "
               "SELECT id, name, parent_id, 'department' FROM org_units")
    op.drop_table("org_units")


def downgrade() -> None:
    op.create_table(
        "org_units",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.execute("INSERT INTO org_units (id, name, parent_id) SELECT id, name, parent_id FROM orgdir_units")
    for name in ("orgdir_shifts", "orgdir_group_members", "orgdir_groups", "orgdir_staff_positions",
                 "orgdir_staff", "orgdir_positions", "orgdir_units"):
        op.drop_table(name)
