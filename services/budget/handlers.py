"""Budget use cases: one function each, `handle(command, uow, caller) -> result`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from govkit import logs
from govkit.auth import Principal
from govkit.consumers import deliver
from govkit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Validator
from govkit.events import Envelope, jsonable, utcnow
from govkit.idempotency import check_replay, fingerprint
from govkit.protoconv import decode_page_token, encode_page_token, page_offset

from .domain import budget as bd
from .domain import commitments as cm
from .domain import fees
from .domain.assets import RELATION_KINDS, Asset, merge, parse_asset
from .domain.commands import (
    ApproveOverBudget,
    ApproveStandard,
    ChangeBudgetState,
    CompileBudget,
    CreateStandard,
    ImportAssets,
    ListAssets,
    RecordExpense,
    RegisterAsset,
    RelateAssets,
    RetireAsset,
    UpdateAsset,
    UpdateStandard,
)
from .domain.compilation import Line, Totals, compile_lines, totals_of
from .domain.events import (
    AssetChanged,
    AssetRegistered,
    AssetRetired,
    BudgetApproved,
    BudgetCompiled,
    BudgetExceeded,
    BudgetThresholdReached,
    CommitmentApproved,
    CommitmentRecorded,
    CommitmentRefused,
    ExpenseRecorded,
)
from .domain.money import parse_decimal
from .domain.ports import BudgetUow, RecordingUow
from .domain.standard import APPROVED, Standard, new_standard, parse_body

log = logs.get_logger(__name__)
BEIJING = timezone(timedelta(hours=8))  # "today" for spending dates is the budget office's date
MAX_PAGE = 1000
MIN_YEAR, MAX_YEAR = 2000, 2100


def _require_unit(caller: Principal, unit: str, what: str = "org unit") -> None:
    if not caller.scope.allows(unit):
        raise PermissionDenied(f"{what} {unit} is outside your scope")


# ---- org directory (govkit.orgdir, fed by org's events through the worker) -------------------
def upsert_org_units(units: list[tuple[str, str, str | None]], uow: BudgetUow) -> None:
    """Seed the org directory directly (demo seed, tests, benchmarks)."""
    with uow:
        for unit_id, name, parent in units:
            uow.orgdir.apply("org_unit_created", {"org_unit_id": unit_id, "name": name, "parent_id": parent})
        uow.commit()


def unit_name(unit_id: str, uow: BudgetUow) -> str:
    """The unit's current name (org renames included), or its id if org never told us of it."""
    with uow:
        return (uow.orgdir.unit(unit_id) or {}).get("name") or unit_id


# ---- assets --------------------------------------------------------------------------------
def _registered(a: Asset, origin: str) -> AssetRegistered:
    return AssetRegistered(asset_id=a.id, code=a.code, name=a.name, kind=a.kind, org_unit_id=a.org_unit_id,
                           original_value=str(a.original_value), quantity=a.quantity,
                           protection_level=a.protection_level, status=a.status, origin=origin,
                           registered_at=jsonable(a.created_at))


def register_asset(cmd: RegisterAsset, uow: RecordingUow, caller: Principal) -> Asset:
    v = Validator()
    now = utcnow()
    asset = parse_asset(v, cmd.fields, today=now.date())
    relations = []
    for i, (kind, other) in enumerate(cmd.relations):
        if kind not in RELATION_KINDS:
            v.fail(f"relations[{i}].kind", f"must be one of {', '.join(RELATION_KINDS)}")
        relations.append((kind, other))
    v.check()
    _require_unit(caller, asset.org_unit_id)
    asset = replace(asset, created_at=now, updated_at=now)
    with uow:
        uow.orgdir.require_units([("org_unit_id", asset.org_unit_id)])
        if uow.assets.codes_taken([asset.code]):
            raise InvalidArgument(field="code", reason=f"asset code {asset.code} is already registered")
        uow.assets.add(asset)
        uow.assets.record_history(asset.id, now, caller.subject, "registered", {"origin": "api"})
        for i, (kind, other) in enumerate(relations):
            if uow.assets.get(other) is None:
                raise InvalidArgument(field=f"relations[{i}].asset_id", reason=f"asset {other} not found")
            uow.assets.relate(asset.id, other, kind)
        uow.collect(_registered(asset, "api"))
        uow.commit()
    return asset


def _get_asset(uow: RecordingUow, asset_id: str, *, for_update: bool = False) -> Asset:
    asset = uow.assets.get(asset_id, for_update=for_update)
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    return asset


def update_asset(cmd: UpdateAsset, uow: BudgetUow, caller: Principal) -> Asset:
    now = utcnow()
    with uow:
        old = _get_asset(uow, cmd.asset_id, for_update=True)
        if cmd.expected_version and cmd.expected_version != old.version:
            raise FailedPrecondition(f"asset {old.code} changed meanwhile (version {old.version}, "
                                     f"you edited {cmd.expected_version}); reload and retry")
        if "code" in cmd.changes and cmd.changes["code"] != old.code:
            raise InvalidArgument(field="code", reason="an asset code cannot change")
        if old.status == "retired":
            raise FailedPrecondition(f"asset {old.code} is retired and can no longer change")
        v = Validator()
        new = parse_asset(v, merge(old, cmd.changes), asset_id=old.id, today=now.date())
        v.check()
        if new.org_unit_id != old.org_unit_id:
            _require_unit(caller, new.org_unit_id)
            uow.orgdir.require_units([("org_unit_id", new.org_unit_id)])
        changes = old.changes_to(new)
        if not changes:
            return old
        new = replace(new, created_at=old.created_at, updated_at=now, version=old.version + 1)
        uow.assets.update(new)
        uow.assets.record_history(new.id, now, caller.subject, "changed", changes)
        if new.status == "retired":
            uow.collect(AssetRetired(asset_id=new.id, code=new.code, kind=new.kind, org_unit_id=new.org_unit_id,
                                     original_value=str(new.original_value), retired_at=jsonable(now)))
        else:
            uow.collect(AssetChanged(asset_id=new.id, code=new.code, kind=new.kind, org_unit_id=new.org_unit_id,
                                     changes=jsonable(changes), changed_at=jsonable(now)))
        uow.commit()
    return new


