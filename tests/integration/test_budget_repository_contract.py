"""Contract: the in-memory assets, budgets, spending and org units the budget handler tests use
(tests/unit/budget_fakes.py) behave like the PostgreSQL ones. Every case runs twice, once per
implementation, and acts and asserts through the `RecordingUow` Protocol only. Only the
arrangement differs: a stored budget (with its standard, on PostgreSQL) and its lines are seeded
per implementation, since recording never creates them. The org units are gov ⊃ {fgw, czj} on both.
Cases that need a second scope commit, then read through a unit opened with that scope."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from budget.adapters.uow import BudgetUnitOfWork
from budget.domain import budget as bd
from budget.domain.assets import parse_asset
from budget.domain.compilation import Line
from budget.domain.ports import RecordingUow
from budget.domain.sample import SAMPLE_REGION, sample_body
from budget.domain.standard import new_standard
from govkit.auth import Scope
from govkit.errors import AlreadyExists, Validator
from tests.unit.budget_fakes import FakeUnitOfWork

ALL, FGW, CZJ = Scope(None), Scope(frozenset({"fgw"})), Scope(frozenset({"czj"}))
NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


class Store:
    """units(scope) → a new unit on this case's store; budget(...) stores an approved budget."""

    def __init__(self, units: Callable[[Scope], RecordingUow], budget: Callable[..., bd.Budget]):
        self.units, self.budget = units, budget


def _line(no: int, category: str = "hardware_om", unit: str = "fgw") -> Line:
    return Line(no, 1, unit, "server", category, "hw_upkeep", "rate", "rate_rules[0]", {}, [], Decimal(1), 1, 1,
                Decimal("1000.00"), Decimal("1000.00"), "…")


def _budget(unit: str, year: int, include_subtree: bool, standard_id: str) -> bd.Budget:
    return bd.Budget(str(uuid.uuid4()), unit, include_subtree, year, standard_id, "S v1", SAMPLE_REGION, bd.APPROVED,
                     Decimal("1000.00"), {"hardware_om": Decimal("1000.00")}, {"server": Decimal("1000.00")}, 1, 1,
                     (80, 100), (unit,), "u1", NOW, "u2", NOW)


@pytest.fixture(params=["fake", "postgres"])
def store(request) -> Store:
    if request.param == "fake":
        fake = FakeUnitOfWork()

        def fake_budget(unit="fgw", year=2027, include_subtree=False, lines=()):
            b = _budget(unit, year, include_subtree, str(uuid.uuid4()))
            fake.committed["budgets"][b.id] = b
            fake.committed["lines"][b.id] = list(lines)
            return b

        def fake_units(scope):
            unit = fake.scoped(scope.units) if not scope.is_global else FakeUnitOfWork()
            unit.committed = fake.committed
            # commits replace `committed`: keep every unit of this case on the newest state
            commit = unit.commit

            def shared_commit():
                commit()
                fake.committed = unit.committed
            unit.commit = shared_commit  # type: ignore[method-assign]
            return unit

        return Store(fake_units, fake_budget)

    engine = request.getfixturevalue("engine_for")("budget")
    with BudgetUnitOfWork(engine) as w:
        for unit, parent in (("gov", None), ("fgw", "gov"), ("czj", "gov")):
            w.orgdir.apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": parent})
        standard = new_standard(Validator(), code="S", name="标准", effective_from="2027-01-01", effective_to="",
                                body=sample_body(), default_region=SAMPLE_REGION, version=1, created_by="u",
                                now=NOW)
        w.standards.add(standard)
        w.commit()

    def pg_budget(unit="fgw", year=2027, include_subtree=False, lines=()):
        b = _budget(unit, year, include_subtree, standard.id)
        with BudgetUnitOfWork(engine) as w:
            w.budgets.add(b)
            w.budgets.add_lines(b.id, list(lines))
            w.commit()
        return b

    return Store(lambda scope: BudgetUnitOfWork(engine, scope), pg_budget)


def _asset(code: str, unit: str = "fgw"):
    a = parse_asset(Validator(), {"code": code, "name": "核心交换机", "kind": "network_core", "org_unit_id": unit,
                                  "original_value": "250000.00", "quantity": 1}, today=date(2027, 1, 1))
    return replace(a, created_at=NOW, updated_at=NOW)


def test_org_units_known_and_their_ancestors(store):
    with store.units(ALL) as uow:
        assert uow.orgdir.known(["fgw", "czj", "nowhere"]) == {"fgw", "czj"}
        assert uow.orgdir.ancestors("fgw") == ["gov"] and uow.orgdir.ancestors("gov") == []


