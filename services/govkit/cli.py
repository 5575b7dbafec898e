"""`govops`: the command line for people (typer + rich).

Token: $GOVOPS_TOKEN if set; otherwise, on a development machine, a short-lived admin token is
minted with the local key that `make run` generated (the org service issues real tokens later).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import grpc
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from . import config as govconfig

# Shared helpers for the service command groups (`<svc>/cli.py`) to import.
__all__ = ["app", "console", "grpc_channel", "fail"]

app = typer.Typer(help="GovOps: e-government O&M management", no_args_is_help=True)
dev = typer.Typer(help="Development helpers: keys, demo seed", no_args_is_help=True)
token_app = typer.Typer(help="Tokens", no_args_is_help=True)
kpi_app = typer.Typer(help="Live KPIs", no_args_is_help=True)
for name, sub in (("dev", dev), ("token", token_app), ("kpi", kpi_app)):
    app.add_typer(sub, name=name)

console = Console()
ADMIN_CLAIMS = {"roles": ["system_admin"], "perms": ["*"], "scopes": [{"unit": "*", "subtree": True}]}


def _signer():
    from .auth import TokenSigner

    s = govconfig.load("org")
    if not s.private_key_file.exists():
        console.print(f"[red]no signing key at {s.private_key_file}; run `make keys` (or `govops dev keys`)")
        raise typer.Exit(2)
    return TokenSigner.from_file(s.private_key_file, issuer=s.token_issuer, audience=s.token_audience)


SESSION_FILE = Path(os.environ.get("GOVOPS_SESSION_FILE", str(Path.home() / ".govops" / "session.json")))


def _token() -> str:
    """$GOVOPS_TOKEN, else the session of `govops login` (refreshed when near expiry), else — on a
    development machine with the local signing key — a short-lived admin token."""
    if os.environ.get("GOVOPS_TOKEN"):
        return os.environ["GOVOPS_TOKEN"]
    session = _session()
    if session:
        return session
    return _signer().mint("dev-admin", name="开发管理员", ttl_seconds=600, **ADMIN_CLAIMS)


def save_session(tokens) -> None:
    import json

    SESSION_FILE.parent.mkdir(parents=True, exist_ok=True)
    SESSION_FILE.write_text(json.dumps({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                                        "expires_at": tokens.expires_at.seconds, "subject": tokens.subject}))
    SESSION_FILE.chmod(0o600)


def _session() -> str | None:
    import json
    import time

    if not SESSION_FILE.exists():
        return None
    data = json.loads(SESSION_FILE.read_text())
    if data["expires_at"] - time.time() > 30:
        return data["access_token"]
    if not data.get("refresh_token"):
        return None
    from govops.org.v1 import org_pb2, org_pb2_grpc

    try:
        with grpc.insecure_channel(govconfig.load("org").grpc_target) as ch:
            reply = org_pb2_grpc.IdentityServiceStub(ch).Refresh(
                org_pb2.RefreshRequest(refresh_token=data["refresh_token"]), timeout=10)
    except grpc.RpcError:
        SESSION_FILE.unlink()
        console.print("[yellow]session expired; log in again with `govops login`[/yellow]")
        return None
    save_session(reply.tokens)
    return reply.tokens.access_token


def grpc_channel(service: str):
    """A channel to `service`'s gRPC server carrying the CLI's token."""
    from .client import channel

    return channel(govconfig.load(service).grpc_target, _token())


def fail(err: grpc.RpcError) -> None:
    """Print a gRPC error with its per-field violations and exit 1."""
    from .grpc_server import iter_bad_request

    console.print(f"[red]{err.code().name}[/red]: {err.details()}")
    for field, reason in iter_bad_request(err):
        console.print(f"  [yellow]{field}[/yellow]: {reason}")
    raise typer.Exit(1)


# ---- dev ----------------------------------------------------------------------------------
@dev.command("keys")
def dev_keys():
    """Generate the local token signing key pair (development only; kept in .govops/keys)."""
    from .auth import generate_keypair

    s = govconfig.load("org")
    created = generate_keypair(s.private_key_file, s.public_key_file)
    console.print(("created" if created else "kept existing") + f" signing keys in {s.private_key_file.parent}")


@dev.command("seed")
def dev_seed(services: list[str] = typer.Argument(None, help="only these services' demo data (default: all)")):
    """Seed the demo: a government with Chinese names, its O&M organisation, and each service's
    demo data (safe to run again)."""
    from .demo import seed

    unknown = set(services or ()) - set(govconfig.SERVICES)
    if unknown:
        console.print(f"[red]unknown services: {', '.join(sorted(unknown))}")
        raise typer.Exit(2)
    seed(console, tuple(services) if services else govconfig.SERVICES)


@dev.command("banner")
def dev_banner():
    """Print where to connect."""
    table = Table(title="GovOps — local processes")
    for col in ("service", "gRPC", "worker metrics", "gRPC metrics"):
        table.add_column(col)
    for svc in govconfig.SERVICES:
        table.add_row(svc, govconfig.load(svc).grpc_target,
                      f":{govconfig.default_metrics_port(svc, 'worker')}/metrics",
                      f":{govconfig.default_metrics_port(svc, 'grpc')}/metrics")
    console.print(table)
    console.print("In another terminal: [bold].venv/bin/govops kpi watch[/bold], then "
                  "[bold].venv/bin/govops ticket create --title 打印机无法连接 --department fgw[/bold]")


@app.command("login")
def login(username: str = typer.Option(..., prompt=True),
          password: str = typer.Option(..., prompt=True, hide_input=True)):
    """Log in (org IdentityService/Login); later commands use this session."""
    from govops.org.v1 import org_pb2, org_pb2_grpc

    with grpc.insecure_channel(govconfig.load("org").grpc_target) as ch:
        try:
            reply = org_pb2_grpc.IdentityServiceStub(ch).Login(
                org_pb2.LoginRequest(username=username, password=password), timeout=10)
        except grpc.RpcError as err:
            fail(err)
    save_session(reply.tokens)
    console.print(f"logged in as [bold]{reply.tokens.subject}[/bold]")


@app.command("logout")
def logout():
    """Revoke this session's refresh token and forget the session."""
    import json

    from govops.org.v1 import org_pb2, org_pb2_grpc

    if not SESSION_FILE.exists():
        console.print("not logged in")
        return
    data = json.loads(SESSION_FILE.read_text())
    with grpc_channel("org") as ch:
        try:
            org_pb2_grpc.IdentityServiceStub(ch).Logout(org_pb2.LogoutRequest(refresh_token=data["refresh_token"]),
                                                        timeout=10)
        except grpc.RpcError:
            pass  # an expired session cannot be revoked twice; forgetting it is what matters
    SESSION_FILE.unlink()
    console.print("logged out")