def retire_asset(cmd: RetireAsset, uow: BudgetUow, caller: Principal) -> Asset:
    now = utcnow()
    with uow:
        old = _get_asset(uow, cmd.asset_id, for_update=True)
        if old.status == "retired":
            return old
        new = replace(old, status="retired", updated_at=now, version=old.version + 1)
        uow.assets.update(new)
        uow.assets.record_history(new.id, now, caller.subject, "retired",
                                  {"status": [old.status, "retired"], "reason": cmd.reason[:500]})
        uow.collect(AssetRetired(asset_id=new.id, code=new.code, kind=new.kind, org_unit_id=new.org_unit_id,
                                 original_value=str(new.original_value), retired_at=jsonable(now)))
        uow.commit()
    return new


def relate_assets(cmd: RelateAssets, uow: BudgetUow, caller: Principal) -> bool:
    if cmd.kind not in RELATION_KINDS:
        raise InvalidArgument(field="kind", reason=f"must be one of {', '.join(RELATION_KINDS)}")
    if cmd.from_id == cmd.to_id:
        raise InvalidArgument(field="to_id", reason="an asset cannot relate to itself")
    now = utcnow()
    with uow:
        a = _get_asset(uow, cmd.from_id, for_update=True)
        b = _get_asset(uow, cmd.to_id)
        added = uow.assets.relate(a.id, b.id, cmd.kind)
        if added:
            uow.assets.record_history(a.id, now, caller.subject, "related", {"relation": [cmd.kind, b.id]})
            uow.commit()
    return added


@dataclass(frozen=True)
class AssetDetail:
    asset: Asset
    relations: list
    history: list


def get_asset(asset_id: str, uow: BudgetUow, caller: Principal) -> AssetDetail:
    with uow:
        asset = _get_asset(uow, asset_id)
        return AssetDetail(asset, uow.assets.relations(asset.id), uow.assets.history(asset.id))


def _page_size(size: int) -> int:
    if size < 0:
        raise InvalidArgument(field="page.page_size", reason="must not be negative")
    return min(size or 100, MAX_PAGE)


def list_assets(cmd: ListAssets, uow: BudgetUow, caller: Principal) -> tuple[list[Asset], str]:
    size = _page_size(cmd.page_size)
    after = decode_page_token(cmd.page_token, _asset_code)
    with uow:
        rows = uow.assets.list(cmd.filter, size + 1, after)
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_encode_token(rows[-1].code) if more else "")


_encode_token = encode_page_token


def _asset_code(value) -> str:
    """`parse` for list_assets' token: the last asset code of the page before."""
    if not isinstance(value, str):
        raise ValueError("not an asset code")
    return value


def import_assets(cmd: ImportAssets, uow: BudgetUow, caller: Principal) -> int:
    """All or nothing: every row is validated first; any bad row rejects the whole file with a
    per-row report (`rows[12].original_value`, rows numbered as the spreadsheet shows them).
    With `validate_only` it stops after the checks (the same ones, codes taken included): the
    number returned is then the rows that would be imported, and nothing is written."""
    from .adapters.files import read_rows

    rows = read_rows(cmd.content, cmd.format)  # raises InvalidArgument naming rows and columns
    v = Validator()
    now = utcnow()
    assets: list[tuple[int, Asset]] = []
    seen_codes: dict[str, int] = {}
    for row_no, raw in rows:
        prefix = f"rows[{row_no}]."
        a = parse_asset(v, raw, prefix=prefix, today=now.date())
        if a is None:
            continue
        if a.code in seen_codes:
            v.fail(prefix + "code", f"duplicate asset code {a.code} (also in row {seen_codes[a.code]})")
            continue
        seen_codes[a.code] = row_no
        assets.append((row_no, replace(a, created_at=now, updated_at=now)))
    if not rows:
        v.fail("rows", "the file holds no asset rows")
    outside = [(n, a) for n, a in assets if not caller.scope.allows(a.org_unit_id)]
    if outside:
        n, a = outside[0]
        raise PermissionDenied(f"rows[{n}].org_unit_id: {a.org_unit_id} is outside your scope"
                               + (f" (and {len(outside) - 1} more rows)" if len(outside) > 1 else ""))
    with uow:
        v.violations += uow.orgdir.unit_violations((f"rows[{n}].org_unit_id", a.org_unit_id) for n, a in assets)
        taken = uow.assets.codes_taken(a.code for _, a in assets)
        for n, a in assets:
            if a.code in taken:
                v.fail(f"rows[{n}].code", f"asset code {a.code} is already registered")
        if v.violations:
            total = len(v.violations)
            shown = v.violations[:200]
            raise InvalidArgument(shown, f"{total} problem(s) in the file; nothing was imported"
                                  + (" (first 200 listed)" if total > 200 else ""))
        if cmd.validate_only:
            return len(assets)
        history = [(a.id, now, caller.subject, "registered", {"origin": "import"}) for _, a in assets]
        uow.assets.copy_in([a for _, a in assets], history)
        uow.collect_bulk([_registered(a, "import") for _, a in assets])
        uow.commit()
    return len(assets)


