"""What a service's command group (its descriptor's `cli`) needs from the kit: the console, a gRPC
channel carrying the CLI's token, and `fail` for gRPC errors. Kept apart from `govkit.cli`, which
imports every service's group, so a group can import this without an import cycle.

Token: $GOVOPS_TOKEN if set; else the session of `govops login` (refreshed when near expiry); else,
on a development machine, a short-lived admin token minted with the local key that `make keys`
generated.
"""

from __future__ import annotations

import os
from pathlib import Path

import grpc
import typer
from rich.console import Console

from . import config as govconfig

__all__ = ["console", "grpc_channel", "fail", "save_session", "dev_signer", "SESSION_FILE"]

console = Console()
ADMIN_CLAIMS = {"roles": ["system_admin"], "perms": ["*"], "scopes": [{"unit": "*", "subtree": True}]}


def dev_signer():
    from .auth import TokenSigner

    s = govconfig.load("org")
    try:
        path = s.signing_key_file()
    except govconfig.ConfigError as err:
        console.print(f"[red]{err}; in a source checkout run `make keys` (or `govops dev keys`), "
                      "or log in with `govops login`")
        raise typer.Exit(2) from None
    return TokenSigner.from_file(path, issuer=s.token_issuer, audience=s.token_audience)


SESSION_FILE = Path(os.environ.get("GOVOPS_SESSION_FILE", str(Path.home() / ".govops" / "session.json")))


def _token() -> str:
    """$GOVOPS_TOKEN, else the session of `govops login` (refreshed when near expiry), else — on a
    development machine with the local signing key — a short-lived admin token."""
    if os.environ.get("GOVOPS_TOKEN"):
        return os.environ["GOVOPS_TOKEN"]
    session = _session()
    if session:
        return session
    return dev_signer().mint("dev-admin", name="开发管理员", ttl_seconds=600, **ADMIN_CLAIMS)


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
