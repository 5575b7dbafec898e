"""Bulk import and export of org units, positions, staff and rosters (CSV or XLSX).

An import is validated up front and applied all-or-nothing: every row runs the same steps as
the single-record use case, inside one transaction; if any row fails, nothing is written and
the caller gets every problem at once, named `rows[<n>].<column>`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from govkit import tabular
from govkit.auth import Principal
from govkit.config import local_zone
from govkit.errors import DomainError, FieldViolation, InvalidArgument
from govkit.events import jsonable
from govkit.tabular import Column

from . import handlers
from .domain import commands as c
from .domain.model import CreateOrgUnit, OrgUnitKind, Shift
from .domain.ports import OrgUow

# Naive times in a roster file are local times of the installation (GOVOPS_TIMEZONE, the kit's setting).
LOCAL_TZ = local_zone()

UNIT_KINDS_ZH = {"政府": "government", "部门": "department", "委办局": "department", "处室": "division",
                 "运维中心": "om_centre", "服务商": "vendor"}

COLUMNS = {
    "org_units": [Column("id", "编码", True), Column("name", "名称", True), Column("parent_id", "上级编码"),
                  Column("kind", "类型", True)],
    "positions": [Column("id", "岗位编码", True), Column("org_unit_id", "所属机构", True),
                  Column("name", "岗位名称", True), Column("parent_position_id", "上级岗位"),
                  Column("responsibilities", "岗位职责")],
    "staff": [Column("id", "工号", True), Column("name", "姓名", True), Column("org_unit_id", "所属机构", True),
              Column("phone", "电话"), Column("email", "邮箱"), Column("vendor_id", "服务商"),
              Column("position_id", "岗位"), Column("start_date", "任职日期")],
    "rosters": [Column("group_id", "支持组", True), Column("staff_id", "工号", True),
                Column("starts_at", "开始时间", True), Column("ends_at", "结束时间", True)],
}


def _responsibilities(text: str) -> list[dict]:
    """"approval:change; process:incident" → [{kind, value}, …]"""
    out = []
    for part in filter(None, (p.strip() for p in text.replace("；", ";").split(";"))):
        kind, _, value = part.partition(":") if ":" in part else part.partition("：")
        out.append({"kind": kind.strip(), "value": value.strip()})
    return out


def _format_responsibilities(items) -> str:
    return "; ".join(f"{r.kind}:{r.value}" for r in items)


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("/", "-"))
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def import_org(kind: str, fmt: str, content: bytes, uow: OrgUow, caller: Principal) -> int:
    if kind not in COLUMNS:
        raise InvalidArgument(field="kind", reason=f"must be one of {', '.join(COLUMNS)}")
    table = tabular.read(content, fmt, COLUMNS[kind])
    violations = list(table.violations)
    if not table.rows and not violations:
        raise InvalidArgument(field="content", reason="no data rows")
    if violations:
        raise InvalidArgument(violations)
    with uow:
        violations = _APPLY[kind](table.rows, uow, caller)
        if violations:
            uow.rollback()
            raise InvalidArgument(violations)
        uow.commit()
    return len(table.rows)


def _run(n: int, steps, cmd, uow: OrgUow, caller, violations: list[FieldViolation]) -> bool:
    """One row's steps in a savepoint; its failure becomes violations named after the row."""
    events_before = len(uow.events)
    savepoint = uow.conn.begin_nested()
    try:
        steps(cmd, uow, caller)
        savepoint.commit()
        return True
    except InvalidArgument as exc:
        savepoint.rollback()
        del uow.events[events_before:]
        violations.extend(FieldViolation(f"rows[{n}].{v.field}", v.reason) for v in exc.violations)
    except DomainError as exc:
        savepoint.rollback()
        del uow.events[events_before:]
        violations.extend([FieldViolation(f"rows[{n}].{v.field}", v.reason) for v in exc.violations]
                          or [FieldViolation(f"rows[{n}]", exc.message)])
    return False


def _in_dependency_order(rows, key: str, parent_key: str) -> list:
    """Rows whose parent is in the file come after that parent; unknown parents are left to the
    row's own steps to report."""
    ids = {r[key] for _, r in rows}
    placed, ordered, pending = set(), [], list(rows)
    while pending:
        progress = [(n, r) for n, r in pending
                    if not r.get(parent_key) or r[parent_key] not in ids or r[parent_key] in placed]
        if not progress:  # a cycle inside the file: let each row fail on its own
            ordered.extend(pending)
            break
        for item in progress:
            ordered.append(item)
            placed.add(item[1][key])
        pending = [p for p in pending if p not in progress]
    return ordered


def _apply_units(rows, uow: OrgUow, caller) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    for n, r in _in_dependency_order(rows, "id", "parent_id"):
        kind = UNIT_KINDS_ZH.get(r.get("kind", ""), r.get("kind", ""))
        cmd = CreateOrgUnit(r.get("id", ""), r.get("name", ""), r.get("parent_id") or None, kind)
        _run(n, handlers.create_org_unit.within, cmd, uow, caller, violations)
    return violations


