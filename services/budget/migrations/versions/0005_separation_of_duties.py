"""separation of duties: who last edited a draft standard

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A standard's author (created_by) and its last editor (updated_by) may not approve it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("standards", sa.Column("updated_by", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("standards", "updated_by")
