"""Vendor SLA: which tickets are the vendor's work, the vendor's clock on each, and the penalty
maths (exact Decimal arithmetic).

**Attribution.** A ticket is the vendor's work only through its assignee's vendor membership at
the time of assignment: the `vendor_id` ticket stamps on the assignment from org's staff→vendor
link (ticket's org-directory replica). The support group does not attribute anything: an internal
engineer of a group that also has vendor engineers does internal work. A later change of the
engineer's employer does not re-attribute past work (the stamp stays on the events of that
assignment); a reassignment to someone else ends the vendor's spell from that time.

**The vendor's clock** runs, on the contract's clock (`business`: the ticket calendar's reading
carried by the events; `24x7`: wall time), while the ticket is open and the vendor's — from the
assignment to its engineer until the ticket is resolved or handed to someone else (and from
creation when its engineer made the first response) — except while the ticket is pending for a
reason the contract allows (`allowed_pause_reasons`; a pause whose reason is not said runs).
A reopened ticket's next spell adds to it.

**Measurement**, against the contract's own targets for the ticket's priority (the internal SLA's
breach flags play no part):
* response is measured when the vendor's engineer made the first response: business time from
  creation to that assignment ≤ response_minutes·60;
* resolution is measured when the vendor resolved the ticket (met when its clock ≤
  resolution_minutes·60), or as a miss as soon as its clock has passed the target, whoever resolves
  the ticket later or if it is still open; a ticket handed on within the target is counted but
  not measured on resolution;
* a ticket whose priority has no target in the contract, a problem and a change are counted but
  not measured.

Rounding (documented, deterministic):
* attainment % = met / measured · 100, rounded to 2 decimals ROUND_HALF_UP ("100.00" when nothing
  was measured: nothing measured, nothing missed);
* points below target = max(0, target % − attainment %) using that rounded attainment;
* a clause's amount = per_breach · missed tickets + per_point · points below, rounded to the fen
  (0.01) ROUND_HALF_UP, then capped at `cap` when the clause has one;
* the penalty total is the sum of the clause amounts (each already in fen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from .model import CENT, ContractVersion, PenaltyClause, PenaltyMetric, SlaTarget, SlaTerms

HUNDRED = Decimal(100)
WORKING = ("new", "assigned", "in_progress")  # the clock runs; `pending` runs unless the reason is allowed
STOPPED = ("resolved", "closed")
MEASURED_TYPES = ("request", "incident")  # problems and changes carry no SLA clocks


@dataclass(frozen=True)
class Point:
    """One ticket event as the vendor's clock sees it: the ticket's state after the change."""

    at: datetime
    event_id: str
    event: str
    status: str | None
    assignee: str | None
    vendor_id: str | None
    pending_reason: str | None = None  # said by ticket_status_changed only
    business_seconds: int | None = None  # the ticket calendar's reading since creation, pending included


@dataclass(frozen=True)
class VendorWork:
    """What one ticket asks of the vendor: the seconds measured (None: not measured)."""

    ticket_id: str
    priority: str
    response_seconds: int | None = None
    resolution_seconds: int | None = None
    vendor_seconds: int = 0  # the vendor's clock, measured or not


QUEUE = ""  # the holder before the first assignment
WORK = ""  # the "reason" of a span in which the ticket was being worked (not pending)
UNSAID = "?"  # a pause whose reason the events do not say: never an allowed one


@dataclass(frozen=True)
class Spans:
    """One ticket's timeline summed up for every contract at once: running seconds per (holder,
    pause reason) on the calendar reading (the wall clock where a reading is missing) and on the
    wall clock. Holders: QUEUE before the first assignment, then the assignee's vendor (spans of
    internal engineers are not kept); reason WORK while worked, else the pending reason."""

    seconds: dict[tuple[str, str], tuple[float, float]]
    vendors: tuple[str, ...]  # every vendor whose engineer held the ticket
    first_vendor: str | None  # the vendor of the first assignee (None: internal, or not yet assigned)
    resolved_by: str | None  # resolved now: the vendor whose engineer resolved it (None: internal or open)

    def clock(self, holder: str, terms: SlaTerms) -> float:
        """The running seconds of `holder` on the contract's clock, its allowed pauses left out."""
        pick = 0 if terms.clock == "business" else 1
        return sum(v[pick] for (h, r), v in self.seconds.items()
                   if h == holder and (r == WORK or r not in terms.allowed_pause_reasons))


