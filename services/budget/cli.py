"""`govops budget …`: the configuration base, quota standards, budgets and their execution."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import grpc
import typer

from govkit.cli_support import Listing, console, emit, emit_record, fail, file_format, grpc_channel, json_output, when
from govkit.protoconv import as_money
from govops.common.v1.common_pb2 import PageRequest

app = typer.Typer(help="Budget: configuration base, quota standard, compilation, approval, execution",
                  no_args_is_help=True)
assets_app = typer.Typer(help="Configuration base (assets)", no_args_is_help=True)
standard_app = typer.Typer(help="Quota standard versions", no_args_is_help=True)
expense_app = typer.Typer(help="Actual spending against an approved budget", no_args_is_help=True)
app.add_typer(assets_app, name="assets")
app.add_typer(standard_app, name="standard")
app.add_typer(expense_app, name="expense")

TIMEOUT = 120
BUDGET = typer.Argument(..., help="budget id, or org unit id with --year")
YEAR = typer.Option(0, help="budget year (with an org unit id as BUDGET)")
COMMENT = typer.Option("", help="comment for the approval trail")


def _call(method: str, request):
    from govops.budget.v1 import budget_pb2_grpc

    with grpc_channel("budget") as ch:
        try:
            return getattr(budget_pb2_grpc.BudgetServiceStub(ch), method)(request, timeout=TIMEOUT)
        except grpc.RpcError as err:
            fail(err)


def _whole(method: str, request, field: str):
    """The reply of a method that pages one of its lists (`field`), with every page's items in it."""
    reply = _call(method, request)
    while reply.page.next_page_token:
        request.page.page_token = reply.page.next_page_token
        more = _call(method, request)
        getattr(reply, field).extend(getattr(more, field))
        reply.page.CopyFrom(more.page)
    return reply


def _pb():
    from govops.budget.v1 import budget_pb2

    return budget_pb2


def _state(value: int) -> str:
    return _pb().BudgetState.Name(value).replace("BUDGET_STATE_", "").lower()


@app.command("fees")
def fees():
    """The five O&M fee categories with their items, and what an O&M fee never includes."""
    reply = _call("ListFeeCategories", _pb().ListFeeCategoriesRequest())
    table = Listing("运维费构成 (O&M fee composition)")
    for col in ("category", "name", "items"):
        table.add_column(col)
    for c in reply.categories:
        table.add_row(c.code, c.name, "、".join(f"{i.name}({i.code})" for i in c.items))
    emit(table)
    console.print("不属于运维费 (excluded): " + "、".join(f"{c.name}({c.code})" for c in reply.excluded))


# ---- assets -----------------------------------------------------------------------------------
@assets_app.command("import")
def assets_import(file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".csv or .xlsx"),
                  validate_only: bool = typer.Option(False, "--validate-only",
                                                     help="check every row, write nothing")):
    """Import assets, all or nothing; a bad file is refused with a per-row, per-column report."""
    pb = _pb()
    fmt = file_format(file, {".csv": pb.FILE_FORMAT_CSV, ".xlsx": pb.FILE_FORMAT_XLSX})
    reply = _call("ImportAssets", pb.ImportAssetsRequest(format=fmt, content=file.read_bytes(),
                                                         validate_only=validate_only))
    if validate_only:
        emit_record({"imported": 0, "checked": reply.checked, "file": str(file)},
                    f"[bold]{reply.checked}[/bold] rows of {file} are valid; nothing was imported")
        return
    emit_record({"imported": reply.imported, "file": str(file)},
                f"imported [bold]{reply.imported}[/bold] assets from {file}")


AssetStatus = Enum("AssetStatus", {w: w for w in ("in_use", "spare", "retired")}, type=str)  # type: ignore[misc]


def _filter(org_unit_id, kind, status, text):
    pb = _pb()
    number = pb.AssetStatus.Value(f"ASSET_STATUS_{status.value.upper()}") if status else 0
    return pb.AssetFilter(org_unit_id=org_unit_id, kinds=kind, status=number, text=text)


