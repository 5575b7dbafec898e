"""The shared kit's pure parts: envelope, tokens, UTF-8 field finder, permission tables."""

from __future__ import annotations

import time
from datetime import UTC

import pytest

from govkit.auth import TokenSigner, TokenVerifier, generate_keypair
from govkit.errors import Unauthenticated
from govkit.events import Envelope
from govkit.grpc_server import PUBLIC, find_invalid_utf8, permissions_for
from ticket.domain.events import TicketCreated


def _keys(tmp_path, name):
    generate_keypair(tmp_path / f"{name}.key", tmp_path / f"{name}.pub")
    signer = TokenSigner.from_file(tmp_path / f"{name}.key", issuer="govops-org", audience="govops")
    return signer, (tmp_path / f"{name}.pub").read_bytes()


def test_envelope_uses_cloudevents_names_and_round_trips(tmp_path):
    from datetime import datetime

    event = TicketCreated(
        ticket_id="t1", number="INC-2026-000001", ticket_type="incident", org_unit_id="fgw",
        catalogue_item_id=None, category="application", priority="high", status="new", group_id=None,
        assignee=None, vendor_id=None, requester="u1", occurred_at="2026-11-25T00:00:00+00:00", title="标题",
        created_at=datetime(2026, 11, 25, tzinfo=UTC), channel="api", response_due_at=None,
        resolution_due_at=None)
    env = Envelope.wrap(event, "corr-1")
    raw = env.to_dict()
    assert {"id", "source", "type", "time", "subject", "orgunitid", "correlationid", "data",
            "specversion", "datacontenttype"} <= raw.keys()
    assert raw["specversion"] == "1.0" and raw["source"] == "ticket"
    assert raw["type"] == "govops.ticket.ticket_created.v1" and env.name == "ticket_created"
    assert raw["data"]["created_at"] == "2026-11-25T00:00:00+00:00"
    assert Envelope.from_dict(raw) == env
    with pytest.raises(ValueError):
        Envelope.from_dict({"id": "x"})


def test_tokens_verify_and_carry_scope(tmp_path):
    signer, pub = _keys(tmp_path, "a")
    verifier = TokenVerifier(pub, issuer="govops-org", audience="govops")
    p = verifier.verify(signer.mint("张三", perms=["ticket.create"], scopes=[{"unit": "fgw"}]))
    assert p.subject == "张三" and p.has("ticket.create") and not p.has("ticket.read")
    assert p.scope.allows("fgw") and not p.scope.allows("czj")


def test_expired_tampered_and_foreign_tokens_are_refused(tmp_path):
    signer, pub = _keys(tmp_path, "a")
    other, _ = _keys(tmp_path, "b")
    verifier = TokenVerifier(pub, issuer="govops-org", audience="govops", leeway=0)
    expired = signer.mint("u", ttl_seconds=-10)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(expired)
    good = signer.mint("u")
    head, body, sig = good.split(".")
    tampered = ".".join([head, body[:-2] + ("AA" if body[-2:] != "AA" else "BB"), sig])
    with pytest.raises(Unauthenticated):
        verifier.verify(tampered)
    with pytest.raises(Unauthenticated, match="unknown key"):
        verifier.verify(other.mint("u"))


def test_key_rotation_accepts_old_and_new_keys(tmp_path):
    old, old_pub = _keys(tmp_path, "old")
    new, new_pub = _keys(tmp_path, "new")
    verifier = TokenVerifier(old_pub + new_pub, issuer="govops-org", audience="govops")
    assert verifier.verify(old.mint("u")).subject == "u"
    assert verifier.verify(new.mint("v")).subject == "v"


def test_invalid_utf8_is_traced_to_its_field():
    from govops.ticket.v1 import ticket_pb2 as pb

    good = pb.CreateTicketRequest(title="好", description="ok", org_unit_id="fgw").SerializeToString()
    bad = good.replace("好".encode(), b"\xff\xfe\xfd")
    assert find_invalid_utf8(pb.CreateTicketRequest.DESCRIPTOR, good) is None
    assert find_invalid_utf8(pb.CreateTicketRequest.DESCRIPTOR, bad) == "title"


