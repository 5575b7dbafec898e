"""govkit.idempotency: the request fingerprint and the replay check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from govkit.errors import AlreadyExists
from govkit.idempotency import check_replay, fingerprint


@dataclass(frozen=True)
class Cmd:
    title: str
    amount: Decimal
    on: date
    form: dict = field(default_factory=dict)
    idempotency_key: str = ""


def test_the_key_itself_and_map_order_do_not_change_the_fingerprint():
    a = Cmd("打印机", Decimal("10.50"), date(2026, 1, 1), {"a": 1, "b": [1, 2]}, "k1")
    b = Cmd(" 打印机 ", Decimal("10.5"), date(2026, 1, 1), {"b": [1, 2], "a": 1}, "k2")
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("other", [
    Cmd("扫描仪", Decimal("10.50"), date(2026, 1, 1)),
    Cmd("打印机", Decimal("10.51"), date(2026, 1, 1)),
    Cmd("打印机", Decimal("10.50"), date(2026, 1, 2)),
    Cmd("打印机", Decimal("10.50"), date(2026, 1, 1), {"a": 1}),
    Cmd("打印机", Decimal("10.50"), date(2026, 1, 1), {"b": [2, 1]}),
])
def test_any_change_of_content_changes_it(other):
    assert fingerprint(Cmd("打印机", Decimal("10.50"), date(2026, 1, 1), {"b": [1, 2]})) != fingerprint(other)


def test_excluded_fields_do_not_count():
    assert fingerprint({"title": "x", "correlation_id": "1"}, exclude=["correlation_id"]) == \
        fingerprint({"title": "x", "correlation_id": "2"}, exclude=["correlation_id"])


def test_replay_check_refuses_another_request_naming_the_key():
    check_replay("abc", "abc", key="k")
    check_replay(None, "abc", key="k")  # a row from before fingerprints: replayed
    with pytest.raises(AlreadyExists) as err:
        check_replay("abc", "def", key="k", what="ticket")
    assert [v.field for v in err.value.violations] == ["idempotency_key"] and "ticket" in err.value.message
