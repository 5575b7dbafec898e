"""The outsource service's tables (SQLAlchemy Core). Money is NUMERIC(14,2): exact."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from govkit.db import kit_tables
from govkit.orgdir import metadata as orgdir_metadata

metadata = sa.MetaData()
outbox, inbox = kit_tables(metadata)
MONEY = sa.Numeric(14, 2)
NOW = sa.func.now()

vendors = sa.Table(
    "vendors", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("contacts", JSONB, nullable=False, server_default="[]"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    sa.CheckConstraint("status IN ('active', 'suspended', 'blacklisted')", name="ck_vendors_status"),
)
vendor_history = sa.Table(
    "vendor_history", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("vendor_id", sa.Text, sa.ForeignKey("vendors.id"), nullable=False, index=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("before", JSONB),
    sa.Column("after", JSONB),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
qualifications = sa.Table(
    "qualifications", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("vendor_id", sa.Text, sa.ForeignKey("vendors.id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("issuer", sa.Text, nullable=False, server_default=""),
    sa.Column("expires_on", sa.Date, nullable=False, index=True),
    sa.UniqueConstraint("vendor_id", "name", "number", name="uq_qualifications_vendor_name_number"),
)
# One row per qualification and warning threshold: the daily check warns once per threshold.
qualification_warnings = sa.Table(
    "qualification_warnings", metadata,
    sa.Column("qualification_id", sa.Text, sa.ForeignKey("qualifications.id"), primary_key=True),
    sa.Column("threshold_days", sa.Integer, primary_key=True),
    sa.Column("warned_on", sa.Date, nullable=False),
)
projects = sa.Table(
    "projects", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("catalogue_item_ids", JSONB, nullable=False, server_default="[]"),
    sa.Column("asset_ids", JSONB, nullable=False, server_default="[]"),
    sa.Column("budget_line_ref", sa.Text),
    sa.Column("budget_year", sa.Integer),
    sa.Column("fee_category", sa.Text, nullable=False),
    sa.Column("allow_overlap", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("procurement_method", sa.Text),
    sa.Column("awarded_vendor_id", sa.Text, sa.ForeignKey("vendors.id")),
    sa.Column("award_amount", MONEY),
    sa.Column("award_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("contract_id", sa.Text),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("request_fingerprint", sa.Text),  # 0004: govkit.idempotency, with the key
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
project_history = sa.Table(
    "project_history", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("project_id", sa.Text, sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("from_state", sa.Text),
    sa.Column("to_state", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
bids = sa.Table(
    "bids", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("project_id", sa.Text, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("vendor_id", sa.Text, sa.ForeignKey("vendors.id"), nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("submitted_on", sa.Date, nullable=False),
    sa.UniqueConstraint("project_id", "vendor_id", name="uq_bids_project_vendor"),
)
contracts = sa.Table(
    "contracts", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("project_id", sa.Text, sa.ForeignKey("projects.id"), nullable=False, unique=True),
    sa.Column("vendor_id", sa.Text, sa.ForeignKey("vendors.id"), nullable=False, index=True),
    sa.Column("org_unit_id", sa.Text, nullable=False, index=True),
    sa.Column("vendor_group_id", sa.Text),
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("deliverables", JSONB, nullable=False, server_default="[]"),
    sa.Column("milestones", JSONB, nullable=False, server_default="[]"),
    sa.Column("catalogue_item_ids", JSONB, nullable=False, server_default="[]"),
    sa.Column("asset_ids", JSONB, nullable=False, server_default="[]"),
    # the current version's period, kept here for the overlap check
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # budget's decision on the contract's commitment (domain/model.py BUDGET_STATUSES)
    sa.Column("budget_status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("commitment_id", sa.Text),
    sa.Column("budget_note", sa.Text, nullable=False, server_default=""),
    sa.Column("budget_version", sa.Integer, nullable=False, server_default="1"),  # the version decided on
    sa.Column("signed_by", sa.Text, nullable=False, server_default=""),
)
contract_versions = sa.Table(
    "contract_versions", metadata,
    sa.Column("contract_id", sa.Text, sa.ForeignKey("contracts.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("sla_terms", JSONB, nullable=False),
    sa.Column("penalty_clauses", JSONB, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
acceptances = sa.Table(
    "acceptances", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("contract_id", sa.Text, sa.ForeignKey("contracts.id"), nullable=False, index=True),
    sa.Column("milestone_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("reviewers", JSONB, nullable=False),
    sa.Column("checklist", JSONB, nullable=False),
    sa.Column("rectification_items", JSONB, nullable=False, server_default="[]"),
    sa.Column("accepted_on", sa.Date, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
evidence = sa.Table(
    "acceptance_evidence", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("acceptance_id", sa.Text, sa.ForeignKey("acceptances.id"), nullable=False, index=True),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
payments = sa.Table(
    "payments", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("contract_id", sa.Text, sa.ForeignKey("contracts.id"), nullable=False, index=True),
    sa.Column("milestone_id", sa.Text, nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("paid_on", sa.Date, nullable=False),
    sa.Column("budget_year", sa.Integer, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("request_fingerprint", sa.Text),  # 0004: govkit.idempotency, with the key
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    sa.CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
)
complaints = sa.Table(
    "complaints", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("vendor_id", sa.Text, sa.ForeignKey("vendors.id"), nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("contract_id", sa.Text),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("filed_on", sa.Date, nullable=False),
    sa.Column("filed_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    sa.Index("ix_complaints_vendor_filed", "vendor_id", "filed_on"),
)
# Facts from ticket events, one row per ticket, merged order-independently (see adapters/facts.py).
ticket_facts = sa.Table(
    "ticket_facts", metadata,
    sa.Column("ticket_id", sa.Text, primary_key=True),
    sa.Column("number", sa.Text),
    sa.Column("org_unit_id", sa.Text),
    sa.Column("priority", sa.Text),
    sa.Column("group_id", sa.Text),
    sa.Column("assignee", sa.Text),
    sa.Column("vendor_id", sa.Text),
    sa.Column("state_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state_event_id", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("response_seconds", sa.Integer),
    sa.Column("resolution_seconds", sa.Integer),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_event_id", sa.Text),
    sa.Column("response_breached", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("resolution_breached", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_ticket_facts_vendor_created", "vendor_id", "created_at"),
    sa.Index("ix_ticket_facts_group_created", "group_id", "created_at"),
)
# The same events as a timeline, one row per event: the vendor's clock (domain/sla.py) replays it.
ticket_timeline = sa.Table(
    "ticket_timeline", metadata,
    sa.Column("ticket_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ticket_type", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("assignee", sa.Text),
    sa.Column("vendor_id", sa.Text),  # the assignee's vendor as ticket stamped it at assignment
    sa.Column("pending_reason", sa.Text),
    sa.Column("business_seconds", sa.BigInteger),  # the ticket calendar's reading since creation
    sa.Index("ix_ticket_timeline_vendor", "vendor_id", "ticket_id", postgresql_where=sa.text("vendor_id IS NOT NULL")),
)
# The timeline summed up per ticket (domain/sla.summarize), recomputed from it on every event of
# the ticket: what a report sums, set-based, for any contract's clock and allowed pauses.
ticket_clocks = sa.Table(
    "ticket_clocks", metadata,
    sa.Column("ticket_id", sa.Text, primary_key=True),
    sa.Column("ticket_type", sa.Text),
    sa.Column("vendors", ARRAY(sa.Text), nullable=False),  # every vendor whose engineer held the ticket
    sa.Column("first_vendor", sa.Text),  # the first assignee's vendor
    sa.Column("resolved_by", sa.Text),  # resolved now: the resolving engineer's vendor
)
ticket_spans = sa.Table(
    "ticket_spans", metadata,
    sa.Column("ticket_id", sa.Text, primary_key=True),
    sa.Column("holder", sa.Text, primary_key=True),  # '' before the first assignment, else a vendor id
    sa.Column("reason", sa.Text, primary_key=True),  # '' worked, else the pending reason ('?' unsaid)
    sa.Column("calendar_seconds", sa.Float, nullable=False),
    sa.Column("wall_seconds", sa.Float, nullable=False),
)
sla_reports = sa.Table(
    "sla_reports", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("contract_id", sa.Text, sa.ForeignKey("contracts.id"), nullable=False),
    sa.Column("vendor_id", sa.Text, nullable=False),
    sa.Column("org_unit_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("contract_version", sa.Integer, nullable=False),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("response_attainment_percent", sa.Numeric(5, 2), nullable=False),
    sa.Column("resolution_attainment_percent", sa.Numeric(5, 2), nullable=False),
    sa.Column("availability_percent", sa.Numeric(7, 4)),
    sa.Column("breaches", sa.Integer, nullable=False),
    sa.Column("penalty_total", MONEY, nullable=False),
    sa.Column("body", JSONB, nullable=False),  # per priority and per clause, with ticket ids
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    sa.UniqueConstraint("contract_id", "period_start", "period_end", name="uq_sla_reports_period"),
    sa.Index("ix_sla_reports_vendor_period", "vendor_id", "period_start"),
)

# The org directory (govkit.orgdir, fed by org's events; migration 0005) lives in the same database.
for _t in orgdir_metadata.tables.values():
    _t.to_metadata(metadata)
