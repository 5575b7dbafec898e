"""The public timeline keeps status changes and assignments from the audit trail and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticket.domain.timeline import TimelineEntry, public_timeline

T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_creation_routing_status_changes_and_requeue_in_order():
    audit = [
        {"at": _at(0), "action": "created", "before": {},
         "after": {"status": "assigned", "group_id": "grp-net", "assignee": "s-wang", "vendor_id": "v-1",
                   "details": {"alert": {"labels": {"team": "内部"}}}}},
        {"at": _at(1), "action": "sla_response", "before": {"sla_state": "ok"}, "after": {"sla_state": "warning"}},
        {"at": _at(2), "action": "change_status", "before": {"status": "assigned", "pending_reason": None},
         "after": {"status": "pending", "pending_reason": "vendor"}},
        {"at": _at(3), "action": "change_status", "before": {"status": "pending", "assignee": "s-wang"},
         "after": {"status": "new", "assignee": None, "pending_reason": None}},
        {"at": _at(4), "action": "rate", "before": {"rating": None}, "after": {"rating": 5, "rating_comment": "好"}},
    ]
    assert public_timeline(audit) == [
        TimelineEntry(_at(0), "created", to_status="assigned"),
        TimelineEntry(_at(0), "assigned", group_id="grp-net", assignee="s-wang"),
        TimelineEntry(_at(2), "status", from_status="assigned", to_status="pending", pending_reason="vendor"),
        # back to the group queue: the group stays, nobody holds it
        TimelineEntry(_at(3), "assigned", group_id="grp-net", assignee=""),
        TimelineEntry(_at(3), "status", from_status="pending", to_status="new"),
    ]


def test_a_ticket_waiting_in_its_queue_from_the_start_has_no_assignee():
    audit = [{"at": _at(0), "action": "created", "before": {}, "after": {"status": "new", "group_id": "grp-net",
                                                                         "assignee": None}}]
    assert public_timeline(audit) == [TimelineEntry(_at(0), "created", to_status="new"),
                                      TimelineEntry(_at(0), "assigned", group_id="grp-net")]
