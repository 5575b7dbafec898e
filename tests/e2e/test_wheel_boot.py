"""The deployment boots from an installed package: the project built as a wheel, installed
non-editable into a fresh venv, every process started with only the environment that
docker-compose.yml gives its container, secrets as files, migrations and the first
administrator from the wheel's console scripts; then the admin logs in over gRPC, creates a
ticket and the KPI moves.

What differs from a container is only what a host without Docker must change: the compose
hostnames (postgres, redis, rabbitmq, <svc>-grpc) become 127.0.0.1; every process gets its own
free gRPC/metrics/webhook port (each container has its own network namespace, this host does
not); RabbitMQ credentials become the local guest user on a vhost of this test; Redis is a private
redis-server of this test; secret targets (/run/secrets/..., /etc/govops/keys/...) are files in a
temporary directory. Nothing of the source checkout is on the processes' path.

Runtime: about a minute with a warm pip cache (build ~10 s, install ~30 s, migrations and
start ~20 s); the first run on a machine downloads nothing but fills the wheel cache.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest
import yaml

from govkit.auth import generate_keypair
from govkit.client import channel
from govkit.db import drop_database
from govkit.stack import Process, Stack, delete_vhost, ensure_vhost, free_port
from govops.evaluation.v1 import evaluation_pb2 as epb
from govops.evaluation.v1 import evaluation_pb2_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("org", "ticket", "budget", "outsource", "evaluation")
KINDS = ("worker", "grpc")
INFRA_HOSTS = {"postgres", "redis", "rabbitmq"}
LOCAL_PG = os.environ.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")

pytestmark = pytest.mark.e2e


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} / ${VAR-default} / ${VAR} with an empty shell environment."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def _compose_services() -> dict:
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # resolves anchors and `<<`
    return raw["services"]


class Deployment:
    """The compose file's GovOps containers, mapped onto this host as plain processes."""

    def __init__(self, name: str, workdir: Path, venv: Path, redis_port: int):
        self.name, self.workdir, self.venv, self.redis_port = name, workdir, venv, redis_port
        self.services = _compose_services()
        self.secrets_dir = workdir / "secrets"
        self.grpc_ports = {svc: free_port() for svc in SERVICES}
        self.admin_password = ""
        self.webhook_port = 0  # ticket-worker's Alertmanager webhook, once started

    def secret_files(self, container: str) -> dict[str, Path]:
        """target path in the container → the file standing in for the compose secret."""
        return {s["target"]: self.secrets_dir / s["source"] for s in self.services[container].get("secrets", [])}

    def env(self, container: str) -> dict[str, str]:
        spec = self.services[container]
        mounted = self.secret_files(container)
        env = {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin", "HOME": str(self.workdir / "home"),
               # what the image's Dockerfile sets (ENV)
               "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        for key, value in spec["environment"].items():
            value = _interpolate(str(value))
            if value.startswith("/"):  # a path inside the container: only secrets are mounted
                value = str(mounted.get(value, self.workdir / "not-mounted" / value.lstrip("/")))
            env[key] = value
        env["GOVOPS_PG_URL"] = self._local(env["GOVOPS_PG_URL"], LOCAL_PG)
        env["GOVOPS_AMQP_URI"] = self._local(env["GOVOPS_AMQP_URI"], f"amqp://guest:guest@127.0.0.1:5672/{self.name}")
        env["GOVOPS_REDIS_URL"] = self._local(env["GOVOPS_REDIS_URL"], f"redis://127.0.0.1:{self.redis_port}/0")
        env["GOVOPS_DB_PREFIX"] = f"{self.name}_"
        for svc, port in self.grpc_ports.items():
            key = f"GOVOPS_{svc.upper()}_GRPC_TARGET"
            assert env[key] == f"{svc}-grpc:50051", (container, key)  # what compose's network resolves
            env[key] = f"127.0.0.1:{port}"
        # one network namespace for all: per-process ports instead of the containers' 50051/9100/8002
        env["GOVOPS_METRICS_PORT"] = str(free_port())
        env["GOVOPS_TICKET_HTTP_PORT"] = str(free_port())
        if container.endswith("-grpc"):
            env["GOVOPS_GRPC_PORT"] = str(self.grpc_ports[container.rsplit("-", 1)[0]])
        return env

    @staticmethod
    def _local(url: str, local: str) -> str:
        host = urlsplit(url).hostname
        assert host in INFRA_HOSTS, url  # compose points at its own infrastructure containers
        return local

    def command(self, container: str) -> list[str]:
        argv = list(self.services[container]["command"])
        binary = self.venv / "bin" / argv[0]
        assert binary.is_file(), f"{argv[0]} is not a console script of the wheel"
        return [str(binary), *argv[1:]]

    def run(self, container: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(container), env=self.env(container), cwd=self.workdir,
                              capture_output=True, text=True, timeout=180, **kw)

    def drop_databases(self) -> None:
        for svc in SERVICES:
            drop_database(f"{LOCAL_PG}/{self.name}_{svc}")


def _build_wheel(workdir: Path) -> Path:
    """The sources as a release would see them (tracked files + the generated gRPC package)."""
    src = workdir / "src"
    generated = ROOT / "services" / "govops"
    if not any(generated.rglob("*_pb2_grpc.py")):
        pytest.fail("services/govops is not generated: run `make proto`")
    files = subprocess.run(["git", "ls-files", "pyproject.toml", "constraints.txt", "services"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    shutil.copytree(generated, src / "services" / "govops", ignore=shutil.ignore_patterns("__pycache__"))
    dist = workdir / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(dist), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("govops-*.whl")
    return wheel


def _install(wheel: Path, venv: Path) -> None:
    """A fresh venv (no pip of its own: this venv's pip installs into it), the wheel and its pinned
    dependencies from the pip cache, then byte-compiled in parallel (what pip does one file at a
    time) since the processes run with PYTHONDONTWRITEBYTECODE like the image."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile",
                    "-c", str(ROOT / "constraints.txt"), str(wheel)], check=True, capture_output=True, timeout=600)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", site], capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, namespace):
    workdir = tmp_path_factory.mktemp("wheel")
    (workdir / "home").mkdir()
    venv = workdir / "venv"
    try:
        _install(_build_wheel(workdir), venv)
    except subprocess.CalledProcessError as err:
        pytest.fail(f"{err.cmd} failed:\n{err.stdout}\n{err.stderr}")

    redis_port = free_port()
    redis_server = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = Deployment(f"govops_{namespace['ns']}_wheel", workdir, venv, redis_port)
    stack = Stack(d.name, workdir, services=SERVICES)
    try:
        # the "secrets": a throwaway key pair, the admin password and the webhook token, as files
        generate_keypair(d.secrets_dir / "jwt_private", d.secrets_dir / "jwt_public")
        d.admin_password = secrets.token_urlsafe(16)
        (d.secrets_dir / "admin_password").write_text(d.admin_password + "\n")
        (d.secrets_dir / "admin_password").chmod(0o600)
        (d.secrets_dir / "alert_webhook_token").write_text(secrets.token_urlsafe(32) + "\n")

        d.drop_databases()
        delete_vhost(d.name)
        ensure_vhost(d.name)
        with ThreadPoolExecutor(len(SERVICES)) as pool:  # as compose runs them: side by side
            results = dict(zip(SERVICES, pool.map(lambda svc: d.run(f"{svc}-migrate"), SERVICES)))
        for svc, out in results.items():
            assert out.returncode == 0, f"{svc}-migrate:\n{out.stdout}\n{out.stderr}"

        for svc in SERVICES:
            stack.grpc_ports[svc] = d.grpc_ports[svc]
            for kind in KINDS:
                name = f"{svc}-{kind}"
                stack.processes[name] = Process(name, d.command(name), d.env(name), workdir / f"{name}.log")
        stack.start()  # every process, then gRPC health SERVING and a consumer on every queue
        d.webhook_port = int(stack.processes["ticket-worker"].env["GOVOPS_TICKET_HTTP_PORT"])
        yield d
    finally:
        stack.stop()
        d.drop_databases()
        delete_vhost(d.name)
        redis_server.terminate()
        redis_server.wait(timeout=10)


def test_the_installed_package_has_no_source_checkout(deployment):
    probe = ("import govkit.config as c, govkit, org; "
             "print(c.source_checkout(), govkit.__file__, org.__file__, sep='|')")
    out = subprocess.run([str(deployment.venv / "bin" / "python"), "-c", probe], cwd=deployment.workdir,
                         env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True).stdout.strip()
    checkout, kit, org = out.split("|")
    assert checkout == "None"
    for path in (kit, org):
        assert Path(path).is_relative_to(deployment.venv) and "site-packages" in path


def test_org_grpc_without_its_key_names_the_variable(deployment):
    env = deployment.env("org-grpc")
    env.pop("GOVOPS_JWT_PRIVATE_KEY_FILE")
    out = subprocess.run(deployment.command("org-grpc"), env=env, cwd=deployment.workdir,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "GOVOPS_JWT_PRIVATE_KEY_FILE" in out.stderr
    assert "site-packages" not in out.stderr and "Traceback" not in out.stderr


def test_the_alertmanager_webhook_takes_the_mounted_token_and_refuses_others(deployment):
    token = (deployment.secrets_dir / "alert_webhook_token").read_text().strip()
    body = json.dumps({"version": "4", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "wheel-boot", "labels": {"alertname": "CoreSwitchDown"}}]}).encode()

    def post(authorization: str | None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
        conn = http.client.HTTPConnection("127.0.0.1", deployment.webhook_port, timeout=30)
        try:
            conn.request("POST", "/api/v1/alerts/alertmanager", body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    assert post(None)[0] == 401 and post("Bearer not-the-token")[0] == 401
    status, reply = post(f"Bearer {token}")
    assert status == 200, reply
    assert reply["results"][0]["number"].startswith("INC-")


def test_bootstrap_admin_then_login_create_a_ticket_and_the_kpi_moves(deployment):
    first = deployment.run("org-bootstrap-admin")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created administrator 'admin'" in first.stdout
    again = deployment.run("org-bootstrap-admin")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already exists; nothing to do" in again.stdout

    target = deployment.env("org-grpc")  # any env: the targets are the same everywhere
    org_target, ticket_target, eval_target = (target[f"GOVOPS_{svc}_GRPC_TARGET"]
                                              for svc in ("ORG", "TICKET", "EVALUATION"))
    with channel(org_target, None) as ch:
        identity = org_pb2_grpc.IdentityServiceStub(ch)
        with pytest.raises(grpc.RpcError) as err:
            identity.Login(opb.LoginRequest(username="admin", password="not-the-password"), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        tokens = identity.Login(opb.LoginRequest(username="admin", password=deployment.admin_password),
                                timeout=10).tokens
    token = tokens.access_token
    with channel(org_target, token) as ch:
        me = org_pb2_grpc.IdentityServiceStub(ch).WhoAmI(opb.WhoAmIRequest(), timeout=10)
    assert me.subject == "admin" and "system_admin" in me.roles and list(me.org_unit_ids) == ["*"]

    dept = "gov"  # the root unit the bootstrap created
    request = tpb.CreateTicketRequest(title="机房空调故障", org_unit_id=dept, category=tpb.CATEGORY_INFRASTRUCTURE,
                                      priority=tpb.PRIORITY_HIGH, idempotency_key="wheel-boot-1")
    deadline = time.monotonic() + 60
    with channel(ticket_target, token) as ch:  # ticket-grpc verifies org's token with the public key
        while True:  # until org's org_unit_created has reached ticket's org directory (govkit.units)
            try:
                ticket = ticket_pb2_grpc.TicketServiceStub(ch).CreateTicket(request, timeout=30).ticket
                break
            except grpc.RpcError as err:
                assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "unknown org unit" in err.details()
                assert time.monotonic() < deadline, "the bootstrap's root unit never reached ticket"
                time.sleep(0.2)
    assert ticket.id

    def created() -> float:
        with channel(eval_target, token) as ch:
            reply = evaluation_pb2_grpc.EvaluationServiceStub(ch).GetKpis(
                epb.GetKpisRequest(filter=epb.KpiFilter(subjects=[dept], names=["tickets_created"])), timeout=5)
        return reply.kpis[0].value if reply.kpis else 0.0

    deadline = time.monotonic() + 60
    while created() < 1:
        assert time.monotonic() < deadline, f"the KPI did not move; logs in {deployment.workdir}"
        time.sleep(0.2)
    assert created() == 1
