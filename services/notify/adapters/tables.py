"""notify's tables (SQLAlchemy Core), the kit's outbox/inbox and the org directory replica."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from govkit.db import kit_tables
from govkit.orgdir import metadata as orgdir_metadata

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

# Contact addresses of org staff (org's staff_created carries them; the directory replica
# shared by every service does not).
contacts = sa.Table(
    "contacts", metadata,
    sa.Column("staff_id", sa.Text, primary_key=True),
    sa.Column("email", sa.Text, nullable=False, server_default=""),
    sa.Column("phone", sa.Text, nullable=False, server_default=""),
)

# Contact addresses of login users without a staff record (org's user_contact_changed): a
# ticket's requester is often such a department user, known by their login name.
user_contacts = sa.Table(
    "user_contacts", metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("email", sa.Text, nullable=False, server_default=""),
    sa.Column("phone", sa.Text, nullable=False, server_default=""),
)

# A person's notification centre: one row per (event, recipient), whatever the channels.
notifications = sa.Table(
    "notifications", metadata,
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
    sa.Index("ix_notifications_recipient_created", "recipient", "created_at"),
)

# One row per message to one channel: the delivery log and the sender's queue.
deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject_key", sa.Text, nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),        # staff id, or "robot" for a group robot
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("repeats", sa.Integer, nullable=False, server_default="0"),  # folded duplicates (dedupe window)
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Column("provider_message_id", sa.Text, nullable=False, server_default=""),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("template_error", sa.Text, nullable=False, server_default=""),
    sa.Column("message", JSONB, nullable=False),             # the rendered Message
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index("ix_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'::text")),
    sa.Index("ix_deliveries_created", "created_at"),
    sa.Index("ix_deliveries_recipient", "recipient"),
)

# The de-duplication window: the first message for a key opens it; repeats inside it are folded.
dedupe = sa.Table(
    "dedupe", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivery_id", sa.Uuid, nullable=False),
)

preferences = sa.Table(
    "preferences", metadata,
    sa.Column("staff_id", sa.Text, primary_key=True),
    sa.Column("channels", JSONB, nullable=False, server_default="{}"),
    sa.Column("quiet_start", sa.Time),
    sa.Column("quiet_end", sa.Time),
)

# An administrator's template for one event kind and channel (overrides the built-in one); every
# save is a new version, the old ones stay (who changed what, when).
templates = sa.Table(
    "templates", metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("channel", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),  # false: a reset back to the built-in template
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

for _t in orgdir_metadata.tables.values():
    _t.to_metadata(metadata)
