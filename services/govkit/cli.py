"""`govops`: the command line for people (typer + rich): the kit's own commands (dev, token,
login, logout, events) and each registered service's command group (`ServiceDescriptor.cli`).
Tokens and the helpers the groups share: `govkit.cli_support`.
"""

from __future__ import annotations

import sys

import grpc
import typer

from . import config as govconfig
from . import service as registry
from .cli_support import (
    SESSION_FILE,
    Listing,
    console,
    dev_signer,
    emit,
    emit_record,
    fail,
    grpc_channel,
    output_options,
    save_session,
)

__all__ = ["app", "main"]

app = typer.Typer(help="GovOps: e-government O&M management", no_args_is_help=True)
app.callback()(output_options)
dev = typer.Typer(help="Development helpers: keys, demo seed", no_args_is_help=True)
token_app = typer.Typer(help="Tokens", no_args_is_help=True)
events_app = typer.Typer(help="Event consumers: dead letters", no_args_is_help=True)
dead_letters = typer.Typer(help="Events a consumer gave up on (malformed, or out of attempts)",
                           no_args_is_help=True)
events_app.add_typer(dead_letters, name="dead-letters")
for name, sub in (("dev", dev), ("token", token_app), ("events", events_app)):
    app.add_typer(sub, name=name)


def fail_config(message: str) -> None:
    console.print(f"[red]{message}")
    raise typer.Exit(2)


# ---- dev ----------------------------------------------------------------------------------
@dev.command("keys")
def dev_keys():
    """Generate the local token signing key pair and the Alertmanager webhook's bearer token
    (development only; kept in .govops/keys, or GOVOPS_KEY_DIR). Existing files are kept."""
    import secrets

    from .auth import generate_keypair

    s = govconfig.load("org")
    if s.private_key_file is None or s.public_key_file is None:
        fail_config("no key location: set GOVOPS_KEY_DIR (or GOVOPS_JWT_PRIVATE_KEY_FILE and "
                    "GOVOPS_JWT_PUBLIC_KEY_FILE) to where the key pair should be written")
    created = generate_keypair(s.private_key_file, s.public_key_file)
    console.print(("created" if created else "kept existing") + f" signing keys in {s.private_key_file.parent}")
    token = s.private_key_file.parent / "alert_webhook_token"  # make run's ticket-worker reads it (Procfile)
    if not token.exists():
        token.touch(mode=0o600)
        token.write_text(secrets.token_urlsafe(32) + "\n")
        console.print(f"created the Alertmanager webhook token {token}")


@dev.command("seed")
def dev_seed(services: list[str] = typer.Argument(None, help="only these services' demo data (default: all)")):
    """Seed the demo: a government with Chinese names, its O&M organisation, and each service's
    demo data (safe to run again)."""
    from .demo import seed

    unknown = set(services or ()) - set(registry.names())
    if unknown:
        console.print(f"[red]unknown services: {', '.join(sorted(unknown))}")
        raise typer.Exit(2)
    seed(console, tuple(services) if services else None)


@dev.command("banner")
def dev_banner():
    """Print where to connect."""
    table = Listing("GovOps — local processes", "service", "gRPC", "worker metrics", "gRPC metrics")
    for svc in registry.names():
        table.add_row(svc, govconfig.load(svc).grpc_target,
                      f":{govconfig.default_metrics_port(svc, 'worker')}/metrics",
                      f":{govconfig.default_metrics_port(svc, 'grpc')}/metrics")
    emit(table)
    console.print(f"Web portal (门户): [bold]{govconfig.portal_url()}[/bold]  ·  API docs: "
                  f"{govconfig.portal_url()}api/docs")
    for window, users in _demo_logins():
        console.print(f"{window}: " + ";  ".join(
            f"[bold]{user}[/bold] / {password} ({name})" for user, password, name in users))
    console.print("In another terminal: [bold].venv/bin/govops eval kpi watch[/bold], then "
                  "[bold].venv/bin/govops ticket create --title 打印机无法连接 --org-unit fgw[/bold]")


# The portal's windows and the demo roles a newcomer logs in with to see each (the system
# administrator's password stays in the credentials file: it opens everything).
_WINDOWS = (
    ("服务请求窗口 — requesters and department O&M officers", ("requester", "dept_om_officer")),
    ("运行管理窗口 — service desk, engineers and group leads", ("service_desk_agent", "engineer", "group_lead")),
    ("综合管理 — director, evaluator and finance", ("om_centre_director", "evaluator", "finance_reviewer")),
)


