"""Ticket use cases against an in-memory unit of work: no servers."""

from __future__ import annotations

import pytest
from fake_ticket_uow import FakeUnitOfWork, caller

from govkit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from ticket.domain.commands import CreateTicket, GetTicket
from ticket.domain.model import TITLE_MAX, Status
from ticket.handlers import tickets


def cmd(**kw):
    base = dict(title="打印机无法连接", description="三楼", org_unit_id="fgw",
                category="infrastructure", priority="medium")
    base.update(kw)
    return CreateTicket(**base)


def test_create_stores_ticket_and_records_one_event():
    uow = FakeUnitOfWork()
    result = tickets.create_ticket(cmd(), uow, caller())
    assert not result.replayed
    assert result.ticket.status is Status.NEW
    assert list(uow.committed_store) == [result.ticket.id]
    [event] = uow.published
    assert result.ticket.number.startswith("INC-")
    assert event.event_name() == "ticket_created"
    assert event.event_type() == "govops.ticket.ticket_created.v1"
    assert event.event_org_unit_id() == "fgw" and event.event_subject() == result.ticket.id
    assert event.event_data()["title"] == "打印机无法连接"


def test_every_bad_field_is_reported_at_once_and_nothing_is_written():
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidArgument) as err:
        tickets.create_ticket(cmd(title="  ", org_unit_id="", priority="urgent", category=""), uow, caller())
    fields = {v.field: v.reason for v in err.value.violations}
    assert set(fields) == {"title", "org_unit_id", "priority", "category"}
    assert "critical" in fields["priority"]
    assert fields["category"] == "is required"
    assert uow.committed_store == {} and uow.published == []


def test_oversized_title_names_the_limit():
    with pytest.raises(InvalidArgument) as err:
        tickets.create_ticket(cmd(title="长" * (TITLE_MAX + 1)), FakeUnitOfWork(), caller())
    [v] = err.value.violations
    assert v.field == "title" and str(TITLE_MAX) in v.reason


def test_department_outside_scope_is_refused():
    uow = FakeUnitOfWork()
    with pytest.raises(PermissionDenied):
        tickets.create_ticket(cmd(org_unit_id="czj"), uow, caller(units=["fgw"]))
    assert uow.committed_store == {}


def test_same_idempotency_key_returns_the_first_ticket_and_no_second_event():
    uow = FakeUnitOfWork()
    first = tickets.create_ticket(cmd(idempotency_key="k1"), uow, caller())
    again = tickets.create_ticket(cmd(idempotency_key="k1"), uow, caller())
    assert again.replayed and again.ticket.id == first.ticket.id
    with pytest.raises(AlreadyExists) as err:  # the key with another request: refused, naming the key
        tickets.create_ticket(cmd(idempotency_key="k1", title="不同的标题"), uow, caller())
    assert [v.field for v in err.value.violations] == ["idempotency_key"]
    assert len(uow.committed_store) == 1 and len(uow.published) == 1


def test_idempotency_keys_belong_to_their_caller():
    uow = FakeUnitOfWork()
    a = tickets.create_ticket(cmd(idempotency_key="k1"), uow, caller(subject="a"))
    b = tickets.create_ticket(cmd(idempotency_key="k1"), uow, caller(subject="b"))
    assert a.ticket.id != b.ticket.id and not b.replayed


def test_get_outside_scope_reads_as_not_found():
    uow = FakeUnitOfWork()
    t = tickets.create_ticket(cmd(org_unit_id="czj"), uow, caller()).ticket
    assert tickets.get_ticket(GetTicket(t.id), uow, caller(units=["czj"])).id == t.id
    with pytest.raises(NotFound):
        tickets.get_ticket(GetTicket(t.id), uow, caller(units=["fgw"]))
