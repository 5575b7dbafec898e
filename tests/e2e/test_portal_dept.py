"""The service-request window's department side in a real browser (Debian's Chromium through
Playwright) against the real stack and `govops-portal`: the department's O&M officer lists the
department's tickets (subunits included, never another department's; a requester has no such page),
the ticket page's timeline shows status changes and assignments, the upload control is labelled in
Chinese, and an approver approves a change — and may reject one only with a reason — in the portal,
the ticket moving on as gRPC shows. Screenshots: .test-output/screens/dept-*.png."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct

from govkit.client import channel
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.catchup import until_caught_up
from tests.e2e.browser import PASSWORD, at, create_users, dropdowns_closed, log_in, shot


@pytest.fixture(scope="module")
def dept(stack):
    """A government of its own: 区统计局 with a division, 区审计局, an O&M centre with a CAB
    position; 统计局's O&M officer (who holds the unit's change-approval position), a requester,
    another department's officer and an engineer."""
    admin = stack.token()
    org_channel = channel(stack.target("org"), admin)
    org = org_pb2_grpc.OrgServiceStub(org_channel)
    ident = org_pb2_grpc.IdentityServiceStub(org_channel)
    for unit, name, parent, kind in (("dpt-gov", "某县人民政府", "", opb.ORG_UNIT_KIND_GOVERNMENT),
                                     ("dpt-tjj", "县统计局", "dpt-gov", opb.ORG_UNIT_KIND_DEPARTMENT),
                                     ("dpt-tjj-zhc", "县统计局综合科", "dpt-tjj", opb.ORG_UNIT_KIND_DIVISION),
                                     ("dpt-sjj", "县审计局", "dpt-gov", opb.ORG_UNIT_KIND_DEPARTMENT),
                                     ("dpt-omc", "县运维中心", "dpt-gov", opb.ORG_UNIT_KIND_OM_CENTRE)):
        org.CreateOrgUnit(opb.CreateOrgUnitRequest(id=unit, name=name, parent_id=parent, kind=kind), timeout=10)
    for pid, unit, name, duty in (("dpt-tjj-officer", "dpt-tjj", "统计局运维专员", "change"),
                                  ("dpt-omc-cab", "dpt-omc", "县运维中心变更委员", "change_cab")):
        org.CreatePosition(opb.CreatePositionRequest(position=opb.Position(
            id=pid, org_unit_id=unit, name=name, responsibilities=[opb.Responsibility(kind="approval", value=duty)])),
            timeout=10)
    for sid, name, unit, position in (("S-DPT-01", "统计局 王芳", "dpt-tjj", "dpt-tjj-officer"),
                                      ("E-DPT-01", "县网络工程师 李强", "dpt-omc", "")):
        org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id=sid, name=name, org_unit_id=unit)), timeout=10)
        if position:
            org.AssignStaff(opb.AssignStaffRequest(assignment=opb.StaffPosition(
                staff_id=sid, position_id=position, start_date="2026-01-01")), timeout=10)
    ident.CreateUser(opb.CreateUserRequest(username="dpt-officer", password=PASSWORD, display_name="统计局 王芳",
                                           staff_id="S-DPT-01"), timeout=10)
    org.GrantRole(opb.GrantRoleRequest(subject="dpt-officer", role="dept_om_officer", org_unit_id="dpt-tjj",
                                       subtree=True), timeout=10)
    create_users(stack, {"dpt-req": ("统计局 赵敏", "requester", "dpt-tjj"),
                         "dpt-other": ("审计局 孙立", "dept_om_officer", "dpt-sjj")})
    return ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), admin))


def _ticket(stack, subject, title, unit, ticket_type="incident", details=None):
    stub = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(subject=subject)))
    s = Struct()
    s.update(details or {})
    return until_caught_up(lambda: stub.CreateTicket(tpb.CreateTicketRequest(
        title=title, org_unit_id=unit, category=tpb.CATEGORY_APPLICATION, priority=tpb.PRIORITY_HIGH,
        ticket_type=ticket_type, details=s), timeout=10).ticket, f"create in {unit}", timeout=30.0)


