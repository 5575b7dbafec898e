"""org directory (read model of org events); nine-grid models, plans, manual scores, audit trail,
rectifications and accountability records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The tables are written out here, not copied from adapters/tables.py: a revision must create the
same schema whenever it runs, whatever the live tables say later (tests/integration/
test_schema_drift.py checks the two agree at head).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from govkit.migrate import create_orgdir_tables, drop_orgdir_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = ("eval_models", "eval_plans", "eval_manual_scores", "eval_audit", "rectifications",
           "accountability_records")

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_orgdir_tables(op)
    op.create_table(
        "eval_models",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("definition", JSONB, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "eval_plans",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("subject_unit", sa.Text, nullable=False),
        sa.Column("subject_role", sa.Text, nullable=False),
        sa.Column("model_code", sa.Text, nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("objects", JSONB, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("results", JSONB),
        sa.Column("computed_at", TZ),
        sa.Column("idempotency_key", sa.Text, unique=True),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "eval_manual_scores",
        sa.Column("plan_id", sa.Text, primary_key=True),
        sa.Column("object_id", sa.Text, primary_key=True),
        sa.Column("indicator_code", sa.Text, primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("scored_by", sa.Text, nullable=False),
        sa.Column("scored_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("reviewed_at", TZ),
    )
    op.create_table(
        "eval_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("entity_type", sa.Text, nullable=False),
        sa.Column("entity_id", sa.Text, nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("ix_eval_audit_entity", "eval_audit", ["entity_type", "entity_id"])
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("plan_id", sa.Text),
        sa.Column("object_id", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("indicator_code", sa.Text, nullable=False),
        sa.Column("indicator_name", sa.Text, nullable=False),
        sa.Column("actual", sa.Float),
        sa.Column("baseline", sa.Float),
        sa.Column("owner_position", sa.Text, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("actions", JSONB, nullable=False, server_default="[]"),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Text),
        sa.Column("ticket_number", sa.Text),
        sa.Column("periods_below", sa.Integer, nullable=False, server_default="1"),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("opened_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("closed_at", TZ),
    )
    op.create_index("ix_rectifications_ticket", "rectifications", ["ticket_id"])
    op.create_index("ix_rectifications_unit_state", "rectifications", ["unit", "state"])
    op.create_table(
        "accountability_records",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("rectification_id", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("object_id", sa.Text, nullable=False),
        sa.Column("indicator_code", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("rectification_id", "level", name="uq_accountability_rect_level"),
    )


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)
    drop_orgdir_tables(op)