@assets_app.command("list")
def assets_list(org_unit_id: str = typer.Option("", "--org-unit", help="org unit id"),
                kind: list[str] = typer.Option([], help="asset kind code(s)"),
                status: AssetStatus | None = typer.Option(None, help="only assets in this status"),
                text: str = typer.Option("", help="search code, name, brand, model, location"),
                limit: int = typer.Option(50, help="rows to show")):
    """List assets (filtered by your department scope)."""
    pb = _pb()
    reply = _call("ListAssets", pb.ListAssetsRequest(filter=_filter(org_unit_id, kind, status, text),
                                                     page=PageRequest(page_size=limit)))
    table = Listing("配置库 (assets)")
    for col, key in (("code", None), ("name", None), ("kind", None), ("org unit", "org_unit_id"),
                     ("original value", None), ("qty", "quantity"), ("等保", "protection_level"), ("status", None),
                     ("id", None)):
        table.add_column(col, key)
    for a in reply.assets:
        f = a.fields
        table.add_row(f.code, f.name, f.kind, f.org_unit_id, f.original_value.amount, str(f.quantity),
                      str(f.protection_level), pb.AssetStatus.Name(f.status).replace("ASSET_STATUS_", "").lower(), a.id)
    emit(table)
    if reply.page.next_page_token:
        console.print("(more rows: narrow the filter or raise --limit)")


@assets_app.command("show")
def assets_show(asset_id: str = typer.Argument(..., help="asset id")):
    """One asset with its relations and history."""

    emit_record(_whole("GetAsset", _pb().GetAssetRequest(id=asset_id), "history"))


@assets_app.command("export")
def assets_export(file: Path = typer.Argument(..., dir_okay=False, help=".csv or .xlsx file to write"),
                  org_unit_id: str = typer.Option("", "--org-unit", help="org unit id")):
    """Export the register (same columns the importer reads)."""
    pb = _pb()
    fmt = file_format(file, {".csv": pb.FILE_FORMAT_CSV, ".xlsx": pb.FILE_FORMAT_XLSX})
    reply = _call("ExportAssets", pb.ExportAssetsRequest(format=fmt, filter=pb.AssetFilter(org_unit_id=org_unit_id)))
    file.write_bytes(reply.content)
    emit_record({"count": reply.count, "file": str(file)}, f"wrote {reply.count} assets to {file}")


# ---- standards --------------------------------------------------------------------------------
@standard_app.command("list")
def standard_list():
    """Quota standard versions."""
    pb = _pb()
    reply = _call("ListStandards", pb.ListStandardsRequest(page=PageRequest(page_size=1000)))
    table = Listing("定额标准 (quota standards)")
    for col in ("code", "version", "name", "effective", "state", "id"):
        table.add_column(col)
    for s in reply.standards:
        table.add_row(s.code, str(s.version), s.name, f"{s.effective_from} → {s.effective_to or '…'}",
                      pb.StandardState.Name(s.state).replace("STANDARD_STATE_", "").lower(), s.id)
    emit(table)


@standard_app.command("show")
def standard_show(standard: str = typer.Argument(..., help="id, CODE (latest approved) or CODE@vN")):
    """A standard version with its rate rules, workload, labour-cost, spare-parts, consumables and coefficients."""
    pb = _pb()
    s = _call("GetStandard", pb.GetStandardRequest(id=_standard_id(standard))).standard
    if json_output():
        emit_record(s)
        return
    console.print(f"[bold]{s.name}[/bold]  {s.code} v{s.version}  "
                  f"{pb.StandardState.Name(s.state).replace('STANDARD_STATE_', '').lower()}  "
                  f"effective {s.effective_from} → {s.effective_to or '…'}")
    if s.note:
        console.print(f"[yellow]{s.note}[/yellow]")
    t = Listing("费率规则 (annual upkeep = original value × rate)")
    for col in ("asset kind", "fee item", "rate"):
        t.add_column(col)
    for r in s.body.rate_rules:
        t.add_row(r.asset_kind, r.fee_item, f"{float(r.rate) * 100:g}%")
    emit(t)
    t = Listing("工作量 / 人工 / 备件 / 耗材 / 系数")
    for col in ("component", "what", "figure"):
        t.add_column(col)
    for w in s.body.workload_standards:
        t.add_row("workload", f"{w.service_content} · {w.asset_kind} · {w.staff_grade}", f"{w.person_days} 人天/年")
    for c in s.body.labour_costs:
        t.add_row("labour cost", f"{c.staff_grade} · {c.region}", f"{c.yuan_per_person_month.amount} 元/人月")
    for u in s.body.spare_parts:
        t.add_row("spare parts", u.asset_kind, f"{u.yuan_per_unit.amount} 元/台/年")
    for u in s.body.consumables:
        t.add_row("consumables", u.asset_kind, f"{u.yuan_per_unit.amount} 元/台/年")
    for c in s.body.coefficients:
        t.add_row("coefficient", f"{c.dimension}={c.value} {c.name}", c.factor)
    emit(t)


