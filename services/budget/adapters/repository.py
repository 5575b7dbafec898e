"""Budget repositories. Every read and write of department data is filtered by the caller's
scope here, so a handler that forgets a check still cannot touch another department's assets,
budgets or spending. Standards are shared by all departments (read by anyone with budget.read)."""

from __future__ import annotations

import builtins
import csv
import io
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from govkit.auth import Scope
from govkit.errors import AlreadyExists

from ..domain.assets import Asset, AssetFilter
from ..domain.budget import Action, Budget, Expense
from ..domain.commitments import COUNTED, COUNTING, Commitment
from ..domain.compilation import AssetGroup, Line
from ..domain.standard import Standard, body_from_dict, body_to_dict
from . import tables as t


def bulk_insert(conn: Connection, table: sa.Table, columns: list[str], rows: list[list]) -> None:
    """COPY rows into `table` (values as Python objects). Under eventlet (the nameko worker)
    psycopg2 runs with a wait callback, which COPY refuses; there it falls back to a
    multi-row INSERT."""
    import psycopg2.extensions

    if not rows:
        return
    if psycopg2.extensions.get_wait_callback() is not None:
        conn.execute(table.insert(), [dict(zip(columns, r)) for r in rows])
        return
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in rows:
        w.writerow(["" if v is None else _json(v) if isinstance(v, (dict, list)) else
                    v.isoformat() if hasattr(v, "isoformat") else str(v) for v in r])
    buf.seek(0)
    text_cols = [c for c in columns if isinstance(table.c[c].type, sa.Text)]
    force = f", FORCE_NOT_NULL ({', '.join(text_cols)})" if text_cols else ""
    conn.connection.driver_connection.cursor().copy_expert(
        f"COPY {table.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL ''{force})", buf)


