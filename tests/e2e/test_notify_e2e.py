"""notify end to end: org, ticket and notify as real processes, e-mail pointed at an aiosmtpd
server and the WeCom robot at an HTTP receiver the test started. Assigning a ticket mails the
engineer (address from org's staff record, link to the portal page); the same event delivered
again sends nothing twice; a ticket breaching both its SLA targets reaches the robot once."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from govkit.client import channel
from govkit.db import OUTBOX_CHANNEL, make_engine
from govkit.stack import Stack, free_port
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.catchup import until_caught_up, wait_until
from tests.notify_peers import Receiver, SmtpServer

PORTAL = "https://portal.e2e.gov.cn"


@pytest.fixture(scope="module")
def notify_stack(tmp_path_factory, namespace):
    with SmtpServer() as smtp, Receiver() as robot:
        s = Stack(f"govops_{namespace['ns']}_e2enotify", tmp_path_factory.mktemp("notify-stack"),
                  services=("org", "ticket", "notify"), redis_db=namespace["e2e_redis_db"],
                  extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port()),
                             "GOVOPS_NOTIFY_SMTP_HOST": "127.0.0.1", "GOVOPS_NOTIFY_SMTP_PORT": str(smtp.port),
                             "GOVOPS_NOTIFY_SMTP_FROM": "noreply@ops.gov.cn", "GOVOPS_PORTAL_URL": PORTAL,
                             "GOVOPS_NOTIFY_WECOM_WEBHOOK_URL": robot.wecom_url})
        s.prepare()
        for svc in s.services:
            s.process(svc, "grpc")
        s.start()
        try:
            s.robot = robot  # type: ignore[attr-defined]
            yield s, smtp.mailbox
        finally:
            s.destroy()


def _assign(stack, token, unit: str, staff_id: str, title: str) -> tpb.Ticket:
    with channel(stack.target("ticket"), token) as ch:
        tickets = ticket_pb2_grpc.TicketServiceStub(ch)
        t = until_caught_up(lambda: tickets.CreateTicket(tpb.CreateTicketRequest(
            title=title, org_unit_id=unit, category=tpb.CATEGORY_INFRASTRUCTURE, priority=tpb.PRIORITY_HIGH,
            idempotency_key=f"{unit}-{staff_id}"), timeout=10), "ticket knows the unit").ticket
        until_caught_up(lambda: tickets.AssignTicket(tpb.AssignTicketRequest(ticket_id=t.id, assignee=staff_id),
                                                     timeout=10), "ticket knows the engineer")
    return t


def _queue_settled(vhost: str, prefix: str) -> bool:
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"],
                         capture_output=True, text=True).stdout
    counts = [line.split() for line in out.splitlines() if line.startswith(prefix)]
    return bool(counts) and all(c[1] == "0" for c in counts)


def test_assigning_a_ticket_mails_the_engineer_once(notify_stack):
    stack, mailbox = notify_stack
    token = stack.token()
    with channel(stack.target("org"), token) as ch:
        org = org_pb2_grpc.OrgServiceStub(ch)
        org.CreateOrgUnit(opb.CreateOrgUnitRequest(id="e2e-ntf", name="市数据局", kind=opb.ORG_UNIT_KIND_DEPARTMENT),
                          timeout=10)
        for sid, name, mail in (("N9001", "赵工", "zhao@ops.gov.cn"), ("N9002", "钱工", "qian@ops.gov.cn")):
            org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id=sid, name=name, org_unit_id="e2e-ntf",
                                                               email=mail, phone="13900000000")), timeout=10)
    ticket = _assign(stack, token, "e2e-ntf", "N9001", "数据共享交换平台接口超时")
    [mail] = mailbox.wait(1, timeout=60)
    assert mail["To"] == "zhao@ops.gov.cn"
    assert mail["Subject"] == f"【运维工单】{ticket.number} 已分派给您"
    assert f"{PORTAL}/tickets/{ticket.id}" in mail.get_body(("plain",)).get_content()

    # The relay publishes the same envelope again (same event id): notify's inbox drops it.
    engine = make_engine(f"{stack.env.get('GOVOPS_PG_URL', 'postgresql+psycopg2://postgres@127.0.0.1:5432')}"
                         f"/{stack.name}_ticket", pool_size=1)
    try:
        with engine.begin() as conn:
            again = conn.execute(sa.text(
                "UPDATE outbox SET sent_at = NULL WHERE type = 'govops.ticket.ticket_assigned.v1' "
                "AND envelope->'data'->>'ticket_id' = :t RETURNING id"), {"t": ticket.id}).scalars().all()
            conn.execute(sa.text(f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')"))
        assert len(again) == 1
        wait_until(lambda: _relayed(engine, again[0]), "the relay to publish it again")
    finally:
        engine.dispose()
    # a later assignment as a barrier: once its mail is in and the queue is empty, the replay was consumed
    _assign(stack, token, "e2e-ntf", "N9002", "统一身份认证登录失败")
    wait_until(lambda: len(mailbox.messages) >= 2, "the second engineer's mail")
    wait_until(lambda: _queue_settled(stack.name, "evt-ticket-ticket_assigned--notify"), "notify's queue to drain")
    assert sorted(m["To"] for m in mailbox.messages) == ["qian@ops.gov.cn", "zhao@ops.gov.cn"]


def _relayed(engine, outbox_id) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT sent_at IS NOT NULL FROM outbox WHERE id = :i"),
                            {"i": outbox_id}).scalar_one()


def _cli(stack, *args) -> subprocess.CompletedProcess:
    import sys
    from pathlib import Path

    return subprocess.run([str(Path(sys.executable).parent / "govops"), *args], env=dict(stack.env, COLUMNS="250"),
                          capture_output=True, text=True, timeout=120)


def test_the_cli_sends_a_test_mail_and_reads_the_delivery_log_as_json(notify_stack):
    import json

    stack, mailbox = notify_stack
    before = len(mailbox.messages)
    sent = _cli(stack, "notify", "test", "email", "--to", "newcomer@ops.gov.cn")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "test on email: sent" in sent.stdout
    wait_until(lambda: len(mailbox.messages) > before, "the test mail")
    assert mailbox.messages[-1]["To"] == "newcomer@ops.gov.cn"
    log = _cli(stack, "--output", "json", "notify", "deliveries", "--kind", "test")
    assert log.returncode == 0, log.stderr
    rows = [json.loads(line) for line in log.stdout.splitlines()]
    assert [(r["channel"], r["status"]) for r in rows] == [("email", "sent")]
    unconfigured = _cli(stack, "notify", "test", "dingtalk")
    assert unconfigured.returncode != 0 and "not configured" in unconfigured.stdout + unconfigured.stderr


def test_a_ticket_breaching_both_targets_reaches_the_robot_once(notify_stack):
    from govkit.auth import SYSTEM
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.domain.commands import CreateTicket, SetDepartmentSlaPolicy, UpsertSlaPolicy
    from ticket.domain.sla import SlaPolicy
    from ticket.handlers import sla, tickets

    stack, _ = notify_stack
    # tickets name units org holds (govkit.units): create it through org, wait for the replicas
    stack.create_org_units([("e2e-ntf-sla", "市大数据中心", "", "department")])
    pg = stack.env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
    engine = make_engine(f"{pg}/{stack.name}_ticket", pool_size=2)
    try:
        sla.upsert_sla_policy(UpsertSlaPolicy(SlaPolicy("ntf-fast", "测试", "24x7", {
            p: {"response": 2, "resolution": 4} for p in ("critical", "high", "medium", "low")}, 50, ())),
            TicketUnitOfWork(engine), SYSTEM)
        sla.set_department_policy(SetDepartmentSlaPolicy("e2e-ntf-sla", "ntf-fast"), TicketUnitOfWork(engine), SYSTEM)
        t = tickets.create_ticket(CreateTicket("电子证照库同步中断", "", "e2e-ntf-sla", "infrastructure", "critical"),
                                  TicketUnitOfWork(engine), SYSTEM).ticket

        def both_breaches_relayed() -> bool:
            with engine.connect() as c:
                return c.execute(sa.text(
                    "SELECT count(*) FROM outbox WHERE type = 'govops.ticket.sla_breached.v1' AND sent_at IS NOT NULL "
                    "AND envelope->>'subject' = :t"), {"t": str(t.id)}).scalar_one() == 2

        wait_until(both_breaches_relayed, "the response and resolution breaches")
    finally:
        engine.dispose()
    wait_until(lambda: _queue_settled(stack.name, "evt-ticket-sla_breached--notify"), "notify's queue to drain")
    robot = stack.robot  # type: ignore[attr-defined]
    wait_until(lambda: any(t.number in m["markdown"]["content"] for m in robot.received["wecom"]), "the robot message")
    notify = make_engine(f"{pg}/{stack.name}_notify", pool_size=1)
    try:
        with notify.connect() as c:
            rows = c.execute(sa.text("SELECT status, repeats FROM deliveries WHERE channel = 'wecom' AND "
                                     "kind = 'sla_breached' AND subject_key = :k"), {"k": f"ticket:{t.id}"}).all()
    finally:
        notify.dispose()
    assert [tuple(r) for r in rows] == [("sent", 1)]  # the second breach folded into the first message
    contents = [m["markdown"]["content"] for m in robot.received["wecom"]]
    # one breach message for the two breaches (the resolution breach's escalation is another kind)
    assert sum(f"【超时告警】{t.number}" in c for c in contents) == 1, contents
    assert not robot.rejected
