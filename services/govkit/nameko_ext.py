"""nameko dependency providers shared by every `<svc>-worker`.

* `UnitOfWork` injects a factory of the service's unit of work, bound to one engine per worker
  process, and binds `service`, `correlation_id` and `call_id` to the log context of each worker.
* `OutboxRelayRunner` runs the outbox relay as a managed thread of the container, so it starts
  and stops with the worker process.
* `rpc` is nameko's `@rpc` with the kit's error path (`remote_error`): a DomainError, or a
  database / Redis / broker outage (`errors.Unavailable`), reaches the calling service as the
  kit's typed error with a shortened message (`errors.shorten`), which the caller's own error
  handling — the gRPC interceptor's table, the consumers' retry policy — treats like a local one.
  Importing this module registers the kit's errors with nameko's deserialiser, so an RpcProxy
  in any worker raises them.
"""

from __future__ import annotations

import copy
import dataclasses

from nameko import exceptions as nameko_exceptions
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc as NamekoRpc
from structlog.contextvars import bind_contextvars

from . import config as govconfig
from . import errors, logs
from .db import make_engine
from .relay import OutboxRelay

log = logs.get_logger(__name__)


def worker_settings(container):
    """Environment settings, with the container's AMQP_URI winning (nameko's test helpers set it)."""
    settings = govconfig.load(container.service_name, "worker")
    amqp_uri = (container.config or {}).get("AMQP_URI")
    return dataclasses.replace(settings, amqp_uri=amqp_uri) if amqp_uri else settings


class UnitOfWork(DependencyProvider):
    def __init__(self, uow_class):
        self.uow_class = uow_class
        self.engine = None

    def setup(self):
        self.engine = make_engine(worker_settings(self.container).database_url)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return lambda: self.uow_class(self.engine)

    def worker_setup(self, worker_ctx):
        data = worker_ctx.data or {}
        bind_contextvars(correlation_id=data.get("correlation_id") or worker_ctx.call_id,
                         call_id=worker_ctx.call_id, subject=None)


class OutboxRelayRunner(DependencyProvider):
    def __init__(self, **relay_options):
        self.relay_options = relay_options
        self.relay: OutboxRelay | None = None
        self.engine = None
        self._thread = None

    def setup(self):
        settings = worker_settings(self.container)
        self.engine = make_engine(settings.database_url, pool_size=2)
        options = {"backstop_seconds": settings.relay_backstop_seconds,
                   "batch_size": settings.relay_batch_size, **self.relay_options}
        self.relay = OutboxRelay(self.engine, settings.amqp_uri, settings.service, **options)

    def start(self):
        self._thread = self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")

    def stop(self):
        if self.relay is not None:
            self.relay.stop()
        if self._thread is not None:
            self._thread.wait()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        if self.relay is not None:
            self.relay.stop()

    def get_dependency(self, worker_ctx):
        return self.relay


# ---- nameko RPC: the error path ---------------------------------------------------------------
# The kit's errors that cross RPC as themselves; a service's own subclass travels as its kit base.
REMOTE_ERRORS: tuple[type[errors.DomainError], ...] = (
    errors.InvalidArgument, errors.NotFound, errors.AlreadyExists, errors.FailedPrecondition,
    errors.PermissionDenied, errors.Unauthenticated, errors.DeadlineExceeded, errors.Unavailable,
    errors.DomainError)


def remote_error(exc_info):
    """The exc_info an `@rpc` replies with instead of `exc_info`: the kit's error class (args: the
    shortened message, and for InvalidArgument the (field, reason) pairs), `errors.Unavailable` for
    a transient failure, or the error itself with a shortened message."""
    exc = exc_info[1]
    wire: BaseException
    if isinstance(exc, errors.DomainError):
        cls = next(c for c in type(exc).__mro__ if c in REMOTE_ERRORS)
        wire = Exception.__new__(cls)
        violations = [[errors.shorten(v.field, 256), errors.shorten(v.reason, 256)]
                      for v in getattr(exc, "violations", ())]
        wire.args = (errors.shorten(exc.message), violations) if violations else (errors.shorten(exc.message),)
    elif errors.is_transient(exc):
        log.warning("rpc_dependency_unavailable", error=repr(exc)[:300])
        wire = errors.Unavailable(errors.shorten(
            f"a backing service is unavailable; retry later (correlation id {logs.current('correlation_id')}): "
            f"{type(exc).__name__}"))
    else:
        try:
            wire = copy.copy(exc)
            wire.args = (errors.shorten(str(exc)),)
        except Exception:  # an exception that does not copy: its name and short text suffice
            wire = RuntimeError(errors.shorten(f"{type(exc).__name__}: {exc}"))
    return type(wire), wire, exc_info[2]


def _rebuild(cls: type[errors.DomainError], message: str = "", violations=(), *_ignored):
    """The caller's side of `remote_error` (nameko's deserialiser calls it with the error's args)."""
    if issubclass(cls, errors.InvalidArgument):
        return cls([errors.FieldViolation(f, r) for f, r in violations or ()], message or None)
    return cls(message)


def register_remote_errors() -> None:
    for cls in REMOTE_ERRORS:
        nameko_exceptions.registry[nameko_exceptions.get_module_path(cls)] = \
            lambda *args, _cls=cls: _rebuild(_cls, *args)


register_remote_errors()


class Rpc(NamekoRpc):
    """nameko's RPC entrypoint, replying with `remote_error` when the method raised."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None:
            exc_info = remote_error(exc_info)
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = Rpc.decorator
