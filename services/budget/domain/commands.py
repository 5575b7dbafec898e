"""Commands: what callers ask the budget service to do (imperative, never broadcast)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .assets import AssetFilter


@dataclass(frozen=True)
class RegisterAsset:
    fields: dict                       # loose values: parsed and validated by domain.assets.parse_asset
    relations: tuple = ()              # ((kind, other_asset_id), ...)


@dataclass(frozen=True)
class UpdateAsset:
    asset_id: str
    changes: dict                      # only the fields to change
    expected_version: int = 0          # 0 = don't check


@dataclass(frozen=True)
class RetireAsset:
    asset_id: str
    reason: str = ""


@dataclass(frozen=True)
class RelateAssets:
    from_id: str
    to_id: str
    kind: str


@dataclass(frozen=True)
class ListAssets:
    filter: AssetFilter = field(default_factory=AssetFilter)
    page_size: int = 100
    page_token: str = ""


@dataclass(frozen=True)
class ImportAssets:
    content: bytes
    format: str                        # "csv" or "xlsx"
    validate_only: bool = False        # a dry run: every check, nothing written


@dataclass(frozen=True)
class CreateStandard:
    code: str
    name: str
    effective_from: str
    effective_to: str
    body: dict
    default_region: str = ""
    note: str = ""


@dataclass(frozen=True)
class UpdateStandard:
    standard_id: str
    name: str
    effective_from: str
    effective_to: str
    body: dict
    default_region: str = ""
    note: str = ""


@dataclass(frozen=True)
class ApproveStandard:
    standard_id: str
    comment: str = ""


@dataclass(frozen=True)
class CompileBudget:
    org_unit_id: str
    year: int
    standard_id: str
    include_subtree: bool = False
    region: str = ""
    thresholds: tuple = ()
    comment: str = ""


@dataclass(frozen=True)
class ChangeBudgetState:
    budget_id: str
    action: str                        # a key of domain.budget.TRANSITIONS
    comment: str = ""


@dataclass(frozen=True)
class RecordExpense:
    budget_id: str
    fee_category: str
    amount: str
    spent_on: str
    fee_item: str = ""
    line_no: int = 0
    description: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class ApproveOverBudget:
    commitment_id: str
    reason: str
