"""outsource-worker: nameko RPC for other services, and the outbox relay."""

from __future__ import annotations

from nameko.rpc import rpc

from govkit.nameko_ext import OutboxRelayRunner

from .domain.kinds import KINDS


class Service:
    name = "outsource"

    relay = OutboxRelayRunner()

    @rpc
    def list_outsourcing_kinds(self) -> list[dict]:
        return [vars(k) for k in KINDS]
