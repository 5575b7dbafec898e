"""org-worker: nameko RPC for other services (snapshots, permission checks), and the outbox relay."""

from __future__ import annotations

from govkit.auth import SYSTEM
from govkit.events import jsonable
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork, rpc

from . import handlers
from .adapters.uow import OrgUnitOfWork


class Service:
    name = "org"

    uow = UnitOfWork(OrgUnitOfWork)
    relay = OutboxRelayRunner()

    @rpc
    def snapshot(self) -> dict:
        """The whole directory (units, positions, staff, groups, rosters) for a consumer that
        starts from nothing; see govkit.orgdir."""
        return handlers.snapshot(self.uow())

    @rpc
    def list_org_units(self) -> list[dict]:
        return [jsonable(vars(u)) for u in handlers.list_org_units(self.uow(), SYSTEM)]
