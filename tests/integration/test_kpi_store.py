"""Live KPIs in the real Redis, and the evaluation consumer's exactly-once effect."""

from __future__ import annotations

import threading

from evaluation import handlers
from evaluation.adapters.kpi_store import KpiHub, KpiStore
from evaluation.adapters.uow import EvaluationUnitOfWork
from evaluation.domain.kpis import KpiFilter, Level
from govkit.events import Envelope

ORG = KpiFilter(level=Level.ORGANIZATION)


def _env(i: int, dept: str) -> Envelope:
    return Envelope(id=f"evt-{i}", source="ticket", type="govops.ticket.ticket_created.v1",
                    time="2026-11-25T08:00:00+00:00", subject=f"t{i}", org_unit_id=dept, correlationid="c",
                    data={"ticket_id": f"t{i}", "org_unit_id": dept})


def _values(store):
    return {(v.key.subject, v.name): v.value for v in store.snapshot(ORG, lambda s: True)}


def test_duplicates_change_nothing_and_watchers_see_each_change(engine_for, redis_client):
    engine = engine_for("evaluation")
    store = KpiStore(redis_client)
    hub = KpiHub(redis_client)
    changes = hub.subscribe(ORG)
    try:
        assert handlers.record_event(_env(1, "fgw"), EvaluationUnitOfWork(engine), store)
        assert not handlers.record_event(_env(1, "fgw"), EvaluationUnitOfWork(engine), store)
        assert handlers.record_event(_env(2, "fgw"), EvaluationUnitOfWork(engine), store)
        assert _values(store) == {("fgw", "tickets_created"): 2, ("fgw", "tickets_open"): 2}
        first = changes.get(timeout=5)
        second = changes.get(timeout=5)
        assert [(v.name, v.value) for v in first] == [("tickets_created", 1), ("tickets_open", 1)]
        assert [(v.name, v.value) for v in second] == [("tickets_created", 2), ("tickets_open", 2)]
        assert changes.empty()  # the duplicate published nothing
    finally:
        hub.unsubscribe(changes)
        hub.stop()
    with engine.connect() as c:
        import sqlalchemy as sa

        assert c.execute(sa.text("SELECT count(*) FROM facts")).scalar() == 2


def test_concurrent_duplicate_deliveries_count_once(engine_for, redis_client):
    engine = engine_for("evaluation")
    store = KpiStore(redis_client)
    events = [_env(i, "czj") for i in range(50)]

    def deliver():
        for e in events:
            handlers.record_event(e, EvaluationUnitOfWork(engine), store)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _values(store)[("czj", "tickets_created")] == 50


def test_redis_flush_is_repaired_by_rebuilding_from_facts(engine_for, redis_client):
    engine = engine_for("evaluation")
    store = KpiStore(redis_client)
    for i in range(30):
        handlers.record_event(_env(i, "gaj" if i % 3 else "wjw"), EvaluationUnitOfWork(engine), store)
    before = _values(store)
    redis_client.flushdb()
    assert _values(store) == {}
    assert handlers.rebuild_live_kpis(EvaluationUnitOfWork(engine), store) == 30
    assert _values(store) == before
    # and a redelivery after the rebuild still counts nothing twice
    handlers.record_event(_env(0, "wjw"), EvaluationUnitOfWork(engine), store)
    assert _values(store) == before


def test_fact_recorded_but_redis_missed_is_completed_on_redelivery(engine_for, redis_client):
    """The process died after the PostgreSQL commit and before the Redis update."""
    engine = engine_for("evaluation")
    store = KpiStore(redis_client)
    env = _env(7, "fgw")
    with EvaluationUnitOfWork(engine) as uow:
        assert not uow.seen(handlers.CONSUMER, env.id)
        uow.facts.add(env)
        uow.commit()
    assert _values(store) == {}
    assert handlers.record_event(env, EvaluationUnitOfWork(engine), store)
    assert _values(store) == {("fgw", "tickets_created"): 1, ("fgw", "tickets_open"): 1}


def test_the_batched_path_gives_the_numbers_of_one_event_at_a_time(engine_for, redis_client):
    from tests.eval_events import mixed

    engine = engine_for("evaluation")
    store = KpiStore(redis_client)
    events = mixed(20, seed=4)
    for e in events:
        handlers.record_event(e, EvaluationUnitOfWork(engine), store)
    one_by_one = store.raw_hashes()
    redis_client.flushdb()
    with engine.begin() as c:
        import sqlalchemy as sa

        c.execute(sa.text("TRUNCATE facts, inbox"))
    batches = [events[i:i + 37] + events[i:i + 5] for i in range(0, len(events), 37)]  # with duplicates
    for b in batches:
        handlers.record_batch(b, EvaluationUnitOfWork(engine), store)
    handlers.record_batch(events[:50], EvaluationUnitOfWork(engine), store)  # a redelivered batch
    assert store.raw_hashes() == one_by_one
    assert handlers.check_live_kpis(EvaluationUnitOfWork(engine), store)[1] == []


def test_each_stream_gets_what_it_has_not_been_sent(engine_for, redis_client):
    """A stream that starts later still sees a value equal to one another stream already got."""
    engine = engine_for("evaluation")
    store = KpiStore(redis_client)
    hub = KpiHub(redis_client)
    flt = KpiFilter(level=Level.ORGANIZATION, names=frozenset({"tickets_created"}))
    first = hub.subscribe(flt)
    try:
        handlers.record_event(_env(1, "fgw"), EvaluationUnitOfWork(engine), store)
        assert [(v.key.subject, v.value) for v in first.get(timeout=5)] == [("fgw", 1)]
        redis_client.flushdb()  # e.g. before a rebuild: the value comes back to 1
        second = hub.subscribe(flt)
        handlers.record_event(_env(2, "fgw"), EvaluationUnitOfWork(engine), store)
        assert [(v.key.subject, v.value) for v in second.get(timeout=5)] == [("fgw", 1)]
        assert first.empty()  # unchanged for the first stream
        hub.unsubscribe(second)
    finally:
        hub.unsubscribe(first)
        hub.stop()
