"""GovOps figures against a real, isolated Stack (ticket + evaluation: workers and gRPC servers).

* CreateTicket throughput: closed-loop clients, each its own process, channel and token.
* Event→KPI latency: open-loop senders create tickets at a fixed rate, each for a department
  of its own; one WatchKpis stream records when each department's `tickets_created` change
  arrives. Latency = arrival − the moment CreateTicket returned to its sender.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .clients import CTX, LOCALHOST, Figure, measure, sleep_until

# org too: the runs' departments are created through it (Stack.create_org_units), as services
# refuse units org does not hold; it idles during the timed runs.
SERVICES = ("org", "ticket", "evaluation")
THROUGHPUT_DEPARTMENT = "bench-throughput"
PG_URL = f"postgresql+psycopg2://postgres@{LOCALHOST}:5432"


# Redis databases the bench may take, in order of preference. The test suite uses 13 and 15 by
# default, Stack 14 and `make run` 0; other concurrent runs may use any other.
REDIS_CANDIDATES = (12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)


def pick_redis_db(requested: int | None) -> int:
    """`requested`, or the first candidate database that is empty: Stack flushes the database
    it is given, so the bench must never be handed one that someone else is using."""
    if requested is not None:
        return requested
    import redis

    for db in REDIS_CANDIDATES:
        client = redis.Redis(host=LOCALHOST, port=6379, db=db)
        try:
            if client.dbsize() == 0:
                return db
        finally:
            client.close()
    raise RuntimeError(f"no empty Redis database among {REDIS_CANDIDATES}; pass --redis-db")


class BenchStack:
    """A Stack with its own name (pid-suffixed), Redis db and workdir, removed afterwards."""

    def __init__(self, redis_db: int | None = None):
        from govkit.stack import Stack

        redis_db = pick_redis_db(redis_db)
        self.workdir = Path(tempfile.mkdtemp(prefix="govops-bench-"))
        from govkit.stack import free_port

        self.stack = Stack(f"govops_bench_{os.getpid()}", self.workdir, services=SERVICES,
                           redis_db=redis_db, extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port())})
        self.failed = False

    def __enter__(self):
        try:
            self.stack.prepare()
            self.stack.start()
            # services refuse units org does not hold (govkit.units): the departments the runs name
            self.stack.create_org_units([(u, u, "", "department") for u in (THROUGHPUT_DEPARTMENT, "profile")])
        except BaseException:
            self.failed = True
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        import redis

        from govkit.db import drop_database
        from govkit.stack import delete_vhost

        if exc and exc[0] is not None:
            self.failed = True
        # Every step is attempted even if an earlier one fails; a failure here never hides the
        # error that ended the run.
        steps = [("stop processes", self.stack.stop)]
        steps += [(f"drop database {self.stack.name}_{svc}",
                   lambda svc=svc: drop_database(f"{PG_URL}/{self.stack.name}_{svc}")) for svc in SERVICES]
        steps += [(f"delete vhost {self.stack.name}", lambda: delete_vhost(self.stack.name)),
                  ("flush the Redis database",
                   lambda: redis.Redis.from_url(self.stack.env["GOVOPS_REDIS_URL"]).flushdb())]
        for what, step in steps:
            try:
                step()
            except Exception as err:  # reported; the remaining steps still run
                self.failed = True
                print(f"bench: cleanup could not {what}: {err.__class__.__name__}: {err}".splitlines()[0],
                      file=sys.stderr)
        if self.failed:
            print(f"bench: stack logs kept in {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


# -- CreateTicket throughput ------------------------------------------------------------------

def create_ticket_rate(stack, clients: int, trials: int, seconds: float) -> Figure:
    """Closed-loop CreateTicket. Between trials the events of the last one are let through to the
    KPIs, so every trial starts with an idle pipeline (the relay and the consumer still run, and
    take their CPU, during a trial)."""
    return measure(clients, "bench.clients:create_ticket",
                   (stack.target("ticket"), stack.token(), THROUGHPUT_DEPARTMENT), trials, seconds,
                   between=lambda: wait_until_drained(stack, timeout=60))


def tickets_in_db(stack, department: str) -> int:
    import psycopg2

    conn = psycopg2.connect(host=LOCALHOST, port=5432, user="postgres", dbname=f"{stack.name}_ticket")
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM tickets WHERE org_unit_id = %s", (department,))
        return cur.fetchone()[0]
    finally:
        conn.close()


def wait_until_drained(stack, timeout: float) -> tuple[int, float, float]:
    """Until the throughput department's KPI counts every ticket the database holds for it.
    Returns (tickets, KPI value, seconds waited)."""
    started = time.monotonic()
    expected = tickets_in_db(stack, THROUGHPUT_DEPARTMENT)
    seen = wait_for_kpi(stack, THROUGHPUT_DEPARTMENT, expected, timeout)
    return expected, seen, time.monotonic() - started


def wait_for_kpi(stack, subject: str, value: float, timeout: float) -> float:
    """Until the live KPI tickets_created of `subject` reaches `value`; returns the value seen."""
    from govkit.client import channel
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc

    deadline = time.monotonic() + timeout
    seen = 0.0
    with channel(stack.target("evaluation"), stack.token()) as ch:
        stub = pb_grpc.EvaluationServiceStub(ch)
        request = pb.GetKpisRequest(filter=pb.KpiFilter(subjects=[subject], names=["tickets_created"]))
        while True:
            kpis = stub.GetKpis(request, timeout=10).kpis
            seen = kpis[0].value if kpis else 0.0
            if seen >= value or time.monotonic() > deadline:
                return seen
            time.sleep(0.2)


# -- event → KPI latency ----------------------------------------------------------------------

class Watcher:
    """One WatchKpis stream; records the first live tickets_created change per subject."""

    def __init__(self, target: str, token: str):
        from govkit.client import channel
        from govops.evaluation.v1 import evaluation_pb2 as pb
        from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc

        self.arrivals: dict[str, float] = {}
        self.changes = 0
        self.error: str | None = None
        self._ch = channel(target, token)
        self._call = pb_grpc.EvaluationServiceStub(self._ch).WatchKpis(pb.WatchKpisRequest(
            filter=pb.KpiFilter(level=pb.LEVEL_ORGANIZATION, names=["tickets_created"])))
        self._thread = threading.Thread(target=self._run, name="bench-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import grpc

        try:
            for msg in self._call:
                now = time.monotonic()
                if msg.snapshot:
                    continue
                self.changes += 1
                self.arrivals.setdefault(msg.kpi.subject, now)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                self.error = f"{exc.code().name}: {exc.details()}"

    def wait_for(self, subjects, timeout: float) -> int:
        """Until every subject arrived or the timeout; returns how many are still missing."""
        deadline = time.monotonic() + timeout
        while True:
            missing = sum(1 for s in subjects if s not in self.arrivals)
            if not missing or time.monotonic() > deadline or self.error:
                return missing
            time.sleep(0.05)

    def close(self) -> None:
        self._call.cancel()
        self._thread.join(timeout=5)
        self._ch.close()


def _sender_main(target: str, token: str, prefix: str, threads: int, counter, conn) -> None:
    """One sender process: `threads` threads share the slot counter with the other senders."""
    import grpc

    from govkit.client import channel
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    ch = channel(target, token)
    stub = pb_grpc.TicketServiceStub(ch)

    def request(department: str):
        return pb.CreateTicketRequest(title="bench ticket", description="latency probe",
                                      org_unit_id=department, category=pb.CATEGORY_APPLICATION,
                                      priority=pb.PRIORITY_MEDIUM)

    stub.CreateTicket(request(f"{prefix}-warmup"), timeout=10)
    conn.send("ready")
    start_at, end_at, rate = conn.recv()
    results: list[tuple[int, float, float]] = []  # slot, scheduled, returned
    errors: list[str] = []

    def loop():
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value += 1
            scheduled = start_at + i / rate
            # Open loop, bounded: slots past the end are not sent, nor are late slots once the
            # run is over (a sender that cannot keep the rate reports a lower achieved rate).
            if scheduled >= end_at or time.monotonic() >= end_at:
                return
            sleep_until(scheduled)
            try:
                stub.CreateTicket(request(f"{prefix}-{i}"), timeout=10)
            except grpc.RpcError as exc:
                errors.append(f"{exc.code().name}: {exc.details()}")
                continue
            results.append((i, scheduled, time.monotonic()))

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    conn.send((results, errors))
    ch.close()


@dataclass
class Latency:
    offered: float  # tickets/s asked for
    achieved: float  # tickets/s that CreateTicket actually returned, over the run
    sent: int
    missing: int  # created, but no KPI change arrived within the grace period
    errors: int
    lag_ms: float  # worst time from a send's scheduled moment to CreateTicket's return
    latencies_ms: list[float] = field(default_factory=list)
    first_error: str | None = None

    def pct(self, p: float) -> float:
        """Nearest-rank percentile of the sorted latencies."""
        xs = self.latencies_ms
        if not xs:
            return float("nan")
        k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
        return xs[k]


def event_to_kpi(stack, watcher: Watcher, prefix: str, rate: float, seconds: float,
                 senders: int, threads: int, grace: float) -> Latency:
    counter = CTX.Value("q", 0)
    procs, conns = [], []
    token = stack.token()
    # One department per ticket, created through org first: services refuse units org does not hold.
    slots = int(rate * seconds) + 1
    names = [f"{prefix}-warmup", *(f"{prefix}-{i}" for i in range(slots))]
    stack.create_org_units([(u, u, "", "department") for u in names], timeout=max(60.0, slots / 50))
    try:
        for _ in range(senders):
            parent, child = CTX.Pipe()
            p = CTX.Process(target=_sender_main, daemon=True,
                            args=(stack.target("ticket"), token, prefix, threads, counter, child))
            p.start()
            procs.append(p)
            conns.append(parent)
        for c in conns:
            if not c.poll(60) or c.recv() != "ready":
                raise RuntimeError("latency sender failed to start")
        start_at = time.monotonic() + 0.3
        end_at = start_at + seconds
        for c in conns:
            c.send((start_at, end_at, rate))
        results, errors = [], []
        for c in conns:
            if not c.poll(seconds + 60):
                raise TimeoutError("latency sender did not finish")
            r, e = c.recv()
            results += r
            errors += e
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
    subjects = [f"{prefix}-{i}" for i, _, _ in results]
    missing = watcher.wait_for(subjects, grace)
    latencies = sorted((watcher.arrivals[f"{prefix}-{i}"] - returned) * 1000
                       for i, _, returned in results if f"{prefix}-{i}" in watcher.arrivals)
    last_return = max((r for _, _, r in results), default=start_at)
    return Latency(
        offered=rate,
        achieved=len(results) / max(last_return - start_at, seconds),
        sent=len(results), missing=missing, errors=len(errors),
        lag_ms=max(((r - s) * 1000 for _, s, r in results), default=0.0),
        latencies_ms=latencies, first_error=errors[0] if errors else watcher.error,
    )

