"""Each ticket type's lifecycle as an explicit table: (status, action) → next status.

Anything not in a table is illegal and fails with FailedPrecondition naming the current status.
"""

from __future__ import annotations

import re

from govkit.errors import FailedPrecondition

NEW, ASSIGNED, IN_PROGRESS, PENDING = "new", "assigned", "in_progress", "pending"
RESOLVED, CLOSED = "resolved", "closed"
AWAITING_APPROVAL, APPROVED, REJECTED, IMPLEMENTED = "awaiting_approval", "approved", "rejected", "implemented"
KNOWN_ERROR = "known_error"

STATUSES = (NEW, ASSIGNED, IN_PROGRESS, PENDING, RESOLVED, CLOSED, AWAITING_APPROVAL, APPROVED,
            REJECTED, IMPLEMENTED, KNOWN_ERROR)
PENDING_REASONS = ("requester", "vendor", "change")
OPEN_STATUSES = tuple(s for s in STATUSES if s not in (RESOLVED, CLOSED, REJECTED))

# Requests and incidents (服务请求 / 事件).
_SERVICE = {
    NEW: {"assign": ASSIGNED, "cancel": CLOSED, "resolve": RESOLVED},
    ASSIGNED: {"assign": ASSIGNED, "requeue": NEW, "start": IN_PROGRESS, "pend": PENDING, "resolve": RESOLVED},
    IN_PROGRESS: {"assign": ASSIGNED, "requeue": NEW, "pend": PENDING, "resolve": RESOLVED},
    # Reassigning a pending ticket keeps it pending: the requester/vendor/change is still awaited,
    # whoever holds it. Requeue (back to the group queue, unassigned) returns it to new.
    PENDING: {"assign": PENDING, "requeue": NEW, "resume": IN_PROGRESS, "resolve": RESOLVED},
    RESOLVED: {"close": CLOSED, "reopen": IN_PROGRESS},
    CLOSED: {"reopen": IN_PROGRESS},  # only within the reopen window (checked by the model)
}

# Problems (问题): linked incidents, root cause, workaround, known error.
_PROBLEM = {
    NEW: {"assign": ASSIGNED, "cancel": CLOSED},
    ASSIGNED: {"assign": ASSIGNED, "requeue": NEW, "start": IN_PROGRESS},
    IN_PROGRESS: {"assign": IN_PROGRESS, "pend": PENDING, "known_error": KNOWN_ERROR, "resolve": RESOLVED},
    PENDING: {"assign": PENDING, "resume": IN_PROGRESS},
    KNOWN_ERROR: {"assign": KNOWN_ERROR, "resolve": RESOLVED},
    RESOLVED: {"close": CLOSED, "reopen": IN_PROGRESS},
    CLOSED: {},
}

# Changes (变更): RFC → approval along the change type's route (a standard change of a pre-approved
# model skips it) → implement → review.
_CHANGE = {
    NEW: {"assign": NEW, "submit": AWAITING_APPROVAL, "preapprove": APPROVED, "cancel": CLOSED},
    AWAITING_APPROVAL: {"approve": AWAITING_APPROVAL, "approve_final": APPROVED, "reject": REJECTED},
    APPROVED: {"assign": APPROVED, "start": IN_PROGRESS},
    IN_PROGRESS: {"assign": IN_PROGRESS, "implement": IMPLEMENTED},
    IMPLEMENTED: {"review": CLOSED},
    REJECTED: {"revise": NEW, "close": CLOSED},
    CLOSED: {},
}

# Rectifications (整改): work an evaluation finding asks of a responsible position or group, due
# by the rectification's own date. No SLA policy: no response/resolution clock, no sla_* events,
# and evaluation keeps them out of the SLA, response and resolution KPIs.
_RECTIFICATION = {
    NEW: {"assign": ASSIGNED, "start": IN_PROGRESS, "resolve": RESOLVED},
    ASSIGNED: {"assign": ASSIGNED, "requeue": NEW, "start": IN_PROGRESS, "pend": PENDING, "resolve": RESOLVED},
    IN_PROGRESS: {"assign": ASSIGNED, "requeue": NEW, "pend": PENDING, "resolve": RESOLVED},
    PENDING: {"assign": ASSIGNED, "requeue": NEW, "resume": IN_PROGRESS, "resolve": RESOLVED},
    RESOLVED: {"close": CLOSED, "reopen": IN_PROGRESS},
    CLOSED: {"reopen": IN_PROGRESS},
}

LIFECYCLES = {"request": _SERVICE, "incident": _SERVICE, "problem": _PROBLEM, "change": _CHANGE,
              "rectification": _RECTIFICATION}
TICKET_TYPES = tuple(LIFECYCLES)
# Ticket types with an SLA policy (response and resolution targets by priority).
SLA_TYPES = ("request", "incident")
NUMBER_PREFIX = {"request": "REQ", "incident": "INC", "problem": "PRB", "change": "CHG", "rectification": "RCT"}
_NUMBER = re.compile("(" + "|".join(NUMBER_PREFIX.values()) + r")-\d{4}-\d{6,}")


def is_ticket_number(text: str) -> bool:
    """A human ticket number as the service issues it: PREFIX-YEAR-SEQUENCE, e.g. INC-2026-000002."""
    return _NUMBER.fullmatch(text) is not None


def next_status(ticket_type: str, status: str, action: str) -> str:
    table = LIFECYCLES[ticket_type]
    nxt = table.get(status, {}).get(action)
    if nxt is None:
        allowed = ", ".join(sorted(table.get(status, {}))) or "none"
        raise FailedPrecondition(
            f"cannot {action.replace('_', ' ')} a {ticket_type} in status {status} (allowed: {allowed})")
    return nxt


def allowed_actions(ticket_type: str, status: str) -> list[str]:
    return sorted(LIFECYCLES[ticket_type].get(status, {}))
