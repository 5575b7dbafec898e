"""SLA administration (policies, calendars, department overrides, reapplying a policy) and the
deadline scheduler's use case: fire every due warning, breach, escalation level and auto-close."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Gauge

from govkit import logs
from govkit.auth import SYSTEM, Principal
from govkit.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound, Validator
from govkit.events import utcnow

from ..domain import events as ev
from ..domain import statutory
from ..domain.alert import ALERT_ORG_UNIT_ID as OM_CENTRE
from ..domain.calendar import (
    DEFAULT_CALENDARS,
    BusinessCalendar,
    CoverageAlert,
    coverage_alerts,
    fill_statutory,
    parse_year_csv,
)
from ..domain.commands import (
    CheckCalendarCoverage,
    CreateTicket,
    FireDueDeadlines,
    GetCalendar,
    ImportCalendarYear,
    LoadStatutoryYear,
    ReapplySlaPolicy,
    SetDepartmentSlaPolicy,
    UpsertCalendar,
    UpsertSlaPolicy,
)
from ..domain.escalation import SLA_BREACH
from ..domain.model import Status, Ticket
from ..domain.ports import TicketUow, TicketUowFactory
from ..domain.sla import DEFAULT_POLICIES, SlaPolicy
from . import tickets
from ._common import calendar, load, persist, policy_for, staff_id
from .escalation import escalate

log = logs.get_logger(__name__)
MISSING_YEARS = Gauge("govops_ticket_calendar_missing_year",
                      "1 for each calendar in use and year it lacks (the current year; next year from 1 November)",
                      ["calendar", "year"])


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


def all_calendars(uow: TicketUow) -> list[BusinessCalendar]:
    """Stored calendars, and the built-in ones not (yet) stored, by id."""
    stored = {c.id: c for c in uow.sla.calendars()}
    return sorted([*stored.values(), *(c for c in DEFAULT_CALENDARS if c.id not in stored)], key=lambda c: c.id)


def list_sla_policies(uow: TicketUow, caller: Principal) -> list[SlaPolicy]:
    """Stored policies, and the built-in ones not (yet) stored, by id."""
    with uow:
        stored = {p.id: p for p in uow.sla.policies()}
    return sorted([*stored.values(), *(p for p in DEFAULT_POLICIES if p.id not in stored)], key=lambda p: p.id)


def list_calendars(uow: TicketUow, caller: Principal) -> list[BusinessCalendar]:
    with uow:
        return all_calendars(uow)


def get_calendar(cmd: GetCalendar, uow: TicketUow, caller: Principal) -> BusinessCalendar:
    with uow:
        return _calendar(uow, cmd.calendar_id)


def _calendar(uow: TicketUow, calendar_id: str) -> BusinessCalendar:
    cal = uow.sla.calendar(calendar_id.strip()) if calendar_id.strip() else None
    if cal is None:
        raise NotFound(f"calendar {calendar_id[:64]} not found")
    return cal


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise InvalidArgument(field="year", reason="must be between 2000 and 2100")


def import_calendar_year(cmd: ImportCalendarYear, uow: TicketUow, caller: Principal) -> BusinessCalendar:
    """Replace one year of a calendar from CSV: every bad row reported, nothing written unless all
    rows are good (the file is parsed whole before the calendar is touched)."""
    _check_year(cmd.year)
    holidays, workdays = parse_year_csv(cmd.csv_text, cmd.year)
    return _store_year(uow, cmd.calendar_id, cmd.year, holidays, workdays, caller, "csv")


def load_statutory_year(cmd: LoadStatutoryYear, uow: TicketUow, caller: Principal) -> BusinessCalendar:
    _check_year(cmd.year)
    try:
        holidays, workdays = statutory.year(cmd.year)
    except KeyError:
        raise FailedPrecondition(f"the installed chinesecalendar package has no data for {cmd.year}; "
                                 f"import the year from CSV (ImportCalendarYear)") from None
    return _store_year(uow, cmd.calendar_id, cmd.year, holidays, workdays, caller, "statutory")


def _store_year(uow: TicketUow, calendar_id: str, year: int, holidays, workdays, caller: Principal,
                source: str) -> BusinessCalendar:
    with uow:
        cal = _calendar(uow, calendar_id)
        if cal.always:
            raise FailedPrecondition(f"calendar {cal.id} is 7×24: it has no holidays to load")
        cal = cal.with_year(year, holidays, workdays)
        uow.sla.upsert_calendar(cal)
        uow.commit()
    log.info("calendar_year_loaded", calendar=cal.id, year=year, source=source, by=caller.subject,
             holidays=len(holidays), workdays=len(workdays))
    return cal


def calendars_in_use(uow: TicketUow) -> list[BusinessCalendar]:
    """The calendars some SLA policy (stored or built in) measures on."""
    stored = {p.id: p for p in uow.sla.policies()}
    ids = {p.calendar_id for p in [*stored.values(), *(p for p in DEFAULT_POLICIES if p.id not in stored)]}
    return [c for c in (uow.sla.calendar(i) for i in sorted(ids)) if c is not None]


def check_calendar_coverage(cmd: CheckCalendarCoverage, uow_factory: TicketUowFactory,
                            caller: Principal = SYSTEM, *, now: datetime | None = None) -> list[CoverageAlert]:
    """Every year a calendar in use lacks (the current one; next year from 1 November): logged
    as an error each time, and one request per calendar and year opened for the O&M centre's
    administrator — through create_ticket with an idempotency key per calendar and year, so a
    later check (or another replica) replays the first ticket instead of opening a second."""
    now = now or utcnow()
    with uow_factory() as uow:
        calendars = []
        for cal in calendars_in_use(uow):
            filled = fill_statutory(cal)
            if filled.years != cal.years:  # the statutory package now knows a year it lacked
                uow.sla.upsert_calendar(filled)
                log.info("calendar_statutory_years_added", calendar=cal.id, years=sorted(filled.years - cal.years))
            calendars.append(filled)
        alerts = coverage_alerts(calendars, now)
        uow.commit()
    MISSING_YEARS.clear()
    for a in alerts:
        MISSING_YEARS.labels(a.calendar_id, str(a.year)).set(1)
        log.error("calendar_year_missing", calendar=a.calendar_id, year=a.year,
                  hint="load it: govops ticket calendar load-statutory / import")
        description = (f"日历 {a.calendar_id} 没有 {a.year} 年的法定节假日和调休上班日。在导入之前，"
                       f"{a.year} 年的日期只能按普通周一至周五计算，SLA 到期时间可能落在节假日。"
                       f"请管理员导入：govops ticket calendar import {a.calendar_id} {a.year} 文件.csv，"
                       f"或在 chinesecalendar 更新后执行 govops ticket calendar load-statutory "
                       f"{a.calendar_id} {a.year}。")
        create = CreateTicket(title=f"业务日历「{a.calendar_name}」缺少{a.year}年节假日数据", description=description,
                              org_unit_id=OM_CENTRE, ticket_type="request", impact="medium", urgency="medium",
                              category="application", idempotency_key=a.key)
        try:
            tickets.create_ticket(create, uow_factory(), SYSTEM, now=now)
        except DomainError as exc:  # e.g. no O&M centre in the org directory: the log above still says it
            log.error("calendar_ticket_not_opened", calendar=a.calendar_id, year=a.year, error=exc.message)
    return alerts


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
