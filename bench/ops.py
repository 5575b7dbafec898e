"""`python -m bench.ops [--rows N] [--quick] [--redis-db N]`: the operations window's figures on a
real, isolated stack (ticket-worker + ticket-grpc via govkit.stack) with `govops-portal` in front,
everything called over HTTP as the web app does (bearer tokens instead of a browser session).

1. The queue page's API: ListQueue through the gateway (`POST /api/rpc/…/ListQueue`, sorted by SLA
   due, 50 rows; views round-robin: my queue, group queue, unassigned, all in scope) at 8
   concurrent users over `--rows` stored tickets (seeded with INSERT … SELECT generate_series, not
   through the API), p50/p99; beside the raw baselines of the same moment: the gateway's
   /api/health round trip and ListQueue over gRPC directly (8 threads).
2. Change → queue update through the SSE bridge: new tickets submitted over gRPC at `--rate` per
   second for `--seconds`; one open queue page (the group queue's SSE stream,
   /api/tickets/queue/stream) reloads its page as the app does (one reload at a time, another
   after it for what arrived meanwhile). Figures from the start of the change's call: to its SSE
   event, and to the end of the first page reload begun after that event.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from .ticket import PG, pct, seed_rows

RPC = "/api/rpc/govops.ticket.v1.TicketService"
USERS = 8


def _views(i: int) -> list[dict]:
    return [
        {"view": "QUEUE_VIEW_MY_QUEUE"},
        {"view": "QUEUE_VIEW_GROUP_QUEUE", "filter": {"group_id": f"grp-{i % 8}"}},
        {"view": "QUEUE_VIEW_ALL", "filter": {"unassigned": True}},
        {"view": "QUEUE_VIEW_ALL"},
    ]


def staff_token(stack, i: int) -> str:
    # The seed assigns open tickets to s-0 … s-39: user i's own queue holds ~1/40 of them.
    return stack.token(subject=f"s-{i}", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}],
                       extra={"staff_id": f"s-{i}"})


def gateway_queue(portal: str, stack, calls: int, users: int = USERS) -> dict:
    """`users` users, each `calls` ListQueue requests through the gateway, views round-robin."""
    import httpx2 as httpx

    lat: list[float] = []
    by_view: dict[str, list[float]] = {}
    errors = [0]
    lock = threading.Lock()

    def user(i: int) -> None:
        headers = {"authorization": f"Bearer {staff_token(stack, i)}"}
        views = _views(i)
        with httpx.Client(base_url=portal, headers=headers, timeout=30) as client:
            for n in range(calls):
                body = {**views[n % len(views)], "sort": "sla_due", "page": {"page_size": 50}}
                t0 = time.perf_counter()
                reply = client.post(f"{RPC}/ListQueue", json=body)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    if reply.status_code != 200:
                        errors[0] += 1
                        continue
                    lat.append(ms)
                    by_view.setdefault(body["view"] + ("+unassigned" if body.get("filter", {}).get("unassigned")
                                                       else ""), []).append(ms)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"p50": pct(lat, 50), "p99": pct(lat, 99), "n": len(lat), "errors": errors[0], "rate": len(lat) / elapsed,
            "views": {k: (pct(v, 50), pct(v, 99)) for k, v in sorted(by_view.items())}}


def baseline_health(portal: str, calls: int) -> dict:
    import httpx2 as httpx

    lat = []
    with httpx.Client(base_url=portal, timeout=30) as client:
        for _ in range(calls):
            t0 = time.perf_counter()
            client.get("/api/health")
            lat.append((time.perf_counter() - t0) * 1000)
    return {"p50": pct(lat, 50), "p99": pct(lat, 99)}


def baseline_grpc_queue(stack, calls: int) -> dict:
    """The same requests straight to ticket-grpc (no gateway), 8 threads."""
    from google.protobuf import json_format

    from govkit.client import channel
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    lat: list[float] = []
    lock = threading.Lock()

    def user(i: int) -> None:
        stub = pb_grpc.TicketServiceStub(channel(stack.target("ticket"), staff_token(stack, i)))
        views = _views(i)
        for n in range(calls):
            req = json_format.ParseDict({**views[n % len(views)], "sort": "sla_due", "page": {"page_size": 50}},
                                        pb.ListQueueRequest())
            t0 = time.perf_counter()
            stub.ListQueue(req, timeout=30)
            with lock:
                lat.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"p50": pct(lat, 50), "p99": pct(lat, 99)}


def change_to_update(portal: str, stack, rate: float, seconds: float) -> dict:
    """New tickets at `rate`/s into grp-network's queue; one page watching it over SSE."""
    import httpx2 as httpx
    from google.protobuf.struct_pb2 import Struct

    from govkit.client import channel
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    watcher_token = staff_token(stack, 0)
    headers = {"authorization": f"Bearer {watcher_token}"}
    arrived: dict[str, float] = {}
    reloads: list[tuple[float, float]] = []
    dirty = threading.Event()
    stop = threading.Event()
    ready = threading.Event()

    def reader() -> None:
        try:
            read()
        except httpx.TransportError:
            if not stop.is_set():
                raise

    def read() -> None:
        with httpx.Client(base_url=portal, headers=headers, timeout=httpx.Timeout(30, read=None)) as client, \
                client.stream("GET", "/api/tickets/queue/stream",
                              params={"view": "QUEUE_VIEW_GROUP_QUEUE", "group_id": "grp-network"}) as stream:
            ready.set()
            event = ""
            for line in stream.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "queue":
                    now = time.perf_counter()
                    for change in json.loads(line[5:])["changes"]:
                        arrived.setdefault(change["ticket_id"], now)
                    dirty.set()

    def reloader() -> None:
        body = {"view": "QUEUE_VIEW_GROUP_QUEUE", "filter": {"group_id": "grp-network"}, "sort": "sla_due",
                "page": {"page_size": 50}}
        with httpx.Client(base_url=portal, headers=headers, timeout=30) as client:
            while not stop.is_set():
                if not dirty.wait(0.2):
                    continue
                dirty.clear()
                t0 = time.perf_counter()
                client.post(f"{RPC}/ListQueue", json=body).raise_for_status()
                reloads.append((t0, time.perf_counter()))

    threads = [threading.Thread(target=reader, daemon=True), threading.Thread(target=reloader, daemon=True)]
    for t in threads:
        t.start()
    ready.wait(10)
    time.sleep(1.0)  # the stream has subscribed

    form = Struct()
    form.update({"location": "压测机房"})
    n = int(rate * seconds)
    started_at: dict[str, float] = {}
    lag = [0.0]
    next_index = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def sender() -> None:
        stub = pb_grpc.TicketServiceStub(channel(stack.target("ticket"), stack.token()))
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= n:
                return
            due = start + i / rate
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            else:
                lag[0] = max(lag[0], now - due)
            t0 = time.perf_counter()
            ticket = stub.SubmitRequest(pb.SubmitRequestRequest(
                catalogue_item_id="infra.network.fault", title=f"实时压测{i}", org_unit_id="fgw", form=form),
                timeout=30).ticket
            with lock:
                started_at[ticket.id] = t0

    senders = [threading.Thread(target=sender) for _ in range(6)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(set(started_at) & set(arrived)) < len(started_at):
        time.sleep(0.1)
    time.sleep(1.0)  # the last reload
    stop.set()
    to_event, to_page = [], []
    for tid, t0 in started_at.items():
        if tid not in arrived:
            continue
        to_event.append((arrived[tid] - t0) * 1000)
        done = next((end for begin, end in reloads if begin >= arrived[tid]), None)
        if done is not None:
            to_page.append((done - t0) * 1000)
    return {"n": n, "rate": rate, "sender_lag": lag[0], "delivered": len(to_event), "reloads": len(reloads),
            "event": (pct(to_event, 50), pct(to_event, 99), max(to_event, default=float("nan"))),
            "page": (pct(to_page, 50), pct(to_page, 99), max(to_page, default=float("nan"))), "paged": len(to_page)}


def start_portal(stack, workdir: Path):
    from govkit.stack import start_portal as start

    return start(stack, workdir / "portal.log")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ops", description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000, help="tickets seeded before measuring")
    ap.add_argument("--calls", type=int, default=200, help="ListQueue requests per user")
    ap.add_argument("--rate", type=float, default=50.0, help="ticket changes per second for the SSE figure")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the SSE run")
    ap.add_argument("--redis-db", type=int, default=12, help="Redis database of the bench stack (flushed)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20k rows, small counts")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.calls, args.seconds = 20_000, 25, 4.0

    import sqlalchemy as sa

    from govkit.auth import SYSTEM
    from govkit.db import make_engine
    from govkit.orgdir import OrgDirectory
    from govkit.stack import Stack, free_port
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.domain.commands import EnsureDefaults
    from ticket.handlers import catalogue

    workdir = Path(tempfile.mkdtemp(prefix="govops-bench-ops-"))
    stack = Stack(f"govops_bops_{os.getpid()}", workdir, services=("ticket",), redis_db=args.redis_db,
                  extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port())})
    results: dict = {}
    portal = None
    try:
        stack.prepare()
        stack.process("ticket", "grpc")
        stack.start()
        engine = make_engine(f"{PG}/{stack.name}_ticket", pool_size=2)
        with engine.begin() as conn:  # no org in this stack: the units as org's events would leave them
            for unit in ("gov", "om-centre", "fgw", "czj", "gaj", "wjw"):
                OrgDirectory(conn).apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": None,
                                                              "kind": "department"})
        catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
        print(f"bench.ops: seeding {args.rows:,} tickets …", file=sys.stderr)
        results["seed_seconds"] = seed_rows(engine, args.rows)
        portal, url = start_portal(stack, workdir)
        baseline_health(url, 50)  # warm up
        print("bench.ops: queue page API, 8 users …", file=sys.stderr)
        results["health"] = baseline_health(url, 400)
        results["grpc"] = baseline_grpc_queue(stack, args.calls // 2)
        results["one"] = gateway_queue(url, stack, args.calls // 2, users=1)
        results["queue"] = gateway_queue(url, stack, args.calls)
        print(f"bench.ops: change → queue update at {args.rate:g}/s …", file=sys.stderr)
        results["live"] = change_to_update(url, stack, args.rate, args.seconds)
        with engine.connect() as c:
            results["stored"] = c.execute(sa.text("SELECT count(*) FROM tickets")).scalar()
            results["open"] = c.execute(sa.text("SELECT count(*) FROM tickets WHERE is_open")).scalar()
        engine.dispose()
    finally:
        if portal is not None:
            portal.stop()
        stack.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    q, live, h, g, one = results["queue"], results["live"], results["health"], results["grpc"], results["one"]
    views = "; ".join(f"{k.removeprefix('QUEUE_VIEW_').lower()} {a:.1f} / {b:.1f}" for k, (a, b) in q["views"].items())
    print(f"""
GovOps operations-window bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — nproc {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f} at the end
stored: {results['stored']:,} tickets ({results['open']:,} open); seeding {args.rows:,} took {results['seed_seconds']:.0f} s

| figure | result |
|---|---|
| raw baseline: gateway GET /api/health p50 / p99, 1 client | {h['p50']:.1f} / {h['p99']:.1f} ms |
| raw baseline: ListQueue straight to ticket-grpc, 8 threads, p50 / p99 | {g['p50']:.1f} / {g['p99']:.1f} ms |
| queue page API: ListQueue via the gateway, 1 user alone, n={one['n']} p50 / p99 | {one['p50']:.1f} / {one['p99']:.1f} ms |
| queue page API: ListQueue via the gateway, 8 users, n={q['n']} ({q['errors']} errors, {q['rate']:.0f}/s) p50 / p99 | {q['p50']:.1f} / {q['p99']:.1f} ms (target p99 ≤ 100 ms: {'MET' if q['p99'] <= 100 else 'MISSED'}) |
| … by view p50 / p99 (ms) | {views} |
| change → SSE event p50 / p99 / max ({live['delivered']}/{live['n']} delivered at {live['rate']:g}/s; sender lag ≤ {live['sender_lag']:.2f} s) | {live['event'][0]:.0f} / {live['event'][1]:.0f} / {live['event'][2]:.0f} ms |
| change → queue page reloaded p50 / p99 / max ({live['reloads']} reloads) | {live['page'][0]:.0f} / {live['page'][1]:.0f} / {live['page'][2]:.0f} ms (target p99 ≤ 1 s: {'MET' if live['page'][1] <= 1000 else 'MISSED'}) |
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
