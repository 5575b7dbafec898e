"""process platform: catalogue, SLA (calendars, policies, deadlines), comments, attachments,
watchers, links, audit, knowledge base, alerts, the org directory; numbers for old tickets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The tables are written out here, not copied from adapters/tables.py: a revision must create the
same schema whenever it runs, whatever the live tables say later (tests/integration/
test_schema_drift.py checks the two agree at head).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from govkit.migrate import create_orgdir_tables, drop_orgdir_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = ("catalogue_items", "business_calendars", "sla_policies", "department_sla_policies",
              "sla_deadlines", "ticket_comments", "ticket_attachments", "ticket_watchers", "ticket_links",
              "ticket_audit", "kb_articles", "kb_article_versions", "alerts")

TZ = sa.DateTime(timezone=True)


def _new_ticket_columns() -> tuple[sa.Column, ...]:
    """In the order they are added (the order of the table's columns in the database)."""
    return (
        sa.Column("number", sa.Text),  # NOT NULL once old tickets have one, below
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
        sa.Column("response_due_at", TZ),
        sa.Column("resolution_due_at", TZ),
        sa.Column("resolution_code", sa.Text),
        sa.Column("resolution", sa.Text),
        sa.Column("resolved_at", TZ),
        sa.Column("closed_at", TZ),
        sa.Column("closed_by", sa.Text),
        sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reassignment_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_assignee", sa.Text),
        sa.Column("transferred", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("rating", sa.SmallInteger),
        sa.Column("rating_comment", sa.Text),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_open", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("updated_at", TZ),
    )


def _create_tables() -> None:
    op.create_table(
        "catalogue_items",
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
    )
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("definition", JSONB, nullable=False),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("definition", JSONB, nullable=False),
    )
    op.create_table(
        "department_sla_policies",
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("sla_policy_id", sa.Text, nullable=False),
    )
    op.create_table(
        "sla_deadlines",
        sa.Column("ticket_id", sa.Uuid, primary_key=True),
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("due_at", TZ, nullable=False),
    )
    op.create_index("ix_sla_deadlines_due", "sla_deadlines", ["due_at"])
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("ticket_id", sa.Uuid, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("visibility", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_ticket_comments_ticket_id", "ticket_comments", ["ticket_id"])
    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("ticket_id", sa.Uuid, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_ticket_attachments_ticket_id", "ticket_attachments", ["ticket_id"])
    op.create_table(
        "ticket_watchers",
        sa.Column("ticket_id", sa.Uuid, primary_key=True),
        sa.Column("subject", sa.Text, primary_key=True),
    )
    op.create_table(
        "ticket_links",
        sa.Column("from_id", sa.Uuid, primary_key=True),
        sa.Column("to_id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_ticket_links_to", "ticket_links", ["to_id"])
    op.create_table(
        "ticket_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("ticket_id", sa.Uuid, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("before", JSONB, nullable=False),
        sa.Column("after", JSONB, nullable=False),
    )
    op.create_index("ix_ticket_audit_ticket", "ticket_audit", ["ticket_id", "id"])
    op.create_index("ix_ticket_audit_actor", "ticket_audit", ["actor", "id"])
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("catalogue_item_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("problem_id", sa.Uuid),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("search", TSVECTOR, nullable=False),
    )
    op.create_index("ix_kb_articles_search", "kb_articles", ["search"], postgresql_using="gin")
    op.create_table(
        "kb_article_versions",
        sa.Column("article_id", sa.Uuid, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("alertname", sa.Text, nullable=False),
        sa.Column("incident_id", sa.Uuid),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("repeat_count", sa.Integer, nullable=False),
        sa.Column("labels", JSONB, nullable=False),
        sa.Column("first_at", TZ, nullable=False),
        sa.Column("last_at", TZ, nullable=False),
    )


def upgrade() -> None:
    from ticket.domain.calendar import DEFAULT_CALENDARS
    from ticket.domain.defaults import DEFAULT_CATALOGUE
    from ticket.domain.sla import DEFAULT_POLICIES

    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in _new_ticket_columns():
        op.add_column("tickets", column)
    for prefix in ("req", "inc", "prb", "chg"):
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS ticket_number_{prefix}")
    # Walking-skeleton tickets were incidents without numbers: give them one.
    op.execute("""UPDATE tickets SET number = 'INC-' || to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY')
                  || '-' || lpad(nextval('ticket_number_inc')::text, 6, '0') WHERE number IS NULL""")
    op.alter_column("tickets", "number", nullable=False)
    _create_tables()
    create_orgdir_tables(op)
    op.create_index("ix_tickets_group_queue", "tickets", ["group_id", "resolution_due_at", "id"],
                    postgresql_where=sa.text("is_open"))
    op.create_index("ix_tickets_assignee_open", "tickets", ["assignee", "resolution_due_at", "id"],
                    postgresql_where=sa.text("is_open"))
    op.create_index("ix_tickets_requester_created", "tickets", ["requester", "created_at"])
    op.create_index("ux_tickets_number", "tickets", ["number"], unique=True)

    # The default reference data, as the domain defines it when this revision runs.
    calendars = sa.table("business_calendars", sa.column("id", sa.Text), sa.column("definition", JSONB))
    policies = sa.table("sla_policies", sa.column("id", sa.Text), sa.column("definition", JSONB))
    catalogue = sa.table(
        "catalogue_items",
        *(sa.column(name, sa.Text) for name in ("id", "parent_id", "name", "category", "kind", "ticket_type",
                                                 "impact", "urgency", "sla_policy_id", "group_id",
                                                 "position_id", "description")),
        sa.column("form_schema", JSONB), sa.column("active", sa.Boolean), sa.column("sort", sa.Integer),
    )
    op.bulk_insert(calendars, [{"id": c.id, "definition": c.to_dict()} for c in DEFAULT_CALENDARS])
    op.bulk_insert(policies, [{"id": p.id, "definition": p.to_dict()} for p in DEFAULT_POLICIES])
    op.bulk_insert(catalogue, [i.to_dict() for i in DEFAULT_CATALOGUE])


def downgrade() -> None:
    drop_orgdir_tables(op)
    for name in reversed(NEW_TABLES):
        op.drop_table(name)
    for prefix in ("req", "inc", "prb", "chg"):
        op.execute(f"DROP SEQUENCE IF EXISTS ticket_number_{prefix}")
    for column in reversed(_new_ticket_columns()):
        op.drop_column("tickets", column.name)
