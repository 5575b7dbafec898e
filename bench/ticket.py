"""`python -m bench.ticket [--rows N] [--quick]`: the process platform's figures on a real,
isolated stack (ticket-worker + ticket-grpc via govkit.stack).

1. CreateTicket latency (1 client, sequential) and rate (1 client; 4 threads) with 10k tickets
   stored, then again after seeding `--rows` more (INSERT … SELECT generate_series, with SLA
   deadline rows for the open ones).
2. Group-queue query (ListQueue group_queue, sorted by SLA due, page 50) p50/p99 at that size.
3. SLA lateness: `--sla-tickets` tickets on a 7×24 policy whose warning/breach instants fall in
   a few seconds, fired by the worker's deadline scheduler; lateness = the firing transaction's
   time (outbox.created_at) − the deadline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

PG = "postgresql+psycopg2://postgres@127.0.0.1:5432"


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def seed_rows(engine, n: int) -> float:
    """Background tickets: 6 departments, 8 groups, 30 % open with a resolution deadline row."""
    import sqlalchemy as sa

    started = time.monotonic()
    with engine.begin() as c:
        off = c.execute(sa.text("SELECT count(*) FROM tickets")).scalar()
        c.execute(sa.text("""
            INSERT INTO tickets (id, title, description, org_unit_id, category, priority, status, requester,
                                 created_at, number, ticket_type, channel, group_id, assignee, sla_state,
                                 resolution_due_at, is_open, updated_at)
            SELECT gen_random_uuid(), '历史工单 ' || g, '', (ARRAY['gov','om-centre','fgw','czj','gaj','wjw'])[1 + g % 6],
                   (ARRAY['infrastructure','application','information_resource'])[1 + g % 3],
                   (ARRAY['critical','high','medium','low'])[1 + g % 4],
                   CASE WHEN g % 10 < 3 THEN 'assigned' ELSE 'closed' END, 'seed',
                   now() - (g || ' seconds')::interval, 'INC-2025-' || lpad((g + :off)::text, 9, '0'), 'incident', 'api',
                   'grp-' || (g % 8), CASE WHEN g % 10 < 3 THEN 's-' || (g % 40) END, 'ok',
                   now() + ((g % 100000) || ' seconds')::interval + interval '1 day', g % 10 < 3, now()
            FROM generate_series(1, :n) g"""), {"n": n, "off": off})
        c.execute(sa.text("""
            INSERT INTO sla_deadlines (ticket_id, target, kind, due_at)
            SELECT id, 'resolution', 'breach', resolution_due_at FROM tickets WHERE requester = 'seed' AND is_open
            ON CONFLICT DO NOTHING"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE tickets"))
        c.execute(sa.text("VACUUM ANALYZE sla_deadlines"))
    return time.monotonic() - started


