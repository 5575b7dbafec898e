"""Which live KPIs an event moves. Plain Python: events in, KPI deltas out.

A KPI is addressed by the nine-grid level, its subject (an org unit at the organisation level),
the time window and its name. Counters only move by deltas, so applying the deltas of a set of
events gives the same numbers in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from govkit.events import Envelope


class Level(str, Enum):
    ORGANIZATION = "organization"
    PROCESS = "process"
    INDIVIDUAL = "individual"


WINDOW_ALL = "all"

TICKETS_CREATED = "tickets_created"
TICKETS_OPEN = "tickets_open"
KPI_NAMES = (TICKETS_CREATED, TICKETS_OPEN)


@dataclass(frozen=True)
class KpiKey:
    level: Level
    subject: str
    window: str = WINDOW_ALL


@dataclass(frozen=True)
class KpiDelta:
    key: KpiKey
    name: str
    delta: float


@dataclass(frozen=True)
class KpiValue:
    key: KpiKey
    name: str
    value: float
    updated_at: str | None


def deltas_for(envelope: Envelope) -> list[KpiDelta]:
    if envelope.name == "ticket_created":
        dept = envelope.data["department"]
        key = KpiKey(Level.ORGANIZATION, dept)
        return [KpiDelta(key, TICKETS_CREATED, 1), KpiDelta(key, TICKETS_OPEN, 1)]
    return []


@dataclass(frozen=True)
class KpiFilter:
    level: Level | None = None
    subjects: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def matches(self, value: KpiValue) -> bool:
        return ((self.level is None or value.key.level == self.level)
                and (not self.subjects or value.key.subject in self.subjects)
                and (not self.names or value.name in self.names))
