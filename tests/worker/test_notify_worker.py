"""notify-worker as a nameko container on a real broker: the consumer writes deliveries, the
sender loop (a managed thread) sends them to a WeCom robot receiver, retrying its rate-limit
answer; the same event dispatched twice sends once."""

from __future__ import annotations

import time

import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from govkit.events import Envelope
from tests.notify_peers import Receiver


def _breach(event_id: str) -> dict:
    return Envelope(id=event_id, source="ticket", type="govops.ticket.sla_breached.v1",
                    time="2026-12-02T02:00:00+00:00", subject="t-w1", org_unit_id="fgw", correlationid="c",
                    data={"ticket_id": "t-w1", "number": "INC-2026-000777", "title": "门户网站无法访问",
                          "priority": "critical", "target": "resolution", "assignee": None, "group_id": None,
                          "requester": "R1", "org_unit_id": "fgw"}).to_dict()


def test_notify_worker_sends_a_breach_to_the_robot_once_and_retries_its_rate_limit(
        container_factory, config, engine_for, monkeypatch):
    from notify.worker import Service as NotifyWorker

    engine = engine_for("notify")
    with Receiver() as rx:
        monkeypatch.setenv("GOVOPS_NOTIFY_WECOM_WEBHOOK_URL", rx.wecom_url)
        monkeypatch.setenv("GOVOPS_NOTIFY_RETRY_DELAY_SECONDS", "0.2")
        monkeypatch.setenv("GOVOPS_NOTIFY_POLL_SECONDS", "0.1")
        rx.answers["wecom"].append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
        container = container_factory(NotifyWorker, config)
        container.start()
        dispatch = event_dispatcher(config)
        for event_id in ("w-breach-1", "w-breach-1", "w-breach-2"):  # a redelivery, then a repeat
            with entrypoint_waiter(container, "on_sla_breached", timeout=10):
                dispatch("ticket", "sla_breached", _breach(event_id))
        deadline = time.monotonic() + 20
        while not rx.received["wecom"] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # room for a second message, were one (wrongly) queued
        assert len(rx.received["wecom"]) == 1 and not rx.rejected
        assert "INC-2026-000777" in rx.received["wecom"][0]["markdown"]["content"]
    with engine.connect() as c:
        row = c.execute(sa.text("SELECT status, attempts, repeats FROM deliveries")).one()
    assert tuple(row) == ("sent", 2, 1)
