"""evaluation-worker: consumes ticket events into facts and live KPIs, keeps the org directory
(org events, via the kit mixin), turns requested rectifications into tickets through the ticket
service's RPC, tracks them, applies the accountability rules periodically; outbox relay."""

from __future__ import annotations

import os

from nameko.events import event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from govkit import config as govconfig
from govkit import logs
from govkit.auth import SYSTEM
from govkit.events import Envelope
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork
from govkit.orgdir import OrgDirectoryConsumer

from . import handlers
from . import handlers_eval as ev
from .adapters.kpi_store import KpiStore
from .adapters.org import AncestorCache
from .adapters.uow import EvaluationUnitOfWork

log = logs.get_logger(__name__)
RECTIFICATION_SECONDS = float(os.environ.get("GOVOPS_EVAL_RECTIFICATION_SECONDS", "2"))
ACCOUNTABILITY_SECONDS = float(os.environ.get("GOVOPS_EVAL_ACCOUNTABILITY_SECONDS", "3600"))
LIVE_CHECK_SECONDS = float(os.environ.get("GOVOPS_EVAL_LIVE_CHECK_SECONDS", "900"))


class LiveKpis(DependencyProvider):
    """The Redis KPI store, one client (and connection pool) per worker process, with the
    process' cache of org-unit ancestor chains as `store.org_cache`."""

    def setup(self):
        self.store = KpiStore.from_url(govconfig.load(self.container.service_name, "worker").redis_url)
        self.store.org_cache = AncestorCache()

    def stop(self):
        self.store.redis.close()

    def get_dependency(self, worker_ctx):
        return self.store


class Service(OrgDirectoryConsumer):
    """Ticket handlers requeue on error: an outage of PostgreSQL or Redis redelivers the event
    instead of losing it (nameko acks a failed event otherwise); the inbox and the Redis dedupe
    make the redelivery harmless."""

    name = "evaluation"

    uow = UnitOfWork(EvaluationUnitOfWork)
    kpis = LiveKpis()
    relay = OutboxRelayRunner()
    ticket = RpcProxy("ticket")

    def _record(self, payload: dict) -> None:
        try:
            env = Envelope.from_dict(payload)
        except (ValueError, TypeError) as exc:
            # A malformed message would come back forever: log it and let it go.
            log.error("malformed_event_dropped", error=str(exc))
            return
        handlers.record_event(env, self.uow(), self.kpis, getattr(self.kpis, "org_cache", None),
                              ev.close_rectifications_for)

    @event_handler("ticket", "ticket_created", requeue_on_error=True)
    def on_ticket_created(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "ticket_assigned", requeue_on_error=True)
    def on_ticket_assigned(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "ticket_status_changed", requeue_on_error=True)
    def on_ticket_status_changed(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "ticket_resolved", requeue_on_error=True)
    def on_ticket_resolved(self, payload: dict) -> None:
        """Also closes the rectification this ticket tracks."""
        self._record(payload)

    @event_handler("ticket", "ticket_closed", requeue_on_error=True)
    def on_ticket_closed(self, payload: dict) -> None:
        """Also closes the rectification this ticket tracks."""
        self._record(payload)

    @event_handler("ticket", "ticket_reopened", requeue_on_error=True)
    def on_ticket_reopened(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "ticket_rated", requeue_on_error=True)
    def on_ticket_rated(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "sla_warning", requeue_on_error=True)
    def on_sla_warning(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "sla_breached", requeue_on_error=True)
    def on_sla_breached(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "ticket_escalated", requeue_on_error=True)
    def on_ticket_escalated(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "change_approved", requeue_on_error=True)
    def on_change_approved(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "change_rejected", requeue_on_error=True)
    def on_change_rejected(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "change_implemented", requeue_on_error=True)
    def on_change_implemented(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "problem_linked", requeue_on_error=True)
    def on_problem_linked(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("ticket", "alert_received", requeue_on_error=True)
    def on_alert_received(self, payload: dict) -> None:
        self._record(payload)

    @event_handler("outsource", "vendor_sla_reported", requeue_on_error=True)
    def on_vendor_sla_reported(self, payload: dict) -> None:
        """Vendors as evaluated objects: outsource's SLA result for a contract and period."""
        handlers.record_vendor_report(Envelope.from_dict(payload), self.uow())

    @timer(interval=RECTIFICATION_SECONDS)
    def open_rectification_tickets(self) -> None:
        """Requested rectifications become tickets (ticket.create_ticket, idempotency key)."""
        ev.open_pending_tickets(self.uow(), self.ticket.create_ticket, SYSTEM)

    @timer(interval=LIVE_CHECK_SECONDS)
    def check_live_baselines(self) -> None:
        """Live KPIs below the model's baselines open rectifications (once per unit and month)."""
        ev.check_live_baselines(self.uow(), self.kpis, SYSTEM)

    @timer(interval=ACCOUNTABILITY_SECONDS)
    def apply_accountability_rules(self) -> None:
        ev.run_accountability(self.uow(), SYSTEM)

    @rpc
    def run_accountability(self) -> list:
        """Apply the accountability rules now (for operators and other services)."""
        return ev.run_accountability(self.uow(), SYSTEM)
