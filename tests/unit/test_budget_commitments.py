"""Issue 12 item 5 — budgets that control spending, against the in-memory unit of work: a signed
contract commits (预算承诺) its amount in its fee category, payments consume the commitment, a
commitment or payment beyond the available amount is refused until a different person records
an over-budget approval (超预算审批) with a reason, and non-O&M (construction, planning) payments
are never O&M spending."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budget import handlers
from budget.domain import commitments as cm
from budget.domain.commands import ApproveOverBudget
from govkit.auth import Principal, Scope
from govkit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from govkit.events import Envelope
from tests.unit.budget_fakes import FakeUnitOfWork
from tests.unit.test_budget_handlers import _approved_budget, _payment


def approver(subject="finance", perms=("budget.approve", "budget.read"), units=None):
    scope = Scope(None) if units is None else Scope(frozenset(units))
    return Principal(subject, subject, (), frozenset(perms), scope)


def _signed(event_id="s1", contract_id="c1", amount="600.00", kind="om", category="hardware_om", unit="fgw",
            signed_by="zhangw", year=2027):
    data = {"contract_id": contract_id, "project_id": "pr1", "vendor_id": "v1", "org_unit_id": unit,
            "amount": amount, "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31", "vendor_group_id": None,
            "project_kind": kind, "fee_category": category, "budget_year": year, "signed_by": signed_by}
    return Envelope(id=event_id, source="outsource", type="govops.outsource.contract_signed.v1",
                    time="2027-01-02T02:00:00+00:00", subject=contract_id, org_unit_id=unit, correlationid=None,
                    data=data)


def _names(uow):
    return [e.event_name() for e in uow.published]


# ---- the domain rules ------------------------------------------------------------------------
def test_available_is_budgeted_less_spent_less_open_commitments_remaining():
    assert cm.available(Decimal("1000"), Decimal("200"), Decimal("300")) == Decimal("500.00")
    assert cm.available(Decimal("1000"), Decimal("900"), Decimal("300")) == Decimal("-200.00")
    c = cm.Commitment(id="k", contract_id="c", budget_id="b", org_unit_id="u", year=2027, fee_category="hardware_om",
                      amount=Decimal("600.00"), state=cm.OPEN, signed_by="s", paid=Decimal("250.00"))
    assert c.remaining == Decimal("350.00") and c.counts
    assert cm.decide(Decimal("500.00"), Decimal("500.00")) == cm.OPEN
    assert cm.decide(Decimal("500.01"), Decimal("500.00")) == cm.OVER_BUDGET


def test_a_payment_consumes_its_commitment_first_and_needs_the_available_amount_beyond_it():
    c = cm.Commitment(id="k", contract_id="c", budget_id="b", org_unit_id="u", year=2027, fee_category="hardware_om",
                      amount=Decimal("600.00"), state=cm.OPEN, signed_by="s", paid=Decimal("500.00"))
    assert cm.payment_decision(c, Decimal("100.00"), Decimal("0.00"))[0] == cm.COUNTED
    assert cm.payment_decision(c, Decimal("150.00"), Decimal("50.00"))[0] == cm.COUNTED
    assert cm.payment_decision(c, Decimal("150.01"), Decimal("50.00"))[0] == cm.BLOCKED
    assert cm.payment_decision(None, Decimal("10.00"), Decimal("10.00"))[0] == cm.COUNTED
    status, reason = cm.payment_decision(None, Decimal("10.01"), Decimal("10.00"))
    assert status == cm.BLOCKED and "available" in reason
    refused = cm.Commitment(id="k", contract_id="c", budget_id="b", org_unit_id="u", year=2027,
                            fee_category="hardware_om", amount=Decimal("600.00"), state=cm.OVER_BUDGET,
                            signed_by="s")
    status, reason = cm.payment_decision(refused, Decimal("1.00"), Decimal("99999.00"))
    assert status == cm.BLOCKED and "over-budget approval" in reason


# ---- non-O&M payments (the seen defect) -----------------------------------------------------
def test_a_construction_payment_is_not_booked_as_om_spending():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    seen = _payment(amount="1500000.00", project_kind="construction", fee_category="")
    assert handlers.on_payment_recorded(seen, uow) == "not_om"
    [e] = uow.committed["expenses"]
    assert e.status == "not_om" and e.budget_id is None and e.amount == Decimal("1500000.00")
    with uow:
        assert uow.budgets.spent("b1")[2] == Decimal("0.00")
    assert "budget_exceeded" not in _names(uow)
    # the old payload (no project_kind) still names an O&M category and is O&M spending
    assert handlers.on_payment_recorded(_payment("e2", "p2", amount="100.00"), uow) == "recorded"


# ---- commitments -----------------------------------------------------------------------------
def test_a_signed_contract_commits_budget_and_shows_in_execution():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    assert handlers.on_contract_signed(_signed(), uow) == "committed"
    assert handlers.on_contract_signed(_signed(), uow) == "duplicate"
    assert handlers.on_contract_signed(_signed("s2"), uow) == "duplicate"          # same contract, new envelope
    [c] = uow.committed["commitments"].values()
    assert (c.state, c.amount, c.fee_category, c.budget_id) == ("open", Decimal("600.00"), "hardware_om", "b1")
    assert _names(uow) == ["commitment_recorded"]
    x = handlers.execution("b1", uow, approver())
    assert x.committed_by_category == {"hardware_om": Decimal("600.00")}
    assert x.available_by_category["hardware_om"] == Decimal("400.00") and x.total_available == Decimal("400.00")


def test_a_non_om_contract_commits_nothing():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    assert handlers.on_contract_signed(_signed(kind="construction", category=""), uow) == "not_om"
    assert uow.committed["commitments"] == {} and uow.published == []


def test_payments_consume_their_commitment_and_never_count_twice():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    handlers.on_contract_signed(_signed(), uow)
    assert handlers.on_payment_recorded(_payment(amount="250.00", project_kind="om"), uow) == "recorded"
    x = handlers.execution("b1", uow, approver())
    assert x.by_category == {"hardware_om": Decimal("250.00")}
    assert x.committed_by_category == {"hardware_om": Decimal("350.00")}
    assert x.total_available == Decimal("400.00")                                  # unchanged by the payment
    [c] = x.commitments
    assert c.paid == Decimal("250.00") and c.remaining == Decimal("350.00")
    assert uow.committed["expenses"][0].commitment_id == c.id


def test_an_over_budget_contract_is_refused_until_another_person_approves_it_with_a_reason():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    assert handlers.on_contract_signed(_signed(amount="1200.00"), uow) == "over_budget"
    [c] = uow.committed["commitments"].values()
    assert c.state == "over_budget" and "available 1000.00" in c.reason
    [refused] = uow.published
    assert refused.event_name() == "commitment_refused" and refused.commitment_id == c.id
    # not counted against available before approval
    assert handlers.execution("b1", uow, approver()).total_available == Decimal("1000.00")
    # a payment on it is refused at budget's side too: kept as blocked, not counted
    assert handlers.on_payment_recorded(_payment(amount="100.00", project_kind="om"), uow) == "blocked"
    assert uow.committed["expenses"][0].status == "blocked"
    with uow:
        assert uow.budgets.spent("b1")[2] == Decimal("0.00")
    with pytest.raises(InvalidArgument) as err:
        handlers.approve_over_budget(ApproveOverBudget(c.id, "  "), uow, approver())
    assert err.value.violations[0].field == "reason"
    with pytest.raises(PermissionDenied, match="separation of duties"):
        handlers.approve_over_budget(ApproveOverBudget(c.id, "追加预算已报批"), uow, approver("zhangw"))
    with pytest.raises(PermissionDenied, match="budget.approve"):
        handlers.approve_over_budget(ApproveOverBudget(c.id, "追加预算已报批"), uow, approver(perms=("budget.read",)))
    with pytest.raises(NotFound):
        handlers.approve_over_budget(ApproveOverBudget(c.id, "追加预算已报批"), uow.scoped(["czj"]),
                                     approver(units=["czj"]))
    done = handlers.approve_over_budget(ApproveOverBudget(c.id, "追加预算已报批"), uow, approver())
    assert (done.state, done.approved_by, done.approval_reason) == ("approved", "finance", "追加预算已报批")
    assert uow.published[-1].event_name() == "commitment_approved"
    with pytest.raises(FailedPrecondition):
        handlers.approve_over_budget(ApproveOverBudget(c.id, "again"), uow, approver())
    # approved: it counts, and its payments are spending
    assert handlers.execution("b1", uow, approver()).total_available == Decimal("-200.00")
    assert handlers.on_payment_recorded(_payment("e9", "p9", amount="100.00", project_kind="om"), uow) == "recorded"


def test_a_payment_without_a_commitment_beyond_the_available_amount_is_blocked():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    handlers.on_contract_signed(_signed(contract_id="c-other", amount="900.00"), uow)
    assert handlers.on_payment_recorded(_payment(amount="100.00", project_kind="om"), uow) == "recorded"
    assert handlers.on_payment_recorded(_payment("e2", "p2", amount="0.01", project_kind="om"), uow) == "blocked"
    blocked = uow.committed["expenses"][-1]
    assert blocked.status == "blocked" and blocked.budget_id == "b1"
    x = handlers.execution("b1", uow, approver())
    assert x.total_spent == Decimal("100.00") and x.total_available == Decimal("0.00")
