"""commitment contract version: the contract version a commitment's amount is from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Budget applies outsource's contract_amended to the commitment; an amendment changes the amount
only when its version is newer than the one stored (a replayed or out-of-order amendment is
stale). Commitments recorded before this come from the signing: version 1.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("commitments", sa.Column("contract_version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("commitments", "contract_version")
