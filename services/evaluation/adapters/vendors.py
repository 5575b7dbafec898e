from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from govkit.auth import Scope

from ..domain.vendors import VendorResult
from .tables import vendor_results as t


class VendorResults:
    def __init__(self, conn):
        self.conn = conn

    def save_newest(self, r: VendorResult) -> bool:
        """Keep the newest version of a report (a regenerated report replaces the earlier one,
        an older redelivery changes nothing). True if this version was kept."""
        values = vars(r)
        stmt = pg_insert(t).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["report_id"], set_={k: stmt.excluded[k] for k in values if k != "report_id"},
            where=t.c.reported_at < stmt.excluded.reported_at)
        return self.conn.execute(stmt).rowcount == 1

    def list(self, scope: Scope, *, vendor_id: str = "", since=None, until=None,
             org_unit_id: str = "") -> list[VendorResult]:
        q = sa.select(t).order_by(t.c.vendor_id, t.c.period_start, t.c.report_id)
        if not scope.is_global:
            q = q.where(t.c.org_unit_id.in_(sorted(scope.units)))
        if vendor_id:
            q = q.where(t.c.vendor_id == vendor_id)
        if org_unit_id:
            q = q.where(t.c.org_unit_id == org_unit_id)
        if since:
            q = q.where(t.c.period_end >= since)
        if until:
            q = q.where(t.c.period_start <= until)
        return [VendorResult(**r._mapping) for r in self.conn.execute(q)]
