"""budget-worker: nameko RPC for other services, the org read model, outsource payments as
actual spending, and the outbox relay."""

from __future__ import annotations

from nameko.rpc import rpc

from govkit.auth import SYSTEM
from govkit.consumers import consume
from govkit.events import jsonable
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork

from . import handlers
from .adapters.uow import BudgetUnitOfWork
from .domain.fees import EXCLUDED, FEE_CATEGORIES, items_of


class Service:
    name = "budget"

    uow = UnitOfWork(BudgetUnitOfWork)
    relay = OutboxRelayRunner()

    @rpc
    def list_fee_categories(self) -> dict:
        return {"categories": [dict(vars(c), items=[vars(i) for i in items_of(c.code)]) for c in FEE_CATEGORIES],
                "excluded": [vars(c) for c in EXCLUDED]}

    @rpc
    def get_asset(self, asset_id: str) -> dict:
        """One asset of the configuration base (e.g. for ticket's changes and alerts)."""
        return jsonable(vars(handlers.get_asset(asset_id, self.uow(), SYSTEM).asset))

    @rpc
    def get_budget(self, budget_id: str) -> dict:
        budget, _ = handlers.get_budget(budget_id, self.uow(), SYSTEM)
        return jsonable(vars(budget))

    @consume("org", "org_unit_created", consumer=handlers.CONSUMER_ORG)
    def on_org_unit_created(self, env, uow) -> None:
        handlers.apply_org_unit(env, uow)

    @consume("org", "org_unit_moved", consumer=handlers.CONSUMER_ORG)
    def on_org_unit_moved(self, env, uow) -> None:
        handlers.apply_org_unit(env, uow)

    @consume("outsource", "payment_recorded", consumer=handlers.CONSUMER_PAYMENTS)
    def on_payment_recorded(self, env, uow) -> None:
        """Actual spending from outsource (payload: docs/events.md, govops.outsource.payment_recorded.v1)."""
        handlers.apply_payment(env, uow)
