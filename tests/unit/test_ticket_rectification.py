"""Issue 12 item 9: a rectification is a work item with its own due date, routed to a position
and group, with no SLA policy (no SLA clock, no sla_* events)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fake_ticket_uow import FakeUnitOfWork, caller

from govkit.errors import InvalidArgument
from ticket.domain.commands import CreateTicket
from ticket.handlers import tickets

DUE = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)


def test_a_rectification_ticket_has_its_due_date_its_owner_and_no_sla():
    uow = FakeUnitOfWork()
    t = tickets.create_ticket(CreateTicket(
        "整改：平均响应时长高于基线", "评价发现", "om-centre", "application", "medium", "rect:1",
        ticket_type="rectification", due_at=DUE, group_id="grp-application",
        position_id="pos-app-lead"), uow, caller()).ticket
    assert t.number.startswith("RCT-") and t.ticket_type == "rectification"
    assert t.sla is None and t.sla_state == "none" and t.response_due_at is None
    assert t.resolution_due_at == DUE
    assert (t.group_id, t.position_id) == ("grp-application", "pos-app-lead")
    assert not uow.state.deadlines.get(t.id)  # no SLA deadline, no sla_warning/sla_breached
    [created] = uow.published
    assert created.event_data()["resolution_due_at"] == DUE.isoformat()


def test_a_rectification_without_a_due_date_is_refused():
    with pytest.raises(InvalidArgument) as err:
        tickets.create_ticket(CreateTicket("整改", "", "om-centre", "application", "medium",
                                           ticket_type="rectification"), FakeUnitOfWork(), caller())
    assert {v.field for v in err.value.violations} == {"due_at"}
