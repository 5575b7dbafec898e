"""user_contacts: e-mail and mobile of login users without a staff record (org user_contact_changed)

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
    op.create_table(
        "user_contacts",
        sa.Column("username", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, nullable=False, server_default=""),
        sa.Column("phone", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("user_contacts")
