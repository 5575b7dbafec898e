"""users: pinyin search and sort keys of the display name (ListUsers finds 张三 by "zs" and sorts
in pinyin order), backfilled for existing users

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from govkit.pinyin import pinyin_keys

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("pinyin", sa.Text, nullable=False, server_default=""))
    op.add_column("users", sa.Column("initials", sa.Text, nullable=False, server_default=""))
    # Computed in Python: the same keys new and renamed users get (govkit.pinyin), which SQL cannot.
    conn = op.get_bind()
    users = sa.table("users", sa.column("username"), sa.column("display_name"), sa.column("pinyin"),
                     sa.column("initials"))
    for username, display_name in conn.execute(sa.select(users.c.username, users.c.display_name)).all():
        full, initials = pinyin_keys(display_name or "")
        conn.execute(users.update().where(users.c.username == username).values(pinyin=full, initials=initials))


def downgrade() -> None:
    op.drop_column("users", "initials")
    op.drop_column("users", "pinyin")
