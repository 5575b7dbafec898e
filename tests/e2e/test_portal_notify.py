"""The notify pages of the web portal, end to end: org, ticket and notify as real processes (e-mail
pointed at an aiosmtpd server, the DingTalk robot at the signature-checking receiver of
tests/notify_peers.py) behind `govops-portal`, driven in Debian's Chromium.

A requester reads the engineer's public comment in their notification centre and marks it read;
the engineer, who was mailed the assignment, chooses channels and quiet hours; an administrator
finds a dead robot delivery in the delivery log by its filters and replays it (then it is sent),
and edits a template: a syntax error is shown at the field, a valid one is saved with a preview.
Screenshots notify-NN-*.png in .test-output/screens/."""

from __future__ import annotations

import pytest

from govkit.client import channel
from govkit.stack import Stack, free_port
from govops.notify.v1 import notify_pb2 as npb
from govops.notify.v1 import notify_pb2_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.catchup import until_caught_up, wait_until
from tests.e2e.browser import PASSWORD, at, log_in, serve_portal, shot
from tests.notify_peers import Receiver, SmtpServer

UNIT, ENGINEER = "ntfw-dept", "E-NTFW-01"


@pytest.fixture(scope="module")
def site(tmp_path_factory, namespace):
    with SmtpServer() as smtp, Receiver() as robot:
        stack = Stack(f"govops_{namespace['ns']}_e2enotifyweb", tmp_path_factory.mktemp("notify-web"),
                      services=("org", "ticket", "notify"), redis_db=namespace["e2e_redis_db"],
                      extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port()),
                                 "GOVOPS_NOTIFY_SMTP_HOST": "127.0.0.1", "GOVOPS_NOTIFY_SMTP_PORT": str(smtp.port),
                                 "GOVOPS_NOTIFY_SMTP_FROM": "noreply@ops.gov.cn",
                                 "GOVOPS_NOTIFY_DINGTALK_WEBHOOK_URL": robot.dingtalk_url,
                                 "GOVOPS_NOTIFY_DINGTALK_SECRET": robot.DINGTALK_SECRET,
                                 "GOVOPS_NOTIFY_POLL_SECONDS": "0.5"})
        stack.prepare()
        for svc in stack.services:
            stack.process(svc, "grpc")
        stack.start()
        try:
            with serve_portal(stack) as url:
                yield stack, url, smtp.mailbox, robot
        finally:
            stack.destroy()


@pytest.fixture(scope="module")
def story(site):
    """Users, a ticket the requester submitted, assigned to the engineer, and his public comment."""
    stack, _, mailbox, _ = site
    admin = stack.token()
    stack.create_org_units([(UNIT, "市数据局", "", "department")])
    with channel(stack.target("org"), admin) as ch:
        org, ident = org_pb2_grpc.OrgServiceStub(ch), org_pb2_grpc.IdentityServiceStub(ch)
        org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id=ENGINEER, name="赵工", org_unit_id=UNIT,
                                                           email="zhao@ops.gov.cn")), timeout=10)
        for user, name, role, staff in (("ntfw-req", "数据局 孙丽", "requester", ""),
                                        ("ntfw-eng", "网络工程师 赵工", "engineer", ENGINEER),
                                        ("ntfw-admin", "运维中心主任", "om_centre_director", "")):
            ident.CreateUser(opb.CreateUserRequest(username=user, password=PASSWORD, display_name=name,
                                                   staff_id=staff), timeout=10)
            org.GrantRole(opb.GrantRoleRequest(subject=user, role=role, org_unit_id=UNIT, subtree=True), timeout=10)
    requester = stack.token(subject="ntfw-req", perms=["ticket.create", "ticket.read", "ticket.comment"],
                            scopes=[{"unit": UNIT, "subtree": True}])
    with channel(stack.target("ticket"), requester) as ch:
        ticket = until_caught_up(lambda: ticket_pb2_grpc.TicketServiceStub(ch).CreateTicket(tpb.CreateTicketRequest(
            title="数据共享交换平台接口超时", org_unit_id=UNIT, category=tpb.CATEGORY_APPLICATION,
            priority=tpb.PRIORITY_HIGH, idempotency_key="ntfw-1"), timeout=10), "ticket knows the unit").ticket
    with channel(stack.target("ticket"), admin) as ch:
        until_caught_up(lambda: ticket_pb2_grpc.TicketServiceStub(ch).AssignTicket(
            tpb.AssignTicketRequest(ticket_id=ticket.id, assignee=ENGINEER), timeout=10), "ticket knows the engineer")
    engineer = stack.token(subject="ntfw-eng", perms=["ticket.work", "ticket.read", "ticket.comment"],
                           scopes=[{"unit": UNIT, "subtree": True}], extra={"staff_id": ENGINEER})
    with channel(stack.target("ticket"), engineer) as ch:
        ticket_pb2_grpc.TicketServiceStub(ch).AddComment(tpb.AddCommentRequest(
            ticket_id=ticket.id, body="已更换光模块，请您确认接口是否恢复。"), timeout=10)
    wait_until(lambda: any(m["To"] == "zhao@ops.gov.cn" for m in mailbox.messages), "the engineer's assignment mail")
    return ticket


