"""Unit level: what a nameko RPC error becomes on the wire and at the caller. A DomainError, or a
database / Redis / broker outage, raised inside an `@rpc` (govkit.nameko_ext.rpc) reaches the
calling service as the kit's typed error with a shortened message, which the gRPC edge maps to
its status (UNAVAILABLE for an outage) — not a RemoteError that becomes INTERNAL."""

from __future__ import annotations

import sys

import grpc
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError, deserialize, serialize

from govkit import errors
from govkit.grpc_server import MESSAGE_MAX_BYTES, _map_error
from govkit.nameko_ext import remote_error


def _through_the_wire(exc: BaseException) -> BaseException:
    """What the caller's RpcProxy raises for `exc` raised in the called worker."""
    try:
        raise exc
    except BaseException:
        wire = remote_error(sys.exc_info())[1]
    return deserialize(serialize(wire))


@pytest.mark.parametrize("exc, cls, code", [
    (errors.NotFound("ticket " + "x" * 16_000 + " not found"), errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.PermissionDenied("no"), errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.FailedPrecondition("closed"), errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.AlreadyExists("dup"), errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.DeadlineExceeded("late"), errors.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection " + "y" * 5000)),
     errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
], ids=["not-found", "permission", "precondition", "exists", "deadline", "database-outage"])
def test_an_rpc_error_reaches_the_caller_typed_and_short_and_maps_to_its_grpc_status(exc, cls, code):
    got = _through_the_wire(exc)
    assert type(got) is cls, got
    assert len(got.message.encode()) <= MESSAGE_MAX_BYTES
    assert _map_error(got).code == code
    assert errors.is_transient(got) == (cls is errors.Unavailable)


def test_invalid_argument_keeps_its_field_violations():
    exc = errors.InvalidArgument([errors.FieldViolation("title", "must not be empty"),
                                  errors.FieldViolation("org_unit_id", "unknown unit " + "z" * 9000)])
    got = _through_the_wire(exc)
    assert type(got) is errors.InvalidArgument
    assert [v.field for v in got.violations] == ["title", "org_unit_id"]
    assert got.violations[0].reason == "must not be empty" and len(got.violations[1].reason) < 200
    assert _map_error(got).code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_subclass_of_a_kit_error_arrives_as_the_kit_error():
    class TicketGone(errors.NotFound):
        pass

    assert type(_through_the_wire(TicketGone("gone"))) is errors.NotFound


def test_a_bug_stays_internal_with_a_short_message():
    got = _through_the_wire(KeyError("k" * 20_000))
    assert isinstance(got, RemoteError) and len(str(got).encode()) <= MESSAGE_MAX_BYTES + 100
    with pytest.raises(RemoteError):
        _map_error(got)  # the interceptor answers INTERNAL for what it cannot map


def test_every_rpc_of_every_worker_takes_the_kit_error_path():
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.rpc import Rpc as NamekoRpc

    from govkit import service
    from govkit.nameko_ext import Rpc

    found, bare = 0, []
    for name in service.names():
        worker = service.get(name).load("worker")
        for attr in dir(worker):
            for ext in getattr(getattr(worker, attr), ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(ext, NamekoRpc):
                    found += 1
                    if not isinstance(ext, Rpc):
                        bare.append(f"{name}.{attr}")
    assert found and not bare, f"nameko's bare @rpc (use govkit.nameko_ext.rpc): {bare}"
