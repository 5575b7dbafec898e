import sqlalchemy as sa

from govkit.db import kit_tables

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

org_units = sa.Table(
    "org_units", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_id", sa.Text, sa.ForeignKey("org_units.id")),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
