"""What the budget handlers need from persistence, as typing Protocols (no SQLAlchemy here).

`adapters/uow.py` implements them on PostgreSQL; tests/unit/budget_fakes.py implements the
recording part in memory. mypy checks both against these (the `_conforms` functions), and
tests/integration/test_budget_repository_contract.py runs the same cases on both.

Assets and budgets are filtered by the scope the unit of work was opened with; standards are
shared by all units. Handlers that register assets, move a budget through its states and record
spending take a `RecordingUow`; the rest (asset changes, lists, imports, standards, compilation,
traces) a `BudgetUow`."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from govkit.errors import FieldViolation
from govkit.events import Event
from govkit.ports import Transaction

from .assets import Asset, AssetFilter
from .budget import Action, Budget, Expense
from .commitments import Commitment
from .compilation import AssetGroup, Line
from .fees import SpendingPolicy
from .standard import Standard


class AssetRegister(Protocol):
    """Registering one asset: codes are unique system-wide, reads are scoped."""

    def get(self, asset_id: str, *, for_update: bool = False) -> Asset | None: ...
    def codes_taken(self, codes: Iterable[str]) -> set[str]:
        """Codes already registered, in any unit."""
    def add(self, asset: Asset) -> None:
        """ALREADY_EXISTS if the code is taken."""
    def record_history(self, asset_id: str, at: datetime, actor: str, action: str, changes: dict) -> None: ...
    def relate(self, from_id: str, to_id: str, kind: str) -> bool:
        """False if the relation is already recorded."""


class AssetRepository(AssetRegister, Protocol):
    def update(self, asset: Asset) -> None: ...
    def history(self, asset_id: str) -> list[dict]: ...
    def relations(self, asset_id: str) -> list[tuple[str, str, str]]: ...
    def list(self, flt: AssetFilter, page_size: int, after_code: str | None) -> list[Asset]: ...
    def of_group(self, budget_id: str, group_no: int, limit: int, offset: int) -> builtins.list[Asset]:
        """A page of a budget group's assets in the group's stored order (asset code)."""
    def copy_in(self, assets: builtins.list[Asset], history: builtins.list[tuple]) -> None: ...
    def groups(self, units: builtins.list[str]) -> builtins.list[AssetGroup]: ...
    def store_groups(self, budget_id: str, units: builtins.list[str]) -> builtins.list[AssetGroup]: ...


class StandardRepository(Protocol):
    def next_version(self, code: str) -> int: ...
    def add(self, s: Standard) -> None: ...
    def get(self, standard_id: str, *, for_update: bool = False) -> Standard | None: ...
    def list(self) -> list[Standard]: ...
    def save(self, s: Standard) -> None: ...


class BudgetLedger(Protocol):
    """A budget's state changes and its spending."""

    def get(self, budget_id: str, *, for_update: bool = False) -> Budget | None: ...
    def by_unit_year(self, unit: str, year: int, *, for_update: bool = False) -> Budget | None: ...
    def approved_covering(self, units_nearest_first: list[str], year: int) -> Budget | None: ...
    def save(self, b: Budget) -> None: ...
    def add_action(self, budget_id: str, a: Action) -> None: ...
    def actions(self, budget_id: str) -> list[Action]: ...
    def line(self, budget_id: str, line_no: int) -> Line | None: ...
    def add_expense(self, e: Expense) -> bool:
        """False if the external id (idempotency key / payment id) is already recorded."""
    def expense_by_external_id(self, external_id: str) -> Expense | None: ...
    def fire_alert(self, budget_id: str, scope: str, kind: str, threshold: int, at: datetime) -> bool: ...
    def spent(self, budget_id: str) -> tuple[dict[int, Decimal], dict[str, Decimal], Decimal]:
        """Counted spending only (status `counted`): by line, by fee category, in total."""
    # -- commitments (domain/commitments.py); `paid` is filled in from the counted expenses --
    def add_commitment(self, c: Commitment) -> bool:
        """False if the contract already has a commitment (one per contract)."""
    def save_commitment(self, c: Commitment) -> None: ...
    def commitment(self, commitment_id: str, *, for_update: bool = False) -> Commitment | None:
        """Scoped by the commitment's unit (another department's reads as None)."""
    def commitment_for_contract(self, contract_id: str) -> Commitment | None: ...
    def commitments(self, budget_id: str) -> list[Commitment]: ...
    def committed(self, budget_id: str) -> dict[str, Decimal]:
        """Remaining amount of the counting (open or approved) commitments, by fee category."""


class BudgetRepository(BudgetLedger, Protocol):
    def add(self, b: Budget) -> None: ...
    def overlapping(self, year: int, units: builtins.list[str], exclude_id: str) -> builtins.list[Budget]:
        """Budgets of `year` (whatever the caller's scope) counting any of `units`, except one."""
    def list(self, *, org_unit_id: str = "", year: int = 0, state: str = "") -> list[Budget]: ...
    def clear_compilation(self, budget_id: str) -> None: ...
    def add_lines(self, budget_id: str, lines: builtins.list[Line]) -> None: ...
    def lines(self, budget_id: str, *, category: str = "", after: int = 0,
              limit: int | None = None) -> builtins.list[Line]: ...
    def group(self, budget_id: str, group_no: int) -> dict | None: ...
    def expenses(self, budget_id: str) -> builtins.list[Expense]: ...


class UnitDirectory(Protocol):
    """The part of govkit.orgdir.OrgDirectory (the local copy of org's units) recording reads."""

    def known(self, unit_ids: Iterable[str]) -> set[str]: ...
    def require_units(self, named: Iterable[tuple[str, str]]) -> None:
        """Refuse units named in a request that org does not hold or has deactivated (govkit.units)."""
    def unit_violations(self, named: Iterable[tuple[str, str]]) -> list[FieldViolation]:
        """The same check as one violation per field (an import's report)."""
    def ancestors(self, unit_id: str) -> list[str]:
        """The unit's parents, nearest first."""


class OrgDirectory(UnitDirectory, Protocol):
    def unit(self, unit_id: str) -> dict | None: ...
    def subtree(self, unit_id: str) -> set[str]: ...
    def apply(self, name: str, d: dict) -> bool: ...


class RecordingUow(Transaction, Protocol):
    """Registering assets, moving a budget through its states, recording spending."""

    @property
    def assets(self) -> AssetRegister: ...
    @property
    def budgets(self) -> BudgetLedger: ...
    @property
    def orgdir(self) -> UnitDirectory: ...
    @property
    def spending(self) -> SpendingPolicy:
        """The deployment's excluded-cost words (GOVOPS_BUDGET_EXCLUDED_KEYWORDS)."""


class BudgetUow(RecordingUow, Protocol):
    """Everything the budget handlers touch."""

    @property
    def assets(self) -> AssetRepository: ...
    @property
    def budgets(self) -> BudgetRepository: ...
    @property
    def standards(self) -> StandardRepository: ...
    @property
    def orgdir(self) -> OrgDirectory: ...
    def collect_bulk(self, events: builtins.list[Event]) -> None:
        """Like `collect`, for many flat events at once (an import)."""
