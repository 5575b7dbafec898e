"""`python -m bench.outsource [--tickets N] [--trials N]`: a monthly vendor SLA report over 100k tickets.

Seeds, with generate_series, N tickets of one vendor in October 2026 plus 2·N noise tickets
(another vendor in the same month, the same vendor in September): a fact row and a timeline of
created → assigned → resolved (a pause 'for the vendor' on every 13th) per ticket; then times,
median of `--trials` runs after one warm-up:
* baseline: a plain COUNT … GROUP BY priority over the same vendor/period fact rows (the floor any
  report over these rows pays);
* measure: the vendor's clock, set-based over the per-ticket span summaries (recomputed from each
  ticket's timeline at ingest; here once after seeding, not timed), then per priority with the
  missed ticket ids;
* report: the whole GenerateSlaReport use case (measure + penalty maths + upsert + outbox),
  through the handler as gRPC calls it.
Prints figures; asserts nothing about time."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

os.environ.setdefault("GOVOPS_DB_PREFIX", "govops_bench_")
os.environ.setdefault("GOVOPS_KEY_DIR", "/tmp/govops-bench-keys")

from govkit import config
from govkit.auth import SYSTEM
from govkit.db import create_database_if_missing, drop_database, make_engine
from govkit.orgdir import OrgDirectory

console = Console()

_SEED = sa.text("""
INSERT INTO ticket_facts (ticket_id, number, org_unit_id, priority, group_id, assignee, vendor_id, state_at,
    state_event_id, created_at, response_seconds, resolution_seconds, resolved_at, resolved_event_id,
    response_breached, resolution_breached, closed_at)
SELECT :prefix || g, 'INC-' || :prefix || g, (ARRAY['fgw','czj','gaj','wjw'])[1 + g % 4],
       (ARRAY['critical','high','high','medium','medium','medium','low'])[1 + g % 7],
       :group_id, 'V' || (g % 40), :vendor_id, ts + interval '3 hours', 'e-' || g, ts,
       (g * 7919) % 1000, (g * 104729) % 20000, ts + interval '2 hours', 'r-' || g,
       g % 97 = 0, g % 89 = 0, ts + interval '1 day'
FROM generate_series(CAST(1 AS bigint), :n) AS g,
     LATERAL (SELECT CAST(:month_start AS timestamptz) + ((g * 2654435761) % 2592000) * interval '1 second') AS x(ts)
""")
# created → assigned (first response) → [pending for the vendor, resumed] → resolved, with the
# calendar's readings; resolution_seconds of the facts above is the time from the assignment.
_SEED_TIMELINE = sa.text("""
INSERT INTO ticket_timeline (ticket_id, event_id, event, occurred_at, ticket_type, status, assignee, vendor_id,
    pending_reason, business_seconds)
SELECT f.ticket_id, f.ticket_id || ':' || s.event || ':' || s.at, s.event, f.created_at + s.at * interval '1 second',
       'incident', s.status, CASE WHEN s.event = 'ticket_created' THEN NULL ELSE f.assignee END,
       CASE WHEN s.event = 'ticket_created' THEN NULL ELSE f.vendor_id END, s.reason, s.at
