"""catalogue items carry a version (optimistic concurrency of the administration page)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

UpsertCatalogueItem with expected_version refuses a stale save; existing items start at 1.
Articles already have a version (kb_articles.version).
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalogue_items", sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("catalogue_items", "version")
