from __future__ import annotations

import sqlalchemy as sa

from govkit.uow import SqlUnitOfWork

from ..domain.model import OrgUnit, OrgUnitKind
from .tables import org_units


class OrgUnitRepository:
    def __init__(self, conn):
        self.conn = conn

    def add(self, unit: OrgUnit) -> None:
        self.conn.execute(org_units.insert().values(id=unit.id, name=unit.name,
                                                    parent_id=unit.parent_id, kind=unit.kind.value))

    def get(self, unit_id: str) -> OrgUnit | None:
        row = self.conn.execute(sa.select(org_units).where(org_units.c.id == unit_id)).first()
        return _to_unit(row) if row else None

    def list(self) -> list[OrgUnit]:
        return [_to_unit(r) for r in self.conn.execute(sa.select(org_units).order_by(org_units.c.id))]


def _to_unit(row) -> OrgUnit:
    return OrgUnit(row.id, row.name, row.parent_id, OrgUnitKind(row.kind))


class OrgUnitOfWork(SqlUnitOfWork):
    def bind(self, conn) -> None:
        self.org_units = OrgUnitRepository(conn)
