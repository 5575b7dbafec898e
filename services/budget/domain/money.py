"""Money and rates: Decimal only, never float.

Rounding rule (documented in docs/budget.md): each budget line is rounded to 0.01 yuan with
ROUND_HALF_UP; every total is the sum of rounded lines, so a finance reviewer can add the lines
of the detail sheet and get exactly the summary figure."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1e13")  # 10 trillion yuan: anything larger is a typo


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(v, field: str, raw, *, positive: bool = False, allow_zero: bool = True,
                  max_places: int | None = None, maximum: Decimal | None = None) -> Decimal | None:
    """Parse a decimal string (or Decimal/int); report a clear reason to the Validator `v`."""
    if isinstance(raw, float):
        raw = repr(raw)
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    if text == "":
        v.fail(field, "is required")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        v.fail(field, f"must be a decimal number, got {str(raw)[:40]!r}")
        return None
    if not value.is_finite():
        v.fail(field, "must be a finite number")
        return None
    if value < 0:
        v.fail(field, f"must not be negative (got {text})")
        return None
    if (positive or not allow_zero) and value == 0:
        v.fail(field, "must be greater than zero")
        return None
    if max_places is not None and value.as_tuple().exponent < -max_places:  # type: ignore[operator]
        v.fail(field, f"must have at most {max_places} decimal places (got {text})")
        return None
    if value >= (maximum or MAX_MONEY):
        v.fail(field, f"is implausibly large ({text})")
        return None
    return value


def money_text(value: Decimal) -> str:
    """1234567.8 → '1,234,567.80' (for formulas and exports)."""
    return f"{round_money(value):,.2f}"


def percent_text(rate: Decimal) -> str:
    """0.055 → '5.5%'."""
    p = (rate * 100).normalize()
    return f"{p:f}%"
