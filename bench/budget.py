"""Budget benchmarks: `python -m bench.budget [--quick]` (see docs/benchmarks-budget.md).

* CompileBudget over gRPC for N in-use assets (a real `govops-grpc budget` process on an
  isolated database), beside a plain Python loop over the same rows computing
  original_value × rate with Decimal — the floor any per-asset compilation pays in Python.
* ImportAssets over gRPC from an XLSX of N rows (openpyxl read_only, COPY into PostgreSQL, one
  asset_registered outbox row per asset), rows/s.
* `--trace`: TraceBudgetLine of one budget line with N assets (100,000), paged — time per page
  (p50/p99) walking every page over gRPC, beside the same page's SQL alone and the previous way
  (the group's whole id array into Python, `id IN (…)`, sorted by code per page).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432"
DEPARTMENTS = [f"bench-d{i}" for i in range(1, 11)]


def _rows(n: int) -> list[list]:
    from budget.domain.assets import ASSET_KINDS, COLUMNS

    rnd = random.Random(n)
    kinds = [k.code for k in ASSET_KINDS]
    rows: list[list] = [[COLUMNS[c] for c in ("code", "name", "kind", "org_unit_id", "original_value", "quantity",
                                              "protection_level", "support_mode", "status")]]
    for i in range(n):
        rows.append([f"B-{i:07d}", f"资产{i}", rnd.choice(kinds), DEPARTMENTS[i % len(DEPARTMENTS)],
                     Decimal(rnd.randint(100_000, 50_000_000)) / 100, rnd.randint(1, 4), rnd.choice((2, 3, 4)),
                     rnd.choice(("现场", "远程")), "在用"])
    return rows


def _xlsx(n: int) -> bytes:
    """An XLSX as Excel and WPS save it (strings in the shared-strings table, a <dimension>),
    written directly: openpyxl's writer would use inline strings, which real files rarely have."""
    import zipfile
    from xml.sax.saxutils import escape

    rows = _rows(n)
    strings: dict[str, int] = {}
    sheet = io.StringIO()
    sheet.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
                f'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:I{len(rows)}"/><sheetData>')
    for r, row in enumerate(rows, 1):
        sheet.write(f'<row r="{r}">')
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                sheet.write(f'<c r="{ref}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>')
            else:
                sheet.write(f'<c r="{ref}"><v>{value}</v></c>')
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")
    shared = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.'
              f'org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
              + "".join(f"<si><t>{escape(t)}</t></si>" for t in strings) + "</sst>")
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="资产" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/'
        f'2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{ns}/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet.getvalue(),
        "xl/sharedStrings.xml": shared,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))
    return out.getvalue()


def _python_loop(engine, standard) -> tuple[float, int]:
    """Baseline: the same in-use rows, one Decimal multiplication per asset, in plain Python."""
    import sqlalchemy as sa

    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT kind, original_value FROM assets WHERE status = 'in_use'")).all()
    rates = {r.asset_kind: r.rate for r in standard.body.rate_rules}
    started = time.perf_counter()
    total = Decimal(0)
    for kind, value in rows:
        rate = rates.get(kind)
        if rate is not None:
            total += value * rate
    return time.perf_counter() - started, len(rows)


def _wait_serving(target: str, timeout: float = 60.0) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout
    while True:
        try:
            with grpc.insecure_channel(target) as ch:
                if health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1).status == \
                        health_pb2.HealthCheckResponse.SERVING:
                    return
        except grpc.RpcError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"budget-grpc at {target} not serving")
        time.sleep(0.1)


