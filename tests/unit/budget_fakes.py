"""In-memory assets, budgets, spending and org units for the budget handler tests: the
`RecordingUow` Protocol (budget.domain.ports) without a database. mypy checks the fit
(`_conforms` below, run by `make lint`); tests/integration/test_budget_repository_contract.py
runs the same repository cases here and on PostgreSQL, so the fake cannot drift from the real
thing unnoticed.

The stored state is `committed` (what a new unit sees); `with uow:` works on a copy that
`commit` makes the new committed state and `rollback` drops."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

from budget.domain import budget as bd
from budget.domain import commitments as cm
from budget.domain.fees import SpendingPolicy
from budget.domain.ports import RecordingUow
from govkit.auth import Scope
from govkit.errors import AlreadyExists
from govkit.units import UnitChecks
from govkit.uow import UnitOfWork


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


class FakeOrgDirectory(UnitChecks):
    """The part of govkit.orgdir.OrgDirectory budget's recording handlers read (every unit active)."""

    def __init__(self, state):
        self.s = state

    def unit_states(self, ids):
        return {u: True for u in ids if u in self.s["units"]}

    def known(self, ids):
        return set(ids) & set(self.s["units"])

    def ancestors(self, unit):
        out = [unit]
        while self.s["units"].get(out[-1]):
            out.append(self.s["units"][out[-1]])
        return out[1:]


class FakeAssets:
    def __init__(self, state, scope):
        self.s, self.scope = state, scope

    def codes_taken(self, codes):
        return {a.code for a in self.s["assets"].values()} & set(codes)

    def add(self, a):
        if self.codes_taken([a.code]):  # the unique index on PostgreSQL
            raise AlreadyExists(f"asset code {a.code} was written concurrently by another request; retry")
        self.s["assets"][a.id] = a

    def record_history(self, asset_id, at, actor, action, changes):
        self.s["history"].append((asset_id, at, actor, action, changes))

    def get(self, asset_id, *, for_update=False):
        a = self.s["assets"].get(asset_id)
        return a if a and self.scope.allows(a.org_unit_id) else None

    def relate(self, from_id, to_id, kind):
        if (from_id, to_id, kind) in self.s["relations"]:
            return False
        self.s["relations"].add((from_id, to_id, kind))
        return True


