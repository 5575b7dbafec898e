"""outsource-worker as a nameko container on a real broker: ticket events in (synthesized as the
ticket contract describes them), facts idempotent, the SLA report identical after redelivery;
the relay publishes the report's events."""

from __future__ import annotations

import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from outsource.worker import Service as OutsourceWorker
from tests.org_units import seed_test_units
from tests.outsource_samples import signed_contract, synthetic_month


def _deliver(container, dispatch, events):
    for e in events:
        name = e["type"].split(".")[2]
        handler = "on_sla_breached" if name == "sla_breached" else f"on_{name}"
        with entrypoint_waiter(container, handler, timeout=10):
            dispatch("ticket", name, e)


def _facts(engine):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT ticket_id, priority, group_id, vendor_id, created_at, response_seconds, resolution_seconds, "
            "response_breached, resolution_breached FROM ticket_facts ORDER BY ticket_id"))]


def test_ticket_events_become_facts_and_a_report_that_redelivery_does_not_change(container_factory, config,
                                                                                  engine_for):
    engine = engine_for("outsource")
    seed_test_units(engine)
    contract = signed_contract(engine)
    container = container_factory(OutsourceWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    events = synthetic_month()
    _deliver(container, dispatch, events)
    facts = _facts(engine)
    assert len(facts) == 22
    with entrypoint_hook(container, "generate_sla_report") as generate:
        first = generate(contract.id, "2026-11-01", "2026-11-30")
    assert (first["tickets"], first["breaches"], first["penalty_total"]) == (20, 3, "1200.00")
    # redelivered, in reverse order: nothing changes
    _deliver(container, dispatch, list(reversed(events)))
    assert _facts(engine) == facts
    with entrypoint_hook(container, "generate_sla_report") as generate:
        second = generate(contract.id, "2026-11-01", "2026-11-30")
    assert {k: v for k, v in second.items() if k != "generated_at"} == \
        {k: v for k, v in first.items() if k != "generated_at"}
    with entrypoint_hook(container, "vendor_scorecard") as scorecard:
        card = scorecard("vendor-hx", "2026-11-01", "2026-11-30")
    assert (card["tickets"], card["penalty_total"]) == (20, "1200.00")


def test_daily_check_warns_of_expiring_qualifications_through_the_relay(container_factory, config, engine_for):
    import time
    from datetime import timedelta

    from govkit.auth import SYSTEM
    from outsource import handlers
    from outsource.adapters.uow import OutsourceUnitOfWork
    from outsource.domain import commands as c

    engine = engine_for("outsource")
    seed_test_units(engine)
    uow = lambda: OutsourceUnitOfWork(engine)  # noqa: E731
    handlers.register_vendor(c.RegisterVendor("vendor-hx", "华信科技服务有限公司", "91110108551385082Q", "om-centre"),
                             uow(), SYSTEM)
    handlers.add_qualification(c.AddQualification("vendor-hx", "ITSS", "A-1", "", handlers.today() + timedelta(days=5)),
                               uow(), SYSTEM)
    container = container_factory(OutsourceWorker, config)
    container.start()  # the timer is eager: the check runs at start, then daily

    def sent():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT envelope FROM outbox WHERE type LIKE '%qualification_expiring%' "
                                        "AND sent_at IS NOT NULL")).scalars().all()

    deadline = time.monotonic() + 15
    while not sent() and time.monotonic() < deadline:
        time.sleep(0.05)
    [event] = sent()
    assert (event["data"]["days_left"], event["orgunitid"]) == (5, "om-centre")
    with entrypoint_hook(container, "check_qualifications") as check:
        check()  # again the same day: nothing new
    assert len(sent()) == 1
