"""org-worker: nameko RPC for other services, and the outbox relay."""

from __future__ import annotations

from nameko.rpc import rpc

from govkit.auth import SYSTEM
from govkit.events import jsonable
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork

from . import handlers
from .adapters.uow import OrgUnitOfWork


class Service:
    name = "org"

    uow = UnitOfWork(OrgUnitOfWork)
    relay = OutboxRelayRunner()

    @rpc
    def list_org_units(self) -> list[dict]:
        """The org unit tree as a flat list (a snapshot for other services' read models)."""
        return [jsonable(vars(u)) for u in handlers.list_org_units(self.uow(), SYSTEM)]
