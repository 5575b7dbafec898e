"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V):
registration authority (1), organisation type (1), administrative division (6), organisation
code (9, GB 11714 with its own check character), check character (1). The check character is
C18 = 31 - (Σ Ci·Wi mod 31) with Wi = 3^(i-1) mod 31 (a result of 31 becomes 0).
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, …, 28


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why `code` is not a valid credit code, or None if it is."""
    if len(code) != 18:
        return f"must be 18 characters (got {len(code)})"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"contains characters outside GB 32100-2015's alphabet: {''.join(bad)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, expected {expected} (GB 32100-2015)"
    return None


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def is_valid(code: str) -> bool:
    return problem(normalise(code)) is None
