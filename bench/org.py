"""`python -m bench.org [--quick]`: the org service's hot paths.

* Token check: the same trivial gRPC method served with and without GovOps' interceptor (token
  verification, permission, logging, error mapping); the difference per call is the overhead.
* "Is X allowed Y on unit Z" from the in-memory access index, and who is on duty from the org
  read model (SQL) and over gRPC, with 5,000 staff and 2,000 org units (--quick: 500 / 200).
Prints figures; asserts nothing about time."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from concurrent import futures
from datetime import UTC, datetime, timedelta, timezone

import grpc
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

os.environ.setdefault("GOVOPS_DB_PREFIX", "govops_bench_")
os.environ.setdefault("GOVOPS_KEY_DIR", "/tmp/govops-bench-keys")

from govkit import config
from govkit.auth import TokenSigner, TokenVerifier, generate_keypair
from govkit.db import drop_database, make_engine

console = Console()


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p))]


def _keys():
    s = config.load("org")
    generate_keypair(s.private_key_file, s.public_key_file)
    signer = TokenSigner.from_file(s.private_key_file, issuer=s.token_issuer, audience=s.token_audience)
    verifier = TokenVerifier(signer.public_pem(), issuer=s.token_issuer, audience=s.token_audience)
    return signer, verifier


def token_overhead(calls: int) -> dict:
    """Median and p99 latency of budget's ListFeeCategories with and without the interceptor."""
    from budget import grpc_api as budget_api
    from govkit.client import channel
    from govkit.grpc_server import build_server
    from govops.budget.v1 import budget_pb2 as pb
    from govops.budget.v1 import budget_pb2_grpc as pb_grpc

    signer, verifier = _keys()
    token = signer.mint("bench", perms=["budget.read"], scopes=[{"unit": "*"}], extra={"units": ["*"]})
    app = budget_api.build(config.load("budget", "grpc"))
    guarded, guarded_port, _ = build_server(app, verifier, address="127.0.0.1:0", max_workers=4)
    plain = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    for add, servicer in app.registrations:
        add(servicer, plain)
    plain_port = plain.add_insecure_port("127.0.0.1:0")
    guarded.start()
    plain.start()
    results = {}
    try:
        for name, target, tok in (("without interceptor", plain_port, None), ("with interceptor", guarded_port, token)):
            stub = pb_grpc.BudgetServiceStub(channel(f"127.0.0.1:{target}", tok))
            for _ in range(200):
                stub.ListFeeCategories(pb.ListFeeCategoriesRequest())
            samples = []
            for _ in range(calls):
                t = time.perf_counter()
                stub.ListFeeCategories(pb.ListFeeCategoriesRequest())
                samples.append((time.perf_counter() - t) * 1000)
            results[name] = (statistics.median(samples), pct(samples, 0.99))
        verify, first = [], []
        for _ in range(calls):
            t = time.perf_counter()
            verifier.verify(token)
            verify.append((time.perf_counter() - t) * 1000)
        for i in range(min(calls, 500)):  # a new token each time: the signature check itself
            fresh = signer.mint(f"bench{i}", perms=["budget.read"], extra={"units": ["*"]})
            t = time.perf_counter()
            verifier.verify(fresh)
            first.append((time.perf_counter() - t) * 1000)
        results["token verification, first sight (Ed25519)"] = (statistics.median(first), pct(first, 0.99))
        results["token verification, seen before (cached)"] = (statistics.median(verify), pct(verify, 0.99))
    finally:
        guarded.stop(0)
        plain.stop(0)
    return results


