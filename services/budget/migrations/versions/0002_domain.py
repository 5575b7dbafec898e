"""configuration base, quota standards, budgets, lines, expenses, org read model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('asset_history',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('asset_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_index(op.f('ix_asset_history_asset_id'), 'asset_history', ['asset_id'], unique=False)
    op.create_table('assets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), server_default='', nullable=False),
    sa.Column('brand', sa.Text(), server_default='', nullable=False),
    sa.Column('model', sa.Text(), server_default='', nullable=False),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('original_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('protection_level', sa.SmallInteger(), nullable=False),
    sa.Column('support_mode', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('response_time', sa.Text(), nullable=False),
    sa.Column('user_scale', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_index('ix_assets_department_kind_status', 'assets', ['department', 'kind', 'status'], unique=False)
    op.create_table('org_units',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('standards',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('default_region', sa.Text(), server_default='', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('body', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Text(), server_default='', nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'version', name='uq_standards_code_version')
    )
    op.create_table('asset_relations',
    sa.Column('from_id', sa.Uuid(), nullable=False),
    sa.Column('to_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['from_id'], ['assets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_id'], ['assets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('from_id', 'to_id', 'kind')
    )
    op.create_index('ix_asset_relations_to', 'asset_relations', ['to_id'], unique=False)
    op.create_table('budgets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('include_subtree', sa.Boolean(), nullable=False),
    sa.Column('units', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Uuid(), nullable=False),
    sa.Column('standard_label', sa.Text(), nullable=False),
    sa.Column('region', sa.Text(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('by_category', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('by_kind', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('asset_count', sa.Integer(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('thresholds', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('compiled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Text(), server_default='', nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit', 'year', name='uq_budgets_unit_year')
    )
    op.create_table('budget_actions',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('budget_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('from_state', sa.Text(), nullable=False),
    sa.Column('to_state', sa.Text(), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_index(op.f('ix_budget_actions_budget_id'), 'budget_actions', ['budget_id'], unique=False)
    op.create_table('budget_alerts',
    sa.Column('budget_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('budget_id', 'scope', 'kind', 'threshold')
    )
    op.create_table('budget_groups',
    sa.Column('budget_id', sa.Uuid(), nullable=False),
    sa.Column('group_no', sa.Integer(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('support_mode', sa.Text(), nullable=False),
    sa.Column('protection_level', sa.SmallInteger(), nullable=False),
    sa.Column('response_time', sa.Text(), nullable=False),
    sa.Column('user_scale', sa.Text(), nullable=False),
    sa.Column('asset_count', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('original_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('asset_ids', postgresql.ARRAY(sa.Uuid()), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('budget_id', 'group_no')
    )
    op.create_table('budget_lines',
    sa.Column('budget_id', sa.Uuid(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('group_no', sa.Integer(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('asset_kind', sa.Text(), nullable=False),
    sa.Column('fee_category', sa.Text(), nullable=False),
    sa.Column('fee_item', sa.Text(), nullable=False),
    sa.Column('rule_type', sa.Text(), nullable=False),
    sa.Column('rule_ref', sa.Text(), nullable=False),
    sa.Column('rule', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('coefficients', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('coefficient', sa.Numeric(precision=12, scale=6), nullable=False),
    sa.Column('asset_count', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('base', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('formula', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('budget_id', 'line_no')
    )
    op.create_table('expenses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('budget_id', sa.Uuid(), nullable=True),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('fee_category', sa.Text(), nullable=False),
    sa.Column('fee_item', sa.Text(), server_default='', nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budgets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id')
    )
    op.create_index('ix_expenses_budget', 'expenses', ['budget_id'], unique=False)


def downgrade() -> None:
    for table in ["budget_alerts", "budget_actions", "budget_lines", "budget_groups", "expenses", "budgets",
                  "standards", "asset_history", "asset_relations", "assets", "org_units"]:
        op.drop_table(table)
