"""A ticket-worker killed with SIGKILL while SLA deadlines are firing: after a restart every
deadline fires exactly once — none lost, none twice (real processes via govkit.stack)."""

from __future__ import annotations

import collections
import time

import pytest
import sqlalchemy as sa

from govkit.auth import SYSTEM
from govkit.db import make_engine
from govkit.orgdir import OrgDirectory
from govkit.stack import Stack, free_port


@pytest.fixture(scope="module")
def ticket_stack(tmp_path_factory, namespace):
    s = Stack(f"govops_{namespace['ns']}_slakill", tmp_path_factory.mktemp("slakill"), services=("ticket",),
              redis_db=namespace["e2e_redis_db"], extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port())})
    s.prepare()
    s.start(kinds=("worker",))
    yield s
    s.stop()
    from govkit.db import drop_database
    from govkit.stack import delete_vhost

    drop_database(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{s.name}_ticket")
    delete_vhost(s.name)


def _fired(engine) -> collections.Counter:
    with engine.connect() as c:
        rows = c.execute(sa.text(
            "SELECT envelope->>'subject', envelope->'data'->>'target', type FROM outbox "
            "WHERE type IN ('govops.ticket.sla_warning.v1', 'govops.ticket.sla_breached.v1')")).all()
    return collections.Counter(rows)


def test_killed_worker_loses_no_deadline_and_fires_none_twice(ticket_stack):
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.domain.commands import CreateTicket, SetDepartmentSlaPolicy, UpsertSlaPolicy
    from ticket.domain.escalation import EscalationRule
    from ticket.domain.sla import SlaPolicy
    from ticket.handlers import sla, tickets

    engine = make_engine(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{ticket_stack.name}_ticket", pool_size=2)
    try:
        with engine.begin() as conn:  # no org in this stack: the unit as org's event would leave it
            OrgDirectory(conn).apply("org_unit_created", {"org_unit_id": "kill", "name": "kill", "parent_id": None,
                                                          "kind": "department"})
        sla.upsert_sla_policy(UpsertSlaPolicy(SlaPolicy("kill-fast", "测试", "24x7", {
            p: {"response": 3, "resolution": 6} for p in ("critical", "high", "medium", "low")}, 50,
            (EscalationRule(level=1, at_percent=100, action="notify", step=1),))), TicketUnitOfWork(engine), SYSTEM)
        sla.set_department_policy(SetDepartmentSlaPolicy("kill", "kill-fast"), TicketUnitOfWork(engine), SYSTEM)
        ids = [tickets.create_ticket(CreateTicket(f"告警{i}", "", "kill", "infrastructure", "high"),
                                     TicketUnitOfWork(engine), SYSTEM).ticket.id for i in range(20)]
        deadline = time.monotonic() + 30
        while not _fired(engine) and time.monotonic() < deadline:  # the first warnings are firing
            time.sleep(0.02)
        assert _fired(engine), "no deadline fired before the kill"
        worker = ticket_stack.process("ticket", "worker")
        worker.kill()  # SIGKILL, mid-stream
        before = sum(_fired(engine).values())
        worker.start()
        expected = {(t, target, kind) for t in ids for target in ("response", "resolution")
                    for kind in ("govops.ticket.sla_warning.v1", "govops.ticket.sla_breached.v1")}
        deadline = time.monotonic() + 60
        while set(_fired(engine)) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        fired = _fired(engine)
        assert set(fired) == expected, f"lost: {len(expected - set(fired))} (fired before kill: {before})"
        assert max(fired.values()) == 1
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM sla_deadlines")).scalar() == 0
    finally:
        engine.dispose()