def seed_org(units: int, staff: int, groups: int):
    """A scratch org database: a 3-level tree, staff with positions, groups with a week's roster."""
    from govkit.migrate import migrate

    settings = config.load("org")
    drop_database(settings.database_url)
    migrate("org")
    engine = make_engine(settings.database_url, pool_size=4)
    rng = random.Random(7)
    tz = timezone(timedelta(hours=8))
    week = datetime(2026, 11, 23, tzinfo=tz)
    with engine.begin() as c:
        c.execute(
            sa.text("INSERT INTO org_units(id, name, parent_id, kind) VALUES ('gov', '政府', NULL, 'government')")
        )
        depts = max(1, units // 20)
        rows = [{"id": f"d{i}", "name": f"部门{i}", "parent_id": "gov", "kind": "department"} for i in range(depts)]
        rows += [{"id": f"d{i % depts}-v{i}", "name": f"处室{i}", "parent_id": f"d{i % depts}", "kind": "division"}
                 for i in range(units - depts - 1)]
        c.execute(
            sa.text("INSERT INTO org_units(id, name, parent_id, kind) VALUES (:id, :name, :parent_id, :kind)"), rows
        )
        unit_ids = [r["id"] for r in rows]
        c.execute(sa.text("INSERT INTO positions(id, org_unit_id, name) VALUES ('p0', 'gov', '岗位')"))
        people = [{"id": f"S{i:05d}", "name": f"员工{i}", "u": rng.choice(unit_ids)} for i in range(staff)]
        c.execute(sa.text("INSERT INTO staff(id, name, org_unit_id) VALUES (:id, :name, :u)"), people)
        c.execute(sa.text("INSERT INTO staff_positions(staff_id, position_id, start_date) "
                          "VALUES (:id, 'p0', '2026-01-01')"), people)
        c.execute(sa.text("INSERT INTO users(username, display_name, password_hash) VALUES (:id, :name, 'x')"), people)
        grants = [{"id": f"a{i}", "s": p["id"], "u": rng.choice(unit_ids + [f"d{j}" for j in range(depts)]),
                   "r": rng.choice(["requester", "engineer", "dept_om_officer"])} for i, p in enumerate(people)]
        c.execute(
            sa.text(
                "INSERT INTO role_assignments(id, subject, role, org_unit_id, subtree, granted_by, granted_at)"
                " VALUES (:id, :s, :r, :u, true, 'bench', now())"
            ),
            grants,
        )
        for g in range(groups):
            c.execute(sa.text("INSERT INTO support_groups(id, name, org_unit_id) VALUES (:g, :n, 'gov')"),
                      {"g": f"g{g}", "n": f"组{g}"})
            members = rng.sample(people, 10)
            c.execute(sa.text("INSERT INTO group_members(group_id, staff_id) VALUES (:g, :s)"),
                      [{"g": f"g{g}", "s": m["id"]} for m in members])
            shifts = []
            for d in range(7):
                for h in range(0, 24, 8):  # three 8-hour shifts a day
                    start = week + timedelta(days=d, hours=h)
                    shifts.append({"g": f"g{g}", "s": members[(d * 3 + h // 8) % 10]["id"], "a": start,
                                   "b": start + timedelta(hours=8)})
            c.execute(sa.text("INSERT INTO shifts(group_id, staff_id, starts_at, ends_at) VALUES (:g, :s, :a, :b)"),
                      shifts)
    return engine, people, unit_ids, week


def lookups(engine, people, unit_ids, week, n: int) -> dict:
    from govkit import orgdir
    from govkit.auth import SYSTEM
    from org import handlers
    from org.adapters.access import AccessIndex
    from org.adapters.uow import OrgUnitOfWork

    rng = random.Random(11)
    results = {}
    index = AccessIndex(engine)
    t = time.perf_counter()
    index.allowed("S00000", "ticket.create", unit_ids[0])
    results["access index build (first call)"] = ((time.perf_counter() - t) * 1000, None)
    samples = []
    for _ in range(n):
        p, u = rng.choice(people), rng.choice(unit_ids)
        t = time.perf_counter()
        index.allowed(p["id"], "ticket.create", u)
        samples.append((time.perf_counter() - t) * 1000)
    results["CheckPermission from memory"] = (statistics.median(samples), pct(samples, 0.99))

    # The consumer-side read model other services route with: a copy in the same database here.
    with engine.begin() as c:
        orgdir.metadata.create_all(c)
        orgdir.OrgDirectory(c).load_snapshot(handlers.snapshot(OrgUnitOfWork(engine)))
    samples = []
    with engine.connect() as c:
        directory = orgdir.OrgDirectory(c)
        for _ in range(n):
            at = week + timedelta(minutes=rng.randrange(7 * 24 * 60))
            t = time.perf_counter()
            directory.on_duty(f"g{rng.randrange(50)}", at)
            samples.append((time.perf_counter() - t) * 1000)
    results["on duty from the read model (SQL)"] = (statistics.median(samples), pct(samples, 0.99))
    samples = []
    for _ in range(n // 4):
        at = week + timedelta(minutes=rng.randrange(7 * 24 * 60))
        t = time.perf_counter()
        handlers.on_duty(f"g{rng.randrange(50)}", at, OrgUnitOfWork(engine), SYSTEM)
        samples.append((time.perf_counter() - t) * 1000)
    results["GetOnDuty handler in org (SQL)"] = (statistics.median(samples), pct(samples, 0.99))
    return results


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.org", description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    from govkit import logs

    # Per-call access logs at INFO would be measured as interceptor cost; production runs at INFO
    # and pays ~0.3 ms more per call for that line (see docs/benchmarks.md).
    logs.configure("bench", "tool", "WARNING")
    units, staff, calls = (200, 500, 300) if args.quick else (2000, 5000, 3000)
    table = Table(title=f"GovOps org hot paths — {units} org units, {staff} staff, "
                        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.2f}")
    for col in ("figure", "median ms", "p99 ms"):
        table.add_column(col)
    overhead = token_overhead(calls)
    for name, (med, p99) in overhead.items():
        table.add_row(f"unary gRPC call {name}" if "interceptor" in name else name, f"{med:.3f}", f"{p99:.3f}")
    extra = overhead["with interceptor"][0] - overhead["without interceptor"][0]
    table.add_row("[bold]interceptor overhead per call[/bold] (target ≤ 0.2)", f"{extra:.3f}", "")
    engine, people, unit_ids, week = seed_org(units, staff, 50)
    try:
        for name, (med, p99) in lookups(engine, people, unit_ids, week, calls).items():
            table.add_row(name + (" (target p99 ≤ 1)" if "memory" in name or "read model" in name else ""),
                          f"{med:.3f}", "" if p99 is None else f"{p99:.3f}")
    finally:
        engine.dispose()
        drop_database(config.load("org").database_url)
    console.print(table)


if __name__ == "__main__":
    main()
