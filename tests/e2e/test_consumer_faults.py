"""Fault injection under every consuming service, with real processes (issue 11, item 12).

For each consumer — budget (outsource payments), ticket (the org directory), outsource (ticket
facts), evaluation (facts and live KPIs, through the nameko worker and through
`evaluation.batch_consumer`) — events flow into its queue while its database stops accepting
connections (and its open ones are terminated); after the database comes back every event is
applied exactly once. Beside the events, one message whose body cannot be decoded (not JSON)
goes to the consumer's queue: it ends on the dead-letter queue — the only dead letter, since the
outage is shorter than the retry window (govkit.consumers) — and neither crashes the consumer
nor comes back. org consumes no events.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from kombu import Connection, Producer

from govkit import deadletter
from govkit.stack import Process, wait_for_consumers

N = 40
GARBAGE = b"\xff\xfe this is not JSON"


def _payment(prefix: str, i: int) -> dict:
    return {"id": f"{prefix}{i}", "source": "outsource", "type": "govops.outsource.payment_recorded.v1",
            "time": "2031-03-01T02:00:00+00:00", "subject": f"EF-{i}", "orgunitid": "e2e-fault",
            "correlationid": f"corr-{prefix}{i}",
            "data": {"payment_id": f"{prefix}{i}", "contract_id": "HT-EF", "project_id": "pr-ef", "vendor_id": "v-ef",
                     "org_unit_id": "e2e-fault", "milestone_id": None, "fee_category": "hardware_om",
                     "budget_year": 2031, "budget_line_ref": None, "amount": "10.00", "paid_on": "2031-03-01"}}


def _group_member(prefix: str, i: int) -> dict:
    return {"id": f"{prefix}{i}", "source": "org", "type": "govops.org.group_member_added.v1",
            "time": "2031-03-01T02:00:00+00:00", "subject": "e2e-fault-group", "orgunitid": "e2e-fault",
            "correlationid": f"corr-{prefix}{i}",
            "data": {"group_id": "e2e-fault-group", "staff_id": f"{prefix}{i}"}}


def _ticket_created(unit: str) -> Callable[[str, int], dict]:
    def make(prefix: str, i: int) -> dict:
        at = "2031-03-01T02:00:00+00:00"
        return {"id": f"{prefix}{i}", "source": "ticket", "type": "govops.ticket.ticket_created.v1", "time": at,
                "subject": f"{prefix}t{i}", "orgunitid": unit, "correlationid": f"corr-{prefix}{i}",
                "data": {"ticket_id": f"{prefix}t{i}", "number": f"INC-2031-{i:06}", "ticket_type": "incident",
                         "org_unit_id": unit, "catalogue_item_id": "app-om", "category": "application",
                         "priority": "high", "status": "new", "group_id": "app", "assignee": None,
                         "vendor_id": None, "requester": "u", "occurred_at": at, "created_at": at}}

    return make


@dataclass(frozen=True)
class Case:
    service: str            # the consumer whose database goes away
    source: str
    event: str
    make: Callable[[str, int], dict]
    effect: str             # SQL on the service's database: (rows, distinct rows) the events made
    queue: str              # the consumer queue
    batch: bool = False     # consumed by evaluation.batch_consumer instead of evaluation-worker
    kpi_unit: str = ""      # evaluation: the unit whose live `tickets_created` must read N

    @property
    def prefix(self) -> str:
        return f"e2e-fault-{self.service}{'-batch' if self.batch else ''}-"


CASES = [
    Case("budget", "outsource", "payment_recorded", _payment,
         "SELECT count(*), count(DISTINCT external_id) FROM expenses WHERE external_id LIKE 'outsource:' || :p || '%'",
         "evt-outsource-payment_recorded--budget.on_payment_recorded"),
    Case("ticket", "org", "group_member_added", _group_member,
         "SELECT count(*), count(DISTINCT staff_id) FROM orgdir_group_members WHERE staff_id LIKE :p || '%'",
         "evt-org-group_member_added--ticket.on_group_member_added"),
    Case("outsource", "ticket", "ticket_created", _ticket_created("e2e-fault-outsource"),
         "SELECT count(*), count(DISTINCT ticket_id) FROM ticket_facts WHERE ticket_id LIKE :p || '%'",
         "evt-ticket-ticket_created--outsource.on_ticket_created"),
    Case("evaluation", "ticket", "ticket_created", _ticket_created("e2e-fault-evaluation"),
         "SELECT count(*), count(DISTINCT event_id) FROM facts WHERE event_id LIKE :p || '%'",
         "evt-ticket-ticket_created--evaluation.on_ticket_created", kpi_unit="e2e-fault-evaluation"),
    Case("evaluation", "ticket", "ticket_created", _ticket_created("e2e-fault-batch"),
         "SELECT count(*), count(DISTINCT event_id) FROM facts WHERE event_id LIKE :p || '%'",
         "evt-ticket-ticket_created--evaluation.on_ticket_created", batch=True, kpi_unit="e2e-fault-batch"),
]


def _set_connections(admin, db: str, allowed: bool) -> None:
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": db})


def _purge(amqp_uri: str, *queues: str) -> None:
    with Connection(amqp_uri) as conn:
        ch = conn.channel()
        for q in queues:
            ch.queue_purge(q)
        ch.close()


def _live_tickets_created(redis_url: str, unit: str) -> float:
    from evaluation.adapters.kpi_store import KpiStore
    from evaluation.domain.kpis import KpiFilter, Level

    store = KpiStore.from_url(redis_url)
    try:
        values = store.snapshot(KpiFilter(level=Level.ORGANIZATION, subjects=frozenset([unit]),
                                          names=frozenset(["tickets_created"])),
                                lambda s: True)
        return sum(v.value or 0 for v in values if v.key.subject == unit)
    finally:
        store.redis.close()


def _metric(port: int, name: str, queue: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    for line in text.splitlines():
        if line.startswith(f'{name}{{') and f'queue="{queue}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.fixture
def batch_consumer(stack):
    """evaluation.batch_consumer instead of evaluation-worker's ticket handlers, for one test."""
    worker = stack.process("evaluation", "worker")
    worker.stop()
    env = dict(worker.env)
    proc = Process("evaluation-batch", [sys.executable, "-m", "evaluation.batch_consumer"], env,
                   stack.workdir / "evaluation-batch.log")
    proc.start()
    try:
        wait_for_consumers(stack.name, prefix="evt-ticket-", timeout=60)
        yield proc
    finally:
        proc.stop()
        worker.start()
        wait_for_consumers(stack.name, prefix="evt-", timeout=60)  # not the old worker's RPC reply queue


