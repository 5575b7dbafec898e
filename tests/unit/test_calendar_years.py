"""Business calendars are data by year: the statutory Chinese calendar with the administrator's
years on top, a policy that names a calendar rather than a year, and a missing year that is
reported rather than silently read as ordinary weekdays."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from govkit.errors import InvalidArgument
from ticket.domain.calendar import (
    CN,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    coverage_alerts,
    parse_year_csv,
)
from ticket.domain.sla import DEFAULT_POLICIES

CST = timezone(timedelta(hours=8))


def at(*a) -> datetime:
    return datetime(*a, tzinfo=CST)


def test_the_standard_policy_names_a_calendar_not_a_year():
    standard = next(p for p in DEFAULT_POLICIES if p.id == "standard")
    assert standard.calendar_id == "cn"
    assert CN.id == "cn" and "2026" not in CN.name


def test_sunday_4_january_2026_is_a_make_up_workday():
    # State Council notice of 4 November 2025: 元旦 1–3 January, work on Sunday 4 January.
    assert CN.is_workday(date(2026, 1, 4))
    assert not CN.is_workday(date(2026, 1, 2))
    assert CN.covers(2026) and 2026 in CN.years


def test_a_ticket_on_new_years_eve_runs_into_a_missing_year_and_says_so():
    start = at(2026, 12, 31, 17, 20)
    cal = CN if not CN.covers(2027) else CN.without_year(2027)
    assert cal.missing_years(start, cal.add(start, 2 * 3600)) == [2027]
    # …and once the administrator loads 2027, 1 January is a holiday: due on Monday 4 January.
    csv_text = "date,kind,name\n2027-01-01,holiday,元旦\n"
    holidays, workdays = parse_year_csv(csv_text, 2027)
    loaded = cal.with_year(2027, holidays, workdays)
    assert loaded.missing_years(start, at(2027, 1, 5)) == []
    assert loaded.add(start, 2 * 3600) == at(2027, 1, 4, 10, 50)


def test_a_loaded_year_replaces_only_that_year():
    cal = CN.with_year(2026, frozenset({date(2026, 3, 2)}), frozenset())
    assert not cal.is_workday(date(2026, 3, 2))
    assert cal.is_workday(date(2026, 1, 4)) is False  # 2026 replaced wholesale: no make-up day now
    assert cal.covers(2025) == CN.covers(2025)
    assert cal.holidays_in(2025) == CN.holidays_in(2025)


def test_the_year_csv_reports_every_bad_row_and_writes_nothing():
    text = ("date,kind,name\n"
            "2027-01-01,holiday,元旦\n"
            "2027-02-30,holiday,坏日期\n"
            "2026-12-31,holiday,别的年份\n"
            "2027-02-07,调休,未知类型\n"
            "2027-02-06,班,补班\n")
    with pytest.raises(InvalidArgument) as err:
        parse_year_csv(text, 2027)
    fields = {v.field for v in err.value.violations}
    assert fields == {"rows[3].date", "rows[4].date", "rows[5].kind"}
    holidays, workdays = parse_year_csv("日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,班,补班\n", 2027)
    assert holidays == {date(2027, 1, 1)} and workdays == {date(2027, 2, 6)}


def test_from_1_november_a_missing_next_year_raises_an_alert_per_calendar():
    cal = CN.without_year(2027) if CN.covers(2027) else CN
    assert coverage_alerts([cal, TWENTY_FOUR_SEVEN], at(2026, 10, 31, 23, 0)) == []
    alerts = coverage_alerts([cal, TWENTY_FOUR_SEVEN], at(2026, 11, 1, 0, 5))
    assert [(a.calendar_id, a.year) for a in alerts] == [("cn", 2027)]
    # The current year missing is worse, and reported whatever the date.
    assert [(a.calendar_id, a.year) for a in coverage_alerts([cal.without_year(2026)], at(2026, 3, 1))] \
        == [("cn", 2026)]


def test_old_stored_definitions_still_load_their_years():
    old = {"id": "x", "name": "x", "holidays": ["2026-10-01"], "workdays": ["2026-10-10"]}
    assert BusinessCalendar.from_dict(old).years == frozenset({2026})
    assert BusinessCalendar.from_dict(CN.to_dict()) == CN


def test_statutory_years_fill_only_what_a_stored_calendar_lacks():
    from ticket.domain.calendar import fill_statutory

    admin_2026 = CN.with_year(2026, frozenset({date(2026, 3, 2)}), frozenset()).without_year(2025)
    filled = fill_statutory(admin_2026)
    assert filled.holidays_in(2025) == CN.holidays_in(2025)  # the missing year came from the package
    assert filled.holidays_in(2026) == {date(2026, 3, 2)}  # the administrator's year was kept
    plain = BusinessCalendar(id="x", name="x")
    assert fill_statutory(plain) is plain  # only a calendar that asks for statutory data
