"""The web portal end to end: the real stack (all ten processes) plus `govops-portal` serving the
built web app, driven in Debian's Chromium through Playwright (never Playwright's own browser
download). A requester logs in, submits a catalogue request with a form error then a valid form,
sees it in "my tickets"; an engineer resolves it over gRPC; the requester confirms and rates it in
the browser; another department's user gets "not found" for its URL. Screenshots of the main pages
are kept under .test-output/screens/ (look at them after a change to the web app).

Also over plain HTTP against the same processes: live KPIs arrive as Server-Sent Events."""

from __future__ import annotations

import json
import time

import grpc
import httpx2 as httpx
import pytest

from govkit.client import channel
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.e2e.browser import PASSWORD, at, create_users, dropdowns_closed, log_in, shot


@pytest.fixture(scope="module")
def people(stack):
    """Two departments of their own (the stack is shared with other e2e tests) and their users."""
    admin = stack.token()
    org = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), admin))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id="ptl-gov", name="某区人民政府", kind=opb.ORG_UNIT_KIND_GOVERNMENT))
    for unit, name in (("ptl-tjj", "区统计局"), ("ptl-sjj", "区审计局")):
        org.CreateOrgUnit(opb.CreateOrgUnitRequest(id=unit, name=name, parent_id="ptl-gov",
                                                   kind=opb.ORG_UNIT_KIND_DEPARTMENT))
    # a published knowledge article for the item, suggested while the requester types the title
    tickets = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), admin))
    article = tickets.CreateArticle(tpb.CreateArticleRequest(
        title="会议室网络中断自助排查", body="先确认网线插好、网口指示灯亮，再重新获取IP地址。",
        catalogue_item_ids=["infra.network.fault"]), timeout=10).article
    tickets.ReviseArticle(tpb.ReviseArticleRequest(id=article.id, action=tpb.ARTICLE_ACTION_PUBLISH), timeout=10)
    # the engineer who resolves (org's staff event reaches ticket's org directory through the workers)
    org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id="E-PTL-01", name="区网络工程师", org_unit_id="ptl-gov")))
    users = {"ptl-req": ("统计局 刘芳", "requester", "ptl-tjj"), "ptl-other": ("审计局 陈明", "requester", "ptl-sjj"),
             "ptl-dir": ("区运维主任", "om_centre_director", "ptl-gov")}
    create_users(stack, users)
    return users


def resolve_as_engineer(stack, ticket_id: str) -> None:
    engineer = stack.token(subject="ptl-eng", extra={"staff_id": "E-PTL-01"})
    stub = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), engineer))
    deadline = time.monotonic() + 30
    while True:  # until ticket's copy of the org directory has the engineer (a wait, not a timed assertion)
        try:
            stub.ClaimTicket(tpb.ClaimTicketRequest(ticket_id=ticket_id), timeout=10)
            break
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    stub.ChangeStatus(tpb.ChangeStatusRequest(ticket_id=ticket_id, action=tpb.STATUS_ACTION_START), timeout=10)
    stub.ResolveTicket(tpb.ResolveTicketRequest(ticket_id=ticket_id, resolution_code="fixed",
                                                resolution="更换了三楼交换机端口"), timeout=10)


