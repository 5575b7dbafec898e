"""budget-worker: nameko RPC for other services, the org directory (govkit.orgdir), outsource contracts as
commitments and payments as actual spending, and the outbox relay."""

from __future__ import annotations

from govkit.auth import SYSTEM
from govkit.consumers import consume
from govkit.events import jsonable
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork, rpc
from govkit.orgdir import OrgDirectoryConsumer

from . import handlers
from .adapters.uow import BudgetUnitOfWork
from .domain.fees import EXCLUDED, FEE_CATEGORIES, items_of


class Service(OrgDirectoryConsumer):
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

    @consume("outsource", "payment_recorded", consumer=handlers.CONSUMER_PAYMENTS)
    def on_payment_recorded(self, env, uow) -> None:
        """Actual spending from outsource (payload: docs/events.md, govops.outsource.payment_recorded.v1)."""
        handlers.apply_payment(env, uow)

    @consume("outsource", "contract_signed", consumer=handlers.CONSUMER_CONTRACTS)
    def on_contract_signed(self, env, uow) -> None:
        """A signed O&M contract commits budget (payload: docs/events.md, govops.outsource.contract_signed.v1)."""
        handlers.apply_contract_signed(env, uow)

    @consume("outsource", "contract_amended", consumer=handlers.CONSUMER_CONTRACTS)
    def on_contract_amended(self, env, uow) -> None:
        """An amendment changes the contract's commitment (payload: docs/events.md,
        govops.outsource.contract_amended.v1)."""
        handlers.apply_contract_amended(env, uow)
