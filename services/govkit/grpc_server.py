"""gRPC server bootstrap shared by every `<svc>-grpc` process.

One interceptor does, for every call: correlation id, structured logging, token check, the
method's declared permission, request parsing (invalid UTF-8, a NUL character in
any string, an out-of-range Timestamp become INVALID_ARGUMENT naming the field, not INTERNAL) and
the one table that maps domain errors to gRPC status codes.
Health and reflection are always on; SIGTERM drains in-flight calls, then stops.
"""

from __future__ import annotations

import contextvars
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from prometheus_client import Counter, Histogram

from . import deadline, errors, logs
from .auth import Principal, TokenVerifier
from .protogen import DESCRIPTOR_SET_NAME

log = logs.get_logger(__name__)

# The one table: domain error → gRPC status code.
ERROR_TABLE: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}

# A method whose declared permission is PUBLIC needs no token (login, public keys).
PUBLIC = "public"

# Calls that need no token: probes and API discovery.
PUBLIC_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
                   "grpc.reflection.v1.ServerReflection")

CALLS = Counter("govops_grpc_calls_total", "gRPC calls by method and status code", ["method", "code"])
LATENCY = Histogram("govops_grpc_call_seconds", "gRPC call latency", ["method"],
                    buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def principal() -> Principal:
    """The authenticated caller of the current gRPC call."""
    p = _principal.get()
    if p is None:
        raise errors.Unauthenticated("no authenticated caller")
    return p


class _Status(grpc.Status):
    def __init__(self, code, details, trailing_metadata):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str, details: list | None = None):
        self.code, self.message, self.details = code, message, details or []


def _to_status(code: grpc.StatusCode, message: str, details: list) -> status_pb2.Status:
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message)
    for detail in details:
        status.details.add().Pack(detail)
    return status


# Error messages echo inputs: shortened in one place, govkit.errors.shorten (gRPC and nameko RPC alike).
ECHO_MAX, MESSAGE_MAX_BYTES, shorten = errors.ECHO_MAX, errors.MESSAGE_MAX_BYTES, errors.shorten


def _map_error(exc: BaseException) -> _Abort:
    if isinstance(exc, _Abort):
        return exc
    for cls in type(exc).__mro__:
        code = ERROR_TABLE.get(cls)
        if code is not None:
            details = []
            domain = cast(errors.DomainError, exc)
            if domain.violations:  # any domain error may name its field(s)
                details.append(error_details_pb2.BadRequest(field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=shorten(v.field, 256),
                                                                description=shorten(v.reason, 256))
                    for v in domain.violations]))
            return _Abort(code, shorten(domain.message), details)
    raise exc


# google.protobuf.Timestamp's documented range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
TIMESTAMP_MIN_SECONDS = -62135596800
TIMESTAMP_MAX_SECONDS = 253402300799


def request_violations(msg: Any, prefix: str = "") -> list[errors.FieldViolation]:
    """What no service accepts anywhere in a request, whatever the field: a NUL character in a
    string (PostgreSQL text cannot hold it) and a Timestamp outside its documented range. Walks
    nested messages, repeated fields and maps; each violation names the field path."""
    out: list[errors.FieldViolation] = []
    _walk(msg, prefix, out)
    return out


def _check_string(value: str, name: str, out: list[errors.FieldViolation]) -> None:
    if "\x00" in value:
        out.append(errors.FieldViolation(name, "must not contain a NUL character"))


def _walk(msg: Any, prefix: str, out: list[errors.FieldViolation]) -> None:
    if msg.DESCRIPTOR.full_name == "google.protobuf.Timestamp":
        if not (TIMESTAMP_MIN_SECONDS <= msg.seconds <= TIMESTAMP_MAX_SECONDS
                and 0 <= msg.nanos <= 999_999_999):
            out.append(errors.FieldViolation(prefix.rstrip(".") or "request",
                                             "must be a timestamp between 0001-01-01 and 9999-12-31"))
        return
    for fd, value in msg.ListFields():
        name = f"{prefix}{fd.name}"
        if fd.type == FieldDescriptor.TYPE_STRING:
            if fd.is_repeated:
                for i, item in enumerate(value):
                    _check_string(item, f"{name}[{i}]", out)
            else:
                _check_string(value, name, out)
        elif fd.type == FieldDescriptor.TYPE_MESSAGE:
            if fd.message_type.GetOptions().map_entry:
                value_fd = fd.message_type.fields_by_name["value"]
                for key, item in value.items():
                    key_text = str(key)
                    if "\x00" in key_text:
                        out.append(errors.FieldViolation(name, "must not have a key with a NUL character"))
                        continue
                    entry = f"{name}[{shorten(key_text, ECHO_MAX)}]"
                    if value_fd.type == FieldDescriptor.TYPE_MESSAGE:
                        _walk(item, entry + ".", out)
                    elif value_fd.type == FieldDescriptor.TYPE_STRING:
                        _check_string(item, entry, out)
            elif fd.is_repeated:
                for i, item in enumerate(value):
                    _walk(item, f"{name}[{i}].", out)
            else:
                _walk(value, name + ".", out)


