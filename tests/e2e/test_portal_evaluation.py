"""The management window end to end: the real stack plus `govops-portal`, Chromium through Playwright.

* The O&M centre's director watches the live KPI wall while a ticket is created over gRPC, and the
  number on the wall and today's point of the trend change without a reload (Server-Sent Events
  from WatchKpis, no polling); the drill-down to a support group's people shows their names.
* An evaluator opens a published plan's nine-grid (heatmap, a cell's indicators, ranking, the
  comparison with the previous month), downloads its PDF report — which must carry Chinese text and
  an embedded CJK font (poppler's pdftotext and pdffonts) — drafts a model version whose weights
  the service refuses on the field, and follows the rectifications as one flow per finding.
* An evaluator reads a vendor's SLA result (from outsource's monthly report) with the vendor's
  name and follows it to the report, and finds a plan's publication on the audit trail (issue 15).

Screenshots: .test-output/screens/kpi-NN-*.png and evaluation-NN-*.png (look at them)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from evaluation.domain import model as m
from evaluation.grpc_api import model_to_pb
from govkit.client import channel
from govops.common.v1.common_pb2 import DateRange, PageRequest
from govops.evaluation.v1 import evaluation_pb2 as epb
from govops.evaluation.v1 import evaluation_pb2_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.outsource.v1 import outsource_pb2 as ospb
from govops.outsource.v1 import outsource_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc
from tests.catchup import until_caught_up, wait_until
from tests.e2e.browser import at, create_users, log_in, shot
from tests.e2e.vendor_contract import credit_code, sign_om_contract

GOV, OM, DEPT = "kpw-gov", "kpw-om", "kpw-fgw"
VENDOR, VENDOR_NAME = "kpw-hx", "示范区华信运维服务有限公司"
CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def people(stack):
    """A government of its own (the stack is shared with the other e2e tests): its O&M centre, a
    department, an engineer, the director and an evaluator."""
    admin = stack.token()
    org = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), admin))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id=GOV, name="示范区人民政府", kind=opb.ORG_UNIT_KIND_GOVERNMENT))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id=OM, name="示范区运维中心", parent_id=GOV,
                                               kind=opb.ORG_UNIT_KIND_OM_CENTRE))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id=DEPT, name="示范区发展和改革委员会", parent_id=GOV,
                                               kind=opb.ORG_UNIT_KIND_DEPARTMENT))
    org.SaveStaff(opb.SaveStaffRequest(staff=opb.Staff(id="E-KPW-01", name="李建国", org_unit_id=GOV)))
    org.CreateSupportGroup(opb.CreateSupportGroupRequest(group=opb.SupportGroup(
        id="grp-kpw-net", name="示范区网络支持组", org_unit_id=GOV)))
    org.AddGroupMember(opb.AddGroupMemberRequest(group_id="grp-kpw-net", staff_id="E-KPW-01"))
    users = {"kpw-dir": ("示范区运维主任", "om_centre_director", GOV),
             "kpw-eval": ("示范区绩效评价员", "evaluator", GOV)}
    create_users(stack, users)
    return users


def _tickets(stack):
    return ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(subject="kpw-requester")))


def _create_ticket(stack, title: str, ticket_type: str = "request") -> str:
    return _tickets(stack).CreateTicket(tpb.CreateTicketRequest(
        title=title, org_unit_id=DEPT, category=tpb.CATEGORY_INFRASTRUCTURE, priority=tpb.PRIORITY_MEDIUM,
        ticket_type=ticket_type), timeout=10).ticket.id


def _resolve(stack, ticket_id: str) -> None:
    """The network group's engineer resolves the ticket (so the wall has a group and a person)."""
    lead = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token(subject="kpw-lead")))
    until_caught_up(lambda: lead.TransferTicket(tpb.TransferTicketRequest(ticket_id=ticket_id, group_id="grp-kpw-net",
                                                                 assignee="E-KPW-01"), timeout=10), "transfer")
    engineer = ticket_pb2_grpc.TicketServiceStub(channel(
        stack.target("ticket"), stack.token(subject="kpw-eng", extra={"staff_id": "E-KPW-01"})))
    engineer.ChangeStatus(tpb.ChangeStatusRequest(ticket_id=ticket_id, action=tpb.STATUS_ACTION_START), timeout=10)
    engineer.ResolveTicket(tpb.ResolveTicketRequest(ticket_id=ticket_id, resolution_code="fixed",
                                                    resolution="重启了汇聚交换机"), timeout=10)


