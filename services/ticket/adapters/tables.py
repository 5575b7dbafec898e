"""The ticket service's tables (database govops_ticket)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from govkit.db import kit_tables
from govkit.orgdir import TABLES as ORGDIR_TABLES  # noqa: F401  (kept in the same database)
from govkit.orgdir import metadata as orgdir_metadata

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("requester", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("request_fingerprint", sa.Text),  # 0004: govkit.idempotency, with the key
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # 0002: the process platform
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("ticket_type", sa.Text, nullable=False, server_default="incident"),
    sa.Column("impact", sa.Text, nullable=False, server_default="medium"),
    sa.Column("urgency", sa.Text, nullable=False, server_default="medium"),
    sa.Column("channel", sa.Text, nullable=False, server_default="api"),
    sa.Column("catalogue_item_id", sa.Text),
    sa.Column("group_id", sa.Text),
    sa.Column("position_id", sa.Text),
    sa.Column("assignee", sa.Text),
    sa.Column("vendor_id", sa.Text),
    sa.Column("pending_reason", sa.Text),
    sa.Column("form", JSONB, nullable=False, server_default="{}"),
    sa.Column("details", JSONB, nullable=False, server_default="{}"),
    sa.Column("sla", JSONB),
    sa.Column("sla_state", sa.Text, nullable=False, server_default="none"),
    sa.Column("response_due_at", sa.DateTime(timezone=True)),
    sa.Column("resolution_due_at", sa.DateTime(timezone=True)),
    sa.Column("resolution_code", sa.Text),
    sa.Column("resolution", sa.Text),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("closed_by", sa.Text),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reassignment_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_assignee", sa.Text),
    sa.Column("transferred", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("rating", sa.SmallInteger),
    sa.Column("rating_comment", sa.Text),
    sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_open", sa.Boolean, nullable=False, server_default="true"),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

catalogue_items = sa.Table(
    "catalogue_items", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("parent_id", sa.Text),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("ticket_type", sa.Text, nullable=False),
    sa.Column("impact", sa.Text, nullable=False),
    sa.Column("urgency", sa.Text, nullable=False),
    sa.Column("sla_policy_id", sa.Text),
    sa.Column("group_id", sa.Text),
    sa.Column("position_id", sa.Text),
    sa.Column("form_schema", JSONB, nullable=False, server_default="{}"),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
    sa.Column("sort", sa.Integer, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),  # 0008: optimistic concurrency
)

calendars = sa.Table(
    "business_calendars", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("definition", JSONB, nullable=False),
)
sla_policies = sa.Table(
    "sla_policies", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("definition", JSONB, nullable=False),
)
department_sla = sa.Table(
    "department_sla_policies", metadata,
    sa.Column("org_unit_id", sa.Text, primary_key=True),
    sa.Column("sla_policy_id", sa.Text, nullable=False),
)

# 0004: the approval route of each change type (absent: domain.change.DEFAULT_ROUTES)
change_routes = sa.Table(
    "change_routes", metadata,
    sa.Column("change_type", sa.Text, primary_key=True),
    sa.Column("definition", JSONB, nullable=False),
)

sla_deadlines = sa.Table(
    "sla_deadlines", metadata,
    sa.Column("ticket_id", sa.Uuid, primary_key=True),
    sa.Column("target", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
)

comments = sa.Table(
    "ticket_comments", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("ticket_id", sa.Uuid, nullable=False, index=True),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("visibility", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
attachments = sa.Table(
    "ticket_attachments", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("ticket_id", sa.Uuid, nullable=False, index=True),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("uploaded_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
watchers = sa.Table(
    "ticket_watchers", metadata,
    sa.Column("ticket_id", sa.Uuid, primary_key=True),
    sa.Column("subject", sa.Text, primary_key=True),
)
links = sa.Table(
    "ticket_links", metadata,
    sa.Column("from_id", sa.Uuid, primary_key=True),
    sa.Column("to_id", sa.Uuid, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),  # relates | duplicates | problem_incident | change_for
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_ticket_links_to", "to_id"),
)
audit = sa.Table(
    "ticket_audit", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("ticket_id", sa.Uuid, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("before", JSONB, nullable=False),
    sa.Column("after", JSONB, nullable=False),
    sa.Index("ix_ticket_audit_ticket", "ticket_id", "id"),
    sa.Index("ix_ticket_audit_actor", "actor", "id"),
)
saved_views = sa.Table(
    "ticket_saved_views", metadata,
    sa.Column("owner", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("view", sa.Text, nullable=False),
    sa.Column("filter", JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
articles = sa.Table(
    "kb_articles", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("catalogue_item_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("problem_id", sa.Uuid),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("search", TSVECTOR, nullable=False),
    sa.Index("ix_kb_articles_search", "search", postgresql_using="gin"),
)
article_versions = sa.Table(
    "kb_article_versions", metadata,
    sa.Column("article_id", sa.Uuid, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
alerts = sa.Table(
    "alerts", metadata,
    sa.Column("fingerprint", sa.Text, primary_key=True),
    sa.Column("alertname", sa.Text, nullable=False),
    sa.Column("incident_id", sa.Uuid),  # the open incident for this fingerprint, null once resolved
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("repeat_count", sa.Integer, nullable=False),
    sa.Column("labels", JSONB, nullable=False),
    sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)

for _t in orgdir_metadata.tables.values():
    _t.to_metadata(metadata)

# Indexes created by migrations 0001, 0002 and 0008 (declared here so the metadata matches the database).
sa.Index("ix_tickets_org_unit_id_created", tickets.c.org_unit_id, tickets.c.created_at)
sa.Index("ux_tickets_idempotency", tickets.c.requester, tickets.c.idempotency_key, unique=True,
         postgresql_where=tickets.c.idempotency_key.is_not(None))
sa.Index("ix_tickets_group_queue", tickets.c.group_id, tickets.c.resolution_due_at, tickets.c.id,
         postgresql_where=tickets.c.is_open)
sa.Index("ix_tickets_assignee_open", tickets.c.assignee, tickets.c.resolution_due_at, tickets.c.id,
         postgresql_where=tickets.c.is_open)
sa.Index("ix_tickets_open_due", tickets.c.resolution_due_at, tickets.c.id, postgresql_where=tickets.c.is_open)
sa.Index("ix_tickets_unassigned_due", tickets.c.resolution_due_at, tickets.c.id,
         postgresql_where=sa.text("is_open AND assignee IS NULL"))
sa.Index("ix_tickets_requester_created", tickets.c.requester, tickets.c.created_at)
sa.Index("ux_tickets_number", tickets.c.number, unique=True)
sa.Index("ix_sla_deadlines_due", sla_deadlines.c.due_at)
