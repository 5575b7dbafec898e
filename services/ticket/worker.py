"""ticket-worker: nameko RPC for other services, the org directory's event handlers, budget's
`budget_exceeded` (a ticket for the finance reviewer), the outbox relay, the SLA deadline scheduler
and the Alertmanager webhook (HTTP)."""

from __future__ import annotations

import logging
import os

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address

from govkit.auth import SYSTEM
from govkit.consumers import consume
from govkit.errors import InvalidArgument, is_transient
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork, rpc
from govkit.orgdir import OrgDirectoryConsumer

from . import webhook
from .adapters.scheduler import DeadlineScheduler
from .adapters.uow import TicketUnitOfWork
from .domain.commands import CheckCalendarCoverage, EscalateTicket, GetTicket, ReceiveAlerts
from .handlers import alerts, budget_alerts, escalation, sla, tickets
from .serializers import ticket_to_dict

DEFAULT_HTTP_PORT = 8002
# How often the calendars in use are checked for a missing year (from 1 November: next year).
CALENDAR_CHECK_SECONDS = float(os.environ.get("GOVOPS_TICKET_CALENDAR_CHECK_SECONDS", "3600"))
log = logging.getLogger(__name__)


class TicketWebServer(WebServer):
    """nameko's web server on GOVOPS_TICKET_HTTP_PORT (default 8002) unless the container config
    names WEB_SERVER_ADDRESS (nameko's test helpers do); govkit's nameko_config sets neither.
    Without a webhook secret it listens on 127.0.0.1 only (webhook.bind_host)."""

    @property
    def bind_addr(self):
        address = self.container.config.get("WEB_SERVER_ADDRESS")
        if not address:
            address = f"0.0.0.0:{os.environ.get('GOVOPS_TICKET_HTTP_PORT') or DEFAULT_HTTP_PORT}"
        host, port = parse_address(address)
        return webhook.bind_host(host, webhook.load()), port


class TicketHttp(HttpRequestHandler):
    server = TicketWebServer()


class WebhookSettings(DependencyProvider):
    """The Alertmanager webhook's settings (credentials, body limit, unit labels), read once at
    start: a secret that is configured but unreadable stops the worker, naming the variable."""

    def setup(self):
        self.settings = webhook.load()

    def get_dependency(self, worker_ctx):
        return self.settings


http = TicketHttp.decorator


class Service(OrgDirectoryConsumer):
    name = "ticket"

    uow = UnitOfWork(TicketUnitOfWork)
    alert_settings = WebhookSettings()
    relay = OutboxRelayRunner()
    scheduler = DeadlineScheduler()

    @rpc
    def create_ticket(self, title: str, description: str, org_unit_id: str, category: str,
                      priority: str, idempotency_key: str | None = None, ticket_type: str = "",
                      due_date: str = "", group_id: str = "", position_id: str = "") -> dict:
        """Open a ticket on behalf of another service (e.g. evaluation's rectification work:
        ticket_type="rectification" with its due_date, routed to group_id / position_id). The
        added arguments are optional keywords: callers of the six-argument form are unchanged."""
        return tickets.create_for_service(self.uow(), title, description, org_unit_id, category, priority,
                                          idempotency_key, ticket_type=ticket_type, due_date=due_date,
                                          group_id=group_id, position_id=position_id)

    @rpc
    def get_ticket(self, ticket_id: str) -> dict:
        return ticket_to_dict(tickets.get_ticket(GetTicket(ticket_id), self.uow(), SYSTEM))

    @rpc
    def escalate(self, ticket_id: str, reason: str) -> dict:
        """Escalate one level up the position hierarchy (RPC for other services)."""
        return ticket_to_dict(escalation.escalate_ticket(EscalateTicket(ticket_id, reason), self.uow(), SYSTEM))

    @timer(interval=CALENDAR_CHECK_SECONDS)
    def check_calendars(self) -> None:
        """Report calendar years that are missing (log, metric, one ticket for the administrator);
        several replicas open one ticket between them (an idempotency key per calendar and year)."""
        sla.check_calendar_coverage(CheckCalendarCoverage(), self.uow, SYSTEM)

    @consume("budget", "budget_exceeded")
    def on_budget_exceeded(self, env, uow) -> None:
        """Spending above a budget scope → one request ticket for the unit's finance reviewer."""
        budget_alerts.apply_budget_exceeded(env, uow)

    @http("POST", webhook.PATH)
    def alertmanager(self, request):
        """Alertmanager webhook (v4 JSON): dedupe by fingerprint into incidents, mapped to org units."""
        try:
            payload = webhook.read_payload(request, self.alert_settings)
            results = alerts.receive_alerts(ReceiveAlerts.from_webhook(payload, self.alert_settings.unit_labels),
                                            self.uow, SYSTEM)
        except webhook.Refused as refused:
            return refused.response()
        except InvalidArgument as exc:
            v = exc.violations[0]
            return webhook.Refused(400, v.field, v.reason).response()
        except Exception as exc:
            if not is_transient(exc):
                raise
            # Alertmanager retries a 5xx delivery: the alerts come again once the database is back.
            log.warning("Alertmanager delivery refused, retry: %s", type(exc).__name__)
            return webhook.json_response(503, {"error": "temporarily unavailable (database, broker or Redis); retry"},
                                         [("Retry-After", "10")])
        return webhook.json_response(200, {"results": results})
