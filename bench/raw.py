"""Raw baselines: what PostgreSQL, RabbitMQ and grpcio alone do on this machine.

Each baseline owns a scratch resource that it creates and removes: the database
`govops_bench_raw`, the RabbitMQ vhost `govops_bench_raw`, an empty gRPC server process.
"""

from __future__ import annotations

import sys
import time
from concurrent import futures

from .clients import CTX, LOCALHOST, Figure, measure

SCRATCH = "govops_bench_raw"
TABLE = "bench_rows"
QUEUE = "bench.raw"


# -- PostgreSQL -------------------------------------------------------------------------------

def _admin():
    import psycopg2

    conn = psycopg2.connect(host=LOCALHOST, port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    return conn


def pg_facts() -> dict:
    conn = _admin()
    try:
        cur = conn.cursor()
        facts = {}
        for name in ("server_version", "synchronous_commit", "fsync"):
            cur.execute(f"SHOW {name}")
            facts[name] = cur.fetchone()[0]
        return facts
    finally:
        conn.close()


class ScratchDatabase:
    def __enter__(self):
        import psycopg2

        admin = _admin()
        try:
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
            admin.cursor().execute(f'CREATE DATABASE "{SCRATCH}"')
        finally:
            admin.close()
        conn = psycopg2.connect(host=LOCALHOST, port=5432, user="postgres", dbname=SCRATCH)
        with conn, conn.cursor() as cur:
            cur.execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, "
                        "created_at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)")
        conn.close()
        return self

    def __exit__(self, *exc):
        try:
            admin = _admin()
            try:
                admin.cursor().execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
            finally:
                admin.close()
        except Exception as err:  # reported, never hiding the error that ended the run
            print(f"bench: cleanup could not drop database {SCRATCH}: {err}".splitlines()[0], file=sys.stderr)


def pg_commits(clients: int, trials: int, seconds: float) -> Figure:
    return measure(clients, "bench.clients:pg_insert", (SCRATCH, TABLE), trials, seconds)


# -- RabbitMQ ---------------------------------------------------------------------------------

class ScratchVhost:
    def __enter__(self):
        import pika

        from govkit.stack import delete_vhost, ensure_vhost

        delete_vhost(SCRATCH)
        ensure_vhost(SCRATCH)
        self.conn = pika.BlockingConnection(pika.ConnectionParameters(
            host=LOCALHOST, port=5672, virtual_host=SCRATCH,
            credentials=pika.PlainCredentials("guest", "guest")))
        self.channel = self.conn.channel()
        self.channel.queue_declare(QUEUE, durable=True)
        props = self.conn._impl.server_properties or {}
        version = props.get("version", b"")
        self.version = version.decode() if isinstance(version, bytes) else str(version)
        return self

    def purge(self) -> None:
        self.channel.queue_purge(QUEUE)

    def __exit__(self, *exc):
        from govkit.stack import delete_vhost

        try:
            self.channel.queue_delete(QUEUE)
            self.conn.close()
        except Exception:  # the vhost goes anyway
            pass
        delete_vhost(SCRATCH)


def pika_publishes(vhost: ScratchVhost, trials: int, seconds: float) -> Figure:
    return measure(1, "bench.clients:pika_publish", (SCRATCH, QUEUE), trials, seconds,
                   between=vhost.purge)


# -- gRPC -------------------------------------------------------------------------------------

def _empty_server_main(port: int, ready) -> None:
    import grpc

    def call(request, context):
        return b""

    handler = grpc.method_handlers_generic_handler("bench.Empty", {
        "Call": grpc.unary_unary_rpc_method_handler(call, request_deserializer=None,
                                                    response_serializer=None)})
    # Same pool size as a GovOps gRPC process (GOVOPS_GRPC_MAX_WORKERS default 16).
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"{LOCALHOST}:{port}")
    server.start()
    ready.set()
    server.wait_for_termination()


class EmptyGrpcServer:
    def __enter__(self):
        from govkit.stack import free_port

        self.port = free_port()
        ready = CTX.Event()
        self.proc = CTX.Process(target=_empty_server_main, args=(self.port, ready), daemon=True)
        self.proc.start()
        if not ready.wait(30):
            self.__exit__()
            raise TimeoutError("empty gRPC server did not start")
        time.sleep(0.1)
        return self

    @property
    def target(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)


def grpc_calls(target: str, clients: int, trials: int, seconds: float) -> Figure:
    return measure(clients, "bench.clients:grpc_empty", (target,), trials, seconds)
