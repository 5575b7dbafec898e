"""`python -m bench.notify [--rate 50] [--seconds 20] [--redis-db N]`: notify with a real
notify-worker process (govkit.stack, services=("notify",)) and an aiosmtpd server in this process.

1. Latency: `ticket_assigned` events published to RabbitMQ at `--rate` a second for `--seconds`,
   each for its own ticket; measured from the publish to the SMTP server accepting the mail
   (the subject carries the ticket number). Prints p50/p90/p99/max per run (`--runs`), after a
   warm-up batch (`--warmup` events, not counted: the worker's first sends open its connection
   pools). Beside it, from the same run: the raw baseline — one SMTP dialogue with the same
   server from this process (smtplib, one after another) — and the load average, so a figure
   taken on a loaded machine says so.
2. Alert storm: 1,000 `sla_breached` events over 50 incidents (tickets) for one engineer with
   e-mail and the WeCom robot configured; prints the messages per channel (target ≤ 50).
Prints figures; asserts nothing about time. Everything it makes is removed at the end."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kombu import Connection, Producer

from govkit.db import make_engine
from govkit.stack import Stack
from tests.notify_peers import Receiver, SmtpServer


def _envelope(name: str, ticket: int, **data) -> bytes:
    tid = f"00000000-0000-4000-8000-{ticket:012d}"
    now = datetime.now(UTC).isoformat()
    body = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "ticket", "type": f"govops.ticket.{name}.v1",
            "time": now, "subject": tid, "orgunitid": "fgw", "correlationid": None,
            "datacontenttype": "application/json",
            "data": {"ticket_id": tid, "number": f"INC-BENCH-{ticket:06d}", "title": "基准测试", "priority": "high",
                     "assignee": "B001", "group_id": None, "requester": "R", "method": "manual",
                     "org_unit_id": "fgw", "target": "response", **data}}
    return json.dumps(body, ensure_ascii=False).encode()


def _smtp_baseline(port: int, count: int = 50) -> str:
    """p50/p99 of `count` plain SMTP sends to the bench's server, one after another: what one
    delivery costs on this machine right now without notify, the broker or the database."""
    import smtplib
    from email.message import EmailMessage

    took = []
    for i in range(count):
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "bench@ops.gov.cn", "b@ops.gov.cn", f"【基准】RAW-{i:06d} 基线"
        m.set_content("基线")
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            s.send_message(m)
        took.append(time.monotonic() - t0)
    q = statistics.quantiles(sorted(took), n=100)
    return f"p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms over {count}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="events a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to publish")
    parser.add_argument("--redis-db", type=int, default=11, help="an empty Redis database the run may flush")
    parser.add_argument("--runs", type=int, default=1, help="latency runs, one after another")
    parser.add_argument("--warmup", type=int, default=25, help="events sent and awaited before measuring")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="govops-bench-notify-")
    with SmtpServer() as smtp, Receiver() as robot:
        accepted: dict[str, float] = {}
        handle = smtp.mailbox.handle_DATA

        async def timed(server, session, envelope):
            reply = await handle(server, session, envelope)
            accepted[smtp.mailbox.messages[-1]["Subject"].split()[0].split("】")[1]] = time.monotonic()
            return reply

        smtp.mailbox.handle_DATA = timed  # type: ignore[method-assign]
        stack = Stack(f"govops_bench_notify_{os.getpid()}", Path(workdir),
                      services=("notify",), redis_db=args.redis_db,
                      extra_env={"GOVOPS_NOTIFY_SMTP_HOST": "127.0.0.1", "GOVOPS_NOTIFY_SMTP_PORT": str(smtp.port),
                                 "GOVOPS_NOTIFY_SMTP_FROM": "bench@ops.gov.cn",
                                 "GOVOPS_NOTIFY_WECOM_WEBHOOK_URL": robot.wecom_url,
                                 "GOVOPS_NOTIFY_WECOM_PER_MINUTE": "0", "GOVOPS_LOG_LEVEL": "WARNING"})
        stack.prepare()
        try:
            pg = stack.env.get("GOVOPS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
            engine = make_engine(f"{pg}/{stack.name}_notify", pool_size=1)
            with engine.begin() as c:
                c.exec_driver_sql("INSERT INTO orgdir_staff (id, name, org_unit_id) VALUES ('B001', '基准', 'om')")
                c.exec_driver_sql("INSERT INTO contacts (staff_id, email, phone) "
                                  "VALUES ('B001', 'b001@ops.gov.cn', '')")
            engine.dispose()
            stack.process("notify", "grpc")
            stack.start()
            n = int(args.rate * args.seconds)
            with Connection(stack.env["GOVOPS_AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
                producer = Producer(conn.channel())
                first = 0

                def publish(count: int) -> dict[str, float]:
                    nonlocal first
                    sent: dict[str, float] = {}
                    start = time.monotonic()
                    for i in range(first, first + count):
                        due = start + (i - first) / args.rate
                        time.sleep(max(0.0, due - time.monotonic()))
                        sent[f"INC-BENCH-{i:06d}"] = time.monotonic()
                        producer.publish(_envelope("ticket_assigned", i), exchange="ticket.events",
                                         routing_key="ticket_assigned", content_type="application/json",
                                         content_encoding="utf-8", delivery_mode=2)
                    first += count
                    deadline = time.monotonic() + 60
                    while not all(k in accepted for k in sent) and time.monotonic() < deadline:
                        time.sleep(0.1)
                    return sent

                publish(args.warmup)
                print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
                      f"({os.cpu_count()} cores)")
                print(f"raw baseline, one SMTP dialogue from this process: {_smtp_baseline(smtp.port)}")
                for run in range(1, args.runs + 1):
                    sent = publish(n)
                    latencies = sorted(accepted[k] - sent[k] for k in sent if k in accepted)
                    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
                    print(f"run {run}: latency, event published → SMTP accepted, {args.rate:g}/s for "
                          f"{args.seconds:g} s: {len(latencies)}/{n} delivered; p50 {q[49] * 1000:.0f} ms, "
                          f"p90 {q[89] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
                          f"(target p99 ≤ 1 s); load average now {os.getloadavg()[0]:.1f}")
                mails_before = len(smtp.mailbox.messages)
                for i in range(1000):
                    producer.publish(_envelope("sla_breached", 100_000 + i % 50), exchange="ticket.events",
                                     routing_key="sla_breached", content_type="application/json",
                                     content_encoding="utf-8", delivery_mode=2)
            done, folded = False, 0
            deadline = time.monotonic() + 90
            while not done and time.monotonic() < deadline:
                time.sleep(1)
                engine = make_engine(f"{pg}/{stack.name}_notify", pool_size=1)
                with engine.connect() as c:
                    pending = c.exec_driver_sql("SELECT count(*) FROM deliveries WHERE status <> 'sent'").scalar()
                    folded = c.exec_driver_sql("SELECT coalesce(sum(repeats), 0) FROM deliveries "
                                               "WHERE kind = 'sla_breached'").scalar()
                engine.dispose()
                done = pending == 0 and folded == 2 * 950
            print(f"alert storm, 1,000 breaches over 50 incidents: e-mail {len(smtp.mailbox.messages) - mails_before}"
                  f" messages, WeCom robot {len(robot.received['wecom'])} messages, {folded} repeats folded "
                  f"(target ≤ 50 per channel)")
        finally:
            stack.destroy()


if __name__ == "__main__":
    main()
