"""Ticket domain: lifecycle tables, the business calendar (lunch break, holidays, 调休), SLA clocks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from govkit.errors import FailedPrecondition
from ticket.domain import lifecycle as lc
from ticket.domain.calendar import CN, TWENTY_FOUR_SEVEN
from ticket.domain.sla import DEFAULT_POLICIES, Clock, SlaState, priority_for

CST = timezone(timedelta(hours=8))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.mark.parametrize("ticket_type", ["request", "incident"])
def test_service_lifecycle_happy_path_and_illegal_moves(ticket_type):
    s = "new"
    for action, expected in [("assign", "assigned"), ("start", "in_progress"), ("pend", "pending"),
                             ("resume", "in_progress"), ("resolve", "resolved"), ("reopen", "in_progress"),
                             ("resolve", "resolved"), ("close", "closed")]:
        s = lc.next_status(ticket_type, s, action)
        assert s == expected
    with pytest.raises(FailedPrecondition) as err:
        lc.next_status(ticket_type, "new", "start")
    assert "status new" in err.value.message
    with pytest.raises(FailedPrecondition):
        lc.next_status(ticket_type, "closed", "resolve")


def test_change_needs_approval_before_implementation():
    with pytest.raises(FailedPrecondition) as err:
        lc.next_status("change", "awaiting_approval", "implement")
    assert "awaiting_approval" in err.value.message
    assert lc.next_status("change", "approved", "start") == "in_progress"
    assert lc.next_status("change", "in_progress", "implement") == "implemented"
    assert lc.next_status("change", "implemented", "review") == "closed"
    assert lc.next_status("problem", "in_progress", "known_error") == "known_error"


def test_business_seconds_skip_lunch_break_and_evenings():
    # Wed 2026-11-25 11:00 → 14:00: 11–12 and 13:30–14 count = 1.5 h
    assert CN.seconds_between(at(2026, 11, 25, 11), at(2026, 11, 25, 14)) == 1.5 * 3600
    # 17:00 → next day 10:00: 17:00–17:30 + 09:00–10:00
    assert CN.seconds_between(at(2026, 11, 25, 17), at(2026, 11, 26, 10)) == 1.5 * 3600
    # adding 2 h at 11:00 lands after lunch: 11–12 (1 h) + 13:30–14:30
    assert CN.add(at(2026, 11, 25, 11), 2 * 3600) == at(2026, 11, 25, 14, 30)


def test_holidays_and_make_up_working_days_2026():
    # Friday 2026-02-13 17:00 + 1 h: Sat 14 Feb is a make-up working day (调休) → 14 Feb 09:30
    assert CN.add(at(2026, 2, 13, 17), 3600) == at(2026, 2, 14, 9, 30)
    # Sat 14 Feb 17:00 + 1 h: Spring Festival 15–23 Feb → Tue 24 Feb 09:30
    assert CN.add(at(2026, 2, 14, 17), 3600) == at(2026, 2, 24, 9, 30)
    assert CN.is_workday(at(2026, 2, 28).date()) and not CN.is_workday(at(2026, 10, 5).date())
    assert CN.is_workday(at(2026, 9, 20).date()) and CN.is_workday(at(2026, 10, 10).date())
    # National Day week counts nothing
    assert CN.seconds_between(at(2026, 10, 1), at(2026, 10, 8)) == 0
    # add and seconds_between agree
    start = at(2026, 4, 3, 16)
    due = CN.add(start, 10 * 3600)
    assert CN.seconds_between(start, due) == 10 * 3600


def test_24x7_counts_every_second():
    a = at(2026, 10, 1, 23)
    assert TWENTY_FOUR_SEVEN.add(a, 7200) == a + timedelta(hours=2)
    assert TWENTY_FOUR_SEVEN.seconds_between(a, a + timedelta(days=1)) == 86400


def test_priority_matrix():
    assert priority_for("high", "high") == "critical"
    assert priority_for("medium", "high") == "high"
    assert priority_for("low", "low") == "low"


def test_pending_pauses_the_clock_and_time_survives_a_policy_change():
    standard, fast = DEFAULT_POLICIES
    sla = SlaState.start(standard, "medium", at(2026, 11, 25, 9))
    sla.pause(at(2026, 11, 25, 10), CN)  # 1 h elapsed, then pending
    assert sla.resolution.elapsed == 3600 and sla.resolution.due_at(CN) is None
    sla.resume(at(2026, 11, 26, 9))  # a whole day pending does not count
    assert sla.resolution.elapsed_at(at(2026, 11, 26, 10), CN) == 7200
    sla.apply_policy(fast, "medium")
    assert sla.resolution.target == 8 * 3600 and sla.resolution.elapsed == 3600
    # due = resume + (8 h − 1 h) on the ticket's (business) calendar
    assert sla.resolution.due_at(CN) == CN.add(at(2026, 11, 26, 9), 7 * 3600)


def test_warning_deadline_at_the_threshold():
    c = Clock(target=4 * 3600, since=at(2026, 11, 25, 9).isoformat())
    assert c.due_at(CN, 75) == at(2026, 11, 25, 12)  # 3 h of business time, lunch after


def test_timeline_events_carry_the_calendars_reading_since_creation_pending_included():
    """Consumers that run their own clock (outsource: a contract's pause rules) subtract these
    readings; the SLA clocks themselves still exclude pending."""
    from ticket.domain.commands import CreateTicket
    from ticket.domain.model import Ticket

    standard = DEFAULT_POLICIES[0]
    opened = at(2026, 11, 27, 17)  # Friday 17:00
    t = Ticket.open(CreateTicket("OA 无法登录", "", "fgw", "application", "medium"), requester="u1", now=opened,
                    policy=standard, calendar=CN)
    assigned = at(2026, 11, 30, 10)  # Monday 10:00
    first, *_ = t.assign("V001", by="system", method="auto", now=assigned, cal=CN, vendor_id="vendor-hx")
    reading = int(CN.seconds_between(opened, assigned))
    assert first.business_seconds_since_created == reading and reading < (assigned - opened).total_seconds()
    [pended] = t.act("pend", at(2026, 11, 30, 11), CN, pending_reason="vendor")
    assert pended.business_seconds_since_created == reading + 3600 and pended.pending_reason == "vendor"
    pending = int(CN.seconds_between(at(2026, 11, 30, 11), at(2026, 11, 30, 14)))  # lunch excluded
    [resumed] = t.act("resume", at(2026, 11, 30, 14), CN)
    *_, resolved = t.resolve("fixed", "", at(2026, 11, 30, 15), CN)
    assert resumed.business_seconds_since_created == int(CN.seconds_between(opened, at(2026, 11, 30, 14)))
    assert resolved.business_seconds_since_created == int(CN.seconds_between(opened, at(2026, 11, 30, 15)))
    # the ticket's own clock left the pending hours out
    assert resolved.resolution_business_seconds == resolved.business_seconds_since_created - pending
