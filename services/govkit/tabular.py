"""CSV and XLSX in and out, for bulk imports that are validated up front and all-or-nothing.

Reading yields one dict per data row keyed by column key, with the spreadsheet row number, and
collects problems of the file itself (bad encoding, merged cells, unknown or missing headers)
as field violations named `rows[<n>].<column>` so a user can find the cell."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .errors import FieldViolation, InvalidArgument


@dataclass(frozen=True)
class Column:
    key: str       # the machine name, accepted as a header
    label: str     # the Chinese header written on export, also accepted on import
    required: bool = False


@dataclass
class Table:
    rows: list[tuple[int, dict]]          # (spreadsheet row number, {key: text})
    violations: list[FieldViolation]


def _headers(raw: list[str], columns: list[Column], violations: list[FieldViolation]) -> list[str | None]:
    by_name = {}
    for col in columns:
        by_name[col.key.lower()] = col.key
        by_name[col.label] = col.key
    keys = []
    for h in raw:
        h = (h or "").strip().lstrip("\ufeff")
        key = by_name.get(h) or by_name.get(h.lower())
        if h and key is None:
            violations.append(FieldViolation(f"rows[1].{h}", "unknown column; expected one of "
                                             + ", ".join(f"{c.label}({c.key})" for c in columns)))
        keys.append(key)
    for col in columns:
        if col.required and col.key not in keys:
            violations.append(
                FieldViolation(f"rows[1].{col.key}", f"required column {col.label}({col.key}) is missing")
            )
    return keys


def read(content: bytes, fmt: str, columns: list[Column]) -> Table:
    if fmt == "csv":
        return _read_csv(content, columns)
    if fmt == "xlsx":
        return _read_xlsx(content, columns)
    raise InvalidArgument(field="format", reason="must be csv or xlsx")


def _read_csv(content: bytes, columns: list[Column]) -> Table:
    violations: list[FieldViolation] = []
    lines = []
    for n, raw in enumerate(content.splitlines(), 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            violations.append(FieldViolation(f"rows[{n}]", "is not valid UTF-8 (mixed encodings? save the "
                                                            "whole file as UTF-8)"))
            lines.append("")
    records = list(csv.reader(io.StringIO("\n".join(lines))))
    if not records:
        raise InvalidArgument(field="content", reason="the file is empty")
    keys = _headers(records[0], columns, violations)
    rows = []
    for n, record in enumerate(records[1:], 2):
        if not any(cell.strip() for cell in record):
            continue
        rows.append((n, {k: (record[i].strip() if i < len(record) else "") for i, k in enumerate(keys) if k}))
    return Table(rows, violations)


def _read_xlsx(content: bytes, columns: list[Column]) -> Table:
    from openpyxl import load_workbook

    violations: list[FieldViolation] = []
    try:
        wb = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:
        raise InvalidArgument(field="content", reason=f"not a readable XLSX file: {exc}") from None
    ws = wb.worksheets[0]
    for merged in ws.merged_cells.ranges:
        violations.append(FieldViolation(f"rows[{merged.min_row}]",
                                         f"merged cells {merged.coord} are not allowed; unmerge them"))
    records = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    if not records:
        raise InvalidArgument(field="content", reason="the sheet is empty")
    keys = _headers(records[0], columns, violations)
    rows = []
    for n, record in enumerate(records[1:], 2):
        if not any(cell.strip() for cell in record):
            continue
        rows.append((n, {k: (record[i].strip() if i < len(record) else "") for i, k in enumerate(keys) if k}))
    return Table(rows, violations)


def write(rows: list[dict], fmt: str, columns: list[Column], *, sheet: str = "data") -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow([c.label for c in columns])
        for r in rows:
            w.writerow(["" if r.get(c.key) is None else r.get(c.key) for c in columns])
        # A BOM so spreadsheet programs open Chinese text as UTF-8.
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = sheet
        ws.append([c.label for c in columns])
        for r in rows:
            ws.append(["" if r.get(c.key) is None else str(r.get(c.key)) for c in columns])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise InvalidArgument(field="format", reason="must be csv or xlsx")
