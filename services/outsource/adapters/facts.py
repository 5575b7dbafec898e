"""Facts from the ticket service's events: one row per ticket (state, creation, priority), one
timeline row per event, and the timeline summed up per ticket (spans per holder and pause reason,
domain/sla.summarize) that a vendor SLA report sums set-based for its contract.

Each ticket event carries the ticket's state after the change and `occurred_at`. The merge below
gives the same row whatever order the events arrive in, and applying an event twice changes
nothing (the inbox also skips a redelivery):
* state columns (priority, group, assignee, vendor, …) come from the latest event, by
  (occurred_at, event id);
* created_at is the least of ticket_created's `created_at` and every event's `occurred_at`;
* response_seconds is the least first-response time reported (it is set once by ticket);
* resolution_seconds comes from the latest ticket_resolved / ticket_closed;
* a breach flag, once set by `sla_breached`, stays set (kept as a fact; the vendor SLA does not
  use the internal SLA's flags).

Timeline rows are keyed by (ticket, event id), so a redelivery adds nothing and the order of
arrival does not matter: the summary is recomputed from the whole sorted timeline on each event.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain.model import ContractVersion, SlaTerms
from ..domain.sla import Measured, Point, VendorWork, aggregate, settle, summarize
from .tables import ticket_clocks, ticket_facts, ticket_spans, ticket_timeline

# ticket_reprioritised: the priority is state like any other, so a reprioritised ticket is measured
# against the contract target of its new priority.
TICKET_EVENTS = ("ticket_created", "ticket_assigned", "ticket_reprioritised", "ticket_status_changed",
                 "ticket_resolved", "ticket_closed", "sla_breached")
# The events that change what the vendor's clock looks at: status, pending reason, assignee and vendor.
TIMELINE_EVENTS = ("ticket_created", "ticket_assigned", "ticket_status_changed", "ticket_resolved", "ticket_closed")

_UPSERT = sa.text("""
INSERT INTO ticket_facts AS f (ticket_id, number, org_unit_id, priority, group_id, assignee, vendor_id,
    state_at, state_event_id, created_at, response_seconds, resolution_seconds, resolved_at, resolved_event_id,
    response_breached, resolution_breached, closed_at)
VALUES (:ticket_id, :number, :org_unit_id, :priority, :group_id, :assignee, :vendor_id,
    :occurred_at, :event_id, :created_at, :response_seconds, :resolution_seconds, :resolved_at,
    :resolved_event_id, :response_breached, :resolution_breached, :closed_at)
ON CONFLICT (ticket_id) DO UPDATE SET
    number = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.number ELSE f.number END,
    org_unit_id = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.org_unit_id ELSE f.org_unit_id END,
    priority = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.priority ELSE f.priority END,
    group_id = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.group_id ELSE f.group_id END,
    assignee = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.assignee ELSE f.assignee END,
    vendor_id = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.vendor_id ELSE f.vendor_id END,
    state_event_id = CASE WHEN (EXCLUDED.state_at, EXCLUDED.state_event_id) > (f.state_at, f.state_event_id)
                  THEN EXCLUDED.state_event_id ELSE f.state_event_id END,
    state_at = GREATEST(f.state_at, EXCLUDED.state_at),
    created_at = LEAST(f.created_at, EXCLUDED.created_at),
    response_seconds = LEAST(f.response_seconds, EXCLUDED.response_seconds),
    resolution_seconds = CASE WHEN EXCLUDED.resolved_at IS NOT NULL AND (f.resolved_at IS NULL OR
                  (EXCLUDED.resolved_at, EXCLUDED.resolved_event_id) > (f.resolved_at, f.resolved_event_id))
                  THEN EXCLUDED.resolution_seconds ELSE f.resolution_seconds END,
    resolved_event_id = CASE WHEN EXCLUDED.resolved_at IS NOT NULL AND (f.resolved_at IS NULL OR
                  (EXCLUDED.resolved_at, EXCLUDED.resolved_event_id) > (f.resolved_at, f.resolved_event_id))
                  THEN EXCLUDED.resolved_event_id ELSE f.resolved_event_id END,
    resolved_at = GREATEST(f.resolved_at, EXCLUDED.resolved_at),
    response_breached = f.response_breached OR EXCLUDED.response_breached,
    resolution_breached = f.resolution_breached OR EXCLUDED.resolution_breached,
    closed_at = GREATEST(f.closed_at, EXCLUDED.closed_at)
