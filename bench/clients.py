"""Closed-loop client processes and the operations they repeat.

Every client is its own process (multiprocessing "spawn": no inherited gRPC or database state,
and no GIL shared between clients or with the parent). A pool starts its clients, lets each do one
warm-up operation, then runs trials: every client loops over its operation from a common start
time until a common end time (CLOCK_MONOTONIC is system-wide on Linux, so all processes agree).
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

CTX = mp.get_context("spawn")
LOCALHOST = "127.0.0.1"


def sleep_until(t: float) -> None:
    """Sleep, never spin: on 2 cores a spinning client would steal the servers' CPU."""
    left = t - time.monotonic()
    if left > 0:
        time.sleep(left)


# -- operations: factory(*args) -> (op, close) ------------------------------------------------

def pg_insert(dbname: str, table: str):
    """One single-row INSERT and its COMMIT (psycopg2, durable commit as configured)."""
    import psycopg2

    conn = psycopg2.connect(host=LOCALHOST, port=5432, user="postgres", dbname=dbname)
    cur = conn.cursor()
    payload = "x" * 200
    sql = f"INSERT INTO {table} (payload) VALUES (%s)"

    def op():
        cur.execute(sql, (payload,))
        conn.commit()

    return op, conn.close


def pika_publish(vhost: str, queue: str):
    """One persistent message published and confirmed before the next (BlockingConnection)."""
    import pika

    params = pika.ConnectionParameters(host=LOCALHOST, port=5672, virtual_host=vhost,
                                       credentials=pika.PlainCredentials("guest", "guest"))
    conn = pika.BlockingConnection(params)
    ch = conn.channel()
    ch.confirm_delivery()
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    body = b"x" * 512  # about the size of a GovOps ticket_created envelope

    def op():
        ch.basic_publish(exchange="", routing_key=queue, body=body, properties=props, mandatory=True)

    return op, conn.close


def grpc_empty(target: str):
    """One unary call with an empty request and response, no interceptors on either side."""
    import grpc

    ch = grpc.insecure_channel(target)
    call = ch.unary_unary("/bench.Empty/Call", request_serializer=None, response_deserializer=None)

    def op():
        call(b"", timeout=10)

    return op, ch.close


def create_ticket(target: str, token: str, department: str):
    """CreateTicket through the GovOps client channel (bearer token + correlation id)."""
    from govkit.client import channel
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    ch = channel(target, token)
    stub = pb_grpc.TicketServiceStub(ch)
    request = pb.CreateTicketRequest(title="bench ticket", description="created by the benchmark",
                                     org_unit_id=department, category=pb.CATEGORY_APPLICATION,
                                     priority=pb.PRIORITY_MEDIUM)

    def op():
        stub.CreateTicket(request, timeout=10)

    return op, ch.close


# -- the pool ---------------------------------------------------------------------------------

def _client_main(factory: str, args: tuple, conn) -> None:
    module, name = factory.split(":")
    try:
        op, close = getattr(importlib.import_module(module), name)(*args)
        op()  # warm-up: connections open, first-call costs paid
    except Exception as exc:  # reported to the parent, which fails the figure, not the run
        conn.send(("error", repr(exc)))
        return
    conn.send(("ready", None))
    try:
        while True:
            cmd = conn.recv()
            if cmd[0] == "stop":
                break
            _, start_at, end_at = cmd
            sleep_until(start_at)
            n = errors = 0
            last_error = None
            now = time.monotonic()
            while now < end_at:
                try:
                    op()
                    n += 1
                except Exception as exc:  # counted and reported, the loop goes on
                    errors += 1
                    last_error = repr(exc)[:300]
                now = time.monotonic()
            conn.send(("done", (n, errors, now - start_at, last_error)))
    finally:
        try:
            close()
        except Exception:  # closing a broken connection: nothing left to do
            pass


@dataclass
class Trial:
    rate: float  # successful operations per second, summed over the clients
    ops: int
    errors: int
    last_error: str | None


@dataclass
class Figure:
    median: float
    trials: list[Trial]

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.trials)

    @property
    def ops(self) -> int:
        return sum(t.ops for t in self.trials)

    @property
    def last_error(self) -> str | None:
        return next((t.last_error for t in reversed(self.trials) if t.last_error), None)


class ClientPool:
    def __init__(self, clients: int, factory: str, args: tuple, *, ready_timeout: float = 60.0):
        self.procs, self.conns = [], []
        for _ in range(clients):
            parent, child = CTX.Pipe()
            p = CTX.Process(target=_client_main, args=(factory, args, child), daemon=True)
            p.start()
            self.procs.append(p)
            self.conns.append(parent)
        try:
            for c in self.conns:
                if not c.poll(ready_timeout):
                    raise TimeoutError(f"{factory} client not ready after {ready_timeout}s")
                kind, detail = c.recv()
                if kind != "ready":
                    raise RuntimeError(f"{factory} client failed to start: {detail}")
        except BaseException:
            self.close()
            raise

    def trial(self, seconds: float) -> Trial:
        start_at = time.monotonic() + 0.2
        for c in self.conns:
            c.send(("run", start_at, start_at + seconds))
        rate, ops, errors, last_error = 0.0, 0, 0, None
        for c in self.conns:
            if not c.poll(seconds + 60):
                raise TimeoutError("client did not finish its trial")
            _, (n, e, elapsed, err) = c.recv()
            rate += n / elapsed if elapsed > 0 else 0.0
            ops, errors, last_error = ops + n, errors + e, err or last_error
        return Trial(rate, ops, errors, last_error)

    def run(self, trials: int, seconds: float, between: Callable[[], None] | None = None) -> Figure:
        results = []
        for i in range(trials):
            if i and between:
                between()
            results.append(self.trial(seconds))
        return Figure(statistics.median(t.rate for t in results), results)

    def close(self) -> None:
        for c in self.conns:
            try:
                c.send(("stop",))
            except (OSError, BrokenPipeError):
                pass
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        self.procs, self.conns = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def measure(clients: int, factory: str, args: tuple, trials: int, seconds: float,
            between: Callable[[], None] | None = None) -> Figure:
    with ClientPool(clients, factory, args) as pool:
        return pool.run(trials, seconds, between)
