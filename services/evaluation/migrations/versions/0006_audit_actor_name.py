"""the audit trail keeps the actor's display name: eval_audit.actor_name

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

An evaluator reading the trail saw login names only: the evaluation service may not ask org for
other users' names, but each actor's token carries their own. Rows before this revision keep ''.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("eval_audit", sa.Column("actor_name", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("eval_audit", "actor_name")
