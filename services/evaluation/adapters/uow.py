from __future__ import annotations

from govkit.orgdir import OrgDirectory
from govkit.uow import SqlUnitOfWork

from ..domain.ports import EvaluationUow
from .facts import FactRepository


class EvaluationUnitOfWork(SqlUnitOfWork):
    def bind(self, conn) -> None:
        from .repositories import EvaluationRepository
        from .vendors import VendorResults

        self.facts = FactRepository(conn)
        self.eval = EvaluationRepository(conn)
        self.vendor_results = VendorResults(conn)
        self.units = OrgDirectory(conn)


def _conforms(uow: EvaluationUnitOfWork) -> EvaluationUow:
    """Never called: mypy checks here that the PostgreSQL unit of work meets the Protocol."""
    return uow
