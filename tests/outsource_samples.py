"""Synthetic inputs shared by the outsource tests: ticket event envelopes as the ticket contract
(docs/contracts/ticket-events.md) describes them, and a signed O&M contract built through the
service layer."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from govkit.auth import SYSTEM
from govkit.events import Envelope

CST = timezone(timedelta(hours=8))


STATUS_AFTER = {"ticket_created": "new", "ticket_assigned": "assigned", "ticket_resolved": "resolved",
                "ticket_closed": "closed", "sla_breached": "in_progress"}


def ticket_event(name, ticket_id, at, *, eid=None, priority="high", vendor_id="vendor-hx", group_id="app", **extra):
    data = {"ticket_id": ticket_id, "number": f"INC-2026-{ticket_id}", "ticket_type": "incident",
            "org_unit_id": "czj", "catalogue_item_id": "app-om", "category": "application", "priority": priority,
            "status": STATUS_AFTER.get(name, "in_progress"), "group_id": group_id,
            "assignee": "V001" if vendor_id else "Z001",
            "vendor_id": vendor_id, "requester": "u", "occurred_at": at.isoformat(), **extra}
    return Envelope(id=eid or f"{name}-{ticket_id}", source="ticket", type=f"govops.ticket.{name}.v1",
                    time=at.isoformat(), subject=ticket_id, org_unit_id="czj", correlationid=None, data=data).to_dict()


def synthetic_month(start=datetime(2026, 11, 2, 9, tzinfo=CST)) -> list[dict]:
    """20 vendor tickets in November (24x7 calendar readings): 17 on time; t18 responded late; t19
    within the internal SLA's pending-excluded clock but late on the contract's, since it waited
    6 h for the vendor; t20 critical resolved late; plus one ticket of another vendor and one from
    October."""
    events = []
    for i in range(1, 21):
        tid, at = f"t{i:02}", start + timedelta(days=i)
        prio = "critical" if i == 20 else "high"

        def ev(name, seconds, tid=tid, at=at, prio=prio, **extra):
            return ticket_event(name, tid, at + timedelta(seconds=seconds), priority=prio,
                                eid=f"{name}-{tid}-{seconds}", business_seconds_since_created=seconds, **extra)

        events.append(ticket_event("ticket_created", tid, at, priority=prio, created_at=at.isoformat(),
                                   vendor_id=None, assignee=None))
        resp = 2400 if i == 18 else 600
        events.append(ev("ticket_assigned", resp, first_response=True, response_business_seconds=resp, method="auto"))
        reso, pending = (20000, 0) if i == 20 else (9 * 3600, 6 * 3600) if i == 19 else (10800, 0)
        if pending:
            events.append(ev("ticket_status_changed", 3600, status="pending", from_status="assigned",
                             to_status="pending", pending_reason="vendor"))
            events.append(ev("ticket_status_changed", 3600 + pending, status="in_progress", from_status="pending",
                             to_status="in_progress", pending_reason=None))
        events.append(ev("ticket_resolved", reso, response_business_seconds=resp,
                         resolution_business_seconds=reso - pending))
        events.append(ev("ticket_closed", 86400, resolution_business_seconds=reso - pending))
    events.append(ticket_event("ticket_created", "other", start, vendor_id="vendor-b", group_id="net",
                               created_at=start.isoformat()))
    october = start - timedelta(days=10)
    events.append(ticket_event("ticket_created", "oct", october, created_at=october.isoformat()))
    return events


SLA = {"targets": [{"priority": "critical", "response_minutes": 15, "resolution_minutes": 240},
                   {"priority": "high", "response_minutes": 30, "resolution_minutes": 480}],
       "attainment_target_percent": "95", "availability_percent": "99.90", "onsite_minutes": 60}
PENALTIES = [{"id": "p1", "name": "响应超时", "metric": "response", "per_breach_amount": "200.00",
              "per_point_amount": "1000.00", "cap": "20000.00"},
             {"id": "p2", "name": "解决超时", "metric": "resolution", "per_breach_amount": "500.00"}]


def signed_contract(engine):
    """vendor-hx under a signed O&M contract for om-centre (group `app`), through the handlers."""
    from outsource import handlers
    from outsource.adapters.uow import OutsourceUnitOfWork
    from outsource.domain import commands as c

    uow = lambda: OutsourceUnitOfWork(engine)  # noqa: E731
    handlers.register_vendor(c.RegisterVendor("vendor-hx", "华信科技服务有限公司", "91110108551385082Q", "om-centre"),
                             uow(), SYSTEM)
    project, _ = handlers.create_project(
        c.CreateProject("政务应用运维外包", "om", "om-centre", ["app-om"], fee_category="software_om"), uow(), SYSTEM
    )
    handlers.start_procurement(c.StartProcurement(project.id, "public_tender"), uow(), SYSTEM)
    handlers.record_bid(c.RecordBid(project.id, "vendor-hx", "480000.00"), uow(), SYSTEM)
    handlers.award_project(c.AwardProject(project.id, "vendor-hx", "综合评分第一"), uow(), SYSTEM)
    return handlers.sign_contract(c.SignContract(
        project.id, "480000.00", date(2026, 1, 1), date(2026, 12, 31), date(2025, 12, 20), "app", ["运维方案"],
        [{"id": "m1", "name": "全款", "amount": "480000.00", "acceptance": "终验"}], SLA, PENALTIES), uow(), SYSTEM)
