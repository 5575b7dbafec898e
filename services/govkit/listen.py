"""PostgreSQL LISTEN, written once: connect, LISTEN a channel, wait with a timeout, reconnect.

    listener = Listener(engine, OUTBOX_CHANNEL, stop=self._stop)
    while not stop.is_set():
        do_the_work()                  # e.g. drain the outbox
        listener.wait(backstop)        # woken by NOTIFY, or the backstop timer
    listener.close()

`wait(timeout)` returns True when something may have changed that the caller has not seen: a
notification arrived, or the listener has just (re)connected — notifications sent while nobody
listened are lost, so the caller must look again. It returns False on timeout or when `stop` is
set. It never raises for a database failure: it logs, closes the connection, backs off (within
the timeout) and reconnects on a later call.

A dedicated psycopg2 connection in autocommit mode (a pooled SQLAlchemy connection would be
returned to the pool, and LISTEN with it). Green under eventlet (select is monkey-patched).
"""

from __future__ import annotations

import select
import threading
import time

import psycopg2
from sqlalchemy.engine import make_url

from . import logs

log = logs.get_logger(__name__)

_ERRORS = (psycopg2.Error, OSError, ValueError)  # ValueError: select() on a closed connection


class Listener:
    def __init__(self, engine_or_url, channel: str, *, stop: threading.Event | None = None,
                 slice_seconds: float = 0.5, max_backoff_seconds: float = 5.0):
        url = getattr(engine_or_url, "url", engine_or_url)
        self.url = make_url(url) if isinstance(url, str) else url
        self.channel = channel
        self.stop = stop or threading.Event()
        self.slice_seconds = slice_seconds  # how promptly `stop` is honoured while waiting
        self.max_backoff_seconds = max_backoff_seconds
        self.failures = 0
        self._conn = None

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def _connect(self) -> None:
        u = self.url
        conn = psycopg2.connect(dbname=u.database, user=u.username, password=u.password,
                                host=u.host, port=u.port or 5432)
        try:
            conn.set_session(autocommit=True)
            conn.cursor().execute(f'LISTEN "{self.channel}"')
        except Exception:
            conn.close()
            raise
        self._conn = conn

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True if notified or just (re)connected (see module doc)."""
        if self._conn is None:
            try:
                self._connect()
            except _ERRORS as exc:
                self._failed(exc)
                self.stop.wait(min(0.2 * 2 ** self.failures, self.max_backoff_seconds, max(timeout, 0)))
                return False
            if self.failures:
                log.info("listen_reconnected", channel=self.channel, failures=self.failures)
            self.failures = 0
            return True
        deadline = time.monotonic() + timeout
        conn = self._conn
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                if select.select([conn], [], [], min(remaining, self.slice_seconds))[0]:
                    conn.poll()
                    if conn.notifies:
                        conn.notifies.clear()
                        return True
            except _ERRORS as exc:
                self._failed(exc)
                return False
        return False

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        log.warning("listen_failed", channel=self.channel, error=str(exc).strip(), failures=self.failures)
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken by the failure being handled
                pass
            self._conn = None

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
