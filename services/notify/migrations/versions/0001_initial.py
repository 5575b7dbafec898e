"""outbox, inbox, the org directory replica, contacts, notifications, deliveries, dedupe, preferences

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from govkit.migrate import create_kit_tables, create_orgdir_tables, drop_orgdir_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op)
    create_orgdir_tables(op)
    op.create_table(
        "contacts",
        sa.Column("staff_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, nullable=False, server_default=""),
        sa.Column("phone", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("subject_key", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "recipient", name="uq_notifications_event_recipient"),
    )
    op.create_index("ix_notifications_recipient_created", "notifications", ["recipient", "created_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("subject_key", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("repeats", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("provider_message_id", sa.Text, nullable=False, server_default=""),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("template_error", sa.Text, nullable=False, server_default=""),
        sa.Column("message", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'::text"))
    op.create_index("ix_deliveries_created", "deliveries", ["created_at"])
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient"])
    op.create_table(
        "dedupe",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_id", sa.Uuid, nullable=False),
    )
    op.create_table(
        "preferences",
        sa.Column("staff_id", sa.Text, primary_key=True),
        sa.Column("channels", JSONB, nullable=False, server_default="{}"),
        sa.Column("quiet_start", sa.Time),
        sa.Column("quiet_end", sa.Time),
    )


def downgrade() -> None:
    for table in ("preferences", "dedupe", "deliveries", "notifications", "contacts"):
        op.drop_table(table)
    drop_orgdir_tables(op)
    op.drop_table("inbox")
    op.drop_table("outbox")