def _notify(stack, token):
    return notify_pb2_grpc.NotifyServiceStub(channel(stack.target("notify"), token))


def test_the_requester_reads_the_engineers_comment_and_marks_it_read(site, story, browser):
    stack, url, _, _ = site
    requester = stack.token(subject="ntfw-req", perms=["notify.self"], scopes=[{"unit": UNIT, "subtree": True}])
    wait_until(lambda: _notify(stack, requester).ListMyNotifications(npb.ListMyNotificationsRequest(), timeout=10)
          .notifications, "the comment notification")
    page = browser()
    log_in(page, url, "ntfw-req")
    page.get_by_role("link", name="消息中心", exact=True).click()
    page.wait_for_url(at("/notify/inbox"))
    table = page.locator("[data-test=notifications]")
    table.get_by_text(f"【运维工单】{story.number} 有新的留言").wait_for()
    assert "已更换光模块" in table.inner_text()
    shot(page, "notify-01-inbox")
    page.locator("[data-test=mark-all]").click()
    page.get_by_text("已标记 1 条为已读").wait_for()
    table.get_by_text("暂无消息").wait_for()  # "unread only" is on
    # a department user without a staff record sets their own channels: e-mail and SMS, not WeCom
    page.get_by_role("tab", name="接收设置").click()
    page.locator("[data-test=wecom-staff-only]").get_by_text("您的账号没有关联人员信息").wait_for()
    row = page.locator("[data-test=prefs-comment_added]")
    assert row.get_by_text("企业微信消息").count() == 0
    row.get_by_text("短信").click()
    page.locator("[data-test=save-prefs]").click()
    page.get_by_text("接收设置已保存").wait_for()
    shot(page, "notify-02-requester-preferences")
    prefs = _notify(stack, requester).GetPreferences(npb.GetPreferencesRequest(), timeout=10).preferences
    assert {k.kind: list(k.channels) for k in prefs.kinds}["comment_added"] == [npb.CHANNEL_EMAIL, npb.CHANNEL_SMS]


def test_the_engineer_chooses_channels_and_quiet_hours(site, story, browser):
    stack, url, _, _ = site
    page = browser()
    log_in(page, url, "ntfw-eng")
    page.goto(f"{url}/notify/inbox")
    page.locator("[data-test=notifications]").get_by_text(f"【运维工单】{story.number} 已分派给您").wait_for()
    page.get_by_role("tab", name="接收设置").click()
    row = page.locator("[data-test=prefs-sla_breached]")
    row.get_by_text("短信").click()
    row.get_by_text("企业微信消息").click()
    page.locator("[data-test=prefs-comment_added]").get_by_text("电子邮件").click()  # untick: centre only
    page.locator("[data-test=quiet-start]").click()
    # each list by its own popper: the other one may still be in the page, fading out
    page.locator(".quiet-start-options").get_by_role("option", name="22:00", exact=True).click()
    page.locator("[data-test=quiet-end]").click()
    page.locator(".quiet-end-options").get_by_role("option", name="07:00", exact=True).click()
    page.locator("[data-test=save-prefs]").click()
    page.get_by_text("接收设置已保存").wait_for()
    shot(page, "notify-03-preferences")
    engineer = stack.token(subject="ntfw-eng", perms=["notify.self"], scopes=[{"unit": UNIT, "subtree": True}],
                           extra={"staff_id": ENGINEER})
    prefs = _notify(stack, engineer).GetPreferences(npb.GetPreferencesRequest(), timeout=10).preferences
    chosen = {k.kind: list(k.channels) for k in prefs.kinds}
    assert chosen["sla_breached"] == [npb.CHANNEL_EMAIL, npb.CHANNEL_SMS, npb.CHANNEL_WECOM_APP]
    assert chosen["comment_added"] == [] and chosen["ticket_assigned"] == [npb.CHANNEL_EMAIL]
    assert (prefs.quiet_start, prefs.quiet_end) == ("22:00", "07:00")


