"""process platform: catalogue, SLA (calendars, policies, deadlines), comments, attachments,
watchers, links, audit, knowledge base, alerts, the org directory; numbers for old tickets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from govkit.orgdir import create_orgdir_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = ("catalogue_items", "business_calendars", "sla_policies", "department_sla_policies",
              "sla_deadlines", "ticket_comments", "ticket_attachments", "ticket_watchers", "ticket_links",
              "ticket_audit", "kb_articles", "kb_article_versions", "alerts")


def upgrade() -> None:
    from ticket.adapters import tables as t
    from ticket.domain.calendar import DEFAULT_CALENDARS
    from ticket.domain.defaults import DEFAULT_CATALOGUE
    from ticket.domain.sla import DEFAULT_POLICIES

    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    existing = {c["name"] for c in sa.inspect(bind).get_columns("tickets")}
    for column in t.tickets.columns:
        if column.name not in existing:
            op.add_column("tickets", column.copy())
    for prefix in ("req", "inc", "prb", "chg"):
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS ticket_number_{prefix}")
    # Walking-skeleton tickets were incidents without numbers: give them one.
    op.execute("""UPDATE tickets SET number = 'INC-' || to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY')
                  || '-' || lpad(nextval('ticket_number_inc')::text, 6, '0') WHERE number IS NULL""")
    op.alter_column("tickets", "number", nullable=False)
    for name in NEW_TABLES:
        t.metadata.tables[name].to_metadata(sa.MetaData()).create(bind)
    create_orgdir_tables(op)
    op.create_index("ix_tickets_group_queue", "tickets", ["group_id", "resolution_due_at", "id"],
                    postgresql_where=sa.text("is_open"))
    op.create_index("ix_tickets_assignee_open", "tickets", ["assignee", "resolution_due_at", "id"],
                    postgresql_where=sa.text("is_open"))
    op.create_index("ix_tickets_requester_created", "tickets", ["requester", "created_at"])
    op.create_index("ux_tickets_number", "tickets", ["number"], unique=True)
    op.bulk_insert(t.calendars, [{"id": c.id, "definition": c.to_dict()} for c in DEFAULT_CALENDARS])
    op.bulk_insert(t.sla_policies, [{"id": p.id, "definition": p.to_dict()} for p in DEFAULT_POLICIES])
    op.bulk_insert(t.catalogue_items, [i.to_dict() for i in DEFAULT_CATALOGUE])


def downgrade() -> None:
    from govkit.orgdir import TABLES

    for table in TABLES:
        op.drop_table(table.name)
    for name in reversed(NEW_TABLES):
        op.drop_table(name)
    for prefix in ("req", "inc", "prb", "chg"):
        op.execute(f"DROP SEQUENCE IF EXISTS ticket_number_{prefix}")
    for column in ("number", "ticket_type", "impact", "urgency", "channel", "catalogue_item_id", "group_id",
                   "position_id", "assignee", "vendor_id", "pending_reason", "form", "details", "sla",
                   "sla_state", "response_due_at", "resolution_due_at", "resolution_code", "resolution",
                   "resolved_at", "closed_at", "closed_by", "reopen_count", "reassignment_count",
                   "first_assignee", "transferred", "rating", "rating_comment", "escalation_level", "is_open",
                   "updated_at"):
        op.drop_column("tickets", column)