def find_invalid_utf8(descriptor, data: bytes, prefix: str = "") -> str | None:
    """Walk the wire format to name the string field that holds invalid UTF-8."""
    from google.protobuf.descriptor import FieldDescriptor as FD
    from google.protobuf.internal.decoder import _DecodeVarint  # type: ignore[attr-defined]

    pos, end = 0, len(data)
    try:
        while pos < end:
            tag, pos = _DecodeVarint(data, pos)
            number, wire_type = tag >> 3, tag & 7
            if wire_type == 0:
                _, pos = _DecodeVarint(data, pos)
            elif wire_type == 1:
                pos += 8
            elif wire_type == 5:
                pos += 4
            elif wire_type == 2:
                length, pos = _DecodeVarint(data, pos)
                chunk, pos = data[pos:pos + length], pos + length
                fd = descriptor.fields_by_number.get(number)
                if fd is None:
                    continue
                name = f"{prefix}{fd.name}"
                if fd.type == FD.TYPE_STRING:
                    try:
                        chunk.decode("utf-8")
                    except UnicodeDecodeError:
                        return name
                elif fd.type == FD.TYPE_MESSAGE:
                    found = find_invalid_utf8(fd.message_type, chunk, name + ".")
                    if found:
                        return found
            else:
                return None
    except Exception:  # malformed beyond what we can name: the caller reports the message
        return None
    return None


@dataclass
class GrpcApp:
    """What a service hands to the bootstrap."""

    service: str
    registrations: list[tuple[Callable[[Any, grpc.Server], None], Any]]
    service_names: list[str]
    permissions: dict[str, str]  # full method name → permission; every method must be listed
    on_stop: list[Callable[[], None]] = field(default_factory=list)