class _Unique:
    """A unique-key race (two writers at once) becomes ALREADY_EXISTS, not an internal error;
    the transaction is rolled back by the unit of work."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import psycopg2.errors

        if exc is not None and isinstance(getattr(exc, "orig", exc), psycopg2.errors.UniqueViolation):
            raise AlreadyExists(f"{self.what} was written concurrently by another request; retry") from exc
        return False


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


class _Scoped:
    def __init__(self, conn: Connection, scope: Scope):
        self.conn, self.scope = conn, scope

    def _units(self, column, query):
        if self.scope.is_global:
            return query
        return query.where(column.in_(sorted(self.scope.units)))


# ---- assets --------------------------------------------------------------------------------
_ASSET_COLS = ("id", "code", "name", "kind", "org_unit_id", "location", "brand", "model", "purchase_date",
               "original_value", "quantity", "protection_level", "support_mode", "status",
               "response_time", "user_scale", "created_at", "updated_at", "version")


def _to_asset(row) -> Asset:
    m = row._mapping
    fields: dict[str, Any] = {c: (str(m[c]) if c == "id" else m[c]) for c in _ASSET_COLS}
    return Asset(**fields)


def _asset_values(a: Asset) -> dict:
    values = {c: getattr(a, c) for c in _ASSET_COLS}
    values["id"] = uuid.UUID(a.id)
    return values


class AssetRepository(_Scoped):
    def _q(self):
        return self._units(t.assets.c.org_unit_id, sa.select(t.assets))

    def get(self, asset_id: str, *, for_update: bool = False) -> Asset | None:
        key = _uuid(asset_id)
        if key is None:
            return None
        q = self._q().where(t.assets.c.id == key)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return _to_asset(row) if row else None

    def codes_taken(self, codes) -> set[str]:
        """Codes already registered (in any department: asset codes are unique system-wide)."""
        codes = sorted(set(codes))
        if not codes:
            return set()
        # One array parameter joined as a set (an import checks 100k codes at once): neither an IN
        # list of 100k bound values nor `= ANY(array)`, which PostgreSQL may test row by row.
        return set(self.conn.execute(sa.text("SELECT a.code FROM assets a JOIN unnest(CAST(:codes AS text[])) "
                                             "AS c(code) ON a.code = c.code"), {"codes": codes}).scalars())

    def add(self, asset: Asset) -> None:
        with _Unique(f"asset code {asset.code}"):
            self.conn.execute(t.assets.insert().values(**_asset_values(asset)))

    def update(self, asset: Asset) -> None:
        values = _asset_values(asset)
        key = values.pop("id")
        self.conn.execute(self._units(t.assets.c.org_unit_id, t.assets.update())
                          .where(t.assets.c.id == key).values(**values))

    def record_history(self, asset_id: str, at: datetime, actor: str, action: str, changes: dict) -> None:
        from govkit.events import jsonable

        self.conn.execute(t.asset_history.insert().values(
            asset_id=uuid.UUID(asset_id), at=at, actor=actor, action=action, changes=jsonable(changes)))

    def history(self, asset_id: str) -> list[dict]:
        rows = self.conn.execute(sa.select(t.asset_history).where(t.asset_history.c.asset_id == uuid.UUID(asset_id))
                                 .order_by(t.asset_history.c.seq)).all()
        return [dict(r._mapping) for r in rows]

    def relate(self, from_id: str, to_id: str, kind: str) -> bool:
        return self.conn.execute(pg_insert(t.asset_relations).values(
            from_id=uuid.UUID(from_id), to_id=uuid.UUID(to_id), kind=kind).on_conflict_do_nothing()).rowcount == 1

    def relations(self, asset_id: str) -> list[tuple[str, str, str]]:
        """(kind, direction 'out'|'in', other asset id) — the other side filtered by scope too."""
        key = uuid.UUID(asset_id)
        r = t.asset_relations
        visible = self._units(t.assets.c.org_unit_id, sa.select(t.assets.c.id))
        rows = self.conn.execute(sa.select(r.c.kind, r.c.from_id, r.c.to_id).where(
            sa.or_(sa.and_(r.c.from_id == key, r.c.to_id.in_(visible)),
                   sa.and_(r.c.to_id == key, r.c.from_id.in_(visible))))).all()
        return [(k, "out" if f == key else "in", str(to if f == key else f)) for k, f, to in rows]

    def list(self, flt: AssetFilter, page_size: int, after_code: str | None) -> list[Asset]:
        q = self._q()
        a = t.assets.c
        if flt.org_unit_id:
            q = q.where(a.org_unit_id == flt.org_unit_id)
        if flt.kinds:
            q = q.where(a.kind.in_(flt.kinds))
        if flt.status:
            q = q.where(a.status == flt.status)
        if flt.protection_level:
            q = q.where(a.protection_level == flt.protection_level)
        if flt.support_mode:
            q = q.where(a.support_mode == flt.support_mode)
        if flt.text:
            like = "%" + flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(sa.or_(a.name.ilike(like), a.code.ilike(like), a.brand.ilike(like),
                               a.model.ilike(like), a.location.ilike(like)))
        if after_code:
            q = q.where(a.code > after_code)
        return [_to_asset(r) for r in self.conn.execute(q.order_by(a.code).limit(page_size)).all()]

    def of_group(self, budget_id: str, group_no: int, limit: int, offset: int) -> builtins.list[Asset]:
        """One page of a budget group's assets, in the order the group stores them (asset code).
        The page is a slice of the stored id array taken in PostgreSQL: a 100,000-asset group
        neither travels to Python nor is sorted on every page (docs/benchmarks-budget.md). Assets
        outside the caller's scope are left out of their page (pages may come short)."""
        scope = "" if self.scope.is_global else " AND a.org_unit_id = ANY(:units)"
        rows = self.conn.execute(sa.text(f"""
            SELECT a.* FROM budget_groups g
            CROSS JOIN LATERAL unnest(g.asset_ids[(:first):(:last)]) WITH ORDINALITY AS page(id, n)
            JOIN assets a ON a.id = page.id
            WHERE g.budget_id = :budget_id AND g.group_no = :group_no{scope}
            ORDER BY page.n"""),
            {"first": offset + 1, "last": offset + limit, "budget_id": uuid.UUID(budget_id), "group_no": group_no,
             "units": sorted(self.scope.units or ())}).all()
        return [_to_asset(r) for r in rows]

    def copy_in(self, assets: builtins.list[Asset], history: builtins.list[tuple]) -> None:
        """Bulk insert (the import path): assets and their history rows
        (history: (asset_id, at, actor, action, changes dict))."""
        with _Unique("one of the asset codes"):
            bulk_insert(self.conn, t.assets, list(_ASSET_COLS),
                        [[uuid.UUID(a.id) if c == "id" else getattr(a, c) for c in _ASSET_COLS] for a in assets])
        bulk_insert(self.conn, t.asset_history, ["asset_id", "at", "actor", "action", "changes"],
                    [[uuid.UUID(h[0]), *h[1:]] for h in history])

    def _group_sql(self, units: builtins.list[str]) -> tuple[str, dict]:
        return ("""
            SELECT row_number() OVER (ORDER BY org_unit_id, kind, support_mode, protection_level,
                                      response_time, user_scale)::int AS group_no,
                   org_unit_id, kind, support_mode, protection_level, response_time, user_scale,
                   count(*)::int AS asset_count, sum(quantity)::bigint AS quantity,
                   sum(original_value) AS original_value, array_agg(id ORDER BY code) AS asset_ids
            FROM assets
            WHERE status = 'in_use' AND org_unit_id = ANY(:units)
            GROUP BY org_unit_id, kind, support_mode, protection_level, response_time, user_scale""",
                {"units": self._visible(units)})

    def _visible(self, units: builtins.list[str]) -> builtins.list[str]:
        return [u for u in units if self.scope.allows(u)]

    def groups(self, units: builtins.list[str]) -> builtins.list[AssetGroup]:
        """Set-based: the in-use assets of `units` grouped by kind and coefficient dimensions."""
        sql, params = self._group_sql(units)
        rows = self.conn.execute(sa.text(f"SELECT group_no, org_unit_id, kind, support_mode, protection_level, "
                                         f"response_time, user_scale, asset_count, quantity, original_value "
                                         f"FROM ({sql}) g ORDER BY group_no"), params).all()
        return [AssetGroup(*r) for r in rows]

    def store_groups(self, budget_id: str, units: builtins.list[str]) -> builtins.list[AssetGroup]:
        """Like `groups`, also keeping each group's asset ids with the budget (the trace), in one
        INSERT … SELECT inside PostgreSQL."""
        sql, params = self._group_sql(units)
        # Keep the grouping of a large register in memory (hash aggregate, no spill to disk).
        self.conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        rows = self.conn.execute(sa.text(f"""
            INSERT INTO budget_groups (budget_id, group_no, org_unit_id, kind, support_mode, protection_level,
                                       response_time, user_scale, asset_count, quantity, original_value, asset_ids)
            SELECT :budget_id, g.* FROM ({sql}) g
            RETURNING group_no, org_unit_id, kind, support_mode, protection_level, response_time, user_scale,
                      asset_count, quantity, original_value"""),
            {**params, "budget_id": uuid.UUID(budget_id)}).all()
        return sorted((AssetGroup(*r) for r in rows), key=lambda g: g.group_no)


