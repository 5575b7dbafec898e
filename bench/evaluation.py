"""`python -m bench.evaluation [--quick]`: evaluation ingest figures on an isolated stack
(evaluation-worker + evaluation-grpc as real processes, own databases, vhost and Redis db).

1. raw pika consume rate (prefetch 100, manual ack) on the same broker — the ceiling;
2. max ingest rate of one nameko evaluation-worker, and of the batched pika consumer
   (`python -m evaluation.batch_consumer`): N mixed ticket events (contract payloads) published
   while the consumer is stopped, then drained; rate = N / drain time, and its ratio to raw;
3. 3 nameko workers on the same N events give exactly the KPIs of 1 (`eval kpi check` and snapshot);
4. sustained ingest at a fixed rate (default 500 events/s) of mixed events, event→KPI latency:
   every 10th event is a ticket_created for a department of its own, and one WatchKpis stream
   records when its tickets_created arrives; latency = arrival − just before its publish;
5. time to rebuild Redis from M facts (bulk-inserted), `eval kpi rebuild`'s code path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.evaluation", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small smoke variant")
    ap.add_argument("--events", type=int, help="events per ingest run")
    ap.add_argument("--rate", type=float, default=500.0, help="sustained events/s")
    ap.add_argument("--seconds", type=float, help="length of the sustained run")
    ap.add_argument("--rebuild-facts", type=int, help="facts for the rebuild figure")
    ap.add_argument("--redis-db", type=int, default=11)
    a = ap.parse_args(argv)
    quick = {"events": 1000, "seconds": 3.0, "rebuild_facts": 5000}
    full = {"events": 3000, "seconds": 15.0, "rebuild_facts": 100000}
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    return a


def mixed_events(n: int, seed: int, depts=("fgw", "czj", "gaj", "wjw")) -> list:
    from tests.eval_events import mixed

    out = []
    i = 0
    while len(out) < n:
        out.extend(mixed(50, depts=depts, seed=seed + i))
        i += 1
    return out[:n]


class EvalStack:
    def __init__(self, redis_db: int):
        from govkit.stack import Stack

        self.workdir = Path(tempfile.mkdtemp(prefix="govops-bench-eval-"))
        self.extra: list = []
        self.stack = Stack(f"govops_benchev_{os.getpid()}", self.workdir, services=("evaluation",),
                           redis_db=redis_db, extra_env={"GOVOPS_LOG_LEVEL": "WARNING"})

    def __enter__(self):
        self.stack.prepare()
        self.stack.process("evaluation", "grpc").start()
        return self

    def __exit__(self, *exc):
        import redis

        from govkit.db import drop_database
        from govkit.stack import delete_vhost

        for p in list(self.stack.processes.values()) + self.extra:
            p.stop()
        drop_database(f"{PG_URL}/{self.stack.name}_evaluation")
        delete_vhost(self.stack.name)
        redis.Redis.from_url(self.stack.env["GOVOPS_REDIS_URL"]).flushdb()
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def env(self):
        return self.stack.env

    def engine(self):
        from govkit.db import make_engine

        return make_engine(f"{PG_URL}/{self.stack.name}_evaluation", pool_size=2)

    def reset(self):
        import redis
        import sqlalchemy as sa

        eng = self.engine()
        with eng.begin() as c:
            c.execute(sa.text("TRUNCATE facts, inbox"))
        eng.dispose()
        redis.Redis.from_url(self.env["GOVOPS_REDIS_URL"]).flushdb()

    def facts(self) -> int:
        import sqlalchemy as sa

        eng = self.engine()
        with eng.connect() as c:
            n = c.execute(sa.text("SELECT count(*) FROM facts")).scalar()
        eng.dispose()
        return n

    def workers(self, n: int):
        from govkit.stack import Process, free_port

        procs = []
        for i in range(n):
            env = dict(self.env, GOVOPS_METRICS_PORT=str(free_port()))
            procs.append(Process(f"evaluation-worker-{i}", [str(Path(sys.executable).parent / "govops-worker"),
                                                            "evaluation"], env, self.workdir / f"worker-{i}.log"))
        self.extra.extend(procs)
        return procs

    def batch_consumer(self):
        from govkit.stack import Process

        p = Process("batch-consumer", [sys.executable, "-m", "evaluation.batch_consumer"], dict(self.env),
                    self.workdir / f"batch-{len(self.extra)}.log")
        self.extra.append(p)
        return p


def publish(env: dict, events: list, batch: int = 200) -> None:
    from govkit.relay import ConfirmingPublisher

    pub = ConfirmingPublisher(env["GOVOPS_AMQP_URI"], "ticket.events")
    try:
        for i in range(0, len(events), batch):
            pub.publish_batch([e.to_dict() for e in events[i:i + batch]])
    finally:
        pub.close()


def queue_depth(vhost: str) -> int:
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"],
                         capture_output=True, text=True).stdout
    return sum(int(line.split()[1]) for line in out.splitlines()
               if line.startswith("evt-ticket-") and len(line.split()) == 2 and line.split()[1].isdigit())


def raw_pika_consume(env: dict, n: int) -> float:
    """Messages/s one pika consumer (prefetch 100, ack per message) takes off a queue."""
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(env["GOVOPS_AMQP_URI"]))
    ch = conn.channel()
    q = f"bench-raw-{uuid.uuid4().hex[:6]}"
    ch.queue_declare(q, durable=False, auto_delete=False)
    body = b'{"id":"x","source":"ticket","type":"govops.ticket.ticket_created.v1","data":{}}' * 4
    for _ in range(n):
        ch.basic_publish("", q, body)
    ch.basic_qos(prefetch_count=100)
    got = 0
    t0 = time.perf_counter()
    for method, _props, _body in ch.consume(q, inactivity_timeout=5):
        if method is None:
            break
        ch.basic_ack(method.delivery_tag)
        got += 1
        if got >= n:
            break
    dt_ = time.perf_counter() - t0
    ch.cancel()
    ch.queue_delete(q)
    conn.close()
    return got / dt_


def drain(stack: EvalStack, procs: list, events: list, timeout: float = 900) -> tuple[float, float]:
    """Publish with consumers stopped, start them, time until every event is a fact and the queues
    are empty. Returns (events/s, seconds)."""
    publish(stack.env, events)
    unique = len({e.id for e in events})
    for p in procs:
        p.start()
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while stack.facts() < unique:
        if time.perf_counter() > deadline:
            raise TimeoutError("ingest did not finish")
        time.sleep(0.05)
    while queue_depth(stack.stack.name) > 0 and time.perf_counter() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    return len(events) / elapsed, elapsed


def snapshot(stack) -> dict:
    import redis

    from evaluation.adapters.kpi_store import KpiStore

    raw = KpiStore(redis.Redis.from_url(stack.env["GOVOPS_REDIS_URL"], decode_responses=True)).raw_hashes()
    # a field that went +1 then −1 reads 0 and equals a field never written
    return {k: {f: round(v, 6) for f, v in h.items() if round(v, 6)} for k, h in raw.items()}


def check(stack) -> int:
    out = subprocess.run([str(Path(sys.executable).parent / "govops"), "eval", "kpi", "check"],
                         env=stack.env, capture_output=True, text=True)
    return out.returncode


def sustained(stack: EvalStack, rate: float, seconds: float, seed: int) -> dict:
    """Open-loop publishing at `rate`; latency of probe events to the WatchKpis stream."""
    from govkit.client import channel
    from govkit.relay import ConfirmingPublisher
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc
    from tests.eval_events import envelope

    n = int(rate * seconds)
    load = mixed_events(n, seed)
    probes: dict[str, float] = {}
    arrivals: dict[str, float] = {}
    token = stack.stack.token()
    ch = channel(stack.stack.target("evaluation"), token)
    stream = pb_grpc.EvaluationServiceStub(ch).WatchKpis(pb.WatchKpisRequest(filter=pb.KpiFilter(
        level=pb.LEVEL_ORGANIZATION, names=["tickets_created"])))

    def read():
        try:
            for msg in stream:
                s = msg.kpi.subject
                if s.startswith(f"lat-{seed}-") and s not in arrivals:
                    arrivals[s] = time.perf_counter()
        except Exception:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1.0)
    pub = ConfirmingPublisher(stack.env["GOVOPS_AMQP_URI"], "ticket.events")
    tick = 0.01  # publish every 10 ms the events due by then
    per_tick = rate * tick
    t0 = time.perf_counter()
    sent, k = 0, 0
    now = dt.datetime.now(dt.UTC)
    while sent < n:
        due = min(n, int((time.perf_counter() - t0) / tick * per_tick) + 1)
        batch = []
        while sent < due:
            if sent % 10 == 0:
                dept = f"lat-{seed}-{k}"
                k += 1
                batch.append(("probe", dept, envelope("ticket_created", {"id": str(uuid.uuid4()), "dept": dept},
                                                      now, title="探针", created_at=now.isoformat())))
            else:
                batch.append(("load", None, load[sent]))
            sent += 1
        stamp = time.perf_counter()
        for kind, dept, _ in batch:
            if kind == "probe":
                probes[dept] = stamp
        pub.publish_batch([e.to_dict() for _, _, e in batch])
        next_t = t0 + (sent / per_tick) * tick
        pause = next_t - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    publish_seconds = time.perf_counter() - t0
    pub.close()
    deadline = time.perf_counter() + 120
    while len(arrivals) < len(probes) and time.perf_counter() < deadline:
        time.sleep(0.05)
    stream.cancel()
    ch.close()
    lat = sorted((arrivals[d] - probes[d]) * 1000 for d in probes if d in arrivals)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    return {"events": n, "achieved_rate": n / publish_seconds, "probes": len(probes), "arrived": len(lat),
            "p50_ms": q[49], "p90_ms": q[89], "p99_ms": q[98], "max_ms": lat[-1] if lat else float("nan")}


def rebuild(stack: EvalStack, n: int, seed: int) -> dict:
    """Bulk-insert n facts, then time `rebuild_live_kpis` (what `govops eval kpi rebuild` runs)."""
    import redis

    from evaluation import handlers
    from evaluation.adapters.facts import FactRepository
    from evaluation.adapters.kpi_store import KpiStore
    from evaluation.adapters.uow import EvaluationUnitOfWork

    stack.reset()
    eng = stack.engine()
    t0 = time.perf_counter()
    chunk = 5000
    done = 0
    while done < n:
        evs = mixed_events(min(chunk, n - done), seed + done)
        with eng.begin() as c:
            FactRepository(c).add_many(evs)
        done += len(evs)
    load_s = time.perf_counter() - t0
    store = KpiStore(redis.Redis.from_url(stack.env["GOVOPS_REDIS_URL"], decode_responses=True))
    facts = stack.facts()
    t0 = time.perf_counter()
    replayed = handlers.rebuild_live_kpis(EvaluationUnitOfWork(eng), store)
    secs = time.perf_counter() - t0
    eng.dispose()
    return {"facts": facts, "replayed": replayed, "seconds": secs, "rate": replayed / secs,
            "load_seconds": load_s, "extrapolated_1m_seconds": 1_000_000 / (replayed / secs)}


def main(argv=None) -> None:
    a = parse_args(argv)
    print(f"bench.evaluation {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, nproc={os.cpu_count()}, "
          f"events={a.events}, rate={a.rate}/s for {a.seconds}s, rebuild facts={a.rebuild_facts}", flush=True)
    results: dict = {}
    with EvalStack(a.redis_db) as s:
        results["raw_pika_consume_per_s"] = raw_pika_consume(s.env, max(5000, a.events))
        print(f"raw pika consume: {results['raw_pika_consume_per_s']:.0f} msg/s", flush=True)

        events = mixed_events(a.events, 1)
        w1 = s.workers(1)
        rate1, secs1 = drain(s, w1, events)
        snap1 = snapshot(s)
        ok1 = check(s) == 0
        results["nameko_1_worker_per_s"] = rate1
        print(f"nameko, 1 worker: {rate1:.0f} events/s ({secs1:.1f} s), kpi check ok={ok1}", flush=True)
        for p in w1:
            p.stop()

        s.reset()
        w3 = s.workers(3)
        rate3, secs3 = drain(s, w3, events)
        snap3 = snapshot(s)
        same = snap1 == snap3 and check(s) == 0 and bool(snap1)
        results["nameko_3_workers_per_s"] = rate3
        results["three_equal_one"] = same
        print(
            f"nameko, 3 workers: {rate3:.0f} events/s ({secs3:.1f} s); KPIs identical to 1 worker: {same}", flush=True
        )
        for p in w3:
            p.stop()

        s.reset()
        bc = s.batch_consumer()
        rateb, secsb = drain(s, [bc], events)
        snapb = snapshot(s)
        results["batch_consumer_per_s"] = rateb
        results["batch_equal_one"] = snapb == snap1
        print(f"batched pika consumer: {rateb:.0f} events/s ({secsb:.1f} s); identical: {snapb == snap1}", flush=True)

        # sustained: the batched consumer at the target rate and at half its measured maximum;
        # two batched consumers at the target rate; one nameko worker at half its maximum (the
        # target rate is beyond one nameko worker here, see its max ingest rate above)
        def run(name, procs, rate):
            from govkit.stack import wait_for_consumers

            s.reset()
            for p in procs:
                p.start()
            wait_for_consumers(s.stack.name, timeout=60, prefix="evt-ticket-")
            results[name] = sustained(s, rate, a.seconds, 1000 + len(results))
            results[name]["rate"] = rate
            print(f"{name} at {rate:.0f}/s: {results[name]}", flush=True)
            for p in procs:
                p.stop()

        bc.stop()
        run("sustained_batch", [s.batch_consumer()], a.rate)
        run("sustained_batch_half_max", [s.batch_consumer()], max(10.0, rateb / 2))
        run("sustained_2_batch", [s.batch_consumer(), s.batch_consumer()], a.rate)
        run("sustained_nameko_half_max", s.workers(1), max(10.0, rate1 / 2))

        results["rebuild"] = rebuild(s, a.rebuild_facts, 5000)
        print(f"rebuild: {results['rebuild']}", flush=True)
    raw = results["raw_pika_consume_per_s"]
    print("\nsummary")
    print(f"  raw pika consume            {raw:10.0f} msg/s")
    for k in ("nameko_1_worker_per_s", "nameko_3_workers_per_s", "batch_consumer_per_s"):
        print(f"  {k:28s} {results[k]:10.0f} events/s  ({100 * results[k] / raw:.1f} % of raw)")
    for k in ("sustained_batch", "sustained_batch_half_max", "sustained_2_batch", "sustained_nameko_half_max"):
        r = results[k]
        print(f"  {k:28s} {r['achieved_rate']:.0f}/s offered, p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
              f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms ({r['arrived']}/{r['probes']} probes)")
    r = results["rebuild"]
    print(f"  rebuild                      {r['replayed']} facts in {r['seconds']:.1f} s = {r['rate']:.0f}/s "
          f"(1M ≈ {r['extrapolated_1m_seconds']:.0f} s)")


if __name__ == "__main__":
    import signal

    def _interrupt(*_):
        raise KeyboardInterrupt  # unwind, so the stack's processes, databases and vhost go away

    signal.signal(signal.SIGTERM, _interrupt)
    main()