def _tile(page, name: str) -> str:
    return page.locator(f'[data-test="tile-{name}"] [data-test="value"]').inner_text().strip()


def _wait_text(read, predicate, what: str, timeout: float = 30.0) -> str:
    """Until the page shows what is expected (a generous wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r}")
        time.sleep(0.1)


def _trend_created(page) -> tuple[str, int]:
    """(day, tickets created) of the trend chart's latest bucket, from its spoken summary."""
    label = page.locator('[data-test="trend-chart"]').get_attribute("aria-label") or ""
    found = re.search(r"(\d{4}-\d{2}-\d{2}) 新建工单 (\d+)", label)
    return (found.group(1), int(found.group(2))) if found else ("", -1)


def test_the_director_sees_a_new_ticket_on_the_live_kpi_wall(stack, portal, people, browser):
    # something to show in the trend and the process table: a ticket created and resolved today
    _resolve(stack, until_caught_up(lambda: _create_ticket(stack, "示范区发改委视频会议系统故障"), "create"))

    page = browser(viewport=(1440, 1000))
    log_in(page, portal, "kpw-dir")
    page.goto(f"{portal}/kpi?unit={GOV}")
    page.wait_for_url(at("/kpi"))
    page.locator('[data-test="live-state"]').get_by_text("实时").wait_for()
    page.locator('[data-test="crumbs"]').get_by_text("示范区人民政府").wait_for()
    before = _wait_text(lambda: _tile(page, "tickets_created"), lambda v: v not in ("—", "0"),
                        "the wall shows the first ticket")
    page.locator('[data-test="trend-chart"] canvas').first.wait_for()
    today = datetime.now(UTC).astimezone(CST).date().isoformat()
    day, trend_before = _wait_text(lambda: _trend_created(page), lambda v: v[0] == today and v[1] > 0,
                                   "the trend shows today's tickets")
    shot(page, "kpi-01-wall")

    # the page is not reloaded: the number moves with the SSE stream
    page.evaluate("window.__notReloaded = true")
    _create_ticket(stack, "示范区发改委打印机无法打印")
    after = _wait_text(lambda: _tile(page, "tickets_created"), lambda v: v != before,
                       "the wall shows the new ticket without a reload")
    assert int(after) == int(before) + 1
    # today's point of the trend follows the same push (the series itself is read once)
    _wait_text(lambda: _trend_created(page), lambda v: v == (today, trend_before + 1),
               "today's point of the trend moves with the stream")
    assert page.evaluate("window.__notReloaded") is True
    page.wait_for_timeout(800)  # the chart's transition to the new bar
    shot(page, "kpi-02-changed-live")

    # drill down: the government's support group → its members
    page.locator('[data-test="groups"]').get_by_text("示范区网络支持组").click()
    page.get_by_text("示范区网络支持组 成员").wait_for()
    # people by name (org's GetStaff), the id kept as the name's tooltip
    person = page.locator('[data-test="people"] [data-test="person-name"]', has_text="李建国")
    person.wait_for()
    assert person.get_attribute("title") == "E-KPW-01"
    page.locator('[data-test="backlog-chart"] canvas').first.wait_for()
    shot(page, "kpi-03-group-members")

    # drill down: the department below the government, then the trend by month
    page.locator('[data-test="children"]').get_by_text("示范区发展和改革委员会").click()
    page.locator('[data-test="crumbs"]').get_by_text("示范区发展和改革委员会").wait_for()
    page.get_by_text("按月").click()
    page.locator('[data-test="processes"]').get_by_text("服务请求").wait_for()
    shot(page, "kpi-04-department")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, tiles still legible
    page.locator('[data-test="tile-tickets_created"]').wait_for()
    shot(page, "kpi-05-phone")


def _ensure_model(stub) -> None:
    codes = {x.code for x in stub.ListModels(epb.ListModelsRequest(page=PageRequest(page_size=1000)),
                                             timeout=10).models}
    if m.DEFAULT_MODEL.code not in codes:
        stub.CreateModel(epb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=10)


