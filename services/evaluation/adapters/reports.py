"""Result reports: PDF (reportlab, Chinese in the kit's embedded CJK font, govkit.pdf) and XLSX (openpyxl).

Each report has, per object: the nine-grid heatmap (cell scores coloured red→green), the
indicator table (baseline, target, actual, score, status), the trend of the overall score over
recent plans and the findings; a plan report starts with the ranking."""

from __future__ import annotations

import io

from govkit.pdf import cjk_font

from ..domain.model import DIMENSION_NAMES, DIMENSIONS, LEVEL_NAMES, LEVELS
from ..domain.plan import status_text


def status_name(row: dict) -> str:
    """An indicator row's status as the reader sees it: 达标, 低于基线（未达标） or 高于基线（未达标）
    (by the indicator's direction), 无数据."""
    return status_text(row)

STATE_NAMES = {"draft": "草拟", "data_collection": "数据采集", "self_assessment": "自评",
               "review": "审核", "published": "已发布", "archived": "已归档"}


def _fmt(v, unit: str = "") -> str:
    if v is None:
        return "—"
    if unit == "秒":
        return f"{v / 3600:.2f}小时"
    return f"{v:.2f}".rstrip("0").rstrip(".") + ("%" if unit == "%" else unit if unit else "")


def _heat(score) -> tuple[float, float, float]:
    """Red (0) → amber (60) → green (100); grey for no data."""
    if score is None:
        return (0.85, 0.85, 0.85)
    s = max(0.0, min(100.0, score)) / 100
    if s < 0.6:
        return (0.95, 0.45 + 0.4 * s / 0.6, 0.45)
    return (0.95 - 0.55 * (s - 0.6) / 0.4, 0.85, 0.45 + 0.1 * (s - 0.6) / 0.4)


def _title(plan: dict) -> str:
    return f"{plan['name']}（{plan['period_start']} 至 {plan['period_end']}）"


