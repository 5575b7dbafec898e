"""Which committed changes a WatchQueue stream receives, and the groups' on-duty load — the
handlers on the in-memory unit of work."""

from __future__ import annotations

import pytest
from fake_ticket_uow import FakeUnitOfWork, caller

from govkit.errors import InvalidArgument, NotFound
from ticket.domain.commands import ListGroupWorkload, WatchQueue
from ticket.handlers import queue


def change(**kw):
    return {"ticket_id": "t1", "org_unit_id": "fgw", "group_id": "grp-network", "assignee": None,
            "previous_assignee": None, "event": "ticket_created", **kw}


def test_a_stream_never_sees_a_ticket_outside_the_callers_scope():
    wants = queue.queue_watch(WatchQueue("all"), caller(units={"czj"}, staff_id="s1"))
    assert not wants(change()) and wants(change(org_unit_id="czj"))


def test_my_queue_sees_tickets_assigned_to_me_and_taken_from_me():
    wants = queue.queue_watch(WatchQueue("my_queue"), caller(staff_id="s1"))
    assert wants(change(assignee="s1", event="ticket_assigned"))
    assert wants(change(assignee="s2", previous_assignee="s1", event="ticket_assigned"))
    assert not wants(change(assignee="s2"))


def test_a_group_queue_sees_its_group_and_every_assignment_and_needs_a_group():
    wants = queue.queue_watch(WatchQueue("group_queue", "grp-network"), caller(staff_id="s1"))
    assert wants(change()) and not wants(change(group_id="grp-db"))
    assert wants(change(group_id="grp-db", event="ticket_assigned"))  # it may have left this group
    with pytest.raises(InvalidArgument) as err:
        queue.queue_watch(WatchQueue("group_queue"), caller(staff_id="s1"))
    assert err.value.violations[0].field == "group_id"
    with pytest.raises(InvalidArgument):
        queue.queue_watch(WatchQueue("mine"), caller(staff_id="s1"))


def test_group_workload_lists_members_on_duty_first_with_their_open_load():
    uow = FakeUnitOfWork()
    uow.orgdir.duty["grp-network"] = ["s1", "s2"]
    [g] = queue.group_workload(ListGroupWorkload(), uow, caller(staff_id="s1"))
    assert g.group_id == "grp-network" and g.is_member
    assert [(m.staff_id, m.on_duty, m.open_tickets) for m in g.members] == [("s1", True, 0), ("s2", True, 0)]
    assert queue.group_workload(ListGroupWorkload(), FakeUnitOfWork(), caller(staff_id="nobody")) == []
    with pytest.raises(NotFound):
        queue.group_workload(ListGroupWorkload(("grp-none",)), FakeUnitOfWork(), caller(staff_id="s1"))


def test_a_group_queue_also_sees_eventless_saves_that_may_have_moved_a_ticket_out():
    wants = queue.queue_watch(WatchQueue("group_queue", "grp-network"), caller(staff_id="s1"))
    assert wants(change(group_id="grp-db", event="ticket_updated"))
    assert not wants(change(group_id="grp-db", event="ticket_status_changed"))