def _publish(stack, name: str, start: date, end: date, key: str) -> str:
    """A plan of the default model over the O&M centre and two processes, scored, signed off by
    another person and published through gRPC (the browser tests of plans follow below)."""
    ev = lambda subject, person: evaluation_pb2_grpc.EvaluationServiceStub(  # noqa: E731
        channel(stack.target("evaluation"), stack.token(subject=subject, name=person)))
    runner, scorer, reviewer = ev("kpw-runner", "周评价"), ev("kpw-scorer", "吴打分"), ev("kpw-reviewer", "郑复核")
    _ensure_model(runner)
    request = epb.CreatePlanRequest(
        name=name, subject_org_unit_id=OM, subject_role="evaluator", model_code=m.DEFAULT_MODEL.code,
        period=DateRange(start=start.isoformat(), end=end.isoformat()), idempotency_key=key,
        objects=[epb.EvaluationObject(kind=epb.OBJECT_KIND_ORG_UNIT, id=OM)]
        + [epb.EvaluationObject(kind=epb.OBJECT_KIND_PROCESS, id=p, org_unit_id=GOV) for p in ("request", "incident")])
    plan = until_caught_up(lambda: runner.CreatePlan(request, timeout=10), "create the plan").plan
    runner.AdvancePlan(epb.AdvancePlanRequest(id=plan.id, to_state=epb.PLAN_STATE_DATA_COLLECTION), timeout=10)
    for code, score in (("org_rules_in_place", 50), ("ind_position_duties", 85)):
        scorer.SubmitManualScore(epb.SubmitManualScoreRequest(plan_id=plan.id, object_id=OM, indicator_code=code,
                                                              score=score, evidence="制度汇编与岗位说明书"), timeout=10)
    for step in (epb.PLAN_STATE_SELF_ASSESSMENT, epb.PLAN_STATE_REVIEW):
        runner.AdvancePlan(epb.AdvancePlanRequest(id=plan.id, to_state=step), timeout=30)
    reviewer.SignOffScores(epb.SignOffScoresRequest(plan_id=plan.id), timeout=10)
    runner.PublishPlan(epb.PublishPlanRequest(id=plan.id, no_data_override_reason="示范区首次评价，部分指标尚无数据"),
                       timeout=30)
    return plan.id


def test_an_evaluator_reads_the_nine_grid_and_downloads_the_pdf(stack, portal, people, browser, tmp_path):
    today = date.today()
    month_start = today.replace(day=1)
    previous_end = month_start - timedelta(days=1)
    _publish(stack, "示范区上月运维绩效评价", previous_end.replace(day=1), previous_end, "kpw-plan-previous")
    plan_id = _publish(stack, "示范区本月运维绩效评价", month_start, today, "kpw-plan-current")

    page = browser(viewport=(1440, 1000))
    log_in(page, portal, "kpw-eval", landing="/catalogue*")
    page.goto(f"{portal}/evaluation/grid?plan={plan_id}")
    grid = page.locator('[data-test="object-grid"]')
    grid.locator('[data-cell="process.goals"]').wait_for()
    page.locator(f'[data-test="ranking"] [data-object="{OM}"]').click()
    grid.get_by_text(f"运维组织 {OM}").wait_for()
    page.get_by_text("对比 示范区上月运维绩效评价").wait_for()
    page.locator('[data-test="heatmap"] canvas').first.wait_for()
    shot(page, "evaluation-01-nine-grid")

    # a cell opens its indicators: value, baseline, weight, score, trend and data source
    grid.locator('[data-cell="organization.design"]').click()
    dialog = page.locator('[data-test="cell-dialog"]')
    dialog.get_by_text("运维管理制度健全度").wait_for()
    dialog.get_by_text("人工评分（附佐证）").wait_for()
    dialog.get_by_text("制度汇编与岗位说明书").first.wait_for()
    shot(page, "evaluation-02-cell")
    page.keyboard.press("Escape")

    # the PDF report, downloaded by the browser
    with page.expect_download() as download:
        page.locator('[data-test="download-pdf"]').click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.fail("poppler-utils (pdftotext, pdffonts) are needed to check the report's Chinese glyphs")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("绩效评价结果报告", "九宫格热力图", "示范区本月运维绩效评价", "运维管理制度健全度"):
        assert words in text, words
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    # name, type, encoding, emb, sub, uni, object id: the CJK TrueType font (govkit.pdf) embedded as a
    # subset (its name carries the subset tag "XXXXXX+"); the base-14 Helvetica is never embedded
    cjk = [line for line in fonts[2:] if "+" in line.split()[0] and "TrueType" in line and line.split()[-5] == "yes"]
    assert cjk, "\n".join(fonts)

    # the plans: the published one with its steps
    page.goto(f"{portal}/evaluation/plans/{plan_id}")
    page.locator('[data-test="plan-state"]').get_by_text("已发布").wait_for()
    page.locator('[data-test="results"]').get_by_text(OM).first.wait_for()
    shot(page, "evaluation-03-plan")

    # a new model version: a weight that breaks its level's sum is refused on the field
    page.goto(f"{portal}/evaluation/models")
    page.locator('[data-test="draft"]').click()
    weight = page.locator('[data-test="weight-org_sla_attainment"] input')
    weight.fill("0")
    weight.press("Tab")
    page.locator('[data-test="validate"]').click()
    page.locator('[data-test="model-error"]').get_by_text("模型有误，请按提示修改").wait_for()
    page.locator('[data-test="error-org_sla_attainment"]').get_by_text("weight: must be greater than 0").wait_for()
    page.locator('[data-test="level-error-organization"]').get_by_text("must sum to 100").wait_for()
    shot(page, "evaluation-04-model-invalid")
    weight.fill("25")
    weight.press("Tab")
    page.locator('[data-test="validate"]').click()
    page.locator('[data-test="model-notice"]').get_by_text("校验通过").wait_for()

    # the closed loop: each finding as one flow (finding → assignment → rectification → accountability)
    page.goto(f"{portal}/evaluation/loop")
    page.locator("[data-rectification]").first.wait_for()
    page.get_by_text("发现问题").first.wait_for()
    shot(page, "evaluation-05-loop")