@standard_app.command("approve")
def standard_approve(standard: str = typer.Argument(..., help="standard id or CODE@vN")):
    """Approve a draft version (it is immutable afterwards)."""
    s = _call("ApproveStandard", _pb().ApproveStandardRequest(id=_standard_id(standard))).standard
    emit_record(s, f"approved {s.code} v{s.version}")


def _standard_id(ref: str) -> str:
    import uuid

    try:
        uuid.UUID(ref)
        return ref
    except ValueError:
        pass
    pb = _pb()
    code, _, version = ref.partition("@v")
    found = [s for s in _call("ListStandards", pb.ListStandardsRequest(page=PageRequest(page_size=1000))).standards
             if s.code == code and (s.version == int(version) if version else s.state == pb.STANDARD_STATE_APPROVED)]
    if not found:
        console.print(f"[red]no {'' if version else 'approved '}standard {ref}")
        raise typer.Exit(1)
    return max(found, key=lambda s: s.version).id


# ---- budgets ----------------------------------------------------------------------------------
def _budget_id(ref: str, year: int = 0) -> str:
    """A budget id, or an org unit id with --year."""
    import uuid

    try:
        uuid.UUID(ref)
        return ref
    except ValueError:
        pass
    reply = _call("ListBudgets", _pb().ListBudgetsRequest(org_unit_id=ref, year=year))
    if not reply.budgets:
        console.print(f"[red]no budget for {ref} {year or ''}")
        raise typer.Exit(1)
    return reply.budgets[0].id


def _print_budget(b) -> None:
    if json_output():
        emit_record(b)
        return
    console.print(f"[bold]{b.org_unit_id}[/bold] {b.year}  {_state(b.state)}  standard {b.standard}  "
                  f"region {b.region}  assets {b.asset_count}  lines {b.line_count}  id {b.id}")
    t = Listing(f"合计 {b.total.amount} 元")
    for col in ("fee category", "name", "amount (yuan)"):
        t.add_column(col)
    for a in b.by_category:
        t.add_row(a.code, a.name, a.amount.amount)
    emit(t)


@app.command("compile")
def compile_(org_unit_id: str = typer.Option(..., "--org-unit", help="budget unit (org unit id)"),
             year: int = typer.Option(..., help="budget year"),
             standard: str = typer.Option(..., help="standard id, CODE (latest approved) or CODE@vN"),
             subtree: bool = typer.Option(False, help="include the unit's subtree"),
             region: str = typer.Option("", help="labour-cost region (default: the standard's)"),
             comment: str = typer.Option("", help="comment")):
    """Compile (or recompile a draft) the O&M budget of a unit for a year."""
    reply = _call("CompileBudget", _pb().CompileBudgetRequest(
        org_unit_id=org_unit_id, year=year, standard_id=_standard_id(standard), include_subtree=subtree, region=region,
        comment=comment))
    _print_budget(reply.budget)


@app.command("list")
def list_(org_unit_id: str = typer.Option("", "--org-unit", help="org unit id"), year: int = YEAR):
    """Budgets in your scope."""
    reply = _call("ListBudgets", _pb().ListBudgetsRequest(org_unit_id=org_unit_id, year=year,
                                                          page=PageRequest(page_size=1000)))
    t = Listing("预算 (budgets)")
    for col in ("org unit", "year", "state", "total", "standard", "id"):
        t.add_column(col)
    for b in reply.budgets:
        t.add_row(b.org_unit_id, str(b.year), _state(b.state), b.total.amount, b.standard, b.id)
    emit(t)


