"""Fault injection under a consuming service, with real processes: budget-worker's database stops
accepting connections (and its open ones are terminated) while outsource.payment_recorded events
flow into its queue; after the database comes back every event is applied exactly once, and
nothing was dead-lettered (the outage is shorter than the retry window, govkit.consumers)."""

from __future__ import annotations

import json
import threading
import time

import sqlalchemy as sa
from kombu import Connection, Producer

from govkit import deadletter

QUEUE = "evt-outsource-payment_recorded--budget.on_payment_recorded"
N = 60


def _payment(i: int) -> dict:
    return {"id": f"e2e-fault-{i}", "source": "outsource", "type": "govops.outsource.payment_recorded.v1",
            "time": "2031-03-01T02:00:00+00:00", "subject": f"EF-{i}", "dept": "e2e-fault",
            "correlationid": f"corr-e2e-fault-{i}",
            "data": {"payment_id": f"EF-{i}", "contract_id": "HT-EF", "project_id": "pr-ef", "vendor_id": "v-ef",
                     "org_unit_id": "e2e-fault", "milestone_id": None, "fee_category": "hardware_om",
                     "budget_year": 2031, "budget_line_ref": None, "amount": "10.00", "paid_on": "2031-03-01"}}


def _set_connections(admin, db: str, allowed: bool) -> None:
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": db})


def test_database_outage_under_a_consumer_every_event_applied_exactly_once(stack):
    env = stack.env
    pg = env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
    db = f"{stack.name}_budget"
    admin = sa.create_engine(f"{pg}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    budget = sa.create_engine(f"{pg}/{db}", poolclass=sa.pool.NullPool)

    def publish_all() -> None:
        with Connection(env["GOVOPS_AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
            producer = Producer(conn.channel())
            for i in range(N):
                producer.publish(json.dumps(_payment(i)).encode(), exchange="outsource.events",
                                 routing_key="payment_recorded", content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2)
                time.sleep(0.05)

    flow = threading.Thread(target=publish_all)
    try:
        flow.start()
        time.sleep(0.7)                      # some events applied...
        _set_connections(admin, db, False)   # ...then the database goes away mid-flow
        time.sleep(3.0)
        _set_connections(admin, db, True)
        flow.join(timeout=30)

        def applied() -> tuple[int, int]:
            with budget.connect() as c:
                return (c.execute(sa.text("SELECT count(*), count(DISTINCT external_id) FROM expenses "
                                          "WHERE external_id LIKE 'outsource:EF-%'")).one())

        deadline = time.monotonic() + 90
        while applied()[0] < N and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(1.0)  # anything still arriving would be a duplicate
        assert applied() == (N, N), "not every event applied exactly once after the outage"
        with budget.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id LIKE 'e2e-fault-%'")).scalar() == N
        with deadletter.connect(env["GOVOPS_AMQP_URI"]) as conn:
            assert deadletter.list_dead(conn, [QUEUE]) == []
    finally:
        _set_connections(admin, db, True)
        flow.join(timeout=30)
        admin.dispose()
        budget.dispose()
