"""Run the GovOps processes as real subprocesses, for end-to-end tests and benchmarks.

Each stack gets its own database prefix, Redis database and RabbitMQ vhost through the
environment, so it never disturbs a `make run` stack on the same machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import service as registry

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_vhost(vhost: str) -> None:
    """Create a RabbitMQ vhost for guest (rabbitmqctl: the management plugin may be off)."""
    listed = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, check=True)
    if vhost not in listed.stdout.split():
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True)


def delete_vhost(vhost: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child process keeps writing to it
        self.popen = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen and self.popen.poll() is None:
            os.kill(self.popen.pid, sig)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Stack:
    name: str
    workdir: Path
    services: tuple[str, ...] = field(default_factory=registry.names)
    redis_db: int = 14
    extra_env: dict = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    grpc_ports: dict[str, int] = field(default_factory=dict)

    @property
    def env(self) -> dict:
        # Only the server addresses pass through from the caller; every other GOVOPS_ setting is the stack's.
        base = {k: v for k, v in os.environ.items() if not k.startswith("GOVOPS_") or k == "GOVOPS_PG_URL"}
        base.update({
            "GOVOPS_DB_PREFIX": f"{self.name}_",
            "GOVOPS_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{self.name}",
            "GOVOPS_REDIS_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
            "GOVOPS_KEY_DIR": str(self.workdir / "keys"),
            "GOVOPS_SESSION_FILE": str(self.workdir / "session.json"),
            "GOVOPS_LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
        })
        for svc, port in self.grpc_ports.items():
            base[f"GOVOPS_{svc.upper()}_GRPC_TARGET"] = f"127.0.0.1:{port}"
        base.update(self.extra_env)
        return base

    def prepare(self) -> None:
        """Keys, vhost, fresh databases and migrations, an empty Redis database."""
        from .auth import generate_keypair
        from .db import drop_database

        self.workdir.mkdir(parents=True, exist_ok=True)
        generate_keypair(self.workdir / "keys" / "jwt_private.pem", self.workdir / "keys" / "jwt_public.pem")
        delete_vhost(self.name)
        ensure_vhost(self.name)
        env = self.env
        pg = env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
        for svc in self.services:
            drop_database(f"{pg}/{self.name}_{svc}")
        subprocess.run([str(BIN / "govops-migrate"), *self.services], env=env, check=True,
                       capture_output=True)
        import redis

        redis.Redis.from_url(env["GOVOPS_REDIS_URL"]).flushdb()

    def process(self, svc: str, kind: str) -> Process:
        key = f"{svc}-{kind}"
        if key not in self.processes:
            env = dict(self.env)
            env["GOVOPS_METRICS_PORT"] = str(free_port())
            if kind == "grpc":
                self.grpc_ports.setdefault(svc, free_port())
                env["GOVOPS_GRPC_PORT"] = str(self.grpc_ports[svc])
            self.processes[key] = Process(key, [str(BIN / f"govops-{kind}"), svc], env,
                                          self.workdir / f"{key}.log")
        return self.processes[key]

    def start(self, kinds=("worker", "grpc")) -> None:
        for svc in self.services:
            for kind in kinds:
                self.process(svc, kind).start()
        self.wait_healthy(consumers="worker" in kinds)

    def wait_healthy(self, timeout: float = 60.0, *, consumers: bool = True) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        deadline = time.monotonic() + timeout
        for key, port in self.grpc_ports.items():
            while True:
                try:
                    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
                        reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{key}-grpc not healthy; see {self.workdir}")
                time.sleep(0.1)
        if consumers:
            wait_for_consumers(self.name, timeout=max(1.0, deadline - time.monotonic()))

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to every process at once, then wait for them together (kill what is left)."""
        running = [p for p in self.processes.values() if p.popen and p.popen.poll() is None]
        for p in running:
            p.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in running:
            try:
                p.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()

    def destroy(self) -> None:
        """Stop, then remove what `prepare` made: databases, vhost, the Redis database's keys."""
        import redis

        from .db import drop_database

        self.stop()
        pg = self.env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
        for svc in self.services:
            drop_database(f"{pg}/{self.name}_{svc}")
        delete_vhost(self.name)
        redis.Redis.from_url(self.env["GOVOPS_REDIS_URL"]).flushdb()

    def target(self, svc: str) -> str:
        return f"127.0.0.1:{self.grpc_ports[svc]}"

    def create_org_units(self, units, timeout: float = 30.0) -> None:
        """Create org units through org's gRPC API — `units` is (id, name, parent id or "", kind
        enum name) in parents-first order; one that exists is kept — then wait until the org
        directory of every other service of the stack holds them (services refuse units they do
        not know, govkit.units; org's events reach them through their workers)."""
        import grpc
        import sqlalchemy as sa

        from govops.org.v1 import org_pb2, org_pb2_grpc

        from .client import channel
        from .db import make_engine

        with channel(self.target("org"), self.token()) as ch:
            org = org_pb2_grpc.OrgServiceStub(ch)
            for unit_id, name, parent, kind in units:
                try:
                    org.CreateOrgUnit(org_pb2.CreateOrgUnitRequest(
                        id=unit_id, name=name, parent_id=parent or "",
                        kind=org_pb2.OrgUnitKind.Value(f"ORG_UNIT_KIND_{kind.upper()}")), timeout=10)
                except grpc.RpcError as err:
                    if err.code() != grpc.StatusCode.ALREADY_EXISTS:
                        raise
        ids = sorted(u[0] for u in units)
        pg = self.env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
        deadline = time.monotonic() + timeout
        for svc in self.services:
            if svc == "org":
                continue
            engine = make_engine(f"{pg}/{self.name}_{svc}", pool_size=1)
            try:
                with engine.connect() as conn:
                    if not sa.inspect(conn).has_table("orgdir_units"):
                        continue
                while True:
                    with engine.connect() as conn:
                        known = conn.execute(sa.text("SELECT count(*) FROM orgdir_units WHERE id = ANY(:ids)"),
                                             {"ids": ids}).scalar()
                    if known == len(ids):
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{svc}'s org directory never got {ids}; see {self.workdir}")
                    time.sleep(0.05)
            finally:
                engine.dispose()

    def token(self, **claims) -> str:
        from .auth import TokenSigner

        signer = TokenSigner.from_file(self.workdir / "keys" / "jwt_private.pem",
                                       issuer="govops-org", audience="govops")
        claims.setdefault("perms", ["*"])
        claims.setdefault("scopes", [{"unit": "*", "subtree": True}])
        return signer.mint(claims.pop("subject", "stack-admin"), **claims)


