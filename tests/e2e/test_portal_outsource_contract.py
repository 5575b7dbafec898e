"""The contract forms of the outsourcing window in a real browser (issue 15, item 5): the O&M
centre's director signs the contract of an awarded O&M project through the form (refused first,
the milestones adding up to more than the amount, with the service's reason on the milestones),
the first milestone due on a date (overdue for finance until it is paid),
starts execution, records the first milestone's acceptance, attaches a PDF and downloads it back,
and amends the SLA terms with a reason; a finance reviewer sees the payment refused while budget has blocked the
contract (no approved budget), then, after an over-budget approval, refused above what is left of
the milestone and paid. Each user sees only the buttons of their permissions. Screenshots
outsource-contract-NN-*.png in .test-output/screens/."""

from __future__ import annotations

from pathlib import Path

import pytest

from govkit.client import channel
from govops.budget.v1 import budget_pb2 as bpb
from govops.budget.v1 import budget_pb2_grpc
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc
from outsource.domain.credit_code import check_character
from tests.catchup import wait_until
from tests.e2e.browser import create_users, log_in, shot
from tests.e2e.vendor_contract import award_om_project

GOV, VENDOR = "osc-gov", "osc-zx"
CREDIT = "91110105600012345" + check_character("91110105600012345")
# a one-page PDF: the service checks the declared type against the content's magic number
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(scope="module")
def awarded(stack):
    """An O&M project awarded to a vendor (procurement done through gRPC: test_portal_outsource.py
    drives those steps in the browser), and the two users."""
    stack.create_org_units([(GOV, "某县人民政府", "", "government")])
    create_users(stack, {"osc-dir": ("县运维中心 陈主任", "om_centre_director", GOV),
                         "osc-fin": ("县财政局 孙审核", "finance_reviewer", GOV)})
    admin = pb_grpc.OutsourceServiceStub(channel(stack.target("outsource"), stack.token()))
    admin.RegisterVendor(pb.RegisterVendorRequest(id=VENDOR, name="智信运维（浏览器测试）有限公司", credit_code=CREDIT,
                                                  org_unit_id=GOV), timeout=10)
    project = award_om_project(admin, unit=GOV, vendor_id=VENDOR, name="2026年县政务云运维外包", item="osc-cloud-om",
                               method=pb.PROCUREMENT_METHOD_COMPETITIVE_CONSULTATION)
    return admin, project


def _input(page, test_id: str, within: str = ""):
    """The native input of an Element Plus field carrying data-test (ElInput puts it on the input)."""
    return page.locator(f'{within} input[data-test="{test_id}"], {within} textarea[data-test="{test_id}"]'.strip())


def _date(scope, placeholder: str, value: str) -> None:
    """Element Plus's date picker puts data-test on its panel, not the input: found by placeholder."""
    field = scope.get_by_placeholder(placeholder, exact=True)
    field.fill(value)
    field.press("Enter")


