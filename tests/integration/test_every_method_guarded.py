"""Every gRPC method of every service refuses a call without a valid token (except the few
declared PUBLIC), and refuses a valid token that lacks the method's permission."""

from __future__ import annotations

import importlib

import grpc
import pytest

from govkit.client import channel
from govkit.grpc_server import PUBLIC
from govkit.service import names

SERVICES = names()


def _methods():
    for svc in SERVICES:
        pb = importlib.import_module(f"govops.{svc}.v1.{svc}_pb2")
        api = importlib.import_module(f"{svc}.grpc_api")
        for service in pb.DESCRIPTOR.services_by_name.values():
            declared = api.PERMISSIONS.get(service.name)
            table = declared if isinstance(declared, dict) else api.PERMISSIONS
            for m in service.methods:
                yield svc, f"/{service.full_name}/{m.name}", m.server_streaming, table[m.name]


@pytest.fixture
def targets(grpc_server, engine_for):
    for svc in SERVICES:
        engine_for(svc)
    return grpc_server(*SERVICES)


def _call(target, method, streaming, token):
    ch = channel(target, token)
    if streaming:
        return list(ch.unary_stream(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)(
            b"", timeout=5))
    return ch.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)(b"", timeout=5)


def test_no_token_no_call(targets, signer):
    methods = list(_methods())
    assert len(methods) > 40
    wrong = signer.mint("nobody", perms=["nothing.at_all"], scopes=[{"unit": "*"}])
    for svc, method, streaming, permission in methods:
        if permission == PUBLIC:
            continue
        for token, expected in ((None, grpc.StatusCode.UNAUTHENTICATED), ("garbage", grpc.StatusCode.UNAUTHENTICATED),
                                (wrong, grpc.StatusCode.PERMISSION_DENIED)):
            with pytest.raises(grpc.RpcError) as err:
                _call(targets[svc], method, streaming, token)
            assert err.value.code() == expected, (method, token)
