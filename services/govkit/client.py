"""Client side of the gRPC APIs for the CLI, tests and benchmarks: a channel that sends the
bearer token and a correlation id with every call."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc


class _Metadata(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, token: str | None):
        self.token = token

    def _details(self, details):
        metadata = list(details.metadata or [])
        keys = {k for k, _ in metadata}
        if self.token and "authorization" not in keys:
            metadata.append(("authorization", f"Bearer {self.token}"))
        if "x-correlation-id" not in keys:
            metadata.append(("x-correlation-id", uuid.uuid4().hex))
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else _Details(
            details.method, details.timeout, metadata, details.credentials,
            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)


class _Details(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method, self.timeout, self.metadata = method, timeout, metadata
        self.credentials, self.wait_for_ready, self.compression = credentials, wait_for_ready, compression


def channel(target: str, token: str | None) -> grpc.Channel:
    return grpc.intercept_channel(grpc.insecure_channel(target), _Metadata(token))


def all_pages(call: Callable[..., Any], request: Any, field: str, **kwargs: Any) -> list[Any]:
    """Every item of a paged list method (a request with `page: govops.common.v1.PageRequest`, a
    response with `page: PageResponse`): calls `call(request, **kwargs)` with each
    next_page_token until the last page and returns the items of the response's `field`."""
    request = type(request).FromString(request.SerializeToString())  # the caller's stays unchanged
    items: list[Any] = []
    while True:
        reply = call(request, **kwargs)
        items.extend(getattr(reply, field))
        token = reply.page.next_page_token
        if not token:
            return items
        request.page.page_token = token


def org_public_keys(target: str, timeout: float = 3.0) -> bytes:
    """The PEM public keys org currently publishes (IdentityService/GetPublicKeys, no token)."""
    from govops.org.v1 import org_pb2, org_pb2_grpc

    with grpc.insecure_channel(target) as ch:
        reply = org_pb2_grpc.IdentityServiceStub(ch).GetPublicKeys(org_pb2.GetPublicKeysRequest(), timeout=timeout)
    return "".join(k.pem for k in reply.keys).encode()
