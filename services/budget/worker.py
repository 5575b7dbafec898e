"""budget-worker: nameko RPC for other services, and the outbox relay."""

from __future__ import annotations

from nameko.rpc import rpc

from govkit.nameko_ext import OutboxRelayRunner

from .domain.fees import EXCLUDED, FEE_CATEGORIES


class Service:
    name = "budget"

    relay = OutboxRelayRunner()

    @rpc
    def list_fee_categories(self) -> dict:
        return {"categories": [vars(c) for c in FEE_CATEGORIES], "excluded": [vars(c) for c in EXCLUDED]}