def _apply_positions(rows, uow: OrgUow, caller) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    for n, r in _in_dependency_order(rows, "id", "parent_position_id"):
        exists = uow.positions.get(r.get("id", "")) is not None
        cmd = c.SavePosition(
            r.get("id", ""),
            r.get("org_unit_id", ""),
            r.get("name", ""),
            r.get("parent_position_id") or None,
            tuple(_responsibilities(r.get("responsibilities", ""))),
            create=not exists,
        )
        _run(n, handlers.save_position.within, cmd, uow, caller, violations)
    return violations


def _apply_staff(rows, uow: OrgUow, caller) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    for n, r in rows:
        cmd = c.SaveStaff(r.get("id", ""), r.get("name", ""), r.get("org_unit_id", ""), r.get("vendor_id") or None,
                          r.get("phone", ""), r.get("email", ""))
        if not _run(n, handlers.save_staff.within, cmd, uow, caller, violations):
            continue
        if r.get("position_id"):
            try:
                start = date.fromisoformat(r.get("start_date") or date.today().isoformat())
            except ValueError:
                violations.append(FieldViolation(f"rows[{n}].start_date", "must be a date YYYY-MM-DD"))
                continue
            _run(n, handlers.assign_staff.within, c.AssignStaff(cmd.id, r["position_id"], start), uow, caller,
                 violations)
    return violations


def _apply_rosters(rows, uow: OrgUow, caller) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    by_group: dict[str, list[tuple[int, Shift]]] = {}
    for n, r in rows:
        try:
            shift = Shift(r["staff_id"], _when(r["starts_at"]), _when(r["ends_at"]))
        except (KeyError, ValueError):
            violations.append(FieldViolation(f"rows[{n}].starts_at", "start and end must be date-times "
                                                                     "like 2026-12-01 08:30"))
            continue
        by_group.setdefault(r["group_id"], []).append((n, shift))
    for gid, items in by_group.items():
        starts = [s.starts_at for _, s in items]
        first = min(starts).replace(hour=0, minute=0, second=0, microsecond=0)
        last = max(starts).replace(hour=0, minute=0, second=0, microsecond=0)
        cmd = c.PublishRoster(gid, first, last + timedelta(days=1), tuple(s for _, s in items))
        rows_of = [n for n, _ in items]
        group_violations: list[FieldViolation] = []
        _run(rows_of[0], handlers.publish_roster.within, cmd, uow, caller, group_violations)
        for v in group_violations:
            # "rows[<first>].shifts[i]…" → the spreadsheet row of shift i
            field = v.field
            if ".shifts[" in field:
                i = int(field.split(".shifts[", 1)[1].split("]", 1)[0])
                rest = field.split("]", 2)[-1] if field.count("]") > 1 else ""
                field = f"rows[{rows_of[i]}]{rest}"
            violations.append(FieldViolation(field, v.reason))
    return violations


_APPLY = {"org_units": _apply_units, "positions": _apply_positions, "staff": _apply_staff,
          "rosters": _apply_rosters}


def export_org(kind: str, fmt: str, uow: OrgUow, caller: Principal) -> bytes:
    if kind not in COLUMNS:
        raise InvalidArgument(field="kind", reason=f"must be one of {', '.join(COLUMNS)}")
    with uow:
        if kind == "org_units":
            rows = [{"id": u.id, "name": u.name, "parent_id": u.parent_id, "kind": u.kind.value}
                    for u in _parents_first(uow.org_units.list(include_inactive=False))]
        elif kind == "positions":
            rows = [{"id": p.id, "org_unit_id": p.org_unit_id, "name": p.name,
                     "parent_position_id": p.parent_position_id,
                     "responsibilities": _format_responsibilities(p.responsibilities)}
                    for p in _parents_first(uow.positions.list(), parent="parent_position_id")]
        elif kind == "staff":
            held: dict[str, Any] = {}
            for a in uow.staff.all_assignments():
                if a.end_date is None:
                    held.setdefault(a.staff_id, a)
            rows = []
            for s in uow.staff.list():
                a = held.get(s.id)
                rows.append({"id": s.id, "name": s.name, "org_unit_id": s.org_unit_id, "phone": s.phone,
                             "email": s.email, "vendor_id": s.vendor_id,
                             "position_id": a.position_id if a else None,
                             "start_date": a.start_date.isoformat() if a else None})
        else:
            rows = [{"group_id": gid, "staff_id": sid, "starts_at": a.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                     "ends_at": b.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")}
                    for gid, sid, a, b in sorted(uow.groups.all_shifts(), key=lambda t: (t[0], t[2], t[1]))]
    return tabular.write(jsonable(rows), fmt, COLUMNS[kind], sheet=kind)


def _parents_first(items, parent: str = "parent_id"):
    by_id = {i.id: i for i in items}
    done, out = set(), []

    def visit(item, depth=0):
        if item.id in done or depth > 256:
            return
        up = by_id.get(getattr(item, parent))
        if up is not None:
            visit(up, depth + 1)
        done.add(item.id)
        out.append(item)

    for item in items:
        visit(item)
    return out


assert set(UNIT_KINDS_ZH.values()) <= {k.value for k in OrgUnitKind}
