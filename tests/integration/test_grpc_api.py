"""The gRPC APIs as an integrator sees them: real server, real stub, real database."""

from __future__ import annotations

import grpc
import pytest
import sqlalchemy as sa

from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govops.evaluation.v1 import evaluation_pb2 as epb
from govops.evaluation.v1 import evaluation_pb2_grpc as epb_grpc
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc
from tests.org_units import seed_test_units


@pytest.fixture
def ticket_target(grpc_server, engine_for):
    seed_test_units(engine_for("ticket"))  # empty tables, the test government in the org directory
    return grpc_server("ticket")["ticket"]


def _stub(target, token):
    return pb_grpc.TicketServiceStub(channel(target, token))


def _req(**kw):
    base = dict(title="办公楼三层打印机无法连接", description="无法打印", org_unit_id="fgw",
                category=pb.CATEGORY_INFRASTRUCTURE, priority=pb.PRIORITY_MEDIUM)
    base.update(kw)
    return pb.CreateTicketRequest(**base)


def _rows(engine_for_unused=None):
    from govkit import config
    from govkit.db import make_engine

    e = make_engine(config.load("ticket").database_url, pool_size=1)
    with e.connect() as c:
        n = (c.execute(sa.text("SELECT count(*) FROM tickets")).scalar(),
             c.execute(sa.text("SELECT count(*) FROM outbox")).scalar())
    e.dispose()
    return n


def test_create_and_get_round_trip_chinese_text(ticket_target, admin_token):
    stub = _stub(ticket_target, admin_token)
    created = stub.CreateTicket(_req(), timeout=5)
    t = created.ticket
    assert not created.replayed and t.status == pb.TICKET_STATUS_NEW and t.requester == "admin"
    got = stub.GetTicket(pb.GetTicketRequest(id=t.id), timeout=5).ticket
    assert got == t and got.title == "办公楼三层打印机无法连接"
    assert _rows() == (1, 1)


def test_missing_or_bad_token_is_unauthenticated(ticket_target):
    for token in (None, "not-a-jwt"):
        with pytest.raises(grpc.RpcError) as err:
            _stub(ticket_target, token).CreateTicket(_req(), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _rows() == (0, 0)


def test_token_without_the_method_permission_is_denied(ticket_target, signer):
    token = signer.mint("reader", perms=["ticket.read"], scopes=[{"unit": "*"}])
    with pytest.raises(grpc.RpcError) as err:
        _stub(ticket_target, token).CreateTicket(_req(), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "ticket.create" in err.value.details()


@pytest.mark.parametrize("kw, field", [
    (dict(title=""), "title"),
    (dict(title="长" * 201), "title"),
    (dict(description="字" * 4001), "description"),
    (dict(priority=pb.PRIORITY_UNSPECIFIED), "priority"),
    (dict(priority=42), "priority"),
    (dict(category=0), "category"),
    (dict(org_unit_id=""), "org_unit_id"),
    (dict(idempotency_key="k" * 129), "idempotency_key"),
])
def test_bad_input_is_invalid_argument_naming_the_field(ticket_target, admin_token, kw, field):
    with pytest.raises(grpc.RpcError) as err:
        _stub(ticket_target, admin_token).CreateTicket(_req(**kw), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in dict(iter_bad_request(err.value))
    assert _rows() == (0, 0)


def test_invalid_utf8_is_invalid_argument_not_internal(ticket_target, admin_token):
    raw = _req(title="好").SerializeToString().replace("好".encode(), b"\xff\xfe")
    ch = channel(ticket_target, admin_token)
    call = ch.unary_unary("/govops.ticket.v1.TicketService/CreateTicket",
                          request_serializer=lambda b: b, response_deserializer=pb.CreateTicketResponse.FromString)
    with pytest.raises(grpc.RpcError) as err:
        call(raw, timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(iter_bad_request(err.value)) == {"title": "is not valid UTF-8"}
    assert _rows() == (0, 0)


def test_idempotency_key_returns_the_first_ticket(ticket_target, admin_token):
    stub = _stub(ticket_target, admin_token)
    first = stub.CreateTicket(_req(idempotency_key="retry-1"), timeout=5)
    again = stub.CreateTicket(_req(idempotency_key="retry-1"), timeout=5)
    assert again.replayed and again.ticket.id == first.ticket.id
    assert _rows() == (1, 1)


def test_departments_cannot_see_or_write_each_other(ticket_target, signer, admin_token):
    fgw = signer.mint("fgw-user", perms=["ticket.create", "ticket.read"], scopes=[{"unit": "fgw"}])
    czj = signer.mint("czj-user", perms=["ticket.create", "ticket.read"], scopes=[{"unit": "czj"}])
    t = _stub(ticket_target, fgw).CreateTicket(_req(org_unit_id="fgw"), timeout=5).ticket
    with pytest.raises(grpc.RpcError) as err:
        _stub(ticket_target, czj).GetTicket(pb.GetTicketRequest(id=t.id), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        _stub(ticket_target, czj).CreateTicket(_req(org_unit_id="fgw"), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # the O&M-centre-wide token sees everything
    assert _stub(ticket_target, admin_token).GetTicket(pb.GetTicketRequest(id=t.id), timeout=5).ticket.id == t.id


def test_unknown_ticket_id_is_not_found(ticket_target, admin_token):
    for bad in ("no-such-id", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(grpc.RpcError) as err:
            _stub(ticket_target, admin_token).GetTicket(pb.GetTicketRequest(id=bad), timeout=5)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_kpis_are_filtered_by_scope(grpc_server, redis_client, signer):
    from evaluation.adapters.kpi_store import KpiStore
    from evaluation.domain.kpis import KpiDelta, KpiKey, Level

    store = KpiStore(redis_client)
    for i, dept in enumerate(["fgw", "czj", "czj"]):
        store.apply(
            f"e{i}", "2026-11-25T00:00:00+00:00", [KpiDelta(KpiKey(Level.ORGANIZATION, dept), "tickets_created", 1)]
        )
    target = grpc_server("evaluation")["evaluation"]
    czj = signer.mint("czj-user", perms=["evaluation.read"], scopes=[{"unit": "czj"}])
    reply = epb_grpc.EvaluationServiceStub(channel(target, czj)).GetKpis(epb.GetKpisRequest(), timeout=5)
    assert [(k.subject, k.name, k.value) for k in reply.kpis] == [("czj", "tickets_created", 2.0)]


def test_correlation_id_travels_from_the_call_into_the_event(ticket_target, admin_token):
    stub = _stub(ticket_target, admin_token)
    reply, call = stub.CreateTicket.with_call(_req(), metadata=[("x-correlation-id", "corr-1")], timeout=5)
    assert ("x-correlation-id", "corr-1") in call.trailing_metadata()
    from govkit import config
    from govkit.db import make_engine

    e = make_engine(config.load("ticket").database_url, pool_size=1)
    with e.connect() as c:
        envelope = c.execute(sa.text("SELECT envelope FROM outbox")).scalar_one()
    e.dispose()
    assert envelope["correlationid"] == "corr-1" and envelope["subject"] == reply.ticket.id
    # errors carry it too, beside the BadRequest details
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateTicket(_req(title=""), metadata=[("x-correlation-id", "corr-2")], timeout=5)
    assert ("x-correlation-id", "corr-2") in err.value.trailing_metadata()
    assert dict(iter_bad_request(err.value)) == {"title": "must not be empty"}