def test_a_contract_is_signed_accepted_amended_and_paid_in_the_browser(stack, awarded, portal, browser):
    admin, project = awarded
    page = browser(viewport=(1280, 1360))  # the signing dialog whole in the screenshots
    log_in(page, portal, "osc-dir")
    page.goto(f"{portal}/outsource/projects/{project.id}")

    # --- signing, refused first: the milestones add up to more than the amount
    page.locator('[data-test="sign-contract"]').click()
    dialog = page.locator('[data-test="sign-dialog"]')
    assert _input(page, "sign-amount").input_value() == "480000.00"  # the award's amount
    _date(dialog, "开始日期", "2026-01-01")
    _date(dialog, "结束日期", "2026-12-31")
    _input(page, "sign-deliverables").fill("运维方案\n月度运维报告")
    for row, (name, amount, acceptance) in enumerate([("首期款", "144000.00", "初验"), ("尾款", "400000.00", "终验")]):
        if row:
            dialog.locator('[data-test="add-milestone"]').click()
        _input(page, "milestone-name", f'[data-test="milestone-{row}"]').fill(name)
        _input(page, "milestone-amount", f'[data-test="milestone-{row}"]').fill(amount)
        _input(page, "milestone-acceptance", f'[data-test="milestone-{row}"]').fill(acceptance)
    for priority, response, resolution in (("critical", "15", "240"), ("high", "30", "480")):
        _input(page, f"target-{priority}-response").fill(response)
        _input(page, f"target-{priority}-resolution").fill(resolution)
    _input(page, "availability").fill("99.90")
    dialog.locator('[data-test="add-penalty"]').click()
    _input(page, "penalty-name", '[data-test="penalty-0"]').fill("响应超时")
    _input(page, "penalty-per-breach", '[data-test="penalty-0"]').fill("200")
    _input(page, "penalty-cap", '[data-test="penalty-0"]').fill("20000")
    dialog.locator('[data-test="sign-confirm"]').click()
    # the service's reason, in Chinese (contractForms.js), under the milestones
    dialog.locator('[data-test="milestones-item"] .el-form-item__error').get_by_text(
        "付款节点金额合计超过合同金额").wait_for()
    dialog.locator('[data-test="sign-problem"]').wait_for()
    shot(page, "outsource-contract-01-sign-refused")

    _input(page, "milestone-amount", '[data-test="milestone-1"]').fill("336000.00")
    # the first milestone falls due early in the period (long past by the time finance pays);
    # the second has none, as every contract signed before due dates existed
    _date(dialog.locator('[data-test="milestone-0"]'), "无到期日", "2026-03-31")
    total = dialog.locator('[data-test="milestones-total"]')
    total.get_by_text("节点合计 ¥480,000.00 / 合同金额 ¥480,000.00").wait_for()
    shot(page, "outsource-contract-02-sign")
    dialog.locator('[data-test="sign-confirm"]').click()
    dialog.wait_for(state="hidden")
    page.locator('[data-test="contract"]').get_by_text("¥480,000.00（v1）").wait_for()
    page.locator('[data-test="sla-terms"]').get_by_text("4 小时").wait_for()
    page.locator('[data-test="penalty-clauses"]').get_by_text("响应超时").wait_for()
    assert page.locator('[data-test="sign-contract"]').count() == 0
    assert page.locator('[data-test="record-payment"]').count() == 0  # the director has no outsource.pay
    contract_id = admin.GetProject(pb.GetProjectRequest(id=project.id), timeout=10).project.contract_id
    assert contract_id
    signed = admin.GetContract(pb.GetContractRequest(id=contract_id), timeout=10).contract
    assert [(m.name, m.due_on) for m in signed.milestones] == [("首期款", "2026-03-31"), ("尾款", "")]
    shot(page, "outsource-contract-03-signed")

    # --- execution, then the first milestone's acceptance with a PDF
    page.locator('[data-test="advance"]').click()  # 进入执行
    page.get_by_role("tab", name="验收与证明材料").click()
    page.locator('[data-test="record-acceptance"]').click()
    dialog = page.locator('[data-test="acceptance-dialog"]')
    _input(page, "acceptance-reviewers").fill("县信息中心 李工、县财政局 王工")
    _input(page, "check-item-0").fill("方案评审会议纪要齐全")
    _input(page, "check-item-1").fill("1-2 月报告按时提交")
    shot(page, "outsource-contract-04-acceptance")
    dialog.locator('[data-test="acceptance-confirm"]').click()
    evidence = page.locator('[data-test="evidence-dialog"]')
    evidence.get_by_text("验收证明材料：初验").wait_for()
    page.locator("#evidence-file").set_input_files(
        files=[{"name": "初验报告.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    evidence.locator('[data-test="evidence-upload"]').click()
    evidence.locator('[data-test="evidence-list"]').get_by_text("初验报告.pdf").wait_for()
    shot(page, "outsource-contract-05-evidence")
    # downloaded back (GetAcceptanceEvidence, base64 through the gateway): the very bytes uploaded
    listed = evidence.locator('[data-test="evidence-list"]').locator("tr", has_text="初验报告.pdf")
    with page.expect_download() as download:
        listed.get_by_role("button", name="下载", exact=True).click()
    assert download.value.suggested_filename == "初验报告.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    evidence.get_by_role("button", name="关闭", exact=True).click()
    evidence.wait_for(state="hidden")
    row = page.locator('[data-test="acceptances"]').locator("tr", has_text="首期款")
    row.get_by_text("初验报告.pdf").wait_for()
    row.get_by_text("通过").wait_for()

    # --- amending the SLA terms with a reason
    page.get_by_role("tab", name="合同与 SLA 条款").click()
    page.locator('[data-test="amend-contract"]').click()
    dialog = page.locator('[data-test="amend-dialog"]')
    _input(page, "amend-reason").fill("政务云扩容，紧急故障响应时限缩短")
    _input(page, "target-critical-response", '[data-test="amend-dialog"]').fill("10")
    shot(page, "outsource-contract-06-amend")
    dialog.locator('[data-test="amend-confirm"]').click()
    dialog.wait_for(state="hidden")
    versions = page.locator('[data-test="contract-versions"]')
    versions.locator("tr", has_text="v2").get_by_text("政务云扩容，紧急故障响应时限缩短").wait_for()
    versions.locator("tr", has_text="v1").get_by_text("签订时的条款").wait_for()
    page.locator('[data-test="sla-terms"]').get_by_text("10 分钟").wait_for()
    shot(page, "outsource-contract-07-amended")
    current = admin.GetContract(pb.GetContractRequest(id=contract_id), timeout=10).contract.current
    assert (current.version, current.reason, current.sla.targets[0].response_minutes) == (
        2, "政务云扩容，紧急故障响应时限缩短", 10)
    assert [p.name for p in current.penalties] == ["响应超时"]  # unchanged clauses are kept

    # --- finance pays: blocked by budget first (the county has no approved 2026 budget)
    wait_until(lambda: admin.GetContract(pb.GetContractRequest(id=contract_id), timeout=10).contract.budget_status
               == pb.CONTRACT_BUDGET_STATUS_BLOCKED, "budget refusing the contract's commitment")
    fin = browser(viewport=(1280, 1000))
    log_in(fin, portal, "osc-fin", landing="/catalogue*")
    fin.goto(f"{portal}/outsource/projects/{project.id}")
    fin.get_by_role("tab", name="付款与预算").click()
    assert fin.locator('[data-test="amend-contract"]').count() == 0  # no outsource.manage
    # unpaid past its due date: overdue; the second has no due date
    first = fin.locator('[data-test="milestones"]').locator("tr", has_text="首期款")
    first.get_by_text("2026-03-31").wait_for()
    first.locator('[data-test="milestone-overdue"]').get_by_text("已逾期").wait_for()
    assert fin.locator('[data-test="milestones"]').locator('[data-test="milestone-overdue"]').count() == 1
    shot(fin, "outsource-contract-08-milestone-overdue")
    fin.locator('[data-test="record-payment"]').click()
    dialog = fin.locator('[data-test="payment-dialog"]')
    dialog.locator('[data-test="payment-blocked"]').wait_for()
    assert _input(fin, "payment-amount").input_value() == "144000.00"  # what is left of the accepted milestone
    dialog.locator('[data-test="payment-confirm"]').click()
    problem = dialog.locator('[data-test="payment-problem"]')
    problem.get_by_text("合同超预算被拦截：须由签订人以外的人员在预算中办理超预算审批后才能付款").wait_for()
    problem.get_by_text("is blocked").wait_for()  # the service's own words beneath
    shot(fin, "outsource-contract-09-payment-blocked")
    dialog.get_by_role("button", name="取消").click()

    budget = budget_pb2_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token()))
    commitment = admin.GetContract(pb.GetContractRequest(id=contract_id), timeout=10).contract.commitment_id
    budget.ApproveOverBudget(bpb.ApproveOverBudgetRequest(
        commitment_id=commitment, reason="政务云扩容专项，已报县政府同意"), timeout=10)
    wait_until(lambda: admin.GetContract(pb.GetContractRequest(id=contract_id), timeout=10).contract.budget_status
               == pb.CONTRACT_BUDGET_STATUS_APPROVED, "outsource learning of the over-budget approval")
    fin.reload()
    fin.get_by_role("tab", name="付款与预算").click()
    fin.locator('[data-test="record-payment"]').click()
    assert dialog.locator('[data-test="payment-blocked"]').count() == 0
    _input(fin, "payment-amount").fill("150000.00")
    dialog.locator('[data-test="payment-confirm"]').click()
    problem.get_by_text("付款金额超过该节点未付金额（¥144,000.00）").wait_for()
    shot(fin, "outsource-contract-10-payment-over-milestone")
    _input(fin, "payment-amount").fill("144000.00")
    dialog.locator('[data-test="payment-confirm"]').click()
    dialog.wait_for(state="hidden")
    fin.locator('[data-test="remaining"]').get_by_text("¥336,000.00").wait_for()
    assert first.get_by_text("¥144,000.00").count() == 2  # amount and paid
    # paid in full: no longer overdue (the tag leaves through its fade transition, so waited for)
    first.locator('[data-test="milestone-overdue"]').wait_for(state="detached")
    first.get_by_text("2026-03-31").wait_for()
    fin.locator('[data-test="payments"]').get_by_text("首期款").wait_for()
    shot(fin, "outsource-contract-11-paid")
    paid = admin.GetContract(pb.GetContractRequest(id=contract_id), timeout=10).contract
    assert [(p.milestone_id, p.amount.amount) for p in paid.payments] == [("m1", "144000.00")]