# ---- quota standards -----------------------------------------------------------------------
def create_standard(cmd: CreateStandard, uow: BudgetUow, caller: Principal) -> Standard:
    now = utcnow()
    with uow:
        version = uow.standards.next_version(cmd.code.strip()) if cmd.code.strip() else 1
        s = new_standard(Validator(), code=cmd.code, name=cmd.name, effective_from=cmd.effective_from,
                         effective_to=cmd.effective_to, body=cmd.body, default_region=cmd.default_region,
                         version=version, created_by=caller.subject, now=now, note=cmd.note)
        uow.standards.add(s)
        uow.commit()
    return s


def update_standard(cmd: UpdateStandard, uow: BudgetUow, caller: Principal) -> Standard:
    now = utcnow()
    with uow:
        old = uow.standards.get(cmd.standard_id, for_update=True)
        if old is None:
            raise NotFound(f"standard {cmd.standard_id} not found")
        old.require_editable()
        s = new_standard(Validator(), code=old.code, name=cmd.name, effective_from=cmd.effective_from,
                         effective_to=cmd.effective_to, body=cmd.body, default_region=cmd.default_region,
                         version=old.version, created_by=old.created_by, now=now, note=cmd.note)
        s = replace(s, id=old.id, created_at=old.created_at, updated_by=caller.subject)
        uow.standards.save(s)
        uow.commit()
    return s


def approve_standard(cmd: ApproveStandard, uow: BudgetUow, caller: Principal) -> Standard:
    with uow:
        s = uow.standards.get(cmd.standard_id, for_update=True)
        if s is None:
            raise NotFound(f"standard {cmd.standard_id} not found")
        s.require_editable()
        drafters = {s.created_by, s.updated_by} - {""}
        if caller.subject in drafters:
            raise PermissionDenied(f"separation of duties: you drafted or edited standard {s.code} v{s.version}; "
                                   "another person with budget.standard.approve must approve it")
        s = replace(s, state=APPROVED, approved_by=caller.subject, approved_at=utcnow())
        uow.standards.save(s)
        uow.commit()
    return s


def get_standard(standard_id: str, uow: BudgetUow, caller: Principal) -> Standard:
    with uow:
        s = uow.standards.get(standard_id)
    if s is None:
        raise NotFound(f"standard {standard_id} not found")
    return s


def list_standards(uow: BudgetUow, caller: Principal) -> list[Standard]:
    with uow:
        return uow.standards.list()


def validate_standard_body(body: dict) -> None:
    v = Validator()
    parse_body(v, body)
    v.check()


# ---- compilation ---------------------------------------------------------------------------
def _budget_units(uow: BudgetUow, caller: Principal, unit: str, include_subtree: bool) -> list[str]:
    _require_unit(caller, unit, "budget unit")
    uow.orgdir.require_units([("org_unit_id", unit)])
    units = sorted(uow.orgdir.subtree(unit)) if include_subtree else [unit]
    return [u for u in units if caller.scope.allows(u)]


def _check_standard_for(uow: BudgetUow, standard_id: str, year: int, region: str, *, need_approved: bool,
                        field: str = "standard_id") -> tuple[Standard, str]:
    s = uow.standards.get(standard_id)
    if s is None:
        raise NotFound(f"standard {standard_id} not found")
    if need_approved and s.state != APPROVED:
        raise FailedPrecondition(f"standard {s.code} v{s.version} is a draft; approve it before compiling")
    if not s.effective_for_year(year):
        until = f" to {s.effective_to}" if s.effective_to else ""
        raise InvalidArgument(field=field, reason=(
            f"standard {s.code} v{s.version} is effective from {s.effective_from}{until}; "
            f"it does not cover budget year {year} (from {year}-01-01)"))
    region = region.strip() or s.default_region
    grades = {w.staff_grade for w in s.body.workload_standards}
    missing = [g for g in grades if s.body.labour_cost(g, region) is None]
    if missing:
        raise InvalidArgument(field="region", reason=(
            f"standard {s.code} v{s.version} has no labour cost for {', '.join(sorted(missing))} in region "
            f"{region!r}; regions: {', '.join(s.body.regions)}"))
    return s, region


def _check_year(year: int, field: str = "year") -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidArgument(field=field, reason=f"must be between {MIN_YEAR} and {MAX_YEAR}, got {year}")


def _thresholds(raw) -> tuple[int, ...]:
    if not raw:
        return bd.DEFAULT_THRESHOLDS
    v = Validator()
    out = []
    for i, t in enumerate(raw):
        if not isinstance(t, int) or not 1 <= t <= 1000:
            v.fail(f"thresholds[{i}]", "must be a whole percent between 1 and 1000")
        else:
            out.append(t)
    v.check()
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class Compiled:
    budget: bd.Budget
    lines: list[Line]