def test_an_evaluator_creates_a_plan_and_follows_its_steps(stack, portal, people, browser):
    _ensure_model(evaluation_pb2_grpc.EvaluationServiceStub(channel(stack.target("evaluation"), stack.token())))
    page = browser(viewport=(1440, 1000))
    log_in(page, portal, "kpw-eval", landing="/catalogue*")
    page.goto(f"{portal}/evaluation/plans")
    page.locator('[data-test="new-plan"]').click()
    dialog = page.locator('[data-test="create-plan"]')
    dialog.get_by_text("评价对象").first.wait_for()
    # nothing filled in: the service's violation (the period first) appears on the field it names
    page.locator('[data-test="save-plan"]').click()
    dialog.locator(".el-form-item", has_text="评价周期").locator(".el-form-item__error").wait_for()

    page.locator('input[data-test="plan-name"], [data-test="plan-name"] input').fill("示范区季度专项评价")
    page.locator('[data-test="plan-subject"]').click()
    page.locator(".el-select-dropdown__item", has_text=f"（{OM}）").first.click()
    dialog.get_by_placeholder("开始日期").fill("2026-10-01")
    dialog.get_by_placeholder("结束日期").fill("2026-10-31")
    dialog.get_by_placeholder("结束日期").press("Enter")
    dialog.get_by_placeholder("对象编号").first.fill(OM)
    shot(page, "evaluation-06-create-plan")
    page.locator('[data-test="save-plan"]').click()
    page.wait_for_url(at("/evaluation/plans/*"))
    page.locator('[data-test="plan-state"]').get_by_text("草拟").wait_for()

    page.locator('[data-test="advance"]').click()
    page.locator('[data-test="plan-state"]').get_by_text("数据采集").wait_for()
    scores = page.locator('[data-test="manual-scores"]')
    row = scores.locator(".el-table__row", has_text="运维管理制度健全度")
    row.get_by_label("佐证").fill("制度汇编（2026版）")
    row.get_by_role("button", name="保存").click()
    row.get_by_text("kpw-eval").wait_for()
    shot(page, "evaluation-07-plan-steps")

    # the same page in English (every text of the window exists in both languages)
    page.get_by_role("button", name="English").click()
    page.get_by_text("Manual scores").wait_for()
    page.locator('[data-test="plan-state"]').get_by_text("Data collection").wait_for()
    page.goto(f"{portal}/evaluation/plans")
    page.locator('[data-test="plans"]').get_by_text("示范区季度专项评价").wait_for()
    page.get_by_role("button", name="New evaluation plan").wait_for()
    shot(page, "evaluation-08-english")
    page.get_by_role("button", name="中文").click()


