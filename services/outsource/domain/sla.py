"""Vendor SLA measurement and penalty maths (exact Decimal arithmetic).

Per ticket attributed to the contract (assigned now to the vendor's engineers or the contract's
vendor group) and created in the period, against the contract's targets for its priority:
* response is *measured* once the ticket has a first-response time or a response breach; it
  *meets* the target when response_seconds ≤ response_minutes·60 and no response breach;
* resolution likewise with resolution time and resolution breaches;
* a ticket whose priority has no target in the contract is counted but not measured.

Rounding (documented, deterministic):
* attainment % = met / measured · 100, rounded to 2 decimals ROUND_HALF_UP ("100.00" when nothing
  was measured: nothing measured, nothing missed);
* points below target = max(0, target % − attainment %) using that rounded attainment;
* a clause's amount = per_breach · missed tickets + per_point · points below, rounded to the fen
  (0.01) ROUND_HALF_UP, then capped at `cap` when the clause has one;
* the penalty total is the sum of the clause amounts (each already in fen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .model import CENT, ContractVersion, PenaltyClause, PenaltyMetric, SlaTarget

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TicketFact:
    """What the ticket events told us about one ticket (the state after the latest change)."""

    ticket_id: str
    priority: str
    response_seconds: int | None = None
    resolution_seconds: int | None = None
    response_breached: bool = False
    resolution_breached: bool = False


def measure(fact: TicketFact, target: SlaTarget | None) -> tuple[bool | None, bool | None]:
    """(response met?, resolution met?) — None when not (yet) measurable."""
    if target is None:
        return None, None
    response = resolution = None
    if fact.response_seconds is not None or fact.response_breached:
        response = (not fact.response_breached and fact.response_seconds is not None
                    and fact.response_seconds <= target.response_minutes * 60)
    if fact.resolution_seconds is not None or fact.resolution_breached:
        resolution = (not fact.resolution_breached and fact.resolution_seconds is not None
                      and fact.resolution_seconds <= target.resolution_minutes * 60)
    return response, resolution


@dataclass
class PriorityStats:
    priority: str
    tickets: int = 0
    response_measured: int = 0
    response_met: int = 0
    resolution_measured: int = 0
    resolution_met: int = 0


@dataclass
class Measured:
    """Aggregates of a period (what the SQL in adapters/ computes set-based, or `aggregate` here)."""

    by_priority: dict[str, PriorityStats] = field(default_factory=dict)
    response_missed: list[str] = field(default_factory=list)  # ticket ids, sorted
    resolution_missed: list[str] = field(default_factory=list)

    @property
    def tickets(self) -> int:
        return sum(s.tickets for s in self.by_priority.values())


def aggregate(facts: list[TicketFact], version: ContractVersion) -> Measured:
    """The in-memory twin of the SQL aggregation (used by unit tests and the fake unit of work)."""
    m = Measured()
    for f in facts:
        s = m.by_priority.setdefault(f.priority, PriorityStats(f.priority))
        s.tickets += 1
        resp, reso = measure(f, version.sla.target(f.priority))
        if resp is not None:
            s.response_measured += 1
            s.response_met += resp
            if not resp:
                m.response_missed.append(f.ticket_id)
        if reso is not None:
            s.resolution_measured += 1
            s.resolution_met += reso
            if not reso:
                m.resolution_missed.append(f.ticket_id)
    m.response_missed.sort()
    m.resolution_missed.sort()
    return m


def attainment(met: int, measured: int) -> Decimal:
    if measured == 0:
        return Decimal("100.00")
    return (Decimal(met) * HUNDRED / Decimal(measured)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PenaltyLine:
    clause_id: str
    name: str
    metric: str
    breaches: int
    points_below: Decimal
    uncapped: Decimal
    amount: Decimal
    ticket_ids: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    tickets: int
    response_attainment_percent: Decimal
    resolution_attainment_percent: Decimal
    availability_percent: Decimal | None
    breaches: int
    by_priority: tuple[PriorityStats, ...]
    penalties: tuple[PenaltyLine, ...]
    penalty_total: Decimal
    version: int


def penalty(clause: PenaltyClause, breaches: int, points_below: Decimal, ticket_ids: tuple[str, ...]) -> PenaltyLine:
    raw = clause.per_breach_amount * breaches + clause.per_point_amount * points_below
    uncapped = raw.quantize(CENT, rounding=ROUND_HALF_UP)
    amount = min(uncapped, clause.cap) if clause.cap is not None else uncapped
    return PenaltyLine(clause.id, clause.name, clause.metric.value, breaches, points_below, uncapped, amount,
                       ticket_ids)


def report(measured: Measured, version: ContractVersion, availability: Decimal | None = None) -> Report:
    stats = [measured.by_priority[p] for p in sorted(measured.by_priority)]
    resp = attainment(sum(s.response_met for s in stats), sum(s.response_measured for s in stats))
    reso = attainment(sum(s.resolution_met for s in stats), sum(s.resolution_measured for s in stats))
    target = version.sla.attainment_target_percent
    lines = []
    for clause in version.penalties:
        if clause.metric is PenaltyMetric.RESPONSE:
            ids = tuple(measured.response_missed)
            lines.append(penalty(clause, len(ids), max(Decimal(0), target - resp), ids))
        elif clause.metric is PenaltyMetric.RESOLUTION:
            ids = tuple(measured.resolution_missed)
            lines.append(penalty(clause, len(ids), max(Decimal(0), target - reso), ids))
        else:
            goal = version.sla.availability_percent
            below = max(Decimal(0), goal - availability) if goal is not None and availability is not None \
                else Decimal(0)
            lines.append(penalty(clause, 1 if below > 0 else 0, below, ()))
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return Report(measured.tickets, resp, reso, availability,
                  len(measured.response_missed) + len(measured.resolution_missed), tuple(stats), tuple(lines),
                  total, version.version)
