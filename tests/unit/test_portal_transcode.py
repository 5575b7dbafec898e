"""Unit level, no servers: the portal gateway's reading of the protos — path templates of
google.api.http, the catalogue of methods and bindings, request building from JSON, query and path,
and the gRPC status → problem mapping."""

from __future__ import annotations

import json
import math
import random

import grpc
import pytest
from google.protobuf import json_format, message_factory
from google.protobuf.any_pb2 import Any
from google.rpc import error_details_pb2, status_pb2

from portal import catalog, problems, transcode
from portal.catalog import compile_template
from portal.problems import Problem


@pytest.fixture(scope="module")
def cat():
    return catalog.load({"org", "ticket", "budget", "outsource", "evaluation"})


def test_path_templates_match_segments_and_name_variables():
    pattern, names = compile_template("/v1/tickets/{ticket_id}:confirm")
    assert names == ("ticket_id",)
    assert pattern.fullmatch("/v1/tickets/abc-1:confirm").group("v0") == "abc-1"
    assert pattern.fullmatch("/v1/tickets/a/b:confirm") is None
    assert compile_template("/v1/tickets/{id}")[0].fullmatch("/v1/tickets/abc-1:confirm") is None
    pattern, names = compile_template("/v1/{name=units/*}/files/{path=**}")
    m = pattern.fullmatch("/v1/units/fgw/files/a/b.txt")
    assert names == ("name", "path") and (m.group("v0"), m.group("v1")) == ("units/fgw", "a/b.txt")


def test_the_catalogue_reads_every_service_its_annotations_and_keeps_credentials_out(cat):
    submit = cat.method("govops.ticket.v1.TicketService", "SubmitRequest")
    assert submit.backend == "ticket" and "catalogue" in submit.comment
    assert [(b.verb, b.template, b.body) for b in submit.bindings] == [("POST", "/v1/requests", "*")]
    method, binding, variables = cat.route("POST", "/v1/tickets/t-1:rate")
    assert method.name == "RateTicket" and variables == {"ticket_id": "t-1"}
    assert cat.route("GET", "/v1/tickets/t-1:rate") is None
    watch = cat.method("govops.evaluation.v1.EvaluationService", "WatchKpis")
    assert watch.server_streaming
    credentials = {m.name for m in cat.methods.values() if m.returns_credentials}
    assert credentials == {"Login", "Refresh", "IssueServiceToken"}
    assert {s.rsplit(".", 1)[-1] for s in cat.services} == {
        "OrgService", "IdentityService", "TicketService", "BudgetService", "OutsourceService", "EvaluationService"}
    assert cat.comments["govops.ticket.v1.Ticket.created_at"] == "When it was opened (UTC)."


def test_requests_are_built_from_body_query_and_path(cat):
    rate = cat.method("govops.ticket.v1.TicketService", "RateTicket")
    msg = transcode.build(rate.input, {"rating": 5, "ticket_id": "ignored"}, "*", path={"ticket_id": "t-9"})
    assert (msg.ticket_id, msg.rating) == ("t-9", 5)
    mine = cat.method("govops.ticket.v1.TicketService", "ListMyTickets")
    msg = transcode.build(mine.input, None, query=[("page.page_size", "5"), ("filter.status", "new"),
                                                   ("filter.status", "assigned"), ("filter.unassigned", "true")])
    assert msg.page.page_size == 5 and list(msg.filter.status) == ["new", "assigned"] and msg.filter.unassigned
    with pytest.raises(Problem) as err:
        transcode.build(mine.input, None, query=[("filter.nope", "1")])
    assert err.value.status == 400 and err.value.violations[0]["field"] == "filter.nope"
    with pytest.raises(Problem) as err:
        transcode.build(mine.input, {"page": {"page_size": "many"}})
    assert err.value.status == 400


def test_odd_bodies_are_bad_requests_not_crashes(cat):
    submit = cat.method("govops.ticket.v1.TicketService", "SubmitRequest")
    for body in ({"form": 5}, {"form": [1]}, {"title": {"a": 1}}, {"page": None, "title": 1.5}):
        with pytest.raises(Problem) as err:
            transcode.build(submit.input, body)
        assert err.value.status == 400, body
    with pytest.raises(Problem) as err:
        transcode.parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert err.value.status == 400
    with pytest.raises(Problem):
        transcode.parse_json(b"\xff\xfe")


