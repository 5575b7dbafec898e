"""The CJK font of every PDF report: one TrueType font, embedded as a subset in each PDF.

reportlab's built-in CID fonts (STSong-Light …) are only *named* in the PDF, so a reader
without that font (poppler with no Chinese fonts, many Linux and mobile viewers) draws empty
boxes. A TrueType font registered through ``TTFont`` is embedded instead, as the subset of
glyphs the document uses, so the PDF reads the same everywhere.

The font file: ``GOVOPS_CJK_FONT`` (a .ttf or .ttc path; ``GOVOPS_CJK_FONT_INDEX`` picks the
face in a .ttc, default 0), else the first of ``DEFAULT_PATHS`` that exists. It must have
TrueType (glyf) outlines: reportlab cannot embed CFF/OpenType-PS fonts such as Noto Sans CJK.
Debian's ``fonts-wqy-microhei`` provides the default (installed by ``.ci/run`` and the
Dockerfile)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .errors import FailedPrecondition

ENV = "GOVOPS_CJK_FONT"
ENV_INDEX = "GOVOPS_CJK_FONT_INDEX"
FONT_NAME = "GovOpsCJK"
DEFAULT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",   # Debian/Ubuntu fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",     # Debian/Ubuntu fonts-wqy-zenhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",   # Fedora/RHEL wqy-microhei-fonts
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",       # Fedora/RHEL wqy-zenhei-fonts
)
INSTALL_HINT = "apt-get install fonts-wqy-microhei (Debian/Ubuntu)"

_lock = threading.Lock()
_registered: tuple[str, int] | None = None  # (path, face index) registered as FONT_NAME


class CjkFontUnavailable(FailedPrecondition):
    """The server cannot write Chinese PDFs: no usable CJK TrueType font (a deployment fault)."""


def font_path() -> Path:
    """The configured font file, or the first default that exists; CjkFontUnavailable if none."""
    configured = os.environ.get(ENV, "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise CjkFontUnavailable(f"{ENV}={configured}: no such font file; point it at a TrueType "
                                     f"CJK font (.ttf/.ttc) or unset it and {INSTALL_HINT}")
        return path
    for candidate in DEFAULT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise CjkFontUnavailable(f"no CJK font for PDF reports: {INSTALL_HINT}, or set {ENV} to a TrueType "
                             f"CJK font (.ttf/.ttc); looked in {', '.join(DEFAULT_PATHS)}")


def cjk_font() -> str:
    """Register the CJK font with reportlab (once per process and font file) and return its name,
    for ``fontName=`` in paragraph and table styles."""
    global _registered
    path = str(font_path())
    index = int(os.environ.get(ENV_INDEX, "0") or 0)
    with _lock:
        if _registered != (path, index):
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFError, TTFont

            try:
                font = TTFont(FONT_NAME, path, subfontIndex=index)
            except (TTFError, OSError) as e:
                raise CjkFontUnavailable(f"{ENV}: {path} (face {index}) cannot be embedded: {e}; reportlab "
                                         "needs TrueType (glyf) outlines, e.g. fonts-wqy-microhei") from e
            pdfmetrics.registerFont(font)
            _registered = (path, index)
    return FONT_NAME
