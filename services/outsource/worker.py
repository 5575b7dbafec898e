"""outsource-worker: nameko RPC for other services, ticket-event consumers (vendor SLA facts),
budget's commitment decisions (a contract's budget status), the daily qualification check, and
the outbox relay."""

from __future__ import annotations

from datetime import date

from nameko.timer import timer

from govkit.auth import SYSTEM
from govkit.consumers import consume
from govkit.events import jsonable
from govkit.nameko_ext import OutboxRelayRunner, UnitOfWork, rpc
from govkit.orgdir import OrgDirectoryConsumer

from . import handlers
from .adapters.uow import OutsourceUnitOfWork
from .domain import commands as c
from .domain.kinds import KINDS

DAY = 24 * 60 * 60


class Service(OrgDirectoryConsumer):
    name = "outsource"

    uow = UnitOfWork(OutsourceUnitOfWork)
    relay = OutboxRelayRunner()

    @rpc
    def list_outsourcing_kinds(self) -> list[dict]:
        return [vars(k) for k in KINDS]

    @rpc
    def vendor_scorecard(self, vendor_id: str, period_start: str, period_end: str) -> dict:
        """A vendor's scorecard over every unit (for evaluation)."""
        return jsonable(handlers.vendor_scorecard(vendor_id, date.fromisoformat(period_start),
                                                  date.fromisoformat(period_end), self.uow(), SYSTEM))

    @rpc
    def generate_sla_report(self, contract_id: str, period_start: str, period_end: str,
                            availability_percent: str = "") -> dict:
        """Compute (or recompute) a contract's vendor SLA report for a period."""
        return jsonable(handlers.generate_sla_report(c.GenerateSlaReport(
            contract_id, date.fromisoformat(period_start), date.fromisoformat(period_end), availability_percent),
            self.uow(), SYSTEM))

    @timer(interval=DAY, eager=True)
    def check_qualifications(self) -> None:
        """Daily: `qualification_expiring` once per qualification per threshold (30 and 7 days)."""
        handlers.check_qualifications(self.uow())

    # Ticket events → one fact row per ticket (inbox + order-independent merge).
    @consume("ticket", "ticket_created")
    def on_ticket_created(self, env, uow) -> None:
        handlers.apply_ticket_event(env, uow)

    @consume("ticket", "ticket_assigned")
    def on_ticket_assigned(self, env, uow) -> None:
        handlers.apply_ticket_event(env, uow)

    @consume("ticket", "ticket_reprioritised")
    def on_ticket_reprioritised(self, env, uow) -> None:
        handlers.apply_ticket_event(env, uow)

    @consume("ticket", "ticket_status_changed")
    def on_ticket_status_changed(self, env, uow) -> None:
        """Pauses and resumes (with the pending reason) for the vendor's contract clock."""
        handlers.apply_ticket_event(env, uow)

    @consume("ticket", "ticket_resolved")
    def on_ticket_resolved(self, env, uow) -> None:
        handlers.apply_ticket_event(env, uow)

    @consume("ticket", "ticket_closed")
    def on_ticket_closed(self, env, uow) -> None:
        handlers.apply_ticket_event(env, uow)

    @consume("ticket", "sla_breached")
    def on_sla_breached(self, env, uow) -> None:
        handlers.apply_ticket_event(env, uow)

    # budget's decision on a signed contract's commitment → the contract's budget status.
    @consume("budget", "commitment_recorded")
    def on_commitment_recorded(self, env, uow) -> None:
        handlers.apply_commitment_event(env, uow)

    @consume("budget", "commitment_refused")
    def on_commitment_refused(self, env, uow) -> None:
        handlers.apply_commitment_event(env, uow)

    @consume("budget", "commitment_approved")
    def on_commitment_approved(self, env, uow) -> None:
        handlers.apply_commitment_event(env, uow)
