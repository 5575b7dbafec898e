"""Business calendars: working hours with a lunch break, weekends, public holidays and the
adjusted working days (调休) of a year — or 7×24. Plain Python; times are aware datetimes.

`seconds_between(a, b)` counts business seconds; `add(start, seconds)` finds the moment when
`seconds` business seconds have passed since `start`. SLA clocks are built on these two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

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
        )

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "always": self.always, "timezone": self.timezone,
                "periods": [[a.isoformat("minutes"), b.isoformat("minutes")] for a, b in self.periods],
                "weekend": sorted(self.weekend), "holidays": sorted(x.isoformat() for x in self.holidays),
                "workdays": sorted(x.isoformat() for x in self.workdays), "note": self.note}

    @property
    def tz(self) -> tzinfo:
        return _zone(self.timezone)

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

# SAMPLE DATA — China's 2026 public holidays and adjusted working days as listed in the O&M
# brief. Verify against the State Council General Office notice for 2026 (国务院办公厅关于2026年
# 部分节假日安排的通知) before relying on it; an administrator replaces it with UpsertCalendar.
CN_2026_HOLIDAYS = [
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
]
CN_2026_MAKEUP_WORKDAYS = ["2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def _span(a: str, b: str) -> list[date]:
    d, end, out = date.fromisoformat(a), date.fromisoformat(b), []
    while d <= end:
        out.append(d)
        d += timedelta(days=1)
    return out


CN_2026 = BusinessCalendar(
    id="cn-2026", name="中国2026工作日历（样例数据）",
    holidays=frozenset(d for a, b, _ in CN_2026_HOLIDAYS for d in _span(a, b)),
    workdays=frozenset(date.fromisoformat(x) for x in CN_2026_MAKEUP_WORKDAYS),
    note="SAMPLE DATA: verify against the State Council notice on the 2026 holiday arrangements",
)

DEFAULT_CALENDARS = (CN_2026, TWENTY_FOUR_SEVEN)