def test_replies_use_proto_names_and_print_zero_values(cat):
    from govops.ticket.v1 import ticket_pb2

    out = transcode.to_json(ticket_pb2.Ticket(id="x", status=ticket_pb2.TICKET_STATUS_NEW))
    assert out["id"] == "x" and out["status"] == "TICKET_STATUS_NEW"
    assert out["org_unit_id"] == "" and out["rating"] == 0 and out["reopen_count"] == 0


class _Err(grpc.aio.AioRpcError):
    def __init__(self, code, details, trailers=()):
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=details)


def test_grpc_errors_become_problems_with_field_violations():
    bad = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field="form.location", description="is required")])
    detail = Any()
    detail.Pack(bad)
    status = status_pb2.Status(code=3, message="form.location: is required", details=[detail])
    p = problems.from_rpc_error(_Err(grpc.StatusCode.INVALID_ARGUMENT, "form.location: is required",
                                     [("grpc-status-details-bin", status.SerializeToString())]))
    body = p.body()
    assert (body["status"], body["code"], body["title"]) == (400, "INVALID_ARGUMENT", "Bad Request")
    assert body["violations"] == [{"field": "form.location", "description": "is required"}]
    expected = {grpc.StatusCode.UNAUTHENTICATED: 401, grpc.StatusCode.PERMISSION_DENIED: 403,
                grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.ALREADY_EXISTS: 409, grpc.StatusCode.ABORTED: 409,
                grpc.StatusCode.FAILED_PRECONDITION: 409, grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
                grpc.StatusCode.UNAVAILABLE: 503, grpc.StatusCode.DEADLINE_EXCEEDED: 504}
    for code, http in expected.items():
        assert problems.from_rpc_error(_Err(code, "x")).status == http, code
    internal = problems.from_rpc_error(_Err(grpc.StatusCode.INTERNAL, "Traceback (most recent call last): ..."))
    assert internal.status == 502 and "Traceback" not in internal.detail
    assert problems.from_rpc_error(_Err(grpc.StatusCode.RESOURCE_EXHAUSTED, "x")).headers["Retry-After"]


def _messages(cat):
    """Every message type the gateway reads or writes, with the message types inside them."""
    todo = [m.output.DESCRIPTOR for m in cat.methods.values()] + [m.input.DESCRIPTOR for m in cat.methods.values()]
    seen = {}
    while todo:
        desc = todo.pop()
        if desc.full_name in seen:
            continue
        seen[desc.full_name] = desc
        todo += [f.message_type for f in desc.fields if f.message_type is not None]
    return seen


def _fill(message, rnd: random.Random, depth: int = 0) -> None:
    """Random values in a random choice of fields: zero and non-zero, Chinese text, int64 beyond 2^53,
    float edge values, enum numbers the enum does not name, nested and repeated messages, maps."""
    desc = message.DESCRIPTOR
    if desc.full_name == "google.protobuf.Timestamp":
        message.FromSeconds(rnd.choice([rnd.randrange(-62_135_596_800, 253_402_300_799),
                                         rnd.randrange(0, 4_000_000_000), -30_610_224_000, -30_610_224_001,
                                         253_402_300_799]))
        message.nanos = rnd.choice([0, 500_000_000, 123_456_789, 7_000, 999_999_999])
        return
    if desc.full_name == "google.protobuf.Duration":
        message.seconds, message.nanos = rnd.randrange(0, 10_000), rnd.choice([0, 250_000_000])
        return
    if desc.full_name == "google.protobuf.Struct":
        message.update({"名称": "运维", "n": rnd.randrange(100), "ok": True, "list": [1, "二"], "nested": {"k": None}})
        return
    if desc.full_name in ("google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any"):
        return
    for field in desc.fields:
        if field.containing_oneof is not None and rnd.random() < 0.5:
            continue
        if rnd.random() < 0.3:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target = getattr(message, field.name)
            key_field, value_field = (field.message_type.fields_by_name[n] for n in ("key", "value"))
            for _ in range(rnd.randrange(3)):
                key = _scalar_value(key_field, rnd)
                if value_field.message_type is not None:
                    if depth < 3:
                        _fill(target[key], rnd, depth + 1)
                else:
                    target[key] = _scalar_value(value_field, rnd)
        elif field.is_repeated:
            target = getattr(message, field.name)
            for _ in range(rnd.randrange(4)):
                if field.message_type is not None:
                    if depth < 3:
                        _fill(target.add(), rnd, depth + 1)
                else:
                    target.append(_scalar_value(field, rnd))
        elif field.message_type is not None:
            if depth < 3:
                getattr(message, field.name).SetInParent()
                _fill(getattr(message, field.name), rnd, depth + 1)
        else:
            setattr(message, field.name, _scalar_value(field, rnd))