def compile_budget(cmd: CompileBudget, uow: BudgetUow, caller: Principal) -> Compiled:
    """Compute (or recompute, while a draft) the budget of a unit and year. Set-based: the
    register is grouped in PostgreSQL, lines are computed per group and bulk inserted."""
    _check_year(cmd.year)
    thresholds = _thresholds(cmd.thresholds)
    now = utcnow()
    with uow:
        units = _budget_units(uow, caller, cmd.org_unit_id, cmd.include_subtree)
        standard, region = _check_standard_for(uow, cmd.standard_id, cmd.year, cmd.region, need_approved=True)
        existing = uow.budgets.by_unit_year(cmd.org_unit_id, cmd.year, for_update=True)
        _refuse_overlap(uow, cmd.org_unit_id, cmd.year, units, existing.id if existing else "")
        if existing is not None:
            existing.require_editable()
            budget_id = existing.id
            uow.budgets.clear_compilation(budget_id)
        else:
            budget_id = str(uuid.uuid4())
        b = bd.Budget(id=budget_id, org_unit_id=cmd.org_unit_id, include_subtree=cmd.include_subtree, year=cmd.year,
                      standard_id=standard.id, standard_label=f"{standard.code} v{standard.version}",
                      region=region, state=bd.DRAFT, total=Decimal("0.00"), by_category={}, by_kind={},
                      asset_count=0, line_count=0, thresholds=thresholds, org_unit_ids=tuple(units),
                      created_by=caller.subject, compiled_at=now)
        if existing is None:
            uow.budgets.add(b)
        groups = uow.assets.store_groups(budget_id, units)
        lines = compile_lines(groups, standard, region)
        totals = totals_of(lines, groups)
        b = replace(b, total=totals.total, by_category=totals.by_category, by_kind=totals.by_kind,
                    asset_count=totals.asset_count, line_count=totals.line_count)
        uow.budgets.save(b)
        uow.budgets.add_lines(budget_id, lines)
        uow.budgets.add_action(budget_id, bd.Action("compile", existing.state if existing else "", bd.DRAFT,
                                                    caller.subject, cmd.comment[:2000], now))
        uow.collect(BudgetCompiled(budget_id=b.id, org_unit_id=b.org_unit_id, year=b.year,
                                   include_subtree=b.include_subtree,
                                   standard_id=standard.id, standard=b.standard_label, total=str(b.total),
                                   by_category=jsonable(b.by_category), asset_count=b.asset_count,
                                   line_count=b.line_count, compiled_at=jsonable(now)))
        uow.commit()
    return Compiled(b, lines)


def _refuse_overlap(uow: BudgetUow, unit: str, year: int, units: list[str], budget_id: str) -> None:
    """Two budgets of one year never count the same unit's assets: a parent compiled with its
    subtree and a child compiled on its own would both hold the child's assets (and the sum of
    the two would count them twice). Compile the parent alone, or drop the child's budget."""
    others = uow.budgets.overlapping(year, units, budget_id)
    if not others:
        return
    o = others[0]
    shared = sorted(set(units) & set(o.org_unit_ids))
    listed = ", ".join(shared[:5]) + (" …" if len(shared) > 5 else "")
    raise FailedPrecondition(
        f"budget {o.org_unit_id}/{year} ({o.id}, {o.state}) already counts the assets of {listed}; two {year} "
        f"budgets must not count the same unit twice — compile the parent unit without its subtree, "
        f"or remove the other budget first")


def _get_budget(uow: RecordingUow, budget_id: str, *, for_update: bool = False) -> bd.Budget:
    b = uow.budgets.get(budget_id, for_update=for_update)
    if b is None:
        raise NotFound(f"budget {budget_id} not found")
    return b


def get_budget(budget_id: str, uow: BudgetUow, caller: Principal) -> tuple[bd.Budget, list[bd.Action]]:
    with uow:
        b = _get_budget(uow, budget_id)
        return b, uow.budgets.actions(b.id)


def list_budgets(uow: BudgetUow, caller: Principal, *, org_unit_id: str = "", year: int = 0,
                 state: str = "") -> list[bd.Budget]:
    with uow:
        return uow.budgets.list(org_unit_id=org_unit_id, year=year, state=state)


def budget_lines(budget_id: str, uow: BudgetUow, caller: Principal, *, category: str = "", page_size: int = 0,
                 page_token: str = "") -> tuple[list[Line], str]:
    size = _page_size(page_size)
    after = decode_page_token(page_token, page_offset) or 0
    with uow:
        b = _get_budget(uow, budget_id)
        lines = uow.budgets.lines(b.id, category=category, after=after, limit=size + 1)
    more = len(lines) > size
    lines = lines[:size]
    return lines, (_encode_token(lines[-1].line_no) if more else "")


@dataclass(frozen=True)
class LineTrace:
    budget: bd.Budget
    line: Line
    group: dict
    assets: list[Asset]
    next_page_token: str


def trace_line(budget_id: str, line_no: int, uow: BudgetUow, caller: Principal, *, page_size: int = 0,
               page_token: str = "") -> LineTrace:
    """Why a line is in the budget: its rule, coefficients, formula and the assets behind it."""
    size = _page_size(page_size)
    offset = decode_page_token(page_token, page_offset) or 0
    with uow:
        b = _get_budget(uow, budget_id)
        line = uow.budgets.line(b.id, line_no)
        if line is None:
            raise NotFound(f"budget {budget_id} has no line {line_no}")
        group = uow.budgets.group(b.id, line.group_no)
        assets = uow.assets.of_group(b.id, line.group_no, size, offset)
    more = offset + size < group["asset_count"]
    return LineTrace(b, line, group, assets, _encode_token(offset + size) if more else "")


