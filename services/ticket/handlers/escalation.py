"""Escalation up the position chain: by hand (`EscalateTicket`, the `escalate` RPC) and the
step the SLA scheduler takes at each escalation level (sla.py)."""

from __future__ import annotations

from datetime import datetime

from govkit.auth import Principal
from govkit.errors import FailedPrecondition, Validator
from govkit.events import utcnow

from ..domain.commands import EscalateTicket
from ..domain.escalation import MANUAL, REASON_MAX, EscalationRule, EscalationTarget, least_loaded
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ._common import calendar, load, record, staff_id


def escalate_ticket(cmd: EscalateTicket, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Ticket:
    """One level up the position chain, reassigned to that position's holder; the caller's
    reason is kept on the ticket and in ticket_escalated."""
    now = now or utcnow()
    v = Validator()
    reason = v.text("reason", cmd.reason, required=False, max_len=REASON_MAX) or MANUAL
    v.check()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        if not t.is_open:
            raise FailedPrecondition(f"cannot escalate a {t.ticket_type} in status {t.status.value}")
        events = escalate(uow, t, EscalationRule.manual(t.escalation_level + 1), reason, staff_id(caller), now)
        record(uow, t, staff_id(caller), "escalate", now, events)
        return t


def escalate(uow: TicketUow, t: Ticket, rule: EscalationRule, reason: str, actor: str, now: datetime) -> list:
    """Read whom the rule reaches from the org directory, then let the ticket escalate."""
    chain = uow.orgdir.escalation_chain(t.position_id) if t.position_id else []
    position = rule.target_position(chain)
    holders = uow.orgdir.holders(position, now.date()) if position else []
    holder = least_loaded(holders, uow.tickets.open_load(holders)) if holders else None
    vendor = (uow.orgdir.staff_member(holder) or {}).get("vendor_id") if holder else None
    return t.escalate(rule, EscalationTarget(position, holder, vendor), reason=reason, actor=actor, now=now,
                      cal=calendar(uow, t))
