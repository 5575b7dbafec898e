"""docs/budget.md "Not done yet" on real PostgreSQL: outsource.contract_amended changes the
commitment of the contract (migration 0009 stores the contract version): an increase that fits the
available amount stays committed with the new amount (and its payments are counted), one beyond it
is refused, a decrease frees budget, a stale version and an unknown contract change nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa

from budget import handlers
from budget.domain.commands import ApproveOverBudget
from govkit.auth import Principal, Scope
from govkit.events import Envelope
from tests.integration.test_budget_commitments_db import _hardware, _payment, _signed, budget_db  # noqa: F401


def _amended(event_id, contract_id, version, amount):
    return Envelope(id=event_id, source="outsource", type="govops.outsource.contract_amended.v1",
                    time="2027-03-01T02:00:00+00:00", subject=contract_id, org_unit_id="fgw", correlationid="c",
                    data={"contract_id": contract_id, "version": version, "amount": amount, "ends_on": "2027-12-31",
                          "reason": "扩容"})


def _commitment(engine, contract_id):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT state, amount, contract_version FROM commitments WHERE contract_id = :c"),
                         {"c": contract_id}).one()


def _outbox(engine):
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT type, envelope FROM outbox ORDER BY seq")).all()
    return [(t.split(".")[2], (e if isinstance(e, dict) else json.loads(e))["data"]) for t, e in rows]


def test_an_amendment_within_the_available_amount_is_committed_with_the_new_amount(budget_db):  # noqa: F811
    engine, budget_id, uow = budget_db
    hardware = _hardware(uow, budget_id)
    assert handlers.on_contract_signed(_signed("s1", "HT-1", "1000.00"), uow()) == "committed"
    raised = str(hardware)                                   # the increase is exactly what is left
    assert handlers.on_contract_amended(_amended("a1", "HT-1", 2, raised), uow()) == "committed"
    assert handlers.on_contract_amended(_amended("a1", "HT-1", 2, raised), uow()) == "duplicate"
    assert _commitment(engine, "HT-1") == ("open", hardware, 2)
    kind, data = _outbox(engine)[-1]
    assert kind == "commitment_recorded" and (data["amount"], data["contract_version"]) == (raised, 2)
    # a payment of the whole amended amount consumes the commitment (beyond the old amount: no available left)
    assert handlers.on_payment_recorded(_payment("e1", "P-1", raised), uow()) == "recorded"


def test_an_amendment_beyond_the_available_amount_is_refused(budget_db):  # noqa: F811
    engine, budget_id, uow = budget_db
    hardware = _hardware(uow, budget_id)
    handlers.on_contract_signed(_signed("s1", "HT-1", "1000.00"), uow())
    beyond = str(hardware + Decimal("0.01"))
    assert handlers.on_contract_amended(_amended("a1", "HT-1", 2, beyond), uow()) == "over_budget"
    assert _commitment(engine, "HT-1") == ("over_budget", Decimal(beyond), 2)
    kind, data = _outbox(engine)[-1]
    assert kind == "commitment_refused" and data["contract_version"] == 2 and "0.01" in data["reason"]
    assert handlers.on_payment_recorded(_payment("e1", "P-1", "10.00"), uow()) == "blocked"


def test_an_amendment_down_frees_budget_and_a_stale_or_unknown_one_changes_nothing(budget_db):  # noqa: F811
    engine, budget_id, uow = budget_db
    hardware = _hardware(uow, budget_id)
    handlers.on_contract_signed(_signed("s1", "HT-1", str(hardware)), uow())
    assert handlers.on_contract_signed(_signed("s2", "HT-2", "300.00"), uow()) == "over_budget"
    assert handlers.on_contract_amended(_amended("a3", "HT-1", 3, "500.00"), uow()) == "committed"
    assert _commitment(engine, "HT-1") == ("open", Decimal("500.00"), 3)
    assert handlers.on_contract_amended(_amended("a2", "HT-1", 2, str(hardware)), uow()) == "stale"
    assert _commitment(engine, "HT-1") == ("open", Decimal("500.00"), 3)
    # the refused contract is decided again with its amended amount: it fits now
    assert handlers.on_contract_amended(_amended("b2", "HT-2", 2, "250.00"), uow()) == "committed"
    assert _commitment(engine, "HT-2") == ("open", Decimal("250.00"), 2)
    assert handlers.on_contract_amended(_amended("x2", "HT-404", 2, "1.00"), uow()) == "unknown_contract"
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM commitments")).scalar() == 2


def test_an_approved_overrun_needs_a_new_approval_for_an_increase_beyond_the_available_amount(budget_db):  # noqa: F811
    engine, budget_id, uow = budget_db
    hardware = _hardware(uow, budget_id)
    over = str(hardware + Decimal("100.00"))
    assert handlers.on_contract_signed(_signed("s1", "HT-1", over), uow()) == "over_budget"
    with engine.connect() as c:
        commitment_id = c.execute(sa.text("SELECT id::text FROM commitments")).scalar_one()
    finance = Principal("finance", "finance", (), frozenset({"*"}), Scope(None))
    handlers.approve_over_budget(ApproveOverBudget(commitment_id, "追加预算已报批"), uow(), finance)
    # available is -100.00 now: a decrease stays approved, any increase beyond it needs a new approval
    assert handlers.on_contract_amended(_amended("a2", "HT-1", 2, str(hardware + Decimal("50.00"))), uow()) == \
        "approved"
    assert _commitment(engine, "HT-1") == ("approved", hardware + Decimal("50.00"), 2)
    assert handlers.on_contract_amended(_amended("a3", "HT-1", 3, over), uow()) == "over_budget"
    assert _commitment(engine, "HT-1") == ("over_budget", Decimal(over), 3)
    kind, data = _outbox(engine)[-1]
    assert kind == "commitment_refused" and data["contract_version"] == 3 and "earlier approval" in data["reason"]
    handlers.approve_over_budget(ApproveOverBudget(commitment_id, "再次追加"), uow(), finance)
    kind, data = _outbox(engine)[-1]
    assert kind == "commitment_approved" and data["contract_version"] == 3
