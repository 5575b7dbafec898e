"""Every nameko event consumer fails the same way: a handler that raises does not lose the event.

The services run in real containers on a real broker and PostgreSQL; the only thing the test
changes is the unit of work, whose inbox check fails once (as when the database goes away in the
middle of a delivery). The event must come back and be applied."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher

from govkit.events import Envelope
from govkit.nameko_ext import UnitOfWork
from tests.outsource_samples import synthetic_month


class _Faults:
    left = 0


def _flaky(worker_cls, uow_cls):
    """The service with a unit of work whose inbox check raises `_Faults.left` times."""

    class FlakyUnitOfWork(uow_cls):
        def seen(self, consumer, event_id):
            if _Faults.left > 0:
                _Faults.left -= 1
                raise RuntimeError("injected: the database went away during delivery")
            return super().seen(consumer, event_id)

    return type(worker_cls.__name__, (worker_cls,), {"uow": UnitOfWork(FlakyUnitOfWork)})


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _budget_payment(engine_for):
    from budget.adapters.uow import BudgetUnitOfWork
    from budget.worker import Service

    engine = engine_for("budget")
    event = Envelope(id="pay-1", source="outsource", type="govops.outsource.payment_recorded.v1",
                     time="2027-05-01T02:00:00+00:00", subject="P-1", org_unit_id="fgw", correlationid="corr-pay",
                     data={"payment_id": "P-1", "contract_id": "HT-1", "project_id": "pr-1", "vendor_id": "v-1",
                           "org_unit_id": "fgw", "milestone_id": "m-1", "fee_category": "hardware_om",
                           "budget_year": 2027, "budget_line_ref": None, "amount": "800.00",
                           "paid_on": "2027-05-01"}).to_dict()
    applied = "SELECT count(*) FROM expenses WHERE external_id = 'outsource:P-1'"
    return _flaky(Service, BudgetUnitOfWork), engine, ("outsource", "payment_recorded", event), applied


def _outsource_ticket_fact(engine_for):
    from outsource.adapters.uow import OutsourceUnitOfWork
    from outsource.worker import Service

    engine = engine_for("outsource")
    event = synthetic_month()[0]
    applied = f"SELECT count(*) FROM ticket_facts WHERE ticket_id = '{event['data']['ticket_id']}'"
    return _flaky(Service, OutsourceUnitOfWork), engine, ("ticket", "ticket_created", event), applied


def _budget_org_replica(engine_for):
    from budget.adapters.uow import BudgetUnitOfWork
    from budget.worker import Service

    engine = engine_for("budget")
    event = Envelope(id="org-1", source="org", type="govops.org.org_unit_created.v1",
                     time="2026-11-25T08:00:00+00:00", subject="wjw", org_unit_id="wjw", correlationid="corr-org",
                     data={"org_unit_id": "wjw", "name": "市卫健委", "parent_id": "gov",
                           "kind": "department"}).to_dict()
    applied = "SELECT count(*) FROM orgdir_units WHERE id = 'wjw' AND parent_id = 'gov'"
    return _flaky(Service, BudgetUnitOfWork), engine, ("org", "org_unit_created", event), applied


@pytest.mark.parametrize("case", [_budget_payment, _outsource_ticket_fact, _budget_org_replica],
                         ids=["budget.on_payment_recorded", "outsource.on_ticket_created",
                              "budget.on_org_unit_created (org directory)"])
def test_an_event_whose_handler_raises_is_redelivered_and_applied_once(case, container_factory, config,
                                                                      engine_for):
    worker_cls, engine, (source, name, event), applied = case(engine_for)
    container = container_factory(worker_cls, config)
    container.start()
    _Faults.left = 1
    event_dispatcher(config)(source, name, event)

    def count():
        with engine.connect() as c:
            return c.execute(sa.text(applied)).scalar()

    assert _wait_for(lambda: count() == 1), "the event was dropped after its handler failed"
    assert _Faults.left == 0
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": event["id"]}).scalar() == 1
