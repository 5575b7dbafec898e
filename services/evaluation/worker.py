"""evaluation-worker: consumes other services' events into facts and live KPIs; outbox relay."""

from __future__ import annotations

from nameko.events import event_handler
from nameko.extensions import DependencyProvider

from govkit import config as govconfig
from govkit.events import Envelope
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork

from . import handlers
from .adapters.kpi_store import KpiStore
from .adapters.uow import EvaluationUnitOfWork


class LiveKpis(DependencyProvider):
    """The Redis KPI store, one client (and connection pool) per worker process."""

    def setup(self):
        self.store = KpiStore.from_url(govconfig.load(self.container.service_name, "worker").redis_url)

    def stop(self):
        self.store.redis.close()

    def get_dependency(self, worker_ctx):
        return self.store


class Service:
    name = "evaluation"

    uow = UnitOfWork(EvaluationUnitOfWork)
    kpis = LiveKpis()
    relay = OutboxRelayRunner()

    @event_handler("ticket", "ticket_created")
    def on_ticket_created(self, payload: dict) -> None:
        handlers.record_event(Envelope.from_dict(payload), self.uow(), self.kpis)
