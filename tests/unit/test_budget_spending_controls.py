"""Budget controls on the handlers (no servers): no spending dated in the future, no excluded
costs (by category or by the words of the description), separation of duties on a budget.
Standards and overlapping budgets: tests/integration/test_budget_duties_and_overlap.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from budget import handlers
from budget.domain import budget as bd
from budget.domain.commands import ChangeBudgetState, RecordExpense
from budget.domain.fees import SpendingPolicy
from govkit.auth import Principal, Scope
from govkit.errors import InvalidArgument, PermissionDenied
from tests.unit.budget_fakes import FakeUnitOfWork
from tests.unit.test_budget_handlers import _approved_budget

NOW = datetime(2027, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def person(subject, perms=("*",)):
    return Principal(subject, subject, (), frozenset(perms), Scope(None))


def expense(amount="10", spent_on="2027-06-01", description="", category="hardware_om"):
    return RecordExpense("b1", category, amount, spent_on, description=description)


def test_an_expense_dated_after_today_is_refused():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    handlers.record_expense(expense(spent_on="2027-06-15"), uow, person("u1"), now=NOW)  # today in Beijing
    with pytest.raises(InvalidArgument) as err:
        handlers.record_expense(expense(spent_on="2027-06-16"), uow, person("u1"), now=NOW)
    assert err.value.violations[0].field == "spent_on" and "future" in err.value.violations[0].reason
    assert len(uow.committed["expenses"]) == 1


def test_excluded_costs_are_refused_by_the_words_of_the_description_too():
    uow = FakeUnitOfWork()
    _approved_budget(uow)
    cases = (("机房值班人员打车费", "打车"), ("运维培训会议场地租赁", "会议场地"), ("办公楼水电费分摊", "水电"))
    for text, word in cases:
        with pytest.raises(InvalidArgument) as err:
            handlers.record_expense(expense(description=text), uow, person("u1"), now=NOW)
        [v] = err.value.violations
        assert v.field == "description" and word in v.reason and "运维费" in v.reason
    handlers.record_expense(expense(description="核心交换机年度维保"), uow, person("u1"), now=NOW)
    # The list is the deployment's: a site that calls it 差旅 adds the word; one may also drop words.
    uow.spending = SpendingPolicy(excluded_keywords=("差旅",))
    with pytest.raises(InvalidArgument, match="差旅"):
        handlers.record_expense(expense(description="驻场工程师差旅"), uow, person("u1"), now=NOW)
    handlers.record_expense(expense(description="会议系统维保"), uow, person("u1"), now=NOW)
    assert len(uow.committed["expenses"]) == 2


def test_spending_policy_reads_its_words_from_the_setting():
    assert SpendingPolicy.from_setting(" 差旅, 打车 ,,") == SpendingPolicy(("差旅", "打车"))
    assert "水电" in SpendingPolicy.from_setting("").excluded_keywords


def test_whoever_compiled_or_submitted_a_budget_cannot_review_or_approve_it():
    uow = FakeUnitOfWork()
    b = _approved_budget(uow)
    uow.committed["budgets"]["b1"] = replace(b, state=bd.DRAFT, created_by="compiler")
    handlers.change_budget_state(ChangeBudgetState("b1", "submit", "请审核"), uow, person("submitter"))
    for who in ("compiler", "submitter"):
        with pytest.raises(PermissionDenied, match="separation of duties"):
            handlers.change_budget_state(ChangeBudgetState("b1", "review"), uow, person(who))
    handlers.change_budget_state(ChangeBudgetState("b1", "review", "已核"), uow, person("reviewer"))
    for who in ("compiler", "submitter"):
        with pytest.raises(PermissionDenied, match="separation of duties"):
            handlers.change_budget_state(ChangeBudgetState("b1", "approve"), uow, person(who))
    approved = handlers.change_budget_state(ChangeBudgetState("b1", "approve", "同意"), uow, person("finance"))
    assert approved.state == bd.APPROVED and approved.approved_by == "finance"
