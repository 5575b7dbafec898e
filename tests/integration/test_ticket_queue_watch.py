"""The operations window's live queue and claiming over a real gRPC server, PostgreSQL and Redis:
two engineers claiming one ticket at once (one wins, the other learns who), WatchQueue streaming
committed changes scoped to the caller and the view, and the groups' on-duty load for assigning."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from govkit.auth import SYSTEM
from govkit.grpc_server import iter_bad_request
from govops.ticket.v1 import ticket_pb2 as pb
from tests.catchup import wait_until
from tests.integration.test_ticket_platform import form, seed_org, stub
from tests.org_units import seed_test_units
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import EnsureDefaults
from ticket.handlers import catalogue


@pytest.fixture
def platform(grpc_server, engine_for):
    engine = engine_for("ticket")
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    seed_test_units(engine)
    seed_org(engine, on_duty=())  # nobody on duty: new tickets wait in the group queue
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO orgdir_group_members (group_id, staff_id) VALUES "
                             "('grp-network', 's-wang'), ('grp-network', 's-li') ON CONFLICT DO NOTHING")
    return grpc_server("ticket")["ticket"], engine


def _queued(target, token, title="三楼断网"):
    return stub(target, token).SubmitRequest(pb.SubmitRequestRequest(
        catalogue_item_id="infra.network.fault", title=title, org_unit_id="fgw",
        form=form(location="三楼东侧")), timeout=5).ticket


def test_two_engineers_claiming_one_ticket_one_wins_the_other_is_told_who(platform, signer, admin_token):
    target, _ = platform
    ticket = _queued(target, admin_token)
    assert not ticket.assignee
    tokens = {s: signer.mint(s, perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}])
              for s in ("s-wang", "s-li")}
    barrier, outcomes = threading.Barrier(2), {}

    def claim(who):
        barrier.wait()
        try:
            outcomes[who] = stub(target, tokens[who]).ClaimTicket(pb.ClaimTicketRequest(ticket_id=ticket.id),
                                                                  timeout=10).ticket.assignee
        except grpc.RpcError as err:
            outcomes[who] = err

    threads = [threading.Thread(target=claim, args=(w,)) for w in tokens]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    winners = [w for w, o in outcomes.items() if isinstance(o, str)]
    assert len(winners) == 1 and outcomes[winners[0]] == winners[0]
    loser = next(w for w in tokens if w not in winners)
    err = outcomes[loser]
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    name = {"s-wang": "王工", "s-li": "李工"}[winners[0]]
    assert name in err.details() and winners[0] in err.details()
    assert dict(iter_bad_request(err))["ticket_id"] == f"already assigned to {name} ({winners[0]})"
    # No silent overwrite: the winner still holds it.
    assert stub(target, admin_token).GetTicket(pb.GetTicketRequest(id=ticket.id), timeout=5).ticket.assignee \
        == winners[0]


def _watch(target, token, request, into: list, ready: threading.Event):
    call = stub(target, token).WatchQueue(request, timeout=30)

    def run():
        try:
            ready.set()
            for reply in call:
                into.extend(reply.changes)
        except grpc.RpcError:
            pass

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return call


def test_watch_queue_streams_committed_changes_in_scope_and_view(platform, signer, admin_token):
    target, _ = platform
    wang = signer.mint("s-wang", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}], name="王强")
    gaj_only = signer.mint("s-li", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "gaj"}])
    group_changes, mine, other_scope = [], [], []
    calls = []
    for token, req, into in [
            (wang, pb.WatchQueueRequest(view=pb.QUEUE_VIEW_GROUP_QUEUE, group_id="grp-network"), group_changes),
            (wang, pb.WatchQueueRequest(view=pb.QUEUE_VIEW_MY_QUEUE), mine),
            (gaj_only, pb.WatchQueueRequest(view=pb.QUEUE_VIEW_ALL), other_scope)]:
        ready = threading.Event()
        calls.append(_watch(target, token, req, into, ready))
        ready.wait(5)
    time.sleep(0.5)  # the streams have subscribed
    ticket = _queued(target, admin_token, "新工单实时出现")
    wait_until(lambda: any(c.ticket_id == ticket.id for c in group_changes), "the group's change",
               timeout=10.0, interval=0.05)
    created = next(c for c in group_changes if c.ticket_id == ticket.id)
    assert created.event == "ticket_created" and created.status == pb.TICKET_STATUS_NEW
    assert created.group_id == "grp-network" and created.number == ticket.number
    assert created.HasField("occurred_at")
    assert (created.actor, created.actor_name) == ("admin", "admin")  # who made it: the caller
    assert not mine  # not assigned to s-wang yet
    stub(target, wang).ClaimTicket(pb.ClaimTicketRequest(ticket_id=ticket.id), timeout=5)
    wait_until(lambda: any(c.event == "ticket_assigned" and c.assignee == "s-wang" for c in mine),
               "the assignment on s-wang's own stream", timeout=10.0, interval=0.05)
    claimed = next(c for c in mine if c.event == "ticket_assigned")
    assert (claimed.actor, claimed.actor_name) == ("s-wang", "王强")
    time.sleep(0.3)
    assert not other_scope  # an fgw ticket never reaches a caller scoped to gaj
    for call in calls:
        call.cancel()


def test_watch_queue_refuses_a_group_queue_without_a_group(platform, signer):
    target, _ = platform
    wang = signer.mint("s-wang", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}])
    with pytest.raises(grpc.RpcError) as err:
        list(stub(target, wang).WatchQueue(pb.WatchQueueRequest(view=pb.QUEUE_VIEW_GROUP_QUEUE), timeout=5))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "group_id" in dict(iter_bad_request(err.value))
    requester = signer.mint("zhang", perms=["ticket.read", "ticket.create"], scopes=[{"unit": "fgw"}])
    with pytest.raises(grpc.RpcError) as err:
        list(stub(target, requester).WatchQueue(pb.WatchQueueRequest(), timeout=5))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_group_workload_shows_who_is_on_duty_and_their_open_tickets(platform, signer, admin_token):
    target, engine = platform
    seed_org(engine, on_duty=("s-li",))
    t = _queued(target, admin_token)  # auto-assigned to the only one on duty
    assert t.assignee == "s-li"
    wang = signer.mint("s-wang", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}])
    groups = stub(target, wang).ListGroupWorkload(pb.ListGroupWorkloadRequest(), timeout=5).groups
    assert [g.group_id for g in groups] == ["grp-network"] and groups[0].is_member
    members = [(m.staff_id, m.name, m.on_duty, m.open_tickets) for m in groups[0].members]
    assert members == [("s-li", "李工", True, 1), ("s-wang", "王工", False, 0)]
    with pytest.raises(grpc.RpcError) as err:
        stub(target, wang).ListGroupWorkload(pb.ListGroupWorkloadRequest(group_ids=["grp-none"]), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    every = stub(target, wang).ListGroupWorkload(pb.ListGroupWorkloadRequest(all_groups=True), timeout=5).groups
    assert "grp-network" in [g.group_id for g in every]


def test_the_hub_serves_at_most_its_limit_of_live_queues(redis_client):
    from govkit.errors import Unavailable
    from ticket.adapters.feed import ChangeFeed, QueueHub

    hub = QueueHub(redis_client, limit=1)
    try:
        first = hub.subscribe(lambda change: True)
        with pytest.raises(Unavailable):  # each stream holds a server thread: the pool stays for unary calls
            hub.subscribe(lambda change: True)
        ChangeFeed(redis_client).publish([{"ticket_id": "t1"}])
        assert first.queue.get(timeout=5) == [{"ticket_id": "t1"}]
        hub.unsubscribe(first)
        hub.unsubscribe(hub.subscribe(lambda change: True))  # room again
    finally:
        hub.stop()


def test_a_ticket_moved_to_another_groups_queue_reaches_that_queue_live(platform, signer, admin_token):
    from govkit.orgdir import OrgDirectory

    target, engine = platform
    with engine.begin() as conn:
        OrgDirectory(conn).apply("group_created", {"group_id": "grp-db", "code": "db", "name": "数据库组",
                                                  "org_unit_id": "om-centre", "lead_position_id": None})
    ticket = _queued(target, admin_token, "仍是新工单")
    assert ticket.status == pb.TICKET_STATUS_NEW
    lead = signer.mint("s-zhao", perms=["ticket.work", "ticket.read", "ticket.assign"], scopes=[{"unit": "*"}])
    seen: list = []
    ready = threading.Event()
    call = _watch(target, lead, pb.WatchQueueRequest(view=pb.QUEUE_VIEW_GROUP_QUEUE, group_id="grp-db"), seen, ready)
    ready.wait(5)
    time.sleep(0.5)
    # Still new: the move publishes no event, yet the target queue hears of it.
    stub(target, lead).TransferTicket(pb.TransferTicketRequest(ticket_id=ticket.id, group_id="grp-db"), timeout=5)
    wait_until(lambda: any(c.ticket_id == ticket.id and c.group_id == "grp-db" for c in seen),
               "the change in grp-db", timeout=10.0, interval=0.05)
    moved = next(c for c in seen if c.ticket_id == ticket.id)
    assert moved.event == "ticket_updated" and moved.actor == "s-zhao"
    call.cancel()