def change_budget_state(cmd: ChangeBudgetState, uow: RecordingUow, caller: Principal) -> bd.Budget:
    if cmd.action not in bd.TRANSITIONS:
        raise InvalidArgument(field="action", reason=f"must be one of {', '.join(bd.TRANSITIONS)}")
    caller.require(bd.TRANSITIONS[cmd.action][2])
    now = utcnow()
    with uow:
        b = _get_budget(uow, cmd.budget_id, for_update=True)
        if cmd.action in ("review", "approve"):
            _require_other_person(uow, b, caller, cmd.action)
        new = b.transition(cmd.action)
        if new.state == bd.APPROVED:
            new = replace(new, approved_by=caller.subject, approved_at=now)
        uow.budgets.save(new)
        uow.budgets.add_action(b.id, bd.Action(cmd.action, b.state, new.state, caller.subject,
                                               cmd.comment[:2000], now))
        if new.state == bd.APPROVED:
            uow.collect(BudgetApproved(budget_id=b.id, org_unit_id=b.org_unit_id, year=b.year, total=str(b.total),
                                       by_category=jsonable(b.by_category), approved_by=caller.subject,
                                       approved_at=jsonable(now), asset_count=b.asset_count))
        uow.commit()
    return new


def _require_other_person(uow: RecordingUow, b: bd.Budget, caller: Principal, action: str) -> None:
    """Separation of duties: whoever compiled or submitted a budget neither reviews nor approves it."""
    preparers = {b.created_by} | {a.actor for a in uow.budgets.actions(b.id) if a.action in ("compile", "submit")}
    if caller.subject in preparers - {""}:
        raise PermissionDenied(f"separation of duties: you compiled or submitted budget {b.org_unit_id}/{b.year}; "
                               f"another person must {action} it")


@dataclass(frozen=True)
class Comparison:
    budget: bd.Budget
    last_year: bd.Budget | None
    what_if_standard: Standard | None
    what_if: Totals | None


def compare_budget(budget_id: str, against_standard_id: str, uow: BudgetUow, caller: Principal) -> Comparison:
    """Compare with last year's budget of the same unit, and (what-if) with the same register
    priced by another standard version — computed, never stored."""
    with uow:
        b = _get_budget(uow, budget_id)
        last = uow.budgets.by_unit_year(b.org_unit_id, b.year - 1)
        what_if = other = None
        if against_standard_id:
            other, region = _check_standard_for(uow, against_standard_id, b.year, b.region, need_approved=False,
                                                field="against_standard_id")
            groups = uow.assets.groups(list(b.org_unit_ids))
            what_if = totals_of(compile_lines(groups, other, region), groups)
    return Comparison(b, last, other, what_if)


# ---- execution -----------------------------------------------------------------------------
def _money_str(d: Decimal) -> str:
    return str(d.quantize(Decimal("0.01")))


def _record(uow: RecordingUow, b: bd.Budget, e: bd.Expense, now: datetime) -> bool:
    """Insert the expense and collect its events (threshold crossings included). False if the
    external id was recorded before (an idempotent replay)."""
    by_line_before, by_cat_before, total_before = uow.budgets.spent(b.id)
    if not uow.budgets.add_expense(e):
        return False
    cat_before = by_cat_before.get(e.fee_category, Decimal("0.00"))
    cat_after, total_after = cat_before + e.amount, total_before + e.amount
    cat_budget = b.by_category.get(e.fee_category, Decimal("0.00"))
    uow.collect(ExpenseRecorded(
        expense_id=e.id, budget_id=b.id, org_unit_id=b.org_unit_id, year=b.year, fee_category=e.fee_category,
        fee_item=e.fee_item, line_no=e.line_no, amount=_money_str(e.amount), origin=e.source,
        external_id=e.external_id, category_spent=_money_str(cat_after),
        category_execution_rate=str(bd.execution_rate(cat_after, cat_budget)), total_spent=_money_str(total_after),
        execution_rate=str(bd.execution_rate(total_after, b.total)), recorded_at=jsonable(now)))
    found = (bd.crossings("total", b.total, total_before, total_after, b.thresholds)
             + bd.crossings(e.fee_category, cat_budget, cat_before, cat_after, b.thresholds))
    for c in found:
        if not uow.budgets.fire_alert(b.id, c.scope, c.kind, c.threshold, now):
            continue
        rate = str(bd.execution_rate(c.spent, c.budgeted))
        if c.kind == "threshold":
            uow.collect(BudgetThresholdReached(budget_id=b.id, org_unit_id=b.org_unit_id, year=b.year, scope=c.scope,
                                               threshold=c.threshold, budgeted=_money_str(c.budgeted),
                                               spent=_money_str(c.spent), execution_rate=rate))
        else:
            uow.collect(BudgetExceeded(budget_id=b.id, org_unit_id=b.org_unit_id, year=b.year, scope=c.scope,
                                       budgeted=_money_str(c.budgeted), spent=_money_str(c.spent),
                                       execution_rate=rate))
    return True


@dataclass(frozen=True)
class Recorded:
    expense: bd.Expense
    replayed: bool