@pytest.fixture(scope="module")
def vendor_report(stack, people):
    """The government's O&M vendor on a signed contract and its November SLA report (three misses,
    ¥1,200.00 of penalties), generated through outsource's gRPC API; evaluation learns of it from
    outsource's vendor_sla_reported event."""
    stack.create_org_units([(GOV, "示范区人民政府", "", "government")])  # waits for every service's copy
    _, signed = sign_om_contract(stack, unit=GOV, vendor_id=VENDOR, vendor_name=VENDOR_NAME,
                                 credit=credit_code("91110108551385092"), prefix="kpw")
    outsource = outsource_pb2_grpc.OutsourceServiceStub(channel(stack.target("outsource"), stack.token()))
    report = outsource.GenerateSlaReport(ospb.GenerateSlaReportRequest(
        contract_id=signed.id, period=DateRange(start="2026-11-01", end="2026-11-30")), timeout=30).report
    ev = evaluation_pb2_grpc.EvaluationServiceStub(channel(stack.target("evaluation"), stack.token()))
    wait_until(lambda: ev.ListVendorResults(epb.ListVendorResultsRequest(vendor_id=VENDOR), timeout=10).results,
               "evaluation records the vendor's report")
    return report


def test_an_evaluator_reads_a_vendors_sla_result_and_opens_its_report(stack, portal, people, vendor_report, browser):
    page = browser(viewport=(1440, 900))
    log_in(page, portal, "kpw-eval", landing="/catalogue*")
    page.locator('[data-test="side-menu"]').get_by_role("link", name="服务商评价结果").click()
    page.wait_for_url(at("/evaluation/vendors"))
    row = page.locator('[data-test="vendor-table"] .el-table__row', has_text=VENDOR_NAME)
    row.wait_for()
    row.get_by_text("2026-11-01 ~ 2026-11-30").wait_for()
    row.locator('[data-test="penalty"]').get_by_text("¥1,200.00").wait_for()
    assert "3" in row.inner_text().split()  # the three tickets that missed a target

    # the unit filter: the contract's owner keeps it, another unit does not
    unit = page.locator('[data-test="vendor-unit"]')
    unit.click()
    page.locator(".el-select-dropdown__item", has_text="示范区发展和改革委员会").click()
    page.get_by_text("暂无服务商SLA结果").wait_for()
    unit.click()
    page.locator(".el-select-dropdown__item", has_text="示范区人民政府").click()
    row.wait_for()
    page.keyboard.press("Escape")
    shot(page, "evaluation-09-vendor-results")

    row.locator('[data-test="open-report"]').click()
    page.wait_for_url(at(f"/outsource/reports/{vendor_report.id}"))
    page.locator('[data-test="penalty-total"]').get_by_text("¥1,200.00").wait_for()


def test_an_evaluator_finds_a_plans_publication_on_the_audit_trail(stack, portal, people, browser):
    last_month = date.today().replace(day=1) - timedelta(days=1)
    plan_id = _publish(stack, "示范区审计轨迹专项评价", last_month.replace(day=1), last_month, "kpw-plan-audit")
    page = browser(viewport=(1440, 900))
    log_in(page, portal, "kpw-eval", landing="/catalogue*")
    page.locator('[data-test="side-menu"]').get_by_role("link", name="评价审计轨迹").click()
    page.wait_for_url(at("/evaluation/audit"))
    page.locator('[data-test="audit-kind"]').get_by_text("评价计划").click()
    published = page.locator(f'[data-action="plan_published"][data-entity="{plan_id}"]')
    published.get_by_text("发布评价结果").wait_for()
    published.get_by_text("操作人 周评价（kpw-runner）").wait_for()  # the name their token carried
    published.locator('[data-test="audit-detail"]').get_by_text("原状态：复核").wait_for()  # from_state: review
    published.get_by_text("示范区运维中心").wait_for()

    # today's entries keep it; the entry leads to the plan
    today = datetime.now(UTC).astimezone(CST).date().isoformat()
    _pick_days(page, today, today)
    published.wait_for()
    page.keyboard.press("Escape")
    shot(page, "evaluation-10-audit-trail")
    published.locator('[data-test="audit-link"]').get_by_text("示范区审计轨迹专项评价").click()
    page.wait_for_url(at(f"/evaluation/plans/{plan_id}"))
    page.locator('[data-test="plan-state"]').get_by_text("已发布").wait_for()

    # a day long past has none
    page.go_back()
    page.wait_for_url(at("/evaluation/audit"))
    page.locator("[data-action]").first.wait_for()
    _pick_days(page, "2020-01-01", "2020-01-02")
    page.get_by_text("所选范围内没有审计记录").wait_for()
    assert page.locator("[data-action]").count() == 0


def _pick_days(page, start: str, end: str) -> None:
    """Types a range into the (empty) date range picker of the page."""
    page.get_by_placeholder("开始日期").fill(start)
    page.get_by_placeholder("结束日期").fill(end)
    page.get_by_placeholder("结束日期").press("Enter")