def test_assets_are_scoped_and_their_codes_unique_everywhere(store):
    with store.units(ALL) as w:
        mine, theirs = _asset("A-1"), _asset("A-2", "czj")
        w.assets.add(mine)
        w.assets.add(theirs)
        w.assets.record_history(mine.id, NOW, "u1", "registered", {"origin": "api"})
        assert w.assets.relate(mine.id, theirs.id, "depends_on")
        assert not w.assets.relate(mine.id, theirs.id, "depends_on")  # once per pair and kind
        w.commit()
    with store.units(FGW) as r:
        assert r.assets.get(mine.id) == mine
        assert r.assets.get(theirs.id) is None  # another unit's asset reads as missing
        assert r.assets.get("not-a-uuid") is None
        assert r.assets.codes_taken(["A-1", "A-2", "A-3"]) == {"A-1", "A-2"}  # codes: in any unit
        with pytest.raises(AlreadyExists):
            r.assets.add(_asset("A-2"))


def test_budgets_are_seen_through_their_unit(store):
    b = store.budget("fgw", 2027)
    with store.units(CZJ) as r:
        assert r.budgets.get(b.id) is None and r.budgets.by_unit_year("fgw", 2027) is None
        assert r.budgets.get("not-a-uuid") is None
    with store.units(FGW) as r:
        assert r.budgets.get(b.id) == b and r.budgets.by_unit_year("fgw", 2027) == b
        assert r.budgets.by_unit_year("fgw", 2026) is None


def test_an_approved_budget_covers_its_subtree_only_when_compiled_with_it(store):
    parent = store.budget("gov", 2027, include_subtree=True)
    store.budget("gov", 2028, include_subtree=False)
    with store.units(ALL) as uow:
        assert uow.budgets.approved_covering(["czj", "gov"], 2027).id == parent.id
        assert uow.budgets.approved_covering(["czj", "gov"], 2028) is None  # gov's 2028 budget is its own only
        assert uow.budgets.approved_covering(["gov"], 2028).org_unit_id == "gov"
        uow.budgets.save(replace(parent, state=bd.REVIEWED))
        assert uow.budgets.approved_covering(["czj", "gov"], 2027) is None


def test_state_changes_keep_their_actions_per_budget(store):
    b, other = store.budget("fgw", 2027), store.budget("czj", 2027)
    with store.units(ALL) as uow:
        uow.budgets.save(replace(b, state=bd.DRAFT))
        uow.budgets.add_action(b.id, bd.Action("return", bd.APPROVED, bd.DRAFT, "u1", "重编", NOW))
        uow.budgets.add_action(other.id, bd.Action("x", bd.APPROVED, bd.DRAFT, "u1", "别的", NOW))
        uow.budgets.add_action(b.id, bd.Action("submit", bd.DRAFT, bd.SUBMITTED, "u2", "请审核", NOW))
        assert uow.budgets.get(b.id).state == bd.DRAFT
        assert [(a.action, a.actor, a.comment, a.at) for a in uow.budgets.actions(b.id)] == [
            ("return", "u1", "重编", NOW), ("submit", "u2", "请审核", NOW)]


def test_lines_belong_to_their_budget(store):
    b = store.budget("fgw", 2027, lines=[_line(1), _line(2, "software_om")])
    other = store.budget("czj", 2027, lines=[_line(1, "network_om", "czj")])
    with store.units(ALL) as uow:
        assert uow.budgets.line(b.id, 2).fee_category == "software_om"
        assert uow.budgets.line(other.id, 1).fee_category == "network_om"
        assert uow.budgets.line(other.id, 2) is None


def _expense(b: bd.Budget | None, amount: str, category: str = "hardware_om", line_no: int | None = None,
             external_id: str | None = None, unit: str = "fgw") -> bd.Expense:
    return bd.Expense(str(uuid.uuid4()), b.id if b else None, unit, 2027, category, "", line_no, Decimal(amount),
                      date(2027, 3, 1), "", "manual", external_id, "u1", NOW)


