"""The client's deadline bounds the work done for it: a call whose client gave up stops (its
statement is cancelled at the time left) and saves nothing. Real ticket gRPC server and
PostgreSQL; the row lock another transaction holds is what makes the call slow."""

from __future__ import annotations

import time

import grpc
import sqlalchemy as sa

from govkit.client import channel
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc
from tests.org_units import seed_test_units


def _lock_waiters(conn, database: str) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                                "AND wait_event_type = 'Lock'"), {"db": database}).scalar()


def test_a_call_past_its_deadline_stops_and_saves_nothing(grpc_server, engine_for, admin_token):
    engine = engine_for("ticket")
    seed_test_units(engine)
    target = grpc_server("ticket")["ticket"]
    stub = pb_grpc.TicketServiceStub(channel(target, admin_token))
    ticket = stub.CreateTicket(pb.CreateTicketRequest(
        title="核心交换机端口故障", description="三层机房", org_unit_id="fgw",
        category=pb.CATEGORY_INFRASTRUCTURE, priority=pb.PRIORITY_HIGH), timeout=10).ticket
    database = engine.url.database

    with engine.connect() as holder, engine.connect() as probe:
        holder.begin()
        holder.execute(sa.text("SELECT 1 FROM tickets WHERE id = :id FOR UPDATE"), {"id": ticket.id})
        started = time.monotonic()
        try:
            stub.EscalateTicket(pb.EscalateTicketRequest(ticket_id=ticket.id, reason="领导督办"), timeout=1)
            raise AssertionError("the call returned although the ticket was locked")
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        # The server must stop waiting for the lock soon after the client's deadline, not when
        # the lock happens to be released.
        while _lock_waiters(probe, database):
            assert time.monotonic() - started < 8, "the server kept waiting after the client gave up"
            time.sleep(0.05)
        holder.rollback()

    got = stub.GetTicket(pb.GetTicketRequest(id=ticket.id), timeout=10).ticket
    assert got.escalation_level == 0
    with engine.connect() as c:
        actions = c.execute(sa.text("SELECT action FROM ticket_audit WHERE ticket_id = :id"),
                            {"id": ticket.id}).scalars().all()
    assert "escalate" not in actions
