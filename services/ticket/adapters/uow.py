from __future__ import annotations

import os

from govkit.auth import SYSTEM, Scope
from govkit.orgdir import OrgDirectory
from govkit.uow import SqlUnitOfWork

from ..domain.events import TicketEvent
from ..domain.model import LifecycleSettings
from ..domain.ports import TicketUow
from . import repository as r
from .feed import ChangeFeed, change_of, default_feed, updated_change


def lifecycle_settings() -> LifecycleSettings:
    return LifecycleSettings(reopen_days=int(os.environ.get("GOVOPS_TICKET_REOPEN_DAYS", "7")),
                             autoclose_business_days=int(os.environ.get("GOVOPS_TICKET_AUTOCLOSE_DAYS", "3")))


class TicketUnitOfWork(SqlUnitOfWork):
    """Repositories of the ticket service on one transaction, filtered by the caller's scope."""

    def __init__(self, engine, scope: Scope = SYSTEM.scope, feed: ChangeFeed | None = None,
                 actor: tuple[str, str] = ("", "")):
        super().__init__(engine)
        self.scope = scope
        self._feed = feed
        # (login name, display name) of the user whose call this is; ("", "") for the service's own
        # work. The live queues say who changed a ticket: not every event names its actor.
        self.actor = actor
        self.settings = lifecycle_settings()
        self.deadline_horizon = float(os.environ.get("GOVOPS_TICKET_DEADLINE_BACKSTOP_SECONDS", "5"))

    def bind(self, conn) -> None:
        self.tickets = r.TicketRepository(conn, self.scope)
        self.catalogue = r.CatalogueRepository(conn)
        self.sla = r.SlaRepository(conn)
        self.change_routes = r.ChangeRouteRepository(conn)
        self.deadlines = r.DeadlineRepository(conn, self.deadline_horizon)
        self.comments = r.CommentRepository(conn)
        self.attachments = r.AttachmentRepository(conn)
        self.relations = r.RelationRepository(conn)
        self.articles = r.ArticleRepository(conn)
        self.alerts = r.AlertRepository(conn)
        self.views = r.SavedViewRepository(conn)
        self.orgdir = OrgDirectory(conn)

    def commit(self) -> None:
        # The open queues (WatchQueue) hear of a change only once it is committed: the saved
        # events' state, and a plain `ticket_updated` for a ticket saved without an event (e.g. a
        # ticket still new moved to another group's queue).
        changes = [change_of(e) for e in self.events if isinstance(e, TicketEvent)]
        told = {c["ticket_id"] for c in changes}
        for t in self.tickets.saved:
            if t.id not in told:
                told.add(t.id)
                changes.append(updated_change(t))
        self.tickets.saved.clear()
        for change in changes:
            change["actor"], change["actor_name"] = self.actor
        super().commit()
        if changes:
            (self._feed or default_feed()).publish(changes)


def _conforms(uow: TicketUnitOfWork) -> TicketUow:
    """Never called: mypy checks here that the PostgreSQL unit of work meets the Protocol."""
    return uow
