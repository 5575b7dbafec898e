from __future__ import annotations

from govkit.uow import SqlUnitOfWork

from .facts import FactRepository


class EvaluationUnitOfWork(SqlUnitOfWork):
    def bind(self, conn) -> None:
        from .repositories import EvaluationRepository
        from .vendors import VendorResults

        self.facts = FactRepository(conn)
        self.eval = EvaluationRepository(conn)
        self.vendor_results = VendorResults(conn)