# ---- standards -----------------------------------------------------------------------------
def _to_standard(row) -> Standard:
    m = row._mapping
    return Standard(id=str(m["id"]), code=m["code"], version=m["version"], name=m["name"],
                    effective_from=m["effective_from"], effective_to=m["effective_to"], state=m["state"],
                    body=body_from_dict(m["body"]), default_region=m["default_region"],
                    created_by=m["created_by"], created_at=m["created_at"], approved_by=m["approved_by"],
                    approved_at=m["approved_at"], note=m["note"], updated_by=m["updated_by"])


class StandardRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def next_version(self, code: str) -> int:
        self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": "standard:" + code})
        return (self.conn.execute(sa.select(sa.func.max(t.standards.c.version))
                                  .where(t.standards.c.code == code)).scalar() or 0) + 1

    def add(self, s: Standard) -> None:
        with _Unique(f"standard {s.code} v{s.version}"):
            self._insert(s)

    def _insert(self, s: Standard) -> None:
        self.conn.execute(t.standards.insert().values(
            id=uuid.UUID(s.id), code=s.code, version=s.version, name=s.name, effective_from=s.effective_from,
            effective_to=s.effective_to, state=s.state, default_region=s.default_region, note=s.note,
            body=body_to_dict(s.body), created_by=s.created_by, created_at=s.created_at))

    def get(self, standard_id: str, *, for_update: bool = False) -> Standard | None:
        key = _uuid(standard_id)
        if key is None:
            return None
        q = sa.select(t.standards).where(t.standards.c.id == key)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return _to_standard(row) if row else None

    def by_code(self, code: str, version: int | None = None) -> Standard | None:
        q = sa.select(t.standards).where(t.standards.c.code == code)
        q = q.where(t.standards.c.version == version) if version else q.order_by(t.standards.c.version.desc())
        row = self.conn.execute(q.limit(1)).first()
        return _to_standard(row) if row else None

    def list(self) -> list[Standard]:
        rows = self.conn.execute(sa.select(t.standards).order_by(t.standards.c.code, t.standards.c.version)).all()
        return [_to_standard(r) for r in rows]

    def save(self, s: Standard) -> None:
        self.conn.execute(t.standards.update().where(t.standards.c.id == uuid.UUID(s.id)).values(
            name=s.name, effective_from=s.effective_from, effective_to=s.effective_to, state=s.state,
            default_region=s.default_region, body=body_to_dict(s.body), approved_by=s.approved_by,
            approved_at=s.approved_at, note=s.note, updated_by=s.updated_by))


