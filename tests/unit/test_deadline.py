"""govkit.deadline: what counts as a deadline (no servers)."""

from __future__ import annotations

import pytest

from govkit import deadline
from govkit.errors import DeadlineExceeded


@pytest.mark.parametrize("seconds", [None, 2 ** 63 / 1e9, 2 * 24 * 3600.0])
def test_no_deadline_or_grpcio_infinite_one_sets_none(seconds):
    token = deadline.set_remaining(seconds)
    try:
        assert deadline.remaining() is None and not deadline.expired()
        deadline.check()
    finally:
        deadline.reset(token)


def test_a_passed_deadline_is_expired_and_check_refuses():
    token = deadline.set_remaining(0.0)
    try:
        assert deadline.remaining() == 0.0 and deadline.expired()
        with pytest.raises(DeadlineExceeded):
            deadline.check()
    finally:
        deadline.reset(token)


def test_time_left_counts_down_from_the_client_deadline():
    token = deadline.set_remaining(30.0)
    try:
        left = deadline.remaining()
        assert left is not None and 29.0 < left <= 30.0 and not deadline.expired()
    finally:
        deadline.reset(token)
    assert deadline.remaining() is None
