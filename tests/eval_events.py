"""Synthesized ticket event envelopes per docs/contracts/ticket-events.md (the ticket service is
being extended to publish them in parallel; tests build against the contract)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from govkit.events import Envelope

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in UTC+8, inside November


def envelope(name: str, ticket: dict, at: datetime, event_id: str | None = None, **extra) -> Envelope:
    data = {
        "ticket_id": ticket["id"], "number": ticket.get("number", "INC-2026-000001"),
        "ticket_type": ticket.get("type", "incident"), "org_unit_id": ticket["dept"],
        "catalogue_item_id": ticket.get("catalogue"), "category": "application",
        "priority": ticket.get("priority", "high"), "status": ticket.get("status", "new"),
        "group_id": ticket.get("group"), "assignee": ticket.get("assignee"), "vendor_id": None,
        "requester": "u1", "occurred_at": at.isoformat(), **extra,
    }
    return Envelope(id=event_id or str(uuid.uuid4()), source="ticket", type=f"govops.ticket.{name}.v1",
                    time=at.isoformat(), subject=ticket["id"], org_unit_id=ticket["dept"], correlationid="c", data=data)


def lifecycle(dept: str, *, assignee="s1", group="g1", ttype="incident", start=T0, response_s=600,
              resolution_s=7200, sla_met=True, first_contact=True, rating=5, reopen=False, breach=False,
              escalate=False, catalogue="cat-1", outcome=None, emergency=False, link_count=None,
              ticket_id=None, seed=None) -> list[Envelope]:
    """One ticket's events, in order, with stable ids if `seed` is given."""
    tid = ticket_id or str(uuid.uuid4())
    ids = (f"{seed}-{i}" for i in range(100)) if seed else iter(lambda: None, 0)
    t = {"id": tid, "dept": dept, "type": ttype, "catalogue": catalogue, "group": group}
    at = start
    out = [envelope("ticket_created", {**t, "assignee": None, "status": "new"}, at, next(ids),
                    title="测试工单", created_at=at.isoformat(), channel="api",
                    response_due_at=(at + timedelta(hours=1)).isoformat(),
                    resolution_due_at=(at + timedelta(hours=8)).isoformat())]
    at += timedelta(seconds=response_s)
    t = {**t, "assignee": assignee, "status": "assigned"}
    out.append(envelope("ticket_assigned", t, at, next(ids), previous_assignee=None, assigned_by="system",
                        method="auto", first_response=True, response_business_seconds=response_s))
    if breach:
        out.append(envelope("sla_breached", t, at + timedelta(seconds=1), next(ids), target="resolution",
                            due_at=at.isoformat(), elapsed_business_seconds=resolution_s))
    if escalate:
        out.append(envelope("ticket_escalated", t, at + timedelta(seconds=2), next(ids), level=1,
                            from_position_id="p1", to_position_id="p2", to_staff_id="s9", reason="sla_breach"))
    if ttype == "change" and outcome:
        out.append(envelope("change_implemented", t, at + timedelta(seconds=3), next(ids), outcome=outcome,
                            emergency=emergency, risk="medium"))
    if ttype == "problem" and link_count:
        for n in range(1, link_count + 1):
            out.append(envelope("problem_linked", t, at + timedelta(seconds=3 + n), next(ids), problem_id=tid,
                                incident_id=f"i{n}", linked_incident_count=n))
    at = start + timedelta(seconds=resolution_s)
    t = {**t, "status": "resolved"}
    out.append(envelope("ticket_resolved", t, at, next(ids), resolution_code="fixed",
                        response_business_seconds=response_s, resolution_business_seconds=resolution_s,
                        response_sla_met=sla_met, resolution_sla_met=sla_met, first_contact=first_contact,
                        reassignment_count=0))
    if reopen:
        at += timedelta(minutes=5)
        out.append(envelope("ticket_reopened", {**t, "status": "in_progress"}, at, next(ids), reopen_count=1))
        at += timedelta(minutes=30)
        out.append(envelope("ticket_resolved", t, at, next(ids), resolution_code="fixed",
                            response_business_seconds=response_s, resolution_business_seconds=resolution_s + 2100,
                            response_sla_met=sla_met, resolution_sla_met=sla_met, first_contact=False,
                            reassignment_count=0))
    at += timedelta(hours=1)
    t = {**t, "status": "closed"}
    out.append(envelope("ticket_closed", t, at, next(ids), closed_by="requester",
                        resolution_business_seconds=resolution_s, resolution_sla_met=sla_met))
    if rating:
        out.append(envelope("ticket_rated", t, at + timedelta(seconds=1), next(ids), rating=rating, comment="好"))
    return out


def mixed(n_tickets: int, depts=("fgw", "czj"), seed: int = 7, start=T0) -> list[Envelope]:
    """Many tickets of every process with varied outcomes; some left open (created only)."""
    rnd = random.Random(seed)
    events: list[Envelope] = []
    for i in range(n_tickets):
        dept = depts[i % len(depts)]
        ttype = ("request", "incident", "problem", "change")[i % 4]
        at = start + timedelta(hours=i * 3)
        evs = lifecycle(dept, assignee=f"s{i % 5}", group=f"g{i % 2}", ttype=ttype, start=at,
                        response_s=rnd.randint(60, 5000), resolution_s=rnd.randint(600, 80000),
                        sla_met=rnd.random() < 0.8, first_contact=rnd.random() < 0.6,
                        rating=rnd.choice([0, 3, 4, 5]), reopen=rnd.random() < 0.1,
                        breach=rnd.random() < 0.2, escalate=rnd.random() < 0.1,
                        catalogue=rnd.choice([None, "cat-1"]),
                        outcome=rnd.choice(["successful", "successful", "failed", "rolled_back"]),
                        emergency=rnd.random() < 0.2, link_count=rnd.randint(0, 3), seed=f"m{seed}-{i}")
        if i % 7 == 3:
            evs = evs[:2]  # still open, assigned
        events.extend(evs)
    return events