# ---- budgets -------------------------------------------------------------------------------
def _to_budget(row) -> Budget:
    m = row._mapping
    D = Decimal
    return Budget(id=str(m["id"]), org_unit_id=m["org_unit_id"], include_subtree=m["include_subtree"], year=m["year"],
                  standard_id=str(m["standard_id"]), standard_label=m["standard_label"], region=m["region"],
                  state=m["state"], total=m["total"], by_category={k: D(v) for k, v in m["by_category"].items()},
                  by_kind={k: D(v) for k, v in m["by_kind"].items()}, asset_count=m["asset_count"],
                  line_count=m["line_count"], thresholds=tuple(m["thresholds"]), org_unit_ids=tuple(m["org_unit_ids"]),
                  created_by=m["created_by"], compiled_at=m["compiled_at"], approved_by=m["approved_by"],
                  approved_at=m["approved_at"])


def _to_line(row) -> Line:
    m = row._mapping
    return Line(line_no=m["line_no"], group_no=m["group_no"], org_unit_id=m["org_unit_id"],
                asset_kind=m["asset_kind"], fee_category=m["fee_category"], fee_item=m["fee_item"],
                rule_type=m["rule_type"], rule_ref=m["rule_ref"], rule=m["rule"], coefficients=m["coefficients"],
                coefficient=m["coefficient"], asset_count=m["asset_count"], quantity=m["quantity"],
                base=m["base"], amount=m["amount"], formula=m["formula"])


def _to_expense(row) -> Expense:
    m = row._mapping
    return Expense(id=str(m["id"]), budget_id=str(m["budget_id"]) if m["budget_id"] else None,
                   org_unit_id=m["org_unit_id"], year=m["year"], fee_category=m["fee_category"],
                   fee_item=m["fee_item"], line_no=m["line_no"], amount=m["amount"], spent_on=m["spent_on"],
                   description=m["description"], source=m["source"], external_id=m["external_id"],
                   recorded_by=m["recorded_by"], recorded_at=m["recorded_at"],
                   request_fingerprint=m["request_fingerprint"], status=m["status"],
                   commitment_id=str(m["commitment_id"]) if m["commitment_id"] else None)


def _to_commitment(m, paid) -> Commitment:
    return Commitment(id=str(m["id"]), contract_id=m["contract_id"],
                      budget_id=str(m["budget_id"]) if m["budget_id"] else None, org_unit_id=m["org_unit_id"],
                      year=m["year"], fee_category=m["fee_category"], amount=m["amount"], state=m["state"],
                      signed_by=m["signed_by"], paid=paid if paid is not None else Decimal("0.00"),
                      reason=m["reason"], project_id=m["project_id"], vendor_id=m["vendor_id"],
                      approved_by=m["approved_by"], approval_reason=m["approval_reason"],
                      approved_at=m["approved_at"], recorded_at=m["recorded_at"],
                      contract_version=m["contract_version"])