def test_every_method_of_every_service_declares_a_permission():
    import importlib

    from govkit.service import names

    for svc in names():
        module = importlib.import_module(f"{svc}.grpc_api")
        pb = importlib.import_module(f"govops.{svc}.v1.{svc}_pb2")
        for service in pb.DESCRIPTOR.services_by_name.values():
            # A module serving several gRPC services keys its tables by service name.
            declared = module.PERMISSIONS.get(service.name)
            table = permissions_for(service, declared if isinstance(declared, dict) else module.PERMISSIONS)
            assert len(table) == len(service.methods)
            assert all(perm.startswith(f"{svc}.") or perm == PUBLIC for perm in table.values())


def test_a_missing_permission_declaration_is_refused_at_start():
    from govops.ticket.v1 import ticket_pb2 as pb

    with pytest.raises(RuntimeError, match="GetTicket"):
        permissions_for(pb.DESCRIPTOR.services_by_name["TicketService"], {"CreateTicket": "ticket.create"})


def test_a_rotated_key_is_fetched_from_org_once_and_cached(tmp_path):
    old, old_pub = _keys(tmp_path, "old")
    new, new_pub = _keys(tmp_path, "new")
    fetched = []

    def source():
        fetched.append(1)
        return old_pub + new_pub

    verifier = TokenVerifier(old_pub, issuer="govops-org", audience="govops", key_source=source,
                             refetch_seconds=3600)
    token = new.mint("v")
    assert verifier.verify(token).subject == "v" and verifier.verify(token).subject == "v"
    assert len(fetched) == 1
    with pytest.raises(Unauthenticated, match="unknown key"):  # a foreign key: no refetch storm
        verifier.verify(_keys(tmp_path, "foreign")[0].mint("x"))
    assert len(fetched) == 1


def test_a_cached_token_still_expires(tmp_path):
    signer, pub = _keys(tmp_path, "a")
    verifier = TokenVerifier(pub, issuer="govops-org", audience="govops", leeway=0)
    token = signer.mint("u", ttl_seconds=1)
    assert verifier.verify(token).subject == "u"
    time.sleep(1.1)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token)


def test_publisher_counts_out_of_order_and_multiple_confirms():
    from govkit.relay import ConfirmingPublisher

    p = ConfirmingPublisher("amqp://unused", "ticket.events")
    p._unconfirmed = {1, 2, 3, 4, 5}
    p._on_ack(3, False)
    assert p._unconfirmed == {1, 2, 4, 5}
    p._on_ack(4, True)
    assert p._unconfirmed == {5}
    p._on_nack(9, False)  # not ours (an earlier, abandoned batch): ignored
    assert not p._nacked
    p._on_nack(5, False)
    assert p._nacked and p._unconfirmed == set()


def test_request_violations_walk_nested_repeated_and_map_fields():
    from google.protobuf import struct_pb2
    from google.protobuf.timestamp_pb2 import Timestamp

    from govkit.grpc_server import request_violations

    s = struct_pb2.Struct()
    s.fields["ok"].string_value = "fine"
    s.fields["bad"].string_value = "a\x00b"
    s.fields["list"].list_value.values.add().string_value = "\x00"
    s.fields["nested"].struct_value.fields["\x00key"].string_value = "x"
    found = {v.field for v in request_violations(s)}
    assert found == {"fields[bad].string_value", "fields[list].list_value.values[0].string_value",
                     "fields[nested].struct_value.fields"}
    assert request_violations(Timestamp(seconds=253402300799, nanos=999_999_999)) == []
    assert request_violations(Timestamp(seconds=-62135596800)) == []
    for seconds, nanos in ((253402300800, 0), (-62135596801, 0), (0, 10**9), (0, -1)):
        assert [v.field for v in request_violations(Timestamp(seconds=seconds, nanos=nanos))] == ["request"]


def test_error_messages_are_shortened_in_one_place():
    from govkit.errors import InvalidArgument, NotFound
    from govkit.grpc_server import ECHO_MAX, MESSAGE_MAX_BYTES, _map_error, shorten

    abort = _map_error(NotFound(f"ticket {'x' * 16384} not found"))
    assert abort.message == f"ticket {'x' * ECHO_MAX}… not found"
    assert len(shorten("长 " * 2000).encode()) <= MESSAGE_MAX_BYTES
    assert shorten("short message: kept as is") == "short message: kept as is"
    abort = _map_error(InvalidArgument(field="id", reason=f"unknown id {'y' * 500}"))
    violation = abort.details[0].field_violations[0]
    assert violation.field == "id" and len(violation.description) < 100
