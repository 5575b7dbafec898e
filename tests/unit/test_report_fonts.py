"""Chinese text in the PDF reports is readable anywhere: the CJK font is embedded (a subset), and
a reader with no Chinese font of its own (poppler here) draws real glyphs, not empty boxes.

Reports are built from plain data, no servers. Needs poppler-utils (pdffonts, pdftotext,
pdftoppm; `.ci/run` installs it) and the CJK font (`govkit.pdf`, GOVOPS_CJK_FONT)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from budget.adapters import reports as budget_reports
from budget.domain import budget as bd
from evaluation.adapters import reports as eval_reports
from evaluation.domain.model import DIMENSIONS, LEVELS

POPPLER = ("pdffonts", "pdftotext", "pdftoppm")
DPI = 100
# The 14 standard PDF fonts every reader has; anything else must be embedded.
STANDARD_FONTS = re.compile(r"^(Helvetica|Times|Courier|Symbol|ZapfDingbats)")


@pytest.fixture(autouse=True)
def _poppler():
    missing = [t for t in POPPLER if not shutil.which(t)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing: .ci/run installs poppler-utils")
        pytest.skip(f"needs poppler-utils ({', '.join(missing)}): apt-get install poppler-utils")


def _evaluation_pdf() -> bytes:
    plan = dict(name="运维服务绩效评价", period_start="2026-01-01", period_end="2026-06-30", subject_org_unit_id="fgw",
                subject_role="主管部门", model_code="NINE", model_version=1, state="published")
    obj = dict(object_id="vendor-a", overall=82.5, rank=1, previous_overall=None, delta=None,
               cells={f"{lv}.{d}": 80.0 for lv in LEVELS for d in DIMENSIONS},
               levels={"organization": 80.0, "process": 85.0, "individual": 82.0},
               indicators=[dict(code="K1", name="故障响应及时率", level="process", dimension="goals", unit="%",
                                baseline=90, target=95, actual=96, score=100, weight=10, status="ok")],
               findings=["响应及时，整改闭环"])
    return eval_reports.pdf(plan, [obj], {"vendor-a": [("2026-06-30", 82.5)]})


def _budget_pdf() -> bytes:
    b = bd.Budget("b1", "fgw", False, 2027, "s1", "省级运维定额 v1", "杭州", bd.DRAFT, Decimal("1000.00"),
                  {"hardware_om": Decimal("1000.00")}, {"server": Decimal("1000.00")}, 1, 0)
    return budget_reports.budget_pdf(b, [], {}, "发展和改革委员会")


# (report, a Chinese run at the start of a line of page 1, its font size in points)
REPORTS = [
    pytest.param(_evaluation_pdf, "绩效评价结果报告", 16, id="evaluation"),
    pytest.param(_budget_pdf, "发展和改革委员会", 16, id="budget"),
]


def _fonts(path: Path) -> list[dict]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        # name type... encoding emb sub uni object-id gen: the name is first, the flags from the end
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3], "line": line})
    return rows


def _word_box(path: Path, prefix: str) -> tuple[float, float, float, float]:
    """(xMin, yMin, xMax, yMax) in points of the first page-1 word that starts with `prefix`."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                         html):
        if m.group(5).startswith(prefix):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            return x0, y0, x1, y1
    raise AssertionError(f"{prefix!r} not in the text layer of page 1:\n{html[:2000]}")


def _render(path: Path):
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(path.with_suffix(""))], check=True, capture_output=True)
    return Image.open(path.with_suffix(".png")).convert("L")


def _ink(img) -> int:
    return sum(1 for p in img.getdata() if p < 128)


def _shape(img, size: int = 16) -> list[bool]:
    """The glyph's ink cropped to its own bounding box and scaled to size×size, as dark/light bits."""
    from PIL import ImageOps

    box = ImageOps.invert(img).getbbox()
    assert box, "no ink"
    return [p < 128 for p in img.crop(box).resize((size, size)).getdata()]


@pytest.mark.parametrize(("make", "text", "size"), REPORTS)
def test_the_cjk_font_is_embedded_as_a_subset(make, text, size, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(make())
    fonts = _fonts(path)
    not_embedded = [f["line"] for f in fonts if f["emb"] != "yes" and not STANDARD_FONTS.match(f["name"])]
    assert not not_embedded, f"fonts a reader must have itself: {not_embedded}"
    cjk = [f for f in fonts if f["emb"] == "yes" and f["sub"] == "yes" and f["uni"] == "yes"]
    assert cjk, f"no embedded, subset font with a Unicode map: {fonts}"
    # the text layer maps back to the Chinese (copy/paste and search work)
    assert _word_box(path, text)


@pytest.mark.parametrize(("make", "text", "size"), REPORTS)
def test_chinese_text_renders_as_glyphs_not_boxes(make, text, size, tmp_path):
    """Page 1 at 100 dpi: each character cell of a known Chinese run has ink, a blank strip beside
    has none, and the characters have different shapes (missing-font "tofu" boxes are all alike)."""
    path = tmp_path / "r.pdf"
    path.write_bytes(make())
    img = _render(path)
    x0, y0, _, y1 = _word_box(path, text)
    px = DPI / 72
    top, bottom = int(y0 * px), int(y1 * px) + 1
    cells = [img.crop((int((x0 + i * size) * px), top, int((x0 + (i + 1) * size) * px), bottom))
             for i in range(len(text))]
    inks = [_ink(c) for c in cells]
    # a 16 pt CJK glyph at 100 dpi covers ~22×22 px; its strokes darken well over 15 of them
    assert min(inks) > 15, f"character cells without glyph ink: {dict(zip(text, inks))}"
    left_margin = img.crop((0, top, max(1, int(x0 * px) - 2), bottom))
    assert _ink(left_margin) == 0
    shapes = [_shape(c) for c in cells]
    pairs = [(a, b) for i, a in enumerate(shapes) for b in shapes[i + 1:]]
    differing = [sum(p != q for p, q in zip(a, b)) / len(a) for a, b in pairs]
    # distinct characters differ in a good part of their pixels; equal boxes differ in almost none
    assert min(differing) > 0.1, f"characters look alike (empty boxes?): min difference {min(differing):.2f}"
    assert len(set(map(tuple, shapes))) == len(set(text))


def test_the_font_is_registered_once_under_one_name():
    from govkit import pdf as kit_pdf

    name = kit_pdf.cjk_font()
    assert kit_pdf.cjk_font() == name
    from reportlab.pdfbase import pdfmetrics

    assert name in pdfmetrics.getRegisteredFontNames()
    # it has the glyphs the reports use
    face = pdfmetrics.getFont(name).face
    for ch in "绩效评价结果报告发展和改革委员会（）：·•—":
        assert ord(ch) in face.charToGlyph, f"{ch!r} missing from {kit_pdf.font_path()}"


def test_a_missing_font_file_is_a_clear_error(monkeypatch, tmp_path):
    from govkit import pdf as kit_pdf

    monkeypatch.setenv("GOVOPS_CJK_FONT", str(tmp_path / "nope.ttc"))
    with pytest.raises(kit_pdf.CjkFontUnavailable) as e:
        kit_pdf.font_path()
    assert "GOVOPS_CJK_FONT" in str(e.value) and "nope.ttc" in str(e.value)
