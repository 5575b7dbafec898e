"""China's statutory holidays and make-up workdays (调休), from the `chinesecalendar` package,
which transcribes each year's State Council General Office notice. It is the default source of
the `cn` calendar; an administrator's imported years sit on top of it (handlers/sla.py).

The package knows the years published before its release: a year it does not know is absent
here (never guessed), and the suite reports it (calendar.coverage_alerts)."""

from __future__ import annotations

from datetime import date

import chinese_calendar  # type: ignore[import-untyped]

FIRST_YEAR = 2020  # older years are of no use to open tickets and only grow the stored definition


def years() -> list[int]:
    """The years the installed package knows, from FIRST_YEAR."""
    known = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return sorted(y for y in known if y >= FIRST_YEAR)


def year(y: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up workdays) of year `y`; KeyError if the package does not know it."""
    if y not in {d.year for d in chinese_calendar.holidays}:
        raise KeyError(y)
    return (frozenset(d for d in chinese_calendar.holidays if d.year == y),
            frozenset(d for d in chinese_calendar.workdays if d.year == y))