def test_the_administrator_replays_a_dead_robot_delivery_from_the_log(site, story, browser):
    stack, url, _, robot = site
    admin = stack.token(subject="ntfw-admin", perms=["notify.admin"], scopes=[{"unit": "*", "subtree": True}])
    robot.answers["dingtalk"].append((200, {"errcode": 310000, "errmsg": "sign not match"}))  # refused once
    dead = _notify(stack, admin).SendTestMessage(npb.SendTestMessageRequest(channel=npb.CHANNEL_DINGTALK),
                                                 timeout=30).delivery
    assert dead.status == npb.DELIVERY_STATUS_DEAD and "310000" in dead.last_error
    page = browser(viewport=(1440, 900))
    log_in(page, url, "ntfw-admin")
    page.get_by_role("link", name="通知投递记录", exact=True).click()
    page.wait_for_url(at("/notify/deliveries"))
    page.locator("[data-test=f-status]").click()
    page.get_by_role("option", name="发送失败").click()
    page.locator("[data-test=f-channel]").click()
    page.get_by_role("option", name="钉钉群机器人").click()
    page.locator("[data-test=search]").click()
    table = page.locator("[data-test=deliveries]")
    table.get_by_text("【测试】GovOps 通知测试消息").wait_for()
    page.get_by_text("共 1 条").wait_for()
    table.locator(".el-table__body .el-checkbox").first.click()
    shot(page, "notify-04-deliveries-dead")
    page.locator("[data-test=replay-selected]").click()
    page.get_by_text("已重新排队 1 条").wait_for()
    def replayed_sent() -> bool:
        [d] = _notify(stack, admin).ListDeliveries(npb.ListDeliveriesRequest(
            filter=npb.DeliveryFilter(event_id=dead.event_id)), timeout=10).deliveries
        return d.status == npb.DELIVERY_STATUS_SENT

    wait_until(replayed_sent, "the replayed delivery to be sent")
    page.locator("[data-test=f-status]").click()
    page.get_by_role("option", name="已送达").click()
    page.locator("[data-test=search]").click()
    table.get_by_text("【测试】GovOps 通知测试消息").wait_for()
    table.get_by_text("已送达").first.wait_for()
    shot(page, "notify-05-deliveries-replayed")
    assert any("测试" in m["markdown"]["title"] for m in robot.received["dingtalk"])


def test_the_administrator_edits_a_template_and_sees_a_syntax_error_at_the_field(site, story, browser):
    stack, url, _, _ = site
    page = browser(viewport=(1440, 960))
    log_in(page, url, "ntfw-admin")
    page.goto(f"{url}/notify/templates")
    page.locator("[data-test=template-kinds]").get_by_text("工单有新的留言").click()
    page.locator("[data-test=tpl-preview]").get_by_text("【运维工单】INC-2026-000042 有新的留言").wait_for()
    text = page.locator("textarea[data-test=tpl-text], [data-test=tpl-text] textarea")
    text.fill("{% if body %}{{ body }")
    page.locator("[data-test=tpl-save]").click()
    page.get_by_text("模板有语法错误").wait_for()
    page.locator(".el-form-item__error").first.wait_for()
    shot(page, "notify-06-template-error")
    text.fill("{{ number }}「{{ title }}」有新留言：\n{{ body }}\n请登录门户查看：{{ link }}")
    page.locator("[data-test=tpl-save]").click()
    page.get_by_text("已保存第 1 版").wait_for()
    page.locator("[data-test=tpl-preview]").get_by_text("INC-2026-000042「政务外网核心交换机端口故障」有新留言：").wait_for()
    shot(page, "notify-07-template-saved")
    admin = stack.token(subject="ntfw-admin", perms=["notify.admin"], scopes=[{"unit": "*", "subtree": True}])
    got = _notify(stack, admin).GetTemplate(npb.GetTemplateRequest(kind="comment_added", channel="email"), timeout=10)
    assert got.template.custom and got.template.updated_by == "ntfw-admin" and [v.version for v in got.versions] == [1]
