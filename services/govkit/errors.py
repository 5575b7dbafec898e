"""Domain error vocabulary shared by every service.

Plain Python: transports map these to their own codes through one table each
(govkit.grpc_server.ERROR_TABLE for gRPC, govkit.nameko_ext for RPC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Error messages echo inputs ("ticket <id> not found"); a huge input must not make the reply too
# large for the client (which then sees RESOURCE_EXHAUSTED instead of the real code). Every status
# message and violation is shortened here, in one place: any run of ECHO_MAX+ non-blank characters
# is cut to ECHO_MAX with an ellipsis, the whole to MESSAGE_MAX_BYTES of UTF-8.
ECHO_MAX = 80
MESSAGE_MAX_BYTES = 1024
_LONG_RUN = re.compile(rf"\S{{{ECHO_MAX + 1},}}")


def shorten(text: str, max_bytes: int = MESSAGE_MAX_BYTES) -> str:
    """`text` with long echoed values cut to ECHO_MAX characters and the whole to max_bytes."""
    text = _LONG_RUN.sub(lambda m: m.group()[:ECHO_MAX] + "…", text)
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes - 3].decode("utf-8", "ignore") + "…"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    reason: str


class DomainError(Exception):
    """Base of every error a caller is meant to see. `field` (with `reason`) names the request
    field the error is about, on any kind of error: gRPC sends it as a BadRequest field violation
    (e.g. ALREADY_EXISTS naming `idempotency_key`, FAILED_PRECONDITION naming `org_unit_id`)."""

    violations: list[FieldViolation]

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.violations = [FieldViolation(field, reason or message)] if field is not None else []


class DeadlineExceeded(DomainError):
    """The caller's deadline passed: the work stopped before it was saved."""


class Unavailable(DomainError):
    """A backing service (database, Redis, broker — here or in a service called over RPC) is
    unreachable: worth retrying later. gRPC answers UNAVAILABLE; event consumers retry it."""


class InvalidArgument(DomainError):
    """One or more input fields are wrong; each violation names its field."""

    def __init__(self, violations: list[FieldViolation] | FieldViolation | None = None,
                 message: str | None = None, *, field: str | None = None, reason: str | None = None):
        if field is not None:
            violations = [FieldViolation(field, reason or "is invalid")]
        if isinstance(violations, FieldViolation):
            violations = [violations]
        violations = list(violations or [])
        super().__init__(message or "; ".join(f"{v.field}: {v.reason}" for v in violations)
                         or "invalid argument")
        self.violations = violations


class NotFound(DomainError):
    pass


class AlreadyExists(DomainError):
    pass


class FailedPrecondition(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class Unauthenticated(DomainError):
    pass


class Validator:
    """Collects field violations so a caller learns every bad field at once."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def fail(self, field: str, reason: str) -> None:
        self.violations.append(FieldViolation(field, reason))

    def text(self, field: str, value: str, *, required: bool = True, max_len: int | None = None) -> str:
        value = (value or "").strip()
        if required and not value:
            self.fail(field, "must not be empty")
        elif max_len is not None and len(value) > max_len:
            self.fail(field, f"must be at most {max_len} characters (got {len(value)})")
        return value

    def check(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)


def _transient_types() -> tuple[type, ...]:
    # Imported here: this module is plain Python that domain code imports too.
    import amqp.exceptions
    import kombu.exceptions
    import redis.exceptions
    import sqlalchemy.exc

    return (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
            sqlalchemy.exc.DisconnectionError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
            kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError, ConnectionError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is the database, Redis or the broker being unreachable:
    worth retrying, unlike a bug. Event consumers retry these; gRPC answers them UNAVAILABLE."""
    import sqlalchemy.exc

    transient = (*_transient_types(), Unavailable)
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, transient):
            return True
        if isinstance(cur, sqlalchemy.exc.DBAPIError) and cur.connection_invalidated:
            return True
        cur = cur.__cause__ or cur.__context__
    return False
