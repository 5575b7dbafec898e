"""notify against real peers: PostgreSQL (its own database), Redis, an aiosmtpd SMTP server the
test reads back, and local HTTP receivers speaking the WeCom, DingTalk and Alibaba Cloud SMS
formats (tests/notify_peers.py). Events go through the kit's `deliver` (the consumer's inbox
transaction), sending through `send_due` (the sender loop's round)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa

from govkit.client import channel as grpc_channel
from govkit.consumers import deliver
from govkit.events import Envelope
from notify import handlers
from notify.adapters.channels import AliyunSms, DingTalkRobot, SmsChannel, SmtpChannel, WeComRobot
from notify.adapters.ratelimit import RedisRateLimiter
from notify.adapters.store import NotifyUnitOfWork
from notify.domain.model import Message, RetryPolicy
from tests.notify_peers import Receiver, SmtpServer

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
TICKET = "7f1c1c5e-0000-4000-8000-000000000001"


class Clock:
    def __init__(self, at: datetime = T0):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def notify_db(engine_for):
    engine = engine_for("notify")

    def uow() -> NotifyUnitOfWork:
        return NotifyUnitOfWork(engine)

    with uow() as u:
        d = u.orgdir
        d.apply("org_unit_created", {"org_unit_id": "om-centre", "name": "运维中心", "kind": "om_centre"})
        d.apply("position_created", {"position_id": "pos-net-lead", "org_unit_id": "om-centre", "code": "pos-net-lead",
                                     "name": "网络组组长"})
        for sid, name, mail, phone in (("E1001", "王工", "wang@ops.gov.cn", "13800000011"),
                                       ("L2001", "李组长", "li@ops.gov.cn", "13800000022")):
            d.apply("staff_created", {"staff_id": sid, "name": name, "org_unit_id": "om-centre"})
            u.store.save_contact(sid, mail, phone)
        d.apply("staff_assigned", {"staff_id": "L2001", "position_id": "pos-net-lead", "start_date": "2026-01-01"})
        d.apply("group_created", {"group_id": "grp-net", "code": "grp-net", "name": "网络组",
                                  "org_unit_id": "om-centre", "lead_position_id": "pos-net-lead"})
        u.commit()
    return uow


def ticket_event(name: str, **extra) -> Envelope:
    data = {"ticket_id": TICKET, "number": "INC-2026-000042", "ticket_type": "incident", "org_unit_id": "fgw",
            "priority": "high", "status": "assigned", "group_id": "grp-net", "assignee": "E1001",
            "requester": "R3001", "title": "政务外网核心交换机端口故障", "occurred_at": T0.isoformat(),
            "method": "manual", **extra}
    return Envelope(id=str(uuid.uuid4()), source="ticket", type=f"govops.ticket.{name}.v1", time=T0.isoformat(),
                    subject=TICKET, org_unit_id="fgw", correlationid=None, data=data)


SETTINGS = handlers.NotifySettings(portal_url="https://portal.example.gov.cn", retry=RetryPolicy(3, 10, 60))


def consume(uow, env, configured=("email",), settings=SETTINGS, now=T0):
    return deliver(uow(), "notify.test", env, lambda e, u: handlers.plan(e, u, settings, set(configured), now)).result


def smtp_channel(server) -> SmtpChannel:
    return SmtpChannel("127.0.0.1", server.port, "noreply@ops.gov.cn", timeout=5)


def rows(uow, **filters):
    with uow() as u:
        return u.store.deliveries(filters, offset=0, limit=100)[0]


def test_an_assignment_mails_the_engineer_once_even_when_the_event_comes_twice(notify_db):
    env = ticket_event("ticket_assigned")
    assert consume(notify_db, env) == 1
    assert consume(notify_db, env) is None  # redelivered: the inbox already holds it
    with SmtpServer() as smtp:
        channels = {"email": smtp_channel(smtp)}
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=Clock()) == 1
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=Clock()) == 0
        [mail] = smtp.mailbox.wait(1)
        raw = smtp.mailbox.raw[0].decode("ascii")  # 7-bit on the wire: every Chinese byte encoded
    subject = "【运维工单】INC-2026-000042 已分派给您"
    assert mail["Subject"] == subject and "Subject: =?utf-8?" in raw  # RFC 2047
    assert mail["To"] == "wang@ops.gov.cn" and mail["From"].addresses[0].addr_spec == "noreply@ops.gov.cn"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = f"https://portal.example.gov.cn/tickets/{TICKET}"
    assert "政务外网核心交换机端口故障" in text and "优先级：高" in text and link in text
    assert f'href="{link}"' in html and "政务外网核心交换机端口故障" in html
    [row] = rows(notify_db)
    assert (row["status"], row["attempts"], row["recipient"]) == ("sent", 1, "E1001")
    assert row["provider_message_id"] == mail["Message-ID"] and row["sent_at"] == T0
    with notify_db() as u:
        notes, total = u.store.notifications(["E1001"], unread_only=True, offset=0, limit=10)
    assert total == 1 and notes[0]["title"] == subject and notes[0]["link"] == link


def test_a_storm_of_repeats_within_the_window_sends_one_message(notify_db):
    for i in range(20):
        consume(notify_db, ticket_event("sla_breached", target="resolution"), now=T0 + timedelta(seconds=i))
    sent = rows(notify_db)
    # the engineer and the group lead, one message each; the 19 repeats are counted, not sent
    assert sorted((r["recipient"], r["repeats"]) for r in sent) == [("E1001", 19), ("L2001", 19)]
    # after the window a new breach is news again
    consume(notify_db, ticket_event("sla_breached", target="resolution"), now=T0 + timedelta(minutes=11))
    assert len(rows(notify_db)) == 4


def test_transient_smtp_failures_back_off_then_the_mail_goes(notify_db):
    # the requester R3001 has no address in org: the notification centre only
    assert consume(notify_db, ticket_event("ticket_resolved"), configured=("email",)) == 0
    consume(notify_db, ticket_event("ticket_assigned"))
    clock = Clock()
    with SmtpServer() as smtp:
        smtp.mailbox.fail_next = 1  # 451 for the first message
        channels = {"email": smtp_channel(smtp)}
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=clock) == 1
        [row] = rows(notify_db, status="pending")
        assert row["attempts"] == 1 and "451" in row["last_error"]
        assert row["next_attempt_at"] == T0 + timedelta(seconds=10)
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=clock) == 0  # not due yet
        clock.advance(seconds=10)
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=clock) == 1
        assert len(smtp.mailbox.wait(1)) == 1
    [row] = rows(notify_db)
    assert (row["status"], row["attempts"]) == ("sent", 2)


def test_a_channel_that_is_down_ends_dead_and_replay_requeues_it(notify_db):
    consume(notify_db, ticket_event("ticket_assigned"))
    clock = Clock()
    down = SmtpChannel("127.0.0.1", _closed_port(), "noreply@ops.gov.cn", timeout=2)
    for _ in range(3):
        assert handlers.send_due(notify_db, {"email": down}, None, SETTINGS, now=clock) == 1
        clock.advance(minutes=5)
    [row] = rows(notify_db)
    assert (row["status"], row["attempts"]) == ("dead", 3) and "ConnectionRefused" in row["last_error"]
    with notify_db() as u:
        assert u.store.replay([], {"channel": "email"}, clock()) == 1
        u.commit()
    with SmtpServer() as smtp:
        assert handlers.send_due(notify_db, {"email": smtp_channel(smtp)}, None, SETTINGS, now=clock) == 1
        assert len(smtp.mailbox.wait(1)) == 1
    assert rows(notify_db)[0]["status"] == "sent"


def test_quiet_hours_hold_a_message_until_morning_but_not_a_critical_breach(notify_db):
    from datetime import time

    from notify.domain.model import Preferences

    with notify_db() as u:
        u.store.save_preferences(Preferences("E1001", {"sla_breached": ("email",)}, time(22, 0), time(7, 0)))
        u.commit()
    night = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
    consume(notify_db, ticket_event("ticket_assigned"), now=night)
    consume(notify_db, ticket_event("sla_breached", priority="critical", target="response"), now=night)
    by_kind = {r["kind"]: r for r in rows(notify_db, recipient="E1001")}
    assert by_kind["ticket_assigned"]["next_attempt_at"] == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 07:00 CST
    assert by_kind["sla_breached"]["next_attempt_at"] == night


def _closed_port() -> int:
    from govkit.stack import free_port

    return free_port()


def test_robots_and_sms_speak_the_providers_formats_and_retry_their_rate_limits(notify_db):
    with Receiver() as rx:
        channels = {"wecom": WeComRobot(rx.wecom_url, 5),
                    "dingtalk": DingTalkRobot(rx.dingtalk_url, rx.DINGTALK_SECRET, "GovOps", 5),
                    "sms": SmsChannel(AliyunSms(rx.ALIYUN_ID, rx.ALIYUN_SECRET, "政务运维", "SMS_123456",
                                                rx.aliyun_endpoint, timeout=5))}
        with notify_db() as u:
            from notify.domain.model import Preferences

            u.store.save_preferences(Preferences("E1001", {"sla_breached": ("sms",)}))
            u.commit()
        consume(notify_db, ticket_event("sla_breached", target="resolution"), configured=set(channels))
        rx.answers["wecom"].append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
        rx.answers["dingtalk"].append((200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}))
        rx.answers["aliyun"].append((400, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}))
        clock = Clock()
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=clock) == 3  # E1001 sms + 2 robots
        assert {r["channel"] for r in rows(notify_db, status="pending")} == {"wecom", "dingtalk", "sms"}
        clock.advance(seconds=10)
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=clock) == 3
        assert not rx.rejected
    sent = {r["channel"]: r for r in rows(notify_db, status="sent")}
    assert set(sent) == {"wecom", "dingtalk", "sms"} and all(r["attempts"] == 2 for r in sent.values())
    assert sent["sms"]["provider_message_id"] == "biz-1" and sent["sms"]["address"] == "13800000011"
    [sms] = rx.received["aliyun"]
    assert sms["PhoneNumbers"] == "13800000011" and sms["SignName"] == "政务运维"
    assert sms["TemplateCode"] == "SMS_123456"
    assert '"number":"INC-2026-000042"' in sms["TemplateParam"]
    [ding] = rx.received["dingtalk"]
    assert ding["markdown"]["text"].startswith("GovOps ") and "INC-2026-000042" in ding["markdown"]["title"]
    [wecom] = rx.received["wecom"]
    assert f"https://portal.example.gov.cn/tickets/{TICKET}" in wecom["markdown"]["content"]


def test_a_bad_signature_or_key_is_dead_at_once(notify_db):
    with Receiver() as rx:
        channels = {"dingtalk": DingTalkRobot(rx.dingtalk_url, "SECwrong", timeout=5),
                    "wecom": WeComRobot(rx.wecom_url.replace(rx.WECOM_KEY, "wrong"), 5),
                    "sms": SmsChannel(AliyunSms(rx.ALIYUN_ID, "wrong-secret", "政务运维", "SMS_1", rx.aliyun_endpoint,
                                                timeout=5))}
        results = {name: c.send(Message(name, "13800000011", "测试", "测试内容")) for name, c in channels.items()}
    assert not any(r.ok or r.transient for r in results.values())
    assert "310000" in results["dingtalk"].error and "93000" in results["wecom"].error
    assert "SignatureDoesNotMatch" in results["sms"].error


def test_robot_rate_limits_are_shared_through_redis(redis_client):
    import redis

    from govkit import config

    limiter = RedisRateLimiter(redis.Redis.from_url(config.load("notify").redis_url), {"wecom": 2, "email": 0})
    at = datetime(2026, 12, 2, 2, 0, 30, tzinfo=UTC)
    assert limiter.acquire("wecom", at) is None and limiter.acquire("wecom", at) is None
    assert limiter.acquire("wecom", at) == datetime(2026, 12, 2, 2, 1, 0, 10000, tzinfo=UTC)
    assert limiter.acquire("wecom", at + timedelta(minutes=1)) is None
    assert all(limiter.acquire("email", at) is None for _ in range(10))


def test_the_api_lists_sets_preferences_tests_a_channel_and_replays(notify_db, grpc_server, signer, monkeypatch):
    from govops.notify.v1 import notify_pb2 as pb
    from govops.notify.v1 import notify_pb2_grpc

    with SmtpServer() as smtp:
        monkeypatch.setenv("GOVOPS_NOTIFY_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("GOVOPS_NOTIFY_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("GOVOPS_NOTIFY_SMTP_FROM", "noreply@ops.gov.cn")
        target = grpc_server("notify")["notify"]
        admin = signer.mint("admin", perms=["notify.admin"], scopes=[{"unit": "*"}])
        engineer = signer.mint("wang", perms=["notify.self"], scopes=[{"unit": "om-centre"}],
                               extra={"staff_id": "E1001"})
        with grpc_channel(target, admin) as ch:
            stub = notify_pb2_grpc.NotifyServiceStub(ch)
            d = stub.SendTestMessage(pb.SendTestMessageRequest(channel=pb.CHANNEL_EMAIL, address="ops@x.gov.cn"),
                                     timeout=10).delivery
            assert d.status == pb.DELIVERY_STATUS_SENT and d.provider_message_id
            assert smtp.mailbox.wait(1)[0]["Subject"] == "【测试】GovOps 通知测试消息"
            with pytest.raises(grpc.RpcError) as err:
                stub.SendTestMessage(pb.SendTestMessageRequest(channel=pb.CHANNEL_WECOM), timeout=10)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            consume(notify_db, ticket_event("ticket_assigned"))
            listed = stub.ListDeliveries(pb.ListDeliveriesRequest(
                filter=pb.DeliveryFilter(kind="ticket_assigned"), page={"page_size": 1}), timeout=10)
            assert [x.recipient for x in listed.deliveries] == ["E1001"] and listed.page.total_size == 1
            assert listed.deliveries[0].status == pb.DELIVERY_STATUS_PENDING
            with pytest.raises(grpc.RpcError) as err:
                stub.ReplayDeliveries(pb.ReplayDeliveriesRequest(), timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with grpc_channel(target, engineer) as ch:
            stub = notify_pb2_grpc.NotifyServiceStub(ch)
            mine = stub.ListMyNotifications(pb.ListMyNotificationsRequest(unread_only=True), timeout=10)
            assert [n.title for n in mine.notifications] == ["【运维工单】INC-2026-000042 已分派给您"]
            assert stub.MarkNotificationsRead(pb.MarkNotificationsReadRequest(), timeout=10).marked == 1
        consume(notify_db, ticket_event("ticket_resolved"))  # requester R3001: a login name, no staff record
        with grpc_channel(target, signer.mint("R3001", perms=["notify.self"], scopes=[{"unit": "fgw"}])) as ch:
            mine = notify_pb2_grpc.NotifyServiceStub(ch).ListMyNotifications(pb.ListMyNotificationsRequest(),
                                                                              timeout=10)
            assert [n.kind for n in mine.notifications] == ["ticket_resolved"]
        with grpc_channel(target, engineer) as ch:
            stub = notify_pb2_grpc.NotifyServiceStub(ch)
            prefs = pb.Preferences(kinds=[pb.KindChannels(kind="sla_breached", channels=[pb.CHANNEL_EMAIL,
                                                                                          pb.CHANNEL_SMS])],
                                   quiet_start="22:00", quiet_end="07:00")
            assert stub.SetPreferences(pb.SetPreferencesRequest(preferences=prefs), timeout=10).preferences == prefs
            assert stub.GetPreferences(pb.GetPreferencesRequest(), timeout=10).preferences == prefs
            with pytest.raises(grpc.RpcError) as err:
                stub.SetPreferences(pb.SetPreferencesRequest(preferences=pb.Preferences(
                    kinds=[pb.KindChannels(kind="sla_breached", channels=[pb.CHANNEL_WECOM])])), timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "personal" in err.value.details()
            with pytest.raises(grpc.RpcError) as err:
                stub.ListDeliveries(pb.ListDeliveriesRequest(), timeout=10)
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_an_alert_storm_of_1000_over_50_incidents_makes_at_most_50_messages_per_channel(notify_db):
    robots = ("wecom", "dingtalk")
    for i in range(1000):
        incident = f"7f1c1c5e-0000-4000-8000-{i % 50:012d}"
        env = ticket_event("sla_breached", ticket_id=incident, assignee=None, group_id=None, target="response")
        consume(notify_db, env, configured=robots, now=T0 + timedelta(milliseconds=100 * i))
    with notify_db() as u:
        counts = u.conn.execute(sa.text(
            "SELECT channel, count(*), sum(repeats), count(DISTINCT subject_key) FROM deliveries GROUP BY channel"
        )).all()
    assert sorted(tuple(r) for r in counts) == [("dingtalk", 50, 950, 50), ("wecom", 50, 950, 50)]


def test_starttls_and_auth_against_a_server_that_requires_both(tmp_path):
    from tests.notify_peers import TlsAuthSmtpServer

    message = Message("email", "wang@ops.gov.cn", "【运维工单】测试", "正文 https://portal/tickets/1")
    with TlsAuthSmtpServer(tmp_path) as smtp:
        good = SmtpChannel("127.0.0.1", smtp.port, "noreply@ops.gov.cn", security="starttls", user=smtp.USER,
                           password=smtp.PASSWORD, timeout=5, ca_file=smtp.cert)
        assert good.send(message).ok
        wrong = SmtpChannel("127.0.0.1", smtp.port, "noreply@ops.gov.cn", security="starttls", user=smtp.USER,
                            password="nope", timeout=5, ca_file=smtp.cert)
        refused = wrong.send(message)
        assert not refused.ok and not refused.transient and "authentication" in refused.error
        # without the private CA the server's certificate is not trusted: never sent in clear instead
        untrusted = SmtpChannel("127.0.0.1", smtp.port, "noreply@ops.gov.cn", security="starttls",
                                user=smtp.USER, password=smtp.PASSWORD, timeout=5).send(message)
        assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        plain = SmtpChannel("127.0.0.1", smtp.port, "noreply@ops.gov.cn", timeout=5).send(message)
        assert not plain.ok
        assert len(smtp.mailbox.wait(1)) == 1 and smtp.logins.count(smtp.USER) == 2
    [mail] = smtp.mailbox.messages
    assert mail["Subject"] == "【运维工单】测试"


def test_org_snapshot_loads_the_directory_and_the_contacts(notify_db):
    snapshot = {"org_units": [{"org_unit_id": "czj", "name": "市财政局", "parent_id": None, "kind": "department"}],
                "staff": [{"staff_id": "C001", "name": "马超", "org_unit_id": "czj", "vendor_id": None, "active": True,
                           "email": "c001@demo.govops.local", "phone": "13700000001"}]}
    assert handlers.load_snapshot(notify_db(), snapshot) == 1
    with notify_db() as u:
        assert u.store.contact("C001") == {"staff_id": "C001", "email": "c001@demo.govops.local",
                                           "phone": "13700000001"}
        assert u.orgdir.staff_member("C001")["name"] == "马超"
        # the snapshot replaces the directory; a contact it does not mention is kept
        assert u.store.contact("E1001")["email"] == "wang@ops.gov.cn"


def test_staff_created_keeps_the_contact_addresses(notify_db):
    env = Envelope(id=str(uuid.uuid4()), source="org", type="govops.org.staff_created.v1", time=T0.isoformat(),
                   subject="E5001", org_unit_id="om-centre", correlationid=None,
                   data={"staff_id": "E5001", "name": "孙工", "org_unit_id": "om-centre", "vendor_id": None,
                         "active": True, "email": "sun@ops.gov.cn", "phone": "13600000005"})
    deliver(notify_db(), "notify.orgdir", env, lambda e, u: handlers.save_contact(e, u))
    with notify_db() as u:
        assert u.store.contact("E5001")["email"] == "sun@ops.gov.cn"


def event(source: str, name: str, data: dict, org_unit_id: str = "om-centre") -> Envelope:
    return Envelope(id=str(uuid.uuid4()), source=source, type=f"govops.{source}.{name}.v1", time=T0.isoformat(),
                    subject=data.get("ticket_id") or "x", org_unit_id=org_unit_id, correlationid=None, data=data)


def test_comments_rectifications_qualifications_and_evaluations_reach_their_people_once(notify_db):
    with notify_db() as u:
        d = u.orgdir
        d.apply("position_created", {"position_id": "pos-director", "org_unit_id": "om-centre", "code": "pos-director",
                                     "name": "运维中心主任",
                                     "responsibilities": [{"kind": "process", "value": "vendor"},
                                                          {"kind": "approval", "value": "change"}]})
        d.apply("staff_created", {"staff_id": "D0001", "name": "王主任", "org_unit_id": "om-centre"})
        u.store.save_contact("D0001", "director@ops.gov.cn", "")
        d.apply("staff_assigned", {"staff_id": "D0001", "position_id": "pos-director", "start_date": "2026-01-01"})
        u.commit()
    # the engineer's public comment: the requester (notification centre: R3001 has no address), not the author
    comment = ticket_event("comment_added", comment_id=7, author="wanggong", author_staff_id="E1001",
                           visibility="public", body="已更换光模块，请确认")
    assert consume(notify_db, comment) == 0
    with notify_db() as u:
        [note] = u.store.notifications(["R3001"], unread_only=True, offset=0, limit=5)[0]
        assert "已更换光模块" in note["body"] and not u.store.notifications(["E1001"], unread_only=False,
                                                                          offset=0, limit=5)[0]
    # the requester's comment: the assignee's mail
    assert consume(notify_db, ticket_event("comment_added", comment_id=8, author="R3001", author_staff_id=None,
                                           visibility="public", body="仍然无法访问")) == 1
    rect = event("evaluation", "rectification_opened", {
        "rectification_id": "r-1", "owner_position": "pos-net-lead", "indicator_name": "一次解决率",
        "object_id": "om-centre/group/grp-net", "actual": 0.62, "baseline": 0.8, "due_date": "2026-12-31",
        "actions": ["分析原因"], "ticket_id": TICKET, "org_unit_id": "om-centre"})
    qual = event("outsource", "qualification_expiring", {"vendor_id": "vendor-hx", "qualification_id": "q-1",
                                                         "name": "信息系统建设和服务能力等级证书",
                                                         "expires_on": "2026-12-09", "days_left": 7})
    plan = event("evaluation", "evaluation_published", {
        "plan_id": "p-1", "name": "2026年11月运维绩效评价", "subject_org_unit_id": "om-centre",
        "period_start": "2026-11-01", "period_end": "2026-11-30", "results": [{"org_unit_id": "om-centre"}]})
    for env in (rect, qual, plan):
        assert consume(notify_db, env) == 1
        assert consume(notify_db, env) is None  # redelivered: nothing twice
    by_kind = {r["kind"]: r for r in rows(notify_db)}
    assert by_kind["comment_added"]["address"] == "wang@ops.gov.cn"
    assert by_kind["rectification_assigned"]["address"] == "li@ops.gov.cn"
    assert by_kind["qualification_expiring"]["address"] == "director@ops.gov.cn"
    assert by_kind["evaluation_published"]["address"] == "director@ops.gov.cn"
    with SmtpServer() as smtp:
        assert handlers.send_due(notify_db, {"email": smtp_channel(smtp)}, None, SETTINGS, now=Clock()) == 4
        received = list(smtp.mailbox.wait(4))
    mails = {m["To"]: m for m in received}
    assert sorted(m["Subject"][:6] for m in received if m["To"] == "director@ops.gov.cn") == \
        ["【绩效评价】", "【资质到期】"]
    assert mails["li@ops.gov.cn"]["Subject"].startswith("【整改任务】一次解决率")
    rect_text = mails["li@ops.gov.cn"].get_body(("plain",)).get_content()
    assert f"https://portal.example.gov.cn/tickets/{TICKET}" in rect_text
    assert "仍然无法访问" in mails["wang@ops.gov.cn"].get_body(("plain",)).get_content()


def test_an_administrator_edits_a_template_and_a_broken_one_falls_back_and_is_reported(
        notify_db, grpc_server, signer):
    from govops.notify.v1 import notify_pb2 as pb
    from govops.notify.v1 import notify_pb2_grpc

    target = grpc_server("notify")["notify"]
    admin = signer.mint("admin", perms=["notify.admin"], scopes=[{"unit": "*"}])
    with grpc_channel(target, admin) as ch:
        stub = notify_pb2_grpc.NotifyServiceStub(ch)
        listed = stub.ListTemplates(pb.ListTemplatesRequest(kind="ticket_assigned"), timeout=10).templates
        assert {t.channel for t in listed} == {"email", "sms", "wecom_app", "wecom", "dingtalk", "inapp"}
        assert not any(t.custom for t in listed)
        assert listed[0].preview_subject == "【运维工单】INC-2026-000042 已分派给您"
        # a syntax error is refused on save, naming the field
        with pytest.raises(grpc.RpcError) as err:
            stub.UpdateTemplate(pb.UpdateTemplateRequest(kind="ticket_assigned", channel="email",
                                                         subject="{{ number }}", text="{% if %}"), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "text" in err.value.details()
        with pytest.raises(grpc.RpcError) as err:
            stub.UpdateTemplate(pb.UpdateTemplateRequest(kind="no_such", channel="fax", subject="x", text="y"),
                                timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "kind" in err.value.details() and "channel" in err.value.details()
        saved = stub.UpdateTemplate(pb.UpdateTemplateRequest(
            kind="ticket_assigned", channel="email", subject="【派单】{{ number }}",
            text="{{ title }} 请处理：{{ link }}"), timeout=10).template
        assert (saved.custom, saved.version, saved.updated_by) == (True, 1, "admin")
        assert saved.preview_subject == "【派单】INC-2026-000042" and not saved.preview_error
    consume(notify_db, ticket_event("ticket_assigned"))
    # saved without a syntax error, failing at send time: an unknown variable (StrictUndefined)
    with grpc_channel(target, admin) as ch:
        stub = notify_pb2_grpc.NotifyServiceStub(ch)
        broken = stub.UpdateTemplate(pb.UpdateTemplateRequest(
            kind="ticket_assigned", channel="email", subject="【派单】{{ number }}", text="{{ no_such_field.x }}"),
            timeout=10).template
        assert broken.version == 2 and broken.preview_error.startswith("UndefinedError")
        got = stub.GetTemplate(pb.GetTemplateRequest(kind="ticket_assigned", channel="email"), timeout=10)
        assert [v.version for v in got.versions] == [2, 1]
    second = ticket_event("ticket_assigned", ticket_id="7f1c1c5e-0000-4000-8000-000000000002", number="INC-2026-000043")
    consume(notify_db, second)
    with SmtpServer() as smtp:
        assert handlers.send_due(notify_db, {"email": smtp_channel(smtp)}, None, SETTINGS, now=Clock()) == 2
        mails = {m["Subject"]: m for m in smtp.mailbox.wait(2)}
    assert "【派单】INC-2026-000042" in mails  # the administrator's template
    fallback = mails["【GovOps】工单已分派给您：INC-2026-000043"]  # the plain default: sent, not dropped
    assert "政务外网核心交换机端口故障" in fallback.get_body(("plain",)).get_content()
    [failed] = rows(notify_db, event_id=second.id)
    assert failed["status"] == "sent" and failed["template_error"].startswith("UndefinedError")
    with notify_db() as u:  # the template's last editor is told
        [note] = u.store.notifications(["admin"], unread_only=True, offset=0, limit=5)[0]
    assert note["kind"] == "template_failed" and "第 2 版" in note["title"] and "UndefinedError" in note["body"]
    with grpc_channel(target, admin) as ch:
        reset = notify_pb2_grpc.NotifyServiceStub(ch).ResetTemplate(
            pb.ResetTemplateRequest(kind="ticket_assigned", channel="email"), timeout=10).template
        assert not reset.custom and reset.subject == reset.default_subject
    with grpc_channel(target, signer.mint("wang", perms=["notify.self"], scopes=[{"unit": "om-centre"}],
                                          extra={"staff_id": "E1001"})) as ch:
        with pytest.raises(grpc.RpcError) as err:
            notify_pb2_grpc.NotifyServiceStub(ch).ListTemplates(pb.ListTemplatesRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def wecom_app_env(rx) -> dict:
    return {"GOVOPS_NOTIFY_WECOM_APP_CORP_ID": rx.CORP_ID, "GOVOPS_NOTIFY_WECOM_APP_SECRET": rx.CORP_SECRET,
            "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID": str(rx.AGENT_ID), "GOVOPS_NOTIFY_WECOM_APP_API_BASE": rx.base,
            "GOVOPS_NOTIFY_TIMEOUT_SECONDS": "5"}


def test_wecom_application_messages_reach_the_person_and_renew_an_expired_token(notify_db):
    from notify.adapters.channels import load_channels

    with Receiver() as rx:
        channels = load_channels(wecom_app_env(rx))
        app = channels["wecom_app"]
        with notify_db() as u:
            from notify.domain.model import Preferences

            u.store.save_preferences(Preferences("E1001", {"ticket_assigned": ("wecom_app", "email")}))
            u.commit()
        assert consume(notify_db, ticket_event("ticket_assigned"), configured={"wecom_app"}) == 1
        clock = Clock()
        assert handlers.send_due(notify_db, channels, None, SETTINGS, now=clock) == 1
        [msg] = rx.received["wecom_app"]
        assert (msg["touser"], msg["agentid"], msg["msgtype"]) == ("E1001", rx.AGENT_ID, "markdown")
        assert "INC-2026-000042" in msg["markdown"]["content"]
        assert f"https://portal.example.gov.cn/tickets/{TICKET}" in msg["markdown"]["content"]
        [row] = rows(notify_db, status="sent")
        assert row["provider_message_id"] == "wxmsg-1" and row["address"] == "E1001"
        # the token is cached: a second message asks for none
        consume(notify_db, ticket_event("ticket_assigned", ticket_id="7f1c1c5e-0000-4000-8000-000000000009"),
                configured={"wecom_app"})
        handlers.send_due(notify_db, channels, None, SETTINGS, now=clock)
        assert (rx.token_requests, len(rx.received["wecom_app"])) == (1, 2)
        # WeCom expired it before our clock did (42001): a new token, the same message sent once
        rx.expire_tokens()
        consume(notify_db, ticket_event("ticket_assigned", ticket_id="7f1c1c5e-0000-4000-8000-00000000000a"),
                configured={"wecom_app"})
        handlers.send_due(notify_db, channels, None, SETTINGS, now=clock)
        assert (rx.token_requests, len(rx.received["wecom_app"]), app.tokens_fetched) == (2, 3, 2)
        # its rate limit is transient; a user WeCom does not know is refused at once
        rx.answers["wecom_app"].append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
        assert not app.send(Message("wecom_app", "E1001", "s", "t")).ok
        assert app.send(Message("wecom_app", "E1001", "s", "t")).ok
        unknown = app.send(Message("wecom_app", "X9999", "s", "t"))
        assert not unknown.ok and not unknown.transient and "X9999" in unknown.error
        assert not rx.rejected
    # a wrong secret: gettoken's 40001 refuses the message (dead at once, not retried for hours)
    with Receiver() as rx:
        bad = load_channels({**wecom_app_env(rx), "GOVOPS_NOTIFY_WECOM_APP_SECRET": "wrong"})["wecom_app"]
        result = bad.send(Message("wecom_app", "E1001", "s", "t"))
        assert not result.ok and not result.transient and "40001" in result.error


def test_a_requester_without_a_staff_record_is_mailed_at_the_address_org_has_for_the_login(notify_db):
    contact = event("org", "user_contact_changed", {"username": "zhulin", "staff_id": None,
                                                    "email": "zhulin@example.gov.cn", "mobile": "13800000001"})
    assert deliver(notify_db(), "notify.on_user_contact_changed", contact,
                   lambda e, u: handlers.save_user_contact(e, u)).result is None
    resolved = ticket_event("ticket_resolved", requester="zhulin", resolution_code="fixed")
    assert consume(notify_db, resolved) == 1
    with SmtpServer() as smtp:
        assert handlers.send_due(notify_db, {"email": smtp_channel(smtp)}, None, SETTINGS, now=Clock()) == 1
        [mail] = smtp.mailbox.wait(1)
    assert mail["To"] == "zhulin@example.gov.cn" and mail["Subject"] == "【运维工单】INC-2026-000042 已解决"
    assert f"https://portal.example.gov.cn/tickets/{TICKET}" in mail.get_body(("plain",)).get_content()
    # org's snapshot carries the logins' addresses too (sync_org_directory, the demo seed)
    handlers.load_snapshot(notify_db(), {"user_contacts": [{"username": "huj", "staff_id": None,
                                                             "email": "huj@example.gov.cn", "mobile": ""}]})
    with notify_db() as u:
        assert u.store.contact("huj")["email"] == "huj@example.gov.cn"
        assert u.store.contact("E1001")["email"] == "wang@ops.gov.cn"  # a staff id: org's staff record
        assert u.store.contact("nobody") == {"staff_id": "nobody", "email": "", "phone": ""}


def test_a_requester_without_a_staff_record_chooses_their_own_channels(notify_db, grpc_server, signer):
    """Preferences are kept under the login when the caller has no staff record (they were refused
    before), and the requester's own events follow them; WeCom, which knows staff ids only, is not
    theirs to choose."""
    from govops.notify.v1 import notify_pb2 as pb
    from govops.notify.v1 import notify_pb2_grpc

    handlers.load_snapshot(notify_db(), {"user_contacts": [{"username": "zhulin", "staff_id": None,
                                                             "email": "zhulin@example.gov.cn",
                                                             "mobile": "13800000001"}]})
    target = grpc_server("notify")["notify"]
    with grpc_channel(target, signer.mint("zhulin", perms=["notify.self"], scopes=[{"unit": "fgw"}])) as ch:
        stub = notify_pb2_grpc.NotifyServiceStub(ch)
        assert stub.GetPreferences(pb.GetPreferencesRequest(), timeout=10).preferences == pb.Preferences()
        prefs = pb.Preferences(kinds=[pb.KindChannels(kind="ticket_resolved", channels=[pb.CHANNEL_SMS])])
        assert stub.SetPreferences(pb.SetPreferencesRequest(preferences=prefs), timeout=10).preferences == prefs
        assert stub.GetPreferences(pb.GetPreferencesRequest(), timeout=10).preferences == prefs
        with pytest.raises(grpc.RpcError) as err:
            stub.SetPreferences(pb.SetPreferencesRequest(preferences=pb.Preferences(kinds=[pb.KindChannels(
                kind="ticket_resolved", channels=[pb.CHANNEL_EMAIL, pb.CHANNEL_WECOM_APP])])), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "staff only" in err.value.details()
        assert stub.GetPreferences(pb.GetPreferencesRequest(), timeout=10).preferences == prefs  # unchanged
    # their resolved ticket goes by SMS only, as they chose (e-mail, the default, no more)
    assert consume(notify_db, ticket_event("ticket_resolved", requester="zhulin"), configured=("email", "sms")) == 1
    with notify_db() as u:
        rows = u.conn.execute(sa.text("SELECT recipient, channel, address FROM deliveries "
                                      "WHERE recipient = 'zhulin'")).all()
    assert [tuple(r) for r in rows] == [("zhulin", "sms", "13800000001")]


def test_a_change_awaiting_approval_mails_the_holders_of_the_awaited_positions_once(notify_db):
    env = ticket_event("change_awaiting_approval", number="CHG-2026-000007", change_type="normal", risk="high",
                       emergency=False, status="awaiting_approval",
                       steps=[{"step": "cab", "org_unit_id": "om-centre", "positions": ["pos-net-lead"]}])
    assert consume(notify_db, env) == 1
    assert consume(notify_db, env) is None
    with SmtpServer() as smtp:
        assert handlers.send_due(notify_db, {"email": smtp_channel(smtp)}, None, SETTINGS, now=Clock()) == 1
        [mail] = smtp.mailbox.wait(1)
    assert mail["To"] == "li@ops.gov.cn" and mail["Subject"] == "【变更审批】CHG-2026-000007 等待您审批"
    assert "变更咨询委员会（CAB）审批" in mail.get_body(("plain",)).get_content()


def test_an_overdue_rectification_reaches_its_owner_and_a_shortfall_record_does_not(notify_db):
    record = {"record_id": "a-1", "rectification_id": "r-9", "org_unit_id": "om-centre",
              "object_id": "om-centre/group/grp-net", "indicator_code": "ind_first_contact", "level": "formal_talk",
              "reason": "整改逾期16天", "recorded_by": "system", "owner_position": "pos-net-lead", "days_overdue": 16}
    assert consume(notify_db, event("evaluation", "accountability_recorded", record)) == 1
    shortfall = {**record, "record_id": "a-2", "reason": "连续3个评价周期低于基线", "days_overdue": None}
    assert consume(notify_db, event("evaluation", "accountability_recorded", shortfall)) == 0
    with SmtpServer() as smtp:
        assert handlers.send_due(notify_db, {"email": smtp_channel(smtp)}, None, SETTINGS, now=Clock()) == 1
        [mail] = smtp.mailbox.wait(1)
    assert mail["To"] == "li@ops.gov.cn" and mail["Subject"] == "【整改逾期】om-centre/group/grp-net 的整改已逾期 16 天"
    assert "「约谈」" in mail.get_body(("plain",)).get_content()
