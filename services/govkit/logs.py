"""structlog JSON logs; `service`, `correlation_id` and `call_id` are bound per call on both transports."""

from __future__ import annotations

import logging
import sys
import uuid
from contextlib import contextmanager

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars

_configured = False


def configure(service: str, process: str, level: str = "INFO") -> None:
    global _configured
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    # Third-party chatter (kombu, nameko) goes through stdlib logging; keep it at WARNING.
    for noisy in ("kombu", "amqp", "nameko", "alembic", "urllib3", "pika"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    clear_contextvars()
    bind_contextvars(service=service, process=process)
    _configured = True


def get_logger(name: str | None = None):
    return structlog.get_logger(name)


def new_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def call_context(correlation_id: str | None, call_id: str | None = None):
    """Bind correlation and call ids for the duration of one call (gRPC or nameko)."""
    # `subject` is reset too: pool threads and greenthreads are reused across calls.
    with bound_contextvars(correlation_id=correlation_id or new_id(), call_id=call_id or new_id(),
                           subject=None):
        yield


def current(key: str) -> str | None:
    return structlog.contextvars.get_contextvars().get(key)


def bind(**values) -> None:
    structlog.contextvars.bind_contextvars(**values)