class GovopsInterceptor(grpc.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier, permissions: dict[str, str]):
        self.verifier = verifier
        self.permissions = permissions

    def intercept_service(self, continuation, details):
        handler = continuation(details)
        method = details.method
        if handler is None or method.lstrip("/").split("/")[0] in PUBLIC_SERVICES:
            return handler
        if handler.request_streaming:
            raise NotImplementedError("client streaming is not used by GovOps APIs")
        deserialize = handler.request_deserializer
        metadata = dict(details.invocation_metadata or ())
        short = method.rsplit("/", 1)[-1]

        def prologue(raw: bytes, context) -> Any:
            context.set_trailing_metadata((("x-correlation-id", logs.current("correlation_id") or ""),))
            if self.permissions.get(method) == PUBLIC:
                return parse(raw)
            auth = metadata.get("authorization", "")
            if not auth.lower().startswith("bearer "):
                raise errors.Unauthenticated("missing bearer token in `authorization` metadata")
            caller = self.verifier.verify(auth[7:].strip())
            permission = self.permissions.get(method)
            if permission is None:
                # Fail closed: a method nobody declared a permission for is not callable.
                raise errors.PermissionDenied(f"{method} declares no permission")
            caller.require(permission)
            _principal.set(caller)
            logs.bind(subject=caller.subject)
            return parse(raw)

        def parse(raw: bytes) -> Any:
            if not deserialize:
                return raw
            try:
                request = deserialize(raw)
            except DecodeError:
                field_name = find_invalid_utf8(_request_descriptor(deserialize), raw)
                if field_name:
                    raise errors.InvalidArgument(field=field_name, reason="is not valid UTF-8") from None
                raise errors.InvalidArgument(field="request", reason="could not be parsed") from None
            violations = request_violations(request)
            if violations:
                raise errors.InvalidArgument(violations)
            return request

        def finish(context, started: float, code: grpc.StatusCode, exc: _Abort | None) -> None:
            CALLS.labels(short, code.name).inc()
            LATENCY.labels(short).observe(time.perf_counter() - started)
            log.info("grpc_call", method=method, code=code.name,
                     ms=round((time.perf_counter() - started) * 1000, 2),
                     **({"error": exc.message} if exc else {}))
            if exc is not None:
                status = rpc_status.to_status(_to_status(exc.code, exc.message, exc.details))
                # abort_with_status replaces the trailing metadata: keep the correlation id in it.
                context.abort_with_status(_Status(status.code, status.details, (
                    *status.trailing_metadata, ("x-correlation-id", logs.current("correlation_id") or ""))))

        def unexpected(exc: Exception) -> _Abort:
            if deadline.expired():
                # e.g. PostgreSQL cancelled the statement at the statement_timeout the UoW set.
                log.info("grpc_deadline_exceeded", method=method, error=repr(exc)[:300])
                return _Abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                              "the caller's deadline passed before the work was done; nothing was saved")
            if errors.is_transient(exc):
                # The database, Redis or broker is unreachable: the caller may retry.
                log.warning("grpc_dependency_unavailable", method=method, error=repr(exc)[:300])
                return _Abort(grpc.StatusCode.UNAVAILABLE,
                              "a backing service is unavailable; retry later "
                              f"(correlation id {logs.current('correlation_id')})")
            log.exception("grpc_unexpected_error", method=method)
            return _Abort(grpc.StatusCode.INTERNAL,
                          f"internal error; quote correlation id {logs.current('correlation_id')}")

        if handler.response_streaming:
            inner_stream = handler.unary_stream

            def stream_behaviour(raw, context):
                started = time.perf_counter()
                with logs.call_context(metadata.get("x-correlation-id")):
                    budget = deadline.set_remaining(context.time_remaining())
                    try:
                        request = prologue(raw, context)
                        yield from inner_stream(request, context)
                    except Exception as exc:
                        try:
                            abort = _map_error(exc)
                        except Exception as bug:
                            abort = unexpected(bug)
                        finish(context, started, abort.code, abort)
                    else:
                        finish(context, started, grpc.StatusCode.OK, None)
                    finally:
                        _principal.set(None)
                        deadline.reset(budget)

            return grpc.unary_stream_rpc_method_handler(
                stream_behaviour, request_deserializer=None,
                response_serializer=handler.response_serializer)

        inner = handler.unary_unary

        def unary_behaviour(raw, context):
            started = time.perf_counter()
            with logs.call_context(metadata.get("x-correlation-id")):
                budget = deadline.set_remaining(context.time_remaining())
                try:
                    request = prologue(raw, context)
                    response = inner(request, context)
                except Exception as exc:
                    try:
                        abort = _map_error(exc)
                    except Exception as bug:
                        abort = unexpected(bug)
                    finish(context, started, abort.code, abort)
                    return None  # abort_with_status raised already; unreachable
                else:
                    finish(context, started, grpc.StatusCode.OK, None)
                    return response
                finally:
                    _principal.set(None)
                    deadline.reset(budget)

        return grpc.unary_unary_rpc_method_handler(
            unary_behaviour, request_deserializer=None, response_serializer=handler.response_serializer)


def _request_descriptor(deserialize):
    # Generated stubs pass `Message.FromString`; its __self__ is the message class.
    owner = getattr(deserialize, "__self__", None)
    return owner.DESCRIPTOR


class CommentedReflection(reflection.ReflectionServicer):
    """grpcio-reflection's servicer, except that files are served as written by protoc with source
    info (govops/descriptor_set.binpb, from `make proto`), so clients see the proto comments:
    grpcio-reflection re-serialises descriptors with CopyToProto, which drops them. Lookups still
    go through a descriptor pool built from the same set (plus health and reflection from the
    default pool). Without the set (an old generation) it serves the default pool, no comments."""

    def __init__(self, service_names: Iterable[str]):
        self._sources: dict[str, bytes] = {}
        pool = descriptor_pool.Default()
        try:
            data = (resources.files("govops") / DESCRIPTOR_SET_NAME).read_bytes()
        except (FileNotFoundError, ModuleNotFoundError):
            log.warning("reflection_without_comments", missing=DESCRIPTOR_SET_NAME)
        else:
            files = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(data).file}
            self._sources = {name: f.SerializeToString() for name, f in files.items()}
            pool = _pool_from(files)
        super().__init__(service_names, pool=pool)

    def _respond(self, descriptor, request):
        seen: dict[str, Any] = {}
        pending = [descriptor]
        while pending:
            d = pending.pop()
            if d.name not in seen:
                seen[d.name] = d
                pending.extend(d.dependencies)
        blobs = []
        for name, d in seen.items():
            blob = self._sources.get(name)
            if blob is None:
                proto = descriptor_pb2.FileDescriptorProto()
                d.CopyToProto(proto)
                blob = proto.SerializeToString()
            blobs.append(blob)
        return reflection_pb2.ServerReflectionResponse(
            file_descriptor_response=reflection_pb2.FileDescriptorResponse(file_descriptor_proto=blobs),
            original_request=request)

    def _file_by_filename(self, request, filename):
        try:
            return self._respond(self._pool.FindFileByName(filename), request)
        except KeyError:
            return super()._file_by_filename(request, filename)

    def _file_containing_symbol(self, request, fully_qualified_name):
        try:
            return self._respond(self._pool.FindFileContainingSymbol(fully_qualified_name), request)
        except KeyError:
            return super()._file_containing_symbol(request, fully_qualified_name)


