"""ticket-worker: nameko RPC for other services, the org directory's event handlers, the outbox
relay, the SLA deadline scheduler and the Alertmanager webhook (HTTP)."""

from __future__ import annotations

import json
import os

from nameko.rpc import rpc
from nameko.timer import timer
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address
from werkzeug.wrappers import Response

from govkit.auth import SYSTEM
from govkit.errors import DomainError, InvalidArgument
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork
from govkit.orgdir import OrgDirectoryConsumer

from .adapters.scheduler import DeadlineScheduler
from .adapters.uow import TicketUnitOfWork
from .domain.commands import CheckCalendarCoverage, EscalateTicket, GetTicket, ReceiveAlerts
from .handlers import alerts, escalation, sla, tickets
from .serializers import ticket_to_dict

DEFAULT_HTTP_PORT = 8002
# How often the calendars in use are checked for a missing year (from 1 November: next year).
CALENDAR_CHECK_SECONDS = float(os.environ.get("GOVOPS_TICKET_CALENDAR_CHECK_SECONDS", "3600"))


class TicketWebServer(WebServer):
    """nameko's web server on GOVOPS_TICKET_HTTP_PORT (default 8002) unless the container config
    names WEB_SERVER_ADDRESS (nameko's test helpers do); govkit's nameko_config sets neither."""

    @property
    def bind_addr(self):
        address = self.container.config.get("WEB_SERVER_ADDRESS")
        if not address:
            address = f"0.0.0.0:{os.environ.get('GOVOPS_TICKET_HTTP_PORT') or DEFAULT_HTTP_PORT}"
        return parse_address(address)


class TicketHttp(HttpRequestHandler):
    server = TicketWebServer()


http = TicketHttp.decorator


class Service(OrgDirectoryConsumer):
    name = "ticket"

    uow = UnitOfWork(TicketUnitOfWork)
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
        sla.check_calendar_coverage(CheckCalendarCoverage(), self.uow(), SYSTEM)

    @http("POST", "/api/v1/alerts/alertmanager")
    def alertmanager(self, request):
        """Alertmanager webhook (v4 JSON): dedupe by fingerprint into incidents."""
        try:
            payload = json.loads(request.get_data(as_text=True) or "null")
            results = alerts.receive_alerts(ReceiveAlerts.from_webhook(payload), self.uow, SYSTEM)
        except (ValueError, InvalidArgument) as exc:
            message = exc.message if isinstance(exc, DomainError) else f"invalid JSON: {exc}"
            return Response(json.dumps({"error": message}, ensure_ascii=False), status=400,
                            mimetype="application/json")
        return Response(json.dumps({"results": results}, ensure_ascii=False), status=200,
                        mimetype="application/json")
