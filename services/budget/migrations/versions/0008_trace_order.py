"""trace order: each budget group's asset ids in asset-code order

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

TraceBudgetLine now pages a group by slicing its stored id array in PostgreSQL (instead of loading
the whole array and sorting the assets on every page). Compilation stores the ids in asset-code
order; this puts the groups compiled before in the same order, so their pages keep the code order
they had. Assets are never deleted (a retired asset stays), so every id is found.
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        UPDATE budget_groups g SET asset_ids = s.ids
        FROM (SELECT g2.budget_id, g2.group_no, array_agg(a.id ORDER BY a.code) AS ids
              FROM budget_groups g2 CROSS JOIN LATERAL unnest(g2.asset_ids) AS u(id)
              JOIN assets a ON a.id = u.id
              GROUP BY g2.budget_id, g2.group_no) s
        WHERE g.budget_id = s.budget_id AND g.group_no = s.group_no""")


def downgrade() -> None:
    pass  # the order is harmless to keep
