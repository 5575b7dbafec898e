"""evaluation-worker: consumes ticket and budget events into facts and live KPIs, keeps the org directory
(org events, via the kit mixin), turns requested rectifications into tickets through the ticket
service's RPC, tracks them, applies the accountability rules periodically; outbox relay."""

from __future__ import annotations

import functools
import os

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.timer import timer

from govkit import config as govconfig
from govkit.auth import SYSTEM
from govkit.consumers import consume
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork, rpc
from govkit.orgdir import OrgDirectoryConsumer

from . import handlers
from . import handlers_eval as ev
from .adapters.kpi_store import KpiStore
from .adapters.org import AncestorCache
from .adapters.uow import EvaluationUnitOfWork

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


def _live_kpis(service, env, uow) -> None:
    handlers.move_live_kpis(env, uow, service.kpis, getattr(service.kpis, "org_cache", None))


# Every ticket event: kept as a fact once (inbox under one consumer name, shared with
# evaluation.batch_consumer), then the Redis live KPIs, which dedupe on the event id themselves.
ticket_event = functools.partial(consume, "ticket", consumer=handlers.CONSUMER, after_commit=_live_kpis)
# Budget events feed the cost KPIs the same way (facts + live KPIs, the same inbox name); the
# batched consumer (batch_consumer.py) takes ticket queues only, so these stay on this worker.
budget_event = functools.partial(consume, "budget", consumer=handlers.CONSUMER, after_commit=_live_kpis)


class Service(OrgDirectoryConsumer):
    name = "evaluation"

    uow = UnitOfWork(EvaluationUnitOfWork)
    kpis = LiveKpis()
    relay = OutboxRelayRunner()
    ticket = RpcProxy("ticket")

    @ticket_event("ticket_created")
    def on_ticket_created(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("ticket_assigned")
    def on_ticket_assigned(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("ticket_status_changed")
    def on_ticket_status_changed(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("ticket_resolved")
    def on_ticket_resolved(self, env, uow) -> None:
        """Also closes the rectification this ticket tracks."""
        handlers.keep_fact(env, uow, ev.close_rectifications_for)

    @ticket_event("ticket_closed")
    def on_ticket_closed(self, env, uow) -> None:
        """Also closes the rectification this ticket tracks."""
        handlers.keep_fact(env, uow, ev.close_rectifications_for)

    @ticket_event("ticket_reopened")
    def on_ticket_reopened(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("ticket_rated")
    def on_ticket_rated(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("sla_warning")
    def on_sla_warning(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("sla_breached")
    def on_sla_breached(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("ticket_escalated")
    def on_ticket_escalated(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("change_approved")
    def on_change_approved(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("change_rejected")
    def on_change_rejected(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("change_implemented")
    def on_change_implemented(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("problem_linked")
    def on_problem_linked(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @ticket_event("alert_received")
    def on_alert_received(self, env, uow) -> None:
        handlers.keep_fact(env, uow)

    @budget_event("budget_approved")
    def on_budget_approved(self, env, uow) -> None:
        """Cost KPIs: an approved budget's total (budget_approved_total, budget_execution_pct)."""
        handlers.keep_fact(env, uow)

    @budget_event("expense_recorded")
    def on_expense_recorded(self, env, uow) -> None:
        """Cost KPIs: O&M spending (om_spend, budget_execution_pct, om_spend_per_ticket)."""
        handlers.keep_fact(env, uow)

    @consume("outsource", "vendor_sla_reported", consumer=handlers.VENDOR_CONSUMER)
    def on_vendor_sla_reported(self, env, uow) -> None:
        """Vendors as evaluated objects: outsource's SLA result for a contract and period."""
        handlers.apply_vendor_report(env, uow)

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