class FakeBudgets:
    def __init__(self, state, scope):
        self.s, self.scope = state, scope

    def get(self, budget_id, *, for_update=False):
        b = self.s["budgets"].get(budget_id)
        return b if b and self.scope.allows(b.org_unit_id) else None

    def by_unit_year(self, unit, year, *, for_update=False):
        return next((b for b in self.s["budgets"].values()
                     if (b.org_unit_id, b.year) == (unit, year) and self.scope.allows(b.org_unit_id)), None)

    def approved_covering(self, units, year):
        for i, u in enumerate(units):
            b = self.by_unit_year(u, year)
            if b and b.state == bd.APPROVED and (i == 0 or b.include_subtree):
                return b
        return None

    def save(self, b):
        self.s["budgets"][b.id] = b

    def add_action(self, budget_id, action):
        self.s["actions"].append((budget_id, action))

    def actions(self, budget_id):
        return [a for b, a in self.s["actions"] if b == budget_id]

    def line(self, budget_id, line_no):
        return next((ln for ln in self.s["lines"].get(budget_id, []) if ln.line_no == line_no), None)

    def expense_by_external_id(self, ext):
        e = next((e for e in self.s["expenses"] if e.external_id == ext), None)
        if e is None:
            return None
        if not self.scope.allows(e.org_unit_id) and (e.budget_id is None or self.get(e.budget_id) is None):
            return None
        return e

    def add_expense(self, e):
        if e.external_id and any(x.external_id == e.external_id for x in self.s["expenses"]):
            return False
        self.s["expenses"].append(e)
        return True

    def lines(self, budget_id, *, category="", after=0, limit=None):
        return [ln for ln in self.s["lines"].get(budget_id, []) if ln.line_no > after
                and (not category or ln.fee_category == category)][:limit]

    def expenses(self, budget_id):
        return [e for e in self.s["expenses"] if e.budget_id == budget_id]

    def spent(self, budget_id):
        by_line: dict[int, Decimal] = {}
        by_cat: dict[str, Decimal] = {}
        for e in self.s["expenses"]:
            if e.budget_id == budget_id and e.status == cm.COUNTED:
                by_cat[e.fee_category] = by_cat.get(e.fee_category, Decimal(0)) + e.amount
                if e.line_no is not None:
                    by_line[e.line_no] = by_line.get(e.line_no, Decimal(0)) + e.amount
        return by_line, by_cat, sum(by_cat.values(), Decimal("0.00"))

    # -- commitments: `paid` is what the contract's counted payments consumed --
    def _with_paid(self, c):
        paid = sum((e.amount for e in self.s["expenses"] if e.commitment_id == c.id and e.status == cm.COUNTED),
                   Decimal("0.00"))
        return replace(c, paid=paid)

    def add_commitment(self, c):
        if any(x.contract_id == c.contract_id for x in self.s["commitments"].values()):
            return False
        self.s["commitments"][c.id] = c
        return True

    def save_commitment(self, c):
        self.s["commitments"][c.id] = replace(c, paid=Decimal("0.00"))

    def commitment(self, commitment_id, *, for_update=False):
        c = self.s["commitments"].get(commitment_id)
        return self._with_paid(c) if c and self.scope.allows(c.org_unit_id) else None

    def commitment_for_contract(self, contract_id):
        c = next((x for x in self.s["commitments"].values() if x.contract_id == contract_id), None)
        return self._with_paid(c) if c and self.scope.allows(c.org_unit_id) else None

    def commitments(self, budget_id):
        return [self._with_paid(c) for c in self.s["commitments"].values()
                if c.budget_id == budget_id and self.scope.allows(c.org_unit_id)]

    def committed(self, budget_id):
        out: dict[str, Decimal] = {}
        for c in self.commitments(budget_id):
            if c.counts:
                out[c.fee_category] = out.get(c.fee_category, Decimal("0.00")) + c.remaining
        return {k: v for k, v in out.items() if v}

    def fire_alert(self, budget_id, scope, kind, threshold, at):
        key = (budget_id, scope, kind, threshold)
        if key in self.s["alerts"]:
            return False
        self.s["alerts"].add(key)
        return True


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, scope=Scope(None)):
        super().__init__()
        self.scope = scope
        self.committed: dict[str, Any] = {
            "units": {"gov": None, "fgw": "gov", "czj": "gov"}, "assets": {}, "history": [], "relations": set(),
            "budgets": {}, "actions": [], "lines": {}, "expenses": [], "alerts": set(), "inbox": set(),
            "commitments": {}}
        self.published: list = []
        self.spending = SpendingPolicy()

    def __enter__(self):
        super().__enter__()
        self.state = copy.deepcopy(self.committed)
        self.orgdir = FakeOrgDirectory(self.state)
        self.assets = FakeAssets(self.state, self.scope)
        self.budgets = FakeBudgets(self.state, self.scope)
        return self

    def commit(self):
        self.committed = copy.deepcopy(self.state)
        self.published.extend(self.events)
        self.events = []

    def rollback(self):
        self.events = []

    def seen(self, consumer, event_id):
        key = (consumer, event_id)
        if key in self.state["inbox"]:
            return True
        self.state["inbox"].add(key)
        return False

    def scoped(self, units):
        """The same stored state seen through a narrower scope."""
        other = FakeUnitOfWork(Scope(frozenset(units)))
        other.committed = self.committed
        return other


def _conforms(uow: FakeUnitOfWork) -> RecordingUow:
    """Never called: mypy checks here that the fake meets the Protocol the handlers declare."""
    return uow