""")

# The period's tickets that one of the vendor's engineers held, with their summed spans on the
# contract's clock (the allowed pauses left out): what domain/sla.work_of computes from a Spans.
_CLOCKS = sa.text("""
SELECT f.ticket_id, coalesce(f.priority, 'unknown') AS priority, k.ticket_type, k.first_vendor, k.resolved_by,
       coalesce(sum(CASE WHEN :business THEN s.calendar_seconds ELSE s.wall_seconds END)
                FILTER (WHERE s.holder = '' AND (s.reason = '' OR NOT s.reason = ANY(CAST(:allowed AS text[])))),
                0) AS queued,
       coalesce(sum(CASE WHEN :business THEN s.calendar_seconds ELSE s.wall_seconds END)
                FILTER (WHERE s.holder = :vendor_id
                        AND (s.reason = '' OR NOT s.reason = ANY(CAST(:allowed AS text[])))), 0) AS held
FROM ticket_facts f
JOIN ticket_clocks k ON k.ticket_id = f.ticket_id
LEFT JOIN ticket_spans s ON s.ticket_id = f.ticket_id
WHERE f.created_at >= :start AND f.created_at < :end AND :vendor_id = ANY(k.vendors)
GROUP BY f.ticket_id, f.priority, k.ticket_type, k.first_vendor, k.resolved_by
""")


def _t(value) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def fact_row(name: str, event_id: str, time: str, d: dict) -> dict:
    """The upsert parameters of one ticket event (contract: docs/contracts/ticket-events.md)."""
    occurred = _t(d.get("occurred_at")) or _t(time)
    created = min(x for x in (_t(d.get("created_at")), occurred) if x is not None)
    resolving = name in ("ticket_resolved", "ticket_closed")
    target = d.get("target") if name == "sla_breached" else None
    return {
        "ticket_id": d["ticket_id"], "number": d.get("number"), "org_unit_id": d.get("org_unit_id"),
        "priority": d.get("priority"), "group_id": d.get("group_id"), "assignee": d.get("assignee"),
        "vendor_id": d.get("vendor_id"), "occurred_at": occurred, "event_id": event_id, "created_at": created,
        "response_seconds": d.get("response_business_seconds"),
        "resolution_seconds": d.get("resolution_business_seconds") if resolving else None,
        "resolved_at": occurred if resolving else None, "resolved_event_id": event_id if resolving else None,
        "response_breached": target == "response", "resolution_breached": target == "resolution",
        "closed_at": occurred if name == "ticket_closed" else None,
    }


def _point(r) -> Point:
    return Point(r.occurred_at, r.event_id, r.event, r.status, r.assignee, r.vendor_id, r.pending_reason,
                 r.business_seconds)


def timeline_row(name: str, event_id: str, time: str, d: dict) -> dict:
    """The timeline row of one ticket event (the ticket's state after the change)."""
    reading = d.get("business_seconds_since_created")
    return {"ticket_id": d["ticket_id"], "event_id": event_id, "event": name,
            "occurred_at": _t(d.get("occurred_at")) or _t(time), "ticket_type": d.get("ticket_type"),
            "status": d.get("status"), "assignee": d.get("assignee"), "vendor_id": d.get("vendor_id"),
            "pending_reason": d.get("pending_reason"),
            "business_seconds": int(reading) if reading is not None else None}


class TicketFacts:
    def __init__(self, conn):
        self.conn = conn

    def apply(self, name: str, event_id: str, time: str, data: dict) -> None:
        self.conn.execute(_UPSERT, fact_row(name, event_id, time, data))
        if name in TIMELINE_EVENTS:
            stmt = pg_insert(ticket_timeline).values(**timeline_row(name, event_id, time, data))
            self.conn.execute(stmt.on_conflict_do_nothing(index_elements=["ticket_id", "event_id"]))
        self.summarize(data["ticket_id"])

    def summarize(self, ticket_id: str) -> None:
        """Recompute the ticket's spans from its whole timeline. The fact upsert above holds the
        ticket's row lock until commit, so a concurrent event of the same ticket recomputes after
        this one commits and sees its timeline row (READ COMMITTED: each statement a new snapshot)."""
        rows = self.conn.execute(sa.select(ticket_timeline).where(ticket_timeline.c.ticket_id == ticket_id)).all()
        if not rows:
            return
        created = self.conn.execute(sa.select(ticket_facts.c.created_at).where(
            ticket_facts.c.ticket_id == ticket_id)).scalar()
        spans = summarize(created, [_point(r) for r in rows])
        kind = next((r.ticket_type for r in rows if r.ticket_type), None)
        self.conn.execute(ticket_spans.delete().where(ticket_spans.c.ticket_id == ticket_id))
        rows = [{"ticket_id": ticket_id, "holder": h, "reason": r, "calendar_seconds": c, "wall_seconds": w}
                for (h, r), (c, w) in spans.seconds.items()]
        if rows:
            self.conn.execute(ticket_spans.insert(), rows)
        values = {"ticket_id": ticket_id, "ticket_type": kind, "vendors": list(spans.vendors),
                  "first_vendor": spans.first_vendor, "resolved_by": spans.resolved_by}
        stmt = pg_insert(ticket_clocks).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["ticket_id"],
                                                     set_={k: stmt.excluded[k] for k in values if k != "ticket_id"}))

    def rebuild(self) -> int:
        """Recompute every ticket's summary from the stored timelines (after a change of the rules),
        in one pass over them."""
        self.conn.execute(ticket_spans.delete())
        self.conn.execute(ticket_clocks.delete())
        rows = self.conn.execute(sa.select(ticket_timeline, ticket_facts.c.created_at).join(
            ticket_facts, ticket_facts.c.ticket_id == ticket_timeline.c.ticket_id, isouter=True).order_by(
            ticket_timeline.c.ticket_id))
        spans, clocks = [], []
        for tid, group in groupby(rows, key=lambda r: r.ticket_id):
            timeline = list(group)
            summed = summarize(timeline[0].created_at, [_point(r) for r in timeline])
            spans += [{"ticket_id": tid, "holder": h, "reason": r, "calendar_seconds": c, "wall_seconds": w}
                      for (h, r), (c, w) in summed.seconds.items()]
            kind = next((r.ticket_type for r in timeline if r.ticket_type), None)
            clocks.append({"ticket_id": tid, "ticket_type": kind, "vendors": list(summed.vendors),
                           "first_vendor": summed.first_vendor, "resolved_by": summed.resolved_by})
        for table, values in ((ticket_clocks, clocks), (ticket_spans, spans)):
            for i in range(0, len(values), 5000):
                self.conn.execute(table.insert(), values[i:i + 5000])
        return len(clocks)

    def get(self, ticket_id: str) -> dict | None:
        row = self.conn.execute(sa.text("SELECT * FROM ticket_facts WHERE ticket_id = :t"), {"t": ticket_id}).first()
        return dict(row._mapping) if row else None

    def works(self, terms: SlaTerms, vendor_id: str, start: datetime, end: datetime) -> list[VendorWork]:
        """The vendor's work on each ticket created in [start, end) that its engineers held."""
        rows = self.conn.execute(_CLOCKS, {"vendor_id": vendor_id, "start": start, "end": end,
                                           "business": terms.clock == "business",
                                           "allowed": list(terms.allowed_pause_reasons)})
        return [settle(r.ticket_id, r.priority, r.ticket_type, terms, queued=float(r.queued), held=float(r.held),
                       first_response=r.first_vendor == vendor_id, resolved_by_vendor=r.resolved_by == vendor_id)
                for r in rows]

    def measure(self, version: ContractVersion, vendor_id: str, start: datetime, end: datetime) -> Measured:
        """The period's figures against the version's terms."""
        return aggregate(self.works(version.sla, vendor_id, start, end), version)

    def timeline(self, ticket_id: str) -> list[Point]:
        """One ticket's timeline as the domain's clock reads it."""
        rows = self.conn.execute(sa.select(ticket_timeline).where(ticket_timeline.c.ticket_id == ticket_id))
        return [_point(r) for r in rows]
