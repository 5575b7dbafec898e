"""Budget reports finance can use: XLSX (summary sheet + one detail sheet per fee category, with
the formula text of every line) and PDF (reportlab, Chinese in the kit's embedded CJK font, govkit.pdf)."""

from __future__ import annotations

import io
from decimal import Decimal

from govkit.pdf import cjk_font

from ..domain.assets import KIND_BY_CODE
from ..domain.budget import Budget, execution_rate
from ..domain.compilation import Line
from ..domain.fees import FEE_CATEGORIES, ITEM_BY_CODE
from ..domain.money import money_text

STATE_NAMES = {"draft": "草稿", "submitted": "已提交", "reviewed": "已审核", "approved": "已批准"}
DETAIL_HEADER = ["行号", "部门", "资产类别", "费用项目", "规则", "资产数", "数量", "计算基数", "调整系数",
                 "金额（元）", "已执行（元）", "执行率(%)", "计算公式"]


def _title(b: Budget, unit_name: str) -> str:
    return f"{unit_name}（{b.org_unit_id}）{b.year}年度运维经费预算"


def _meta(b: Budget) -> list[tuple[str, str]]:
    return [("预算单位", b.org_unit_id + ("（含下级单位）" if b.include_subtree else "")), ("预算年度", str(b.year)),
            ("定额标准", b.standard_label), ("人工费地区", b.region), ("状态", STATE_NAMES.get(b.state, b.state)),
            ("资产数量", str(b.asset_count)), ("预算行数", str(b.line_count)),
            ("合计（元）", money_text(b.total)),
            ("舍入规则", "每行按四舍五入（ROUND_HALF_UP）保留到分；合计为各行舍入后金额之和")]


def budget_xlsx(b: Budget, lines: list[Line], spent_by_line: dict, spent_by_cat: dict, unit_name: str) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([_title(b, unit_name)])
    ws["A1"].font = Font(bold=True, size=14)
    for k, v in _meta(b):
        ws.append([k, v])
    ws.append([])
    ws.append(["费用类别", "代码", "预算金额（元）", "已执行（元）", "执行率(%)", "明细表"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for c in FEE_CATEGORIES:
        amount = b.by_category.get(c.code, Decimal("0.00"))
        spent = spent_by_cat.get(c.code, Decimal("0.00"))
        ws.append([c.name, c.code, amount, spent, execution_rate(spent, amount), c.name])
    ws.append(["合计", "", b.total, sum(spent_by_cat.values(), Decimal("0.00")),
               execution_rate(sum(spent_by_cat.values(), Decimal("0.00")), b.total), ""])
    ws.append([])
    ws.append(["按资产类别", "代码", "预算金额（元）"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for kind, amount in sorted(b.by_kind.items()):
        ws.append([KIND_BY_CODE[kind].name if kind in KIND_BY_CODE else kind, kind, amount])
    for col, width in zip("ABCDEF", (28, 40, 18, 16, 12, 20)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"

    for c in FEE_CATEGORIES:
        ds = wb.create_sheet(c.name[:31])
        ds.append(DETAIL_HEADER)
        for cell in ds[1]:
            cell.font = Font(bold=True)
        for ln in (x for x in lines if x.fee_category == c.code):
            spent = spent_by_line.get(ln.line_no, Decimal("0.00"))
            ds.append([ln.line_no, ln.org_unit_id, KIND_BY_CODE[ln.asset_kind].name,
                       ITEM_BY_CODE[ln.fee_item].name, ln.rule_ref, ln.asset_count, ln.quantity, ln.base,
                       ln.coefficient, ln.amount, spent, execution_rate(spent, ln.amount), ln.formula])
            for cell in ds[ds.max_row][7:11]:
                cell.number_format = "#,##0.00"
            ds.cell(ds.max_row, 13).alignment = Alignment(wrap_text=False)
        total = sum((x.amount for x in lines if x.fee_category == c.code), Decimal("0.00"))
        ds.append(["合计", "", "", "", "", "", "", "", "", total])
        for col, width in zip("ABCDEFGHIJKLM", (6, 10, 22, 18, 22, 8, 8, 16, 8, 14, 14, 10, 110)):
            ds.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def budget_pdf(b: Budget, lines: list[Line], spent_by_cat: dict, unit_name: str, *, max_lines: int = 2000) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("s", fontName=font, fontSize=7, leading=9)
    style = TableStyle([("FONT", (0, 0), (-1, -1), font, 8), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story = [Paragraph(_title(b, unit_name), title), Spacer(1, 4 * mm)]
    story.append(Table([[k, v] for k, v in _meta(b)], colWidths=[30 * mm, 200 * mm], style=style))
    story.append(Spacer(1, 4 * mm))
    rows = [["费用类别", "预算金额（元）", "已执行（元）", "执行率(%)"]]
    for c in FEE_CATEGORIES:
        amount = b.by_category.get(c.code, Decimal("0.00"))
        spent = spent_by_cat.get(c.code, Decimal("0.00"))
        rows.append([c.name, money_text(amount), money_text(spent), str(execution_rate(spent, amount))])
    rows.append(["合计", money_text(b.total), money_text(sum(spent_by_cat.values(), Decimal("0.00"))), ""])
    story.append(Table(rows, colWidths=[60 * mm, 40 * mm, 40 * mm, 25 * mm], style=style))
    shown = lines[:max_lines]
    for c in FEE_CATEGORIES:
        cat_lines = [ln for ln in shown if ln.fee_category == c.code]
        if not cat_lines:
            continue
        story += [PageBreak(), Paragraph(f"明细：{c.name}", title), Spacer(1, 2 * mm)]
        rows = [["行号", "部门", "资产类别", "费用项目", "金额（元）", "计算公式"]]
        for ln in cat_lines:
            rows.append([str(ln.line_no), ln.org_unit_id, KIND_BY_CODE[ln.asset_kind].name,
                         ITEM_BY_CODE[ln.fee_item].name, money_text(ln.amount), Paragraph(ln.formula, small)])
        story.append(Table(rows, colWidths=[12 * mm, 18 * mm, 40 * mm, 30 * mm, 25 * mm, 145 * mm],
                           style=style, repeatRows=1))
    if len(lines) > max_lines:
        story.append(Paragraph(f"（共 {len(lines)} 行，PDF 仅列出前 {max_lines} 行；完整明细见 XLSX 导出）", body))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=landscape(A4), title=_title(b, unit_name), leftMargin=10 * mm,
                      rightMargin=10 * mm, topMargin=10 * mm, bottomMargin=10 * mm).build(story)
    return out.getvalue()


