"""govkit.listen.Listener on the real PostgreSQL: woken by NOTIFY, timing out, surviving the loss
of its connection (the relay, ticket's deadline scheduler and org's access index all rely on it)."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from govkit.listen import Listener

CHANNEL = "govops_test_listen"


def _notify(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_notify(:c, 'x')"), {"c": CHANNEL})


def test_wakes_on_notify_times_out_otherwise_and_reconnects_after_losing_its_connection(engine_for):
    engine = engine_for("org")
    with Listener(engine, CHANNEL) as listener:
        assert listener.wait(1.0) is True, "just connected: the caller must look (it may have missed something)"
        started = time.monotonic()
        assert listener.wait(0.3) is False
        assert time.monotonic() - started >= 0.3

        _notify(engine)
        assert listener.wait(5.0) is True

        with engine.begin() as conn:  # the database drops the listening connection
            killed = conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = :q"), {"q": f'LISTEN "{CHANNEL}"'}).scalar()
        assert killed == 1
        assert listener.wait(5.0) is False and not listener.connected
        assert listener.wait(5.0) is True and listener.connected  # back, and says so
        _notify(engine)
        assert listener.wait(5.0) is True


def test_stop_ends_a_wait_promptly(engine_for):
    engine = engine_for("org")
    stop = threading.Event()
    with Listener(engine, CHANNEL, stop=stop, slice_seconds=0.05) as listener:
        listener.wait(1.0)
        threading.Timer(0.1, stop.set).start()
        started = time.monotonic()
        assert listener.wait(30.0) is False
        assert time.monotonic() - started < 2.0


def test_an_unreachable_database_is_retried_not_raised():
    listener = Listener("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere", CHANNEL)
    assert listener.wait(0.2) is False and listener.failures == 1 and not listener.connected
