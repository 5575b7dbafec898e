"""Configuration from the environment (12-factor), with defaults for the standard local ports."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import service as registry

# The repository, when the code runs from a source checkout (`make` installs it editable). In an
# installed package (wheel, container image) this points into the interpreter's lib/ directory:
# nothing may default to a path below it, see `source_checkout()`.
REPO_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(RuntimeError):
    """A setting a process cannot start without is missing or wrong; the message names the variable."""


def source_checkout() -> Path | None:
    """The repository root when running from a source checkout, else None (an installed package)."""
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "services" / "govkit").is_dir():
        return REPO_ROOT
    return None


# The fixed port plan: gRPC 5005x, worker metrics 910x, gRPC metrics 920x, x = the service
# descriptor's port index.
def default_grpc_port(service: str) -> int:
    return 50050 + registry.get(service).port_index


def default_metrics_port(service: str, process: str) -> int:
    return (9100 if process == "worker" else 9200) + registry.get(service).port_index


# The web portal's HTTP gateway (govops-portal, services/portal): one port beside the gRPC plan.
DEFAULT_PORTAL_PORT = 8080


def portal_url() -> str:
    """Where a browser reaches the web portal (GOVOPS_PORTAL_HOST / GOVOPS_PORTAL_PORT)."""
    host = _env("GOVOPS_PORTAL_HOST", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{host}:{_env('GOVOPS_PORTAL_PORT', str(DEFAULT_PORTAL_PORT))}/"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def local_zone():
    """The zone people read times in (GOVOPS_TIMEZONE, an IANA name; default Asia/Shanghai)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _env("GOVOPS_TIMEZONE", "Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"GOVOPS_TIMEZONE={name!r} is not a known IANA time zone") from None


@dataclass(frozen=True)
class Settings:
    service: str
    process: str  # "worker", "grpc" or "tool"
    pg_url: str
    db_prefix: str
    amqp_uri: str
    redis_url: str
    grpc_port: int
    metrics_port: int
    # None when neither the variable nor GOVOPS_KEY_DIR is set in an installed package.
    public_key_file: Path | None
    private_key_file: Path | None
    token_issuer: str
    token_audience: str
    log_level: str
    relay_backstop_seconds: float
    relay_batch_size: int
    grpc_max_workers: int

    @property
    def database_name(self) -> str:
        return f"{self.db_prefix}{self.service}"

    @property
    def database_url(self) -> str:
        override = os.environ.get(f"GOVOPS_{self.service.upper()}_DATABASE_URL")
        return override or f"{self.pg_url.rstrip('/')}/{self.database_name}"

    @property
    def grpc_target(self) -> str:
        """Where clients (CLI, other tools) reach this service's gRPC server."""
        return _env(f"GOVOPS_{self.service.upper()}_GRPC_TARGET",
                    f"127.0.0.1:{default_grpc_port(self.service)}")

    def signing_key_file(self) -> Path:
        """The token-signing private key (org's gRPC process, dev tools), or a ConfigError naming
        GOVOPS_JWT_PRIVATE_KEY_FILE."""
        path = self.private_key_file
        if path is None:
            raise ConfigError("no token-signing key configured: set GOVOPS_JWT_PRIVATE_KEY_FILE to the "
                              "Ed25519 private key PEM file (a mounted secret), or GOVOPS_KEY_DIR to the "
                              "directory holding jwt_private.pem")
        if not path.is_file():
            source = "GOVOPS_JWT_PRIVATE_KEY_FILE" if os.environ.get("GOVOPS_JWT_PRIVATE_KEY_FILE") else \
                "GOVOPS_KEY_DIR" if os.environ.get("GOVOPS_KEY_DIR") else "the source checkout's default"
            raise ConfigError(f"token-signing key {path} (from {source}) does not exist or is not a file; "
                              "set GOVOPS_JWT_PRIVATE_KEY_FILE to the Ed25519 private key PEM file")
        return path

    def nameko_config(self) -> dict:
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": int(_env("GOVOPS_NAMEKO_MAX_WORKERS", "10")),
            "serializer": "json",
            "SERVICE_NAME": self.service,
        }


def load(service: str, process: str = "tool") -> Settings:
    registry.get(service)  # unknown service → ValueError naming the known ones
    key_dir = _key_dir()
    return Settings(
        service=service,
        process=process,
        pg_url=_env("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432"),
        db_prefix=_env("GOVOPS_DB_PREFIX", "govops_"),
        amqp_uri=_env("GOVOPS_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        redis_url=_env("GOVOPS_REDIS_URL", "redis://127.0.0.1:6379/0"),
        grpc_port=int(_env("GOVOPS_GRPC_PORT", str(default_grpc_port(service)))
                      if process == "grpc" else default_grpc_port(service)),
        metrics_port=int(_env("GOVOPS_METRICS_PORT", str(default_metrics_port(service, process)))),
        public_key_file=_key_file("GOVOPS_JWT_PUBLIC_KEY_FILE", key_dir, "jwt_public.pem"),
        private_key_file=_key_file("GOVOPS_JWT_PRIVATE_KEY_FILE", key_dir, "jwt_private.pem"),
        token_issuer=_env("GOVOPS_TOKEN_ISSUER", "govops-org"),
        token_audience=_env("GOVOPS_TOKEN_AUDIENCE", "govops"),
        log_level=_env("GOVOPS_LOG_LEVEL", "INFO"),
        relay_backstop_seconds=float(_env("GOVOPS_RELAY_BACKSTOP_SECONDS", "5")),
        relay_batch_size=int(_env("GOVOPS_RELAY_BATCH_SIZE", "500")),
        grpc_max_workers=int(_env("GOVOPS_GRPC_MAX_WORKERS", "16")),
    )


def _key_dir() -> Path | None:
    """GOVOPS_KEY_DIR; in a source checkout the gitignored .govops/keys (`make keys`); in an
    installed package no default at all (never a directory inside site-packages)."""
    if os.environ.get("GOVOPS_KEY_DIR"):
        return Path(os.environ["GOVOPS_KEY_DIR"])
    root = source_checkout()
    return root / ".govops" / "keys" if root else None


def _key_file(variable: str, key_dir: Path | None, name: str) -> Path | None:
    if os.environ.get(variable):
        return Path(os.environ[variable])
    return key_dir / name if key_dir else None


def secret(variable: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A secret setting: the content of the file `<variable>_FILE` names (a mounted secret; a
    trailing newline is ignored), or the variable itself; None when neither is set. ConfigError
    naming the variable when both are set or the file is missing, unreadable or empty."""
    env = os.environ if environ is None else environ
    value, path = env.get(variable) or None, env.get(f"{variable}_FILE") or None
    if value and path:
        raise ConfigError(f"both {variable} and {variable}_FILE are set: set one (prefer the file)")
    if path is None:
        return value
    try:
        content = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{variable}_FILE={path}: {getattr(err, 'strerror', None) or err}") from None
    if not content:
        raise ConfigError(f"{variable}_FILE={path} is empty")
    return content


def demo_credentials_file() -> Path:
    """Where the demo seed writes the demo users' passwords and `govops dev banner` reads them: the
    checkout's gitignored .govops/ (an installed package: the user's home), one file per database
    prefix — so the stacks the tests seed never overwrite, or mix into, the passwords `make run`
    shows."""
    prefix = _env("GOVOPS_DB_PREFIX", "govops_")
    name = "demo-credentials.txt" if prefix == "govops_" else f"demo-credentials-{prefix.rstrip('_')}.txt"
    return (source_checkout() or Path.home()) / ".govops" / name
