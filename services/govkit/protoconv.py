"""Conversions at the gRPC edge shared by every servicer: timestamps, dates, enum choices and the
shared messages of govops.common.v1 (Money, PageRequest/PageResponse, DateRange). Bad input
becomes InvalidArgument naming the field, like every other edge validation."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from .errors import InvalidArgument, Validator

if TYPE_CHECKING:  # the generated package exists once `make proto` ran; imported lazily below
    from govops.common.v1 import common_pb2

T = TypeVar("T")

CURRENCY = "CNY"
PAGE_TOKEN_FIELD = "page.page_token"
CENT = Decimal("0.01")


def _common():
    from govops.common.v1 import common_pb2

    return common_pb2


def timestamp(value: datetime | str | None) -> Timestamp | None:
    """A datetime (or ISO 8601 text) as a protobuf Timestamp; None stays None (field unset)."""
    if value is None:
        return None
    ts = Timestamp()
    if isinstance(value, str):
        ts.FromJsonString(value.replace("+00:00", "Z"))
    else:
        ts.FromDatetime(value)
    return ts


def parse_date(text: str, field: str, *, required: bool = True) -> date | None:
    if not text:
        if required:
            raise InvalidArgument(field=field, reason="is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(field=field, reason="must be a date YYYY-MM-DD") from None


def choice(table: dict, value: int, field: str, *, default: str | None = None) -> str:
    """The domain value a proto enum number stands for; unknown numbers are refused, and so is the
    unset value (0) unless the field documents a `default` for it."""
    if not value and default is not None:
        return default
    if value not in table:
        raise InvalidArgument(field=field, reason="is required" if not value else f"unknown value {value}")
    member = table[value]
    return member.value if hasattr(member, "value") else member


# ---- govops.common.v1.Money


def money(value: Decimal | str | int | None) -> common_pb2.Money | None:
    """An amount of yuan as Money: exactly two decimal places, currency CNY. None stays None."""
    if value is None or value == "":
        return None
    return _common().Money(amount=str(Decimal(value).quantize(CENT)), currency=CURRENCY)


def as_money(text: str | Decimal | int) -> common_pb2.Money:
    """A client's Money carrying the amount as given (no rounding: the service validates it)."""
    return _common().Money(amount=str(text), currency=CURRENCY)


def _currency(msg: common_pb2.Money, field: str) -> None:
    if msg.currency not in ("", CURRENCY):
        raise InvalidArgument(field=f"{field}.currency",
                              reason=f"must be {CURRENCY} (ISO 4217); got {msg.currency[:16]!r}")


def money_text(msg: common_pb2.Money | None, field: str) -> str:
    """The amount text of an incoming Money, for a domain that validates the number itself (so one
    answer lists every bad field, amounts included); "" when unset. A currency other than CNY (or
    empty, read as CNY) is refused here, naming `<field>.currency`."""
    if msg is None:
        return ""
    _currency(msg, field)
    return msg.amount.strip()


def to_decimal(msg: common_pb2.Money | None, field: str, *, required: bool = True,
               v: Validator | None = None) -> Decimal | None:
    """An incoming Money as a Decimal: a finite decimal string with at most two places, currency CNY.
    Violations name `field` and are raised, or collected in `v` when given (then None is returned)."""
    def fail(reason: str) -> None:
        if v is None:
            raise InvalidArgument(field=field, reason=reason)
        v.fail(field, reason)

    text = money_text(msg, field)
    if not text:
        if required:
            fail('is required (a decimal string of yuan, e.g. "12345.60")')
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail('must be a decimal number of yuan, e.g. "12345.60"')
        return None
    if not value.is_finite():
        fail("must be a finite number")
        return None
    if value != value.quantize(CENT):
        fail("must have at most two decimal places (fen)")
        return None
    return value


# ---- govops.common.v1.PageRequest / PageResponse


def page(msg: common_pb2.PageRequest | None) -> tuple[int, str]:
    """(page_size, page_token) of a request; the service checks both (naming `page.page_size`,
    `page.page_token`)."""
    if msg is None:
        return 0, ""
    return msg.page_size, msg.page_token


