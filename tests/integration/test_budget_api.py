"""The budget gRPC API as an integrator sees it: real server, real stub, real PostgreSQL."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal

import grpc
import pytest
import sqlalchemy as sa

from budget import handlers
from budget.adapters.uow import BudgetUnitOfWork
from budget.domain.sample import SAMPLE_CODE, SAMPLE_NAME, SAMPLE_REGION, sample_body
from budget.grpc_api import body_to_pb
from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.protoconv import as_money
from govops.budget.v1 import budget_pb2 as pb
from govops.budget.v1 import budget_pb2_grpc as pb_grpc
from govops.common.v1.common_pb2 import PageRequest
from tests.paging import assert_garbage_token_refused, read_paged

UNITS = [("gov", "某市人民政府", None), ("om-centre", "市电子政务运维中心", "gov"),
         ("fgw", "市发展和改革委员会", "gov"), ("czj", "市财政局", "gov"), ("fgw-xxzx", "市发改委信息中心", "fgw")]


@pytest.fixture
def budget_env(grpc_server, engine_for):
    engine = engine_for("budget")
    handlers.upsert_org_units(UNITS, BudgetUnitOfWork(engine))
    return grpc_server("budget")["budget"], engine


def stub(target, token) -> pb_grpc.BudgetServiceStub:
    return pb_grpc.BudgetServiceStub(channel(target, token))


def _rpc_error(fn, *args, **kw) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, timeout=30, **kw)
    return err.value


def _count(engine, sql) -> int:
    with engine.connect() as c:
        return c.execute(sa.text(sql)).scalar()


def asset(code, kind="server", dept="fgw", value="100000.00", **kw) -> pb.AssetFields:
    return pb.AssetFields(code=code, name=f"资产{code}", kind=kind, org_unit_id=dept, original_value=as_money(value),
                          quantity=kw.pop("quantity", 1), **kw)


def sample_standard(s, effective_from="2026-01-01", approve=True, code=SAMPLE_CODE, approver=None) -> pb.Standard:
    """The sample standard drafted by `s` and, if `approve`, approved by `approver` — another
    person (separation of duties)."""
    body = body_to_pb(sample_body())
    created = s.CreateStandard(pb.CreateStandardRequest(code=code, name=SAMPLE_NAME, effective_from=effective_from,
                                                        default_region=SAMPLE_REGION, body=body), timeout=30).standard
    if approve:
        assert approver is not None, "a standard is approved by someone other than its author"
        created = approver.ApproveStandard(pb.ApproveStandardRequest(id=created.id), timeout=30).standard
    return created


def test_compile_trace_approve_execute_and_export(budget_env, admin_token, signer):
    target, engine = budget_env
    s = stub(target, admin_token)
    core = s.RegisterAsset(pb.RegisterAssetRequest(fields=asset(
        "NET-1", "network_core", value="1000000.00", protection_level=3)), timeout=30).asset
    s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("SRV-1", value="50000.55", quantity=2,
                                                         support_mode=pb.SUPPORT_MODE_REMOTE),
                                            relations=[pb.RegisterAssetRequest.Relation(
                                                kind=pb.RELATION_KIND_CONNECTED_TO, asset_id=core.id)]), timeout=30)
    s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("APP-1", "application_complex", dept="fgw-xxzx",
                                                         value="2000000")), timeout=30)
    s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("CZ-1", dept="czj")), timeout=30)
    finance = stub(target, signer.mint("finance", perms=["*"], scopes=[{"unit": "*"}]))
    standard = sample_standard(s, approver=finance)

    budget = s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="fgw", year=2026, standard_id=standard.id,
                                                     include_subtree=True), timeout=30).budget
    assert budget.state == pb.BUDGET_STATE_DRAFT and set(budget.org_unit_ids) == {"fgw", "fgw-xxzx"}
    assert budget.asset_count == 3  # czj's server is not in fgw's subtree
    lines = s.ListBudgetLines(pb.ListBudgetLinesRequest(budget_id=budget.id, page=PageRequest(page_size=2)),
                              timeout=30)
    all_lines = list(lines.lines)
    while lines.page.next_page_token:
        lines = s.ListBudgetLines(pb.ListBudgetLinesRequest(
            budget_id=budget.id, page=PageRequest(page_size=2, page_token=lines.page.next_page_token)), timeout=30)
        all_lines += lines.lines
    assert len(all_lines) == budget.line_count
    assert sum(Decimal(ln.amount.amount) for ln in all_lines) == Decimal(budget.total.amount)
    assert sum(Decimal(a.amount.amount) for a in budget.by_category) == Decimal(budget.total.amount)
    rate_line = next(ln for ln in all_lines if ln.asset_kind == "network_core" and ln.rule_type == "rate")
    # 1,000,000 × 3.5 % × 1.10 (等保三级)
    assert rate_line.amount.amount == "38500.00" and rate_line.amount.currency == "CNY"
    trace = s.TraceBudgetLine(pb.TraceBudgetLineRequest(budget_id=budget.id, line_no=rate_line.line_no), timeout=30)
    assert [a.fields.code for a in trace.assets] == ["NET-1"] and "等保3级" in trace.group
    assert "费率 3.5%" in trace.line.formula and trace.standard == f"{SAMPLE_CODE} v1"

    # what-if against a second version with a higher server rate, and no budget last year
    body = sample_body()
    body["rate_rules"][0]["rate"] = "0.08"
    pb_body = body_to_pb(body)
    v2 = s.CreateStandard(pb.CreateStandardRequest(code=SAMPLE_CODE, name="草稿v2", effective_from="2026-01-01",
                                                   default_region=SAMPLE_REGION, body=pb_body), timeout=30).standard
    assert v2.version == 2
    cmp = s.CompareBudget(pb.CompareBudgetRequest(budget_id=budget.id, against_standard_id=v2.id), timeout=30)
    hw = next(r for r in cmp.rows if r.code == "hardware_om")
    # 50000.55 × 8 % × 0.80 (remote) = 3200.04 against 50000.55 × 5.5 % × 0.80 = 2200.02
    assert Decimal(hw.what_if_change.amount) == Decimal("1000.02") and not cmp.rows[-1].HasField("last_year")

    # approval: each step its own permission, with comments; then no more edits
    reviewer = signer.mint("reviewer", perms=["budget.review", "budget.read"], scopes=[{"unit": "*"}])
    assert _rpc_error(stub(target, reviewer).SubmitBudget, pb.SubmitBudgetRequest(id=budget.id)).code() \
        == grpc.StatusCode.PERMISSION_DENIED
    s.SubmitBudget(pb.SubmitBudgetRequest(id=budget.id, comment="请审核"), timeout=30)
    stub(target, reviewer).ReviewBudget(pb.ReviewBudgetRequest(id=budget.id, decision=pb.DECISION_PASS,
                                                               comment="测算依据充分"), timeout=30)
    approved = finance.ApproveBudget(pb.ApproveBudgetRequest(id=budget.id, decision=pb.DECISION_PASS, comment="同意"),
                               timeout=30).budget
    assert approved.state == pb.BUDGET_STATE_APPROVED
    err = _rpc_error(s.CompileBudget, pb.CompileBudgetRequest(org_unit_id="fgw", year=2026, standard_id=standard.id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "approved" in err.details()
    actions = s.GetBudget(pb.GetBudgetRequest(id=budget.id), timeout=30).budget.actions
    assert [(a.action, a.comment) for a in actions][1:] == [(pb.BUDGET_STEP_SUBMIT, "请审核"),
                                                           (pb.BUDGET_STEP_REVIEW, "测算依据充分"),
                                                           (pb.BUDGET_STEP_APPROVE, "同意")]

    # execution: 90 % of hardware → threshold event; more → exceeded
    hw_budget = Decimal(next(a.amount.amount for a in approved.by_category if a.code == "hardware_om"))
    first = (hw_budget * Decimal("0.9")).quantize(Decimal("0.01"))
    s.RecordExpense(pb.RecordExpenseRequest(budget_id=budget.id, fee_category="hardware_om",
                                            line_no=rate_line.line_no, amount=as_money(first), spent_on="2026-04-01",
                                            description="核心交换机维保", idempotency_key="e-1"), timeout=30)
    again = s.RecordExpense(pb.RecordExpenseRequest(budget_id=budget.id, fee_category="hardware_om",
                                                    line_no=rate_line.line_no, amount=as_money(first),
                                                    spent_on="2026-04-01", description="核心交换机维保",
                                                    idempotency_key="e-1"), timeout=30)
    assert again.replayed
    s.RecordExpense(pb.RecordExpenseRequest(budget_id=budget.id, fee_category="hardware_om", amount=as_money(hw_budget),
                                            spent_on="2026-06-01"), timeout=30)
    err = _rpc_error(s.RecordExpense, pb.RecordExpenseRequest(budget_id=budget.id, fee_category="training",
                                                              amount=as_money("100"), spent_on="2026-06-01"))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "excluded" in dict(iter_bad_request(err))["fee_category"]
    x = s.GetExecution(pb.GetExecutionRequest(budget_id=budget.id), timeout=30)
    hw_exec = next(c for c in x.categories if c.code == "hardware_om")
    assert Decimal(hw_exec.spent.amount) == first + hw_budget and Decimal(hw_exec.execution_rate) > 100
    assert [ln.line_no for ln in x.lines] == [rate_line.line_no]
    # The expenses are paged (issue 11, item 3); the rest of the answer comes with every page.
    expenses = read_paged(s.GetExecution, pb.GetExecutionRequest(budget_id=budget.id), "expenses", 1)
    assert [e.id for e in expenses] == [e.id for e in x.expenses] and len(expenses) == 2
    second = s.GetExecution(pb.GetExecutionRequest(budget_id=budget.id, page=PageRequest(
        page_size=1, page_token=s.GetExecution(pb.GetExecutionRequest(budget_id=budget.id, page=PageRequest(
            page_size=1)), timeout=30).page.next_page_token)), timeout=30)
    assert second.total_spent == x.total_spent and second.lines == x.lines and second.page.total_size == 2
    assert_garbage_token_refused(s.GetExecution, pb.GetExecutionRequest(budget_id=budget.id))
    with engine.connect() as c:
        types = c.execute(sa.text("SELECT type, envelope->'data'->>'scope', envelope->>'orgunitid' FROM outbox "
                                  "WHERE type LIKE 'govops.budget.budget_%' ORDER BY seq")).all()
    assert ("govops.budget.budget_threshold_reached.v1", "hardware_om", "fgw") in types
    assert ("govops.budget.budget_exceeded.v1", "hardware_om", "fgw") in types
    assert ("govops.budget.budget_approved.v1", None, "fgw") in types

    # exports
    import openpyxl

    xlsx = s.ExportBudget(pb.ExportBudgetRequest(budget_id=budget.id, format=pb.FILE_FORMAT_XLSX), timeout=30)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames[:2] == ["汇总", "硬件运维费"] and len(wb.sheetnames) == 6
    detail = [r for r in wb["硬件运维费"].iter_rows(min_row=2, values_only=True) if r[0] != "合计"]
    assert any("费率 3.5%" in r[12] for r in detail)
    pdf = s.ExportBudget(pb.ExportBudgetRequest(budget_id=budget.id, format=pb.FILE_FORMAT_PDF), timeout=30)
    assert pdf.content.startswith(b"%PDF") and pdf.filename == "budget-fgw-2026.pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        assert "市发展和改革委员会" in text.decode() and "硬件运维费" in text.decode()


def test_departments_are_isolated(budget_env, signer, admin_token):
    target, _ = budget_env
    fgw = signer.mint("fgw-user", perms=["budget.read", "budget.asset.write"], scopes=[{"unit": "fgw"}])
    czj_asset = stub(target, admin_token).RegisterAsset(pb.RegisterAssetRequest(fields=asset("CZ-9", dept="czj")),
                                                        timeout=30).asset
    mine = stub(target, fgw).RegisterAsset(pb.RegisterAssetRequest(fields=asset("FG-9")), timeout=30).asset
    err = _rpc_error(stub(target, fgw).GetAsset, pb.GetAssetRequest(id=czj_asset.id))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    err = _rpc_error(stub(target, fgw).RegisterAsset, pb.RegisterAssetRequest(fields=asset("CZ-10", dept="czj")))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = stub(target, fgw).ListAssets(pb.ListAssetsRequest(), timeout=30).assets
    assert [a.id for a in listed] == [mine.id]
    err = _rpc_error(stub(target, fgw).UpdateAsset, pb.UpdateAssetRequest(
        id=czj_asset.id, fields=pb.AssetFields(original_value=as_money("1")), update_mask=["original_value"]))
    assert err.code() == grpc.StatusCode.NOT_FOUND


def test_asset_changes_are_kept_as_history_and_events(budget_env, admin_token):
    target, engine = budget_env
    s = stub(target, admin_token)
    a = s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("H-1")), timeout=30).asset
    s.UpdateAsset(pb.UpdateAssetRequest(id=a.id, fields=pb.AssetFields(original_value=as_money("120000.00"),
                                                                       location="二楼机房"),
                                        update_mask=["original_value", "location"], expected_version=1), timeout=30)
    err = _rpc_error(s.UpdateAsset, pb.UpdateAssetRequest(id=a.id, fields=pb.AssetFields(location="x"),
                                                          update_mask=["location"], expected_version=1))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    bad = pb.AssetFields(quantity=0, original_value=as_money("x"))
    err = _rpc_error(s.UpdateAsset, pb.UpdateAssetRequest(id=a.id, fields=bad,
                                                          update_mask=["quantity", "original_value"]))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err))) == {"quantity", "original_value"}
    s.RetireAsset(pb.RetireAssetRequest(id=a.id, reason="设备老化"), timeout=30)
    got = s.GetAsset(pb.GetAssetRequest(id=a.id), timeout=30)
    assert got.asset.fields.status == pb.ASSET_STATUS_RETIRED
    assert [h.action for h in got.history] == [pb.ASSET_ACTION_REGISTERED, pb.ASSET_ACTION_CHANGED,
                                                 pb.ASSET_ACTION_RETIRED]
    assert "120000.00" in got.history[1].changes_json
    # The history is paged (issue 11, item 3); the asset comes with every page.
    history = read_paged(s.GetAsset, pb.GetAssetRequest(id=a.id), "history", 2)
    assert [h.changes_json for h in history] == [h.changes_json for h in got.history]
    last = s.GetAsset(pb.GetAssetRequest(id=a.id, page=PageRequest(page_size=2, page_token=s.GetAsset(
        pb.GetAssetRequest(id=a.id, page=PageRequest(page_size=2)), timeout=30).page.next_page_token)), timeout=30)
    assert last.asset == got.asset and [h.action for h in last.history] == [pb.ASSET_ACTION_RETIRED]
    assert_garbage_token_refused(s.GetAsset, pb.GetAssetRequest(id=a.id))
    with engine.connect() as c:
        types = c.execute(sa.text("SELECT type FROM outbox ORDER BY seq")).scalars().all()
    assert types == ["govops.budget.asset_registered.v1", "govops.budget.asset_changed.v1",
                     "govops.budget.asset_retired.v1"]
    found = s.ListAssets(pb.ListAssetsRequest(filter=pb.AssetFilter(text="二楼")), timeout=30).assets
    assert [x.id for x in found] == [a.id]


CSV_HEADER = "资产编号,名称,类别,所属部门,原值,数量,等保级别,支持方式,状态\n"


def test_import_is_all_or_nothing_with_a_per_row_report(budget_env, admin_token):
    target, engine = budget_env
    s = stub(target, admin_token)
    bad = (CSV_HEADER + "I-1,服务器,server,fgw,1000,1,2,现场,在用\n"
           "I-2,交换机,network_core,fgw,-5,1,2,现场,在用\n"
           "I-3,未知设备,toaster,fgw,abc,1,9,现场,在用\n").encode()
    err = _rpc_error(s.ImportAssets, pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=bad))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = dict(iter_bad_request(err))
    assert set(fields) == {"rows[3].original_value", "rows[4].kind", "rows[4].original_value",
                           "rows[4].protection_level"}
    assert _count(engine, "SELECT count(*) FROM assets") == 0

    mixed = (CSV_HEADER + "I-1,服务器,server,fgw,1000,1,2,现场,在用\n").encode() + \
        "I-2,交换机,network_core,fgw,5,1,2,现场,在用\n".encode("gbk")
    err = _rpc_error(s.ImportAssets, pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=mixed))
    assert list(dict(iter_bad_request(err))) == ["rows[3]"]

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(CSV_HEADER.strip().split(","))
    for i in range(50):
        ws.append([f"X-{i}", f"服务器{i}", "PC服务器/主机", "czj" if i % 2 else "fgw", 10000 + i, 1, 3, "远程", "在用"])
    buf = io.BytesIO()
    wb.save(buf)
    n = s.ImportAssets(pb.ImportAssetsRequest(format=pb.FILE_FORMAT_XLSX, content=buf.getvalue()), timeout=30)
    assert n.imported == 50 and _count(engine, "SELECT count(*) FROM assets") == 50
    assert _count(engine, "SELECT count(*) FROM outbox WHERE type='govops.budget.asset_registered.v1'") == 50
    again = _rpc_error(s.ImportAssets, pb.ImportAssetsRequest(format=pb.FILE_FORMAT_XLSX, content=buf.getvalue()))
    assert "rows[2].code" in dict(iter_bad_request(again))
    exported = s.ExportAssets(pb.ExportAssetsRequest(format=pb.FILE_FORMAT_CSV,
                                                     filter=pb.AssetFilter(org_unit_id="czj")), timeout=30)
    assert exported.count == 25 and exported.content.decode("utf-8-sig").count("\n") == 26


def test_standard_versions_drafts_and_effective_dates(budget_env, admin_token, signer):
    target, _ = budget_env
    s = stub(target, admin_token)
    finance = stub(target, signer.mint("finance", perms=["*"], scopes=[{"unit": "*"}]))
    s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("S-1")), timeout=30)
    draft = sample_standard(s, approve=False)
    err = _rpc_error(s.CompileBudget, pb.CompileBudgetRequest(org_unit_id="fgw", year=2027, standard_id=draft.id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "draft" in err.details()
    approved = finance.ApproveStandard(pb.ApproveStandardRequest(id=draft.id), timeout=30).standard
    err = _rpc_error(s.UpdateStandard, pb.UpdateStandardRequest(id=approved.id, name="改", effective_from="2026-01-01",
                                                                body=approved.body))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "immutable" in err.details()
    err = _rpc_error(s.CompileBudget, pb.CompileBudgetRequest(org_unit_id="fgw", year=2025, standard_id=approved.id))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "effective from 2026-01-01" in dict(iter_bad_request(err))["standard_id"]
    body = body_to_pb(sample_body())
    body.rate_rules.add(asset_kind="server", fee_item="hw_upkeep", rate="0.01")
    err = _rpc_error(s.CreateStandard, pb.CreateStandardRequest(code="BAD", name="重叠", effective_from="2026-01-01",
                                                                body=body))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "overlaps rate_rules[0]" in dict(iter_bad_request(err))[f"rate_rules[{len(body.rate_rules) - 1}]"]
    err = _rpc_error(s.CompileBudget, pb.CompileBudgetRequest(org_unit_id="nowhere", year=2027,
                                                              standard_id=approved.id))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    # last year's budget shows in the comparison
    last = s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="fgw", year=2026, standard_id=approved.id),
                           timeout=30).budget
    this = s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="fgw", year=2027, standard_id=approved.id),
                           timeout=30).budget
    cmp = s.CompareBudget(pb.CompareBudgetRequest(budget_id=this.id), timeout=30)
    assert cmp.last_year_budget_id == last.id and cmp.rows[-1].change.amount == "0.00"


def test_a_line_is_traced_page_by_page_in_asset_code_order(budget_env, admin_token, signer):
    """TraceBudgetLine pages the group in PostgreSQL (a slice of its stored ids): every asset once,
    in code order, whatever order they were registered in; the page token carries on."""
    target, _ = budget_env
    s = stub(target, admin_token)
    codes = [f"TR-{n:02d}" for n in (7, 3, 11, 1, 9, 5, 2)]
    for code in codes:  # registered out of code order, all in one group (same unit, kind, dimensions)
        s.RegisterAsset(pb.RegisterAssetRequest(fields=asset(code, dept="czj")), timeout=30)
    standard = sample_standard(s, approver=stub(target, signer.mint("finance", perms=["*"], scopes=[{"unit": "*"}])))
    budget = s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="czj", year=2026, standard_id=standard.id),
                             timeout=30).budget
    line = next(ln for ln in read_paged(s.ListBudgetLines, pb.ListBudgetLinesRequest(budget_id=budget.id), "lines", 50)
                if ln.rule_type == "rate")
    request = pb.TraceBudgetLineRequest(budget_id=budget.id, line_no=line.line_no)
    traced = read_paged(s.TraceBudgetLine, request, "assets", 3)
    assert [a.fields.code for a in traced] == sorted(codes)
    assert s.TraceBudgetLine(request, timeout=30).page.total_size == len(codes)
    assert_garbage_token_refused(s.TraceBudgetLine, request)


def test_import_validate_only_reports_every_bad_row_and_writes_nothing(budget_env, admin_token):
    """The portal's dry run: all problems of all rows come back, and neither a bad nor a good file
    leaves an asset, a history row or an outbox event behind."""
    target, engine = budget_env
    s = stub(target, admin_token)
    tables = ("assets", "asset_history", "outbox")
    before = {t: _count(engine, f"SELECT count(*) FROM {t}") for t in tables}
    bad = (CSV_HEADER + "V-1,服务器,server,fgw,1000,1,2,现场,在用\n"
           "V-2,交换机,network_core,fgw,-5,1,2,现场,在用\n"
           "V-3,未知设备,toaster,fgw,abc,1,9,现场,在用\n"
           "V-4,核心交换机,network_core,nowhere,10,1,2,现场,在用\n").encode()
    err = _rpc_error(s.ImportAssets, pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=bad,
                                                            validate_only=True))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err))) == {"rows[3].original_value", "rows[4].kind", "rows[4].original_value",
                                                "rows[4].protection_level", "rows[5].org_unit_id"}
    assert {t: _count(engine, f"SELECT count(*) FROM {t}") for t in tables} == before

    good = (CSV_HEADER + "V-1,服务器,server,fgw,1000,1,2,现场,在用\n"
            "V-2,交换机,network_core,czj,5,1,2,现场,在用\n").encode()
    dry = s.ImportAssets(pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=good, validate_only=True),
                         timeout=30)
    assert (dry.imported, dry.checked) == (0, 2)
    assert {t: _count(engine, f"SELECT count(*) FROM {t}") for t in tables} == before

    done = s.ImportAssets(pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=good), timeout=30)
    assert (done.imported, done.checked) == (2, 2)
    assert _count(engine, "SELECT count(*) FROM assets") == before["assets"] + 2
    # A code registered since is caught by the dry run too, not only by the import.
    again = _rpc_error(s.ImportAssets, pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=good,
                                                              validate_only=True))
    assert set(dict(iter_bad_request(again))) == {"rows[2].code", "rows[3].code"}