def run(quick: bool = False, redis_db: int = 12, assets: int | None = None, trials: int | None = None) -> list[dict]:
    """Run the figures and return them as rows (also printed by main)."""
    from budget import handlers
    from budget.adapters.uow import BudgetUnitOfWork
    from budget.domain.commands import ApproveStandard, CreateStandard
    from budget.domain.sample import SAMPLE_CODE, SAMPLE_NAME, SAMPLE_REGION, sample_body
    from govkit.auth import SYSTEM, Principal, Scope
    from govkit.client import channel
    from govkit.db import drop_database, make_engine
    from govkit.stack import Stack, delete_vhost
    from govops.budget.v1 import budget_pb2 as pb
    from govops.budget.v1 import budget_pb2_grpc as pb_grpc

    n = assets or (10_000 if quick else 100_000)
    trials = trials or (1 if quick else 3)
    workdir = Path(tempfile.mkdtemp(prefix="govops-bench-budget-"))
    stack = Stack(f"govops_benchbudget_{os.getpid()}", workdir, services=("budget",), redis_db=redis_db)
    results: list[dict] = []
    engine = None
    try:
        print(f"bench.budget: preparing {n:,} assets …", file=sys.stderr, flush=True)
        stack.prepare()
        # Only budget-grpc: no worker, so no relay competes for the two cores while we measure.
        stack.process("budget", "grpc").start()
        _wait_serving(stack.target("budget"))
        engine = make_engine(f"{PG_URL}/{stack.name}_budget", pool_size=2)
        handlers.upsert_org_units([("bench-root", "基准测试单位", None)]
                                  + [(d, f"基准部门{d[-1]}", "bench-root") for d in DEPARTMENTS],
                                  BudgetUnitOfWork(engine))
        content = _xlsx(n)
        stub = pb_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token()))

        print(f"bench.budget: ImportAssets ({len(content) / 1e6:.1f} MB XLSX) …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        if len(content) < 8 * 1024 * 1024 - 1024:
            reply = stub.ImportAssets(pb.ImportAssetsRequest(format=pb.FILE_FORMAT_XLSX, content=content),
                                      timeout=600)
            imported, path = reply.imported, "gRPC ImportAssets"
        else:  # above the servers' 8 MB message limit: the same handler, in process
            from budget.domain.commands import ImportAssets

            imported = handlers.import_assets(ImportAssets(content, "xlsx"), BudgetUnitOfWork(engine), SYSTEM)
            path = "handler (file > 8 MB gRPC limit)"
        seconds = time.perf_counter() - started
        results.append({"figure": f"import {imported:,} assets from XLSX ({path})", "seconds": seconds,
                        "rate": imported / seconds, "unit": "rows/s", "baseline": ""})

        s = handlers.create_standard(CreateStandard(SAMPLE_CODE, SAMPLE_NAME, "2026-01-01", "", sample_body(),
                                                    SAMPLE_REGION), BudgetUnitOfWork(engine), SYSTEM)
        finance = Principal("bench-finance", "财务审核", (), frozenset({"*"}), Scope(None))  # not the author
        s = handlers.approve_standard(ApproveStandard(s.id), BudgetUnitOfWork(engine), finance)
        times, budget = [], None
        for t in range(trials + 1):  # the first compile warms caches and is not counted
            print(f"bench.budget: CompileBudget trial {t} …", file=sys.stderr, flush=True)
            started = time.perf_counter()
            budget = stub.CompileBudget(pb.CompileBudgetRequest(org_unit_id="bench-root", year=2027, standard_id=s.id,
                                                                include_subtree=True), timeout=600).budget
            if t:
                times.append(time.perf_counter() - started)
        loop_seconds, rows = _python_loop(engine, s)
        med = statistics.median(times)
        results.append({"figure": f"CompileBudget over gRPC, {budget.asset_count:,} assets → {budget.line_count:,} "
                                  f"lines (median of {trials})", "seconds": med, "rate": budget.asset_count / med,
                        "unit": "assets/s",
                        "baseline": f"Python loop value×rate over {rows:,} rows: {loop_seconds:.3f} s "
                                    f"({rows / loop_seconds:,.0f} rows/s)"})
        results.append({"figure": "compiled total (yuan)", "seconds": None, "rate": None, "unit": budget.total.amount,
                        "baseline": f"trials {', '.join(f'{x:.2f}' for x in times)} s"})
    finally:
        stack.stop()
        if engine is not None:
            engine.dispose()
        drop_database(f"{PG_URL}/{stack.name}_budget")
        delete_vhost(stack.name)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _bulk_load_one_group(engine, n: int) -> None:
    """N in-use servers of one department with the same coefficient dimensions — one asset group,
    so one budget line per rule holds all N. Loaded set-based in one INSERT … SELECT (no history or
    outbox rows: the trace reads only the register and the stored group)."""
    import sqlalchemy as sa

    with engine.begin() as c:
        # codes in a shuffled order, so the stored id array is really sorted by code, not by insertion
        c.execute(sa.text("""
            INSERT INTO assets (id, code, name, kind, org_unit_id, original_value, quantity, protection_level,
                                support_mode, status, response_time, user_scale, created_at, updated_at)
            SELECT gen_random_uuid(), 'T-' || lpad(((n * 7919) % :n)::text, 7, '0'), '服务器' || n, 'server',
                   'bench-trace', 10000 + (n % 90000), 1, 3, 'on_site', 'in_use', '5x8', 'medium', now(), now()
            FROM generate_series(0, :n - 1) AS n"""), {"n": n})
        c.execute(sa.text("ANALYZE assets"))


def _previous_trace_page(engine, budget_id: str, group_no: int, size: int, offset: int) -> float:
    """The trace page as it was read before: the group's whole id array into Python, then
    `id IN (…all ids…)` ordered by code with LIMIT/OFFSET. Seconds."""
    import sqlalchemy as sa

    from budget.adapters import tables as t

    started = time.perf_counter()
    with engine.connect() as c:
        ids = c.execute(sa.select(t.budget_groups.c.asset_ids).where(
            t.budget_groups.c.budget_id == budget_id, t.budget_groups.c.group_no == group_no)).scalar_one()
        c.execute(sa.select(t.assets).where(t.assets.c.id.in_(ids)).order_by(t.assets.c.code)
                  .limit(size).offset(offset)).all()
    return time.perf_counter() - started


def _sql_trace_page(engine, budget_id: str, group_no: int, size: int, offset: int) -> float:
    """The page's SQL alone (what the repository now runs), without gRPC, protobuf or the budget
    and line reads. Seconds."""
    import sqlalchemy as sa

    started = time.perf_counter()
    with engine.connect() as c:
        c.execute(sa.text("""
            SELECT a.* FROM budget_groups g
            CROSS JOIN LATERAL unnest(g.asset_ids[(:first):(:last)]) WITH ORDINALITY AS page(id, n)
            JOIN assets a ON a.id = page.id
            WHERE g.budget_id = :b AND g.group_no = :g ORDER BY page.n"""),
            {"first": offset + 1, "last": offset + size, "b": budget_id, "g": group_no}).all()
    return time.perf_counter() - started


def run_trace(redis_db: int = 12, assets: int = 100_000, page_size: int = 100, previous_pages: int = 5) -> list[dict]:
    """TraceBudgetLine over gRPC for a line of `assets` assets: every page walked by its token."""
    import sqlalchemy as sa

    from budget import handlers
    from budget.adapters.uow import BudgetUnitOfWork
    from budget.domain.commands import ApproveStandard, CreateStandard
    from budget.domain.sample import SAMPLE_CODE, SAMPLE_NAME, SAMPLE_REGION, sample_body
    from govkit.auth import SYSTEM, Principal, Scope
    from govkit.client import channel
    from govkit.db import drop_database, make_engine
    from govkit.stack import Stack, delete_vhost
    from govops.budget.v1 import budget_pb2 as pb
    from govops.budget.v1 import budget_pb2_grpc as pb_grpc
    from govops.common.v1.common_pb2 import PageRequest

    workdir = Path(tempfile.mkdtemp(prefix="govops-bench-trace-"))
    stack = Stack(f"govops_benchtrace_{os.getpid()}", workdir, services=("budget",), redis_db=redis_db)
    results: list[dict] = []
    engine = None
    try:
        print(f"bench.budget: trace — loading {assets:,} assets of one group …", file=sys.stderr, flush=True)
        stack.prepare()
        stack.process("budget", "grpc").start()
        _wait_serving(stack.target("budget"))
        engine = make_engine(f"{PG_URL}/{stack.name}_budget", pool_size=2)
        handlers.upsert_org_units([("bench-trace", "基准测试单位", None)], BudgetUnitOfWork(engine))
        started = time.perf_counter()
        _bulk_load_one_group(engine, assets)
        load_seconds = time.perf_counter() - started
        s = handlers.create_standard(CreateStandard(SAMPLE_CODE, SAMPLE_NAME, "2026-01-01", "", sample_body(),
                                                    SAMPLE_REGION), BudgetUnitOfWork(engine), SYSTEM)
        finance = Principal("bench-finance", "财务审核", (), frozenset({"*"}), Scope(None))  # not the author
        s = handlers.approve_standard(ApproveStandard(s.id), BudgetUnitOfWork(engine), finance)
        stub = pb_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token()))
        budget = stub.CompileBudget(pb.CompileBudgetRequest(org_unit_id="bench-trace", year=2027, standard_id=s.id),
                                    timeout=600).budget
        line = next(ln for ln in stub.ListBudgetLines(pb.ListBudgetLinesRequest(budget_id=budget.id), timeout=60).lines
                    if ln.asset_count == assets)
        with engine.connect() as c:
            group_no = c.execute(sa.text("SELECT group_no FROM budget_lines WHERE budget_id = :b AND line_no = :l"),
                                 {"b": budget.id, "l": line.line_no}).scalar_one()
        print(f"bench.budget: trace — walking line {line.line_no} ({line.asset_count:,} assets) by {page_size} …",
              file=sys.stderr, flush=True)
        times, token, seen, last = [], "", 0, ""
        while True:
            started = time.perf_counter()
            reply = stub.TraceBudgetLine(pb.TraceBudgetLineRequest(
                budget_id=budget.id, line_no=line.line_no, page=PageRequest(page_size=page_size, page_token=token)),
                timeout=60)
            times.append(time.perf_counter() - started)
            codes = [a.fields.code for a in reply.assets]
            assert codes == sorted(codes) and (not last or codes[0] > last), "pages out of code order"
            seen, last, token = seen + len(codes), codes[-1], reply.page.next_page_token
            if not token:
                break
        assert seen == assets, (seen, assets)
        offsets = [0, assets // 2, assets - page_size]
        sql = [_sql_trace_page(engine, budget.id, group_no, page_size, o) for o in offsets * 10]
        previous = [_previous_trace_page(engine, budget.id, group_no, page_size, o)
                    for o in (offsets * previous_pages)[:previous_pages]]
        ms = 1000
        results.append({"figure": f"bulk load {assets:,} assets of one group (one INSERT … SELECT)",
                        "seconds": load_seconds, "rate": assets / load_seconds, "unit": "rows/s", "baseline": ""})
        results.append({"figure": f"TraceBudgetLine over gRPC, line of {assets:,} assets, {len(times):,} pages of "
                                  f"{page_size}: p50 {_percentile(times, .5) * ms:.1f} ms, "
                                  f"p99 {_percentile(times, .99) * ms:.1f} ms, max {max(times) * ms:.1f} ms",
                        "seconds": sum(times), "rate": len(times) / sum(times), "unit": "pages/s",
                        "baseline": f"the page's SQL alone (first, middle, last page ×10): p50 "
                                    f"{_percentile(sql, .5) * ms:.1f} ms, max {max(sql) * ms:.1f} ms; the previous "
                                    f"way ({len(previous)} pages): p50 {_percentile(previous, .5) * ms:.0f} ms, "
                                    f"max {max(previous) * ms:.0f} ms"})
    finally:
        stack.stop()
        if engine is not None:
            engine.dispose()
        drop_database(f"{PG_URL}/{stack.name}_budget")
        delete_vhost(stack.name)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def print_table(results: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"GovOps budget benchmarks — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
                        f"{len(os.sched_getaffinity(0))} cores")
    for col in ("figure", "seconds", "rate", "baseline (same run)"):
        table.add_column(col)
    for r in results:
        table.add_row(r["figure"], f"{r['seconds']:.2f}" if r["seconds"] is not None else "",
                      f"{r['rate']:,.0f} {r['unit']}" if r["rate"] is not None else r["unit"], r["baseline"])
    Console().print(table)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.budget", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10,000 assets, one trial")
    ap.add_argument("--assets", type=int, help="number of assets (default 100,000; 10,000 with --quick)")
    ap.add_argument("--trials", type=int, help="compile trials (median reported)")
    ap.add_argument("--redis-db", type=int, default=12, help="Redis db of the bench stack (flushed)")
    ap.add_argument("--trace", action="store_true", help="only the trace figure: one line of --assets assets, paged")
    ap.add_argument("--page-size", type=int, default=100, help="trace page size (default 100, the service's default)")
    args = ap.parse_args(argv)
    if args.trace:
        print_table(run_trace(args.redis_db, args.assets or (10_000 if args.quick else 100_000), args.page_size))
        return
    print_table(run(args.quick, args.redis_db, args.assets, args.trials))


if __name__ == "__main__":
    main()
