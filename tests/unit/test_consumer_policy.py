"""govkit.consumers' failure policy without a broker: what is transient, what is malformed, the
backoff. The broker side is tests/worker/test_consumers.py and tests/integration/test_dead_letters.py."""

from __future__ import annotations

import pytest
import redis
import sqlalchemy as sa

from govkit.consumers import MalformedEvent, RetryPolicy, classify, parse


def test_transient_errors_are_the_database_redis_and_broker_being_unreachable():
    import kombu.exceptions

    assert classify(sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))) == "transient"
    assert classify(redis.exceptions.ConnectionError("refused")) == "transient"
    assert classify(redis.exceptions.TimeoutError("slow")) == "transient"
    assert classify(kombu.exceptions.OperationalError("broker gone")) == "transient"
    try:
        try:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("gone"))
        except sa.exc.OperationalError as exc:
            raise RuntimeError("wrapped by a repository") from exc
    except RuntimeError as wrapped:
        assert classify(wrapped) == "transient"
    assert classify(KeyError("amount")) == "error"
    assert classify(MalformedEvent("missing id")) == "malformed"


@pytest.mark.parametrize("payload", [[1, 2], "text", None, {"id": "x"}])
def test_what_is_not_an_envelope_is_malformed(payload):
    with pytest.raises(MalformedEvent):
        parse(payload)


def test_backoff_doubles_up_to_the_cap(monkeypatch):
    monkeypatch.setenv("GOVOPS_CONSUMER_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("GOVOPS_CONSUMER_RETRY_DELAY_SECONDS", "1.5")
    monkeypatch.setenv("GOVOPS_CONSUMER_RETRY_MAX_DELAY_SECONDS", "5")
    policy = RetryPolicy.from_env()
    assert policy.max_attempts == 3
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [1.5, 3.0, 5.0, 5.0]