@app.command("show")
def show(budget: str = typer.Argument(..., help="budget id, or unit id with --year"),
         year: int = YEAR, lines: int = typer.Option(20, help="lines to show")):
    """A budget: totals by fee category, approval trail and its first lines with formulas."""
    pb = _pb()
    bid = _budget_id(budget, year)
    b = _call("GetBudget", pb.GetBudgetRequest(id=bid)).budget
    _print_budget(b)
    if json_output():
        return
    for a in b.actions:
        step = pb.BudgetStep.Name(a.action).removeprefix("BUDGET_STEP_").lower()
        console.print(f"  {when(a.at)}  {step:<22} {a.actor:<12} {a.comment}")
    if lines:
        reply = _call("ListBudgetLines", pb.ListBudgetLinesRequest(budget_id=bid,
                                                                   page=PageRequest(page_size=lines)))
        t = Listing("明细 (lines)")
        for col, key in (("#", "line_no"), ("org unit", "org_unit_id"), ("kind", "asset_kind"), ("item", "fee_item"),
                         ("amount", None), ("formula", None)):
            t.add_column(col, key)
        for ln in reply.lines:
            t.add_row(str(ln.line_no), ln.org_unit_id, ln.asset_kind, ln.fee_item, ln.amount.amount, ln.formula)
        emit(t)


@app.command("trace")
def trace(budget: str = BUDGET, line: int = typer.Argument(..., help="line number (#)"), year: int = YEAR):
    """Why one line is in the budget: rule, coefficients, formula and its assets."""
    reply = _call("TraceBudgetLine", _pb().TraceBudgetLineRequest(budget_id=_budget_id(budget, year), line_no=line,
                                                                  page=PageRequest(page_size=50)))
    if json_output():
        emit_record(reply)
        return
    ln = reply.line
    console.print(f"line {ln.line_no}: {ln.amount.amount} 元  {ln.fee_category}/{ln.fee_item}  rule {reply.standard} "
                  f"{ln.rule_ref}\n  {ln.formula}\n  group: {reply.group}")
    for a in reply.assets:
        f = a.fields
        console.print(f"  · {f.code} {f.name} 原值 {f.original_value.amount} × {f.quantity}")
    if reply.page.next_page_token:
        console.print("  …")


@app.command("compare")
def compare(budget: str = BUDGET, year: int = YEAR,
            against: str = typer.Option("", help="what-if standard (id, CODE or CODE@vN)")):
    """Against last year's budget, and what-if under another standard version."""
    reply = _call("CompareBudget", _pb().CompareBudgetRequest(
        budget_id=_budget_id(budget, year), against_standard_id=_standard_id(against) if against else ""))
    t = Listing(f"比较 (what-if: {reply.what_if_standard or '—'})")
    for col in ("category", "this year", "last year", "change", "what-if", "what-if change"):
        t.add_column(col)
    for r in reply.rows:
        t.add_row(r.name, r.this_year.amount, *(m.amount or "—" for m in (r.last_year, r.change, r.what_if,
                                                                          r.what_if_change)))
    emit(t)


def _step(method, request_cls, budget, year, comment, back):
    pb = _pb()
    kwargs = {"id": _budget_id(budget, year), "comment": comment}
    if request_cls is not pb.SubmitBudgetRequest:
        kwargs["decision"] = pb.DECISION_RETURN if back else pb.DECISION_PASS
    b = _call(method, request_cls(**kwargs)).budget
    emit_record(b, f"budget {b.org_unit_id}/{b.year} is now [bold]{_state(b.state)}[/bold]")


@app.command("submit")
def submit(budget: str = BUDGET, year: int = YEAR, comment: str = COMMENT):
    """Submit a draft for review (budget.compile)."""
    _step("SubmitBudget", _pb().SubmitBudgetRequest, budget, year, comment, False)


@app.command("review")
def review(budget: str = BUDGET, year: int = YEAR, comment: str = COMMENT,
           send_back: bool = typer.Option(False, "--return", help="return to draft instead")):
    """Review a submitted budget (budget.review)."""
    _step("ReviewBudget", _pb().ReviewBudgetRequest, budget, year, comment, send_back)


@app.command("approve")
def approve(budget: str = BUDGET, year: int = YEAR, comment: str = COMMENT,
            send_back: bool = typer.Option(False, "--return", help="return to draft instead")):
    """Approve a reviewed budget (budget.approve); it cannot be edited afterwards."""
    _step("ApproveBudget", _pb().ApproveBudgetRequest, budget, year, comment, send_back)