@pytest.mark.parametrize("case", CASES, ids=[c.prefix.strip("-").removeprefix("e2e-fault-") for c in CASES])
def test_database_outage_under_each_consumer_every_event_applied_exactly_once(stack, case, request):
    if case.batch:
        request.getfixturevalue("batch_consumer")
    env = stack.env
    amqp = env["GOVOPS_AMQP_URI"]
    pg = env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
    db = f"{stack.name}_{case.service}"
    admin = sa.create_engine(f"{pg}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    target = sa.create_engine(f"{pg}/{db}", poolclass=sa.pool.NullPool)
    _purge(amqp, deadletter.dead_queue(case.queue))

    def publish_all() -> None:
        with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
            producer = Producer(conn.channel())
            for i in range(N):
                producer.publish(json.dumps(case.make(case.prefix, i)).encode(), exchange=f"{case.source}.events",
                                 routing_key=case.event, content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2)
                if i == N // 2:  # an undecodable body, straight into the consumer's queue
                    producer.publish(GARBAGE, exchange="", routing_key=case.queue,
                                     content_type="application/json", content_encoding="utf-8", delivery_mode=2)
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
            with target.connect() as c:
                return tuple(c.execute(sa.text(case.effect), {"p": case.prefix}).one())

        deadline = time.monotonic() + 60
        while applied()[0] < N and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(1.0)  # anything still arriving would be a duplicate
        assert applied() == (N, N), "not every event applied exactly once after the outage"
        with target.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id LIKE :p || '%'"),
                             {"p": case.prefix}).scalar() == N
        if case.kpi_unit:  # evaluation's Redis side: each event counted once
            assert _live_tickets_created(env["GOVOPS_REDIS_URL"], case.kpi_unit) == N
        with deadletter.connect(amqp) as conn:
            dead = deadletter.list_dead(conn, [case.queue])
        assert [(d.event_id, d.error_class) for d in dead] == [(None, "malformed")], dead
        assert dead[0].attempts == 1 and dead[0].last_error
        if not case.batch:  # the worker's /metrics shows it (evaluation-worker is stopped for the batch case)
            port = int(stack.process(case.service, "worker").env["GOVOPS_METRICS_PORT"])
            assert _metric(port, "govops_dead_letters", case.queue) == 1

        # A replay is idempotent: an event already applied (a copy left on the dead queue, as a crash
        # mid-replay leaves it) changes nothing, and the undecodable body comes back dead, once.
        with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
            Producer(conn.channel()).publish(
                json.dumps(case.make(case.prefix, 0)).encode(), exchange=deadletter.dead_exchange(case.queue),
                routing_key=case.queue, content_type="application/json", content_encoding="utf-8", delivery_mode=2)
        with deadletter.connect(amqp) as conn:
            moved = deadletter.replay(conn, [case.queue])
        assert sorted(str(d.event_id) for d in moved) == sorted([f"{case.prefix}0", "None"])

        def settled() -> bool:
            with deadletter.connect(amqp) as conn:
                back = deadletter.list_dead(conn, [case.queue])
                depth = conn.default_channel.queue_declare(queue=case.queue, passive=True).message_count
            return depth == 0 and [(d.event_id, d.replays) for d in back] == [(None, 1)]

        deadline = time.monotonic() + 30
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert settled(), "the replayed poison did not come back to the dead-letter queue once"
        time.sleep(0.5)
        assert applied() == (N, N), "a replay applied an event twice"
    finally:
        _set_connections(admin, db, True)
        flow.join(timeout=30)
        admin.dispose()
        target.dispose()