def record_expense(cmd: RecordExpense, uow: RecordingUow, caller: Principal, *,
                   now: datetime | None = None) -> Recorded:
    now = now or utcnow()
    today = now.astimezone(BEIJING).date()
    v = Validator()
    category = fees.check_category(v, "fee_category", cmd.fee_category)
    item = fees.check_item(v, "fee_item", cmd.fee_item, category) if cmd.fee_item else ""
    amount = parse_decimal(v, "amount", cmd.amount, positive=True, max_places=2)
    spent_on = None
    try:
        spent_on = date.fromisoformat(cmd.spent_on.strip()) if cmd.spent_on.strip() else None
        if spent_on is None:
            v.fail("spent_on", "is required")
    except ValueError:
        v.fail("spent_on", f"must be a date YYYY-MM-DD, got {cmd.spent_on[:40]!r}")
    if spent_on is not None and spent_on > today:
        v.fail("spent_on", f"{spent_on} is in the future (today is {today}); record spending once it is made")
    if cmd.line_no < 0:
        v.fail("line_no", "must not be negative")
    key = v.text("idempotency_key", cmd.idempotency_key, required=False, max_len=128)
    description = v.text("description", cmd.description, required=False, max_len=2000)
    excluded = uow.spending.violation(description or "")
    if excluded:
        v.fail("description", excluded)
    v.check()
    external_id = f"manual:{caller.subject}:{key}" if key else None
    request = fingerprint(cmd) if key else None
    with uow:
        b = _get_budget(uow, cmd.budget_id, for_update=True)
        if external_id:
            earlier = uow.budgets.expense_by_external_id(external_id)
            if earlier is not None:
                check_replay(earlier.request_fingerprint, request or "", key=key, what="expense")
                return Recorded(earlier, True)
        if b.state != bd.APPROVED:
            raise FailedPrecondition(f"budget {b.org_unit_id}/{b.year} is {b.state}; spending is recorded only "
                                     "against an approved budget")
        if spent_on.year != b.year:
            raise InvalidArgument(field="spent_on", reason=f"{spent_on} is outside budget year {b.year}")
        line_no = cmd.line_no or None
        if line_no:
            line = uow.budgets.line(b.id, line_no)
            if line is None:
                raise InvalidArgument(field="line_no", reason=f"budget has no line {line_no}")
            if line.fee_category != category:
                raise InvalidArgument(field="line_no", reason=(
                    f"line {line_no} is {line.fee_category}, not {category}"))
            item = item or line.fee_item
        e = bd.Expense(id=str(uuid.uuid4()), budget_id=b.id, org_unit_id=b.org_unit_id, year=b.year,
                       fee_category=category, fee_item=item or "", line_no=line_no, amount=amount,
                       spent_on=spent_on, description=description, source="manual", external_id=external_id,
                       recorded_by=caller.subject, recorded_at=now, request_fingerprint=request)
        _record(uow, b, e, now)
        uow.commit()
    return Recorded(e, False)


CONSUMER_PAYMENTS = "budget.outsource_payments"


def on_payment_recorded(env: Envelope, uow: RecordingUow) -> str:
    """`apply_payment` exactly once per envelope (the worker's path, through govkit.consumers).
    Returns what apply_payment returned, or "duplicate" for an envelope already in the inbox."""
    d = deliver(uow, CONSUMER_PAYMENTS, env, apply_payment)
    return d.result if d.new else "duplicate"


def _is_om(d: dict) -> bool:
    """O&M spending only comes from an O&M-kind project. A payload from before `project_kind`
    existed is O&M when it names a fee category (it always did)."""
    kind = d.get("project_kind")
    if not kind:
        return bool(d.get("fee_category"))
    return kind == cm.OM_KIND


def _available(uow: RecordingUow, b: bd.Budget, category: str) -> Decimal:
    _, by_cat, _ = uow.budgets.spent(b.id)
    return cm.available(b.by_category.get(category, Decimal("0.00")), by_cat.get(category, Decimal("0.00")),
                        uow.budgets.committed(b.id).get(category, Decimal("0.00")))


def apply_payment(env: Envelope, uow: RecordingUow) -> str:
    """outsource.payment_recorded → actual spending, inside the consumer's transaction (the inbox
    dedupes the envelope; a unique external id `outsource:<payment_id>` dedupes a resent payment).
    Returns "recorded" (counted against the covering budget, consuming the contract's commitment),
    "not_om" (a planning or construction payment: kept with no budget, never O&M spending),
    "blocked" (an unapproved over-budget commitment, or beyond the available amount: kept on the
    budget with status blocked, not counted), "unmatched" (no approved budget: kept for
    reconciliation), "duplicate", or "rejected" (bad payload, logged).
    Payload: docs/events.md, govops.outsource.payment_recorded.v1."""
    d = env.data
    v = Validator()
    om = _is_om(d)
    category = fees.check_category(v, "fee_category", d.get("fee_category", "")) if om else ""
    item = fees.check_item(v, "fee_item", d["fee_item"], category) if d.get("fee_item") and category else ""
    amount = parse_decimal(v, "amount", d.get("amount"), positive=True, max_places=2)
    try:
        paid_at = datetime.fromisoformat(str(d.get("paid_on")))
    except ValueError:
        paid_at = None
        v.fail("paid_on", "must be an ISO 8601 date")
    org_unit_id = str(d.get("org_unit_id") or "")
    if not org_unit_id or not d.get("payment_id"):
        v.fail("org_unit_id" if not org_unit_id else "payment_id", "is required")
    now = utcnow()
    if v.violations:
        # A payload that breaks the contract cannot become spending; keep it out, say why, move on.
        log.error("payment_rejected", event_id=env.id, violations=[f"{x.field}: {x.reason}" for x in v.violations])
        return "rejected"
    year = int(d.get("budget_year") or 0) or paid_at.year
    contract_id = str(d.get("contract_id") or "")
    e = bd.Expense(id=str(uuid.uuid4()), budget_id=None, org_unit_id=org_unit_id, year=year,
                   fee_category=category, fee_item=item or "", line_no=None, amount=amount,
                   spent_on=paid_at.date(),
                   description=f"外包付款：合同 {contract_id}，里程碑 {d.get('milestone_id') or '-'}",
                   source="outsource", external_id=f"outsource:{d['payment_id']}",
                   recorded_by=f"outsource:{contract_id}", recorded_at=now)
    if not om:
        recorded = uow.budgets.add_expense(replace(e, status=cm.NOT_OM))
        log.info("payment_not_om", payment_id=d["payment_id"], project_kind=d.get("project_kind"), amount=str(amount),
                 note="a planning or construction payment is not O&M spending; kept for reconciliation only")
        return "not_om" if recorded else "duplicate"
    b = uow.budgets.approved_covering([org_unit_id, *uow.orgdir.ancestors(org_unit_id)], year)
    if b is None:
        recorded = uow.budgets.add_expense(replace(e, status=cm.UNMATCHED))
        log.warning("payment_unmatched", payment_id=d["payment_id"], org_unit_id=org_unit_id, year=year)
        return "unmatched" if recorded else "duplicate"
    if uow.budgets.expense_by_external_id(e.external_id or "") is not None:
        return "duplicate"
    c = uow.budgets.commitment_for_contract(contract_id) if contract_id else None
    if c is not None and c.budget_id != b.id:
        c = None  # committed elsewhere (another year's or unit's budget): not this budget's reservation
    status, why = cm.payment_decision(c, amount, _available(uow, b, category))
    e = replace(e, budget_id=b.id, commitment_id=c.id if c else None)
    if status == cm.BLOCKED:
        uow.budgets.add_expense(replace(e, status=cm.BLOCKED))
        log.warning("payment_blocked", payment_id=d["payment_id"], budget_id=b.id, reason=why)
        return "blocked"
    return "recorded" if _record(uow, b, e, now) else "duplicate"


