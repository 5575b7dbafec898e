"""nameko RPC between services fails the way gRPC does (govkit.nameko_ext.rpc): a DomainError or a
database outage in ticket-worker reaches the calling service as the kit's typed error with a
shortened message — NotFound, InvalidArgument with its fields, Unavailable (transient) — not
a RemoteError. A real ticket-worker container on a real broker and PostgreSQL; the outage is the
real database refusing connections."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ServiceRpcProxy

from govkit import config as govconfig
from govkit import errors
from ticket.worker import Service as TicketWorker


@pytest.fixture
def ticket_rpc(container_factory, config, engine_for):
    engine_for("ticket")
    container = container_factory(TicketWorker, config)
    container.start()
    with ServiceRpcProxy("ticket", config) as proxy:
        yield proxy


def test_a_domain_error_reaches_the_caller_typed_and_shortened(ticket_rpc):
    with pytest.raises(errors.DomainError) as raised:
        ticket_rpc.get_ticket("x" * 16_000)
    assert type(raised.value) in (errors.NotFound, errors.InvalidArgument), raised.value
    assert len(raised.value.message.encode()) <= 1024

    with pytest.raises(errors.InvalidArgument) as invalid:
        ticket_rpc.create_ticket("", "", "fgw", "application", "high")
    assert "title" in [v.field for v in invalid.value.violations]


def test_a_database_outage_reaches_the_caller_as_unavailable(ticket_rpc):
    url = sa.engine.make_url(govconfig.load("ticket").database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def allow(allowed: bool) -> None:
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": url.database})

    try:
        allow(False)
        with pytest.raises(errors.Unavailable) as raised:
            ticket_rpc.get_ticket("00000000-0000-0000-0000-000000000001")
        assert errors.is_transient(raised.value) and len(raised.value.message.encode()) <= 1024
    finally:
        allow(True)
        admin.dispose()
    with pytest.raises(errors.NotFound):  # and back to normal once the database is
        ticket_rpc.get_ticket("00000000-0000-0000-0000-000000000001")
