"""Edge inputs the kit refuses for every method of every service (issue 11, items 1–3): a NUL
character in any string field, an out-of-range Timestamp, a garbage page token — each
INVALID_ARGUMENT naming the field, never INTERNAL — and error messages that echo a huge input
stay short (no RESOURCE_EXHAUSTED on the reply)."""

from __future__ import annotations

import base64
import importlib
import json

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor as FD

from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.service import names

SERVICES = names()
TIMESTAMP = "google.protobuf.Timestamp"
PAGE_REQUEST = "govops.common.v1.PageRequest"


def _unary_methods():
    for svc in SERVICES:
        pb = importlib.import_module(f"govops.{svc}.v1.{svc}_pb2")
        for service in pb.DESCRIPTOR.services_by_name.values():
            for m in service.methods:
                if not m.server_streaming and not m.client_streaming:
                    cls = getattr(pb, m.input_type.name, None)
                    if cls is None or cls.DESCRIPTOR is not m.input_type:
                        continue
                    yield svc, f"/{service.full_name}/{m.name}", cls


def _is_map(fd) -> bool:
    return fd.type == FD.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry


def _path_to(descriptor, want, depth=0):
    """(path of field names, final field) of the first field `want(fd)` accepts, depth-first."""
    if depth > 4:
        return None
    for fd in descriptor.fields:
        if _is_map(fd):
            continue
        if want(fd):
            return [fd.name], fd
        if fd.type == FD.TYPE_MESSAGE and fd.message_type.full_name != TIMESTAMP:
            found = _path_to(fd.message_type, want, depth + 1)
            if found:
                return [fd.name, *found[0]], found[1]
    return None


def _build(cls, path, set_leaf):
    """A request with the field at `path` set by `set_leaf(parent, fd)`; repeated parents get one
    element. Returns the request and the field path the server should name."""
    msg = cls()
    node, named = msg, []
    for name in path[:-1]:
        fd = node.DESCRIPTOR.fields_by_name[name]
        if fd.is_repeated:
            node = getattr(node, name).add()
            named.append(f"{name}[0]")
        else:
            node = getattr(node, name)
            named.append(name)
    fd = node.DESCRIPTOR.fields_by_name[path[-1]]
    named.append(set_leaf(node, fd))
    return msg, ".".join(named)


def _call(target, token, method, request):
    ch = channel(target, token)
    return ch.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=lambda b: b)(request, timeout=10)


@pytest.fixture
def all_targets(grpc_server, engine_for):
    for svc in SERVICES:
        engine_for(svc)
    return grpc_server(*SERVICES)


def _expect_invalid(target, token, method, request, field):
    with pytest.raises(grpc.RpcError) as err:
        _call(target, token, method, request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, field, err.value.code(),
                                                                   err.value.details())
    fields = [f for f, _ in iter_bad_request(err.value)]
    assert field in fields, (method, field, fields)


def test_nul_in_any_string_field_is_invalid_argument(all_targets, admin_token):
    tried = 0
    for svc, method, cls in _unary_methods():
        found = _path_to(cls.DESCRIPTOR, lambda fd: fd.type == FD.TYPE_STRING)
        if not found:
            continue

        def leaf(node, fd):
            if fd.is_repeated:
                getattr(node, fd.name).append("a\x00b")
                return f"{fd.name}[0]"
            setattr(node, fd.name, "a\x00b")
            return fd.name

        request, field = _build(cls, found[0], leaf)
        _expect_invalid(all_targets[svc], admin_token, method, request, field)
        tried += 1
    assert tried > 40


@pytest.mark.parametrize("seconds, nanos", [
    (253402300800, 0),      # 10000-01-01
    (-62135596801, 0),      # just before 0001-01-01
    (0, 1_000_000_000),
    (0, -1),
])
def test_out_of_range_timestamp_is_invalid_argument(all_targets, admin_token, seconds, nanos):
    tried = []
    for svc, method, cls in _unary_methods():
        found = _path_to(cls.DESCRIPTOR, lambda fd: fd.type == FD.TYPE_MESSAGE
                         and fd.message_type.full_name == TIMESTAMP)
        if not found:
            continue

        def leaf(node, fd):
            if fd.is_repeated:
                ts = getattr(node, fd.name).add()
                name = f"{fd.name}[0]"
            else:
                ts, name = getattr(node, fd.name), fd.name
            ts.seconds, ts.nanos = seconds, nanos
            return name

        request, field = _build(cls, found[0], leaf)
        _expect_invalid(all_targets[svc], admin_token, method, request, field)
        tried.append(method.rsplit("/", 1)[-1])
    assert {"ListQueue", "GetOnDuty"} <= set(tried), tried


@pytest.mark.parametrize("token", [
    "garbage",
    base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([1]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps(-5).encode()).decode(),
])
def test_garbage_page_token_is_invalid_argument(all_targets, admin_token, token):
    tried = []
    for svc, method, cls in _unary_methods():
        page = next((fd for fd in cls.DESCRIPTOR.fields if fd.type == FD.TYPE_MESSAGE
                     and fd.message_type.full_name == PAGE_REQUEST), None)
        if page is None:
            continue
        request = cls()
        getattr(request, page.name).page_token = token
        _expect_invalid(all_targets[svc], admin_token, method, request, f"{page.name}.page_token")
        tried.append(method)
    assert len(tried) >= 7, tried


def test_huge_id_is_not_found_with_a_short_message(all_targets, admin_token):
    from govops.ticket.v1 import ticket_pb2 as pb

    with pytest.raises(grpc.RpcError) as err:
        _call(all_targets["ticket"], admin_token, "/govops.ticket.v1.TicketService/GetTicket",
              pb.GetTicketRequest(id="x" * 16384))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND, (err.value.code(), err.value.details()[:200])
    assert len(err.value.details()) <= 1024
