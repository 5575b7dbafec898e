"""docs/budget.md "Not done yet": an amendment (outsource.contract_amended) did not change the
commitment's amount, so a payment beyond the signed amount needed the available amount. Budget now
applies a newer contract version's amount to the commitment (cm.amend), against the in-memory unit
of work."""

from __future__ import annotations

from decimal import Decimal

from budget import handlers
from budget.domain import commitments as cm
from budget.domain.commands import ApproveOverBudget
from govkit.events import Envelope
from tests.unit.budget_fakes import FakeUnitOfWork
from tests.unit.test_budget_commitments import _names, _signed, approver
from tests.unit.test_budget_handlers import _approved_budget, _payment


def _amended(event_id="a1", contract_id="c1", version=2, amount="800.00"):
    data = {"contract_id": contract_id, "version": version, "amount": amount, "ends_on": "2027-12-31",
            "reason": "扩容"}
    return Envelope(id=event_id, source="outsource", type="govops.outsource.contract_amended.v1",
                    time="2027-03-01T02:00:00+00:00", subject=contract_id, org_unit_id="fgw", correlationid=None,
                    data=data)


def _c(amount="600.00", state=cm.OPEN, paid="0.00", version=1, **kw):
    return cm.Commitment(id="k", contract_id="c", budget_id="b", org_unit_id="u", year=2027,
                         fee_category="hardware_om", amount=Decimal(amount), state=state, signed_by="s",
                         paid=Decimal(paid), contract_version=version, **kw)


# ---- the pure decision ----------------------------------------------------------------------
def test_an_amendment_not_newer_than_the_commitment_changes_nothing():
    assert cm.amend(_c(version=2), 2, Decimal("900.00"), Decimal("1000.00")) is None
    assert cm.amend(_c(version=3), 2, Decimal("900.00"), Decimal("1000.00")) is None


def test_an_increase_of_an_open_commitment_needs_only_the_increase_available():
    # available 400 already counts the commitment's own remaining 600: the increase 400 fits
    new = cm.amend(_c(), 2, Decimal("1000.00"), Decimal("400.00"))
    assert (new.state, new.amount, new.contract_version) == (cm.OPEN, Decimal("1000.00"), 2)
    over = cm.amend(_c(), 2, Decimal("1000.01"), Decimal("400.00"))
    assert over.state == cm.OVER_BUDGET and over.amount == Decimal("1000.01")
    assert "400.01" in over.reason and "available 400.00" in over.reason and "approval" in over.reason


def test_an_increase_covered_by_payments_beyond_the_old_amount_is_not_counted_twice():
    # 700 paid on a 600 commitment (the 100 beyond was counted as spent): raising it to 700 adds nothing
    new = cm.amend(_c(paid="700.00"), 2, Decimal("700.00"), Decimal("0.00"))
    assert new.state == cm.OPEN and new.amount == Decimal("700.00")


def test_a_decrease_keeps_the_state_and_an_over_budget_commitment_is_decided_again():
    assert cm.amend(_c(), 2, Decimal("300.00"), Decimal("-5.00")).state == cm.OPEN
    refused = _c("1200.00", cm.OVER_BUDGET, reason="too much")
    fits = cm.amend(refused, 2, Decimal("900.00"), Decimal("1000.00"))
    assert (fits.state, fits.reason, fits.amount) == (cm.OPEN, "", Decimal("900.00"))
    still = cm.amend(refused, 2, Decimal("1100.00"), Decimal("1000.00"))
    assert still.state == cm.OVER_BUDGET and "1100.00" in still.reason
    assert cm.amend(refused, 2, Decimal("1.00"), None).state == cm.OVER_BUDGET   # no approved budget


def test_an_approved_overrun_keeps_its_approval_only_for_an_increase_that_fits():
    approved = _c("1200.00", cm.APPROVED, approved_by="finance", approval_reason="ok")
    fits = cm.amend(approved, 2, Decimal("1250.00"), Decimal("50.00"))
    assert (fits.state, fits.approved_by, fits.amount) == (cm.APPROVED, "finance", Decimal("1250.00"))
    again = cm.amend(approved, 2, Decimal("1300.00"), Decimal("50.00"))
    assert (again.state, again.approved_by, again.approval_reason) == (cm.OVER_BUDGET, "", "")
    assert "earlier approval by finance covered 1200.00" in again.reason
    assert cm.amend(approved, 2, Decimal("1000.00"), Decimal("-200.00")).state == cm.APPROVED


# ---- the consumer ---------------------------------------------------------------------------
def _commitment(uow):
    [c] = uow.committed["commitments"].values()
    return c


def test_an_amendment_within_the_available_amount_raises_the_commitment_and_its_payments_count():
    uow = FakeUnitOfWork()
    _approved_budget(uow)                                               # hardware_om 1000.00
    assert handlers.on_contract_signed(_signed(), uow) == "committed"   # 600.00
    assert handlers.on_contract_amended(_amended(amount="900.00"), uow) == "committed"
    assert handlers.on_contract_amended(_amended(amount="900.00"), uow) == "duplicate"
    c = _commitment(uow)
    assert (c.state, c.amount, c.contract_version) == (cm.OPEN, Decimal("900.00"), 2)
    rec = uow.published[-1]
    assert (rec.event_name(), rec.amount, rec.contract_version, rec.available) == (
        "commitment_recorded", "900.00", 2, "400.00")
    assert handlers.execution("b1", uow, approver()).total_available == Decimal("100.00")
    # the whole amended amount is paid from the commitment, even with the available amount taken
    assert handlers.on_contract_signed(_signed("s2", "c2", amount="100.00"), uow) == "committed"
    assert handlers.on_payment_recorded(_payment(amount="900.00", project_kind="om"), uow) == "recorded"
    assert handlers.execution("b1", uow, approver()).total_available == Decimal("0.00")


def test_an_amendment_beyond_the_available_amount_is_refused_and_blocks_payments():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    handlers.on_contract_signed(_signed(), uow)
    assert handlers.on_contract_amended(_amended(amount="1000.01"), uow) == "over_budget"
    c = _commitment(uow)
    assert (c.state, c.amount) == (cm.OVER_BUDGET, Decimal("1000.01"))
    ref = uow.published[-1]
    assert (ref.event_name(), ref.contract_version, ref.amount) == ("commitment_refused", 2, "1000.01")
    assert handlers.on_payment_recorded(_payment(amount="100.00", project_kind="om"), uow) == "blocked"
    done = handlers.approve_over_budget(ApproveOverBudget(c.id, "追加预算已报批"), uow, approver())
    assert done.state == cm.APPROVED and uow.published[-1].contract_version == 2


def test_a_stale_amendment_and_an_unknown_contract_change_nothing():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    handlers.on_contract_signed(_signed(), uow)
    assert handlers.on_contract_amended(_amended("a3", version=3, amount="500.00"), uow) == "committed"
    assert handlers.on_contract_amended(_amended("a2", version=2, amount="900.00"), uow) == "stale"
    assert (_commitment(uow).amount, _commitment(uow).contract_version) == (Decimal("500.00"), 3)
    assert handlers.on_contract_amended(_amended("a4", contract_id="nope"), uow) == "unknown_contract"
    assert handlers.on_contract_amended(_amended("a5", version=0), uow) == "rejected"
    assert _names(uow) == ["commitment_recorded", "commitment_recorded"]
