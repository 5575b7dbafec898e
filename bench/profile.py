"""`python -m bench.profile`: where a ticket's CPU and latency go (a diagnostic, not part of `make bench`).

1. CPU budget: closed-loop CreateTicket with N client processes; the CPU time every process on the
   machine used during the trial (from /proc), grouped (ticket-grpc, evaluation-worker, postgres,
   rabbitmq, …) and divided by the tickets created. On a 2-core machine the sum bounds throughput.
2. Latency stages at an open-loop rate, from timestamps the services already store:
   outbox.created_at → outbox.sent_at (the relay picking the row up) and
   outbox.sent_at → facts.recorded_at (publish, broker, evaluation consumer), beside the
   end-to-end event→KPI latency the bench reports.
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import time

from . import clients, govops
from .__main__ import _probe_stream

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_snapshot() -> dict[str, tuple[str, str, float]]:
    out = {}
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/stat") as f:
                stat = f.read()
            with open(d + "/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[d] = (comm, cmd, (int(fields[11]) + int(fields[12])) / _TICK)
    return out


def _group(comm: str, cmd: str, stack_pids: dict[int, str], pid: int) -> str:
    if pid in stack_pids:
        return stack_pids[pid]
    if "postgres" in comm or "postgres" in cmd:
        return "postgres"
    if "beam" in comm:
        return "rabbitmq"
    if "redis" in comm:
        return "redis"
    if "multiprocessing" in cmd:
        return "bench clients"
    return f"other ({comm})"


def cpu_budget(stack, n_clients: int, seconds: float) -> None:
    stack_pids = {p.popen.pid: key for key, p in stack.processes.items()}
    with clients.ClientPool(n_clients, "bench.clients:create_ticket",
                            (stack.target("ticket"), stack.token(), "profile")) as pool:
        before, t0 = _cpu_snapshot(), time.monotonic()
        trial = pool.trial(seconds)
        after, wall = _cpu_snapshot(), time.monotonic() - t0
    used = collections.Counter()
    for d, (comm, cmd, cpu) in after.items():
        if d in before:
            used[_group(comm, cmd, stack_pids, int(d.rsplit("/", 1)[1]))] += cpu - before[d][2]
    total = sum(used.values())
    print(f"\nCPU budget, {n_clients} client(s): {trial.rate:.0f} tickets/s, {trial.ops} tickets, "
          f"{total / wall:.2f} of {len(os.sched_getaffinity(0))} cores busy")
    for name, cpu in used.most_common(12):
        if cpu > 0:
            print(f"  {name:28s} {cpu / max(trial.ops, 1) * 1000:6.2f} ms CPU per ticket")
    print(f"  {'total':28s} {total / max(trial.ops, 1) * 1000:6.2f} ms CPU per ticket")


def _pct(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def stages(stack, prefix: str) -> tuple[list[float], list[float]]:
    import psycopg2

    def query(db: str, sql: str):
        conn = psycopg2.connect(host=clients.LOCALHOST, port=5432, user="postgres", dbname=db)
        try:
            cur = conn.cursor()
            cur.execute(sql, (prefix + "%",))
            return cur.fetchall()
        finally:
            conn.close()

    outbox = {str(i): (float(c), float(s) if s is not None else None) for i, c, s in query(
        f"{stack.name}_ticket",
        "SELECT id, extract(epoch FROM created_at), extract(epoch FROM sent_at) FROM outbox "
        "WHERE envelope->'data'->>'org_unit_id' LIKE %s")}
    facts = {i: float(r) for i, r in query(
        f"{stack.name}_evaluation",
        "SELECT event_id, extract(epoch FROM recorded_at) FROM facts WHERE dept LIKE %s")}
    relay = sorted((s - c) * 1000 for c, s in outbox.values() if s is not None)
    deliver = sorted((facts[i] - s) * 1000 for i, (_, s) in outbox.items() if i in facts and s is not None)
    return relay, deliver


def latency_stages(stack, rate: float, seconds: float) -> None:
    watcher = govops.Watcher(stack.target("evaluation"), stack.token())
    try:
        _probe_stream(stack, watcher)
        prefix = f"p{int(rate)}"
        lat = govops.event_to_kpi(stack, watcher, prefix, rate, seconds, 2, 4, grace=30)
    finally:
        watcher.close()
    relay, deliver = stages(stack, prefix + "-")
    print(f"\nLatency stages at {rate:g}/s offered, {lat.achieved:.0f}/s achieved, n={lat.sent}:")
    print(f"  outbox created → sent (relay)             p50 {_pct(relay, 50):8.1f}  p99 {_pct(relay, 99):8.1f} ms")
    print(f"  outbox sent → fact recorded (consumer)    p50 {_pct(deliver, 50):8.1f}  p99 {_pct(deliver, 99):8.1f} ms")
    print(f"  CreateTicket returned → KPI change        p50 {lat.pct(50):8.1f}  p99 {lat.pct(99):8.1f} ms")
    print("  (created_at/sent_at/recorded_at are transaction start times: approximate, same clock)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=str, default="1,4")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rates", type=str, default="50,100,150")
    ap.add_argument("--redis-db", type=int, default=None,
                    help="flushed before and after (default: the first empty one of 12, 10, 9, … 1)")
    args = ap.parse_args(argv)
    with govops.BenchStack(args.redis_db) as bs:
        for n in (int(x) for x in args.clients.split(",") if x):
            cpu_budget(bs.stack, n, args.seconds)
        for rate in (float(x) for x in args.rates.split(",") if x):
            latency_stages(bs.stack, rate, args.seconds)


if __name__ == "__main__":
    main()
