"""Evaluation use cases."""

from __future__ import annotations

from govkit.auth import Principal
from govkit.events import Envelope

from .domain import kpis

CONSUMER = "evaluation.live_kpis"


def record_event(env: Envelope, uow, store) -> bool:
    """Keep the event as a fact and move the live KPIs, each exactly once.

    The fact and the inbox entry commit together in PostgreSQL; the Redis update dedupes on the
    event id inside its own atomic script. If the process dies between the two, the redelivered
    event skips the fact (already seen) and still completes the Redis update."""
    with uow:
        if not uow.seen(CONSUMER, env.id):
            uow.facts.add(env)
            uow.commit()
    return store.apply(env.id, env.time, kpis.deltas_for(env))


def get_kpis(flt: kpis.KpiFilter, store, caller: Principal) -> list[kpis.KpiValue]:
    return store.snapshot(flt, caller.scope.allows)


def rebuild_live_kpis(uow, store) -> int:
    """Flush Redis' live KPI state and replay every fact into it. Returns the facts replayed."""
    store.flush()
    n = 0
    with uow:
        for env in uow.facts.iter_all():
            store.apply(env.id, env.time, kpis.deltas_for(env))
            n += 1
    return n