def _pool_from(files: dict[str, descriptor_pb2.FileDescriptorProto]) -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(name: str) -> None:
        if name in added:
            return
        added.add(name)
        proto = files.get(name)
        if proto is None:
            proto = descriptor_pb2.FileDescriptorProto()
            descriptor_pool.Default().FindFileByName(name).CopyToProto(proto)
        for dep in proto.dependency:
            add(dep)
        pool.Add(proto)

    for name in files:
        add(name)
    for service in (health.SERVICE_NAME, reflection.SERVICE_NAME):
        add(descriptor_pool.Default().FindServiceByName(service).file.name)
    return pool


def build_server(app: GrpcApp, verifier: TokenVerifier, *, max_workers: int = 16,
                 address: str = "[::]:0") -> tuple[grpc.Server, int, health.HealthServicer]:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{app.service}-grpc"),
        interceptors=[GovopsInterceptor(verifier, app.permissions)],
        # 12 MiB: a 10 MB attachment plus its envelope fits; so_reuseport: several gRPC processes of
        # one service may share a port, which is how one service gets past a single process's GIL on
        # one host.
        options=[("grpc.so_reuseport", 1), ("grpc.max_receive_message_length", 12 * 1024 * 1024)],
    )
    for add, servicer in app.registrations:
        add(servicer, server)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in [""] + app.service_names:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
        CommentedReflection(app.service_names + [health.SERVICE_NAME, reflection.SERVICE_NAME]), server)
    port = server.add_insecure_port(address)
    return server, port, health_servicer


def serve_forever(app: GrpcApp, verifier: TokenVerifier, port: int, *, max_workers: int = 16,
                  grace_seconds: float = 10.0) -> None:
    server, bound, health_servicer = build_server(app, verifier, max_workers=max_workers,
                                                  address=f"[::]:{port}")
    server.start()
    log.info("grpc_server_started", port=bound, services=app.service_names)
    stopped = threading.Event()

    def on_signal(signum, _frame):
        if stopped.is_set():
            return
        stopped.set()
        log.info("grpc_server_draining", signal=signal.Signals(signum).name, grace_seconds=grace_seconds)
        health_servicer.enter_graceful_shutdown()
        server.stop(grace_seconds)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.wait_for_termination()
    for callback in app.on_stop:
        callback()
    log.info("grpc_server_stopped")


def permissions_for(service_descriptor, table: dict[str, str]) -> dict[str, str]:
    """Expand {"CreateTicket": "ticket.create"} to full method names, refusing gaps both ways."""
    full = {}
    names = {m.name for m in service_descriptor.methods}
    missing = names - table.keys()
    extra = table.keys() - names
    if missing or extra:
        raise RuntimeError(f"{service_descriptor.full_name}: permissions missing for {sorted(missing)}, "
                           f"unknown methods {sorted(extra)}")
    for m in service_descriptor.methods:
        full[f"/{service_descriptor.full_name}/{m.name}"] = table[m.name]
    return full


def iter_bad_request(err: grpc.RpcError) -> Iterable[tuple[str, str]]:
    """Client side: the (field, reason) pairs of a google.rpc.BadRequest detail."""
    status = rpc_status.from_call(err)
    if status is None:
        return
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            br = error_details_pb2.BadRequest()
            detail.Unpack(br)
            for v in br.field_violations:
                yield v.field, v.description
