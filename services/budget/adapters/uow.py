from __future__ import annotations

from govkit.auth import SYSTEM, Scope
from govkit.uow import SqlUnitOfWork

from .repository import AssetRepository, BudgetRepository, OrgUnitRepository, StandardRepository


class BudgetUnitOfWork(SqlUnitOfWork):
    def __init__(self, engine, scope: Scope = SYSTEM.scope):
        super().__init__(engine)
        self.scope = scope

    def bind(self, conn) -> None:
        self.org_units = OrgUnitRepository(conn)
        self.assets = AssetRepository(conn, self.scope)
        self.standards = StandardRepository(conn)
        self.budgets = BudgetRepository(conn, self.scope)
