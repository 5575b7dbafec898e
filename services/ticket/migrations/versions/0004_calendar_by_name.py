"""a policy names a calendar, not a year: cn-2026 becomes cn

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

The shipped sample `cn-2026` (its note starts with SAMPLE DATA; it lacked the make-up workday of
4 January 2026) is dropped: the service stores the statutory `cn` calendar in its place. A
`cn-2026` an administrator replaced is kept and renamed `cn`. Policies and tickets that named
`cn-2026` name `cn`. Business seconds already counted on open tickets are not recounted.
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM business_calendars WHERE id = 'cn-2026' AND definition->>'note' LIKE 'SAMPLE DATA%'")
    op.execute("""UPDATE business_calendars SET id = 'cn', definition = jsonb_set(definition, '{id}', '"cn"')
                  WHERE id = 'cn-2026' AND NOT EXISTS (SELECT 1 FROM business_calendars WHERE id = 'cn')""")
    op.execute("""UPDATE sla_policies SET definition = jsonb_set(definition, '{calendar_id}', '"cn"')
                  WHERE definition->>'calendar_id' = 'cn-2026'""")
    op.execute("""UPDATE tickets SET sla = jsonb_set(sla, '{calendar_id}', '"cn"')
                  WHERE sla->>'calendar_id' = 'cn-2026'""")


def downgrade() -> None:
    op.execute("""UPDATE tickets SET sla = jsonb_set(sla, '{calendar_id}', '"cn-2026"')
                  WHERE sla->>'calendar_id' = 'cn'""")
    op.execute("""UPDATE sla_policies SET definition = jsonb_set(definition, '{calendar_id}', '"cn-2026"')
                  WHERE definition->>'calendar_id' = 'cn'""")
    op.execute("""UPDATE business_calendars SET id = 'cn-2026', definition = jsonb_set(definition, '{id}', '"cn-2026"')
                  WHERE id = 'cn'""")
