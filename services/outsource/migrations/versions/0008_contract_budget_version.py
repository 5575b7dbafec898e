"""contract budget version: the contract version budget's decision is about

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Budget applies amendments to a contract's commitment and its commitment events carry
`contract_version`. Outsource keeps the version of the decision its `budget_status` is from, so a
decision about a newer version (an amendment refused beyond the available amount) replaces an
earlier one — even an approval — while an older decision arriving late changes nothing. Decisions
recorded before this were about the signing: version 1.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contracts", sa.Column("budget_version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("contracts", "budget_version")
