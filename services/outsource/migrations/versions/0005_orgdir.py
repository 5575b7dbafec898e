"""outsource keeps the kit's org directory (govkit.orgdir) to check the units requests name

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

The tables as govkit.migrate.create_orgdir_tables freezes them (ticket's and evaluation's 0002).
They start empty: outsource-worker fills them from org's events from now on; an existing
deployment loads what org already holds once through the worker's nameko RPC
`outsource.sync_org_directory` (as any new consumer of the directory, govkit.orgdir), or
projects, vendors and complaints naming a unit are refused as unknown until then.
"""
from alembic import op

from govkit.migrate import create_orgdir_tables, drop_orgdir_tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_orgdir_tables(op)


def downgrade() -> None:
    drop_orgdir_tables(op)