def test_a_requester_submits_follows_confirms_and_rates_a_request(stack, people, portal, browser):
    page = browser()
    log_in(page, portal, "ptl-req")
    page.get_by_text("统计局 刘芳").wait_for()
    shot(page, "01-catalogue")

    page.get_by_label("搜索服务（如：网络、打印机、账号）").fill("网络故障")
    page.locator('[data-item="infra.network.fault"]').get_by_role("button").click()
    page.wait_for_url(at("/catalogue/infra.network.fault/submit"))

    # a form error: the required location is missing and the IP address is malformed
    page.get_by_label("标题").fill("三楼会议室网络中断")
    suggestions = page.locator('[data-test="suggestions"]')
    suggestions.get_by_text("这些知识库文章能否解决您的问题？").wait_for()
    suggestions.get_by_text("会议室网络中断自助排查").wait_for()
    page.get_by_label("IP地址").fill("999.1.1.1")
    page.get_by_role("button", name="提交", exact=True).click()
    location = page.locator('[data-field="location"]')
    location.get_by_text("此项为必填项").wait_for()
    page.locator('[data-field="ip_address"]').get_by_text("格式不正确").wait_for()
    assert page.get_by_text("请按提示修改表单").is_visible()
    shot(page, "02-submit-form-error")
    assert "/submit" in page.url  # nothing was sent

    page.get_by_label("地点").fill("三楼东侧会议室")
    page.get_by_label("IP地址").fill("10.1.2.3")
    page.set_input_files("#submit-file", files=[{"name": "网络拓扑.txt", "mimeType": "text/plain",
                                                 "buffer": "三楼东侧交换机 → 核心交换机".encode()}])
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(at("/tickets/*"))
    ticket_id = page.url.rsplit("/", 1)[-1]
    page.get_by_text("三楼东侧会议室").wait_for()
    page.get_by_text("网络拓扑.txt").wait_for()
    shot(page, "03-ticket-submitted")

    page.get_by_role("link", name="我的工单").click()
    page.wait_for_url(at("/tickets"))
    row = page.locator('[data-test="tickets"]').get_by_text("三楼会议室网络中断")
    row.wait_for()
    shot(page, "04-my-tickets")
    # the type filter: a service request filter hides the fault report, the fault filter shows it
    dropdowns_closed(page)
    page.get_by_role("combobox", name="工单类型").click(force=True)  # over its placeholder text
    page.get_by_role("option", name="服务请求").click()
    page.locator('[data-test="tickets"]').get_by_text("暂无工单").wait_for()
    dropdowns_closed(page)
    page.get_by_role("combobox", name="工单类型").click(force=True)  # over its placeholder text
    page.get_by_role("option", name="故障").click()
    row.wait_for()

    resolve_as_engineer(stack, ticket_id)

    page.goto(f"{portal}/tickets/{ticket_id}")
    page.locator('[data-test="status"]').get_by_text("已解决").wait_for()
    page.get_by_text("更换了三楼交换机端口").wait_for()
    page.locator('[data-test="rating"] .el-rate__item').nth(4).click()
    shot(page, "05-ticket-resolved")
    page.locator('[data-test="confirm"]').click()
    page.locator('[data-test="status"]').get_by_text("已关闭").wait_for()
    page.locator('[data-test="rated"]').wait_for()
    shot(page, "06-ticket-closed-rated")

    admin = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token()))
    ticket = admin.GetTicket(tpb.GetTicketRequest(id=ticket_id), timeout=10).ticket
    assert ticket.status == tpb.TICKET_STATUS_CLOSED and ticket.rating == 5
    assert ticket.requester == "ptl-req" and ticket.org_unit_id == "ptl-tjj"
    assert dict(ticket.form) == {"location": "三楼东侧会议室", "ip_address": "10.1.2.3"}
    detail = admin.GetTicketDetail(tpb.GetTicketDetailRequest(id=ticket_id), timeout=10)
    [attachment] = detail.attachments
    assert attachment.filename == "网络拓扑.txt" and attachment.size == len("三楼东侧交换机 → 核心交换机".encode())

    # another department's user, on a phone: the same URL answers "not found"
    other = browser(viewport=(390, 844))
    log_in(other, portal, "ptl-other")
    shot(other, "07-catalogue-phone")
    other.goto(f"{portal}/tickets/{ticket_id}")
    other.locator('[data-test="not-found"]').get_by_text("工单不存在或您无权查看").wait_for()
    shot(other, "08-other-department-not-found")


def test_the_english_switch_and_the_api_docs(people, portal, browser):
    page = browser()
    log_in(page, portal, "ptl-req")
    page.get_by_role("button", name="English").click()
    page.get_by_text("Infrastructure O&M").wait_for()
    assert page.get_by_role("link", name="My tickets").is_visible()
    page.get_by_role("button", name="中文").click()
    page.get_by_text("基础设施运维").first.wait_for()
    page.goto(f"{portal}/api/docs")
    page.get_by_text("GovOps portal API").first.wait_for()
    page.locator('[data-path="/api/rpc/govops.ticket.v1.TicketService/SubmitRequest"]').first.wait_for()
    page.locator('[data-path="/api/v1/tickets/{id}"]').first.wait_for()
    shot(page, "09-api-docs")


def test_live_kpis_arrive_as_server_sent_events(stack, portal, people):
    with httpx.Client(base_url=portal, timeout=30) as client:
        reply = client.post("/api/session", json={"username": "ptl-dir", "password": PASSWORD})
        assert reply.status_code == 200, reply.text
        params = {"filter.org_unit_ids": "ptl-sjj", "filter.names": "tickets_created", "include_snapshot": "true"}
        with client.stream("GET", "/api/kpis/stream", params=params) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            token = stack.token(subject="ptl-req2")
            ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), token)).CreateTicket(
                tpb.CreateTicketRequest(title="审计局机房空调告警", org_unit_id="ptl-sjj",
                                        category=tpb.CATEGORY_INFRASTRUCTURE, priority=tpb.PRIORITY_HIGH), timeout=10)
            event = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "kpi":
                    data = json.loads(line.split(":", 1)[1])
                    assert data["kpi"]["subject"].split("/")[0] == "ptl-sjj"
                    if data["kpi"]["name"] == "tickets_created" and data["kpi"]["value"] >= 1:
                        break
                elif line.startswith("data:") and event == "problem":
                    pytest.fail(f"the stream answered a problem: {line}")
        # the requester of another department may not watch KPIs at all (evaluation.read)
        other = httpx.Client(base_url=portal, timeout=30)
        assert other.post("/api/session", json={"username": "ptl-other", "password": PASSWORD}).status_code == 200
        with other.stream("GET", "/api/kpis/stream") as stream:
            lines = [line for line in stream.iter_lines() if line.startswith(("event:", "data:"))]
        other.close()
        assert lines[0] == "event: problem" and '"PERMISSION_DENIED"' in lines[1]