def raw_commit(dbname: str, n: int) -> dict:
    """Baseline of the same moment: one-row INSERT+COMMIT latency (psycopg2, 1 client)."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname)
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS bench_raw (payload text)")
    conn.commit()
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        cur.execute("INSERT INTO bench_raw (payload) VALUES (%s)", ("x" * 200,))
        conn.commit()
        lat.append((time.perf_counter() - t0) * 1000)
    cur.execute("DROP TABLE bench_raw")
    conn.commit()
    conn.close()
    return {"p50": pct(lat, 50), "p99": pct(lat, 99)}


def create_figures(target, token, n_latency: int, seconds: float) -> dict:
    from govkit.client import channel
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    def req(i):
        return pb.CreateTicketRequest(title=f"压测工单{i}", org_unit_id="fgw", category=pb.CATEGORY_APPLICATION,
                                      priority=pb.PRIORITY_MEDIUM)

    stub = pb_grpc.TicketServiceStub(channel(target, token))
    stub.CreateTicket(req(-1), timeout=10)
    lat = []
    for i in range(n_latency):
        t0 = time.perf_counter()
        stub.CreateTicket(req(i), timeout=10)
        lat.append((time.perf_counter() - t0) * 1000)
    out = {"p50": pct(lat, 50), "p99": pct(lat, 99), "rate1": n_latency / (sum(lat) / 1000)}
    count, stop = [0], time.monotonic() + seconds

    def worker():
        s = pb_grpc.TicketServiceStub(channel(target, token))
        n = 0
        while time.monotonic() < stop:
            s.CreateTicket(req(n), timeout=10)
            n += 1
        count[0] += n

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out["rate4"] = count[0] / (time.monotonic() - started)
    return out


def queue_figures(target, token, n: int) -> dict:
    from govkit.client import channel
    from govops.common.v1.common_pb2 import PageRequest
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    stub = pb_grpc.TicketServiceStub(channel(target, token))
    lat = []
    for i in range(n):
        request = pb.ListQueueRequest(view=pb.QUEUE_VIEW_GROUP_QUEUE, filter=pb.TicketFilter(group_id=f"grp-{i % 8}"),
                                      sort="sla_due", page=PageRequest(page_size=50))
        t0 = time.perf_counter()
        reply = stub.ListQueue(request, timeout=10)
        lat.append((time.perf_counter() - t0) * 1000)
        assert reply.tickets
    return {"p50": pct(lat, 50), "p99": pct(lat, 99), "n": n}


def sla_figures(engine, rate: float, seconds: float) -> dict:
    """Tickets created at `rate`/s for `seconds` on a 7×24 policy (response target 10 s, warning
    at 50 %): 2 × rate deadline events per second fall due, over the stored open tickets and their
    deadline rows. Lateness = the firing transaction's start (outbox.created_at) − the deadline."""
    import sqlalchemy as sa

    from govkit.auth import SYSTEM
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.domain.commands import CreateTicket, SetDepartmentSlaPolicy, UpsertSlaPolicy
    from ticket.domain.escalation import EscalationRule
    from ticket.domain.sla import SlaPolicy
    from ticket.handlers import sla, tickets

    target = 10
    sla.upsert_sla_policy(UpsertSlaPolicy(SlaPolicy("bench-fast", "压测", "24x7", {
        p: {"response": target, "resolution": target * 1000} for p in ("critical", "high", "medium", "low")}, 50,
        (EscalationRule(level=1, at_percent=100, action="notify", step=1),))), TicketUnitOfWork(engine), SYSTEM)
    sla.set_department_policy(SetDepartmentSlaPolicy("bench-sla", "bench-fast"), TicketUnitOfWork(engine), SYSTEM)
    n = int(rate * seconds)
    start = time.monotonic()
    lag = 0.0
    for i in range(n):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        else:
            lag = max(lag, now - due)
        tickets.create_ticket(CreateTicket(f"SLA压测{i}", "", "bench-sla", "infrastructure", "high"),
                              TicketUnitOfWork(engine), SYSTEM)
    q = sa.text("""SELECT type, (envelope->'data'->>'due_at')::timestamptz AS due, created_at FROM outbox
                   WHERE type IN ('govops.ticket.sla_warning.v1','govops.ticket.sla_breached.v1')
                     AND envelope->>'orgunitid' = 'bench-sla' AND envelope->'data'->>'target' = 'response'""")
    deadline = time.monotonic() + target * 3 + 60
    rows = []
    while time.monotonic() < deadline:
        with engine.connect() as c:
            rows = c.execute(q).all()
        if len(rows) >= 2 * n:
            break
        time.sleep(0.5)
    # breach instant = due; warning instant = due − target × 50 % (7×24 calendar)
    late = {"breach": [(created - due).total_seconds() for typ, due, created in rows if typ.endswith("sla_breached.v1")],
            "warning": [(created - due).total_seconds() + target * 0.5 for typ, due, created in rows
                        if typ.endswith("sla_warning.v1")]}
    return {"n": n, "rate": rate, "sender_lag": lag, "fired": len(rows),
            "warning": (pct(late["warning"], 50), pct(late["warning"], 99), max(late["warning"], default=float("nan"))),
            "breach": (pct(late["breach"], 50), pct(late["breach"], 99), max(late["breach"], default=float("nan")))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ticket", description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000, help="tickets seeded for the large-store figures")
    ap.add_argument("--latency-calls", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--queue-calls", type=int, default=400)
    ap.add_argument("--sla-rate", type=float, default=20.0, help="tickets/s whose SLA deadlines fall due")
    ap.add_argument("--sla-seconds", type=float, default=30.0)
    ap.add_argument("--quick", action="store_true", help="smoke run: 20k rows, small counts")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.latency_calls, args.seconds, args.queue_calls, args.sla_seconds = 20_000, 100, 1.0, 50, 5.0

    from govkit.db import drop_database, make_engine
    from govkit.orgdir import OrgDirectory
    from govkit.stack import Stack, delete_vhost, free_port

    workdir = Path(tempfile.mkdtemp(prefix="govops-bench-ticket-"))
    stack = Stack(f"govops_bticket_{os.getpid()}", workdir, services=("ticket",), redis_db=12,
                  extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port())})
    results: dict = {}
    try:
        stack.prepare()
        stack.process("ticket", "grpc")
        stack.start()
        engine = make_engine(f"{PG}/{stack.name}_ticket", pool_size=4)
        with engine.begin() as conn:  # no org in this stack: the units as org's events would leave them
            for unit in ("fgw", "bench-sla"):
                OrgDirectory(conn).apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": None,
                                                              "kind": "department"})
        token = stack.token()
        target = stack.target("ticket")
        print("bench.ticket: seeding 10k …", file=sys.stderr)
        seed_rows(engine, 10_000)
        results["raw_small"] = raw_commit(f"{stack.name}_ticket", args.latency_calls)
        results["small"] = create_figures(target, token, args.latency_calls, args.seconds)
        print(f"bench.ticket: seeding {args.rows:,} …", file=sys.stderr)
        results["seed_seconds"] = seed_rows(engine, args.rows)
        results["raw_large"] = raw_commit(f"{stack.name}_ticket", args.latency_calls)
        results["large"] = create_figures(target, token, args.latency_calls, args.seconds)
        results["queue"] = queue_figures(target, token, args.queue_calls)
        print(f"bench.ticket: SLA lateness at {args.sla_rate:g} tickets/s …", file=sys.stderr)
        results["sla"] = sla_figures(engine, args.sla_rate, args.sla_seconds)
        with engine.connect() as c:
            import sqlalchemy as sa

            results["stored"] = c.execute(sa.text("SELECT count(*) FROM tickets")).scalar()
            results["open"] = c.execute(sa.text("SELECT count(*) FROM tickets WHERE is_open")).scalar()
        engine.dispose()
    finally:
        stack.stop()
        drop_database(f"{PG}/{stack.name}_ticket")
        delete_vhost(stack.name)
        shutil.rmtree(workdir, ignore_errors=True)
    s, lg, q, sla = results["small"], results["large"], results["queue"], results["sla"]
    print(f"""
GovOps ticket bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — nproc {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f} at the end
stored at the end: {results['stored']:,} tickets ({results['open']:,} open); seeding {args.rows:,} took {results['seed_seconds']:.0f} s

| figure | 10k stored | {args.rows:,} + 10k stored |
|---|---|---|
| raw baseline: PostgreSQL 1-row INSERT+COMMIT p50 / p99, same moment | {results['raw_small']['p50']:.1f} / {results['raw_small']['p99']:.1f} ms | {results['raw_large']['p50']:.1f} / {results['raw_large']['p99']:.1f} ms |
| CreateTicket latency p50 / p99 (1 client, sequential, n={args.latency_calls}) | {s['p50']:.1f} / {s['p99']:.1f} ms | {lg['p50']:.1f} / {lg['p99']:.1f} ms |
| CreateTicket rate, 1 client | {s['rate1']:,.0f}/s | {lg['rate1']:,.0f}/s |
| CreateTicket rate, 4 threads, {args.seconds:g} s | {s['rate4']:,.0f}/s | {lg['rate4']:,.0f}/s |
| group queue (ListQueue sla_due, 50 rows) p50 / p99, n={q['n']} | | {q['p50']:.1f} / {q['p99']:.1f} ms (target ≤ 50 ms: {'MET' if q['p99'] <= 50 else 'MISSED'}) |
| SLA warning lateness p50 / p99 / max ({sla['n']} tickets at {sla['rate']:g}/s, {sla['fired']} events; sender lag ≤ {sla['sender_lag']:.2f} s) | | {sla['warning'][0]*1000:.0f} / {sla['warning'][1]*1000:.0f} / {sla['warning'][2]*1000:.0f} ms |
| SLA breach lateness p50 / p99 / max | | {sla['breach'][0]*1000:.0f} / {sla['breach'][1]*1000:.0f} / {sla['breach'][2]*1000:.0f} ms (target p99 ≤ 1 s: {'MET' if max(sla['warning'][1], sla['breach'][1]) <= 1 else 'MISSED'}) |
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
