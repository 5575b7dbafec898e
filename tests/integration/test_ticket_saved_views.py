"""Saved queue views over a real gRPC server and PostgreSQL: each user's named ListQueue requests,
kept by the ticket service (they used to live in one browser's localStorage) — saved, replaced,
listed in pinyin order, deleted; one user's views are never another's; bad input is refused with
the field it concerns."""

from __future__ import annotations

import grpc
import pytest

from govkit.grpc_server import iter_bad_request
from govops.ticket.v1 import ticket_pb2 as pb
from tests.integration.test_ticket_platform import stub


@pytest.fixture
def target(grpc_server, engine_for):
    engine_for("ticket")
    return grpc_server("ticket")["ticket"]


def _engineer(signer, subject):
    return signer.mint(subject, perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}])


def _names(target, token):
    return [v.name for v in stub(target, token).ListSavedQueueViews(pb.ListSavedQueueViewsRequest(), timeout=5).views]


def _violation(err) -> tuple[str, str]:
    return next(iter(iter_bad_request(err)))


def test_views_are_saved_replaced_listed_in_pinyin_order_and_deleted(target, signer):
    wang, li = _engineer(signer, "s-wang"), _engineer(signer, "s-li")
    api = stub(target, wang)
    high = pb.TicketFilter(priority=["high", "critical"], org_unit_ids=["fgw"])
    saved = api.SaveQueueView(pb.SaveQueueViewRequest(name=" 紧急故障 ", view=pb.QUEUE_VIEW_ALL, filter=high),
                              timeout=5).view
    assert saved.name == "紧急故障" and saved.view == pb.QUEUE_VIEW_ALL and saved.HasField("updated_at")
    assert list(saved.filter.priority) == ["high", "critical"] and list(saved.filter.org_unit_ids) == ["fgw"]
    api.SaveQueueView(pb.SaveQueueViewRequest(name="本组待办", view=pb.QUEUE_VIEW_GROUP_QUEUE,
                                              filter=pb.TicketFilter(group_id="grp-network")), timeout=5)
    api.SaveQueueView(pb.SaveQueueViewRequest(name="A 区", filter=pb.TicketFilter(unassigned=True)), timeout=5)
    # by pinyin: A 区 (a), 本组待办 (ben), 紧急故障 (jin) — not by code point (紧 < 本 there)
    assert _names(target, wang) == ["A 区", "本组待办", "紧急故障"]

    # the same name replaces the view
    api.SaveQueueView(pb.SaveQueueViewRequest(name="紧急故障", view=pb.QUEUE_VIEW_MY_QUEUE,
                                              filter=pb.TicketFilter(priority=["critical"])), timeout=5)
    views = {v.name: v for v in api.ListSavedQueueViews(pb.ListSavedQueueViewsRequest(), timeout=5).views}
    assert len(views) == 3 and views["紧急故障"].view == pb.QUEUE_VIEW_MY_QUEUE
    assert list(views["紧急故障"].filter.priority) == ["critical"] and not views["紧急故障"].filter.org_unit_ids
    assert views["A 区"].view == pb.QUEUE_VIEW_MY_QUEUE and views["A 区"].filter.unassigned  # unset view: my_queue

    # another user sees none of them, and cannot delete them
    assert _names(target, li) == []
    with pytest.raises(grpc.RpcError) as err:
        stub(target, li).DeleteSavedQueueView(pb.DeleteSavedQueueViewRequest(name="紧急故障"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

    api.DeleteSavedQueueView(pb.DeleteSavedQueueViewRequest(name="紧急故障"), timeout=5)
    assert _names(target, wang) == ["A 区", "本组待办"]
    with pytest.raises(grpc.RpcError) as err:
        api.DeleteSavedQueueView(pb.DeleteSavedQueueViewRequest(name="紧急故障"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_bad_views_are_refused_with_their_field_and_nothing_is_saved(target, signer):
    api = stub(target, _engineer(signer, "s-zhao"))
    for request, field in [
            (pb.SaveQueueViewRequest(name="  "), "name"),
            (pb.SaveQueueViewRequest(name="长" * 61), "name"),
            (pb.SaveQueueViewRequest(name="a\tb"), "name"),
            (pb.SaveQueueViewRequest(name="组", view=pb.QUEUE_VIEW_GROUP_QUEUE), "filter.group_id"),
            (pb.SaveQueueViewRequest(name="怪", view=99), "view")]:
        with pytest.raises(grpc.RpcError) as err:
            api.SaveQueueView(request, timeout=5)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request
        assert _violation(err.value)[0] == field, request
    assert _names(target, _engineer(signer, "s-zhao")) == []


def test_a_user_keeps_at_most_fifty_views(target, signer):
    token = _engineer(signer, "s-sun")
    api = stub(target, token)
    for n in range(50):
        api.SaveQueueView(pb.SaveQueueViewRequest(name=f"视图{n:02d}"), timeout=5)
    api.SaveQueueView(pb.SaveQueueViewRequest(name="视图07", view=pb.QUEUE_VIEW_ALL), timeout=5)  # a replacement fits
    with pytest.raises(grpc.RpcError) as err:
        api.SaveQueueView(pb.SaveQueueViewRequest(name="第五十一个"), timeout=5)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and _violation(err.value)[0] == "name"
    assert len(_names(target, token)) == 50


def test_saved_views_need_ticket_work(target, signer):
    requester = signer.mint("u-req", perms=["ticket.read", "ticket.create"], scopes=[{"unit": "fgw"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, requester).ListSavedQueueViews(pb.ListSavedQueueViewsRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
