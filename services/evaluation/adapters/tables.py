"""The evaluation service's tables (database govops_evaluation)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from govkit.db import kit_tables
from govkit.orgdir import metadata as orgdir_metadata

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)

# The org directory lives in this database too (migration 0002); govkit.orgdir reads and writes it.
for _t in orgdir_metadata.tables.values():
    _t.to_metadata(metadata)

# Every relevant event, kept as a durable fact: the source of truth Redis is rebuilt from.
facts = sa.Table(
    "facts", metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("envelope", JSONB, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_facts_org_unit_id_occurred", "org_unit_id", "occurred_at"),
)

# Versioned nine-grid evaluation models: a version is immutable once stored.
models = sa.Table(
    "eval_models", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("definition", JSONB, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

plans = sa.Table(
    "eval_plans", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("subject_org_unit_id", sa.Text, nullable=False),
    sa.Column("subject_role", sa.Text, nullable=False),
    sa.Column("model_code", sa.Text, nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("objects", JSONB, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("results", JSONB),
    sa.Column("computed_at", sa.DateTime(timezone=True)),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("request_fingerprint", sa.Text),  # 0005: govkit.idempotency, with the key
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

manual_scores = sa.Table(
    "eval_manual_scores", metadata,
    sa.Column("plan_id", sa.Text, primary_key=True),
    sa.Column("object_id", sa.Text, primary_key=True),
    sa.Column("indicator_code", sa.Text, primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("scored_by", sa.Text, nullable=False),
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("reviewed_by", sa.Text),
    sa.Column("reviewed_at", sa.DateTime(timezone=True)),
)

audit = sa.Table(
    "eval_audit", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("actor", sa.Text, nullable=False),
    # the display name the actor's token carried (migration 0006); '' for rows before it and for "system"
    sa.Column("actor_name", sa.Text, nullable=False, server_default=""),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("entity_type", sa.Text, nullable=False),
    sa.Column("entity_id", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text),
    sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    sa.Index("ix_eval_audit_entity", "entity_type", "entity_id"),
)

rectifications = sa.Table(
    "rectifications", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("plan_id", sa.Text),
    sa.Column("object_id", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("indicator_code", sa.Text, nullable=False),
    sa.Column("indicator_name", sa.Text, nullable=False),
    sa.Column("actual", sa.Float),
    sa.Column("baseline", sa.Float),
    sa.Column("owner_position", sa.Text, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("actions", JSONB, nullable=False, server_default="[]"),
    sa.Column("state", sa.Text, nullable=False),  # pending_ticket | open | closed
    sa.Column("ticket_id", sa.Text),
    sa.Column("ticket_number", sa.Text),
    sa.Column("periods_below", sa.Integer, nullable=False, server_default="1"),
    sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_rectifications_ticket", "ticket_id"),
    sa.Index("ix_rectifications_org_unit_id_state", "org_unit_id", "state"),
)

accountability = sa.Table(
    "accountability_records", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("rectification_id", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("object_id", sa.Text, nullable=False),
    sa.Column("indicator_code", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),  # reminder | formal_talk | notice_of_criticism | referral
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("rectification_id", "level", name="uq_accountability_rect_level"),
)


# The latest SLA report per vendor contract and period, from outsource's vendor_sla_reported
# (a regenerated report replaces the earlier one: the newest occurrence wins).
vendor_results = sa.Table(
    "vendor_results", metadata,
    sa.Column("report_id", sa.Text, primary_key=True),
    sa.Column("contract_id", sa.Text, nullable=False),
    sa.Column("vendor_id", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("response_attainment_pct", sa.Numeric(6, 2), nullable=False),
    sa.Column("resolution_attainment_pct", sa.Numeric(6, 2), nullable=False),
    sa.Column("breaches", sa.Integer, nullable=False),
    sa.Column("penalty_total", sa.Numeric(14, 2), nullable=False),
    sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_vendor_results_vendor_period", "vendor_id", "period_start"),
)
