"""Evaluation use cases: `handle(command, uow, caller)`-shaped functions, one per use case.

Live KPIs: record_event / rebuild_live_kpis / check_live_kpis / get_kpis / get_kpi_series.
The nine-grid evaluation system (models, plans, scores, reports, rectification and
accountability) lives in handlers_eval.py and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from govkit.auth import Principal
from govkit.consumers import deliver
from govkit.errors import PermissionDenied, Validator
from govkit.events import Envelope
from govkit.protoconv import decode_page_token, encode_page_token

from .domain import kpis
from .domain.ports import EvaluationUow

CONSUMER = "evaluation.live_kpis"


def _stamp(env: Envelope, now: datetime | None = None) -> str:
    """The `updated_at` an event gives the KPIs it moves: its time in UTC, whatever offset it
    carries, capped at the time it is applied (`now`), so that an event stamped ahead of our
    clock (a producer's skewed clock, local time sent as UTC, seeded future activity) never puts
    a KPI's updated_at in the future. Fixed-width UTC text: Redis keeps the greatest by string."""
    at = min(kpis.parse_time(kpis.occurred_at(env)).astimezone(UTC), now or datetime.now(UTC))
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def keep_fact(env: Envelope, uow: EvaluationUow, on_fact=None) -> None:
    """Keep a new event as a fact (and `on_fact(env, uow)`, e.g. closing a rectification whose
    ticket was resolved), inside the consumer's transaction: the inbox row commits with it."""
    uow.facts.add(env)
    if on_fact is not None:
        on_fact(env, uow)


def move_live_kpis(env: Envelope, uow: EvaluationUow, store, org_cache=None) -> bool:
    """Apply the event to the Redis live KPIs; the store dedupes on the event id inside its atomic
    script, so this runs for redelivered events too. True if Redis had not counted it yet."""
    from .adapters.org import OrgTree

    return store.apply_plan(env.id, _stamp(env), kpis.plan_for(env, OrgTree(uow.conn, org_cache)))


def record_event(env: Envelope, uow: EvaluationUow, store, org_cache=None, on_fact=None) -> bool:
    """Keep the event as a fact and move the live KPIs, each exactly once (the worker's path,
    through govkit.consumers.deliver).

    The fact and the inbox entry commit together in PostgreSQL; the Redis update dedupes on the
    event id inside its own atomic script. If the process dies between the two, the redelivered
    event skips the fact (already seen) and still completes the Redis update."""
    return deliver(uow, CONSUMER, env, lambda e, u: keep_fact(e, u, on_fact),
                   after_commit=lambda e, u: move_live_kpis(e, u, store, org_cache)).after


def record_batch(envs: list[Envelope], uow: EvaluationUow, store, org_cache=None, on_fact=None) -> int:
    """The batched consumer path: many events, one transaction and one Redis pipeline.
    Same guarantees as record_event: facts and inbox commit together, Redis dedupes per event."""
    from .adapters.org import OrgTree

    with uow:
        fresh_ids = uow.facts.record_many(CONSUMER, envs)
        fresh = list({e.id: e for e in envs if e.id in fresh_ids}.values())
        if on_fact is not None:
            # one query for the batch: only events about a tracked ticket reach the hook
            tracked = uow.eval.tracked_tickets({e.data.get("ticket_id") or e.subject for e in fresh
                                                if e.name in ("ticket_resolved", "ticket_closed")})
            for e in fresh:
                if (e.data.get("ticket_id") or e.subject) in tracked:
                    on_fact(e, uow)
        uow.commit()
        tree = OrgTree(uow.conn, org_cache)
        items = [(e.id, _stamp(e), kpis.plan_for(e, tree)) for e in envs]
    return store.apply_many(items)


def rebuild_live_kpis(uow: EvaluationUow, store, batch: int = 1000) -> int:
    """Flush Redis' live KPI state and replay every fact into it. Returns the facts replayed."""
    from .adapters.org import FrozenTree

    store.flush()
    n, items = 0, []
    with uow:
        tree = FrozenTree(uow.conn)
        for env in uow.facts.iter_all():
            items.append((env.id, _stamp(env), kpis.plan_for(env, tree)))
            n += 1
            if len(items) >= batch:
                store.apply_many(items)
                items = []
        store.apply_many(items)
    return n


@dataclass(frozen=True)
class KpiDifference:
    key: str
    field: str
    redis: float | None
    facts: float | None


def check_live_kpis(uow: EvaluationUow, store, tolerance: float = 1e-6) -> tuple[int, list[KpiDifference]]:
    """Recompute every counter from the facts (in memory, same rules) and compare with Redis."""
    from .adapters.kpi_store import hash_key
    from .adapters.org import FrozenTree

    ledger = kpis.Ledger()
    with uow:
        n = ledger.apply_all(uow.facts.iter_all(), FrozenTree(uow.conn))
    expected = {hash_key(k): v for k, v in ledger.hashes.items()}
    actual = store.raw_hashes()
    diffs = []
    for key in sorted(set(expected) | set(actual)):
        e, a = expected.get(key, {}), actual.get(key, {})
        for f in sorted(set(e) | set(a)):
            ev, av = e.get(f, 0.0), a.get(f, 0.0)
            if abs(ev - av) > tolerance:
                diffs.append(KpiDifference(key, f, a.get(f), e.get(f)))
    return n, diffs


def get_kpis(flt: kpis.KpiFilter, store, caller: Principal) -> list[kpis.KpiValue]:
    check_filter(flt)
    return store.snapshot(flt, caller.scope.allows)


KPI_PAGE_DEFAULT = 500
KPI_PAGE_MAX = 1000


def _kpi_order(v: kpis.KpiValue) -> tuple[str, str, str, str]:
    return (v.key.level.value, v.key.subject, v.key.window, v.name)


def _kpi_cursor(value) -> tuple[str, str, str, str]:
    """`parse` for GetKpis page tokens: the (level, subject, window, name) of a page's last KPI."""
    if not (isinstance(value, list) and len(value) == 4 and all(isinstance(x, str) for x in value)):
        raise ValueError("not a KPI cursor")
    return (value[0], value[1], value[2], value[3])


def get_kpis_page(flt: kpis.KpiFilter, store, caller: Principal, page_size: int,
                  page_token: str) -> tuple[list[kpis.KpiValue], str, int]:
    """One page of the snapshot, ordered by (level, subject, window, name); the token is the last
    KPI's key, so a KPI that appears between pages does not shift the later ones. Returns the page,
    the next token ("" on the last page) and the number of matching KPIs."""
    v = Validator()
    if page_size < 0:
        v.fail("page.page_size", "must not be negative")
    v.check()
    size = min(page_size or KPI_PAGE_DEFAULT, KPI_PAGE_MAX)
    after = decode_page_token(page_token, _kpi_cursor)
    values = sorted(get_kpis(flt, store, caller), key=_kpi_order)
    rest = [x for x in values if after is None or _kpi_order(x) > after]
    page = rest[:size]
    token = encode_page_token(list(_kpi_order(page[-1]))) if len(rest) > size else ""
    return page, token, len(values)


def check_filter(flt: kpis.KpiFilter) -> None:
    v = Validator()
    for w in flt.windows:
        if w not in kpis.WINDOWS:
            v.fail("filter.windows", f"unknown window {w!r}; one of {', '.join(kpis.WINDOWS)}")
    for n in flt.names:
        if n not in kpis.KPI_NAMES:
            v.fail("filter.names", f"unknown KPI {n!r}")
    v.check()


@dataclass(frozen=True)
class GetKpiSeries:
    level: kpis.Level | None
    subject: str
    names: frozenset[str]
    start: date | None
    end: date | None


MAX_SERIES_DAYS = 400


def get_kpi_series(cmd: GetKpiSeries, store, caller: Principal):
    """Daily values of one subject's KPIs over [start, end] (local calendar days)."""
    v = Validator()
    if cmd.level is None:
        v.fail("level", "must be set")
    if not cmd.subject:
        v.fail("subject", "must not be empty")
    if cmd.start is None:
        v.fail("start_date", "must be set")
    if cmd.end is None:
        v.fail("end_date", "must be set")
    if cmd.start and cmd.end:
        if cmd.end < cmd.start:
            v.fail("end_date", "must not be before start_date")
        elif (cmd.end - cmd.start).days + 1 > MAX_SERIES_DAYS:
            v.fail("end_date", f"a series spans at most {MAX_SERIES_DAYS} days")
    for n in cmd.names:
        if n not in kpis.KPI_NAMES:
            v.fail("names", f"unknown KPI {n!r}")
    v.check()
    if not caller.scope.allows(kpis.org_unit_of(cmd.subject)):
        raise PermissionDenied(f"{kpis.org_unit_of(cmd.subject)} is outside the caller's scope")
    days = [cmd.start + timedelta(days=i) for i in range((cmd.end - cmd.start).days + 1)]
    return store.series(cmd.level, cmd.subject, days, set(cmd.names))




VENDOR_CONSUMER = "evaluation.vendor_results"


def apply_vendor_report(env: Envelope, uow: EvaluationUow) -> bool:
    """outsource.vendor_sla_reported → the vendor's result for the period, inside the consumer's
    transaction; a regenerated report (same report id, later time) replaces the earlier figures.
    True if these figures are kept (newest)."""
    from .domain.vendors import from_event

    return uow.vendor_results.save_newest(from_event(env))


def record_vendor_report(env: Envelope, uow: EvaluationUow) -> bool:
    """`apply_vendor_report` exactly once per envelope; False for a seen or superseded report."""
    d = deliver(uow, VENDOR_CONSUMER, env, apply_vendor_report)
    return d.new and d.result


def list_vendor_results(uow: EvaluationUow, caller: Principal, *, vendor_id: str = "", since=None, until=None,
                        org_unit_id: str = ""):
    """Vendor results of the contracts owned by units in the caller's scope (and `org_unit_id`)."""
    with uow:
        return uow.vendor_results.list(caller.scope, vendor_id=vendor_id, since=since, until=until,
                                       org_unit_id=org_unit_id)
