"""The SLA deadline scheduler: a managed thread of ticket-worker.

It sleeps until the earliest row of `sla_deadlines` (capped by a backstop), is woken at once by
NOTIFY `ticket_deadlines` when a sooner deadline is written, and fires what is due through
`handlers.fire_due_deadlines` — each ticket locked with SKIP LOCKED, its events written to the
outbox and its deadline rows replaced in the same transaction. A killed worker therefore never
fires a deadline twice and never loses one: the rows wait in PostgreSQL for the next scheduler.
Several replicas are safe for the same reason.
"""

from __future__ import annotations

import os
import select
import threading
from datetime import UTC, datetime
from typing import Any

import psycopg2
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram
from sqlalchemy.engine import make_url

from govkit import logs
from govkit.db import make_engine
from govkit.nameko_ext import worker_settings

from .. import handlers
from .repository import DEADLINE_CHANNEL
from .uow import TicketUnitOfWork

log = logs.get_logger(__name__)

FIRED = Counter("govops_ticket_deadlines_fired_total", "SLA deadlines fired")
LATENESS = Histogram("govops_ticket_deadline_lateness_seconds", "Fire time minus due time",
                     buckets=(.01, .05, .1, .25, .5, 1, 2, 5, 10))


class DeadlineLoop:
    def __init__(self, engine, backstop_seconds: float = 5.0):
        self.engine, self.backstop = engine, backstop_seconds
        self._stop = threading.Event()
        self._listen: Any = None  # a psycopg2 connection while listening

    def factory(self):
        return TicketUnitOfWork(self.engine)

    def _connect(self):
        url = make_url(self.engine.url)
        conn = psycopg2.connect(dbname=url.database, user=url.username, password=url.password,
                                host=url.host, port=url.port or 5432)
        conn.set_session(autocommit=True)
        conn.cursor().execute(f"LISTEN {DEADLINE_CHANNEL}")
        return conn

    def _wait(self, seconds: float) -> None:
        deadline = datetime.now(UTC).timestamp() + seconds
        while not self._stop.is_set():
            remaining = deadline - datetime.now(UTC).timestamp()
            if remaining <= 0:
                return
            ready, _, _ = select.select([self._listen], [], [], min(remaining, 0.5))
            if ready:
                self._listen.poll()
                if self._listen.notifies:
                    self._listen.notifies.clear()
                    return

    def run(self) -> None:
        log.info("deadline_scheduler_started", backstop_seconds=self.backstop)
        failures = 0
        while not self._stop.is_set():
            try:
                if self._listen is None:
                    self._listen = self._connect()
                with self.factory() as uow:
                    nxt = uow.deadlines.next_due()
                now = datetime.now(UTC)
                failures = 0
                if nxt is not None and nxt <= now:
                    fired, busy = handlers.fire_due_deadlines(self.factory, now)
                    if fired:
                        FIRED.inc(fired)
                        LATENESS.observe((datetime.now(UTC) - nxt).total_seconds())
                    if busy:
                        self._stop.wait(0.05)  # a ticket locked by a user action: retry shortly
                    continue
                wait = self.backstop if nxt is None else min(self.backstop, (nxt - now).total_seconds())
                if wait > 0:
                    self._wait(wait)
            except Exception as exc:  # database down: back off and retry; nothing is lost
                failures += 1
                log.warning("deadline_scheduler_retry", error=str(exc), failures=failures)
                self._close()
                self._stop.wait(min(0.2 * 2 ** failures, 5.0))
        self._close()
        log.info("deadline_scheduler_stopped")

    def _close(self):
        if self._listen is not None:
            try:
                self._listen.close()
            except Exception:  # already broken
                pass
            self._listen = None

    def stop(self):
        self._stop.set()


class DeadlineScheduler(DependencyProvider):
    """Runs the DeadlineLoop as a managed thread of the worker container."""

    def setup(self):
        self.engine = make_engine(worker_settings(self.container).database_url, pool_size=2)
        self.loop = DeadlineLoop(self.engine, float(os.environ.get("GOVOPS_TICKET_DEADLINE_BACKSTOP_SECONDS", "5")))
        self._thread = None

    def start(self):
        self._thread = self.container.spawn_managed_thread(self.loop.run, identifier="deadline_scheduler")

    def stop(self):
        self.loop.stop()
        if self._thread is not None:
            self._thread.wait()
        self.engine.dispose()

    def kill(self):
        self.loop.stop()

    def get_dependency(self, worker_ctx):
        return self.loop
