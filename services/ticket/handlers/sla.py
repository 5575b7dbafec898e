"""SLA administration (policies, calendars, department overrides, reapplying a policy) and the
deadline scheduler's use case: fire every due warning, breach, escalation level and auto-close."""

from __future__ import annotations

from datetime import datetime

from govkit import logs
from govkit.auth import SYSTEM, Principal
from govkit.errors import FailedPrecondition, NotFound, Validator
from govkit.events import utcnow

from ..domain import events as ev
from ..domain.calendar import BusinessCalendar
from ..domain.commands import (
    FireDueDeadlines,
    ReapplySlaPolicy,
    SetDepartmentSlaPolicy,
    UpsertCalendar,
    UpsertSlaPolicy,
)
from ..domain.escalation import SLA_BREACH
from ..domain.model import Status, Ticket
from ..domain.ports import TicketUow, TicketUowFactory
from ..domain.sla import SlaPolicy
from ._common import calendar, load, persist, policy_for, staff_id
from .escalation import escalate

log = logs.get_logger(__name__)


def upsert_sla_policy(cmd: UpsertSlaPolicy, uow: TicketUow, caller: Principal) -> SlaPolicy:
    policy = cmd.policy
    v = Validator()
    v.text("id", policy.id, max_len=64)
    if not 1 <= policy.warning_percent <= 99:
        v.fail("warning_percent", "must be between 1 and 99")
    for prio in ("critical", "high", "medium", "low"):
        for kind in ("response", "resolution"):
            value = (policy.targets.get(prio) or {}).get(kind)
            if not isinstance(value, (int, float)) or value <= 0:
                v.fail(f"targets.{prio}.{kind}", "must be a positive number of business seconds")
    v.check()
    with uow:
        if uow.sla.calendar(policy.calendar_id) is None:
            raise NotFound(f"calendar {policy.calendar_id} not found")
        uow.sla.upsert_policy(policy)
        uow.commit()
        return policy


def upsert_calendar(cmd: UpsertCalendar, uow: TicketUow, caller: Principal) -> BusinessCalendar:
    cal = cmd.calendar
    v = Validator()
    v.text("id", cal.id, max_len=64)
    if not cal.always and not cal.periods:
        v.fail("periods", "a business calendar needs working periods")
    for i, (a, b) in enumerate(cal.periods):
        if b <= a:
            v.fail(f"periods.{i}", "must end after it starts")
    v.check()
    with uow:
        uow.sla.upsert_calendar(cal)
        uow.commit()
        return cal


def set_department_policy(cmd: SetDepartmentSlaPolicy, uow: TicketUow, caller: Principal) -> None:
    with uow:
        if cmd.policy_id:  # clearing an override needs no live unit
            uow.orgdir.require_units([("org_unit_id", cmd.org_unit_id)])
        if cmd.policy_id and uow.sla.policy(cmd.policy_id) is None:
            raise NotFound(f"SLA policy {cmd.policy_id} not found")
        uow.sla.set_department_policy(cmd.org_unit_id, cmd.policy_id or None)
        uow.commit()


def reapply_sla_policy(cmd: ReapplySlaPolicy, uow: TicketUow, caller: Principal, *,
                       now: datetime | None = None) -> Ticket:
    """Re-read the policy (after a policy change): new targets, the same accumulated time."""
    now = now or utcnow()
    with uow:
        t = load(uow, cmd.ticket_id, caller)
        if t.sla is None:
            raise FailedPrecondition(f"{t.number} has no SLA")
        item = uow.catalogue.get(t.catalogue_item_id) if t.catalogue_item_id else None
        policy = policy_for(uow, item, t.org_unit_id)
        t.apply_policy(policy, uow.sla.calendar(policy.calendar_id))
        persist(uow, t, staff_id(caller), "reapply_sla", now)
        uow.commit()
        return t


def fire_due_deadlines(cmd: FireDueDeadlines, uow_factory: TicketUowFactory, caller: Principal = SYSTEM, *,
                       now: datetime | None = None) -> tuple[int, int]:
    """Fire every deadline due by `now`: (fired, busy tickets skipped).

    One transaction per batch: the due tickets are locked FOR UPDATE SKIP LOCKED (a ticket busy
    with a user action is retried next round), their due deadlines read, events collected and
    the deadline rows replaced — committed with the outbox rows, so a crash fires nothing twice
    and loses nothing. If the batch fails, each ticket is retried in its own transaction so one
    bad ticket cannot hold the others back."""
    now = now or utcnow()
    with uow_factory() as uow:
        due = uow.deadlines.due_tickets(now, cmd.limit)
    if not due:
        return 0, 0
    try:
        with uow_factory() as uow:
            tickets = uow.tickets.lock_many(due)
            fired = _fire_locked(uow, tickets, now)
            uow.commit()
            return fired, len(due) - len(tickets)
    except Exception as exc:  # fall back to one transaction per ticket
        log.warning("deadline_batch_failed", error=str(exc), tickets=len(due))
    fired = busy = 0
    errors: list[Exception] = []
    for ticket_id in due:
        try:
            with uow_factory() as uow:
                tickets = uow.tickets.lock_many([ticket_id])
                busy += not tickets
                fired += _fire_locked(uow, tickets, now)
                uow.commit()
        except Exception as exc:  # reported below; the others still fire
            errors.append(exc)
    if errors:
        raise errors[0]
    return fired, busy


def _fire_locked(uow: TicketUow, tickets: list[Ticket], now: datetime) -> int:
    if not tickets:
        return 0
    due = uow.deadlines.for_tickets([t.id for t in tickets], now)
    fired, events = 0, []
    for t in tickets:
        for d in due.get(t.id, []):
            events += _fire(uow, t, d, now)
            fired += 1
        persist(uow, t, "system", "sla_deadline", now)
    uow.collect(*events)
    return fired


def _fire(uow: TicketUow, t: Ticket, d, now: datetime) -> list:
    if d.kind == "autoclose":
        return t.close("auto", now, calendar(uow, t)) if t.status == Status.RESOLVED else []
    if t.sla is None:
        return []
    cal = calendar(uow, t)
    clock = t.sla.clocks()[d.target]
    elapsed = int(clock.elapsed_at(now, cal))
    due_at = clock.due_at(cal, 100) or d.due_at
    if d.kind == "warning" and not clock.warned:
        clock.warned = True
        return [ev.SlaWarning(**t.common(now), target=d.target, due_at=due_at.isoformat(),
                              elapsed_business_seconds=elapsed, threshold_percent=t.sla.warning_percent)]
    if d.kind == "breach" and not clock.breached:
        clock.breached = True
        clock.warned = True
        t.refresh_due(cal)
        out = [ev.SlaBreached(**t.common(now), target=d.target, due_at=due_at.isoformat(),
                              elapsed_business_seconds=elapsed)]
        if d.target == "resolution":
            for rule in t.sla.rules_due_at_breach(t.escalation_level):
                out += escalate(uow, t, rule, SLA_BREACH, "system", now)
        return out
    if d.kind.startswith("escalate"):
        rule = t.sla.rule(int(d.kind[len("escalate"):]))
        if rule and rule.level > t.escalation_level:
            return escalate(uow, t, rule, SLA_BREACH, "system", now)
    return []
