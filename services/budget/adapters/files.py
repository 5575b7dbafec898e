"""Asset import files (CSV, XLSX) in and register exports out.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first asset row 2.
Problems are reported per row and column (`rows[12].original_value`), never half-imported."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime

from govkit.errors import FieldViolation, InvalidArgument

from ..domain.assets import COLUMNS, HEADER_ALIASES, REQUIRED, STATUSES, SUPPORT_MODES, Asset

MAX_ROWS = 200_000
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _header(cells: list) -> dict[int, str]:
    mapping: dict[int, str] = {}
    problems: list[FieldViolation] = []
    for i, cell in enumerate(cells):
        name = str(cell or "").strip().lstrip("\ufeff")
        if not name:
            continue
        field = HEADER_ALIASES.get(name)
        if field is None:
            problems.append(FieldViolation(f"rows[1].{name}", f"unknown column {name!r}; expected "
                                           + ", ".join(f"{v} ({k})" for k, v in COLUMNS.items())))
        elif field in mapping.values():
            problems.append(FieldViolation(f"rows[1].{field}", f"column {name!r} appears twice"))
        else:
            mapping[i] = field
    missing = [f for f in REQUIRED if f not in mapping.values()]
    for f in missing:
        problems.append(FieldViolation(f"rows[1].{f}", f"required column {COLUMNS[f]} ({f}) is missing"))
    if problems:
        raise InvalidArgument(problems, "the header row is wrong; nothing was imported")
    return mapping


def _decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM). A file that is GBK/GB18030 throughout is accepted (Excel's
    default on Chinese Windows); GBK bytes inside an otherwise UTF-8 file are refused per row."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = content.split(b"\n")
    bad, utf8_non_ascii = [], 0
    for n, line in enumerate(lines, 1):
        try:
            line.decode("utf-8")
            if any(b > 127 for b in line):
                utf8_non_ascii += 1
        except UnicodeDecodeError:
            bad.append(n)
    if not utf8_non_ascii:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            pass
    raise InvalidArgument([FieldViolation(f"rows[{n}]", "holds bytes that are not UTF-8 (mixed encodings, e.g. "
                                          "GBK text in a UTF-8 file); save the whole file as UTF-8")
                           for n in bad[:200]], f"{len(bad)} row(s) are not valid UTF-8; nothing was imported")


def _csv_rows(content: bytes) -> list[tuple[int, dict]]:
    text = _decode_csv(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidArgument(field="content", reason="the file is empty") from None
    mapping = _header(header)
    rows = []
    for cells in reader:
        n = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        rows.append((n, {f: cells[i] if i < len(cells) else "" for i, f in mapping.items()}))
        if len(rows) > MAX_ROWS:
            raise InvalidArgument(field="content", reason=f"more than {MAX_ROWS} rows; split the file")
    return rows


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _xlsx_rows(content: bytes) -> list[tuple[int, dict]]:
    import openpyxl

    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise InvalidArgument(field="content", reason="not an XLSX file (not a zip archive)") from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidArgument(field="content", reason=f"not a readable XLSX workbook: {exc}") from None
    ws = wb.worksheets[0]
    # read_only mode does not expose merged ranges; read them from the sheet's XML directly.
    sheet_xml = _first_sheet_xml(zf)
    rows_iter = ws.iter_rows(values_only=True)
    try:
        header = next(rows_iter)
    except StopIteration:
        raise InvalidArgument(field="content", reason="the sheet is empty") from None
    mapping = _header(list(header))
    merged = []
    for m in _MERGE.finditer(sheet_xml or b""):
        col, row = _col_index(m.group(1)), int(m.group(2))
        ref = m.group(0).split(b'"')[1].decode()
        merged.append(FieldViolation(f"rows[{row}].{mapping.get(col, m.group(1).decode())}",
                                     f"merged cells {ref} are not allowed; unmerge and fill every cell"))
    if merged:
        wb.close()
        raise InvalidArgument(merged[:200], f"{len(merged)} merged cell range(s); nothing was imported")
    rows = []
    for n, cells in enumerate(rows_iter, 2):
        if cells is None or not any(c not in (None, "") for c in cells):
            continue
        rows.append((n, {f: _cell(cells[i]) if i < len(cells) else None for i, f in mapping.items()}))
        if len(rows) > MAX_ROWS:
            raise InvalidArgument(field="content", reason=f"more than {MAX_ROWS} rows; split the file")
    wb.close()
    return rows


def _cell(value):
    if isinstance(value, float):
        # Excel stores numbers as binary floats; repr gives the shortest exact decimal text.
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, datetime):
        return value.date()
    return value


def _first_sheet_xml(zf: zipfile.ZipFile) -> bytes | None:
    names = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
    return zf.read(names[0]) if names else None


def read_rows(content: bytes, fmt: str) -> list[tuple[int, dict]]:
    fmt = (fmt or "").lower().lstrip(".")
    if not content:
        raise InvalidArgument(field="content", reason="is empty")
    if fmt == "csv":
        return _csv_rows(content)
    if fmt == "xlsx":
        return _xlsx_rows(content)
    raise InvalidArgument(field="format", reason="must be csv or xlsx")


# ---- export --------------------------------------------------------------------------------
def _export_row(a: Asset, names: dict) -> list:
    return [a.code, a.name, a.kind, a.org_unit_id, a.location, a.brand, a.model,
            a.purchase_date.isoformat() if isinstance(a.purchase_date, date) else "", str(a.original_value),
            a.quantity, a.protection_level, SUPPORT_MODES.get(a.support_mode, a.support_mode),
            STATUSES.get(a.status, a.status), a.response_time, a.user_scale]


def export_assets(assets: list[Asset], fmt: str) -> bytes:
    """The same columns the importer reads, so an export can be edited and imported elsewhere."""
    header = list(COLUMNS.values())
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for a in assets:
            w.writerow(_export_row(a, {}))
        return buf.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("资产清单")
        ws.append(header)
        for a in assets:
            row = _export_row(a, {})
            row[8] = a.original_value  # openpyxl writes Decimal as an exact number cell
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise InvalidArgument(field="format", reason="must be csv or xlsx")