# ---- token --------------------------------------------------------------------------------
@token_app.command("mint")
def token_mint(
    subject: str = typer.Option("dev-admin", help="token subject"),
    unit: list[str] = typer.Option(["*"], help="org unit ids in scope ('*' = all)"),
    perm: list[str] = typer.Option(["*"], help="permissions ('*' = all)"),
    role: list[str] = typer.Option(["system_admin"], help="roles"),
    ttl: int = typer.Option(3600, help="lifetime in seconds"),
):
    """Mint a development token with the local key (org issues real tokens later)."""
    print(_signer().mint(subject, roles=role, perms=perm, ttl_seconds=ttl,
                         scopes=[{"unit": u, "subtree": True} for u in unit]))


# ---- kpi ----------------------------------------------------------------------------------
def _kpi_request(unit: list[str], name: list[str]):
    from govops.evaluation.v1 import evaluation_pb2 as pb

    return pb.KpiFilter(subjects=unit, names=name)


def _kpi_table(values: dict) -> Table:
    table = Table(title="GovOps live KPIs (organisation level)")
    for col in ("org unit", "KPI", "window", "value", "updated"):
        table.add_column(col)
    for (subject, name, window), (value, at) in sorted(values.items()):
        table.add_row(subject, name, window, f"{value:g}", at)
    return table


