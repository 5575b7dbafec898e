"""The outsourcing window in a real browser (issue 15): the O&M centre's director sees the vendor
register with a qualification about to expire, follows an O&M project to its signed contract with
its SLA terms and penalty clauses, and generates November's vendor SLA report, which lists the
tickets behind each penalty; a finance reviewer reaches the same report from the vendor's
scorecard. The month of ticket events is fed to outsource as its worker would (same handler and
inbox), on the stack's database. Screenshots outsource-NN-*.png in .test-output/screens/."""

from __future__ import annotations

import pytest

from govkit.client import channel
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc
from tests.e2e.browser import at, create_users, log_in, shot
from tests.e2e.vendor_contract import credit_code, sign_om_contract

GOV, VENDOR = "osr-gov", "osr-hx"


@pytest.fixture(scope="module")
def contract(stack):
    stack.create_org_units([(GOV, "某区人民政府", "", "government")])
    create_users(stack, {"osr-dir": ("区运维中心 王主任", "om_centre_director", GOV),
                         "osr-fin": ("区财政局 赵审核", "finance_reviewer", GOV)})
    return sign_om_contract(stack, unit=GOV, vendor_id=VENDOR, vendor_name="华信科技（浏览器测试）有限公司",
                            credit=credit_code("91110108551385083"), prefix="osr")


def test_the_vendor_report_lists_the_tickets_behind_its_penalties(stack, contract, portal, browser):
    project, _ = contract
    page = browser(viewport=(1280, 1000))
    log_in(page, portal, "osr-dir")
    page.goto(f"{portal}/outsource/vendors")
    vendors = page.locator('[data-test="vendors"]')
    row = vendors.locator("tr", has_text="华信科技（浏览器测试）有限公司")
    row.locator('[data-test="nearest-expiry"]').get_by_text("天后到期").wait_for()
    shot(page, "outsource-01-vendors")

    page.goto(f"{portal}/outsource/projects")
    # by its link: the evaluation tests' vendor has a project of the same name on the shared stack
    page.locator(f'[data-test="projects"] a[href="/outsource/projects/{project.id}"]').click()
    page.wait_for_url(at(f"/outsource/projects/{project.id}"))
    page.locator('[data-test="contract"]').get_by_text("¥480,000.00").first.wait_for()
    page.locator('[data-test="sla-terms"]').get_by_text("8 小时").wait_for()
    page.locator('[data-test="penalty-clauses"]').get_by_text("解决超时").wait_for()
    shot(page, "outsource-02-contract")

    page.get_by_role("tab", name="月度 SLA 报告").click()
    month = page.get_by_placeholder("选择月份")
    month.click()
    month.fill("2026-11")
    month.press("Enter")
    page.locator('[data-test="generate-report"]').click()
    page.wait_for_url(at("/outsource/reports/*"))
    page.locator('[data-test="penalty-total"]').get_by_text("¥1,200.00").wait_for()
    resolution = page.locator('[data-test="penalty-tickets-p2"]')
    for ticket in ("osr-t19", "osr-t20"):
        resolution.get_by_text(ticket).wait_for()
    assert page.locator('[data-test="penalty-tickets-p1"]').inner_text().split() == ["osr-t18"]
    page.wait_for_timeout(800)  # the chart's entry animation
    shot(page, "outsource-03-sla-report")
    report_url = page.url

    # finance reads it from the vendor's scorecard
    fin = browser(viewport=(1280, 1000))
    log_in(fin, portal, "osr-fin", landing="/catalogue*")
    fin.goto(f"{portal}/outsource/vendors/{VENDOR}")
    score = fin.locator('[data-test="scorecard"]')
    score.get_by_text("¥1,200.00").wait_for()
    reports = fin.locator('[data-test="vendor-reports"]')
    reports.get_by_text("2026-11-01 ~ 2026-11-30").wait_for()
    fin.wait_for_timeout(800)
    shot(fin, "outsource-04-scorecard")
    reports.get_by_text("2026-11-01 ~ 2026-11-30").click()
    fin.wait_for_url(lambda url: url == report_url)
    fin.locator('[data-test="penalty-tickets-p2"]').get_by_text("osr-t20").wait_for()

    fin.goto(f"{portal}/outsource/projects/{project.id}")
    fin.get_by_role("tab", name="付款与预算").click()
    fin.get_by_text("首期款").wait_for()
    fin.get_by_text("首期款").wait_for()
    shot(fin, "outsource-05-payments")


def test_bids_are_recorded_and_the_project_awarded_in_the_browser(stack, contract, portal, browser):
    admin = pb_grpc.OutsourceServiceStub(channel(stack.target("outsource"), stack.token()))
    project = admin.CreateProject(pb.CreateProjectRequest(
        name="2027年区网络安全运维外包", kind=pb.PROJECT_KIND_OM, org_unit_id=GOV, catalogue_item_ids=["sec-om"],
        budget_year=2027, fee_category="system_management"), timeout=10).project
    page = browser()
    log_in(page, portal, "osr-dir")
    page.goto(f"{portal}/outsource/projects/{project.id}")
    page.locator('[data-test="advance"]').click()  # 启动采购, public tender by default
    card = page.locator('[data-test="procurement"]')
    card.get_by_text("尚无投标").wait_for()
    page.locator('[data-test="bid-vendor"]').click()
    page.get_by_role("option", name="华信科技（浏览器测试）有限公司").click()
    page.get_by_label("投标金额").fill("356000.00")
    page.locator('[data-test="bid-record"]').click()
    card.locator('[data-test="bids"]').get_by_text("¥356,000.00").wait_for()
    shot(page, "outsource-06-bids")
    card.locator(f'[data-test="award-{VENDOR}"]').click()
    page.locator('[data-test="award-reason"]').fill("综合评分第一")
    page.locator('[data-test="award-confirm"]').click()
    card.locator('[data-test="awarded"]').get_by_text("已定标：华信科技（浏览器测试）有限公司（¥356,000.00）").wait_for()
    assert card.locator('[data-test="bid-record"]').count() == 0
    page.get_by_role("dialog").wait_for(state="hidden")
    shot(page, "outsource-07-awarded")
    assert admin.GetProject(pb.GetProjectRequest(id=project.id), timeout=10).project.awarded_vendor_id == VENDOR
