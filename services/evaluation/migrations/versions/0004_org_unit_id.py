"""one vocabulary: org unit columns are org_unit_id (was dept / unit), the evaluating unit of a
plan is subject_org_unit_id (was subject_unit); plans' stored objects follow

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Names, not behaviour: columns and the indexes over them are renamed, and the `unit` key of each
object stored in eval_plans.objects and eval_plans.results (objects[].object) becomes
`org_unit_id`, as EvalObject now reads and writes it.
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (("facts", "dept", "org_unit_id"),
           ("eval_plans", "subject_unit", "subject_org_unit_id"),
           ("eval_audit", "unit", "org_unit_id"),
           ("rectifications", "unit", "org_unit_id"),
           ("accountability_records", "unit", "org_unit_id"),
           ("vendor_results", "unit", "org_unit_id"))
INDEXES = (("ix_facts_dept_occurred", "ix_facts_org_unit_id_occurred"),
           ("ix_rectifications_unit_state", "ix_rectifications_org_unit_id_state"))


def _rename_object_key(old: str, new: str) -> None:
    def renamed(o: str) -> str:
        return (f"CASE WHEN {o} ? '{old}' THEN ({o} - '{old}') || jsonb_build_object('{new}', {o}->'{old}') "
                f"ELSE {o} END")

    op.execute(f"""
        UPDATE eval_plans SET objects = (
          SELECT jsonb_agg({renamed('o')} ORDER BY n) FROM jsonb_array_elements(objects) WITH ORDINALITY AS x(o, n))
        WHERE jsonb_typeof(objects) = 'array' AND jsonb_array_length(objects) > 0""")
    op.execute(f"""
        UPDATE eval_plans SET results = jsonb_set(results, '{{objects}}', (
          SELECT jsonb_agg(CASE WHEN jsonb_typeof(r->'object') = 'object'
                                THEN jsonb_set(r, '{{object}}', {renamed("(r->'object')")}) ELSE r END ORDER BY n)
          FROM jsonb_array_elements(results->'objects') WITH ORDINALITY AS x(r, n)))
        WHERE jsonb_typeof(results->'objects') = 'array' AND jsonb_array_length(results->'objects') > 0""")


def upgrade() -> None:
    for table, old, new in COLUMNS:
        op.alter_column(table, old, new_column_name=new)
    for old, new in INDEXES:
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")
    _rename_object_key("unit", "org_unit_id")


def downgrade() -> None:
    _rename_object_key("org_unit_id", "unit")
    for old, new in INDEXES:
        op.execute(f"ALTER INDEX {new} RENAME TO {old}")
    for table, old, new in COLUMNS:
        op.alter_column(table, new, new_column_name=old)