@app.command("execution")
def execution(budget: str = BUDGET, year: int = YEAR):
    """Budgeted, spent, committed (signed contracts not yet paid) and available per fee category,
    per line, and the commitments."""
    pb = _pb()
    x = _whole("GetExecution", pb.GetExecutionRequest(budget_id=_budget_id(budget, year)), "expenses")
    if json_output():
        emit_record(x)
        return
    t = Listing(f"执行情况: {x.total_spent.amount} / {x.budget.total.amount} 元 ({x.execution_rate}%), "
                f"已承诺 {x.total_committed.amount}, 可用 {x.total_available.amount}")
    for col in ("category", "budgeted", "spent", "committed", "available", "rate %"):
        t.add_column(col)
    for c in x.categories:
        t.add_row(c.name, c.budgeted.amount, c.spent.amount, c.committed.amount, c.available.amount, c.execution_rate)
    emit(t)
    for ln in x.lines:
        console.print(f"  line {ln.line_no} {ln.fee_item}: {ln.spent.amount} / {ln.amount.amount} "
                      f"({ln.execution_rate}%)")
    for c in x.commitments:
        state = pb.CommitmentState.Name(c.state).removeprefix("COMMITMENT_STATE_").lower()
        console.print(f"  commitment {c.id} contract {c.contract_id} {c.fee_category} {c.amount.amount} "
                      f"(paid {c.paid.amount}, remaining {c.remaining.amount}) {state}"
                      + (f": {c.reason}" if c.reason and state == "over_budget" else ""))
    blocked = [e for e in x.expenses if e.status == "blocked"]
    for e in blocked:
        console.print(f"  [red]blocked payment {e.external_id}: {e.amount.amount} 元 (not counted)")


@app.command("approve-over-budget")
def approve_over_budget(commitment: str = typer.Argument(..., help="commitment id (see govops budget execution)"),
                        reason: str = typer.Option(..., help="why (required)")):
    """Over-budget approval (超预算审批) of a refused commitment (budget.approve; not the contract's signer)."""
    c = _call("ApproveOverBudget", _pb().ApproveOverBudgetRequest(commitment_id=commitment, reason=reason)).commitment
    emit_record(c, f"approved commitment {c.id} of contract {c.contract_id}: "
                   f"{c.amount.amount} 元 ({c.approval_reason})")


@expense_app.command("add")
def expense_add(budget: str = typer.Argument(..., help="budget id, or unit id with --year"),
                year: int = YEAR, category: str = typer.Option(..., help="fee category code"),
                amount: str = typer.Option(..., help="yuan, e.g. 12500.00"),
                date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
                item: str = typer.Option("", help="fee item code"),
                line: int = typer.Option(0, help="budget line number"),
                description: str = typer.Option("", help="what was bought"),
                key: str | None = typer.Option(None, help="idempotency key")):
    """Record actual spending against an approved budget."""
    reply = _call("RecordExpense", _pb().RecordExpenseRequest(
        budget_id=_budget_id(budget, year), fee_category=category, fee_item=item, line_no=line, amount=as_money(amount),
        spent_on=date, description=description, idempotency_key=key or ""))
    verb = "replayed" if reply.replayed else "recorded"
    emit_record(reply.expense, f"{verb} expense {reply.expense.id}: {reply.expense.amount.amount} 元")


@app.command("export")
def export(budget: str = typer.Argument(..., help="budget id, or unit id with --year"),
           year: int = YEAR, xlsx: Path | None = typer.Option(None, help="write XLSX here"),
           pdf: Path | None = typer.Option(None, help="write PDF here")):
    """Finance exports: XLSX (summary + one detail sheet per fee category) and/or PDF."""
    pb = _pb()
    if not xlsx and not pdf:
        console.print("[red]give --xlsx FILE and/or --pdf FILE")
        raise typer.Exit(2)
    if xlsx:
        file_format(xlsx, {".xlsx": "xlsx"}, param="--xlsx")
    if pdf:
        file_format(pdf, {".pdf": "pdf"}, param="--pdf")
    bid = _budget_id(budget, year)
    for path, fmt in ((xlsx, pb.FILE_FORMAT_XLSX), (pdf, pb.FILE_FORMAT_PDF)):
        if path:
            reply = _call("ExportBudget", pb.ExportBudgetRequest(budget_id=bid, format=fmt))
            path.write_bytes(reply.content)
            emit_record({"file": str(path), "bytes": len(reply.content)},
                        f"wrote {path} ({len(reply.content):,} bytes)")
