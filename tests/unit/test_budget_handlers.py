"""Budget use cases against an in-memory unit of work (tests/unit/budget_fakes.py): no servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from budget import handlers
from budget.domain import budget as bd
from budget.domain.commands import ChangeBudgetState, RecordExpense, RegisterAsset
from budget.domain.compilation import Line
from govkit.auth import Principal, Scope
from govkit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from govkit.events import Envelope
from tests.unit.budget_fakes import FakeUnitOfWork


def caller(units=None, perms=("*",), subject="u1"):
    scope = Scope(None) if units is None else Scope(frozenset(units))
    return Principal(subject, subject, (), frozenset(perms), scope)


LATE = datetime(2027, 12, 31, 8, 0, tzinfo=UTC)  # "today" for the 2027 budget's spending


ASSET = {"code": "A-1", "name": "核心交换机", "kind": "network_core", "org_unit_id": "fgw",
         "original_value": "250000.00", "quantity": 1}


def test_register_asset_stores_it_with_history_and_one_event():
    uow = FakeUnitOfWork()
    a = handlers.register_asset(RegisterAsset(ASSET), uow, caller())
    assert uow.committed["assets"][a.id].original_value == Decimal("250000.00")
    [event] = uow.published
    assert event.event_type() == "govops.budget.asset_registered.v1"
    assert event.event_org_unit_id() == "fgw" and event.event_data()["original_value"] == "250000.00"


def test_register_for_another_department_is_denied_and_unknown_units_are_invalid():
    uow = FakeUnitOfWork()
    with pytest.raises(PermissionDenied):
        handlers.register_asset(RegisterAsset(ASSET), uow, caller(["czj"]))
    with pytest.raises(InvalidArgument) as err:
        handlers.register_asset(RegisterAsset(dict(ASSET, org_unit_id="nowhere")), uow, caller())
    assert err.value.violations[0].field == "org_unit_id"
    assert uow.committed["assets"] == {} and uow.published == []


def test_duplicate_code_and_bad_values_are_invalid_argument():
    uow = FakeUnitOfWork()
    handlers.register_asset(RegisterAsset(ASSET), uow, caller())
    with pytest.raises(InvalidArgument) as err:
        handlers.register_asset(RegisterAsset(ASSET), uow, caller())
    assert err.value.violations[0].field == "code"
    with pytest.raises(InvalidArgument) as err:
        handlers.register_asset(RegisterAsset(dict(ASSET, code="A-2", original_value="十万", kind="x")), uow, caller())
    assert {v.field for v in err.value.violations} == {"original_value", "kind"}


def _approved_budget(uow, total="1000.00", thresholds=(80, 100)):
    b = bd.Budget("b1", "fgw", False, 2027, "s1", "S v1", "省会城市", bd.APPROVED, Decimal(total),
                  {"hardware_om": Decimal(total)}, {"server": Decimal(total)}, 1, 1, thresholds, ("fgw",))
    uow.committed["budgets"]["b1"] = b
    uow.committed["lines"]["b1"] = [Line(1, 1, "fgw", "server", "hardware_om", "hw_upkeep", "rate", "rate_rules[0]", {},
                                   [], Decimal(1), 1, 1, Decimal(total), Decimal(total), "…")]
    return b


def _expense(amount, key="", **kw):
    return RecordExpense("b1", kw.pop("fee_category", "hardware_om"), amount, kw.pop("spent_on", "2027-03-01"),
                         idempotency_key=key, **kw)


def test_expenses_fire_thresholds_once_and_then_over_budget():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    handlers.record_expense(_expense("700", line_no=1), uow, caller(), now=LATE)
    assert [e.event_name() for e in uow.published] == ["expense_recorded"]
    handlers.record_expense(_expense("150"), uow, caller(), now=LATE)
    names = [(e.event_name(), getattr(e, "scope", ""), getattr(e, "threshold", 0)) for e in uow.published[1:]]
    assert names == [("expense_recorded", "", 0), ("budget_threshold_reached", "total", 80),
                     ("budget_threshold_reached", "hardware_om", 80)]
    uow.published.clear()
    handlers.record_expense(_expense("200"), uow, caller(), now=LATE)
    names = [(e.event_name(), e.scope if hasattr(e, "scope") else "") for e in uow.published]
    assert ("budget_exceeded", "total") in names and ("budget_exceeded", "hardware_om") in names
    recorded = uow.published[0].event_data()
    assert recorded["total_spent"] == "1050.00" and recorded["execution_rate"] == "105.00"


def test_expense_idempotency_key_records_once():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    first = handlers.record_expense(_expense("10", "k"), uow, caller(), now=LATE)
    again = handlers.record_expense(_expense("10", "k"), uow, caller(), now=LATE)
    assert again.replayed and again.expense.id == first.expense.id and len(uow.committed["expenses"]) == 1


def test_expense_rules():
    uow = FakeUnitOfWork()
    b = _approved_budget(uow)
    with pytest.raises(InvalidArgument, match="excluded"):
        handlers.record_expense(_expense("10", fee_category="meetings"), uow, caller(), now=LATE)
    with pytest.raises(InvalidArgument) as err:
        handlers.record_expense(_expense("-3"), uow, caller(), now=LATE)
    assert err.value.violations[0].field == "amount"
    with pytest.raises(InvalidArgument, match="outside budget year"):
        handlers.record_expense(_expense("10", spent_on="2026-12-31"), uow, caller(), now=LATE)
    with pytest.raises(InvalidArgument, match="not software_om"):
        handlers.record_expense(_expense("10", fee_category="software_om", line_no=1), uow, caller(), now=LATE)
    uow.committed["budgets"]["b1"] = replace(b, state=bd.REVIEWED)
    with pytest.raises(FailedPrecondition, match="approved"):
        handlers.record_expense(_expense("10"), uow, caller(), now=LATE)
    assert uow.committed["expenses"] == []


def test_each_budget_step_needs_its_permission_and_approval_is_final():
    uow = FakeUnitOfWork()
    b = _approved_budget(uow)
    uow.committed["budgets"]["b1"] = replace(b, state=bd.DRAFT)
    handlers.change_budget_state(ChangeBudgetState("b1", "submit", "请审核"), uow, caller(perms=["budget.compile"]))
    with pytest.raises(PermissionDenied, match="budget.review"):
        handlers.change_budget_state(ChangeBudgetState("b1", "review"), uow,
                                     caller(perms=["budget.approve"], subject="u2"))
    handlers.change_budget_state(ChangeBudgetState("b1", "review", "已核"), uow,
                                 caller(perms=["budget.review"], subject="u2"))
    handlers.change_budget_state(ChangeBudgetState("b1", "approve", "同意"), uow,
                                 caller(perms=["budget.approve"], subject="u3"))
    assert [e.event_name() for e in uow.published] == ["budget_approved"]
    assert uow.published[0].event_data()["asset_count"] == 1  # the assets the approved budget covers
    assert [a.comment for _, a in uow.committed["actions"]] == ["请审核", "已核", "同意"]
    with pytest.raises(FailedPrecondition):
        handlers.change_budget_state(ChangeBudgetState("b1", "return_from_approval"), uow, caller())


def _payment(event_id="e1", payment_id="p1", org_unit_id="fgw", **kw):
    data = {"payment_id": payment_id, "contract_id": "c1", "project_id": "pr1", "vendor_id": "v1",
            "org_unit_id": org_unit_id, "milestone_id": "m1", "fee_category": "hardware_om", "budget_year": 0,
            "budget_line_ref": None, "amount": "500.00", "paid_on": "2027-05-01"}
    data.update(kw)
    return Envelope(id=event_id, source="outsource", type="govops.outsource.payment_recorded.v1",
                    time="2027-05-01T02:00:00+00:00", subject=payment_id, org_unit_id=org_unit_id, correlationid=None,
                    data=data)


def test_outsource_payment_is_recorded_once_even_when_redelivered_or_resent():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    assert handlers.on_payment_recorded(_payment(), uow) == "recorded"
    assert handlers.on_payment_recorded(_payment(), uow) == "duplicate"            # same envelope
    assert handlers.on_payment_recorded(_payment("e2"), uow) == "duplicate"        # same payment, new envelope
    [e] = uow.committed["expenses"]
    assert e.source == "outsource" and e.amount == Decimal("500.00") and e.year == 2027


def test_payment_without_an_approved_budget_is_kept_unmatched_and_bad_payloads_are_rejected():
    uow = FakeUnitOfWork()
    assert handlers.on_payment_recorded(_payment(org_unit_id="czj"), uow) == "unmatched"
    assert uow.committed["expenses"][0].budget_id is None
    assert handlers.on_payment_recorded(_payment("e3", "p3", fee_category="training"), uow) == "rejected"
    assert len(uow.committed["expenses"]) == 1


def test_payment_for_a_child_unit_counts_against_a_parent_budget_with_subtree():
    uow = FakeUnitOfWork()
    b = _approved_budget(uow)
    uow.committed["budgets"]["b1"] = replace(b, org_unit_id="gov", include_subtree=True)
    assert handlers.on_payment_recorded(_payment(org_unit_id="czj"), uow) == "recorded"
    assert uow.committed["expenses"][0].budget_id == "b1"
