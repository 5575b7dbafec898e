"""Changes: submission along the change type's approval route (approvers resolved from the
change's context in the org directory), each approver's decision, implementation with its
outcome, the review that closes the change (the retrospective review an emergency change owes),
and the routes themselves (configuration). The approval rules are the domain's
(domain/change.py)."""

from __future__ import annotations

from datetime import datetime

from govkit.auth import Principal
from govkit.errors import FailedPrecondition
from govkit.events import utcnow

from ..domain.change import Change, ChangeRoute, resolve_route
from ..domain.commands import (
    DecideChange,
    ImplementChange,
    ListChangeRoutes,
    ReviewChange,
    SubmitChange,
    UpsertChangeRoute,
)
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ._common import load, record, require_staff_on, staff_id


def submit_change(cmd: SubmitChange, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """RFC → awaiting approval along its type's route; a standard change of a pre-approved model
    (a catalogue item the standard route lists) → approved."""
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        change = t.require_change()
        route = uow.change_routes.get(change.change_type)
        if not route.steps:
            if t.catalogue_item_id not in route.catalogue_item_ids:
                raise FailedPrecondition(
                    f"{t.number} is a {change.change_type} change of catalogue item {t.catalogue_item_id or 'none'}, "
                    f"which is not a pre-approved change model "
                    f"(pre-approved: {', '.join(route.catalogue_item_ids) or 'none'})")
            events = t.preapprove_change(now)
        else:
            steps, retrospective = resolve_route(route, t.org_unit_id, uow.orgdir)
            events = t.submit_change(steps, route.sequential, retrospective, now)
        record(uow, t, staff_id(caller), "submit_change", now, events)
        return t


def decide_change(cmd: DecideChange, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """One approver's decision (ApproveChange / RejectChange) on their step, for a position they
    hold today; a rejection needs its reason and ends the change."""
    now = now or utcnow()
    approver = staff_id(caller)
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        events = t.decide_change(approver, uow.orgdir.positions_of(approver, now.date()), cmd.approve,
                                 cmd.comment, now)
        record(uow, t, approver, "approve_change" if cmd.approve else "reject_change", now, events)
        return t


def implement_change(cmd: ImplementChange, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    Change.check_outcome(cmd.outcome)
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        t.require_change()
        require_staff_on(t, caller)
        events = t.implement_change(cmd.outcome, cmd.notes, now)
        record(uow, t, staff_id(caller), "implement_change", now, events)
        return t


def review_change(cmd: ReviewChange, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """The closing review; a change owing a retrospective review gets it here, from its positions."""
    now = now or utcnow()
    reviewer = staff_id(caller)
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        events = t.review_change(reviewer, uow.orgdir.positions_of(reviewer, now.date()), cmd.review, now)
        record(uow, t, reviewer, "review_change", now, events)
        return t


def list_change_routes(cmd: ListChangeRoutes, uow: TicketUow, caller: Principal) -> list[ChangeRoute]:
    """The route of each change type (normal, emergency, standard): stored, else the default."""
    with uow:
        return uow.change_routes.list()


def upsert_change_route(cmd: UpsertChangeRoute, uow: TicketUow, caller: Principal) -> ChangeRoute:
    """Replace one change type's route (validated; every bad key at once). Changes submitted
    afterwards follow it; changes already awaiting approval keep the steps they were given."""
    route = ChangeRoute.from_dict(dict(cmd.route or {}))
    with uow:
        uow.change_routes.upsert(route)
        uow.commit()
        return route
