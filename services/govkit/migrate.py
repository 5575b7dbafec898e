"""`govops-migrate <svc>|all`: the one-shot job run before a service's processes start.

1. creates the service's database (`govops_<svc>`) if it is missing,
2. runs its Alembic migrations to head,
3. declares the durable queues of its nameko event handlers, so events published before the
   worker first starts wait in RabbitMQ instead of being dropped as unroutable,
4. runs its descriptor's `after_migrate` hook, if it has one (reference data, e.g. org's roles).
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from . import config as govconfig
from . import logs
from . import service as registry
from .db import create_database_if_missing

log = logs.get_logger(__name__)


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", registry.get(service).migrations)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def run_env(target_metadata: sa.MetaData) -> None:
    """Body of every service's migrations/env.py (online mode only: we always have a database)."""
    cfg = context.config
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def create_kit_tables(op) -> None:
    """Called from each service's first migration: the outbox and inbox of the shared kit."""
    from .db import kit_tables

    metadata = sa.MetaData()
    for table in kit_tables(metadata):
        table.create(op.get_bind())


def event_subscriptions(service: str) -> list[tuple[str, str, str]]:
    """(source service, event name, queue name) for each nameko @event_handler of `service`."""
    import inspect

    from nameko.events import EventHandler

    worker = registry.get(service).load("worker")
    subs = []
    # getmembers, not vars(): handlers inherited from kit mixins (govkit.orgdir) count too.
    for attr, member in inspect.getmembers(worker):
        for ext in getattr(member, "nameko_entrypoints", ()):
            if isinstance(ext, EventHandler):
                # Same name nameko gives a SERVICE_POOL handler's queue (nameko.events.EventHandler.setup).
                queue = f"evt-{ext.source_service}-{ext.event_type}--{service}.{attr}"
                subs.append((ext.source_service, ext.event_type, queue))
    return subs


def declare_topology(service: str, amqp_uri: str) -> list[str]:
    from kombu import Connection, Exchange, Queue

    declared = []
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        for source, event, queue_name in event_subscriptions(service):
            exchange = Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False)
            exchange(channel).declare()
            Queue(queue_name, exchange=exchange, routing_key=event, durable=True,
                  auto_delete=False, exclusive=False)(channel).declare()
            declared.append(queue_name)
    return declared


def migrate(service: str) -> None:
    settings = govconfig.load(service)
    created = create_database_if_missing(settings.database_url)
    command.upgrade(alembic_config(service, settings.database_url), "head")
    queues = declare_topology(service, settings.amqp_uri)
    after_migrate = registry.get(service).load("after_migrate")
    if after_migrate:  # reference data kept current, e.g. org's built-in roles
        after_migrate(settings)
    log.info("migrated", service=service, database=settings.database_name,
             database_created=created, queues=queues)


def main() -> None:
    targets = sys.argv[1:] or ["all"]
    services = registry.names() if targets == ["all"] else targets
    logs.configure("migrate", "tool")
    for service in services:
        if service not in registry.names():
            sys.exit(f"unknown service {service!r}")
        migrate(service)
