"""Live KPI rules in plain Python: deltas, windows, histograms, order independence."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from evaluation.domain import kpis
from evaluation.domain.kpis import Ledger, Level
from tests.eval_events import T0, lifecycle, mixed


class Tree:
    parents = {"fgw": "gov", "czj": "gov", "gov": None}

    def ancestors(self, unit):
        out, u = [], self.parents.get(unit)
        while u:
            out.append(u)
            u = self.parents.get(u)
        return out


def _ledger(events, org=None):
    led = Ledger()
    led.apply_all(events, org or Tree())
    return led


def _kpis(led, level, subject, window="all", today=date(2026, 11, 10)):
    buckets = kpis.window_buckets(window, today)
    return kpis.derive(led.raw(level, subject, buckets))


def test_a_ticket_lifecycle_moves_every_level_and_rolls_up():
    led = _ledger(lifecycle("fgw", assignee="s1", group="g1", response_s=600, resolution_s=7200, rating=4))
    for level, subject in [(Level.ORGANIZATION, "fgw"), (Level.ORGANIZATION, "gov"),
                           (Level.PROCESS, "fgw/incident"), (Level.PROCESS, "gov/incident"),
                           (Level.INDIVIDUAL, "fgw/staff/s1"), (Level.INDIVIDUAL, "gov/group/g1")]:
        k = _kpis(led, level, subject)
        assert k["tickets_resolved"] == 1 and k["tickets_closed"] == 1, subject
        assert k["tickets_open"] == 0, subject
        assert k["sla_attainment_pct"] == 100 and k["first_contact_resolution_pct"] == 100
        assert k["satisfaction_avg"] == 4 and k["satisfaction_count"] == 1
        assert k["resolution_time_mean_s"] == 7200
    org = _kpis(led, Level.ORGANIZATION, "fgw")
    assert org["tickets_created"] == 1 and org["incidents_created"] == 1
    assert org["response_time_mean_s"] == 600 and org["catalogue_coverage_pct"] == 100


def test_backlog_counts_open_tickets_and_follows_reassignment_in_any_order():
    t = {"id": "t1", "dept": "fgw", "type": "incident"}
    from tests.eval_events import envelope

    created = envelope("ticket_created", {**t, "assignee": "a", "status": "new"}, T0, "e1")
    moved = envelope("ticket_assigned", {**t, "assignee": "b", "status": "assigned"},
                     T0.replace(hour=3), "e2", first_response=False)
    for order in ([created, moved], [moved, created], [moved, created, moved, created]):
        led = _ledger(order)
        assert _kpis(led, Level.INDIVIDUAL, "fgw/staff/a").get("tickets_open", 0) == 0
        assert _kpis(led, Level.INDIVIDUAL, "fgw/staff/b")["tickets_open"] == 1
        assert _kpis(led, Level.ORGANIZATION, "gov")["tickets_open"] == 1


def _norm(hashes):
    """Counters as they compare: zeros equal missing fields, sums rounded."""
    return {k: {f: round(v, 6) for f, v in h.items() if round(v, 6)} for k, h in hashes.items()}


def test_duplicates_and_any_order_give_the_same_numbers():
    events = mixed(40)
    clean = _norm(_ledger(events).hashes)
    rnd = random.Random(3)
    for _ in range(5):
        shuffled = events + rnd.sample(events, 30)  # 30 redeliveries
        rnd.shuffle(shuffled)
        assert _norm(_ledger(shuffled).hashes) == clean


def test_change_problem_and_repeat_incident_rates():
    evs = (lifecycle("czj", ttype="change", outcome="successful", emergency=True)
           + lifecycle("czj", ttype="change", outcome="rolled_back")
           + lifecycle("czj", ttype="problem", link_count=3)
           + lifecycle("czj", ttype="incident") + lifecycle("czj", ttype="incident"))
    k = _kpis(_ledger(evs), Level.ORGANIZATION, "czj")
    assert k["change_success_rate_pct"] == 50 and k["change_rolled_back_rate_pct"] == 50
    assert k["change_emergency_rate_pct"] == 50
    assert k["problem_links"] == 3 and k["incidents_per_problem"] == 3
    assert k["repeat_incidents"] == 2 and k["repeat_incident_rate_pct"] == 100  # 2 repeats / 2 incidents


def test_reopen_rate_and_breaches():
    evs = lifecycle("fgw", reopen=True, breach=True, escalate=True) + lifecycle("fgw")
    k = _kpis(_ledger(evs), Level.ORGANIZATION, "fgw")
    assert k["tickets_reopened"] == 1 and k["tickets_resolved"] == 3
    assert round(k["reopen_rate_pct"], 3) == round(100 / 3, 3)
    assert k["sla_breaches"] == 1 and k["escalations"] == 1


def test_windows_are_calendar_windows_in_china_standard_time():
    today = date(2026, 11, 25)
    assert kpis.window_buckets("today", today) == ["d2026-11-25"]
    assert len(kpis.window_buckets("7d", today)) == 7 and kpis.window_buckets("7d", today)[-1] == "d2026-11-19"
    assert kpis.window_buckets("quarter", today) == ["m2026-10", "m2026-11"]
    assert kpis.window_buckets("year", today)[0] == "m2026-01" and len(kpis.window_buckets("year", today)) == 11
    # 17:30 UTC on the 24th is already the 25th in Beijing
    assert kpis.buckets_for("2026-11-24T17:30:00+00:00") == ("all", "d2026-11-25", "m2026-11")


def test_windowed_counts_sum_day_buckets():
    evs = lifecycle("fgw", start=datetime(2026, 11, 20, 2, tzinfo=UTC)) + \
        lifecycle("fgw", start=datetime(2026, 11, 24, 2, tzinfo=UTC)) + \
        lifecycle("fgw", start=datetime(2026, 10, 2, 2, tzinfo=UTC))
    led = _ledger(evs)
    today = date(2026, 11, 24)
    assert _kpis(led, Level.ORGANIZATION, "fgw", "today", today)["tickets_created"] == 1
    assert _kpis(led, Level.ORGANIZATION, "fgw", "7d", today)["tickets_created"] == 2
    assert _kpis(led, Level.ORGANIZATION, "fgw", "month", today)["tickets_created"] == 2
    assert _kpis(led, Level.ORGANIZATION, "fgw", "quarter", today)["tickets_created"] == 3
    assert _kpis(led, Level.ORGANIZATION, "fgw", "all", today)["tickets_created"] == 3


def test_p90_from_the_histogram_is_within_the_documented_error():
    rnd = random.Random(11)
    for _ in range(20):
        samples = [rnd.lognormvariate(8, 1.5) for _ in range(rnd.randint(10, 2000))]
        hist: dict[int, float] = {}
        for s in samples:
            hist[kpis.h_index(s)] = hist.get(kpis.h_index(s), 0) + 1
        exact = sorted(samples)[max(0, -(-9 * len(samples) // 10) - 1)]  # nearest rank
        est = kpis.percentile(hist, 0.9)
        assert abs(est - exact) / exact <= 0.0443, (est, exact)


def test_unknown_events_and_other_sources_move_nothing():
    from govkit.events import Envelope

    env = Envelope(id="x", source="ticket", type="govops.ticket.ticket_frobbed.v1", time=T0.isoformat(),
                   subject="t", org_unit_id="fgw", correlationid=None, data={"org_unit_id": "fgw"})
    assert kpis.plan_for(env).flows == [] and kpis.plan_for(env).ticket is None


def test_filter_matches_unit_process_person_and_windows():
    v = kpis.KpiValue(kpis.KpiKey(Level.PROCESS, "fgw/incident", "7d"), "tickets_open", 3, None)
    assert kpis.KpiFilter(org_unit_ids=frozenset({"fgw"}), windows=frozenset({"7d"})).matches(v)
    assert not kpis.KpiFilter(org_unit_ids=frozenset({"fgw"})).matches(v)  # default window is "all"
    assert kpis.KpiFilter(processes=frozenset({"incident"}), windows=frozenset({"7d"})).matches(v)
    assert not kpis.KpiFilter(persons=frozenset({"s1"}), windows=frozenset({"7d"})).matches(v)
    p = kpis.KpiValue(kpis.KpiKey(Level.INDIVIDUAL, "gov/staff/s1"), "tickets_open", 1, None)
    assert kpis.KpiFilter(persons=frozenset({"s1"})).matches(p)


def test_updated_at_stamp_is_utc_and_never_after_the_time_applied():
    from datetime import timedelta, timezone

    from evaluation.handlers import _stamp
    from tests.eval_events import envelope

    cst = timezone(timedelta(hours=8))
    now = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
    past = datetime(2026, 11, 10, 10, 30, 0, 123456, tzinfo=cst)  # 02:30:00.123456 UTC
    ev = envelope("ticket_created", {"id": "t1", "dept": "fgw"}, past)
    assert _stamp(ev, now) == "2026-11-10T02:30:00.123456+00:00"
    future = envelope("ticket_created", {"id": "t2", "dept": "fgw"}, datetime(2026, 11, 10, 20, 0, tzinfo=cst))
    assert _stamp(future, now) == "2026-11-10T04:00:00.000000+00:00"  # 12:00 UTC would be 8 h ahead


def test_a_change_approved_step_by_step_counts_as_one_approved_change():
    from datetime import timedelta

    from tests.eval_events import envelope

    change = {"id": "chg-1", "dept": "fgw", "type": "change", "number": "CHG-2026-000001"}
    evs = [envelope("change_approved", {**change, "status": "awaiting_approval"}, T0, step="department"),
           envelope("change_approved", {**change, "status": "approved"}, T0 + timedelta(minutes=5), step="cab")]
    assert _kpis(_ledger(evs), Level.ORGANIZATION, "fgw")["changes_approved"] == 1
