"""RFC 9457 problem details: every error the gateway answers, and the one table from gRPC status
codes to HTTP statuses. A problem never carries a stack trace; the field violations of a
google.rpc.BadRequest travel as `violations`."""

from __future__ import annotations

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
    499: "Client Closed Request", 500: "Internal Server Error", 501: "Not Implemented",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


class Problem(Exception):
    """An error answered as application/problem+json."""

    def __init__(self, status: int, detail: str, *, code: str | None = None,
                 violations: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.violations = violations or []
        self.headers = headers or {}

    def body(self) -> dict:
        slug = (self.code or TITLES.get(self.status, "error")).lower().replace(" ", "-").replace("_", "-")
        out = {"type": f"/api/problems/{slug}", "title": TITLES.get(self.status, "Error"),
               "status": self.status, "detail": self.detail}
        if self.code:
            out["code"] = self.code
        if self.violations:
            out["violations"] = self.violations
        return out

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, media_type=MEDIA_TYPE, headers=self.headers)


def violations_of(trailing_metadata) -> list[dict]:
    """The field violations in the grpc-status-details-bin trailer (a google.rpc.Status)."""
    out: list[dict] = []
    for key, value in trailing_metadata or ():
        if key != "grpc-status-details-bin":
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            continue
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                out.extend({"field": v.field, "description": v.description} for v in bad.field_violations)
    return out


def from_rpc_error(err: grpc.aio.AioRpcError) -> Problem:
    code = err.code()
    status = HTTP_STATUS.get(code, 502)
    headers = {"Retry-After": "1"} if code == grpc.StatusCode.RESOURCE_EXHAUSTED else None
    detail = err.details() or code.name
    if code == grpc.StatusCode.UNKNOWN or code == grpc.StatusCode.INTERNAL:
        detail = "the service failed to answer"  # never relay a server-side trace
    return Problem(status, detail, code=code.name, violations=violations_of(err.trailing_metadata()),
                   headers=headers)