FROM ticket_facts f
CROSS JOIN LATERAL (VALUES
    ('ticket_created', 0, 'new', NULL),
    ('ticket_assigned', f.response_seconds, 'assigned', NULL),
    ('ticket_status_changed', f.response_seconds + 60, CASE WHEN hashtext(f.ticket_id) % 13 = 0 THEN 'pending'
                                                            ELSE 'assigned' END,
     CASE WHEN hashtext(f.ticket_id) % 13 = 0 THEN 'vendor' END),
    ('ticket_status_changed', f.response_seconds + 3660, 'in_progress', NULL),
    ('ticket_resolved', f.response_seconds + 3660 + f.resolution_seconds, 'resolved', NULL)
) AS s(event, at, status, reason)
WHERE f.ticket_id LIKE :prefix || '%'
""")
_BASELINE = sa.text("""
SELECT priority, count(*) FROM ticket_facts
WHERE vendor_id = :v AND created_at >= :s AND created_at < :e GROUP BY priority""")


def _signed_contract(engine):
    """vendor-hx under a signed O&M contract with SLA targets and penalty clauses (group `app`)."""
    from outsource import handlers
    from outsource.adapters.uow import OutsourceUnitOfWork
    from outsource.demo import PENALTIES, SLA
    from outsource.domain import commands as c

    uow = lambda: OutsourceUnitOfWork(engine)  # noqa: E731
    handlers.register_vendor(c.RegisterVendor("vendor-hx", "华信科技服务有限公司", "91110108551385082Q", "om-centre"),
                             uow(), SYSTEM)
    project, _ = handlers.create_project(
        c.CreateProject("政务应用运维外包", "om", "om-centre", ["app-om"]), uow(), SYSTEM
    )
    handlers.start_procurement(c.StartProcurement(project.id, "public_tender"), uow(), SYSTEM)
    handlers.record_bid(c.RecordBid(project.id, "vendor-hx", "468000.00"), uow(), SYSTEM)
    handlers.award_project(c.AwardProject(project.id, "vendor-hx", "综合评分第一"), uow(), SYSTEM)
    return handlers.sign_contract(c.SignContract(
        project.id, "468000.00", date(2026, 1, 1), date(2026, 12, 31), date(2025, 12, 20), "app", ["运维方案"],
        [{"id": "m1", "name": "全款", "amount": "468000.00", "acceptance": "终验"}], SLA, PENALTIES), uow(), SYSTEM)


def _median_ms(fn, trials: int) -> tuple[float, object]:
    result = fn()  # warm-up
    samples = []
    for _ in range(trials):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), result


def run(tickets: int, trials: int) -> dict:
    from alembic import command

    from govkit.migrate import alembic_config
    from outsource import handlers
    from outsource.adapters.uow import OutsourceUnitOfWork
    from outsource.domain import commands as c

    url = config.load("outsource").database_url
    drop_database(url)
    create_database_if_missing(url)
    command.upgrade(alembic_config("outsource", url), "head")
    engine = make_engine(url, pool_size=2)
    try:
        with engine.begin() as conn:  # the owning unit, as org's events would leave it (govkit.units)
            OrgDirectory(conn).apply("org_unit_created", {"org_unit_id": "om-centre", "name": "运维中心",
                                                          "parent_id": None, "kind": "om_centre"})
        contract = _signed_contract(engine)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(_SEED, {"prefix": "hx-", "group_id": "app", "vendor_id": "vendor-hx", "n": tickets,
                                 "month_start": "2026-10-01 00:00+08"})
            conn.execute(_SEED, {"prefix": "ot-", "group_id": "net", "vendor_id": "vendor-ot", "n": tickets,
                                 "month_start": "2026-10-01 00:00+08"})
            conn.execute(_SEED, {"prefix": "sep-", "group_id": "app", "vendor_id": "vendor-hx", "n": tickets,
                                 "month_start": "2026-09-01 00:00+08"})
            for prefix in ("hx-", "ot-", "sep-"):
                conn.execute(_SEED_TIMELINE, {"prefix": prefix})
        with OutsourceUnitOfWork(engine) as uow:
            summarised = uow.facts.rebuild()
            uow.commit()
        assert summarised == 3 * tickets
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE ticket_facts"))
            conn.execute(sa.text("VACUUM ANALYZE ticket_timeline"))
            conn.execute(sa.text("VACUUM ANALYZE ticket_clocks"))
            conn.execute(sa.text("VACUUM ANALYZE ticket_spans"))
        seed_s = time.perf_counter() - t0
        start, end = date(2026, 10, 1), date(2026, 10, 31)
        params = {"v": "vendor-hx", "g": "app", "s": "2026-10-01 00:00+08", "e": "2026-11-01 00:00+08"}

        def baseline():
            with engine.connect() as conn:
                return sum(r[1] for r in conn.execute(_BASELINE, params))

        def measure():
            from datetime import datetime
            from datetime import time as dtime

            with OutsourceUnitOfWork(engine) as uow:
                return uow.facts.measure(contract.current, "vendor-hx",
                                         datetime.combine(start, dtime.min, handlers.CST),
                                         datetime.combine(date(2026, 11, 1), dtime.min, handlers.CST))

        def report():
            return handlers.generate_sla_report(c.GenerateSlaReport(contract.id, start, end),
                                                OutsourceUnitOfWork(engine), SYSTEM)

        base_ms, counted = _median_ms(baseline, trials)
        measure_ms, measured = _median_ms(measure, trials)
        report_ms, row = _median_ms(report, trials)
        assert counted == measured.tickets == row["tickets"] == tickets, (counted, measured.tickets, row["tickets"])
        return {"tickets": tickets, "rows": 3 * tickets, "timeline_rows": 15 * tickets, "seed_s": seed_s,
                "baseline_ms": base_ms,
                "measure_ms": measure_ms, "report_ms": report_ms, "penalty_total": row["penalty_total"],
                "response": row["response_attainment_percent"], "resolution": row["resolution_attainment_percent"],
                "breaches": row["breaches"]}
    finally:
        engine.dispose()
        drop_database(url)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.outsource", description=__doc__)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--trials", type=int, default=5)
    args = ap.parse_args(argv)
    r = run(args.tickets, args.trials)
    load = os.getloadavg()[0]
    table = Table("figure", "median ms", title=f"Monthly vendor SLA report: {r['tickets']:,} tickets of the vendor "
                  f"in the period, {r['rows']:,} fact rows, {r['timeline_rows']:,} timeline rows; "
                  f"{args.trials} trials; load {load:.1f}")
    table.add_row("baseline: COUNT … GROUP BY priority over the same rows", f"{r['baseline_ms']:.1f}")
    table.add_row("measure: the vendor's clock over the span summaries + per priority", f"{r['measure_ms']:.1f}")
    table.add_row("GenerateSlaReport use case (measure + penalties + upsert + outbox)", f"{r['report_ms']:.1f}")
    console.print(table)
    console.print(f"seeded in {r['seed_s']:.1f} s; report: response {r['response']}%, resolution {r['resolution']}%, "
                  f"{r['breaches']} breaches, penalty {r['penalty_total']}; target ≤ 2000 ms")


if __name__ == "__main__":
    main()
