"""Budgets: compiled for a budget unit and a year, approved step by step, then executed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from govkit.errors import FailedPrecondition

DRAFT, SUBMITTED, REVIEWED, APPROVED = "draft", "submitted", "reviewed", "approved"
STATES = (DRAFT, SUBMITTED, REVIEWED, APPROVED)
DEFAULT_THRESHOLDS = (80, 100)

# action → (state it needs, state it leads to, permission it needs)
TRANSITIONS = {
    "submit": (DRAFT, SUBMITTED, "budget.compile"),
    "review": (SUBMITTED, REVIEWED, "budget.review"),
    "approve": (REVIEWED, APPROVED, "budget.approve"),
    # Sending back for rework: a reviewer at "submitted", an approver at "reviewed".
    "return_from_review": (SUBMITTED, DRAFT, "budget.review"),
    "return_from_approval": (REVIEWED, DRAFT, "budget.approve"),
}


@dataclass(frozen=True)
class Budget:
    id: str
    org_unit_id: str
    include_subtree: bool
    year: int
    standard_id: str
    standard_label: str
    region: str
    state: str
    total: Decimal
    by_category: dict
    by_kind: dict
    asset_count: int
    line_count: int
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    org_unit_ids: tuple[str, ...] = ()
    created_by: str = ""
    compiled_at: datetime | None = None
    approved_by: str = ""
    approved_at: datetime | None = None

    def require_editable(self) -> None:
        if self.state == APPROVED:
            raise FailedPrecondition(f"budget {self.org_unit_id}/{self.year} is approved and can no longer be edited")
        if self.state != DRAFT:
            raise FailedPrecondition(f"budget {self.org_unit_id}/{self.year} is {self.state}; only a draft can be "
                                     "recompiled (have it returned to draft first)")

    def transition(self, action: str) -> Budget:
        need, to, _ = TRANSITIONS[action]
        if self.state != need:
            raise FailedPrecondition(f"cannot {action.split('_')[0]} budget {self.org_unit_id}/{self.year}: it is "
                                     f"{self.state}, needs {need}")
        return replace(self, state=to)


@dataclass(frozen=True)
class Action:
    action: str
    from_state: str
    to_state: str
    actor: str
    comment: str
    at: datetime


@dataclass(frozen=True)
class Expense:
    id: str
    budget_id: str | None
    org_unit_id: str
    year: int
    fee_category: str
    fee_item: str
    line_no: int | None
    amount: Decimal
    spent_on: date
    description: str
    source: str           # "manual" or "outsource"
    external_id: str | None
    recorded_by: str
    recorded_at: datetime | None = None
    request_fingerprint: str | None = None  # of the keyed request that recorded it (govkit.idempotency)
    # counted (spending against budget_id), unmatched (no approved budget), not_om (a construction or
    # planning payment: kept for reconciliation, never O&M spending), blocked (beyond the available
    # amount: kept, not counted) — see domain/commitments.py
    status: str = "counted"
    commitment_id: str | None = None


@dataclass(frozen=True)
class Crossing:
    scope: str            # "total" or a fee category code
    kind: str             # "threshold" or "exceeded"
    threshold: int        # percent; 100 for "exceeded"
    budgeted: Decimal
    spent: Decimal


def execution_rate(spent: Decimal, budgeted: Decimal) -> Decimal:
    """Percent with two places; a zero budget that has spending reads as 100 % per yuan is moot,
    so it is reported as 0 when nothing was spent and as 'exceeded' otherwise."""
    if budgeted <= 0:
        return Decimal("0.00") if spent <= 0 else Decimal("100.00")
    return (spent * 100 / budgeted).quantize(Decimal("0.01"))


def crossings(scope: str, budgeted: Decimal, before: Decimal, after: Decimal,
              thresholds: tuple[int, ...]) -> list[Crossing]:
    """Thresholds crossed by moving spending from `before` to `after` (each fires once: the
    adapter also records fired alerts, so a concurrent or replayed expense cannot repeat one)."""
    out = []
    for t in sorted(thresholds):
        limit = budgeted * t / 100
        if before < limit <= after or (budgeted == 0 and before == 0 and after > 0):
            out.append(Crossing(scope, "threshold", t, budgeted, after))
    if before <= budgeted < after:
        out.append(Crossing(scope, "exceeded", 100, budgeted, after))
    return out


@dataclass
class Execution:
    budget: Budget
    by_line: dict[int, Decimal] = field(default_factory=dict)
    by_category: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal("0.00")
