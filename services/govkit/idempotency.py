"""Idempotency keys that cannot replay the wrong request.

A create that takes an idempotency key stores, with the key, a fingerprint of the request: a
SHA-256 of its canonical content (`fingerprint`), without the key itself and without what may
differ between two sends of the same request (request metadata, the caller's clock). A call that
brings a known key then goes through `check_replay`:

* same fingerprint → the first result is replayed, as before;
* another fingerprint → ALREADY_EXISTS naming `idempotency_key` (the key is taken by a different
  request; the client must use a new key or resend the first body);
* no stored fingerprint (a row written before fingerprints existed) → replayed.

Plain Python (domain code and handlers import it); the canonical form is JSON with sorted keys,
no whitespace, dataclasses and mappings as objects, sets sorted, dates ISO 8601, Decimals as
their normalised string, enums by value, strings stripped (an edge that strips may not change
the fingerprint).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from .errors import AlreadyExists

KEY_FIELD = "idempotency_key"


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, Iterable):
        return [_canonical(v) for v in value]
    return str(value)


def fingerprint(request: Any, *, exclude: Iterable[str] = ()) -> str:
    """The SHA-256 (hex) of `request`'s canonical content — a command dataclass or a mapping —
    without its `idempotency_key` and the top-level fields named in `exclude`."""
    content = _canonical(request)
    if isinstance(content, dict):
        for name in (KEY_FIELD, *exclude):
            content.pop(name, None)
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def check_replay(stored: str | None, current: str, *, key: str, what: str = "request",
                 field: str = KEY_FIELD) -> None:
    """Refuse a replay of `key` whose request differs from the one that took it first:
    ALREADY_EXISTS naming `field`. A missing stored fingerprint (older rows) replays."""
    if stored and stored != current:
        raise AlreadyExists(
            f"idempotency key {key!r} was already used for a different {what}; "
            "resend the same request or use a new key",
            field=field, reason="was already used with a different request")
