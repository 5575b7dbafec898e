"""Events the budget service publishes (see docs/events.md, the event catalogue).

Money travels as decimal strings (yuan, two places); execution rates as decimal strings of
percent (e.g. "82.50")."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.events import Event


class BudgetEvent(Event):
    source = "budget"

    def event_org_unit_id(self) -> str | None:
        return self.org_unit_id  # type: ignore[attr-defined]


class _AssetEvent(BudgetEvent):
    def event_subject(self) -> str:
        return self.asset_id  # type: ignore[attr-defined]


class _BudgetSubject(BudgetEvent):
    def event_subject(self) -> str:
        return self.budget_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AssetRegistered(_AssetEvent):
    asset_id: str
    code: str
    name: str
    kind: str
    org_unit_id: str
    original_value: str
    quantity: int
    protection_level: int
    status: str
    origin: str  # "api" or "import"
    registered_at: str


@dataclass(frozen=True)
class AssetChanged(_AssetEvent):
    asset_id: str
    code: str
    kind: str
    org_unit_id: str
    changes: dict  # field → [old, new]
    changed_at: str


@dataclass(frozen=True)
class AssetRetired(_AssetEvent):
    asset_id: str
    code: str
    kind: str
    org_unit_id: str
    original_value: str
    retired_at: str


@dataclass(frozen=True)
class BudgetCompiled(_BudgetSubject):
    budget_id: str
    org_unit_id: str
    year: int
    include_subtree: bool
    standard_id: str
    standard: str
    total: str
    by_category: dict
    asset_count: int
    line_count: int
    compiled_at: str


@dataclass(frozen=True)
class BudgetApproved(_BudgetSubject):
    budget_id: str
    org_unit_id: str
    year: int
    total: str
    by_category: dict
    approved_by: str
    approved_at: str
    asset_count: int = 0  # the in-use assets the budget covers (final: an approved budget is not recompiled)


@dataclass(frozen=True)
class ExpenseRecorded(_BudgetSubject):
    expense_id: str
    budget_id: str
    org_unit_id: str
    year: int
    fee_category: str
    fee_item: str
    line_no: int | None
    amount: str
    origin: str  # "manual" or "outsource"
    external_id: str | None
    category_spent: str
    category_execution_rate: str
    total_spent: str
    execution_rate: str
    recorded_at: str


@dataclass(frozen=True)
class BudgetThresholdReached(_BudgetSubject):
    budget_id: str
    org_unit_id: str
    year: int
    scope: str
    threshold: int
    budgeted: str
    spent: str
    execution_rate: str


@dataclass(frozen=True)
class BudgetExceeded(_BudgetSubject):
    budget_id: str
    org_unit_id: str
    year: int
    scope: str
    budgeted: str
    spent: str
    execution_rate: str


class _CommitmentSubject(BudgetEvent):
    def event_subject(self) -> str:
        return self.commitment_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CommitmentRecorded(_CommitmentSubject):
    commitment_id: str
    contract_id: str
    project_id: str
    budget_id: str
    org_unit_id: str
    year: int
    fee_category: str
    amount: str
    available: str  # what the category had available before this commitment (or this amendment)
    contract_version: int = 1  # the contract version the amount is from (an amendment: its version)


@dataclass(frozen=True)
class CommitmentRefused(_CommitmentSubject):
    commitment_id: str
    contract_id: str
    project_id: str
    budget_id: str  # "" when no approved budget covers the unit and year
    org_unit_id: str
    year: int
    fee_category: str
    amount: str
    available: str
    reason: str
    contract_version: int = 1  # a refusal of an amendment carries the amendment's version


@dataclass(frozen=True)
class CommitmentApproved(_CommitmentSubject):
    commitment_id: str
    contract_id: str
    project_id: str
    budget_id: str
    org_unit_id: str
    year: int
    fee_category: str
    amount: str
    approved_by: str
    reason: str
    approved_at: str
    contract_version: int = 1
