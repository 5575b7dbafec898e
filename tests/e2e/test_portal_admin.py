"""Administration in the browser (src/modules/admin) against the real stack and `govops-portal`:

- an administrator imports an asset file with two bad rows — every row/column error is shown in a
  table and nothing is written (checked over gRPC) — then a good file, which is written; exports it;
- a duty shift dragged to another engineer in the roster calendar changes who is on duty (org's
  GetOnDuty) and where the group's next ticket is routed (ticket's auto-assignment);
- an administrator sets up a new department: the unit, a position with its duty, a staff member
  (found again by pinyin initials) with a login, a support group with the member, a role grant;
- the 用户 page finds a login user by pinyin initials within a unit, shows their state and grants,
  and a name opens that user's grants on the roles page.

Screenshots: .test-output/screens/admin-NN-*.png. Units, staff and users carry the prefix `adm-`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from govkit.client import channel
from govops.budget.v1 import budget_pb2 as bpb
from govops.budget.v1 import budget_pb2_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.catchup import wait_until
from tests.e2e.browser import PASSWORD, create_users, dropdowns_closed, log_in, shot

CST = timezone(timedelta(hours=8))
HEADER = "资产编号,名称,类别,所属部门,原值,数量,等保级别,支持方式,状态,位置\n"
ITEM = "adm.roster.check"


def _ts(dt: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(dt)
    return ts


@pytest.fixture(scope="module")
def adm(stack):
    admin = stack.token()
    stack.create_org_units([("adm-gov", "某区人民政府（管理测试）", "", "government"),
                            ("adm-om", "区电子政务运维中心", "adm-gov", "om_centre"),
                            ("adm-fgw", "区发展和改革局", "adm-gov", "department")])
    org = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), admin))
    for sid, name in (("adm-E1", "韩立群"), ("adm-E2", "邓志远")):
        org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id=sid, name=name, org_unit_id="adm-om")), timeout=10)
    org.CreateSupportGroup(opb.CreateSupportGroupRequest(
        group=opb.SupportGroup(id="adm-net", name="区网络保障组", org_unit_id="adm-om")), timeout=10)
    for sid in ("adm-E1", "adm-E2"):
        org.AddGroupMember(opb.AddGroupMemberRequest(group_id="adm-net", staff_id=sid), timeout=10)
    # a shift of 韩立群 covering now, inside this week (the calendar shows Monday to Sunday, Beijing time)
    now = datetime.now(CST).replace(second=0, microsecond=0)
    now = now.replace(minute=now.minute // 30 * 30)  # on the half hour, as the shift dialog offers times
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0)
    start = max(monday, now - timedelta(hours=1))
    org.PublishRoster(opb.PublishRosterRequest(
        group_id="adm-net", period_start=_ts(monday), period_end=_ts(monday + timedelta(days=7)),
        shifts=[opb.Shift(staff_id="adm-E1", starts_at=_ts(start), ends_at=_ts(start + timedelta(hours=8)))]),
        timeout=10)
    # the group's catalogue item: its tickets are routed to adm-net's engineer on duty
    tickets = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), admin))
    tickets.UpsertCatalogueItem(tpb.UpsertCatalogueItemRequest(item=tpb.CatalogueItem(
        id=ITEM, name="区网络值班测试", category="infrastructure", kind=tpb.CATALOGUE_ITEM_KIND_ITEM,
        ticket_type="request", group_id="adm-net", active=True)), timeout=10)
    create_users(stack, {"adm-root": ("区系统管理员", "system_admin", "adm-gov")})
    return {"org": org, "tickets": tickets, "day": (start - monday).days, "start": start,
            "budget": budget_pb2_grpc.BudgetServiceStub(channel(stack.target("budget"), admin))}


def _assets(adm) -> list[str]:
    reply = adm["budget"].ListAssets(bpb.ListAssetsRequest(filter=bpb.AssetFilter(org_unit_id="adm-fgw")), timeout=10)
    return sorted(a.fields.code for a in reply.assets)


def test_an_admin_sees_every_bad_row_before_anything_is_written_then_imports(adm, portal, browser, tmp_path):
    page = browser(viewport=(1360, 900))
    log_in(page, portal, "adm-root")
    page.goto(f"{portal}/admin/assets")
    page.locator('[data-test="assets"]').get_by_text("没有符合条件的资产").wait_for()
    shot(page, "admin-01-assets-empty")

    bad = tmp_path / "资产-有错误.csv"
    bad.write_text(HEADER + "ADM-A1,核心交换机,network_core,adm-fgw,200000,1,3,现场,在用,一楼机房\n"
                   "ADM-A2,数据库服务器,server,adm-fgw,-5,1,3,现场,在用,一楼机房\n"
                   "ADM-A3,办公系统,application_simple,adm-fgw,80000,1,2,远程,在用,\n"
                   "ADM-A4,未知设备,toaster,adm-fgw,1000,1,9,现场,在用,\n", encoding="utf-8")
    page.locator('[data-test="open-import"]').click()
    page.locator('[data-test="import-file"]').set_input_files(str(bad))
    errors = page.locator('[data-test="import-errors"]')
    errors.get_by_text("不能为负数").wait_for()
    page.get_by_text("发现 3 处错误（涉及 2 行），未写入任何数据。").wait_for()
    cells = errors.locator("tbody tr")
    rows = [cells.nth(i).locator("td").all_inner_texts() for i in range(cells.count())]
    assert [(r[0], r[1]) for r in rows] == [("3", "原值"), ("5", "类别"), ("5", "等保级别")], rows
    assert "未知的资产类别" in rows[1][2] and "应在 1 到 4 之间" in rows[2][2]
    assert page.locator('[data-test="import-run"]').is_disabled()
    shot(page, "admin-02-import-errors")
    assert _assets(adm) == []  # the dry run wrote nothing

    good = tmp_path / "资产.xlsx"
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["ADM-A1", "核心交换机", "network_core", "adm-fgw", 200000, 1, 3, "现场", "在用", "一楼机房"])
    ws.append(["ADM-A2", "数据库服务器", "PC服务器/主机", "adm-fgw", 150000, 2, 3, "现场", "在用", "一楼机房"])
    ws.append(["ADM-A3", "办公系统", "application_simple", "adm-fgw", 80000, 1, 2, "远程", "在用", ""])
    wb.save(good)
    page.locator('[data-test="import-file"]').set_input_files(str(good))
    page.locator('[data-test="import-ok"]').get_by_text("校验通过：3 行可以导入").wait_for()
    assert page.locator('[data-test="import-errors"]').count() == 0
    assert _assets(adm) == []  # still nothing: validated, not imported
    shot(page, "admin-03-import-valid")
    page.locator('[data-test="import-run"]').click()
    page.get_by_text("已导入 3 项资产").wait_for()
    table = page.locator('[data-test="assets"]')
    table.get_by_text("数据库服务器").wait_for()
    assert _assets(adm) == ["ADM-A1", "ADM-A2", "ADM-A3"]

    # edit one asset (expected_version is sent), then export what the filter shows
    table.locator("tr", has_text="ADM-A3").get_by_role("button", name="编辑").click()
    dialog = page.locator('[data-test="asset-dialog"]')
    dialog.get_by_text("编辑资产 ADM-A3").wait_for()
    dialog.locator('[data-test="asset-value"]').fill("90000")
    shot(page, "admin-04-asset-edit")
    dialog.locator('[data-test="asset-save"]').click()
    table.get_by_text("90,000.00").wait_for()
    [a3] = adm["budget"].ListAssets(bpb.ListAssetsRequest(filter=bpb.AssetFilter(text="ADM-A3")), timeout=10).assets
    assert a3.fields.original_value.amount == "90000.00" and a3.version == 2
    shot(page, "admin-05-assets-imported")

    # its history shows the change; retiring it (with a reason) is kept there too
    table.locator("tr", has_text="ADM-A3").get_by_role("button", name="履历").click()
    drawer = page.locator('[data-test="asset-detail"]')
    drawer.get_by_text("原值:").wait_for()
    assert "登记" in drawer.inner_text() and "90000" in drawer.inner_text()
    drawer.locator('[data-test="retire-reason"]').fill("系统下线")
    shot(page, "admin-06-asset-history")
    drawer.locator('[data-test="retire"]').click()
    page.get_by_text("资产已报废").wait_for()
    table.locator("tr", has_text="ADM-A3").get_by_text("报废").wait_for()
    [a3] = adm["budget"].ListAssets(bpb.ListAssetsRequest(filter=bpb.AssetFilter(text="ADM-A3")), timeout=10).assets
    assert a3.fields.status == bpb.ASSET_STATUS_RETIRED

    page.locator('[data-test="export"]').click()
    with page.expect_download() as download:
        page.locator('[data-test="export-csv"]').click()
    exported = download.value.path().read_bytes().decode("utf-8-sig")
    assert download.value.suggested_filename == "assets.csv"
    assert all(code in exported for code in ("ADM-A1", "ADM-A2", "ADM-A3"))


def test_a_shift_dragged_to_another_engineer_changes_on_duty_routing(stack, adm, portal, browser):
    org = adm["org"]

    def on_duty() -> list[str]:
        return [s.id for s in org.GetOnDuty(opb.GetOnDutyRequest(group_id="adm-net"), timeout=10).staff]

    assert on_duty() == ["adm-E1"]
    page = browser(viewport=(1360, 900))
    log_in(page, portal, "adm-root")
    page.goto(f"{portal}/admin/groups")
    page.locator('[data-test="groups"]').get_by_text("区网络保障组").click()
    page.locator('[data-test="on-duty"]').get_by_text("韩立群").wait_for()
    day = adm["day"]
    source = page.locator(f'[data-test="shift-adm-E1-{day}"]')
    source.wait_for()
    shot(page, "admin-07-roster-before")

    source.drag_to(page.locator(f'.slot[data-staff="adm-E2"][data-day="{day}"]'))
    page.locator(f'[data-test="shift-adm-E2-{day}"]').wait_for()
    assert page.locator(f'[data-test="shift-adm-E1-{day}"]').count() == 0
    page.get_by_text("未保存").wait_for()
    shot(page, "admin-08-roster-dragged")
    assert on_duty() == ["adm-E1"]  # nothing is published before saving
    page.locator('[data-test="roster-save"]').click()
    page.get_by_text("值班表已发布").wait_for()
    page.locator('[data-test="on-duty"]').get_by_text("邓志远").wait_for()
    # the week read again after the save names its publisher: this administrator
    page.locator('[data-test="roster-published"]').get_by_text("最近发布：区系统管理员（adm-root）").wait_for()
    shot(page, "admin-09-roster-saved")
    assert on_duty() == ["adm-E2"]

    # routing: ticket's org directory learns the roster from org's event; the group's next
    # ticket goes to the engineer now on duty
    requester = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token()))

    def routed():
        try:
            t = requester.SubmitRequest(tpb.SubmitRequestRequest(
                catalogue_item_id=ITEM, title="值班路由检查", description="检查值班调整后的自动分派",
                org_unit_id="adm-fgw"), timeout=10).ticket
        except grpc.RpcError as err:
            if err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
                return None  # the directory has not caught up yet
            raise
        return t.assignee if t.assignee == "adm-E2" else None

    assert wait_until(routed, "a ticket of adm-net assigned to 邓志远", timeout=30.0, interval=0.3) == "adm-E2"

    # the keyboard alternative: open the shift, move it back to 韩立群 in the dialog
    page.locator(f'[data-test="shift-adm-E2-{day}"]').focus()
    page.keyboard.press("Enter")
    dialog = page.locator('[data-test="shift-dialog"]')
    dialog.locator('[data-test="shift-person"]').click()
    page.get_by_role("option", name="韩立群").click()
    dialog.locator('[data-test="shift-apply"]').click()
    page.locator(f'[data-test="shift-adm-E1-{day}"]').wait_for()
    page.locator('[data-test="roster-save"]').click()
    page.locator('[data-test="on-duty"]').get_by_text("韩立群").wait_for()
    assert on_duty() == ["adm-E1"]

    # a refused roster: a second shift of 韩立群 at the same hours overlaps the first; org names it
    page.get_by_role("button", name=f"为韩立群在{page.locator('.day-head').nth(day).inner_text()}添加班次").click()
    dialog.locator('[data-test="shift-person"]').wait_for()
    start = adm["start"]
    for label, at in (("开始", start), ("结束", start + timedelta(hours=8))):
        box = dialog.get_by_role("combobox", name=label)
        dropdowns_closed(page)
        box.click(force=True)
        box.fill(at.strftime("%H:%M"))  # the time select filters as one types
        page.keyboard.press("Enter")
    dialog.locator('[data-test="shift-apply"]').click()
    page.locator('[data-test="roster-save"]').click()
    errors = page.locator('[data-test="roster-errors"]')
    errors.get_by_text("与此人的另一班次时间重叠").first.wait_for()
    assert "韩立群" in errors.inner_text()
    shot(page, "admin-10-roster-refused")
    assert on_duty() == ["adm-E1"]
    page.get_by_role("button", name="放弃修改").click()
    page.locator(f'[data-test="shift-adm-E1-{day}"]').nth(1).wait_for(state="detached")  # the week read again
    assert page.locator(f'[data-test="shift-adm-E1-{day}"]').count() == 1

    # two administrators on one week: another (张组长) publishes over gRPC, with the version it read,
    # after this page read the week; the page's save over the older version is refused naming
    # 张组长 and when, and its change stays on the grid until reloaded
    monday = start - timedelta(days=day)
    monday = monday.replace(hour=0, minute=0)
    other = (day + 3) % 7  # neither today nor tomorrow: on-duty routing stays as it is
    week = (_ts(monday), _ts(monday + timedelta(days=7)))
    read = org.ListShifts(opb.ListShiftsRequest(group_id="adm-net", period_start=week[0], period_end=week[1]),
                          timeout=10)
    extra = opb.Shift(staff_id="adm-E2", starts_at=_ts(monday + timedelta(days=other, hours=2)),
                      ends_at=_ts(monday + timedelta(days=other, hours=4)))
    zhang = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), stack.token(subject="adm-zhang", name="张组长")))
    zhang.PublishRoster(opb.PublishRosterRequest(group_id="adm-net", period_start=week[0], period_end=week[1],
                                                 shifts=[*read.shifts, extra], expected_version=read.version),
                        timeout=10)
    at = datetime.now(CST)
    page.locator(f'[data-test="shift-adm-E1-{day}"]').drag_to(
        page.locator(f'.slot[data-staff="adm-E2"][data-day="{day}"]'))
    page.locator('[data-test="roster-save"]').click()
    stale = page.locator('[data-test="roster-stale"]')
    stale.get_by_text("该周值班表已被 张组长（adm-zhang） 于").wait_for()
    # the publish's minute in Beijing time: that of `at`, or the one before if it ticked over since
    said = stale.inner_text()
    assert any(f"{m:%m-%d %H:%M} 修改" in said for m in (at - timedelta(minutes=1), at)), said
    assert "请刷新后再改" in stale.inner_text()
    assert "张组长（adm-zhang）" in page.locator('[data-test="roster-published"]').inner_text()
    page.locator(f'[data-test="shift-adm-E2-{day}"]').wait_for()  # the unsaved change is still shown
    assert page.locator(f'[data-test="shift-adm-E2-{other}"]').count() == 0
    shot(page, "admin-10b-roster-stale")
    assert on_duty() == ["adm-E1"]
    stored = org.ListShifts(opb.ListShiftsRequest(group_id="adm-net", period_start=week[0], period_end=week[1]),
                            timeout=10).shifts
    assert sorted(x.staff_id for x in stored) == ["adm-E1", "adm-E2"]  # the refused save wrote nothing
    stale.locator('[data-test="roster-reload"]').click()
    stale.wait_for(state="detached")
    page.locator(f'[data-test="shift-adm-E2-{other}"]').wait_for()  # the other administrator's shift
    page.locator(f'[data-test="shift-adm-E1-{day}"]').wait_for()

    # the same calendar in English (every label has both languages)
    page.get_by_role("button", name="English").click()
    page.get_by_text("Duty roster (week)").wait_for()
    page.locator('[data-test="roster-published"]').get_by_text("Last published by 张组长 (adm-zhang) at").wait_for()
    shot(page, "admin-11-roster-english")
    page.get_by_role("button", name="中文").click()


def test_an_admin_sets_up_a_department_with_staff_group_and_grant(adm, portal, browser):
    org = adm["org"]
    page = browser(viewport=(1360, 900))
    log_in(page, portal, "adm-root")
    page.goto(f"{portal}/admin/org")
    tree = page.locator('[data-test="org-tree"]')
    tree.get_by_text("某区人民政府（管理测试）").click()
    page.locator('[data-test="new-unit"]').click()
    dialog = page.locator('[data-test="unit-dialog"]')
    dialog.locator('[data-test="unit-id"]').fill("adm-sjj")
    dialog.locator('[data-test="unit-name"]').fill("区大数据管理局")
    shot(page, "admin-12-new-unit")
    dialog.locator('[data-test="unit-save"]').click()
    page.get_by_text("已创建机构：区大数据管理局").wait_for()
    detail = page.locator('[data-test="unit-detail"]')
    detail.get_by_text("adm-sjj").wait_for()

    page.locator('[data-test="new-position"]').click()
    pos = page.locator('[data-test="position-dialog"]')
    pos.locator('[data-test="position-id"]').fill("adm-sjj-ops")
    pos.locator('[data-test="position-name"]').fill("数据平台运维岗")
    pos.get_by_role("button", name="添加岗责").click()
    pos.get_by_placeholder("如 infrastructure、change").fill("infrastructure")
    pos.locator('[data-test="position-save"]').click()
    page.locator('[data-test="positions"]').get_by_text("数据平台运维岗").wait_for()
    shot(page, "admin-13-unit-positions")

    page.goto(f"{portal}/admin/staff?unit=adm-sjj")
    page.locator('[data-test="new-staff"]').click()
    sd = page.locator('[data-test="staff-dialog"]')
    sd.locator('[data-test="staff-id"]').fill("adm-S1")
    sd.locator('[data-test="staff-name"]').fill("赵思远")
    sd.locator('[data-test="staff-save"]').click()
    page.get_by_text("已保存人员：赵思远").wait_for()
    page.locator('[data-test="staff-search"]').fill("zsy")
    staff = page.locator('[data-test="staff"]')
    staff.get_by_text("zhaosiyuan").wait_for()
    shot(page, "admin-14-staff-pinyin")
    staff.locator("tr", has_text="赵思远").get_by_role("button", name="登录账号").click()
    page.locator('[data-test="login-username"]').fill("adm-zsy")
    page.locator('[data-test="login-password"]').fill(PASSWORD)
    page.locator('[data-test="login-save"]').click()
    page.get_by_text("已创建账号 adm-zsy").wait_for()

    page.goto(f"{portal}/admin/groups")
    page.locator('[data-test="new-group"]').click()
    gd = page.locator('[data-test="group-dialog"]')
    gd.locator('[data-test="group-id"]').fill("adm-sjj-ops")
    gd.locator('[data-test="group-name"]').fill("大数据平台运维组")
    dropdowns_closed(page)
    gd.get_by_role("combobox", name="所属机构").click(force=True)
    page.locator(".el-tree-node__content:visible", has_text="区大数据管理局").click()
    gd.locator('[data-test="group-save"]').click()
    page.get_by_text("已创建支持组：大数据平台运维组").wait_for()
    page.get_by_role("combobox", name="添加成员（姓名或拼音）").fill("zsy")
    page.get_by_role("option", name="赵思远 (adm-S1)").click()
    page.locator('[data-test="group-detail"]').get_by_text("赵思远").wait_for()
    shot(page, "admin-15-group")

    page.goto(f"{portal}/admin/roles")
    page.locator('[data-test="new-role"]').click()
    rd = page.locator('[data-test="role-dialog"]')
    rd.locator('[data-test="role-code"]').fill("adm-data-viewer")
    rd.locator('[data-test="role-name"]').fill("数据查看员")
    for perm in ("org.read", "ticket.read"):
        rd.locator("label.el-checkbox", has_text=perm).click()
    rd.locator('[data-test="role-save"]').click()
    page.locator('[data-test="roles"]').get_by_text("数据查看员").wait_for()
    page.locator('[data-test="grant-subject"]').fill("adm-zsy")
    page.locator('[data-test="grant-lookup"]').click()
    page.get_by_text("该用户没有任何授权").wait_for()
    dropdowns_closed(page)
    page.get_by_role("combobox", name="角色").click(force=True)
    page.get_by_role("option", name="运维工程师").click()
    dropdowns_closed(page)
    page.get_by_role("combobox", name="授权机构").click(force=True)
    page.locator(".el-tree-node__content:visible", has_text="区大数据管理局").click()
    page.locator('[data-test="grant-save"]').click()
    page.get_by_text("已授权").wait_for()
    page.locator('[data-test="grants"]').get_by_text("区大数据管理局").wait_for()
    shot(page, "admin-16-grant")

    # a refusal says why: a unit with active staff cannot be deactivated
    page.goto(f"{portal}/admin/org")
    page.locator('[data-test="org-tree"]').get_by_text("区大数据管理局").click()
    page.locator('[data-test="deactivate"]').click()
    page.get_by_role("button", name="确定").click()
    page.get_by_text("当前状态不允许此操作").wait_for()
    shot(page, "admin-17-deactivate-refused")

    # what the browser did, read back over gRPC
    [unit] = org.ListOrgUnits(opb.ListOrgUnitsRequest(root="adm-sjj"), timeout=10).org_units
    assert (unit.name, unit.parent_id, unit.kind) == ("区大数据管理局", "adm-gov", opb.ORG_UNIT_KIND_DEPARTMENT)
    assert unit.active
    [position] = org.ListPositions(opb.ListPositionsRequest(org_unit_id="adm-sjj"), timeout=10).positions
    assert [(r.kind, r.value) for r in position.responsibilities] == [("catalogue_category", "infrastructure")]
    assert org.GetStaff(opb.GetStaffRequest(id="adm-S1"), timeout=10).staff.org_unit_id == "adm-sjj"
    groups = {g.id: g for g in org.ListSupportGroups(opb.ListSupportGroupsRequest(), timeout=10).groups}
    assert list(groups["adm-sjj-ops"].member_staff_ids) == ["adm-S1"] and groups["adm-sjj-ops"].org_unit_id == "adm-sjj"
    roles = {r.code: r for r in org.ListRoles(opb.ListRolesRequest(), timeout=10).roles}
    assert sorted(roles["adm-data-viewer"].permissions) == ["org.read", "ticket.read"]
    assert not roles["adm-data-viewer"].builtin
    [grant] = org.ListRoleAssignments(opb.ListRoleAssignmentsRequest(subject="adm-zsy"), timeout=10).assignments
    assert (grant.role, grant.org_unit_id, grant.granted_by) == ("engineer", "adm-sjj", "adm-root")


def test_the_user_list_finds_by_pinyin_initials_and_opens_the_grants(stack, adm, portal, browser):
    adm["org"].SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id="adm-E3", name="秦晓明", org_unit_id="adm-fgw")),
                         timeout=10)
    create_users(stack, {"adm-qxm": ("秦晓明", "requester", "adm-fgw"), "adm-qxl": ("钱小龙", "requester", "adm-om")},
                 staff={"adm-qxm": "adm-E3"})
    page = browser(viewport=(1360, 900))
    log_in(page, portal, "adm-root")
    page.locator('[data-test="side-menu"]').get_by_role("link", name="用户", exact=True).click()
    page.wait_for_url(lambda u: u.split("?")[0].endswith("/admin/users"))
    users = page.locator('[data-test="users"]')
    users.locator("tbody tr").first.wait_for()  # every user the administrator may see, a page of them
    shot(page, "admin-18-users")
    dropdowns_closed(page)
    page.get_by_role("combobox", name="全部机构").click(force=True)
    page.locator(".el-tree-node__content:visible", has_text="某区人民政府（管理测试）").click()
    dropdowns_closed(page)
    page.locator('[data-test="users-search"]').fill("qx")
    users.get_by_text("钱小龙").wait_for()
    users.get_by_text("秦晓明").wait_for()
    page.locator('[data-test="users-search"]').fill("qxm")
    users.get_by_text("钱小龙").wait_for(state="detached")
    row = users.locator("tr", has_text="秦晓明")
    row.get_by_text("adm-qxm").wait_for()
    row.get_by_text("adm-E3").wait_for()
    row.get_by_text("正常").wait_for()
    row.get_by_text("区发展和改革局（含下级）").wait_for()
    assert page.locator('[data-test="users-total"]').inner_text().startswith("共 1 人")
    shot(page, "admin-19-users-pinyin")
    row.locator('[data-test="user-grants"]').click()
    page.wait_for_url(lambda u: "/admin/roles" in u and "subject=adm-qxm" in u)
    grants = page.locator('[data-test="grants"]')
    grants.get_by_text("区发展和改革局").wait_for()
    assert page.locator('[data-test="grant-subject"]').input_value() == "adm-qxm"
    shot(page, "admin-20-user-grants")