def test_the_officer_sees_the_departments_tickets_and_their_timeline(stack, dept, portal, browser):
    own = _ticket(stack, "dpt-req", "统计局 门户网站打不开", "dpt-tjj")
    division = _ticket(stack, "dpt-req2", "综合科 打印机卡纸", "dpt-tjj-zhc")
    other = _ticket(stack, "dpt-x", "审计局 邮箱满了", "dpt-sjj")
    # an engineer takes the first: an assignment and a status change on its timeline
    engineer = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(
        subject="dpt-eng", extra={"staff_id": "E-DPT-01"})))
    until_caught_up(lambda: engineer.ClaimTicket(tpb.ClaimTicketRequest(ticket_id=own.id), timeout=10), "claim",
                    timeout=30.0)
    engineer.ChangeStatus(tpb.ChangeStatusRequest(ticket_id=own.id, action=tpb.STATUS_ACTION_START), timeout=10)
    engineer.AddComment(tpb.AddCommentRequest(ticket_id=own.id, body="内部：服务器证书过期", internal=True), timeout=10)

    page = browser()
    log_in(page, portal, "dpt-officer")
    page.get_by_role("link", name="本部门工单").click()
    page.wait_for_url(at("/department/tickets"))
    table = page.locator('[data-test="dept-tickets"]')
    table.get_by_text("统计局 门户网站打不开").wait_for()
    table.get_by_text("综合科 打印机卡纸").wait_for()  # the division's, through the subtree grant
    assert table.get_by_text("审计局 邮箱满了").count() == 0
    assert table.get_by_text("县统计局综合科").count() == 1  # the unit by its name
    assert table.locator('[data-test="sla"]').first.inner_text().startswith(("剩余", "已超时"))
    shot(page, "dept-01-department-tickets")

    dropdowns_closed(page)
    page.get_by_role("combobox", name="按部门筛选").click(force=True)  # over its placeholder text
    page.get_by_role("option", name="县统计局综合科").click()
    table.get_by_text("统计局 门户网站打不开").wait_for(state="detached")
    table.get_by_text("综合科 打印机卡纸").wait_for()
    shot(page, "dept-02-filtered-by-division")

    page.goto(f"{portal}/department/tickets")
    table.get_by_role("link", name=own.number).click()
    page.wait_for_url(at(f"/tickets/{own.id}"))
    timeline = page.locator('[data-test="timeline"]')
    timeline.get_by_text("已分派给 县网络工程师 李强").wait_for()
    timeline.get_by_text("状态：已分派 → 处理中").wait_for()
    assert timeline.get_by_text("内部：服务器证书过期").count() == 0  # nothing internal, not even for an officer
    page.locator(".side").get_by_text("县网络工程师 李强").wait_for()  # who holds it, by name
    shot(page, "dept-03-ticket-timeline")

    # another department's officer: the other department only; the URL of ours answers "not found"
    other_page = browser()
    log_in(other_page, portal, "dpt-other")
    other_page.goto(f"{portal}/department/tickets")
    other_page.locator('[data-test="dept-tickets"]').get_by_text("审计局 邮箱满了").wait_for()
    assert other_page.locator('[data-test="dept-tickets"]').get_by_text("统计局 门户网站打不开").count() == 0
    other_page.goto(f"{portal}/tickets/{division.id}")
    other_page.locator('[data-test="not-found"]').wait_for()
    assert other.id


