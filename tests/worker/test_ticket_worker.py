"""ticket-worker in a nameko container: the deadline scheduler fires sla_warning and
sla_breached exactly once each (and escalates), the Alertmanager webhook dedupes by fingerprint."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import sqlalchemy as sa

from govkit.auth import SYSTEM
from tests.catchup import wait_until
from tests.org_units import seed_test_units
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import CreateTicket, EnsureDefaults, SetDepartmentSlaPolicy, UpsertSlaPolicy
from ticket.domain.escalation import EscalationRule
from ticket.domain.sla import SlaPolicy
from ticket.handlers import catalogue, sla, tickets
from ticket.worker import Service as TicketWorker


def _events(engine, *types):
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT envelope FROM outbox ORDER BY seq")).scalars().all()
    return [r for r in rows if r["type"].split(".")[2] in types]


def test_scheduler_fires_warning_and_breach_exactly_once(container_factory, config, engine_for):
    engine = engine_for("ticket")
    seed_test_units(engine, "wt")
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    fast = SlaPolicy("test-fast", "测试", "24x7", {p: {"response": 2, "resolution": 3} for p in
                                                ("critical", "high", "medium", "low")}, 50,
                     (EscalationRule(level=1, at_percent=100, action="notify", step=1),))
    sla.upsert_sla_policy(UpsertSlaPolicy(fast), TicketUnitOfWork(engine), SYSTEM)
    sla.set_department_policy(SetDepartmentSlaPolicy("wt", "test-fast"), TicketUnitOfWork(engine), SYSTEM)
    container = container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS="127.0.0.1:0"))
    container.start()
    t = tickets.create_ticket(CreateTicket("机房温度过高", "", "wt", "infrastructure", "high"),
                              TicketUnitOfWork(engine), SYSTEM).ticket
    wait_until(lambda: len(_events(engine, "sla_breached")) == 2, "both breaches", interval=0.05)
    # the resolution breach escalated (level 1 notify); afterwards no deadline is left to fire
    with engine.connect() as c:
        left = c.execute(sa.text("SELECT count(*) FROM sla_deadlines WHERE ticket_id = :t"), {"t": t.id}).scalar()
    assert left == 0
    warnings = _events(engine, "sla_warning")
    breaches = _events(engine, "sla_breached")
    assert sorted(e["data"]["target"] for e in warnings) == ["resolution", "response"]
    assert sorted(e["data"]["target"] for e in breaches) == ["resolution", "response"]
    assert [e["data"]["level"] for e in _events(engine, "ticket_escalated")] == [1]
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT sla_state FROM tickets WHERE id = :t"), {"t": t.id}).scalar() == "breached"


def _post(port, payload):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/alerts/alertmanager",
                                 data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_alertmanager_webhook_dedupes_ten_repeats_into_one_incident(container_factory, config, engine_for):
    engine = engine_for("ticket")
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    container = container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    container.start()
    alert = {"status": "firing", "fingerprint": "abc123", "labels": {
        "alertname": "DiskFull", "severity": "critical", "instance": "db01", "department": "czj"},
        "annotations": {"summary": "数据库服务器磁盘将满"}}
    payload = {"version": "4", "status": "firing", "receiver": "govops", "groupKey": "g", "alerts": [alert]}
    results = [_post(port, payload)["results"][0] for _ in range(10)]
    assert len({r["incident_id"] for r in results}) == 1 and results[-1]["repeat_count"] == 10
    assert [r["deduplicated"] for r in results] == [False] + [True] * 9
    payload["alerts"][0] = dict(alert, status="resolved")
    payload["status"] = "resolved"
    done = _post(port, payload)["results"][0]
    with engine.connect() as c:
        status, code = c.execute(sa.text("SELECT status, resolution_code FROM tickets")).one()
        assert c.execute(sa.text("SELECT count(*) FROM tickets")).scalar() == 1
    assert (status, code) == ("resolved", "auto_resolved_by_alert") and done["status"] == "resolved"
    assert len(_events(engine, "alert_received")) == 11
    try:
        _post(port, {"version": "4", "alerts": [{"status": "firing"}]})
    except urllib.error.HTTPError as err:
        assert err.code == 400 and "fingerprint" in json.loads(err.read())["error"]
    else:
        raise AssertionError("an alert without a fingerprint was accepted")
