"""Problems: linking incidents, recording root cause and workaround, and the move to known
error, which publishes a knowledge article from them."""

from __future__ import annotations

import uuid
from datetime import datetime

from govkit.auth import Principal
from govkit.errors import FailedPrecondition
from govkit.events import utcnow

from ..domain.commands import LinkIncident, UpdateProblem
from ..domain.knowledge import Article
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ._common import load, record, staff_id


def link_incident(cmd: LinkIncident, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with uow:
        p = load(uow, cmd.problem_id, caller)
        i = load(uow, cmd.incident_id, caller)
        p.require_problem()
        if i.ticket_type != "incident":
            raise FailedPrecondition(f"{i.number} is a {i.ticket_type}, not an incident")
        if not uow.relations.link(p.id, i.id, "problem_incident", caller.subject, now):
            raise FailedPrecondition(f"{i.number} is already linked to {p.number}")
        events = p.link_incident(i, uow.relations.count(p.id, "problem_incident"), now)
        record(uow, p, staff_id(caller), f"link_incident {i.number}", now, events)
        return p


def update_problem(cmd: UpdateProblem, uow: TicketUow, caller: Principal, *,
                   now: datetime | None = None) -> tuple[Ticket, Article | None]:
    """Record root cause and workaround; `known_error` moves it to known error and publishes a
    knowledge article from them (linked to the problem and its catalogue item)."""
    now = now or utcnow()
    with uow:
        p = load(uow, cmd.problem_id, caller)
        p.require_problem().record(cmd.root_cause, cmd.workaround)
        events: list = []
        article = None
        if cmd.known_error:
            events, title, body = p.known_error(now)
            article = Article(id=str(uuid.uuid4()), title=title, body=body, status="published",
                              catalogue_item_ids=[p.catalogue_item_id] if p.catalogue_item_id else [],
                              problem_id=p.id, author=staff_id(caller), created_at=now, updated_at=now)
            uow.articles.add(article)
            p.problem.kb_article_id = article.id
        record(uow, p, staff_id(caller), "update_problem", now, events)
        return p, article
