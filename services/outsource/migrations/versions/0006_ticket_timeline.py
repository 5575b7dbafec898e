"""vendor SLA from a ticket timeline: one row per ticket event (assignee's vendor, status, pending
reason, the ticket calendar's reading) and its per-ticket summary (running seconds per holder and
pause reason), which the contract's own clock sums. Not backfilled from
ticket_facts: a fact row does not know the pauses or the hand-overs (see docs/outsource.md)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
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
    op.create_table(
        'ticket_clocks',
        sa.Column('ticket_id', sa.Text(), primary_key=True),
        sa.Column('ticket_type', sa.Text()),
        sa.Column('vendors', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('first_vendor', sa.Text()),
        sa.Column('resolved_by', sa.Text()),
    )
    op.create_table(
        'ticket_spans',
        sa.Column('ticket_id', sa.Text(), nullable=False),
        sa.Column('holder', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('calendar_seconds', sa.Float(), nullable=False),
        sa.Column('wall_seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('ticket_id', 'holder', 'reason'),
    )


def downgrade() -> None:
    op.drop_table('ticket_spans')
    op.drop_table('ticket_clocks')
    op.drop_index('ix_ticket_timeline_vendor', table_name='ticket_timeline')
    op.drop_table('ticket_timeline')
