"""The gateway's configuration, from the environment like every GovOps process (12-factor).

The gRPC targets, Redis, token issuer and log level are the kit's (govkit.config); only what is the
gateway's own is read here, each variable named GOVOPS_PORTAL_*."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from govkit import config
from govkit import service as registry

# Prometheus metrics (and the container probe, `govops-probe http <port>`) beside the plan's
# 910x (workers) and 920x (gRPC servers).
DEFAULT_METRICS_PORT = 9300


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def default_web_dir() -> Path | None:
    """The web app built by `make web` in a source checkout; an installed package has no default
    (set GOVOPS_PORTAL_WEB_DIR)."""
    root = config.source_checkout()
    return root / "services" / "portal" / "web" / "dist" if root else None


@dataclass(frozen=True)
class PortalSettings:
    host: str
    port: int
    metrics_port: int
    redis_url: str
    targets: dict[str, str]
    """gRPC target of each service, by service name (the proto package segment)."""
    web_dir: Path | None
    secure_cookies: bool
    """Mark the session cookie Secure (behind HTTPS); also set when the request came over https."""
    session_ttl_seconds: int
    max_body_bytes: int
    max_login_body_bytes: int
    grpc_timeout_seconds: float
    refresh_margin_seconds: float
    """Refresh the access token when it expires within this many seconds."""
    login_limit_per_user: int
    login_limit_per_ip: int
    login_window_seconds: int
    forwarded_allow_ips: str
    log_level: str

    @property
    def url(self) -> str:
        return config.portal_url()


def load() -> PortalSettings:
    kit = config.load(registry.names()[0])  # the shared settings (Redis, log level)
    web_dir = os.environ.get("GOVOPS_PORTAL_WEB_DIR")
    return PortalSettings(
        host=_env("GOVOPS_PORTAL_HOST", "127.0.0.1"),
        port=int(_env("GOVOPS_PORTAL_PORT", str(config.DEFAULT_PORTAL_PORT))),
        metrics_port=int(_env("GOVOPS_METRICS_PORT", str(DEFAULT_METRICS_PORT))),
        redis_url=_env("GOVOPS_PORTAL_REDIS_URL", kit.redis_url),
        targets={name: config.load(name).grpc_target for name in registry.names()},
        web_dir=Path(web_dir) if web_dir else default_web_dir(),
        secure_cookies=_env("GOVOPS_PORTAL_SECURE_COOKIES", "false").lower() in ("1", "true", "yes"),
        session_ttl_seconds=int(_env("GOVOPS_PORTAL_SESSION_TTL_SECONDS", str(8 * 3600))),
        # a 10 MiB attachment travels base64-encoded in JSON: 4/3 of it plus the envelope
        max_body_bytes=int(_env("GOVOPS_PORTAL_MAX_BODY_BYTES", str(15 * 1024 * 1024))),
        max_login_body_bytes=16 * 1024,
        grpc_timeout_seconds=float(_env("GOVOPS_PORTAL_GRPC_TIMEOUT_SECONDS", "30")),
        refresh_margin_seconds=float(_env("GOVOPS_PORTAL_REFRESH_MARGIN_SECONDS", "60")),
        login_limit_per_user=int(_env("GOVOPS_PORTAL_LOGIN_LIMIT_PER_USER", "10")),
        login_limit_per_ip=int(_env("GOVOPS_PORTAL_LOGIN_LIMIT_PER_IP", "50")),
        login_window_seconds=int(_env("GOVOPS_PORTAL_LOGIN_WINDOW_SECONDS", "300")),
        forwarded_allow_ips=_env("GOVOPS_PORTAL_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        log_level=kit.log_level,
    )
