"""Business calendars: working hours with a lunch break, weekends, public holidays and the
adjusted working days (调休) — or 7×24. Plain Python; times are aware datetimes.

A calendar is data by year: `years` are the years whose holidays and make-up workdays are
loaded (from the statutory source or by an administrator). A day in a year that is not loaded
can only be read as an ordinary weekday; `missing_years` and `coverage_alerts` exist so that is
always said out loud, never assumed silently.

`seconds_between(a, b)` counts business seconds; `add(start, seconds)` finds the moment when
`seconds` business seconds have passed since `start`. SLA clocks are built on these two.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from govkit.errors import Validator

from . import statutory

try:
    from zoneinfo import ZoneInfo

    def _zone(name: str) -> tzinfo:
        try:
            return ZoneInfo(name)
        except Exception:  # no tz database in a slim image: China has had no DST since 1991
            return timezone(timedelta(hours=8)) if name == "Asia/Shanghai" else UTC
except ImportError:  # pragma: no cover
    def _zone(name: str) -> tzinfo:
        return timezone(timedelta(hours=8))

_MAX_DAYS = 3700  # ten years of walking: a target that needs more is a configuration error


def _t(value: str | time) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


def _d(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass(frozen=True)
class BusinessCalendar:
    id: str
    name: str
    always: bool = False  # 7×24: every second counts
    timezone: str = "Asia/Shanghai"
    # Working periods of a working day, e.g. 09:00–12:00 and 13:30–17:30 (lunch break between).
    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(17, 30)))
    weekend: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days on a weekend (调休)
    note: str = ""
    years: frozenset[int] = frozenset()  # years whose holidays and workdays are loaded
    # "cn": a year it lacks is filled from China's statutory data when that data knows it
    # (a year already loaded — e.g. an administrator's — is never overwritten).
    statutory: str = ""

    @classmethod
    def from_dict(cls, d: dict) -> BusinessCalendar:
        return cls(
            id=d["id"], name=d.get("name", d["id"]), always=bool(d.get("always", False)),
            timezone=d.get("timezone", "Asia/Shanghai"),
            periods=tuple((_t(a), _t(b)) for a, b in d.get("periods", (("09:00", "12:00"), ("13:30", "17:30")))),
            weekend=frozenset(d.get("weekend", (5, 6))),
            holidays=frozenset(_d(x) for x in d.get("holidays", ())),
            workdays=frozenset(_d(x) for x in d.get("workdays", ())),
            note=d.get("note", ""),
            # Definitions stored before years existed: the years their dates fall in.
            years=frozenset(int(y) for y in d["years"]) if "years" in d else frozenset(
                _d(x).year for x in (*d.get("holidays", ()), *d.get("workdays", ()))),
            statutory=str(d.get("statutory", "")),
        )

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "always": self.always, "timezone": self.timezone,
                "periods": [[a.isoformat("minutes"), b.isoformat("minutes")] for a, b in self.periods],
                "weekend": sorted(self.weekend), "holidays": sorted(x.isoformat() for x in self.holidays),
                "workdays": sorted(x.isoformat() for x in self.workdays), "note": self.note,
                "years": sorted(self.years), "statutory": self.statutory}

    @property
    def tz(self) -> tzinfo:
        return _zone(self.timezone)

    # -- years ------------------------------------------------------------------------------
    def covers(self, year: int) -> bool:
        return self.always or year in self.years

    def missing_years(self, a: datetime, b: datetime) -> list[int]:
        """Years touched by [a, b] (in the calendar's zone) whose holidays are not loaded."""
        if self.always:
            return []
        first, last = a.astimezone(self.tz).year, b.astimezone(self.tz).year
        return [y for y in range(min(first, last), max(first, last) + 1) if y not in self.years]

    def holidays_in(self, year: int) -> frozenset[date]:
        return frozenset(d for d in self.holidays if d.year == year)

    def workdays_in(self, year: int) -> frozenset[date]:
        return frozenset(d for d in self.workdays if d.year == year)

    def with_year(self, year: int, holidays: frozenset[date], workdays: frozenset[date]) -> BusinessCalendar:
        """This calendar with `year` replaced wholesale (the other years untouched)."""
        if any(d.year != year for d in (*holidays, *workdays)):
            raise ValueError(f"dates outside {year}")
        return replace(self, holidays=frozenset(d for d in self.holidays if d.year != year) | holidays,
                       workdays=frozenset(d for d in self.workdays if d.year != year) | workdays,
                       years=self.years | {year})

    def without_year(self, year: int) -> BusinessCalendar:
        return replace(self, holidays=frozenset(d for d in self.holidays if d.year != year),
                       workdays=frozenset(d for d in self.workdays if d.year != year),
                       years=self.years - {year})

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() not in self.weekend and d not in self.holidays

    def _windows(self, d: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(d):
            return []
        tz = self.tz
        return [(datetime.combine(d, a, tz), datetime.combine(d, b, tz)) for a, b in self.periods]

    def seconds_between(self, a: datetime, b: datetime) -> float:
        """Business seconds in [a, b) (0 if b <= a)."""
        if b <= a:
            return 0.0
        if self.always:
            return (b - a).total_seconds()
        tz = self.tz
        day, last = a.astimezone(tz).date(), b.astimezone(tz).date()
        total = 0.0
        while day <= last:
            for start, end in self._windows(day):
                lo, hi = max(start, a), min(end, b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` business seconds have elapsed since `start`."""
        if seconds <= 0:
            return start
        if self.always:
            return start + timedelta(seconds=seconds)
        tz = self.tz
        day = start.astimezone(tz).date()
        remaining = float(seconds)
        for _ in range(_MAX_DAYS):
            for wstart, wend in self._windows(day):
                lo = max(wstart, start)
                if wend <= lo:
                    continue
                available = (wend - lo).total_seconds()
                if remaining <= available:
                    return (lo + timedelta(seconds=remaining)).astimezone(UTC)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"calendar {self.id}: {seconds} business seconds do not fit in {_MAX_DAYS} days")


TWENTY_FOUR_SEVEN = BusinessCalendar(id="24x7", name="7×24", always=True)

HOLIDAY, WORKDAY = "holiday", "workday"
# What an administrator may write in the kind column: English, or the 休/班 of printed calendars.
_KINDS = {"holiday": HOLIDAY, "休": HOLIDAY, "假": HOLIDAY, "节假日": HOLIDAY,
          "workday": WORKDAY, "班": WORKDAY, "上班": WORKDAY, "补班": WORKDAY, "调休上班": WORKDAY}
MAX_CSV_ROWS = 400


def parse_year_csv(text: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """A year's days from CSV (`date,kind[,name]`, header optional): (holidays, workdays).

    Every bad row is reported at once (`rows[N].date` / `rows[N].kind`, N the line number) and
    nothing is returned unless all rows are good — so an import writes all or nothing."""
    v = Validator()
    holidays: set[date] = set()
    workdays: set[date] = set()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if len(rows) > MAX_CSV_ROWS:
        v.fail("csv_content", f"has {len(rows)} rows; at most {MAX_CSV_ROWS} (one year)")
    for line, row in enumerate(rows[:MAX_CSV_ROWS], start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if line == 1 and cells[0].lower() in ("date", "日期"):
            continue
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            v.fail(f"rows[{line}].date", f"'{cells[0][:40]}' is not a date (YYYY-MM-DD)")
            continue
        if day.year != year:
            v.fail(f"rows[{line}].date", f"{day.isoformat()} is not in {year}")
            continue
        kind = _KINDS.get(cells[1].lower() if len(cells) > 1 else "")
        if kind is None:
            given = cells[1][:40] if len(cells) > 1 else ""
            v.fail(f"rows[{line}].kind", f"'{given}' is not holiday/workday (休/班)")
            continue
        if day in holidays or day in workdays:
            v.fail(f"rows[{line}].date", f"{day.isoformat()} is listed twice")
            continue
        (holidays if kind == HOLIDAY else workdays).add(day)
    v.check()
    return frozenset(holidays), frozenset(workdays)


@dataclass(frozen=True)
class CoverageAlert:
    """A calendar in use lacks a year it will need: `year` is missing from `calendar_id`."""
    calendar_id: str
    calendar_name: str
    year: int

    @property
    def key(self) -> str:
        return f"calendar-year-missing:{self.calendar_id}:{self.year}"


NEXT_YEAR_WARNING = (11, 1)  # from 1 November, next year's holidays should be loaded


def coverage_alerts(calendars: list[BusinessCalendar], now: datetime) -> list[CoverageAlert]:
    """The years each calendar lacks: the current year always, next year from 1 November.

    The State Council publishes the next year's arrangement in October–November; from
    1 November a ticket due in January may already need it."""
    out = []
    for cal in calendars:
        if cal.always:
            continue
        today = now.astimezone(cal.tz).date()
        wanted = [today.year]
        if (today.month, today.day) >= NEXT_YEAR_WARNING:
            wanted.append(today.year + 1)
        out += [CoverageAlert(cal.id, cal.name, y) for y in wanted if not cal.covers(y)]
    return out


def _statutory_cn() -> BusinessCalendar:
    return fill_statutory(BusinessCalendar(id="cn", name="中国法定工作日历", statutory="cn",
                            note="法定节假日与调休来自 chinesecalendar（国务院办公厅通知）；管理员可按年导入或修改"))


def fill_statutory(cal: BusinessCalendar) -> BusinessCalendar:
    """`cal` with every statutory year it lacks added (loaded years are left as they are)."""
    if cal.statutory != "cn":
        return cal
    for year in statutory.years():
        if year not in cal.years:
            holidays, workdays = statutory.year(year)
            cal = cal.with_year(year, holidays, workdays)
    return cal


CN = _statutory_cn()
DEFAULT_CALENDARS = (CN, TWENTY_FOUR_SEVEN)
