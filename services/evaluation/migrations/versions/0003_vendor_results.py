"""vendor results from outsource's SLA reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vendor_results",
        sa.Column("report_id", sa.Text, primary_key=True),
        sa.Column("contract_id", sa.Text, nullable=False),
        sa.Column("vendor_id", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("tickets", sa.Integer, nullable=False),
        sa.Column("response_attainment_pct", sa.Numeric(6, 2), nullable=False),
        sa.Column("resolution_attainment_pct", sa.Numeric(6, 2), nullable=False),
        sa.Column("breaches", sa.Integer, nullable=False),
        sa.Column("penalty_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_vendor_results_vendor_period", "vendor_results", ["vendor_id", "period_start"])


def downgrade() -> None:
    op.drop_table("vendor_results")
