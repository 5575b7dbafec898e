"""The budget window in a real browser (issue 15): a director compiles and submits a unit's budget,
a finance reviewer traces a line to its assets page by page and reviews it; the compiler, who also
holds the approver's role, is refused the approval by the service's separation of duties and sees
why in words; the finance reviewer approves it, follows its execution (charts, an over-budget
warning) and exports it. Screenshots budget-NN-*.png in .test-output/screens/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from govkit.client import channel
from govkit.protoconv import as_money
from govops.budget.v1 import budget_pb2 as pb
from govops.budget.v1 import budget_pb2_grpc as pb_grpc
from tests.e2e.browser import at, choose, log_in, shot
from tests.e2e.budget_world import approved_standard, district, import_register

GOV, DEPT = "bgt-gov", "bgt-dept"
SERVERS = 45  # one asset group: 3 trace pages of 20 in the browser


@pytest.fixture(scope="module")
def setup(stack):
    district(stack, (GOV, "某县人民政府"), (DEPT, "县数据资源局"), ("bgt-boss", "县运维中心 张主任"),
             ("bgt-fin", "县财政局 李审核"))
    servers = [(f"BGT-SRV-{n:03d}", f"政务云服务器{n:03d}", "server", DEPT, "80000.00", 1, 3, "现场", "在用")
               for n in range(SERVERS)]
    import_register(stack, [*servers, ("BGT-FW-001", "边界防火墙", "security_device", DEPT, "300000.00", 1, 3,
                                       "现场", "在用")])
    return approved_standard(stack, "BGT-E2E", "（浏览器测试）", "bgt-std-approver")


def finance_stub(stack):
    return pb_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token(subject="bgt-fin-api")))


def test_compile_trace_and_approve_with_separation_of_duties(stack, setup, portal, browser):
    boss = browser()
    log_in(boss, portal, "bgt-boss")
    boss.goto(f"{portal}/budget")
    boss.get_by_role("heading", name="运维经费预算").wait_for()
    boss.locator('[data-test="compile-open"]').click()
    dialog = boss.get_by_role("dialog")
    # the session's stack holds other tests' units too: filter the list down to ours, and see it chosen
    choose(boss, dialog.get_by_label("预算单位"), "县数据资源局", search="县数据资源局")
    dialog.get_by_label("年度").fill("2026")  # this year: spending is recorded after the fact
    # the dialog reads the standards when it opens: choose only once they are there
    dialog.locator('[data-test="compile-standard"][data-loaded="true"]').wait_for()
    choose(boss, dialog.get_by_label("定额标准"), "BGT-E2E v1")
    # both choices still stand when it runs
    expect(dialog.locator(".el-select__placeholder:not(.is-transparent)")).to_have_text(
        [re.compile("县数据资源局"), re.compile("BGT-E2E v1")])
    dialog.locator('[data-test="compile-run"]').click()
    dialog.get_by_text("编制完成").wait_for()
    assert f"{SERVERS + 1} 项资产" in dialog.locator('[data-test="compile-result"]').inner_text()
    shot(boss, "budget-01-compiled")
    dialog.get_by_role("button", name="查看预算").click()
    boss.wait_for_url(at("/budget/budgets/*"))
    budget_url = boss.url
    boss.locator('[data-test="action-submit"]').click()
    boss.locator('[data-test="action-confirm"]').click()
    boss.locator('[data-test="budget-state"]').get_by_text("已提交").wait_for()

    # the compiler's own review is refused by the service, and the page says why
    boss.locator('[data-test="action-review"]').click()
    boss.locator('[data-test="action-confirm"]').click()
    error = boss.locator('[data-test="action-error"]')
    error.get_by_text("职责分离：您编制或提交了该预算，不能审核或批准它，须由其他人办理").wait_for()
    assert "separation of duties" in error.inner_text()
    boss.locator('[data-test="budget-state"]').get_by_text("已提交").wait_for()
    shot(boss, "budget-02-own-review-refused")

    # the finance reviewer traces a line to its assets, page by page, and passes the review
    fin = browser(viewport=(1280, 1200))  # the trace drawer with its pager in one screenshot
    log_in(fin, portal, "bgt-fin", landing="/catalogue*")
    fin.goto(budget_url)
    fin.locator('[data-test="budget-title"]').get_by_text("县数据资源局").wait_for()
    lines = fin.locator('[data-test="lines"]')
    server_rate = lines.locator("tr", has_text="PC服务器").filter(has_text="费率").first
    server_rate.get_by_role("button", name="追溯").click()
    trace = fin.locator('[data-test="trace"]')
    trace.get_by_text(f"涉及资产（共 {SERVERS} 项）").wait_for()
    assert "费率 5.5%" in trace.locator('[data-test="trace-formula"]').inner_text()
    trace.get_by_text("BGT-SRV-000").wait_for()
    trace.get_by_text("第 1 页 / 共 3 页").wait_for()
    shot(fin, "budget-03-trace")
    trace.locator('[data-test="trace-next"]').click()
    trace.get_by_text("BGT-SRV-020").wait_for()
    trace.get_by_text("第 2 页 / 共 3 页").wait_for()
    fin.keyboard.press("Escape")
    fin.locator('[data-test="action-review"]').click()
    fin.locator('[data-test="action-comment"]').fill("资产与定额核对无误")
    fin.locator('[data-test="action-confirm"]').click()
    fin.locator('[data-test="budget-state"]').get_by_text("已审核").wait_for()

    # the compiler, who holds budget.approve too, is refused the approval
    boss.reload()
    boss.locator('[data-test="action-approve"]').click()
    boss.locator('[data-test="action-confirm"]').click()
    boss.locator('[data-test="action-error"]').get_by_text("职责分离").wait_for()
    boss.locator('[data-test="budget-state"]').get_by_text("已审核").wait_for()
    shot(boss, "budget-04-own-approval-refused")

    # the finance reviewer approves; the trail shows every step with its actor
    fin.reload()
    fin.locator('[data-test="action-approve"]').click()
    fin.locator('[data-test="action-confirm"]').click()
    fin.locator('[data-test="budget-state"]').get_by_text("已批准").wait_for()
    fin.get_by_role("tab", name="审批记录").click()
    trail = fin.locator('[data-test="trail"]')
    trail.get_by_text("资产与定额核对无误").wait_for()
    assert trail.get_by_text("bgt-boss").count() == 2 and trail.get_by_text("bgt-fin").count() == 2
    shot(fin, "budget-05-trail")
    fin.get_by_role("tab", name="对比测算").click()
    compare = fin.locator('[data-test="compare"]')
    compare.get_by_text("该单位上年无预算").wait_for()
    compare.get_by_text("合计").wait_for()

    # spending past the warning line of one fee category shows as a warning over the charts
    budget_id = budget_url.rsplit("/", 1)[1]
    b = finance_stub(stack).GetBudget(pb.GetBudgetRequest(id=budget_id), timeout=10).budget
    hardware = next(a for a in b.by_category if a.code == "hardware_om")
    spend = (int(float(hardware.amount.amount) * 85) // 100)
    finance_stub(stack).RecordExpense(pb.RecordExpenseRequest(
        budget_id=budget_id, fee_category="hardware_om", amount=as_money(f"{spend}.00"), spent_on="2026-12-01",
        description="服务器年度维保（第一期）", idempotency_key="bgt-e2e-1"), timeout=10)
    fin.get_by_role("tab", name="预算执行").click()
    execution = fin.locator('[data-test="execution"]')
    execution.locator('[data-test="over-budget-warning"]').filter(has_text="硬件运维费").wait_for()
    execution.get_by_text("服务器年度维保（第一期）").wait_for()
    fin.wait_for_timeout(800)  # the charts' entry animation
    shot(fin, "budget-06-execution")

    # the exports: a PDF (Chinese font embedded by the service) and an XLSX
    with fin.expect_download() as pdf:
        fin.locator('[data-test="export-pdf"]').click()
    content = Path(pdf.value.path()).read_bytes()
    assert content.startswith(b"%PDF") and b"FontFile2" in content
    with fin.expect_download() as xlsx:
        fin.locator('[data-test="export-xlsx"]').click()
    assert Path(xlsx.value.path()).read_bytes()[:2] == b"PK" and xlsx.value.suggested_filename.endswith(".xlsx")


def test_the_quota_standard_shows_its_rates_and_labour_costs(stack, setup, portal, browser):
    page = browser()
    log_in(page, portal, "bgt-fin", landing="/catalogue*")
    page.goto(f"{portal}/budget/standards")
    page.locator('[data-test="standards"]').get_by_text("BGT-E2E v1").click()
    page.wait_for_url(at("/budget/standards/*"))
    rates = page.locator('[data-test="rate-rules"]')
    rates.get_by_text("5.5%").first.wait_for()
    page.get_by_role("tab", name="人工单价", exact=False).click()
    page.get_by_role("tab", name="调整系数", exact=False).click()
    page.get_by_text("等保级别").first.wait_for()
    shot(page, "budget-07-standard")
