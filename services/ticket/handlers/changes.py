"""Changes: submission for approval by the positions holding the approval duty (岗责), each
approver's decision, implementation with its outcome, and the review that closes the change.
The approval rules are the domain's (domain/change.py)."""

from __future__ import annotations

from datetime import datetime

from govkit.auth import Principal
from govkit.events import utcnow

from ..domain.change import Change
from ..domain.commands import DecideChange, ImplementChange, ReviewChange, SubmitChange
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ._common import load, record, require_staff_on, staff_id


def submit_change(cmd: SubmitChange, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """RFC → awaiting approval by the positions holding the approval duty for changes."""
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        events = t.submit_change(uow.orgdir.positions_responsible_for("approval", "change"), now)
        record(uow, t, staff_id(caller), "submit_change", now, events)
        return t


def decide_change(cmd: DecideChange, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """One approver's decision (ApproveChange / RejectChange), for a position they hold today."""
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
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        events = t.review_change(cmd.review, now)
        record(uow, t, staff_id(caller), "review_change", now, events)
        return t