def wait_for_consumers(vhost: str, timeout: float = 30.0, prefix: str = "") -> None:
    """Until every consumer queue in the vhost (whose name starts with `prefix`) has a consumer
    (the workers are subscribed); the retry and dead-letter queues never have one."""
    from .deadletter import is_companion

    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "consumers"],
                             capture_output=True, text=True).stdout
        rows = [line.split() for line in out.splitlines() if line.strip() and not line.startswith("name")]
        rows = [r for r in rows if r[0].startswith(prefix) and not is_companion(r[0])]
        if rows and all(len(r) == 2 and r[1] != "0" for r in rows):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"queues without consumers in vhost {vhost}: {rows}")
        time.sleep(0.2)


def start_portal(stack: Stack, log_path: Path, *, web_dir: Path | None = None, extra_env: dict | None = None,
                 timeout: float = 60.0) -> tuple[Process, str]:
    """`govops-portal` in front of `stack` (serving the built web app in `web_dir`, if given) on a free
    port; the process and its base URL once /api/health answers. RuntimeError if it never does."""
    import urllib.error
    import urllib.request

    port = free_port()
    env = {**stack.env, "GOVOPS_PORTAL_HOST": "127.0.0.1", "GOVOPS_PORTAL_PORT": str(port),
           "GOVOPS_METRICS_PORT": str(free_port()), "GOVOPS_LOG_LEVEL": "WARNING", **(extra_env or {})}
    if web_dir is not None:
        env["GOVOPS_PORTAL_WEB_DIR"] = str(web_dir)
    process = Process("portal", [str(BIN / "govops-portal")], env, log_path)
    process.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:  # a start-up wait, not a timed assertion
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=1) as reply:
                if reply.status == 200:
                    return process, url
        except (urllib.error.URLError, OSError):
            pass
        if process.popen.poll() is not None or time.monotonic() > deadline:
            process.stop()
            raise RuntimeError(f"govops-portal did not start; see {log_path}")
        time.sleep(0.2)