def test_a_requester_has_no_department_list_and_uploads_with_a_chinese_label(stack, dept, portal, browser):
    mine = _ticket(stack, "dpt-req", "统计局 需要开通VPN", "dpt-tjj", "request")
    page = browser(viewport=(390, 844))
    log_in(page, portal, "dpt-req")
    assert page.get_by_role("link", name="本部门工单").count() == 0
    page.goto(f"{portal}/department/tickets")
    page.get_by_role("alert").get_by_text("您没有查看本部门工单的权限").wait_for()
    assert page.locator('[data-test="dept-tickets"]').count() == 0  # nothing to filter or page
    shot(page, "dept-04-requester-refused")

    page.goto(f"{portal}/tickets/{mine.id}")
    picker = page.get_by_label("选择文件")
    page.locator('[data-test="file-picker"]').get_by_text("选择文件").wait_for()
    page.get_by_text("未选择文件").wait_for()
    # the native input stays in the tab order (visually hidden, not display:none): keyboard usable
    assert picker.evaluate("e => e.type === 'file' && e.tabIndex >= 0 && getComputedStyle(e).display !== 'none'")
    assert page.get_by_text("Choose File").count() == 0
    picker.set_input_files(files=[{"name": "VPN申请表.txt", "mimeType": "text/plain",
                                   "buffer": "申请人：赵敏".encode()}])
    page.locator(".files").get_by_text("VPN申请表.txt").wait_for()
    page.get_by_text("未选择文件").wait_for()  # cleared after the upload
    too_big = page.get_by_label("选择文件")
    too_big.set_input_files(files=[{"name": "大文件.bin", "mimeType": "application/octet-stream",
                                    "buffer": b"\0" * (10 * 1024 * 1024 + 1)}])
    page.get_by_role("alert").get_by_text("附件不能超过 10 MB").wait_for()
    page.get_by_text("未选择文件").wait_for()  # the refused file is not left chosen
    shot(page, "dept-05-upload-phone")
    detail = dept.GetTicketDetail(tpb.GetTicketDetailRequest(id=mine.id), timeout=10)
    assert [a.filename for a in detail.attachments] == ["VPN申请表.txt"]


def test_an_approver_approves_a_change_and_rejects_one_only_with_a_reason(stack, dept, portal, browser):
    rfc = {"risk": "medium", "plan": "升级统计数据库补丁", "rollback_plan": "回退补丁"}
    first = _ticket(stack, "dpt-req", "统计数据库打补丁", "dpt-tjj", "change", rfc)
    second = _ticket(stack, "dpt-req", "统计网站改版上线", "dpt-tjj", "change", rfc)
    for change in (first, second):  # the O&M side submits the RFC: the department's officer decides first
        until_caught_up(lambda c=change: dept.SubmitChange(tpb.SubmitChangeRequest(ticket_id=c.id), timeout=10),
                        "submit change", timeout=30.0)

    page = browser()
    log_in(page, portal, "dpt-officer")
    page.goto(f"{portal}/tickets/{first.id}")
    block = page.locator('[data-test="approval-block"]')
    block.get_by_text("此变更等待审批").wait_for()
    shot(page, "dept-06-change-awaiting-approval")
    block.get_by_role("button", name="批准变更").click()
    page.get_by_text("已保存").first.wait_for()
    # the page says the officer has decided their step; no buttons to decide it again
    block.locator('[data-test="my-approval"]').get_by_text("审批通过本步骤").wait_for()
    assert block.get_by_role("button", name="批准变更").count() == 0
    shot(page, "dept-06b-change-approved-step")
    approved = dept.GetTicket(tpb.GetTicketRequest(id=first.id), timeout=10).ticket
    approvals = json_format.MessageToDict(approved.details)["approvals"]
    assert [(a["step"], a["approver"], a["decision"]) for a in approvals] == [("department", "S-DPT-01", "approved")]
    # the department's step is decided: the change moves on to the O&M centre's CAB
    assert approved.status == tpb.TICKET_STATUS_AWAITING_APPROVAL
    with pytest.raises(grpc.RpcError) as err:  # and this officer may not decide it twice
        ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(
            subject="dpt-officer", extra={"staff_id": "S-DPT-01"}))).ApproveChange(
            tpb.ApproveChangeRequest(ticket_id=first.id), timeout=10)
    assert err.value.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION)

    page.goto(f"{portal}/tickets/{second.id}")
    block.get_by_text("此变更等待审批").wait_for()
    reject = block.get_by_role("button", name="驳回")
    assert reject.is_disabled()  # a rejection needs its reason
    block.get_by_label("审批意见（驳回时必填）").fill("上线窗口与统计年报冲突，请改期")
    reject.click()
    page.locator('[data-test="status"]').get_by_text("已驳回").wait_for()
    page.locator('[data-test="timeline"]').get_by_text("驳回原因: 上线窗口与统计年报冲突，请改期").wait_for()
    shot(page, "dept-07-change-rejected")
    rejected = dept.GetTicket(tpb.GetTicketRequest(id=second.id), timeout=10).ticket
    assert rejected.status == tpb.TICKET_STATUS_REJECTED
    assert dict(rejected.details)["rejection_reason"] == "上线窗口与统计年报冲突，请改期"
