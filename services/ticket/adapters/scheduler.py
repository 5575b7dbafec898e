"""The SLA deadline scheduler: a managed thread of ticket-worker.

It sleeps until the earliest row of `sla_deadlines` (capped by a backstop), is woken at once by
NOTIFY `ticket_deadlines` when a sooner deadline is written, and fires what is due through
`handlers.sla.fire_due_deadlines` — each ticket locked with SKIP LOCKED, its events written to the
outbox and its deadline rows replaced in the same transaction. A killed worker therefore never
fires a deadline twice and never loses one: the rows wait in PostgreSQL for the next scheduler.
Several replicas are safe for the same reason.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram

from govkit import logs
from govkit.db import make_engine
from govkit.listen import Listener
from govkit.nameko_ext import worker_settings

from ..domain.commands import FireDueDeadlines
from ..handlers import sla
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
        self.listener = Listener(engine, DEADLINE_CHANNEL, stop=self._stop)

    def factory(self):
        return TicketUnitOfWork(self.engine)

    def run(self) -> None:
        log.info("deadline_scheduler_started", backstop_seconds=self.backstop)
        failures = 0
        while not self._stop.is_set():
            try:
                with self.factory() as uow:
                    nxt = uow.deadlines.next_due()
                now = datetime.now(UTC)
                failures = 0
                if nxt is not None and nxt <= now:
                    fired, busy = sla.fire_due_deadlines(FireDueDeadlines(), self.factory, now=now)
                    if fired:
                        FIRED.inc(fired)
                        LATENESS.observe((datetime.now(UTC) - nxt).total_seconds())
                    if busy:
                        self._stop.wait(0.05)  # a ticket locked by a user action: retry shortly
                    continue
                wait = self.backstop if nxt is None else min(self.backstop, (nxt - now).total_seconds())
                if wait > 0:
                    self.listener.wait(wait)  # a sooner deadline NOTIFYs; either way look again
            except Exception as exc:  # database down: back off and retry; nothing is lost
                failures += 1
                log.warning("deadline_scheduler_retry", error=str(exc), failures=failures)
                self._stop.wait(min(0.2 * 2 ** failures, 5.0))
        self.listener.close()
        log.info("deadline_scheduler_stopped")

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
