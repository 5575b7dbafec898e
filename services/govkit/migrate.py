"""`govops-migrate <svc>|all`: the one-shot job run before a service's processes start.

1. creates the service's database (`govops_<svc>`) if it is missing,
2. runs its Alembic migrations to head,
3. declares the durable queues of its nameko event handlers, so events published before the
   worker first starts wait in RabbitMQ instead of being dropped as unroutable, each with its
   dead-letter exchange, dead queue and retry queue (govkit.deadletter). A queue declared by an
   older release without the dead-letter arguments is deleted and declared again if it is empty
   and has no consumer; otherwise migrate stops with a message naming the queue,
4. runs its descriptor's `after_migrate` hook, if it has one (reference data, e.g. org's roles).
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.dialects.postgresql import JSONB

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


# The kit's tables as migrations create them. Frozen, like a revision: each service's 0001 calls
# create_kit_tables and ticket's and evaluation's 0002 call create_orgdir_tables, so changing these
# bodies would change what old revisions do. A later change to the outbox, the inbox or the org
# directory is a new function here, called from a new revision in every service that has the
# tables; govkit.db.kit_tables and govkit.orgdir (the live metadata) change with it, and
# tests/integration/test_schema_drift.py fails until both agree.
def create_kit_tables(op) -> None:
    """The outbox and inbox of the shared kit, as of every service's revision 0001."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["seq"], postgresql_where=sa.text("sent_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


ORGDIR_TABLES_V1 = ("orgdir_units", "orgdir_positions", "orgdir_staff", "orgdir_staff_positions",
                    "orgdir_groups", "orgdir_group_members", "orgdir_shifts")


def create_orgdir_tables(op) -> None:
    """The org directory read model (govkit.orgdir), as of ticket's and evaluation's 0002."""
    op.create_table(
        "orgdir_units",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_id", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "orgdir_positions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("org_unit_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_position_id", sa.Text),
        sa.Column("responsibilities", JSONB, nullable=False, server_default="[]"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "orgdir_staff",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("org_unit_id", sa.Text, nullable=False),
        sa.Column("vendor_id", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "orgdir_staff_positions",
        sa.Column("staff_id", sa.Text, primary_key=True),
        sa.Column("position_id", sa.Text, primary_key=True),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
    )
    op.create_index("ix_orgdir_staff_positions_position", "orgdir_staff_positions", ["position_id"])
    op.create_table(
        "orgdir_groups",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("org_unit_id", sa.Text, nullable=False),
        sa.Column("lead_position_id", sa.Text),
    )
    op.create_table(
        "orgdir_group_members",
        sa.Column("group_id", sa.Text, primary_key=True),
        sa.Column("staff_id", sa.Text, primary_key=True),
    )
    op.create_table(
        "orgdir_shifts",
        sa.Column("group_id", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_orgdir_shifts_group_start", "orgdir_shifts", ["group_id", "starts_at"])


def drop_orgdir_tables(op) -> None:
    for name in reversed(ORGDIR_TABLES_V1):
        op.drop_table(name)


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
    """Declare `service`'s consumer queues with their dead-letter topology (govkit.deadletter)."""
    from kombu import Connection

    from .deadletter import declare

    declared = []
    with Connection(amqp_uri) as conn:
        for source, event, queue_name in event_subscriptions(service):
            declare(conn, source, event, queue_name, recreate_empty=True)
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
    from .deadletter import TopologyMismatch

    for service in services:
        if service not in registry.names():
            sys.exit(f"unknown service {service!r}")
        try:
            migrate(service)
        except TopologyMismatch as exc:
            sys.exit(f"govops-migrate {service}: {exc}")
