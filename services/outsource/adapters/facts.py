"""Facts from the ticket service's events: one row per ticket (state, creation, priority) and one
timeline row per event, which the vendor's clock (domain/sla.py) replays per contract.

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
arrival does not matter (the clock sorts them by occurred_at).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain.model import ContractVersion, SlaTerms
from ..domain.sla import STOPPED, Measured, Point, VendorWork, aggregate, settle
from .tables import ticket_timeline

TICKET_EVENTS = ("ticket_created", "ticket_assigned", "ticket_status_changed", "ticket_resolved", "ticket_closed",
                 "sla_breached")
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

# The vendor's clock, set-based: the same replay as domain/sla.vendor_work (a test keeps them equal)
# over the timelines of the tickets created in the period that one of the vendor's engineers held.
# Per point: the state after it holds until the next point; `rgrp` numbers the runs of points that
# share the pending reason of the status change that started them.
_CLOCKS = sa.text("""
WITH c AS (
  SELECT f.ticket_id, coalesce(f.priority, 'unknown') AS priority, f.created_at
  FROM ticket_facts f
  WHERE f.created_at >= :start AND f.created_at < :end
    AND EXISTS (SELECT 1 FROM ticket_timeline v WHERE v.ticket_id = f.ticket_id AND v.vendor_id = :vendor_id)
), p AS (
  SELECT ticket_id, priority, created_at AS at, 0 AS k, '' AS event_id, 'start' AS event,
         CAST(NULL AS text) AS ticket_type, 'new' AS status, CAST(NULL AS text) AS assignee,
         CAST(NULL AS text) AS vendor_id,
         CAST(NULL AS text) AS pending_reason, CAST(0 AS bigint) AS reading
  FROM c
  UNION ALL
  SELECT t.ticket_id, c.priority, t.occurred_at, CASE WHEN t.event = 'ticket_created' THEN 1 ELSE 2 END,
         t.event_id, t.event, t.ticket_type, t.status, t.assignee, t.vendor_id, t.pending_reason,
         CASE WHEN t.event = 'ticket_created' THEN coalesce(t.business_seconds, 0) ELSE t.business_seconds END
  FROM c JOIN ticket_timeline t ON t.ticket_id = c.ticket_id
), o AS (
  SELECT p.*, lead(at) OVER w AS next_at, lead(reading) OVER w AS next_reading,
         lag(status) OVER w AS status_before,
         bool_or(assignee IS NOT NULL) OVER w AS assigned,
         count(*) FILTER (WHERE event IN ('start', 'ticket_status_changed') OR status IS DISTINCT FROM 'pending')
           OVER w AS rgrp
  FROM p WINDOW w AS (PARTITION BY ticket_id ORDER BY at, k, event_id)
), r AS (
  SELECT o.*, first_value(CASE WHEN status = 'pending' THEN pending_reason END)
           OVER (PARTITION BY ticket_id, rgrp ORDER BY at, k, event_id) AS reason
  FROM o
), s AS (
  SELECT r.*,
         CASE WHEN next_at IS NULL THEN 0
              WHEN :business AND reading IS NOT NULL AND next_reading IS NOT NULL
                THEN greatest(0, next_reading - reading)
              ELSE greatest(0, extract(epoch FROM next_at - at)) END AS span,
         coalesce(status IN ('new', 'assigned', 'in_progress')
                  OR (status = 'pending' AND (reason IS NULL OR NOT reason = ANY(CAST(:allowed AS text[])))),
                  false) AS runs
  FROM r
)
SELECT ticket_id, min(priority) AS priority, max(ticket_type) AS ticket_type,
       coalesce(sum(span) FILTER (WHERE runs AND NOT assigned), 0) AS queued,
       coalesce(sum(span) FILTER (WHERE runs AND assigned AND vendor_id = :vendor_id), 0) AS held,
       (array_agg(vendor_id ORDER BY at, k, event_id) FILTER (WHERE assignee IS NOT NULL))[1] AS first_vendor,
       (array_agg(vendor_id ORDER BY at DESC, k DESC, event_id DESC)
          FILTER (WHERE status IN ('resolved', 'closed')
                  AND (status_before IS NULL OR status_before NOT IN ('resolved', 'closed'))))[1] AS stopped_by,
       (array_agg(status ORDER BY at DESC, k DESC, event_id DESC))[1] AS last_status
FROM s
GROUP BY ticket_id
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

    def get(self, ticket_id: str) -> dict | None:
        row = self.conn.execute(sa.text("SELECT * FROM ticket_facts WHERE ticket_id = :t"), {"t": ticket_id}).first()
        return dict(row._mapping) if row else None

    def works(self, terms: SlaTerms, vendor_id: str, start: datetime, end: datetime) -> list[VendorWork]:
        """The vendor's work on each ticket created in [start, end) that its engineers held."""
        # The planner's row estimate for the window pipeline is far too high and JIT compilation
        # then costs seconds (measured: 6 of 11 s for 20k tickets), more than the query itself;
        # the window sorts of a large month spill to disk under the default work_mem.
        self.conn.execute(sa.text("SET LOCAL jit = off"))
        self.conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        rows = self.conn.execute(_CLOCKS, {"vendor_id": vendor_id, "start": start, "end": end,
                                           "business": terms.clock == "business",
                                           "allowed": list(terms.allowed_pause_reasons)})
        return [settle(r.ticket_id, r.priority, r.ticket_type, terms, queued=float(r.queued), held=float(r.held),
                       first_response=r.first_vendor == vendor_id,
                       resolved_by_vendor=r.last_status in STOPPED and r.stopped_by == vendor_id) for r in rows]

    def measure(self, version: ContractVersion, vendor_id: str, start: datetime, end: datetime) -> Measured:
        """The period's figures against the version's terms."""
        return aggregate(self.works(version.sla, vendor_id, start, end), version)

    def timeline(self, ticket_id: str) -> list[Point]:
        """One ticket's timeline as the domain's clock reads it."""
        rows = self.conn.execute(sa.select(ticket_timeline).where(ticket_timeline.c.ticket_id == ticket_id))
        return [Point(r.occurred_at, r.event_id, r.event, r.status, r.assignee, r.vendor_id, r.pending_reason,
                      r.business_seconds) for r in rows]
