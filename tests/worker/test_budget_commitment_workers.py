"""Issue 12 item 5 on a real broker and PostgreSQL: budget-worker turns outsource's
contract_signed into one commitment however often it is delivered; outsource-worker learns
budget's decision (refused → blocked, approved → approved, a late refusal changes nothing);
ticket-worker opens one ticket per (budget, scope) for budget_exceeded."""

from __future__ import annotations

import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from budget.worker import Service as BudgetWorker
from govkit.events import Envelope
from outsource.worker import Service as OutsourceWorker
from tests.integration.test_ticket_budget_exceeded import _exceeded, _org
from tests.org_units import seed_test_units
from tests.outsource_samples import signed_contract
from tests.worker.test_budget_worker import _approved_budget
from ticket.worker import Service as TicketWorker


def _signed(event_id, contract_id, amount):
    return Envelope(id=event_id, source="outsource", type="govops.outsource.contract_signed.v1",
                    time="2027-01-02T02:00:00+00:00", subject=contract_id, org_unit_id="fgw", correlationid="c",
                    data={"contract_id": contract_id, "project_id": "pr-1", "vendor_id": "v-1", "org_unit_id": "fgw",
                          "amount": amount, "starts_on": "2027-01-01", "ends_on": "2027-12-31",
                          "vendor_group_id": None, "project_kind": "om", "fee_category": "hardware_om",
                          "budget_year": 2027, "signed_by": "zhangw"}).to_dict()


def test_a_signed_contract_commits_budget_once(container_factory, config, engine_for):
    engine = engine_for("budget")
    _approved_budget(engine)
    container = container_factory(BudgetWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    for event_id, contract_id, amount in (("s1", "HT-1", "100.00"), ("s1", "HT-1", "100.00"),
                                          ("s2", "HT-1", "100.00"), ("s3", "HT-2", "99999999.00")):
        with entrypoint_waiter(container, "on_contract_signed"):
            dispatch("outsource", "contract_signed", _signed(event_id, contract_id, amount))
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT contract_id, state, amount::text FROM commitments ORDER BY contract_id")
                         ).all() == [("HT-1", "open", "100.00"), ("HT-2", "over_budget", "99999999.00")]
        types = c.execute(sa.text("SELECT type FROM outbox WHERE type LIKE '%commitment%' ORDER BY seq")).scalars()
        assert [t.split(".")[2] for t in types] == ["commitment_recorded", "commitment_refused"]


def test_an_amendment_changes_the_commitment_once(container_factory, config, engine_for):
    engine = engine_for("budget")
    _approved_budget(engine)
    container = container_factory(BudgetWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    with entrypoint_waiter(container, "on_contract_signed"):
        dispatch("outsource", "contract_signed", _signed("s1", "HT-1", "100.00"))
    for event_id, version, amount in (("a2", 2, "150.00"), ("a2", 2, "150.00"), ("a1", 1, "900.00")):
        amended = Envelope(id=event_id, source="outsource", type="govops.outsource.contract_amended.v1",
                           time="2027-03-01T02:00:00+00:00", subject="HT-1", org_unit_id="fgw", correlationid="c",
                           data={"contract_id": "HT-1", "version": version, "amount": amount,
                                 "ends_on": "2027-12-31", "reason": "扩容"}).to_dict()
        with entrypoint_waiter(container, "on_contract_amended"):
            dispatch("outsource", "contract_amended", amended)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT state, amount::text, contract_version FROM commitments")).all() == [
            ("open", "150.00", 2)]
        types = c.execute(sa.text("SELECT type FROM outbox WHERE type LIKE '%commitment%' ORDER BY seq")).scalars()
        assert [t.split(".")[2] for t in types] == ["commitment_recorded", "commitment_recorded"]


def _decision(name, event_id, contract_id):
    return Envelope(id=event_id, source="budget", type=f"govops.budget.{name}.v1", time="2026-01-02T00:00:00+00:00",
                    subject="K-1", org_unit_id="om-centre", correlationid="c",
                    data={"commitment_id": "K-1", "contract_id": contract_id, "project_id": "p", "budget_id": "b",
                          "org_unit_id": "om-centre", "year": 2026, "fee_category": "software_om",
                          "amount": "480000.00", "available": "0.00", "reason": "超出可用预算",
                          "approved_by": "finance"}).to_dict()


def test_outsource_learns_budgets_decision(container_factory, config, engine_for):
    engine = engine_for("outsource")
    seed_test_units(engine)  # projects name units org holds (govkit.units)
    contract = signed_contract(engine)
    container = container_factory(OutsourceWorker, config)
    container.start()
    dispatch = event_dispatcher(config)

    def status():
        with engine.connect() as c:
            return c.execute(sa.text("SELECT budget_status, commitment_id FROM contracts")).one()

    with entrypoint_waiter(container, "on_commitment_refused"):
        dispatch("budget", "commitment_refused", _decision("commitment_refused", "r1", contract.id))
    assert status() == ("blocked", "K-1")
    with entrypoint_waiter(container, "on_commitment_approved"):
        dispatch("budget", "commitment_approved", _decision("commitment_approved", "a1", contract.id))
    with entrypoint_waiter(container, "on_commitment_refused"):
        dispatch("budget", "commitment_refused", _decision("commitment_refused", "r2", contract.id))
    assert status() == ("approved", "K-1")


def test_budget_exceeded_opens_one_ticket(container_factory, config, engine_for):
    engine = engine_for("ticket")
    _org(engine, finance=True)
    container = container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS="127.0.0.1:0"))
    container.start()
    dispatch = event_dispatcher(config)
    for event_id in ("x1", "x1", "x2"):
        with entrypoint_waiter(container, "on_budget_exceeded"):
            dispatch("budget", "budget_exceeded", _exceeded(event_id).to_dict())
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT assignee FROM tickets WHERE ticket_type = 'request'")).scalars().all() \
            == ["F900"]
