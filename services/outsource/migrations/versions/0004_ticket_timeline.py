"""vendor SLA from a ticket timeline: one row per ticket event (assignee's vendor, status, pending
reason, the ticket calendar's reading), replayed by the contract's own clock. Not backfilled from
ticket_facts: a fact row does not know the pauses or the hand-overs (see docs/outsource.md)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ticket_timeline',
        sa.Column('ticket_id', sa.Text(), nullable=False),
        sa.Column('event_id', sa.Text(), nullable=False),
        sa.Column('event', sa.Text(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ticket_type', sa.Text()),
        sa.Column('status', sa.Text()),
        sa.Column('assignee', sa.Text()),
        sa.Column('vendor_id', sa.Text()),
        sa.Column('pending_reason', sa.Text()),
        sa.Column('business_seconds', sa.BigInteger()),
        sa.PrimaryKeyConstraint('ticket_id', 'event_id'),
    )
    op.create_index('ix_ticket_timeline_vendor', 'ticket_timeline', ['vendor_id', 'ticket_id'],
                    postgresql_where=sa.text('vendor_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_ticket_timeline_vendor', table_name='ticket_timeline')
    op.drop_table('ticket_timeline')
