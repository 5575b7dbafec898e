"""The caller's deadline, for the work a call does on its behalf.

The gRPC interceptor sets it from the client's deadline for the duration of the call; the unit
of work caps each statement by the time left (PostgreSQL `statement_timeout`) and refuses to
commit once it has passed — a call whose client gave up must not be recorded as done. Outside a
gRPC call (workers, CLI, tests) no deadline is set and nothing changes."""

from __future__ import annotations

import contextvars
import time

from .errors import DeadlineExceeded

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


# grpcio reports a call without a deadline as ~2^63 ns left; beyond a day, count it as none.
_NO_DEADLINE_BEYOND = 24 * 3600.0


def set_remaining(seconds: float | None) -> contextvars.Token:
    """Start counting: the call must finish within `seconds` (None or more than a day: no deadline)."""
    none = seconds is None or seconds > _NO_DEADLINE_BEYOND
    return _deadline.set(None if none else time.monotonic() + seconds)


def reset(token: contextvars.Token) -> None:
    _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left, or None when there is no deadline (never below 0)."""
    at = _deadline.get()
    return None if at is None else max(0.0, at - time.monotonic())


def expired() -> bool:
    left = remaining()
    return left is not None and left <= 0


def check() -> None:
    """DeadlineExceeded once the caller's deadline has passed."""
    if expired():
        raise DeadlineExceeded("the caller's deadline passed before the work was done; nothing was saved")