def test_spending_sums_per_line_and_category_and_an_external_id_records_once(store):
    b, other = store.budget("fgw", 2027, lines=[_line(1)]), store.budget("czj", 2027)
    with store.units(ALL) as uow:
        assert uow.budgets.spent(b.id) == ({}, {}, Decimal("0.00"))
        assert uow.budgets.add_expense(_expense(b, "100.50", line_no=1, external_id="k1"))
        assert not uow.budgets.add_expense(_expense(b, "999", external_id="k1"))
        assert uow.budgets.add_expense(_expense(b, "20", "software_om"))
        assert uow.budgets.add_expense(_expense(b, "5", "software_om"))  # no external id: no limit
        assert uow.budgets.add_expense(_expense(other, "7", unit="czj"))
        assert uow.budgets.spent(b.id) == ({1: Decimal("100.50")},
                                           {"hardware_om": Decimal("100.50"), "software_om": Decimal("25")},
                                           Decimal("125.50"))
        assert uow.budgets.expense_by_external_id("k1").amount == Decimal("100.50")
        assert uow.budgets.expense_by_external_id("k2") is None


def test_an_expense_by_external_id_is_hidden_outside_the_callers_scope(store):
    b = store.budget("fgw", 2027)
    with store.units(ALL) as w:
        w.budgets.add_expense(_expense(b, "10", external_id="manual:k"))
        w.budgets.add_expense(_expense(None, "10", external_id="outsource:p1", unit="fgw"))  # unmatched
        w.commit()
    with store.units(FGW) as r:
        assert r.budgets.expense_by_external_id("manual:k") is not None
        assert r.budgets.expense_by_external_id("outsource:p1") is not None
    with store.units(CZJ) as r:
        assert r.budgets.expense_by_external_id("manual:k") is None
        assert r.budgets.expense_by_external_id("outsource:p1") is None


def test_each_alert_fires_once(store):
    b = store.budget("fgw", 2027)
    with store.units(ALL) as uow:
        assert uow.budgets.fire_alert(b.id, "total", "threshold", 80, NOW)
        assert not uow.budgets.fire_alert(b.id, "total", "threshold", 80, NOW)
        assert uow.budgets.fire_alert(b.id, "total", "threshold", 100, NOW)
        assert uow.budgets.fire_alert(b.id, "hardware_om", "threshold", 80, NOW)


def test_the_inbox_sees_an_event_once_per_consumer(store):
    with store.units(ALL) as uow:
        assert not uow.seen("budget.outsource_payments", "e1")
        assert uow.seen("budget.outsource_payments", "e1")
        assert not uow.seen("other", "e1")


def _commitment(b, contract_id="HT-1", amount="600.00", state="open", unit="fgw", category="hardware_om"):
    from budget.domain import commitments as cm

    return cm.Commitment(id=str(uuid.uuid4()), contract_id=contract_id, budget_id=b.id if b else None,
                         org_unit_id=unit, year=2027, fee_category=category, amount=Decimal(amount), state=state,
                         signed_by="zhangw", project_id="pr", vendor_id="v", recorded_at=NOW)


def test_commitments_one_per_contract_consumed_by_counted_payments_and_scoped(store):
    b = store.budget("fgw", 2027)
    with store.units(ALL) as uow:
        c = _commitment(b)
        assert uow.budgets.add_commitment(c)
        assert not uow.budgets.add_commitment(_commitment(b))                    # same contract
        refused = _commitment(b, "HT-2", "50.00", state="over_budget", category="software_om")
        assert uow.budgets.add_commitment(refused)
        assert uow.budgets.committed(b.id) == {"hardware_om": Decimal("600.00")}  # over_budget holds nothing
        assert uow.budgets.add_expense(replace(_expense(b, "250"), commitment_id=c.id))
        assert uow.budgets.add_expense(replace(_expense(b, "99"), commitment_id=c.id, status="blocked"))
        got = uow.budgets.commitment_for_contract("HT-1")
        assert (got.id, got.paid, got.remaining) == (c.id, Decimal("250.00"), Decimal("350.00"))
        assert uow.budgets.committed(b.id) == {"hardware_om": Decimal("350.00")}
        assert uow.budgets.spent(b.id)[2] == Decimal("250.00")                  # blocked is not spending
        uow.budgets.save_commitment(replace(refused, state="approved", approved_by="finance",
                                            approval_reason="同意", approved_at=NOW))
        assert uow.budgets.commitment(refused.id, for_update=True).approval_reason == "同意"
        assert uow.budgets.committed(b.id) == {"hardware_om": Decimal("350.00"), "software_om": Decimal("50.00")}
        assert sorted(x.contract_id for x in uow.budgets.commitments(b.id)) == ["HT-1", "HT-2"]
        assert uow.budgets.commitment("not-a-uuid") is None
        uow.commit()
    with store.units(CZJ) as r:
        assert r.budgets.commitment(c.id) is None and r.budgets.commitment_for_contract("HT-1") is None