class BudgetRepository(_Scoped):
    """Budgets are visible to callers whose scope holds the budget unit."""

    def _q(self):
        return self._units(t.budgets.c.org_unit_id, sa.select(t.budgets))

    def get(self, budget_id: str, *, for_update: bool = False) -> Budget | None:
        key = _uuid(budget_id)
        if key is None:
            return None
        q = self._q().where(t.budgets.c.id == key)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return _to_budget(row) if row else None

    def by_unit_year(self, unit: str, year: int, *, for_update: bool = False) -> Budget | None:
        q = self._q().where(t.budgets.c.org_unit_id == unit, t.budgets.c.year == year)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return _to_budget(row) if row else None

    def approved_covering(self, units_nearest_first: list[str], year: int) -> Budget | None:
        """The approved budget of the nearest unit (itself, or an ancestor compiled with its subtree)."""
        for i, unit in enumerate(units_nearest_first):
            b = self.by_unit_year(unit, year, for_update=True)
            if b and b.state == "approved" and (i == 0 or b.include_subtree):
                return b
        return None

    def overlapping(self, year: int, units: builtins.list[str], exclude_id: str) -> builtins.list[Budget]:
        # Deliberately unscoped: a budget outside the caller's scope still counts those assets.
        q = sa.select(t.budgets).where(t.budgets.c.year == year, t.budgets.c.org_unit_ids.overlap(units))
        key = _uuid(exclude_id)
        if key is not None:
            q = q.where(t.budgets.c.id != key)
        return [_to_budget(r) for r in self.conn.execute(q.order_by(t.budgets.c.org_unit_id))]

    def list(self, *, org_unit_id: str = "", year: int = 0, state: str = "") -> list[Budget]:
        q = self._q()
        if org_unit_id:
            q = q.where(t.budgets.c.org_unit_id == org_unit_id)
        if year:
            q = q.where(t.budgets.c.year == year)
        if state:
            q = q.where(t.budgets.c.state == state)
        return [_to_budget(r) for r in self.conn.execute(q.order_by(t.budgets.c.year.desc(), t.budgets.c.org_unit_id))]

    def _values(self, b: Budget) -> dict:
        from govkit.events import jsonable

        return dict(org_unit_id=b.org_unit_id, include_subtree=b.include_subtree, org_unit_ids=list(b.org_unit_ids),
                    year=b.year,
                    standard_id=uuid.UUID(b.standard_id), standard_label=b.standard_label, region=b.region,
                    state=b.state, total=b.total, by_category=jsonable(b.by_category), by_kind=jsonable(b.by_kind),
                    asset_count=b.asset_count, line_count=b.line_count, thresholds=list(b.thresholds),
                    created_by=b.created_by, compiled_at=b.compiled_at, approved_by=b.approved_by,
                    approved_at=b.approved_at)

    def add(self, b: Budget) -> None:
        with _Unique(f"the budget of {b.org_unit_id} for {b.year}"):
            self.conn.execute(t.budgets.insert().values(id=uuid.UUID(b.id), **self._values(b)))

    def save(self, b: Budget) -> None:
        self.conn.execute(t.budgets.update().where(t.budgets.c.id == uuid.UUID(b.id)).values(**self._values(b)))

    def clear_compilation(self, budget_id: str) -> None:
        key = uuid.UUID(budget_id)
        self.conn.execute(t.budget_lines.delete().where(t.budget_lines.c.budget_id == key))
        self.conn.execute(t.budget_groups.delete().where(t.budget_groups.c.budget_id == key))

    def add_lines(self, budget_id: str, lines: builtins.list[Line]) -> None:
        """Bulk insert (a compilation writes thousands of lines at once)."""
        cols = ["budget_id", "line_no", "group_no", "org_unit_id", "asset_kind", "fee_category", "fee_item",
                "rule_type", "rule_ref", "rule", "coefficients", "coefficient", "asset_count", "quantity", "base",
                "amount", "formula"]
        key = uuid.UUID(budget_id)
        bulk_insert(self.conn, t.budget_lines, cols, [
            [key, ln.line_no, ln.group_no, ln.org_unit_id, ln.asset_kind, ln.fee_category, ln.fee_item, ln.rule_type,
             ln.rule_ref, ln.rule, ln.coefficients, ln.coefficient, ln.asset_count, ln.quantity, ln.base, ln.amount,
             ln.formula] for ln in lines])

    def lines(self, budget_id: str, *, category: str = "", after: int = 0,
              limit: int | None = None) -> builtins.list[Line]:
        q = sa.select(t.budget_lines).where(t.budget_lines.c.budget_id == uuid.UUID(budget_id),
                                            t.budget_lines.c.line_no > after)
        if category:
            q = q.where(t.budget_lines.c.fee_category == category)
        q = q.order_by(t.budget_lines.c.line_no)
        if limit:
            q = q.limit(limit)
        return [_to_line(r) for r in self.conn.execute(q).all()]

    def line(self, budget_id: str, line_no: int) -> Line | None:
        row = self.conn.execute(sa.select(t.budget_lines).where(
            t.budget_lines.c.budget_id == uuid.UUID(budget_id), t.budget_lines.c.line_no == line_no)).first()
        return _to_line(row) if row else None

    def group(self, budget_id: str, group_no: int) -> dict | None:
        """A group without its asset ids (a page of them: AssetRepository.of_group)."""
        cols = [c for c in t.budget_groups.c if c.name != "asset_ids"]
        row = self.conn.execute(sa.select(*cols).where(
            t.budget_groups.c.budget_id == uuid.UUID(budget_id), t.budget_groups.c.group_no == group_no)).first()
        return dict(row._mapping) if row else None

    def add_action(self, budget_id: str, a: Action) -> None:
        self.conn.execute(t.budget_actions.insert().values(
            budget_id=uuid.UUID(budget_id), action=a.action, from_state=a.from_state, to_state=a.to_state,
            actor=a.actor, comment=a.comment, at=a.at))

    def actions(self, budget_id: str) -> builtins.list[Action]:
        rows = self.conn.execute(sa.select(t.budget_actions).where(
            t.budget_actions.c.budget_id == uuid.UUID(budget_id)).order_by(t.budget_actions.c.seq)).all()
        return [Action(r.action, r.from_state, r.to_state, r.actor, r.comment, r.at) for r in rows]

    # -- execution --
    def add_expense(self, e: Expense) -> bool:
        """False if the external id (idempotency key / payment id) is already recorded."""
        stmt = pg_insert(t.expenses).values(
            id=uuid.UUID(e.id), budget_id=uuid.UUID(e.budget_id) if e.budget_id else None,
            org_unit_id=e.org_unit_id, year=e.year, fee_category=e.fee_category, fee_item=e.fee_item,
            line_no=e.line_no, amount=e.amount, spent_on=e.spent_on, description=e.description, source=e.source,
            external_id=e.external_id, recorded_by=e.recorded_by, recorded_at=e.recorded_at,
            request_fingerprint=e.request_fingerprint, status=e.status,
            commitment_id=uuid.UUID(e.commitment_id) if e.commitment_id else None)
        if e.external_id:
            stmt = stmt.on_conflict_do_nothing(index_elements=["external_id"])
        return self.conn.execute(stmt).rowcount == 1

    def expense_by_external_id(self, external_id: str) -> Expense | None:
        """The expense, if the caller's scope holds its department or its budget; an expense no
        budget matched (budget_id NULL) is seen through its department only."""
        row = self.conn.execute(sa.select(t.expenses).where(t.expenses.c.external_id == external_id)).first()
        if row is None:
            return None
        if not self.scope.allows(row.org_unit_id) and (row.budget_id is None or self.get(str(row.budget_id)) is None):
            return None
        return _to_expense(row)

    def expenses(self, budget_id: str) -> builtins.list[Expense]:
        rows = self.conn.execute(sa.select(t.expenses).where(t.expenses.c.budget_id == uuid.UUID(budget_id))
                                 .order_by(t.expenses.c.recorded_at, t.expenses.c.id)).all()
        return [_to_expense(r) for r in rows]

    def spent(self, budget_id: str) -> tuple[dict[int, Decimal], dict[str, Decimal], Decimal]:
        key = uuid.UUID(budget_id)
        e = t.expenses.c
        by_line = dict(self.conn.execute(sa.select(e.line_no, sa.func.sum(e.amount)).where(
            e.budget_id == key, e.status == COUNTED, e.line_no.is_not(None)).group_by(e.line_no)).all())
        by_cat = dict(self.conn.execute(sa.select(e.fee_category, sa.func.sum(e.amount)).where(
            e.budget_id == key, e.status == COUNTED).group_by(e.fee_category)).all())
        return by_line, by_cat, sum(by_cat.values(), Decimal("0.00"))

    def fire_alert(self, budget_id: str, scope: str, kind: str, threshold: int, at: datetime) -> bool:
        return self.conn.execute(pg_insert(t.budget_alerts).values(
            budget_id=uuid.UUID(budget_id), scope=scope, kind=kind, threshold=threshold, at=at)
            .on_conflict_do_nothing()).rowcount == 1

    # -- commitments --
    def _commitments(self):
        """Commitments with what their contract's counted payments have consumed (`paid`)."""
        e = t.expenses.c
        paid = (sa.select(e.commitment_id, sa.func.sum(e.amount).label("paid"))
                .where(e.status == COUNTED, e.commitment_id.is_not(None)).group_by(e.commitment_id).subquery())
        q = (sa.select(t.commitments, paid.c.paid)
             .select_from(t.commitments.outerjoin(paid, paid.c.commitment_id == t.commitments.c.id)))
        return self._units(t.commitments.c.org_unit_id, q)

    def add_commitment(self, c: Commitment) -> bool:
        return self.conn.execute(pg_insert(t.commitments).values(
            id=uuid.UUID(c.id), contract_id=c.contract_id, project_id=c.project_id, vendor_id=c.vendor_id,
            budget_id=uuid.UUID(c.budget_id) if c.budget_id else None, org_unit_id=c.org_unit_id, year=c.year,
            fee_category=c.fee_category, amount=c.amount, state=c.state, reason=c.reason, signed_by=c.signed_by,
            approved_by=c.approved_by, approval_reason=c.approval_reason, approved_at=c.approved_at,
            recorded_at=c.recorded_at, contract_version=c.contract_version,
        ).on_conflict_do_nothing(index_elements=["contract_id"])).rowcount == 1

    def save_commitment(self, c: Commitment) -> None:
        self.conn.execute(t.commitments.update().where(t.commitments.c.id == uuid.UUID(c.id)).values(
            state=c.state, reason=c.reason, approved_by=c.approved_by, approval_reason=c.approval_reason,
            approved_at=c.approved_at, amount=c.amount, contract_version=c.contract_version))

    def commitment(self, commitment_id: str, *, for_update: bool = False) -> Commitment | None:
        key = _uuid(commitment_id)
        if key is None:
            return None
        if for_update:
            self.conn.execute(sa.select(t.commitments.c.id).where(t.commitments.c.id == key).with_for_update())
        row = self.conn.execute(self._commitments().where(t.commitments.c.id == key)).first()
        return _to_commitment(row._mapping, row.paid) if row else None

    def commitment_for_contract(self, contract_id: str) -> Commitment | None:
        row = self.conn.execute(self._commitments().where(t.commitments.c.contract_id == contract_id)).first()
        return _to_commitment(row._mapping, row.paid) if row else None

    def commitments(self, budget_id: str) -> builtins.list[Commitment]:
        rows = self.conn.execute(self._commitments().where(t.commitments.c.budget_id == uuid.UUID(budget_id))
                                 .order_by(t.commitments.c.recorded_at, t.commitments.c.id)).all()
        return [_to_commitment(r._mapping, r.paid) for r in rows]

    def committed(self, budget_id: str) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for c in self.commitments(budget_id):
            if c.state in COUNTING:
                out[c.fee_category] = out.get(c.fee_category, Decimal("0.00")) + c.remaining
        return {k: v for k, v in out.items() if v}
