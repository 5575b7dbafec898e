"""Drafting the quota standard in a real browser (issue 15, item 4): a budget officer makes a new
version from an approved one with a changed server rate and a new spare part, is shown the
service's own reason on the cell of a bad rate, edits the saved draft, is refused the approval
of their own draft (separation of duties); a finance reviewer approves it; the officer compiles a unit's budget with
it and sees the new rate and the spare part on the lines. A blank new standard shows the service's
reasons on the header's fields. Screenshots budget-std-NN-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from budget.domain.sample import SAMPLE_NAME
from tests.e2e.browser import at, choose, log_in, shot
from tests.e2e.budget_world import approved_standard, district, import_register

GOV, DEPT = "hbs-gov", "hbs-dept"
CODE = "HBS-STD"


@pytest.fixture(scope="module")
def setup(stack):
    district(stack, (GOV, "某市人民政府"), (DEPT, "市大数据中心"), ("hbs-officer", "市运维中心 王预算"),
             ("hbs-fin", "市财政局 赵审核"))
    servers = [(f"HBS-SRV-{n:02d}", f"市政务云服务器{n:02d}", "server", DEPT, "100000.00", 1, 2, "现场", "在用")
               for n in range(10)]
    import_register(stack, [*servers, ("HBS-FW-01", "边界防火墙", "security_device", DEPT, "200000.00", 2, 2,
                                       "现场", "在用")])
    return approved_standard(stack, CODE, "（市级）", "hbs-std-approver")


def test_draft_a_new_version_approve_it_apart_and_compile_with_it(stack, setup, portal, browser):
    officer = browser(viewport=(1360, 900))
    log_in(officer, portal, "hbs-officer")
    officer.goto(f"{portal}/budget/standards")
    # a blank new standard saved as is: the service's reasons on the header's fields
    officer.locator('[data-test="create-standard"]').click()
    officer.wait_for_url(at("/budget/standards/new"))
    officer.locator('[data-test="editor-title"]').get_by_text("新建定额标准").wait_for()
    officer.locator('[data-test="save-standard"]').click()
    officer.locator('[data-test="editor-error"]').get_by_text("有 3 处需要修改").wait_for()
    head = officer.locator("form.head")
    shot(officer, "budget-std-00-blank-refused")
    head.locator(".el-form-item", has_text="编码").get_by_text("不能为空（must not be empty）").wait_for()
    head.locator(".el-form-item", has_text="生效日期").get_by_text("此项为必填项（is required）").wait_for()
    assert head.locator(".el-form-item__error").count() == 3  # code, name, effective_from

    officer.goto(f"{portal}/budget/standards")
    officer.locator('[data-test="standards"]').get_by_text(f"{CODE} v1").click()
    officer.wait_for_url(at("/budget/standards/*"))
    officer.locator('[data-test="new-version"]').click()
    officer.wait_for_url(at("/budget/standards/new"))
    officer.locator('[data-test="editor-title"]').get_by_text(f"复制自 {CODE} v1").wait_for()

    # the server's rate typed as a percent: the service refuses it and the cell says why
    rates = officer.locator('[data-test="edit-rate_rules"]')
    rate = rates.get_by_label("费率（小数，如 0.055） 1", exact=True)
    assert rate.input_value() == "0.055"
    rate.fill("6%")
    officer.locator('[data-test="tab-spare_parts"]').click()
    spares = officer.locator('[data-test="edit-spare_parts"]')
    spares.locator('[data-test="add-spare_parts"]').click()
    choose(officer, spares.get_by_label("资产类别 5", exact=True), "安全设备")
    spares.get_by_label("元/单位/年 5", exact=True).fill("5000")
    officer.locator('[data-test="save-standard"]').click()
    officer.locator('[data-test="editor-error"]').get_by_text("有 1 处需要修改").wait_for()
    cell = rates.locator('[data-test="error-rate_rules[0].rate"]')
    cell.wait_for()  # the rates tab opened by itself on the first problem
    assert "应为数字" in cell.inner_text() and "must be a decimal number" in cell.inner_text()
    shot(officer, "budget-std-01-editor-bad-rate")

    rate.fill("0.06")
    rates.locator(".el-table__row").first.get_by_text("6%", exact=True).wait_for()  # read back as a percent
    officer.locator('[data-test="save-standard"]').click()
    officer.wait_for_url(at("/budget/standards/*"))
    officer.locator('[data-test="standard-saved"]').wait_for()
    officer.get_by_role("heading").get_by_text(f"{SAMPLE_NAME}（市级）").wait_for()
    officer.get_by_text(f"{CODE} v2").wait_for()
    draft_url = officer.url
    officer.locator('[data-test="rate-rules"] .el-table__row').first.get_by_text("6%", exact=True).wait_for()

    # the draft stays editable (UpdateStandard): a note, and a coefficient row removed
    officer.locator('[data-test="edit-standard"]').click()
    officer.wait_for_url(at("/budget/standards/*/edit"))
    officer.get_by_label("备注").fill("市级调整：服务器费率 6%，新增安全设备备件")
    officer.locator('[data-test="tab-coefficients"]').click()
    officer.locator('[data-test="remove-coefficients-6"]').click()
    officer.locator('[data-test="tab-coefficients"]').get_by_text("调整系数 (6)").wait_for()
    officer.locator('[data-test="save-standard"]').click()
    officer.wait_for_url(lambda url: url.split("?")[0] == draft_url.split("?")[0])
    officer.locator('[data-test="standard-saved"]').wait_for()
    officer.get_by_text("市级调整：服务器费率 6%，新增安全设备备件").wait_for()
    officer.get_by_role("tab", name="调整系数 (6)").wait_for()

    # the officer holds budget.standard.approve, but drafted and edited this version: the service refuses
    officer.locator('[data-test="approve-standard"]').click()
    refusal = officer.locator('[data-test="standard-error"]')
    refusal.get_by_text("职责分离：起草或修改该标准的人不能批准它").wait_for()
    assert "separation of duties" in refusal.inner_text()
    shot(officer, "budget-std-02-own-approval-refused")

    fin = browser()
    log_in(fin, portal, "hbs-fin", landing="/catalogue*")
    fin.goto(draft_url)
    fin.locator('[data-test="approve-standard"]').click()
    fin.get_by_text("已批准").first.wait_for()
    assert fin.locator('[data-test="approve-standard"]').count() == 0

    # compile the unit's budget with v2
    officer.goto(f"{portal}/budget")
    officer.locator('[data-test="compile-open"]').click()
    dialog = officer.get_by_role("dialog")
    choose(officer, dialog.get_by_label("预算单位"), "市大数据中心", search="市大数据中心")
    dialog.get_by_label("年度").fill("2026")
    dialog.locator('[data-test="compile-standard"][data-loaded="true"]').wait_for()
    choose(officer, dialog.get_by_label("定额标准"), f"{CODE} v2")
    expect(dialog.locator(".el-select__placeholder:not(.is-transparent)")).to_have_text(
        [re.compile("市大数据中心"), re.compile(f"{CODE} v2")])

    held = []  # the CompileBudget call waits until the spinner has been seen and photographed
    officer.route("**/CompileBudget", lambda route: held.append(route))
    dialog.locator('[data-test="compile-run"]').click()
    dialog.locator('[data-test="compile-busy"]').get_by_text("正在编制").wait_for()
    shot(officer, "budget-std-03-compiling")
    officer.wait_for_function("true")  # lets the route event reach the handler
    assert len(held) == 1
    held[0].continue_()
    summary = dialog.locator('[data-test="compile-result"]')
    summary.get_by_text("编制完成：11 项资产").wait_for()
    assert f"{CODE} v2" in summary.inner_text()
    shot(officer, "budget-std-04-compiled")
    dialog.get_by_role("button", name="查看预算").click()
    officer.wait_for_url(at("/budget/budgets/*"))
    lines = officer.locator('[data-test="lines"]')
    server = lines.locator("tr", has_text="PC服务器").filter(has_text="费率 6%")
    server.wait_for()
    assert "¥60,000.00" in server.inner_text()  # 10 × 100,000 × 6 %
    spare = lines.locator("tr", has_text="安全设备").filter(has_text="备品备件")
    assert "¥10,000.00" in spare.inner_text()  # 2 units × 5,000
    assert "spare_parts[4]" in spare.inner_text()
