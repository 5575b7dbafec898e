"""The operations window in a real browser (Debian's Chromium through Playwright) on the whole stack:
an engineer lands on the work queue, claims a ticket from the group queue, asks the requester for
information (the requester supplies it over gRPC) and resolves it; a new ticket appears in the open
queue page without a reload (WatchQueue through the gateway's SSE bridge); two engineers claim one
ticket and the loser is told who has it; the group lead reassigns with the on-duty list and loads;
the engineer's open work page shows the lead's comment and reassignment live, keeping his draft;
saved queue views follow the engineer to another browser (kept by the ticket service), and views an
earlier version kept in the browser move there. Screenshots: .test-output/screens/ops-NN-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from govkit.client import channel
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.catchup import wait_until
from tests.e2e.browser import at, choose, create_users, log_in, shot

GROUP, ITEM = "ops-grp-net", "ops.e2e.network"
STAFF = {"OPS-E1": "王磊", "OPS-E2": "李娜", "OPS-L1": "赵强"}


def _ts(dt: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(dt)
    return ts


@pytest.fixture(scope="module")
def crew(stack):
    """A district of its own (the stack is shared): a department, a network group of two engineers
    and a lead, nobody on duty yet, and a catalogue item routed to the group."""
    admin = stack.token()
    org = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), admin))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id="ops-gov", name="某县人民政府", kind=opb.ORG_UNIT_KIND_GOVERNMENT))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id="ops-tjj", name="县统计局", parent_id="ops-gov",
                                               kind=opb.ORG_UNIT_KIND_DEPARTMENT))
    for sid, name in STAFF.items():
        org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id=sid, name=name, org_unit_id="ops-gov")))
    org.CreateSupportGroup(opb.CreateSupportGroupRequest(group=opb.SupportGroup(
        id=GROUP, name="县网络组", org_unit_id="ops-gov")))
    for sid in STAFF:
        org.AddGroupMember(opb.AddGroupMemberRequest(group_id=GROUP, staff_id=sid))
    users = {"ops-eng1": ("王磊", "engineer", "ops-gov"), "ops-eng2": ("李娜", "engineer", "ops-gov"),
             "ops-lead": ("赵强", "group_lead", "ops-gov"), "ops-req": ("统计局 孙悦", "requester", "ops-tjj")}
    create_users(stack, users, staff={"ops-eng1": "OPS-E1", "ops-eng2": "OPS-E2", "ops-lead": "OPS-L1"})
    tickets = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), admin))
    schema = Struct()
    schema.update({"type": "object", "properties": {"location": {"type": "string", "title": "地点"}}})
    tickets.UpsertCatalogueItem(tpb.UpsertCatalogueItemRequest(item=tpb.CatalogueItem(
        id=ITEM, parent_id="infra.network", name="县网络故障", category="infrastructure",
        kind=tpb.CATALOGUE_ITEM_KIND_ITEM, ticket_type="incident", impact="medium", urgency="medium",
        group_id=GROUP, form_schema=schema, active=True)), timeout=10)
    wait_until(lambda: len(_members(tickets)) == 3, "the group and its members in ticket's org directory")
    return org, tickets


def _members(tickets) -> list:
    try:
        return list(tickets.ListGroupWorkload(tpb.ListGroupWorkloadRequest(group_ids=[GROUP]), timeout=10)
                    .groups[0].members)
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return []


def _requester(stack):
    token = stack.token(subject="ops-req", perms=["ticket.create", "ticket.read", "ticket.comment"],
                        scopes=[{"unit": "ops-tjj", "subtree": True}])
    return ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), token))


def _report(stack, title: str) -> tpb.Ticket:
    form = Struct()
    form.update({"location": "二楼机房"})
    return _requester(stack).SubmitRequest(tpb.SubmitRequestRequest(
        catalogue_item_id=ITEM, title=title, org_unit_id="ops-tjj", form=form), timeout=10).ticket


def test_an_engineer_works_a_ticket_from_the_group_queue_and_the_lead_reassigns(stack, crew, portal, browser):
    org, tickets = crew
    first = _report(stack, "统计局二楼网络中断")
    assert not first.assignee and first.group_id == GROUP  # nobody on duty: it waits in the group queue

    page = browser()
    log_in(page, portal, "ops-eng1")  # staff land on their queue, not on the catalogue
    assert page.url.endswith("/ops/queue")
    page.locator('[data-test="queue-tabs"]').get_by_text("本组队列").click()
    queue = page.locator('[data-test="queue"]')
    queue.get_by_text("统计局二楼网络中断").wait_for()
    page.locator('[data-test="queue-live"]').get_by_text("实时").wait_for()
    shot(page, "ops-01-group-queue")

    queue.get_by_role("link", name=first.number).click()
    page.wait_for_url(at("/ops/tickets/*"))
    page.locator('[data-test="claim"]').click()
    page.locator('[data-test="work-assignee"]').get_by_text("王磊").wait_for()
    page.locator('[data-test="start"]').click()
    page.locator('[data-test="work-status"]').get_by_text("处理中").wait_for()
    page.locator('[data-test="request-info"]').click()
    page.locator('textarea[data-test="info-question"]').fill("请提供故障终端的IP地址")
    page.locator('[data-test="dialog-apply"]').click()
    page.locator('[data-test="work-status"]').get_by_text("挂起").wait_for()
    page.get_by_text("等待申请人").wait_for()
    shot(page, "ops-02-pending-for-requester")
    paused = tickets.GetTicket(tpb.GetTicketRequest(id=first.id), timeout=10).ticket
    assert paused.status == tpb.TICKET_STATUS_PENDING and paused.pending_reason == "requester"

    _requester(stack).SupplyInfo(tpb.SupplyInfoRequest(ticket_id=first.id, body="终端IP为 10.8.2.17"), timeout=10)
    page.reload()
    page.locator('[data-test="work-status"]').get_by_text("处理中").wait_for()
    page.get_by_text("终端IP为 10.8.2.17").wait_for()
    page.locator('[data-test="resolve"]').click()
    page.locator('textarea[data-test="resolution-text"]').fill("更换了二楼接入交换机的故障端口")
    page.locator('[data-test="dialog-apply"]').click()
    page.locator('[data-test="work-status"]').get_by_text("已解决").wait_for()
    shot(page, "ops-03-resolved")
    done = tickets.GetTicket(tpb.GetTicketRequest(id=first.id), timeout=10).ticket
    assert done.status == tpb.TICKET_STATUS_RESOLVED and done.resolution_code == "fixed"
    assert done.assignee == "OPS-E1"

    # the open queue page shows a new ticket without a reload
    page.goto(f"{portal}/ops/queue")
    page.locator('[data-test="queue-tabs"]').get_by_text("本组队列").click()
    page.locator('[data-test="queue-live"]').get_by_text("实时").wait_for()
    second = _report(stack, "统计局三楼无线网络故障")
    queue.get_by_text("统计局三楼无线网络故障").wait_for()
    shot(page, "ops-04-new-ticket-live")

    # two engineers claim it: 李娜 over gRPC first, then 王磊 in the browser is told who has it
    eng2 = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(
        subject="ops-eng2", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "ops-tjj"}],
        extra={"staff_id": "OPS-E2"})))
    eng2.ClaimTicket(tpb.ClaimTicketRequest(ticket_id=second.id), timeout=10)
    row = queue.locator("tr", has_text="统计局三楼无线网络故障")
    row.get_by_text("李娜").wait_for()  # the queue updated live with the new assignee
    row.locator(".el-checkbox").click()
    page.locator('[data-test="bulk-claim"]').click()
    results = page.locator('[data-test="bulk-results"]')
    results.get_by_text("该工单已被 李娜 (OPS-E2) 认领").wait_for()
    shot(page, "ops-05-claim-race-lost")
    assert tickets.GetTicket(tpb.GetTicketRequest(id=second.id), timeout=10).ticket.assignee == "OPS-E2"

    # the lead reassigns it to whoever is on duty now, seeing each member's load
    now = datetime.now(UTC)
    org.PublishRoster(opb.PublishRosterRequest(
        group_id=GROUP, period_start=_ts(now - timedelta(hours=2)), period_end=_ts(now + timedelta(days=1)),
        shifts=[opb.Shift(staff_id="OPS-E1", starts_at=_ts(now - timedelta(hours=1)),
                          ends_at=_ts(now + timedelta(hours=8)))]), timeout=10)
    wait_until(lambda: any(m.staff_id == "OPS-E1" and m.on_duty for m in _members(tickets)),
          "the roster in ticket's org directory")
    lead = browser()
    log_in(lead, portal, "ops-lead")
    assert lead.url.endswith("/ops/queue")
    # a notification's link opens the requester's page of the ticket; staff go on from it to this window
    lead.goto(f"{portal}/tickets/{second.id}")
    lead.locator('[data-test="work-in-ops"]').click()
    lead.wait_for_url(at(f"/ops/tickets/{second.id}"))
    lead.locator('[data-test="work-assignee"]').get_by_text("李娜").wait_for()
    lead.locator('[data-test="assign"]').click()
    duty = lead.locator('[data-test="on-duty-list"]')
    wang = duty.locator("label", has_text="王磊")
    wang.get_by_text("在岗").wait_for()
    duty.locator("label", has_text="李娜").get_by_text("在办 1").wait_for()
    shot(lead, "ops-06-lead-on-duty-list")
    wang.click()
    lead.locator('[data-test="assign-apply"]').click()
    lead.locator('[data-test="work-assignee"]').get_by_text("王磊").wait_for()
    shot(lead, "ops-07-reassigned")
    assert tickets.GetTicket(tpb.GetTicketRequest(id=second.id), timeout=10).ticket.assignee == "OPS-E1"

    # 王磊's work page of it is live: while he is typing, the lead comments and reassigns it over
    # gRPC; the page shows both without a reload and keeps his draft
    page.goto(f"{portal}/ops/tickets/{second.id}")
    page.locator('[data-test="work-live"]').get_by_text("实时").wait_for()
    draft = page.locator('textarea[data-test="comment-body"]')
    draft.fill("正在排查三楼AP")
    lead_rpc = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(
        subject="ops-lead", name="赵组长", perms=["ticket.work", "ticket.assign", "ticket.read", "ticket.comment"],
        scopes=[{"unit": "ops-tjj"}], extra={"staff_id": "OPS-L1"})))
    lead_rpc.AddComment(tpb.AddCommentRequest(ticket_id=second.id, body="请优先检查三楼弱电间", internal=True),
                        timeout=10)
    page.get_by_text("请优先检查三楼弱电间").wait_for(timeout=30000)
    notice = page.locator('[data-test="work-live-notice"]')
    notice.get_by_text("赵组长 更新了此工单：新增评论").wait_for()  # who, from the stream
    lead_rpc.AssignTicket(tpb.AssignTicketRequest(ticket_id=second.id, assignee="OPS-E2"), timeout=10)
    page.locator('[data-test="work-assignee"]').get_by_text("李娜").wait_for(timeout=30000)
    notice.get_by_text("已改派（现处理人：李娜）").wait_for()
    notice.get_by_text("您未提交的输入已保留").wait_for()
    assert draft.input_value() == "正在排查三楼AP"
    shot(page, "ops-08-work-page-live")

    # the window in English
    lead.get_by_role("button", name="English").click()
    lead.get_by_role("heading", name="Audit trail").wait_for()
    lead.goto(f"{portal}/ops/queue")
    lead.get_by_role("heading", name="Work queues").wait_for()
    lead.locator('[data-test="queue-tabs"]').get_by_text("All (in my scope)").click()
    lead.locator('[data-test="queue"]').get_by_text("统计局三楼无线网络故障").wait_for()
    shot(lead, "ops-09-queue-english")
    lead.get_by_role("button", name="中文").click()


def test_saved_views_follow_the_engineer_to_another_browser(stack, crew, portal, browser):
    page = browser()
    # a view an earlier version kept in this browser's localStorage …
    page.goto(f"{portal}/login")
    page.evaluate("""() => localStorage.setItem('govops.ops.views.ops-eng2', JSON.stringify(
        [{ name: '旧的紧急视图', tab: 'all', groupId: '', filters: { priority: ['critical'] } }]))""")
    log_in(page, portal, "ops-eng2")
    views = page.get_by_label("已保存视图", exact=True)
    choose(page, views, "旧的紧急视图")  # … moved to the service on the first visit
    assert page.evaluate("() => localStorage.getItem('govops.ops.views.ops-eng2')") is None
    page.locator('[data-test="queue-tabs"] .is-active').get_by_text("全部（权限范围内）").wait_for()

    page.locator('[data-test="queue-tabs"]').get_by_text("本组队列").click()
    page.locator('[data-test="save-view"]').click()
    prompt = page.get_by_role("dialog", name="保存当前视图")
    prompt.get_by_role("textbox").fill("本组 全部工单")
    prompt.get_by_role("button", name="确定").click()
    page.get_by_text("视图已保存").wait_for()

    # another browser (a fresh profile: nothing in its localStorage) shows both, in pinyin order
    other = browser()
    log_in(other, portal, "ops-eng2")
    assert other.locator('[data-test="queue-tabs"] .is-active').inner_text().strip() == "我的队列"
    other.get_by_label("已保存视图", exact=True).locator(
        "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' el-select__wrapper ')][1]").click()
    options = other.locator(".el-select-dropdown__item:visible")
    options.first.wait_for()
    assert options.all_inner_texts() == ["本组 全部工单", "旧的紧急视图"]  # běn before jiù
    shot(other, "ops-09-saved-views")
    options.get_by_text("本组 全部工单").click()
    other.locator('[data-test="queue-tabs"] .is-active').get_by_text("本组队列").wait_for()
    other.locator('[data-test="queue"]').wait_for()
