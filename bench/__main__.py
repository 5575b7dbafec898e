"""`python -m bench [--quick]`: run every figure once and print one table."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import traceback


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="smoke variant: 1 trial of ~1 s per figure, latency at 50/s for 2 s")
    ap.add_argument("--trials", type=int, help="trials per throughput figure (median reported)")
    ap.add_argument("--seconds", type=float, help="length of one throughput trial")
    ap.add_argument("--rates", type=str, help="comma-separated event→KPI rates, tickets/s")
    ap.add_argument("--latency-seconds", type=float, help="length of one event→KPI run")
    ap.add_argument("--senders", type=int, default=2, help="event→KPI sender processes")
    ap.add_argument("--sender-threads", type=int, default=4, help="threads per sender process")
    ap.add_argument("--redis-db", type=int, default=None, help="Redis database of the bench stack, "
                    "flushed before and after (default: the first empty one of 12, 10, 9, … 1)")
    args = ap.parse_args(argv)
    quick = {"trials": 1, "seconds": 1.0, "rates": "50", "latency_seconds": 2.0}
    full = {"trials": 3, "seconds": 3.0, "rates": "100,200,500", "latency_seconds": 10.0}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    return args


def machine_facts() -> dict:
    from .raw import pg_facts

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    pg = pg_facts()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "load": load,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "postgres": f"{pg['server_version'].split()[0]} (synchronous_commit={pg['synchronous_commit']}, "
                    f"fsync={pg['fsync']})",
    }


def run(args) -> dict:
    from . import govops, raw

    r: dict = {"facts": machine_facts()}
    t, s = args.trials, args.seconds

    def step(label):
        print(f"bench: {label} …", file=sys.stderr, flush=True)

    # -- raw baselines ---------------------------------------------------------------------
    with raw.ScratchDatabase():
        step("PostgreSQL INSERT+COMMIT, 1 client")
        r["pg1"] = raw.pg_commits(1, t, s)
        step("PostgreSQL INSERT+COMMIT, 4 processes")
        r["pg4"] = raw.pg_commits(4, t, s)
    with raw.ScratchVhost() as vhost:
        r["facts"]["rabbitmq"] = vhost.version
        step("pika confirmed persistent publish")
        r["pika1"] = raw.pika_publishes(vhost, t, s)
    with raw.EmptyGrpcServer() as server:
        step("empty gRPC unary, 1 client")
        r["grpc1"] = raw.grpc_calls(server.target, 1, t, s)
        step("empty gRPC unary, 4 processes")
        r["grpc4"] = raw.grpc_calls(server.target, 4, t, s)

    # -- GovOps ----------------------------------------------------------------------------
    step("starting the GovOps stack (org, ticket, evaluation)")
    with govops.BenchStack(args.redis_db) as bs:
        stack = bs.stack
        step("CreateTicket, 1 client")
        r["ct1"] = govops.create_ticket_rate(stack, 1, t, s)
        step("CreateTicket, 4 processes")
        r["ct4"] = govops.create_ticket_rate(stack, 4, t, s)
        # Let the events of the throughput runs reach the KPIs before timing single events.
        step("waiting for the throughput events to reach the KPIs")
        r["backlog"] = govops.wait_until_drained(stack, timeout=90)

        watcher = govops.Watcher(stack.target("evaluation"), stack.token())
        try:
            _probe_stream(stack, watcher)
            r["latency"] = []
            for n, rate in enumerate(args.rate_list):
                step(f"event→KPI at {rate:g}/s for {args.latency_seconds:g} s")
                r["latency"].append(govops.event_to_kpi(
                    stack, watcher, f"b{n}r{int(rate)}", rate, args.latency_seconds,
                    args.senders, args.sender_threads, grace=30.0 if not args.quick else 10.0))
        finally:
            watcher.close()

    # -- the portal's gateway (its own stack: org, ticket and govops-portal) ----------------------
    from . import portal

    r["portal"] = portal.run(args.redis_db, args.seconds, step=step)
    r["facts"]["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return r


def _probe_stream(stack, watcher) -> None:
    """Create one ticket and wait for its change: the stream is live before timing starts."""
    from govkit.client import channel
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    stack.create_org_units([(f"bench-probe-{attempt}", "probe", "", "department") for attempt in range(20)])
    with channel(stack.target("ticket"), stack.token()) as ch:
        stub = pb_grpc.TicketServiceStub(ch)
        for attempt in range(20):
            subject = f"bench-probe-{attempt}"
            stub.CreateTicket(pb.CreateTicketRequest(title="probe", org_unit_id=subject,
                                                     category=pb.CATEGORY_APPLICATION,
                                                     priority=pb.PRIORITY_MEDIUM), timeout=10)
            if not watcher.wait_for([subject], timeout=3.0):
                return
    raise RuntimeError(f"WatchKpis stream never delivered a change ({watcher.error})")


# -- the table -----------------------------------------------------------------------------------

def _rate(fig) -> str:
    return f"{fig.median:,.0f}/s"


def _trials(fig) -> str:
    text = "trials " + ", ".join(f"{x.rate:,.0f}" for x in fig.trials)
    if fig.errors:
        text += f"; {fig.errors} errors ({fig.last_error})"
    return text


def render(r: dict, args) -> None:
    from rich.console import Console
    from rich.table import Table

    f = r["facts"]
    # Other work on the machine skews the baselines (PostgreSQL commits collapse under fsync
    # contention) more than it skews GovOps, so a busy machine can flip a ratio verdict.
    load_start = float(f["load"].split()[0])
    busy = load_start >= f["nproc"]
    caveat = f" (UNRELIABLE: load average {load_start:.1f} at start on {f['nproc']} cores)" if busy else ""
    trial_note = f"median of {args.trials} × {args.seconds:g} s" if args.trials > 1 else f"1 × {args.seconds:g} s"
    table = Table(
        title=(f"GovOps bench — {f['date']} — nproc {f['nproc']} ({f['cpu']}), Python {f['python']}"
               + (" — BUSY MACHINE, figures skewed" if busy else "")),
        caption=(f"PostgreSQL {f['postgres']}; RabbitMQ {f.get('rabbitmq', '?')}; kernel {f['kernel']}; "
                 f"load average at start {f['load']}, at end {f.get('load_end', '?')}. "
                 f"Throughput: {trial_note}; every client is its own process."
                 + (" QUICK smoke run: figures are not meaningful." if args.quick else "")),
        show_lines=False,
    )
    for col, kw in (("Figure", {}), ("Clients", {"justify": "right"}), ("Result", {"justify": "right"}),
                    ("Baseline", {}), ("Ratio", {"justify": "right"}), ("Notes", {})):
        table.add_column(col, **kw)

    table.add_row("PostgreSQL INSERT+COMMIT", "1", _rate(r["pg1"]), "raw", "", _trials(r["pg1"]))
    table.add_row("PostgreSQL INSERT+COMMIT", "4 proc", _rate(r["pg4"]), "raw", "", _trials(r["pg4"]))
    table.add_row("pika confirmed persistent publish", "1", _rate(r["pika1"]), "raw", "", _trials(r["pika1"]))
    table.add_row("empty gRPC unary", "1", _rate(r["grpc1"]), "raw", "", _trials(r["grpc1"]))
    table.add_row("empty gRPC unary", "4 proc", _rate(r["grpc4"]), "raw", "", _trials(r["grpc4"]), end_section=True)

    ct1, ct4 = r["ct1"], r["ct4"]
    ratio1 = ct1.median / r["pg1"].median
    verdict = ("MET" if ratio1 >= 0.30 else "MISSED") + caveat
    table.add_row("GovOps CreateTicket", "1", _rate(ct1), "PG commit, 1", f"{ratio1:.0%}",
                  f"target ≥ 30% of PG 1-client: {verdict}; {ct1.median / r['grpc1'].median:.0%} of empty "
                  f"gRPC; {_trials(ct1)}")
    table.add_row("GovOps CreateTicket", "4 proc", _rate(ct4), "PG commit, 4", f"{ct4.median / r['pg4'].median:.0%}",
                  f"{ct4.median / r['grpc4'].median:.0%} of empty gRPC; {_trials(ct4)}")
    expected, seen, waited = r["backlog"]
    backlog_note = (f"throughput events drained to the KPIs in {waited:.1f} s"
                    if seen >= expected else f"backlog NOT drained: {seen:.0f}/{expected} after {waited:.0f} s")

    # The least serial work between CreateTicket returning and the KPI changing: the relay's
    # transaction commit, one confirmed publish, the consumer's fact+inbox commit.
    floor_ms = 2000 / r["pg1"].median + 1000 / r["pika1"].median
    for i, lat in enumerate(r["latency"]):
        p50, p99, mx = lat.pct(50), lat.pct(99), (lat.latencies_ms[-1] if lat.latencies_ms else float("nan"))
        notes = [f"offered {lat.offered:g}/s, achieved {lat.achieved:,.0f}/s, n={lat.sent}"]
        if lat.offered == 200:
            notes.append(f"target p99 ≤ 100 ms: {'MET' if p99 <= 100 and not lat.missing else 'MISSED'}{caveat}")
        if lat.missing:
            notes.append(f"{lat.missing} changes never arrived")
        if lat.errors:
            notes.append(f"{lat.errors} CreateTicket errors ({lat.first_error})")
        notes.append(f"sender worst schedule→return {lat.lag_ms:,.0f} ms")
        if i == 0:
            notes.append(backlog_note)
        table.add_row(f"event→KPI latency @ {lat.offered:g}/s", f"{args.senders}×{args.sender_threads} thr",
                      f"p50 {p50:.1f} / p99 {p99:.1f} / max {mx:.1f} ms",
                      f"floor ≈ {floor_ms:.1f} ms", f"p50 ×{p50 / floor_ms:.1f}" if lat.latencies_ms else "",
                      "; ".join(notes))
    table.caption += (" Latency floor = 2 × PG 1-client commit time + 1 × confirmed publish time: the "
                      "serial durable steps after CreateTicket returns (relay commit, publish, consumer commit).")
    Console(width=max(160, Console().width)).print(table)
    render_portal(r["portal"])


def render_portal(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from .portal import render_first_load, rows

    table = Table(title="Portal gateway (govops-portal) beside straight gRPC, same run",
                  caption=(f"Closed loop, {r['seconds']:g} s per user count, gateway and direct calls interleaved, "
                           f"one thread per user, cookie sessions through the gateway, HTTP client "
                           f"{r['client']}; {render_first_load(r['first_load'])}"))
    for col, kw in (("Figure", {}), ("Users", {"justify": "right"}), ("Gateway p50 / p99", {"justify": "right"}),
                    ("Direct gRPC p50 / p99", {"justify": "right"}), ("Overhead", {})):
        table.add_column(col, **kw)
    for row in rows(r):
        table.add_row(*row)
    Console(width=max(160, Console().width)).print(table)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        results = run(args)
    except Exception as exc:
        traceback.print_exc()
        hint = (" — PostgreSQL is out of connections (max_connections), other stacks are running"
                if "too many clients" in str(exc) else "")
        print(f"bench: FAILED after {time.monotonic() - started:.0f} s: {exc.__class__.__name__}{hint}",
              file=sys.stderr)
        return 1
    render(results, args)
    print(f"bench: total {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
