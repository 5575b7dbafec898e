"""Facts from the ticket service's events, one row per ticket, and the set-based SLA measurement.

Each ticket event carries the ticket's state after the change and `occurred_at`. The merge below
gives the same row whatever order the events arrive in, and applying an event twice changes
nothing (the inbox also skips a redelivery):
* state columns (priority, group, assignee, vendor, …) come from the latest event, by
  (occurred_at, event id);
* created_at is the least of ticket_created's `created_at` and every event's `occurred_at`;
* response_seconds is the least first-response time reported (it is set once by ticket);
* resolution_seconds comes from the latest ticket_resolved / ticket_closed;
* a breach flag, once set by `sla_breached`, stays set.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from ..domain.model import ContractVersion
from ..domain.sla import Measured, PriorityStats

# ticket_reprioritised: the priority is state like any other, so a reprioritised ticket is measured
# against the contract target of its new priority.
TICKET_EVENTS = ("ticket_created", "ticket_assigned", "ticket_reprioritised", "ticket_resolved", "ticket_closed",
                 "sla_breached")

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

# One pass over the period's attributed tickets; per priority: counts and the missed ticket ids.
_MEASURE = sa.text("""
WITH t AS (
  SELECT f.ticket_id, coalesce(f.priority, 'unknown') AS priority, f.response_seconds, f.resolution_seconds,
         f.response_breached, f.resolution_breached, g.response_minutes, g.resolution_minutes
  FROM ticket_facts f
  LEFT JOIN jsonb_to_recordset(CAST(:targets AS jsonb)) AS g(priority text, response_minutes int,
                                                             resolution_minutes int)
         ON g.priority = f.priority
  WHERE (f.vendor_id = :vendor_id OR f.group_id = :group_id)
    AND f.created_at >= :start AND f.created_at < :end
), m AS (
  SELECT ticket_id, priority,
    CASE WHEN response_minutes IS NULL OR (response_seconds IS NULL AND NOT response_breached) THEN NULL
         ELSE NOT response_breached AND coalesce(response_seconds <= response_minutes * 60, false) END AS resp,
    CASE WHEN resolution_minutes IS NULL OR (resolution_seconds IS NULL AND NOT resolution_breached) THEN NULL
         ELSE NOT resolution_breached AND coalesce(resolution_seconds <= resolution_minutes * 60, false) END AS reso
  FROM t)
SELECT priority, count(*) AS tickets,
       count(resp) AS response_measured, count(*) FILTER (WHERE resp) AS response_met,
       count(reso) AS resolution_measured, count(*) FILTER (WHERE reso) AS resolution_met,
       array_agg(ticket_id) FILTER (WHERE NOT resp) AS response_missed,
       array_agg(ticket_id) FILTER (WHERE NOT reso) AS resolution_missed
FROM m GROUP BY priority
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


class TicketFacts:
    def __init__(self, conn):
        self.conn = conn

    def apply(self, name: str, event_id: str, time: str, data: dict) -> None:
        self.conn.execute(_UPSERT, fact_row(name, event_id, time, data))

    def get(self, ticket_id: str) -> dict | None:
        row = self.conn.execute(sa.text("SELECT * FROM ticket_facts WHERE ticket_id = :t"), {"t": ticket_id}).first()
        return dict(row._mapping) if row else None

    def measure(self, version: ContractVersion, vendor_id: str, group_id: str | None,
                start: datetime, end: datetime) -> Measured:
        targets = json.dumps([vars(x) for x in version.sla.targets])
        rows = self.conn.execute(_MEASURE, {"targets": targets, "vendor_id": vendor_id, "group_id": group_id,
                                            "start": start, "end": end})
        m = Measured()
        for r in rows:
            m.by_priority[r.priority] = PriorityStats(r.priority, r.tickets, r.response_measured, r.response_met,
                                                      r.resolution_measured, r.resolution_met)
            m.response_missed.extend(r.response_missed or ())
            m.resolution_missed.extend(r.resolution_missed or ())
        m.response_missed.sort()
        m.resolution_missed.sort()
        return m
