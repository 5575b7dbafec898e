"""Search and sort keys for Chinese names: full pinyin and initials ("张三" → "zhangsan", "zs").
Org searches people by them; lists of names sort by `sort_key` (pinyin order, as a Chinese reader
expects, not by code point)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    # errors="default" keeps Latin letters and digits as they are, so "王Lily" → "wanglily".
    full = "".join(lazy_pinyin(name, errors="default")).lower().replace(" ", "")
    initials = "".join(s[0] for s in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default") if s)
    return full, initials.lower()


def sort_key(name: str) -> tuple[str, str]:
    """Pinyin order, the name itself breaking ties (homophones)."""
    return pinyin_keys(name)[0], name