CONSUMER_CONTRACTS = "budget.outsource_contracts"


def on_contract_signed(env: Envelope, uow: RecordingUow) -> str:
    """`apply_contract_signed` exactly once per envelope (the worker's path, through govkit.consumers)."""
    d = deliver(uow, CONSUMER_CONTRACTS, env, apply_contract_signed)
    return d.result if d.new else "duplicate"


def apply_contract_signed(env: Envelope, uow: RecordingUow) -> str:
    """outsource.contract_signed → a commitment of the contract amount in its fee category against
    the approved budget covering the unit and year (the unit's own, else the nearest ancestor's
    compiled with its subtree; the budget row is locked, so two contracts cannot both take the
    same available amount). Returns "committed" (open; `commitment_recorded`), "over_budget"
    (does not fit, or no approved budget; `commitment_refused`, not counted until approved),
    "not_om" (planning/construction: nothing reserved), "duplicate" or "rejected" (bad payload)."""
    d = env.data
    if not _is_om(d):
        log.info("contract_not_om", contract_id=d.get("contract_id"), project_kind=d.get("project_kind"),
                 note="a planning or construction contract reserves no O&M budget")
        return "not_om"
    v = Validator()
    category = fees.check_category(v, "fee_category", d.get("fee_category", ""))
    amount = parse_decimal(v, "amount", d.get("amount"), positive=True, max_places=2)
    contract_id, org_unit_id = str(d.get("contract_id") or ""), str(d.get("org_unit_id") or "")
    if not contract_id or not org_unit_id:
        v.fail("contract_id" if not contract_id else "org_unit_id", "is required")
    year = int(d.get("budget_year") or 0)
    if not year:
        try:
            year = date.fromisoformat(str(d.get("starts_on"))).year
        except ValueError:
            v.fail("budget_year", "is required (or starts_on)")
    if v.violations:
        log.error("contract_rejected", event_id=env.id, violations=[f"{x.field}: {x.reason}" for x in v.violations])
        return "rejected"
    if uow.budgets.commitment_for_contract(contract_id) is not None:
        return "duplicate"
    now = utcnow()
    b = uow.budgets.approved_covering([org_unit_id, *uow.orgdir.ancestors(org_unit_id)], year)
    available = _available(uow, b, category) if b is not None else None
    state = cm.decide(amount, available) if available is not None else cm.OVER_BUDGET
    c = cm.Commitment(id=str(uuid.uuid4()), contract_id=contract_id, budget_id=b.id if b else None,
                      org_unit_id=org_unit_id, year=year, fee_category=category, amount=amount, state=state,
                      signed_by=str(d.get("signed_by") or ""), project_id=str(d.get("project_id") or ""),
                      vendor_id=str(d.get("vendor_id") or ""), recorded_at=now,
                      reason=cm.refusal_reason(amount, category, available) if state == cm.OVER_BUDGET else "")
    if not uow.budgets.add_commitment(c):
        return "duplicate"
    shown = _money_str(available) if available is not None else "0.00"
    if state == cm.OPEN:
        uow.collect(CommitmentRecorded(commitment_id=c.id, contract_id=contract_id, project_id=c.project_id,
                                       budget_id=b.id if b else "", org_unit_id=org_unit_id, year=year,
                                       fee_category=category, amount=_money_str(amount), available=shown))
        return "committed"
    log.warning("commitment_refused", contract_id=contract_id, commitment_id=c.id, reason=c.reason)
    uow.collect(CommitmentRefused(commitment_id=c.id, contract_id=contract_id, project_id=c.project_id,
                                  budget_id=b.id if b else "", org_unit_id=org_unit_id, year=year,
                                  fee_category=category, amount=_money_str(amount), available=shown,
                                  reason=c.reason))
    return "over_budget"


def on_contract_amended(env: Envelope, uow: RecordingUow) -> str:
    """`apply_contract_amended` exactly once per envelope (the worker's path, through govkit.consumers)."""
    d = deliver(uow, CONSUMER_CONTRACTS, env, apply_contract_amended)
    return d.result if d.new else "duplicate"


