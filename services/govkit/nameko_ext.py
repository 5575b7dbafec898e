"""nameko dependency providers shared by every `<svc>-worker`.

* `UnitOfWork` injects a factory of the service's unit of work, bound to one engine per worker
  process, and binds `service`, `correlation_id` and `call_id` to the log context of each worker.
* `OutboxRelayRunner` runs the outbox relay as a managed thread of the container, so it starts
  and stops with the worker process.
"""

from __future__ import annotations

import dataclasses

from nameko.extensions import DependencyProvider
from structlog.contextvars import bind_contextvars

from . import config as govconfig
from . import logs
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
