"""contract budget status: budget's decision on a signed contract's commitment

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

`contracts.budget_status` (pending, committed, blocked, approved, not_om), the commitment budget
recorded, budget's note (why it refused, who approved) and who signed. Only an O&M project names
a fee category: planning and construction projects lose theirs (it was never theirs to name).
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contracts", sa.Column("budget_status", sa.Text(), server_default="pending", nullable=False))
    op.add_column("contracts", sa.Column("commitment_id", sa.Text(), nullable=True))
    op.add_column("contracts", sa.Column("budget_note", sa.Text(), server_default="", nullable=False))
    op.add_column("contracts", sa.Column("signed_by", sa.Text(), server_default="", nullable=False))
    op.execute("UPDATE projects SET fee_category = '' WHERE kind <> 'om'")
    op.execute("UPDATE contracts SET budget_status = 'not_om' FROM projects "
               "WHERE projects.id = contracts.project_id AND projects.kind <> 'om'")


def downgrade() -> None:
    for column in ("signed_by", "budget_note", "commitment_id", "budget_status"):
        op.drop_column("contracts", column)