def pdf(plan: dict, objects: list[dict], trends: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    base_style = [("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                  ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                  ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.9, 0.95))]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=plan["name"])
    story = [
        Paragraph("绩效评价结果报告", h1),
        Paragraph(_title(plan), body),
        Paragraph(
            f"评价主体：{plan['subject_org_unit_id']}（{plan['subject_role']}）　评价模型："
            f"{plan['model_code']} 第{plan['model_version']}版　状态：{STATE_NAMES.get(plan['state'], plan['state'])}",
            body,
        ),
    ]
    if len(objects) > 1:
        story.append(Paragraph("排名", h2))
        rows = [["名次", "评价对象", "综合得分", "上期得分", "变化"]]
        for r in sorted(objects, key=lambda r: (r.get("rank") or 999)):
            rows.append([str(r.get("rank") or "—"), r["object_id"], _fmt(r["overall"]),
                         _fmt(r.get("previous_overall")), _fmt(r.get("delta"))])
        t = Table(rows, repeatRows=1)
        t.setStyle(TableStyle(base_style))
        story.append(t)
    for n, r in enumerate(objects):
        if n or len(objects) > 1:
            story.append(PageBreak())
        story.append(Paragraph(f"评价对象：{r['object_id']}　综合得分 {_fmt(r['overall'])}"
                               + (f"　名次 {r['rank']}" if r.get("rank") else ""), h2))
        story.append(Paragraph("九宫格热力图", h2))
        grid = [[""] + [DIMENSION_NAMES[d] for d in DIMENSIONS] + ["层级得分"]]
        style = list(base_style)
        for i, level in enumerate(LEVELS, 1):
            row = [LEVEL_NAMES[level]]
            for j, dim in enumerate(DIMENSIONS, 1):
                sc = r["cells"].get(f"{level}.{dim}")
                row.append(_fmt(sc))
                style.append(("BACKGROUND", (j, i), (j, i), colors.Color(*_heat(sc))))
            row.append(_fmt(r["levels"].get(level)))
            grid.append(row)
        t = Table(grid, colWidths=[30 * mm] + [30 * mm] * 4)
        t.setStyle(TableStyle(style + [("ALIGN", (1, 1), (-1, -1), "CENTER")]))
        story.append(t)
        story.append(Paragraph("指标明细", h2))
        rows = [["指标", "所在格", "基线", "目标", "实际", "得分", "权重", "状态"]]
        for ind in r["indicators"]:
            rows.append([Paragraph(ind["name"], body),
                         f"{LEVEL_NAMES[ind['level']]}·{DIMENSION_NAMES[ind['dimension']]}",
                         _fmt(ind["baseline"], ind["unit"]), _fmt(ind["target"], ind["unit"]),
                         _fmt(ind["actual"], ind["unit"]), _fmt(ind["score"]), _fmt(ind["weight"]),
                         status_name(ind)])
        t = Table(
            rows, repeatRows=1, colWidths=[42 * mm, 28 * mm, 20 * mm, 20 * mm, 20 * mm, 14 * mm, 12 * mm, 18 * mm]
        )
        t.setStyle(TableStyle(base_style))
        story.append(t)
        trend = trends.get(r["object_id"]) or []
        if trend:
            story.append(Paragraph("趋势（综合得分）", h2))
            story.append(Paragraph("　".join(f"{d}：{_fmt(s)}" for d, s in trend), body))
        story.append(Paragraph("发现与整改", h2))
        for f in r["findings"] or ["各项指标均达到基线。"]:
            story.append(Paragraph("• " + f, body))
        story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return buf.getvalue()


def xlsx(plan: dict, objects: list[dict], trends: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "排名"
    ws.append(["绩效评价结果报告", _title(plan)])
    ws.append(["评价主体", plan["subject_org_unit_id"], "模型", f"{plan['model_code']}@{plan['model_version']}",
               "状态", STATE_NAMES.get(plan["state"], plan["state"])])
    ws.append([])
    ws.append(["名次", "评价对象", "综合得分", "组织层", "流程层", "个人执行层", "上期得分", "变化"])
    for c in ws[4]:
        c.font = Font(bold=True)
    for r in sorted(objects, key=lambda r: (r.get("rank") or 999)):
        ws.append([r.get("rank"), r["object_id"], r["overall"], r["levels"].get("organization"),
                   r["levels"].get("process"), r["levels"].get("individual"), r.get("previous_overall"),
                   r.get("delta")])
    grid = wb.create_sheet("九宫格")
    grid.append(["评价对象", "层级"] + [DIMENSION_NAMES[d] for d in DIMENSIONS] + ["层级得分"])
    for r in objects:
        for level in LEVELS:
            row = [r["object_id"], LEVEL_NAMES[level]] + [r["cells"].get(f"{level}.{d}") for d in DIMENSIONS] \
                + [r["levels"].get(level)]
            grid.append(row)
            for j, d in enumerate(DIMENSIONS, 3):
                cell = grid.cell(row=grid.max_row, column=j)
                rgb = "".join(f"{int(c * 255):02X}" for c in _heat(r["cells"].get(f"{level}.{d}")))
                cell.fill = PatternFill("solid", start_color=rgb, end_color=rgb)
    table = wb.create_sheet("指标明细")
    table.append(["评价对象", "指标代码", "指标", "层级", "维度", "单位", "基线", "目标", "实际", "得分",
                  "权重", "状态", "证据"])
    for r in objects:
        for ind in r["indicators"]:
            table.append([r["object_id"], ind["code"], ind["name"], LEVEL_NAMES[ind["level"]],
                          DIMENSION_NAMES[ind["dimension"]], ind["unit"], ind["baseline"], ind["target"],
                          ind["actual"], ind["score"], ind["weight"], status_name(ind),
                          ind.get("evidence", "")])
    tr = wb.create_sheet("趋势与发现")
    tr.append(["评价对象", "期末", "综合得分"])
    for oid, points in trends.items():
        for d, s in points:
            tr.append([oid, d, s])
    tr.append([])
    tr.append(["评价对象", "发现"])
    for r in objects:
        for f in r["findings"]:
            tr.append([r["object_id"], f])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
