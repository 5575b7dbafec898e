"""govkit.protoconv and the shared messages of govops.common.v1: what a servicer gets from Money,
PageRequest and DateRange, and which field a bad value is blamed on. No servers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from govkit.errors import InvalidArgument, Validator
from govkit.protoconv import (
    as_money,
    choice,
    date_range,
    money,
    money_text,
    page,
    page_response,
    to_date_range,
    to_decimal,
)
from govops.common.v1.common_pb2 import DateRange, Money, PageRequest


def _fields(exc: InvalidArgument) -> dict[str, str]:
    return {v.field: v.reason for v in exc.violations}


def test_money_out_always_carries_two_places_and_cny():
    assert money(Decimal("1234.5")) == Money(amount="1234.50", currency="CNY")
    assert money("-3") == Money(amount="-3.00", currency="CNY")  # a difference may be negative
    assert money(None) is None


def test_money_in_refuses_another_currency_by_field_and_keeps_the_text_for_the_domain():
    assert money_text(Money(amount=" 12.345 "), "amount") == "12.345"  # the domain judges the places
    assert money_text(Money(), "amount") == ""
    with pytest.raises(InvalidArgument) as err:
        money_text(Money(amount="1", currency="USD"), "milestones[0].amount")
    assert "CNY" in _fields(err.value)["milestones[0].amount.currency"]


def test_to_decimal_validates_amounts_and_names_the_field():
    assert to_decimal(as_money("12.30"), "amount") == Decimal("12.30")
    assert to_decimal(Money(), "amount", required=False) is None
    for bad, reason in (("", "required"), ("x", "decimal"), ("1.005", "two decimal"), ("NaN", "finite")):
        with pytest.raises(InvalidArgument) as err:
            to_decimal(Money(amount=bad), "amount")
        assert reason in _fields(err.value)["amount"], bad
    v = Validator()
    assert to_decimal(Money(amount="x"), "a", v=v) is None and to_decimal(Money(amount="1.001"), "b", v=v) is None
    assert [x.field for x in v.violations] == ["a", "b"]  # collected, not raised


def test_page_request_and_response():
    assert page(PageRequest(page_size=5, page_token="t")) == (5, "t")
    assert page(None) == (0, "")
    assert not page_response("").HasField("total_size")
    assert page_response("n", total_size=0).total_size == 0 and page_response("n").next_page_token == "n"


def test_date_range_reports_every_bad_end_and_an_inverted_range():
    assert date_range(DateRange(start="2026-11-01", end="2026-11-30"), "period") == (date(2026, 11, 1),
                                                                                     date(2026, 11, 30))
    assert date_range(DateRange(start="2026-11-01"), "period") == (date(2026, 11, 1), None)
    with pytest.raises(InvalidArgument) as err:
        date_range(DateRange(start="2026-13-01"), "period", end_required=True)
    assert set(_fields(err.value)) == {"period.start", "period.end"}
    with pytest.raises(InvalidArgument) as err:
        date_range(DateRange(start="2026-11-30", end="2026-11-01"), "period")
    assert "before start" in _fields(err.value)["period.end"]
    assert to_date_range(date(2026, 1, 1), None) == DateRange(start="2026-01-01", end="")


def test_choice_refuses_unset_unless_a_default_is_documented():
    table = {1: "start", 2: "pend"}
    assert choice(table, 2, "action") == "pend"
    assert choice(table, 0, "view", default="my_queue") == "my_queue"
    with pytest.raises(InvalidArgument) as err:
        choice(table, 0, "action")
    assert _fields(err.value) == {"action": "is required"}
    with pytest.raises(InvalidArgument) as err:
        choice(table, 9, "action", default="x")
    assert "unknown value 9" in _fields(err.value)["action"]


def test_page_tokens_round_trip_and_refuse_anything_else():
    from govkit.protoconv import decode_page_token, encode_page_token, page_offset

    assert decode_page_token("", page_offset) is None
    assert decode_page_token(encode_page_token(40), page_offset) == 40
    for bad in ("garbage", "!!!!", encode_page_token(-1), encode_page_token("40"), encode_page_token(True),
                encode_page_token([1, 2]), encode_page_token(2**63)):
        with pytest.raises(InvalidArgument) as err:
            decode_page_token(bad, page_offset)
        assert [v.field for v in err.value.violations] == ["page.page_token"]


def test_all_pages_follows_next_page_token_to_the_last_page_and_leaves_the_request_alone():
    from govkit.client import all_pages
    from govops.evaluation.v1 import evaluation_pb2 as pb

    kpis = [pb.Kpi(subject=f"s{i}") for i in range(7)]
    seen_tokens = []

    def call(request, timeout):
        seen_tokens.append(request.page.page_token)
        start = int(request.page.page_token or 0)
        end = start + request.page.page_size
        reply = pb.GetKpisResponse(kpis=kpis[start:end])
        reply.page.next_page_token = str(end) if end < len(kpis) else ""
        return reply

    request = pb.GetKpisRequest(filter=pb.KpiFilter(names=["tickets_created"]))
    request.page.page_size = 3
    got = all_pages(call, request, "kpis", timeout=1)
    assert [k.subject for k in got] == [f"s{i}" for i in range(7)]
    assert seen_tokens == ["", "3", "6"]
    assert request.page.page_token == ""


def test_offset_page_pages_a_whole_list_and_refuses_bad_sizes_and_tokens():
    from govkit.errors import InvalidArgument
    from govkit.protoconv import offset_page
    from govops.common.v1.common_pb2 import PageRequest

    items = list(range(7))
    first, paging = offset_page(items, PageRequest(page_size=3))
    assert first == [0, 1, 2] and paging.total_size == 7 and paging.next_page_token
    second, paging = offset_page(items, PageRequest(page_size=3, page_token=paging.next_page_token))
    last, paging = offset_page(items, PageRequest(page_size=3, page_token=paging.next_page_token))
    assert (second, last, paging.next_page_token) == ([3, 4, 5], [6], "")
    assert offset_page(items, None, default_size=5)[0] == [0, 1, 2, 3, 4]
    assert offset_page(items, PageRequest(page_size=10**6), max_size=2)[0] == [0, 1]
    for bad, field in ((PageRequest(page_size=-1), "page.page_size"), (PageRequest(page_token="x"), "page.page_token")):
        with pytest.raises(InvalidArgument) as err:
            offset_page(items, bad)
        assert [v.field for v in err.value.violations] == [field]


def test_offset_window_checks_a_page_before_any_work():
    from govkit.errors import InvalidArgument
    from govkit.protoconv import encode_page_token, offset_window
    from govops.common.v1.common_pb2 import PageRequest

    assert offset_window(None) == (0, 100)
    assert offset_window(PageRequest(page_size=5, page_token=encode_page_token(10)), max_size=3) == (10, 3)
    for bad, field in ((PageRequest(page_size=-2), "page.page_size"),
                       (PageRequest(page_token=encode_page_token("a")), "page.page_token")):
        with pytest.raises(InvalidArgument) as err:
            offset_window(bad)
        assert [v.field for v in err.value.violations] == [field]
