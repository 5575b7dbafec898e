"""Conversions at the gRPC edge shared by every servicer: timestamps, dates, enum choices.
Bad input becomes InvalidArgument naming the field, like every other edge validation."""

from __future__ import annotations

from datetime import date, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from .errors import InvalidArgument


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


def choice(table: dict, value: int, field: str) -> str:
    """The domain value a proto enum number stands for; unset or unknown numbers are refused."""
    if value not in table:
        raise InvalidArgument(field=field, reason="is required" if not value else f"unknown value {value}")
    member = table[value]
    return member.value if hasattr(member, "value") else member
