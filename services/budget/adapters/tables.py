"""The budget service's tables (database govops_budget)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from govkit.db import kit_tables
from govkit.orgdir import metadata as orgdir_metadata

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)
MONEY = sa.Numeric(18, 2)

assets = sa.Table(
    "assets", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("location", sa.Text, nullable=False, server_default=""),
    sa.Column("brand", sa.Text, nullable=False, server_default=""),
    sa.Column("model", sa.Text, nullable=False, server_default=""),
    sa.Column("purchase_date", sa.Date),
    sa.Column("original_value", MONEY, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("protection_level", sa.SmallInteger, nullable=False),
    sa.Column("support_mode", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("response_time", sa.Text, nullable=False),
    sa.Column("user_scale", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_assets_org_unit_id_kind_status", "org_unit_id", "kind", "status"),
)

asset_relations = sa.Table(
    "asset_relations", metadata,
    sa.Column("from_id", sa.Uuid, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("to_id", sa.Uuid, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Index("ix_asset_relations_to", "to_id"),
)

asset_history = sa.Table(
    "asset_history", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("asset_id", sa.Uuid, nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("changes", JSONB, nullable=False),
)

standards = sa.Table(
    "standards", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_to", sa.Date),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("default_region", sa.Text, nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("body", JSONB, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by", sa.Text, nullable=False, server_default=""),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Column("updated_by", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("code", "version", name="uq_standards_code_version"),
)

budgets = sa.Table(
    "budgets", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("include_subtree", sa.Boolean, nullable=False),
    sa.Column("org_unit_ids", ARRAY(sa.Text), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("standard_id", sa.Uuid, sa.ForeignKey("standards.id"), nullable=False),
    sa.Column("standard_label", sa.Text, nullable=False),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("total", MONEY, nullable=False),
    sa.Column("by_category", JSONB, nullable=False),
    sa.Column("by_kind", JSONB, nullable=False),
    sa.Column("asset_count", sa.Integer, nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("thresholds", JSONB, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("compiled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by", sa.Text, nullable=False, server_default=""),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("org_unit_id", "year", name="uq_budgets_org_unit_id_year"),
)

budget_groups = sa.Table(
    "budget_groups", metadata,
    sa.Column("budget_id", sa.Uuid, sa.ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_no", sa.Integer, primary_key=True),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("support_mode", sa.Text, nullable=False),
    sa.Column("protection_level", sa.SmallInteger, nullable=False),
    sa.Column("response_time", sa.Text, nullable=False),
    sa.Column("user_scale", sa.Text, nullable=False),
    sa.Column("asset_count", sa.Integer, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("original_value", MONEY, nullable=False),
    sa.Column("asset_ids", ARRAY(sa.Uuid), nullable=False),
)

budget_lines = sa.Table(
    "budget_lines", metadata,
    sa.Column("budget_id", sa.Uuid, sa.ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("group_no", sa.Integer, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("asset_kind", sa.Text, nullable=False),
    sa.Column("fee_category", sa.Text, nullable=False),
    sa.Column("fee_item", sa.Text, nullable=False),
    sa.Column("rule_type", sa.Text, nullable=False),
    sa.Column("rule_ref", sa.Text, nullable=False),
    sa.Column("rule", JSONB, nullable=False),
    sa.Column("coefficients", JSONB, nullable=False),
    sa.Column("coefficient", sa.Numeric(12, 6), nullable=False),
    sa.Column("asset_count", sa.Integer, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("base", sa.Numeric(20, 2), nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("formula", sa.Text, nullable=False),
)

budget_actions = sa.Table(
    "budget_actions", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("budget_id", sa.Uuid, sa.ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("from_state", sa.Text, nullable=False),
    sa.Column("to_state", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

expenses = sa.Table(
    "expenses", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("budget_id", sa.Uuid, sa.ForeignKey("budgets.id")),  # NULL: no approved budget matched
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("fee_category", sa.Text, nullable=False),
    sa.Column("fee_item", sa.Text, nullable=False, server_default=""),
    sa.Column("line_no", sa.Integer),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("spent_on", sa.Date, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("external_id", sa.Text, unique=True),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("request_fingerprint", sa.Text),  # 0006: govkit.idempotency, with a manual expense's key
    # counted | unmatched | not_om | blocked (domain/commitments.py): only counted is spending
    sa.Column("status", sa.Text, nullable=False, server_default="counted"),
    sa.Column("commitment_id", sa.Uuid),
    sa.Index("ix_expenses_budget", "budget_id"),
    sa.Index("ix_expenses_commitment", "commitment_id"),
)

# A signed O&M contract's reservation of budget (预算承诺), one per contract.
commitments = sa.Table(
    "commitments", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("contract_id", sa.Text, nullable=False, unique=True),
    sa.Column("project_id", sa.Text, nullable=False, server_default=""),
    sa.Column("vendor_id", sa.Text, nullable=False, server_default=""),
    sa.Column("budget_id", sa.Uuid, sa.ForeignKey("budgets.id")),  # NULL: no approved budget covers it
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("fee_category", sa.Text, nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # open | over_budget | approved
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("signed_by", sa.Text, nullable=False, server_default=""),
    sa.Column("approved_by", sa.Text, nullable=False, server_default=""),
    sa.Column("approval_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("contract_version", sa.Integer, nullable=False, server_default="1"),  # newer amendments only
    sa.Index("ix_commitments_budget", "budget_id"),
)

# Which threshold alerts a budget has fired (each fires once).
budget_alerts = sa.Table(
    "budget_alerts", metadata,
    sa.Column("budget_id", sa.Uuid, sa.ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("threshold", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

DOMAIN_TABLES = [assets, asset_relations, asset_history, standards, budgets, budget_groups,
                 budget_lines, budget_actions, expenses, budget_alerts, commitments]

# The org directory (govkit.orgdir, fed by org's events) lives in the same database.
for _t in orgdir_metadata.tables.values():
    _t.to_metadata(metadata)