def page_response(next_page_token: str, total_size: int | None = None) -> common_pb2.PageResponse:
    """The paging part of a list response; total_size only where the service knows it cheaply."""
    out = _common().PageResponse(next_page_token=next_page_token or "")
    if total_size is not None:
        out.total_size = total_size
    return out


def encode_page_token(value: Any) -> str:
    """A page token: any JSON value (a cursor, an offset), base64url so it is opaque to clients."""
    return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).decode()


def decode_page_token(token: str, parse: Callable[[Any], T], field: str = PAGE_TOKEN_FIELD) -> T | None:
    """The value of a token `encode_page_token` made, checked by `parse` (which raises on a value of
    the wrong shape); None for no token. Anything else — not base64, not JSON, a value `parse`
    refuses — is InvalidArgument naming `field`, never silently the first page."""
    if not token:
        return None
    try:
        raw = base64.b64decode(token.encode(), altchars=b"-_", validate=True)
        return parse(json.loads(raw))
    except (binascii.Error, UnicodeError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise InvalidArgument(field=field, reason="is not a page token this service issued "
                                                  "(start again without one)") from None


def page_offset(value: Any) -> int:
    """`parse` for offset tokens and row-id cursors: a non-negative integer that fits a bigint."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError("not an offset")
    return value


def page_size(msg: common_pb2.PageRequest | None, *, default_size: int = 100, max_size: int = 1000) -> int:
    """The page size a request asks for: 0 is `default_size`, larger than `max_size` is capped,
    negative is InvalidArgument naming `page.page_size`."""
    size, _ = page(msg)
    if size < 0:
        raise InvalidArgument(field="page.page_size", reason="must not be negative")
    return min(size or default_size, max_size)


def offset_window(msg: common_pb2.PageRequest | None, *, default_size: int = 100,
                  max_size: int = 1000) -> tuple[int, int]:
    """(start, size) of an offset-paged request, both checked (`page_size`, an offset token). A
    servicer whose method also reads an id calls it before any work, so a bad page is
    INVALID_ARGUMENT naming `page.*` whatever else the request holds."""
    size = page_size(msg, default_size=default_size, max_size=max_size)
    return decode_page_token(page(msg)[1], page_offset) or 0, size


def offset_page(items: list[T], msg: common_pb2.PageRequest | None, *, default_size: int = 100,
                max_size: int = 1000) -> tuple[list[T], common_pb2.PageResponse]:
    """One page of a list the service reads whole (in a stable order), with its total: page size 0
    is `default_size`, larger than `max_size` is capped, negative is InvalidArgument naming
    `page.page_size`; the token is the offset of the next item (`encode_page_token`)."""
    start, size = offset_window(msg, default_size=default_size, max_size=max_size)
    end = start + size
    return items[start:end], page_response(encode_page_token(end) if end < len(items) else "",
                                           total_size=len(items))


# ---- govops.common.v1.DateRange


def date_range(msg: common_pb2.DateRange | None, field: str, *, start_required: bool = True,
               end_required: bool = False) -> tuple[date | None, date | None]:
    """(start, end) of an incoming DateRange as dates; every bad part is reported at once, named
    `<field>.start` / `<field>.end`, and an end before the start names `<field>.end`."""
    start_text = msg.start if msg is not None else ""
    end_text = msg.end if msg is not None else ""
    v = Validator()
    start = end = None
    for part, text, required in (("start", start_text, start_required), ("end", end_text, end_required)):
        try:
            value = parse_date(text, f"{field}.{part}", required=required)
        except InvalidArgument as exc:
            v.violations.extend(exc.violations)
            continue
        if part == "start":
            start = value
        else:
            end = value
    if start is not None and end is not None and end < start:
        v.fail(f"{field}.end", "must not be before start")
    v.check()
    return start, end


def to_date_range(start: date | str | None, end: date | str | None) -> common_pb2.DateRange:
    """Dates (or ISO text) as a DateRange; None is an empty (open) end."""
    def text(d: date | str | None) -> str:
        if d is None:
            return ""
        return d if isinstance(d, str) else d.isoformat()

    return _common().DateRange(start=text(start), end=text(end))
