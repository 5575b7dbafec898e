"""history, positions, staff, groups, rosters, roles, identity

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:43:12.289255
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_unit_history',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('org_unit_id', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_index('ix_org_unit_history_unit', 'org_unit_history', ['org_unit_id', 'seq'], unique=False)
    op.create_table('refresh_tokens',
    sa.Column('token_hash', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('ix_refresh_tokens_subject', 'refresh_tokens', ['subject'], unique=False)
    op.create_table('roles',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('permissions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('builtin', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('service_accounts',
    sa.Column('client_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('secret_hash', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('client_id')
    )
    op.create_table('positions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('org_unit_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('parent_position_id', sa.Text(), nullable=True),
    sa.Column('responsibilities', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], ),
    sa.ForeignKeyConstraint(['parent_position_id'], ['positions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_positions_unit', 'positions', ['org_unit_id'], unique=False)
    op.create_table('role_assignments',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('org_unit_id', sa.Text(), nullable=False),
    sa.Column('subtree', sa.Boolean(), nullable=False),
    sa.Column('granted_by', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], ),
    sa.ForeignKeyConstraint(['role'], ['roles.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject', 'role', 'org_unit_id', name='uq_role_assignment')
    )
    op.create_index('ix_role_assignments_subject', 'role_assignments', ['subject'], unique=False)
    op.create_table('staff',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('org_unit_id', sa.Text(), nullable=False),
    sa.Column('vendor_id', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), server_default='', nullable=False),
    sa.Column('email', sa.Text(), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('pinyin', sa.Text(), server_default='', nullable=False),
    sa.Column('initials', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_staff_unit', 'staff', ['org_unit_id'], unique=False)
    op.create_table('staff_positions',
    sa.Column('staff_id', sa.Text(), nullable=False),
    sa.Column('position_id', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('staff_id', 'position_id')
    )
    op.create_index('ix_staff_positions_position', 'staff_positions', ['position_id'], unique=False)
    op.create_table('support_groups',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('org_unit_id', sa.Text(), nullable=False),
    sa.Column('lead_position_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['lead_position_id'], ['positions.id'], ),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('users',
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('username')
    )
    op.create_table('group_members',
    sa.Column('group_id', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['support_groups.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('group_id', 'staff_id')
    )
    op.create_table('shifts',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('group_id', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['support_groups.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_shifts_group_start', 'shifts', ['group_id', 'starts_at'], unique=False)
    op.create_index('ix_shifts_staff_start', 'shifts', ['staff_id', 'starts_at'], unique=False)
    op.add_column('org_units', sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.create_index('ix_org_units_parent', 'org_units', ['parent_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_org_units_parent', table_name='org_units')
    op.drop_column('org_units', 'active')
    op.drop_index('ix_shifts_staff_start', table_name='shifts')
    op.drop_index('ix_shifts_group_start', table_name='shifts')
    op.drop_table('shifts')
    op.drop_table('group_members')
    op.drop_table('users')
    op.drop_table('support_groups')
    op.drop_index('ix_staff_positions_position', table_name='staff_positions')
    op.drop_table('staff_positions')
    op.drop_index('ix_staff_unit', table_name='staff')
    op.drop_table('staff')
    op.drop_index('ix_role_assignments_subject', table_name='role_assignments')
    op.drop_table('role_assignments')
    op.drop_index('ix_positions_unit', table_name='positions')
    op.drop_table('positions')
    op.drop_table('service_accounts')
    op.drop_table('roles')
    op.drop_index('ix_refresh_tokens_subject', table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index('ix_org_unit_history_unit', table_name='org_unit_history')
    op.drop_table('org_unit_history')
