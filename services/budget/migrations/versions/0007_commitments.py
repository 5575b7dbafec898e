"""commitments: a signed O&M contract reserves budget; what became of each spending line

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

`commitments` holds one reservation per contract (open, over_budget, approved — with the
over-budget approval's approver and reason). `expenses.status` says whether a line is spending
against its budget (counted) or kept only for reconciliation (unmatched, not_om, blocked);
`expenses.commitment_id` names the commitment a payment consumed.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Text(), nullable=False),
        sa.Column("project_id", sa.Text(), server_default="", nullable=False),
        sa.Column("vendor_id", sa.Text(), server_default="", nullable=False),
        sa.Column("budget_id", sa.Uuid(), nullable=True),
        sa.Column("org_unit_id", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("fee_category", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("signed_by", sa.Text(), server_default="", nullable=False),
        sa.Column("approved_by", sa.Text(), server_default="", nullable=False),
        sa.Column("approval_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["budget_id"], ["budgets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id"),
    )
    op.create_index("ix_commitments_budget", "commitments", ["budget_id"], unique=False)
    op.add_column("expenses", sa.Column("status", sa.Text(), server_default="counted", nullable=False))
    op.add_column("expenses", sa.Column("commitment_id", sa.Uuid(), nullable=True))
    op.create_index("ix_expenses_commitment", "expenses", ["commitment_id"], unique=False)
    op.execute("UPDATE expenses SET status = 'unmatched' WHERE budget_id IS NULL")


def downgrade() -> None:
    op.drop_index("ix_expenses_commitment", table_name="expenses")
    op.drop_column("expenses", "commitment_id")
    op.drop_column("expenses", "status")
    op.drop_index("ix_commitments_budget", table_name="commitments")
    op.drop_table("commitments")
