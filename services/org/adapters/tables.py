"""The org service's tables (database govops_org)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from govkit.db import kit_tables

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

org_units = sa.Table(
    "org_units", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_id", sa.Text, sa.ForeignKey("org_units.id")),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_org_units_parent", "parent_id"),
)

org_unit_history = sa.Table(
    "org_unit_history", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("before", JSONB),
    sa.Column("after", JSONB),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_org_unit_history_unit", "org_unit_id", "seq"),
)

positions = sa.Table(
    "positions", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("org_unit_id", sa.Text, sa.ForeignKey("org_units.id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_position_id", sa.Text, sa.ForeignKey("positions.id")),
    sa.Column("responsibilities", JSONB, nullable=False, server_default="[]"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("ix_positions_unit", "org_unit_id"),
)

staff = sa.Table(
    "staff", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, sa.ForeignKey("org_units.id"), nullable=False),
    sa.Column("vendor_id", sa.Text),
    sa.Column("phone", sa.Text, nullable=False, server_default=""),
    sa.Column("email", sa.Text, nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("pinyin", sa.Text, nullable=False, server_default=""),
    sa.Column("initials", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_staff_unit", "org_unit_id"),
)

staff_positions = sa.Table(
    "staff_positions", metadata,
    sa.Column("staff_id", sa.Text, sa.ForeignKey("staff.id"), primary_key=True),
    sa.Column("position_id", sa.Text, sa.ForeignKey("positions.id"), primary_key=True),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Index("ix_staff_positions_position", "position_id"),
)

support_groups = sa.Table(
    "support_groups", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, sa.ForeignKey("org_units.id"), nullable=False),
    sa.Column("lead_position_id", sa.Text, sa.ForeignKey("positions.id")),
)

group_members = sa.Table(
    "group_members", metadata,
    sa.Column("group_id", sa.Text, sa.ForeignKey("support_groups.id"), primary_key=True),
    sa.Column("staff_id", sa.Text, sa.ForeignKey("staff.id"), primary_key=True),
)

shifts = sa.Table(
    "shifts", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("group_id", sa.Text, sa.ForeignKey("support_groups.id"), nullable=False),
    sa.Column("staff_id", sa.Text, sa.ForeignKey("staff.id"), nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_shifts_group_start", "group_id", "starts_at"),
    sa.Index("ix_shifts_staff_start", "staff_id", "starts_at"),
)

# One row per PublishRoster (portal, import, demo): who published which period and when, so a
# refused stale edit can name them. Written in the publish's own transaction.
roster_publishes = sa.Table(
    "roster_publishes", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("group_id", sa.Text, sa.ForeignKey("support_groups.id"), nullable=False),
    sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("publisher", sa.Text, nullable=False),
    sa.Column("publisher_name", sa.Text, nullable=False, server_default=""),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Index("ix_roster_publishes_group_start", "group_id", "period_start"),
)

roles = sa.Table(
    "roles", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("permissions", JSONB, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False, server_default=sa.false()),
)

role_assignments = sa.Table(
    "role_assignments", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("role", sa.Text, sa.ForeignKey("roles.code"), nullable=False),
    sa.Column("org_unit_id", sa.Text, sa.ForeignKey("org_units.id"), nullable=False),
    sa.Column("subtree", sa.Boolean, nullable=False),
    sa.Column("granted_by", sa.Text, nullable=False),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("subject", "role", "org_unit_id", name="uq_role_assignment"),
    sa.Index("ix_role_assignments_subject", "subject"),
)

users = sa.Table(
    "users", metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("staff_id", sa.Text, sa.ForeignKey("staff.id")),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("email", sa.Text, nullable=False, server_default=""),
    sa.Column("mobile", sa.Text, nullable=False, server_default=""),
    # pinyin keys of display_name (govkit.pinyin): ListUsers searches and sorts by them
    sa.Column("pinyin", sa.Text, nullable=False, server_default=""),
    sa.Column("initials", sa.Text, nullable=False, server_default=""),
)

refresh_tokens = sa.Table(
    "refresh_tokens", metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Index("ix_refresh_tokens_subject", "subject"),
)

service_accounts = sa.Table(
    "service_accounts", metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("secret_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", sa.Text, nullable=False),
)