@kpi_app.command("get")
def kpi_get(unit: list[str] = typer.Option([], help="org unit ids"),
            name: list[str] = typer.Option([], help="KPI names")):
    """Print a snapshot of the live KPIs."""
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    with grpc_channel("evaluation") as ch:
        try:
            reply = evaluation_pb2_grpc.EvaluationServiceStub(ch).GetKpis(
                pb.GetKpisRequest(filter=_kpi_request(unit, name)), timeout=10)
        except grpc.RpcError as err:
            fail(err)
    console.print(_kpi_table({(k.subject, k.name, k.window): (k.value, k.updated_at.ToJsonString())
                              for k in reply.kpis}))


@kpi_app.command("watch")
def kpi_watch(unit: list[str] = typer.Option([], help="org unit ids"),
              name: list[str] = typer.Option([], help="KPI names")):
    """Watch the live KPIs change (Ctrl-C to stop)."""
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    values: dict = {}
    with grpc_channel("evaluation") as ch:
        stream = evaluation_pb2_grpc.EvaluationServiceStub(ch).WatchKpis(
            pb.WatchKpisRequest(filter=_kpi_request(unit, name), include_snapshot=True))
        try:
            with Live(_kpi_table(values), console=console, refresh_per_second=10) as live:
                for msg in stream:
                    k = msg.kpi
                    values[(k.subject, k.name, k.window)] = (k.value, k.updated_at.ToJsonString())
                    live.update(_kpi_table(values))
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.CANCELLED:
                fail(err)
        except KeyboardInterrupt:
            stream.cancel()


@kpi_app.command("rebuild")
def kpi_rebuild():
    """Flush the live KPIs in Redis and rebuild them from the facts in PostgreSQL."""
    from evaluation.adapters.kpi_store import KpiStore
    from evaluation.adapters.uow import EvaluationUnitOfWork
    from evaluation.handlers import rebuild_live_kpis

    from .db import make_engine

    s = govconfig.load("evaluation")
    engine = make_engine(s.database_url, pool_size=1)
    n = rebuild_live_kpis(EvaluationUnitOfWork(engine), KpiStore.from_url(s.redis_url))
    console.print(f"rebuilt live KPIs from {n} facts")


@kpi_app.command("check")
def kpi_check(limit: int = typer.Option(20, help="differences to print")):
    """Compare the live KPIs in Redis with a recomputation from the facts; exit 1 on differences."""
    from evaluation.adapters.kpi_store import KpiStore
    from evaluation.adapters.uow import EvaluationUnitOfWork
    from evaluation.handlers import check_live_kpis

    from .db import make_engine

    s = govconfig.load("evaluation")
    engine = make_engine(s.database_url, pool_size=1)
    n, diffs = check_live_kpis(EvaluationUnitOfWork(engine), KpiStore.from_url(s.redis_url))
    if not diffs:
        console.print(f"live KPIs match the {n} facts")
        return
    table = Table(title=f"{len(diffs)} differences between Redis and the {n} facts")
    for col in ("key", "field", "redis", "facts"):
        table.add_column(col)
    for d in diffs[:limit]:
        table.add_row(d.key, d.field, f"{d.redis}", f"{d.facts}")
    console.print(table)
    console.print("repair with [bold]govops kpi rebuild[/bold]")
    raise typer.Exit(1)


def _register_service_commands() -> None:
    """A service may add its own command group as `<svc>/cli.py` exposing `app` (a typer.Typer)
    and `NAME` (the group name), so services grow their commands without touching this file."""
    import importlib

    for svc in govconfig.SERVICES:
        try:
            module = importlib.import_module(f"{svc}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"{svc}.cli":
                raise
            continue
        app.add_typer(module.app, name=getattr(module, "NAME", svc))


_register_service_commands()


def main() -> None:
    sys.exit(app())
