"""Checks shared by the tests of paged list methods (issue 11, item 3): read a list a few items at
a time through the page tokens, and see a garbage token refused."""

from __future__ import annotations

import grpc
import pytest

from govkit.grpc_server import iter_bad_request


def read_paged(call, request, field: str, size: int, **kwargs) -> list:
    """Every item of a paged method read `size` at a time: each page holds at most `size` items, a
    page token continues where the previous page ended and only the last page has no token."""
    request = type(request).FromString(request.SerializeToString())
    items, token, pages = [], "", 0
    while True:
        request.page.page_size, request.page.page_token = size, token
        reply = call(request, timeout=10, **kwargs)
        got = list(getattr(reply, field))
        assert len(got) <= size
        items += got
        pages += 1
        token = reply.page.next_page_token
        if not token:
            assert pages == max(1, -(-len(items) // size)), (pages, len(items), size)
            return items
        assert len(got) == size


def assert_garbage_token_refused(call, request, **kwargs) -> None:
    """A page token the service did not issue is INVALID_ARGUMENT naming page.page_token."""
    request = type(request).FromString(request.SerializeToString())
    request.page.page_token = "not-a-token"
    with pytest.raises(grpc.RpcError) as err:
        call(request, timeout=10, **kwargs)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert "page.page_token" in [f for f, _ in iter_bad_request(err.value)]