def _scalar_value(field, rnd: random.Random):
    t = field.type
    if t == field.TYPE_STRING:
        return rnd.choice(["", "市数据局", "VPN 故障 #12", "a\"b\\c\n"])
    if t == field.TYPE_BYTES:
        return rnd.choice([b"", b"\x00\xffPDF"])
    if t == field.TYPE_BOOL:
        return rnd.random() < 0.5
    if t == field.TYPE_ENUM:
        return rnd.choice([v.number for v in field.enum_type.values] + [0, 999])
    if t in (field.TYPE_DOUBLE, field.TYPE_FLOAT):
        return rnd.choice([0.0, 1.5, -2.25, 0.1, 1e300 if t == field.TYPE_DOUBLE else 3.4e38, math.inf, -math.inf,
                           math.nan, 99.95])
    if t in (field.TYPE_INT64, field.TYPE_SINT64, field.TYPE_SFIXED64):
        return rnd.choice([0, -1, 2**53 + 1, -(2**63)])
    if t in (field.TYPE_UINT64, field.TYPE_FIXED64):
        return rnd.choice([0, 2**64 - 1])
    if t in (field.TYPE_UINT32, field.TYPE_FIXED32):
        return rnd.choice([0, 2**32 - 1])
    return rnd.choice([0, -7, 2**31 - 1])


def test_replies_print_exactly_as_json_format_does_for_every_message_of_the_catalogue(cat):
    """to_json's compiled per-type plans against the reference printer, on random messages of every
    type the gateway can meet (NaN compared through its JSON text)."""
    rnd = random.Random(20261203)
    classes = {m.output.DESCRIPTOR.full_name: m.output for m in cat.methods.values()}
    classes.update({m.input.DESCRIPTOR.full_name: m.input for m in cat.methods.values()})
    checked = 0
    for name, desc in sorted(_messages(cat).items()):
        cls = classes.get(name) or message_factory.GetMessageClass(desc)
        for _ in range(6):
            message = cls()
            _fill(message, rnd)
            expected = json_format.MessageToDict(message, preserving_proto_field_name=True,
                                                 always_print_fields_with_no_presence=True)
            got = transcode.to_json(message)
            assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True), name
            if isinstance(expected, dict) and name != "google.protobuf.Struct":  # field number order
                numbers = {f.name: f.number for f in desc.fields}
                assert list(got) == sorted(got, key=numbers.__getitem__), f"{name}: key order"
            checked += 1
    assert checked > 6 * 300


def test_two_enums_of_one_message_keep_their_own_names():
    """A message whose field 2 is one enum and whose map's values (field 2 of the map entry) are
    another: each prints its own names (the compiled converter once named both tables by field number)."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    f = descriptor_pb2.FileDescriptorProto(name="transcode_enums_test.proto", package="tct", syntax="proto3")
    enums = (("Colour", ["COLOUR_UNSPECIFIED", "COLOUR_RED"]), ("Shape", ["SHAPE_UNSPECIFIED", "SHAPE_ROUND"]))
    for name, values in enums:
        enum = f.enum_type.add(name=name)
        for number, value in enumerate(values):
            enum.value.add(name=value, number=number)
    msg = f.message_type.add(name="Thing")
    entry = msg.nested_type.add(name="ShapesEntry", options=descriptor_pb2.MessageOptions(map_entry=True))
    entry.field.add(name="key", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                    label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_ENUM, type_name=".tct.Shape",
                    label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    msg.field.add(name="shapes", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
                  type_name=".tct.Thing.ShapesEntry", label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
    msg.field.add(name="colour", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_ENUM, type_name=".tct.Colour",
                  label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    thing = message_factory.GetMessageClass(pool.FindMessageTypeByName("tct.Thing"))(colour=1)
    thing.shapes["a"] = 1
    expected = json_format.MessageToDict(thing, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)
    assert expected == {"colour": "COLOUR_RED", "shapes": {"a": "SHAPE_ROUND"}}
    assert transcode.to_json(thing) == expected
