"""users: e-mail and mobile (notify reaches requesters without a staff record)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.Text, nullable=False, server_default=""))
    op.add_column("users", sa.Column("mobile", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("users", "mobile")
    op.drop_column("users", "email")
