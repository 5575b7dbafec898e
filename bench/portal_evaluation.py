"""The management window's benchmarks: `python -m bench.portal_evaluation [--quick] [--redis-db N]`
(see docs/benchmarks-evaluation.md, "The management window in the portal").

* **KPI wall**: tickets are created over gRPC at a steady rate (50/s) while two clients watch the
  organisation's `tickets_created`: the browser's path, the gateway's Server-Sent Events
  (`/api/kpis/stream`, read by an HTTP client with a logged-in session), and the raw baseline of
  the same run, `WatchKpis` over gRPC directly. The k-th increment seen on a stream is matched with
  the k-th CreateTicket to return: latency = receipt − return (p50/p99).
* **Nine-grid**: a plan of 50 objects (10 O&M units, 20 processes, 20 support groups) and the
  previous month's plan, both published; the page's one call `GetNineGrid` through the gateway
  (HTTP JSON, what the browser does), beside the same call over gRPC and `GetPlan` over gRPC.

It builds its own stack (org, ticket, evaluation and govops-portal as real processes, databases
and vhost named `govops_bench_pe`, the Redis database given) and removes it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

NAME = "govops_bench_pe"
GOV = "bench-gov"
OM_UNITS = [f"bench-om{i:02d}" for i in range(1, 11)]
DEPTS = [f"bench-d{i:02d}" for i in range(1, 11)]
PASSWORD = "bench-portal-password-1"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def _start_portal(stack, workdir: Path):
    from govkit.stack import start_portal

    web = Path(__file__).resolve().parents[1] / "services" / "portal" / "web" / "dist"
    # the bench logs in more often than a person would
    return start_portal(stack, workdir / "portal-web.log", web_dir=web, extra_env={
        "GOVOPS_PORTAL_LOGIN_LIMIT_PER_USER": "1000", "GOVOPS_PORTAL_LOGIN_LIMIT_PER_IP": "1000"})


def _session(url: str, user: str):
    import httpx2 as httpx

    client = httpx.Client(base_url=url, timeout=30)
    reply = client.post("/api/session", json={"username": user, "password": PASSWORD})
    reply.raise_for_status()
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    return client


def _setup_org(stack) -> None:
    from govkit.client import channel
    from govops.org.v1 import org_pb2 as opb
    from govops.org.v1 import org_pb2_grpc

    stack.create_org_units([(GOV, "基准区政府", "", "government")]
                           + [(u, f"基准运维中心{u[-2:]}", GOV, "om_centre") for u in OM_UNITS]
                           + [(d, f"基准部门{d[-2:]}", GOV, "department") for d in DEPTS], timeout=60)
    with channel(stack.target("org"), stack.token()) as ch:
        org, ident = org_pb2_grpc.OrgServiceStub(ch), org_pb2_grpc.IdentityServiceStub(ch)
        ident.CreateUser(opb.CreateUserRequest(username="bench-dir", password=PASSWORD, display_name="基准主任"),
                         timeout=10)
        org.GrantRole(opb.GrantRoleRequest(subject="bench-dir", role="om_centre_director", org_unit_id=GOV,
                                           subtree=True), timeout=10)


def kpi_wall(stack, url: str, rate: float, seconds: float) -> dict:
    import grpc

    from govkit.client import channel
    from govops.evaluation.v1 import evaluation_pb2 as epb
    from govops.evaluation.v1 import evaluation_pb2_grpc
    from govops.ticket.v1 import ticket_pb2 as tpb
    from govops.ticket.v1 import ticket_pb2_grpc

    seen: dict[str, list[tuple[float, float]]] = {"sse": [], "grpc": []}
    stop = threading.Event()
    client = _session(url, "bench-dir")

    def read_sse():
        params = [("filter.subjects", GOV), ("filter.level", "LEVEL_ORGANIZATION"),
                  ("filter.names", "tickets_created"), ("filter.windows", "all"), ("include_snapshot", "true")]
        with client.stream("GET", "/api/kpis/stream", params=params, timeout=None) as stream:
            event = None
            for line in stream.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "kpi":
                    seen["sse"].append((time.monotonic(), json.loads(line[5:])["kpi"]["value"]))

    watch_channel = channel(stack.target("evaluation"), stack.token())
    call = evaluation_pb2_grpc.EvaluationServiceStub(watch_channel).WatchKpis(epb.WatchKpisRequest(
        filter=epb.KpiFilter(level=epb.LEVEL_ORGANIZATION, subjects=[GOV], names=["tickets_created"],
                             windows=["all"]), include_snapshot=True))

    def read_grpc():
        try:
            for reply in call:
                seen["grpc"].append((time.monotonic(), reply.kpi.value))
        except grpc.RpcError:
            pass

    readers = [threading.Thread(target=read_sse, daemon=True), threading.Thread(target=read_grpc, daemon=True)]
    for r in readers:
        r.start()
    ticket_channel = channel(stack.target("ticket"), stack.token(subject="bench-requester"))
    tickets = ticket_pb2_grpc.TicketServiceStub(ticket_channel)

    def create(i: int) -> float:
        tickets.CreateTicket(tpb.CreateTicketRequest(
            title=f"基准工单 {i}", org_unit_id=DEPTS[i % len(DEPTS)], category=tpb.CATEGORY_INFRASTRUCTURE,
            priority=tpb.PRIORITY_MEDIUM), timeout=30)
        return time.monotonic()

    def wait_for(count: float, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s and s[-1][1] >= count for s in seen.values()):
                return True
            time.sleep(0.05)
        return False

    create(0)  # warm-up: both streams are up once they show it
    if not wait_for(1, 60):
        raise RuntimeError(f"the streams never saw the warm-up ticket: {seen}")
    base = max(v for _, v in seen["sse"])
    n = int(rate * seconds)
    t0 = time.monotonic() + 0.5
    returns: list[float] = []

    def paced(i: int) -> float:
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return create(i + 1)

    with ThreadPoolExecutor(max_workers=16) as pool:
        returns = sorted(pool.map(paced, range(n)))
    sent_rate = n / (returns[-1] - t0) if returns else 0.0
    complete = wait_for(base + n, 120)
    stop.set()
    call.cancel()
    out: dict = {"tickets": n, "sent_rate": sent_rate, "complete": complete}
    for path, events in seen.items():
        latencies = []
        for k, returned in enumerate(returns, 1):
            first = next((at for at, v in events if v >= base + k), None)
            if first is not None:
                latencies.append(max(0.0, first - returned) * 1000)
        out[path] = {"received": len(latencies), "p50": _pct(latencies, 0.5), "p99": _pct(latencies, 0.99),
                     "max": max(latencies) if latencies else float("nan"), "events": len(events)}
    client.close()
    ticket_channel.close()
    watch_channel.close()
    return out


def _plan(stack, name: str, start: date, end: date, key: str) -> str:
    import grpc

    from evaluation.domain import model as m
    from evaluation.grpc_api import model_to_pb
    from govkit.client import channel
    from govops.common.v1.common_pb2 import DateRange, PageRequest
    from govops.evaluation.v1 import evaluation_pb2 as epb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    def stub(subject):
        return evaluation_pb2_grpc.EvaluationServiceStub(channel(stack.target("evaluation"),
                                                                 stack.token(subject=subject)))

    runner, scorer, reviewer = stub("bench-runner"), stub("bench-scorer"), stub("bench-reviewer")
    if not runner.ListModels(epb.ListModelsRequest(page=PageRequest(page_size=10)), timeout=10).models:
        runner.CreateModel(epb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=10)
    objects = ([epb.EvaluationObject(kind=epb.OBJECT_KIND_ORG_UNIT, id=u) for u in OM_UNITS]
               + [epb.EvaluationObject(kind=epb.OBJECT_KIND_PROCESS, id=p, org_unit_id=d)
                  for d in DEPTS for p in ("request", "incident")]
               + [epb.EvaluationObject(kind=epb.OBJECT_KIND_GROUP, id=f"grp-{i:02d}", org_unit_id=OM_UNITS[i % 10])
                  for i in range(20)])
    assert len(objects) == 50
    plan = runner.CreatePlan(epb.CreatePlanRequest(
        name=name, subject_org_unit_id=GOV, subject_role="evaluator", model_code=m.DEFAULT_MODEL.code,
        period=DateRange(start=start.isoformat(), end=end.isoformat()), objects=objects, idempotency_key=key),
        timeout=30).plan
    runner.AdvancePlan(epb.AdvancePlanRequest(id=plan.id, to_state=epb.PLAN_STATE_DATA_COLLECTION), timeout=30)
    manual = [i.code for i in m.DEFAULT_MODEL.indicators if i.kind == "manual" and "department" not in i.applies_to]
    keys = OM_UNITS + [f"{OM_UNITS[i % 10]}/group/grp-{i:02d}" for i in range(20)]
    for n, object_id in enumerate(keys):
        for code in manual:
            try:
                scorer.SubmitManualScore(epb.SubmitManualScoreRequest(
                    plan_id=plan.id, object_id=object_id, indicator_code=code, score=50 + n,
                    evidence="基准佐证"), timeout=10)
            except grpc.RpcError as err:  # an indicator of a level the object is not measured on
                if err.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
    for step in (epb.PLAN_STATE_SELF_ASSESSMENT, epb.PLAN_STATE_REVIEW):
        runner.AdvancePlan(epb.AdvancePlanRequest(id=plan.id, to_state=step), timeout=120)
    reviewer.SignOffScores(epb.SignOffScoresRequest(plan_id=plan.id), timeout=30)
    runner.PublishPlan(epb.PublishPlanRequest(id=plan.id, no_data_override_reason="基准测试"), timeout=120)
    return plan.id


def nine_grid(stack, url: str, calls: int) -> dict:
    from govkit.client import channel
    from govops.evaluation.v1 import evaluation_pb2 as epb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    today = date.today()
    first = today.replace(day=1)
    previous_end = first - timedelta(days=1)
    _plan(stack, "基准上月评价", previous_end.replace(day=1), previous_end, "bench-previous")
    plan_id = _plan(stack, "基准本月评价", first, today, "bench-current")
    client = _session(url, "bench-dir")
    path = "/api/rpc/govops.evaluation.v1.EvaluationService/GetNineGrid"
    page_call = {"plan_id": plan_id, "scores_only": True}  # what the page sends (one object's rows)
    size = len(client.post(path, json=page_call).content)
    full_size = len(client.post(path, json={"plan_id": plan_id}).content)
    ch = channel(stack.target("evaluation"), stack.token())
    stub = evaluation_pb2_grpc.EvaluationServiceStub(ch)
    figures = {}

    def timed(fn) -> dict:
        for _ in range(5):
            fn()
        samples = []
        for _ in range(calls):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        return {"p50": statistics.median(samples), "p99": _pct(samples, 0.99), "max": max(samples)}

    def gateway(body):
        def call():
            reply = client.post(path, json=body)
            reply.raise_for_status()
            assert len(reply.json()["plan"]["results"]) == 50
        return call

    figures["gateway GetNineGrid (the page)"] = timed(gateway(page_call))
    figures["gRPC GetNineGrid (the page)"] = timed(
        lambda: stub.GetNineGrid(epb.GetNineGridRequest(plan_id=plan_id, scores_only=True), timeout=30))
    figures["gateway GetNineGrid, every object's rows"] = timed(gateway({"plan_id": plan_id}))
    figures["gRPC GetNineGrid, every object's rows"] = timed(
        lambda: stub.GetNineGrid(epb.GetNineGridRequest(plan_id=plan_id), timeout=30))
    figures["gRPC GetPlan"] = timed(lambda: stub.GetPlan(epb.GetPlanRequest(id=plan_id), timeout=30))
    client.close()
    ch.close()
    return {"bytes": size, "full_bytes": full_size, "figures": figures}


def run(quick: bool, redis_db: int, rates: list[float]) -> dict:
    from govkit.stack import Stack

    workdir = Path(tempfile.mkdtemp(prefix="bench-pe-"))
    stack = Stack(NAME, workdir, services=("org", "ticket", "evaluation"), redis_db=redis_db)
    portal = None
    try:
        stack.prepare()
        for svc in stack.services:
            stack.process(svc, "grpc")
        stack.start()
        _setup_org(stack)
        portal, url = _start_portal(stack, workdir)
        walls = [kpi_wall(stack, url, rate=rate, seconds=5 if quick else 20) for rate in rates]
        grid = nine_grid(stack, url, calls=30 if quick else 200)
        return {"walls": walls, "grid": grid, "cores": len(os.sched_getaffinity(0)), "load": os.getloadavg()}
    finally:
        if portal is not None:
            portal.stop()
        stack.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"GovOps management window — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
                        f"{r['cores']} cores")
    for col in ("figure", "p50 ms", "p99 ms", "max ms", "notes"):
        table.add_column(col)
    for w in r["walls"]:
        for path, label in (("sse", "KPI wall: CreateTicket return → SSE event (gateway)"),
                            ("grpc", "raw: CreateTicket return → WatchKpis (gRPC)")):
            f = w[path]
            table.add_row(label, f"{f['p50']:.0f}", f"{f['p99']:.0f}", f"{f['max']:.0f}",
                          f"{f['received']}/{w['tickets']} seen, {f['events']} events, sent {w['sent_rate']:.1f}/s")
    g = r["grid"]
    for label, f in g["figures"].items():
        size = g["bytes"] if "page" in label else g["full_bytes"]
        table.add_row(f"nine-grid, 50 objects: {label}", f"{f['p50']:.1f}", f"{f['p99']:.1f}", f"{f['max']:.1f}",
                      f"{size:,} bytes JSON" if label.startswith("gateway") else "")
    Console().print(table)
    Console().print(f"load average at the end: {', '.join(f'{x:.1f}' for x in r['load'])}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.portal_evaluation", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5 s of tickets, 30 nine-grid calls")
    ap.add_argument("--redis-db", type=int, default=11, help="Redis db of the bench stack (flushed)")
    ap.add_argument("--rate", type=float, action="append", help="tickets/s for the KPI wall (repeatable; default "
                    "50, then 10: the target rate and one below the stack's capacity on a small machine)")
    args = ap.parse_args(argv)
    print_table(run(args.quick, args.redis_db, args.rate or [50, 10]))


if __name__ == "__main__":
    main()