def apply_contract_amended(env: Envelope, uow: RecordingUow) -> str:
    """outsource.contract_amended → the contract's commitment takes the amended amount (cm.amend).
    Returns "committed" (open; `commitment_recorded` with the new amount), "approved" (an approved
    overrun whose increase fits: stays approved, no event), "over_budget" (`commitment_refused`),
    "stale" (version not newer: replayed or out of order, nothing changes), "unknown_contract" (no
    commitment: not an O&M contract, or its signing not seen — logged, not an error) or "rejected".
    Payload: docs/events.md, govops.outsource.contract_amended.v1."""
    d = env.data
    v = Validator()
    amount = parse_decimal(v, "amount", d.get("amount"), positive=True, max_places=2)
    contract_id = str(d.get("contract_id") or "")
    if not contract_id:
        v.fail("contract_id", "is required")
    try:
        version = int(d.get("version") or 0)
    except (TypeError, ValueError):
        version = 0
    if version < 1:
        v.fail("version", "must be a positive integer")
    if v.violations:
        log.error("amendment_rejected", event_id=env.id, violations=[f"{x.field}: {x.reason}" for x in v.violations])
        return "rejected"
    c = uow.budgets.commitment_for_contract(contract_id)
    if c is None:
        log.info("amendment_unknown_contract", contract_id=contract_id, version=version,
                 note="no commitment: not an O&M contract, or its signing was not seen")
        return "unknown_contract"
    # Lock the budget row first (as signing and payments do), then the commitment.
    b = uow.budgets.get(c.budget_id, for_update=True) if c.budget_id else None
    c = uow.budgets.commitment(c.id, for_update=True) or c
    available = _available(uow, b, c.fee_category) if b is not None else None
    new = cm.amend(c, version, amount, available)
    if new is None:
        log.info("amendment_stale", contract_id=contract_id, version=version, commitment_version=c.contract_version)
        return cm.STALE
    uow.budgets.save_commitment(new)
    shown = _money_str(available) if available is not None else "0.00"
    if new.state == cm.OPEN:
        uow.collect(CommitmentRecorded(commitment_id=c.id, contract_id=contract_id, project_id=c.project_id,
                                       budget_id=c.budget_id or "", org_unit_id=c.org_unit_id, year=c.year,
                                       fee_category=c.fee_category, amount=_money_str(amount), available=shown,
                                       contract_version=version))
        return "committed"
    if new.state == cm.APPROVED:
        return "approved"
    log.warning("commitment_refused", contract_id=contract_id, commitment_id=c.id, reason=new.reason, version=version)
    uow.collect(CommitmentRefused(commitment_id=c.id, contract_id=contract_id, project_id=c.project_id,
                                  budget_id=c.budget_id or "", org_unit_id=c.org_unit_id, year=c.year,
                                  fee_category=c.fee_category, amount=_money_str(amount), available=shown,
                                  reason=new.reason, contract_version=version))
    return "over_budget"


def approve_over_budget(cmd: ApproveOverBudget, uow: RecordingUow, caller: Principal) -> cm.Commitment:
    """超预算审批: budget.approve, a reason, and not the contract's signer. The commitment then counts
    against available and its payments are spending; `commitment_approved` unblocks the contract
    in outsource."""
    caller.require("budget.approve")
    now = utcnow()
    with uow:
        c = uow.budgets.commitment(cmd.commitment_id, for_update=True)
        if c is None:
            raise NotFound(f"commitment {cmd.commitment_id} not found")
        c = cm.approve(c, caller.subject, cmd.reason, now)
        uow.budgets.save_commitment(c)
        uow.collect(CommitmentApproved(commitment_id=c.id, contract_id=c.contract_id, project_id=c.project_id,
                                       budget_id=c.budget_id or "", org_unit_id=c.org_unit_id, year=c.year,
                                       fee_category=c.fee_category, amount=_money_str(c.amount),
                                       approved_by=c.approved_by, reason=c.approval_reason,
                                       approved_at=jsonable(now), contract_version=c.contract_version))
        uow.commit()
    return c


@dataclass(frozen=True)
class ExecutionView:
    budget: bd.Budget
    lines: list[Line]
    by_line: dict
    by_category: dict
    total_spent: Decimal
    expenses: list
    committed_by_category: dict
    commitments: list

    @property
    def total_committed(self) -> Decimal:
        return sum(self.committed_by_category.values(), Decimal("0.00"))

    @property
    def available_by_category(self) -> dict[str, Decimal]:
        cats = set(self.budget.by_category) | set(self.by_category) | set(self.committed_by_category)
        return {c: cm.available(self.budget.by_category.get(c, Decimal("0.00")),
                                self.by_category.get(c, Decimal("0.00")),
                                self.committed_by_category.get(c, Decimal("0.00"))) for c in sorted(cats)}

    @property
    def total_available(self) -> Decimal:
        return cm.available(self.budget.total, self.total_spent, self.total_committed)


def execution(budget_id: str, uow: BudgetUow, caller: Principal) -> ExecutionView:
    """Budgeted, spent (counted), committed (open commitments' remaining) and available, per fee
    category and in total, with every expense (whatever its status) and commitment."""
    with uow:
        b = _get_budget(uow, budget_id)
        by_line, by_cat, total = uow.budgets.spent(b.id)
        lines = uow.budgets.lines(b.id)
        expenses = uow.budgets.expenses(b.id)
        committed = uow.budgets.committed(b.id)
        commitments = uow.budgets.commitments(b.id)
    return ExecutionView(b, lines, by_line, by_cat, total, expenses, committed, commitments)


def standard_for_budget(b: bd.Budget, uow: BudgetUow) -> Standard:
    with uow:
        return uow.standards.get(b.standard_id)


