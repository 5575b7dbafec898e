"""The Alertmanager webhook's HTTP edge (ticket-worker): who may post, how much, in what form.

Alertmanager's `http_config` authenticates a webhook with a bearer token (`authorization:
credentials` / `credentials_file`) or basic auth (`basic_auth: username, password` /
`password_file`); both may be configured here, either is accepted. Secrets come from the
environment or, preferably, a mounted file (`*_FILE`, govkit.config.secret) and are compared in
constant time. Without any secret the webhook listens on 127.0.0.1 only (see `bind_host`).

A request passes, in order: credentials (401), body size (413, before anything is parsed),
content type (415), JSON of bounded nesting (400 naming `body`); the payload's shape is the
domain's (domain/alert.py, 400 naming the field). Every refusal is JSON: {"error", "field",
"reason"}.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from govkit.config import ConfigError, secret

from .domain.alert import UNIT_LABELS

log = logging.getLogger(__name__)

PATH = "/api/v1/alerts/alertmanager"
DEFAULT_MAX_BYTES = 1024 * 1024
# Alertmanager's payload nests four deep (body → alerts → alert → labels); allow some room.
MAX_DEPTH = 16
REALM = "govops-alertmanager"


@dataclass(frozen=True)
class WebhookSettings:
    token: str | None  # bearer token
    username: str | None  # basic auth
    password: str | None
    max_bytes: int
    unit_labels: tuple[str, ...]

    @property
    def authenticated(self) -> bool:
        return bool(self.token or self.username)


def load(environ: Mapping[str, str] | None = None) -> WebhookSettings:
    """The webhook's settings; ConfigError naming the variable when one is set but unusable."""
    env = os.environ if environ is None else environ
    token = secret("GOVOPS_TICKET_ALERT_TOKEN", env)
    username = env.get("GOVOPS_TICKET_ALERT_USERNAME") or None
    password = secret("GOVOPS_TICKET_ALERT_PASSWORD", env)
    if bool(username) != bool(password):
        raise ConfigError("basic auth for the Alertmanager webhook needs both GOVOPS_TICKET_ALERT_USERNAME "
                          "and GOVOPS_TICKET_ALERT_PASSWORD (or GOVOPS_TICKET_ALERT_PASSWORD_FILE)")
    if username and ":" in username:
        raise ConfigError("GOVOPS_TICKET_ALERT_USERNAME must not contain ':' (basic auth)")
    raw_limit = env.get("GOVOPS_TICKET_ALERT_MAX_BYTES") or str(DEFAULT_MAX_BYTES)
    if not raw_limit.isdigit() or int(raw_limit) < 1024:
        raise ConfigError(f"GOVOPS_TICKET_ALERT_MAX_BYTES={raw_limit}: must be a whole number of bytes, at least 1024")
    labels = tuple(n.strip() for n in (env.get("GOVOPS_TICKET_ALERT_UNIT_LABELS") or "").split(",") if n.strip())
    return WebhookSettings(token=token, username=username, password=password, max_bytes=int(raw_limit),
                           unit_labels=labels or UNIT_LABELS)


def bind_host(host: str, settings: WebhookSettings) -> str:
    """Where the webhook listens: as configured when a secret is set, else 127.0.0.1 only.

    Safe default without a secret: the worker still runs its SLA scheduler, outbox relay and
    event consumers (refusing to start would stop those too), but no other host can post alerts."""
    if settings.authenticated or host in ("127.0.0.1", "localhost", "::1"):
        return host
    log.warning("no Alertmanager webhook secret (GOVOPS_TICKET_ALERT_TOKEN[_FILE] or "
                "GOVOPS_TICKET_ALERT_USERNAME/PASSWORD[_FILE]): the webhook listens on 127.0.0.1 only")
    return "127.0.0.1"


class Refused(Exception):
    """An HTTP refusal with a JSON reason."""

    def __init__(self, status: int, field: str, reason: str, headers: list[tuple[str, str]] | None = None):
        super().__init__(f"{field}: {reason}")
        self.status, self.field, self.reason, self.headers = status, field, reason, headers or []

    def response(self) -> Response:
        return json_response(self.status, {"error": f"{self.field}: {self.reason}", "field": self.field,
                                           "reason": self.reason}, self.headers)


def json_response(status: int, body: dict, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


def read_payload(request: Request, settings: WebhookSettings):
    """The authenticated request's JSON body, or Refused (401, 413, 415, 400)."""
    if settings.authenticated and not _authorised(request.headers.get("Authorization", ""), settings):
        challenges = ([("WWW-Authenticate", f'Bearer realm="{REALM}"')] if settings.token else []) + \
                     ([("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"')] if settings.username else [])
        raise Refused(401, "Authorization", "missing or wrong credentials (bearer token or basic auth, as "
                                            "configured in Alertmanager's http_config)", challenges)
    limit = settings.max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, "body", f"larger than {limit} bytes (GOVOPS_TICKET_ALERT_MAX_BYTES)")
    if request.mimetype != "application/json":
        raise Refused(415, "Content-Type", f"must be application/json, not {request.mimetype or 'none'}")
    data = _read(request, limit + 1)
    if len(data) > limit:
        raise Refused(413, "body", f"larger than {limit} bytes (GOVOPS_TICKET_ALERT_MAX_BYTES)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Refused(400, "body", f"not UTF-8 (byte {err.start})") from None
    if _too_deep(text):
        raise Refused(400, "body", f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise Refused(400, "body", f"not JSON ({err.msg} at line {err.lineno} column {err.colno})") from None


def _read(request: Request, most: int) -> bytes:
    """At most `most` bytes of the body. A chunked body has no Content-Length, and werkzeug's
    `stream` is empty without one unless the server says the input is terminated (eventlet does
    not): read the server's input itself, which decodes the chunks, and stop past the limit."""
    stream = request.stream if request.content_length is not None else request.input_stream
    parts, size = [], 0
    while size < most:
        part = stream.read(most - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _authorised(header: str, settings: WebhookSettings) -> bool:
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and settings.token:
        return hmac.compare_digest(value.encode(), settings.token.encode())
    if scheme.lower() == "basic" and settings.username and settings.password:
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # both compared, always: no early exit telling which one was wrong
        user_ok = hmac.compare_digest(user.encode(), settings.username.encode())
        password_ok = hmac.compare_digest(password.encode(), settings.password.encode())
        return bool(sep) and user_ok and password_ok
    return False


# JSON strings (skipped whole, with their escapes; an unterminated one runs to the end, so no
# input makes the scan quadratic) and the brackets outside them.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.?)*(?:"|\Z)|[\[\]{}]', re.DOTALL)


def _too_deep(text: str) -> bool:
    """Whether brackets nest deeper than MAX_DEPTH (checked before json.loads, which would
    recurse into a deep document until RecursionError)."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False