def _demo_logins() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Per window, (username, password, name) of the demo users who work in it, from the local
    credentials file the demo seed writes (gitignored; a development machine only)."""
    path = govconfig.demo_credentials_file()
    if not path.is_file():
        return []
    found: dict[str, tuple[str, str, str, set[str]]] = {}  # the last line of a user wins
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 4:
            found[parts[0]] = (parts[0], parts[1], parts[2], set(parts[3].split(", ")))
    shown: set[str] = set()
    windows = []
    for window, roles in _WINDOWS:
        users = [(u, pw, name) for u, pw, name, held in found.values()
                 if held & set(roles) and u not in shown and "system_admin" not in held]
        shown.update(u for u, _, _ in users)
        if users:
            windows.append((window, users))
    return windows


@app.command("login")
def login(username: str = typer.Option(..., prompt=True, help="login name"),
          password: str = typer.Option(..., prompt=True, hide_input=True, help="password (prompted when not given)")):
    """Log in (org IdentityService/Login); later commands use this session."""
    from govops.org.v1 import org_pb2, org_pb2_grpc

    with grpc.insecure_channel(govconfig.load("org").grpc_target) as ch:
        try:
            reply = org_pb2_grpc.IdentityServiceStub(ch).Login(
                org_pb2.LoginRequest(username=username, password=password), timeout=10)
        except grpc.RpcError as err:
            fail(err)
    save_session(reply.tokens)
    emit_record({"subject": reply.tokens.subject, "expires_at": reply.tokens.expires_at},
                f"logged in as [bold]{reply.tokens.subject}[/bold]")


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
    org_unit_ids: list[str] = typer.Option(["*"], "--org-unit", help="org unit ids in scope ('*' = all)"),
    perm: list[str] = typer.Option(["*"], help="permissions ('*' = all)"),
    role: list[str] = typer.Option(["system_admin"], help="roles"),
    ttl: int = typer.Option(3600, help="lifetime in seconds"),
):
    """Mint a development token with the local key (org issues real tokens later)."""
    print(dev_signer().mint(subject, roles=role, perms=perm, ttl_seconds=ttl,
                            scopes=[{"unit": u, "subtree": True} for u in org_unit_ids]))


# ---- events dead-letters ------------------------------------------------------------------
def _consumer_queues(service: str, consumer: str | None) -> list[str]:
    from .migrate import event_subscriptions

    if service not in registry.names():
        console.print(f"[red]unknown service {service!r}; one of {', '.join(registry.names())}")
        raise typer.Exit(2)
    queues = [q for _source, _event, q in event_subscriptions(service)]
    if consumer:
        queues = [q for q in queues if q == consumer or q.endswith(f"--{service}.{consumer}")]
        if not queues:
            console.print(f"[red]{service} has no consumer queue {consumer!r}")
            raise typer.Exit(2)
    return queues


def _time(text: str | None):
    from datetime import datetime

    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return text  # shown as written


@dead_letters.command("list")
def dead_letters_list(service: str = typer.Argument(..., help="the consuming service"),
                      queue: str = typer.Option(None, help="only this consumer (queue name or handler method)")):
    """The dead letters of a service's consumer queues (nothing is taken off the queues)."""
    from .deadletter import connect, list_dead

    with connect(govconfig.load(service).amqp_uri) as conn:
        letters = list_dead(conn, _consumer_queues(service, queue))
    table = Listing(f"{service}: {len(letters)} dead letter(s)", "queue", "event id")
    table.add_column("type", "event_type")
    for col in ("correlation id", "attempts", "replays", "last error", "failed at"):
        table.add_column(col)
    for d in letters:
        table.add_row(d.queue, d.event_id, d.event_type, d.correlation_id, d.attempts, d.replays, d.last_error,
                      _time(d.failed_at))
    emit(table)


@dead_letters.command("replay")
def dead_letters_replay(service: str = typer.Argument(..., help="the consuming service"),
                        event_id: str = typer.Option(None, "--event-id", help="replay this event only"),
                        all_: bool = typer.Option(False, "--all", help="replay every dead letter"),
                        queue: str = typer.Option(None, help="only this consumer (queue name or handler method)")):
    """Move dead letters back to their consumer queue with a fresh attempt budget. Safe to repeat:
    the consumer's inbox skips an event it already applied."""
    from .deadletter import connect, replay

    if (event_id is None) == (not all_):
        console.print("[red]give exactly one of --event-id ID or --all")
        raise typer.Exit(2)
    with connect(govconfig.load(service).amqp_uri) as conn:
        moved = replay(conn, _consumer_queues(service, queue), event_id=event_id)
    for d in moved:
        emit_record({"event_id": d.event_id, "event_type": d.event_type, "queue": d.queue},
                    f"replayed {d.event_id or '?'} ({d.event_type or '?'}) → {d.queue}")
    console.print(f"{len(moved)} dead letter(s) replayed")


def _register_service_commands() -> None:
    """Each service's command group (its descriptor's `cli`, a typer.Typer, named `cli_name`), so
    services grow their commands without touching this file."""
    for descriptor in registry.registry().values():
        group = descriptor.load("cli")
        if group is not None:
            app.add_typer(group, name=descriptor.group_name)


_register_service_commands()


def main() -> None:
    sys.exit(app())