def summarize(created_at: datetime | None, points: Iterable[Point]) -> Spans:
    """Replay a ticket's timeline: the state after each event holds until the next one."""
    # ticket_created first at its instant (auto-routing assigns in the same instant), then event ids
    pts = sorted(points, key=lambda p: (p.at, p.event != "ticket_created", p.event_id))
    seconds: dict[tuple[str, str], tuple[float, float]] = {}
    if not pts:
        return Spans(seconds, (), None, None)
    at = min(created_at, pts[0].at) if created_at else pts[0].at
    reading: int | None = 0  # at creation
    status: str | None = "new"
    vendor = reason = first_vendor = stopped_by = None
    assigned = False
    for p in pts:
        now_reading = 0 if p.event == "ticket_created" and p.business_seconds is None else p.business_seconds
        wall = max(0.0, (p.at - at).total_seconds())
        calendar = max(0.0, float(now_reading - reading)) if reading is not None and now_reading is not None \
            else wall
        holder = vendor if assigned else QUEUE
        if holder is not None and (status in WORKING or status == "pending"):
            key = (holder, WORK if status in WORKING else reason or UNSAID)
            c, w = seconds.get(key, (0.0, 0.0))
            seconds[key] = (c + calendar, w + wall)
        if p.event == "ticket_status_changed" or p.status != "pending":
            reason = p.pending_reason if p.status == "pending" else None
        if p.status in STOPPED and status not in STOPPED:
            stopped_by = p.vendor_id
        status, vendor = p.status, p.vendor_id
        if not assigned and p.assignee is not None:
            assigned, first_vendor = True, p.vendor_id
        at, reading = p.at, now_reading
    vendors = tuple(sorted({p.vendor_id for p in pts if p.vendor_id}))
    return Spans(seconds, vendors, first_vendor, stopped_by if status in STOPPED else None)


def vendor_work(ticket_id: str, priority: str, created_at: datetime | None, points: Iterable[Point],
                vendor_id: str, terms: SlaTerms, ticket_type: str | None = None) -> VendorWork | None:
    """The vendor's work on one ticket, or None when none of its engineers was ever assigned it."""
    return work_of(ticket_id, priority, ticket_type, summarize(created_at, points), vendor_id, terms)


def work_of(ticket_id: str, priority: str, ticket_type: str | None, spans: Spans, vendor_id: str,
            terms: SlaTerms) -> VendorWork | None:
    if vendor_id not in spans.vendors:
        return None
    return settle(ticket_id, priority, ticket_type, terms, queued=spans.clock(QUEUE, terms),
                  held=spans.clock(vendor_id, terms), first_response=spans.first_vendor == vendor_id,
                  resolved_by_vendor=spans.resolved_by == vendor_id)


def settle(ticket_id: str, priority: str, ticket_type: str | None, terms: SlaTerms, *, queued: float, held: float,
           first_response: bool, resolved_by_vendor: bool) -> VendorWork:
    """The vendor's work from its replayed clock: `queued` (running before the first assignment),
    `held` (running while its engineers held the ticket), whether its engineer made the first
    response, and whether the ticket is resolved by it now."""
    if ticket_type is not None and ticket_type not in MEASURED_TYPES:
        return VendorWork(ticket_id, priority)
    clock = held + queued if first_response else held
    target = terms.target(priority)
    resolution = None
    if target is not None and (resolved_by_vendor or clock > target.resolution_minutes * 60):
        resolution = clock
    return VendorWork(ticket_id, priority, _int(queued) if first_response else None, _int(resolution),
                      int(round(clock)))


def _int(x: float | None) -> int | None:
    return None if x is None else int(round(x))


def measure(work: VendorWork, target: SlaTarget | None) -> tuple[bool | None, bool | None]:
    """(response met?, resolution met?) against the contract's targets — None when not measured."""
    if target is None:
        return None, None
    response = None if work.response_seconds is None else work.response_seconds <= target.response_minutes * 60
    resolution = None if work.resolution_seconds is None else \
        work.resolution_seconds <= target.resolution_minutes * 60
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
    """Aggregates of a period (`aggregate`)."""

    by_priority: dict[str, PriorityStats] = field(default_factory=dict)
    response_missed: list[str] = field(default_factory=list)  # ticket ids, sorted
    resolution_missed: list[str] = field(default_factory=list)

    @property
    def tickets(self) -> int:
        return sum(s.tickets for s in self.by_priority.values())


def aggregate(works: list[VendorWork], version: ContractVersion) -> Measured:
    """Per priority: tickets, measured and met; the missed ticket ids (sorted)."""
    m = Measured()
    for f in works:
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
