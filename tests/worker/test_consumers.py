"""Every nameko event consumer fails the same way (govkit.consumers.EventConsumer.failed): a
handler that raises is retried through the queue's retry queue with backoff, and dead-lettered
(`<queue>.dead`, with the last error) when malformed or out of attempts — never lost, never
redelivered forever. Replaying a dead letter applies it once.

The services run in real containers on a real broker and PostgreSQL; the only thing the test
changes is the unit of work, whose inbox check fails (as when the database goes away in the
middle of a delivery)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher

from govkit.events import Envelope
from govkit.nameko_ext import UnitOfWork
from tests.catchup import wait_until
from tests.outsource_samples import synthetic_month


class _Faults:
    left = 0
    calls = 0
    error: type[Exception] = RuntimeError


def _injected() -> Exception:
    if issubclass(_Faults.error, sa.exc.OperationalError):
        return sa.exc.OperationalError("SELECT 1", {}, Exception("injected: server closed the connection"))
    return _Faults.error("injected: the database went away during delivery")


def _flaky(worker_cls, uow_cls):
    """The service with a unit of work whose inbox check raises `_Faults.left` times."""

    class FlakyUnitOfWork(uow_cls):
        def seen(self, consumer, event_id):
            _Faults.calls += 1
            if _Faults.left > 0:
                _Faults.left -= 1
                raise _injected()
            return super().seen(consumer, event_id)

    return type(worker_cls.__name__, (worker_cls,), {"uow": UnitOfWork(FlakyUnitOfWork)})


def _budget_payment(engine_for):
    from budget.adapters.uow import BudgetUnitOfWork
    from budget.worker import Service

    engine = engine_for("budget")
    event = Envelope(id="pay-1", source="outsource", type="govops.outsource.payment_recorded.v1",
                     time="2027-05-01T02:00:00+00:00", subject="P-1", org_unit_id="fgw", correlationid="corr-pay",
                     data={"payment_id": "P-1", "contract_id": "HT-1", "project_id": "pr-1", "vendor_id": "v-1",
                           "org_unit_id": "fgw", "milestone_id": "m-1", "fee_category": "hardware_om",
                           "budget_year": 2027, "budget_line_ref": None, "amount": "800.00",
                           "paid_on": "2027-05-01"}).to_dict()
    applied = "SELECT count(*) FROM expenses WHERE external_id = 'outsource:P-1'"
    return _flaky(Service, BudgetUnitOfWork), engine, ("outsource", "payment_recorded", event), applied


def _outsource_ticket_fact(engine_for):
    from outsource.adapters.uow import OutsourceUnitOfWork
    from outsource.worker import Service

    engine = engine_for("outsource")
    event = synthetic_month()[0]
    applied = f"SELECT count(*) FROM ticket_facts WHERE ticket_id = '{event['data']['ticket_id']}'"
    return _flaky(Service, OutsourceUnitOfWork), engine, ("ticket", "ticket_created", event), applied


def _budget_org_replica(engine_for):
    from budget.adapters.uow import BudgetUnitOfWork
    from budget.worker import Service

    engine = engine_for("budget")
    event = Envelope(id="org-1", source="org", type="govops.org.org_unit_created.v1",
                     time="2026-11-25T08:00:00+00:00", subject="wjw", org_unit_id="wjw", correlationid="corr-org",
                     data={"org_unit_id": "wjw", "name": "市卫健委", "parent_id": "gov",
                           "kind": "department"}).to_dict()
    applied = "SELECT count(*) FROM orgdir_units WHERE id = 'wjw' AND parent_id = 'gov'"
    return _flaky(Service, BudgetUnitOfWork), engine, ("org", "org_unit_created", event), applied


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("GOVOPS_CONSUMER_RETRY_DELAY_SECONDS", "0.05")
    monkeypatch.setenv("GOVOPS_CONSUMER_MAX_ATTEMPTS", "4")
    _Faults.left, _Faults.calls, _Faults.error = 0, 0, RuntimeError


@pytest.mark.parametrize("case", [_budget_payment, _outsource_ticket_fact, _budget_org_replica],
                         ids=["budget.on_payment_recorded", "outsource.on_ticket_created",
                              "budget.on_org_unit_created (org directory)"])
def test_an_event_whose_handler_raises_is_redelivered_and_applied_once(case, container_factory, config,
                                                                      engine_for):
    worker_cls, engine, (source, name, event), applied = case(engine_for)
    container = container_factory(worker_cls, config)
    container.start()
    _Faults.left = 1
    event_dispatcher(config)(source, name, event)

    def count():
        with engine.connect() as c:
            return c.execute(sa.text(applied)).scalar()

    wait_until(lambda: count() == 1, "the event retried after its handler failed",
               timeout=15.0, interval=0.05)
    assert _Faults.left == 0
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": event["id"]}).scalar() == 1


# ---- retries and dead letters (budget.on_payment_recorded) -----------------------------------
QUEUE = "evt-outsource-payment_recorded--budget.on_payment_recorded"


def _dead(config):
    from govkit import deadletter

    with deadletter.connect(config["AMQP_URI"]) as conn:
        return deadletter.list_dead(conn, [QUEUE])


def _replay(config, **kw):
    from govkit import deadletter

    with deadletter.connect(config["AMQP_URI"]) as conn:
        return deadletter.replay(conn, [QUEUE], **kw)


def _dead_headers(config) -> list[dict]:
    from kombu import Connection

    from govkit import deadletter

    with Connection(config["AMQP_URI"]) as conn:
        ch = conn.channel()
        got = []
        while (raw := ch.basic_get(deadletter.dead_queue(QUEUE), no_ack=False)) is not None:
            got.append(dict(ch.message_to_python(raw).headers))
        ch.close()
    return got


def _metric(name, **labels):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def _payments(engine):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM expenses WHERE external_id = 'outsource:P-1'")).scalar()


def _start_budget(container_factory, config, engine_for):
    worker_cls, engine, (source, name, event), _ = _budget_payment(engine_for)
    container = container_factory(worker_cls, config)
    container.start()
    return engine, lambda body=event: event_dispatcher(config)(source, name, body), event


def test_a_malformed_event_is_dead_lettered_after_one_attempt(container_factory, config, engine_for):
    engine, dispatch, _ = _start_budget(container_factory, config, engine_for)
    before = _metric("govops_consumer_dead_lettered_total", consumer="budget.outsource_payments", queue=QUEUE,
                     error_class="malformed")
    dispatch({"id": "poison-1", "type": "govops.outsource.payment_recorded.v1", "correlationid": "corr-poison"})
    wait_until(lambda: len(_dead(config)) == 1, "the malformed event in the dead-letter queue",
               timeout=15.0, interval=0.05)
    [letter] = _dead(config)
    assert (letter.event_id, letter.correlation_id, letter.attempts) == ("poison-1", "corr-poison", 1)
    assert letter.error_class == "malformed" and "MalformedEvent" in letter.last_error
    assert _Faults.calls == 0  # never reached the unit of work, and not retried
    assert _metric("govops_consumer_dead_lettered_total", consumer="budget.outsource_payments", queue=QUEUE,
                   error_class="malformed") == before + 1


def test_a_transient_failure_is_retried_with_backoff_and_applied_once(container_factory, config, engine_for):
    engine, dispatch, _ = _start_budget(container_factory, config, engine_for)
    _Faults.error, _Faults.left = sa.exc.OperationalError, 3  # k = 3 < N = 4
    dispatch()
    wait_until(lambda: _payments(engine) == 1, "the payment recorded once", timeout=15.0, interval=0.05)
    time.sleep(0.5)
    assert _payments(engine) == 1 and _Faults.left == 0 and _Faults.calls == 4
    assert _dead(config) == []
    assert _metric("govops_consumer_retries_total", consumer="budget.outsource_payments", error_class="transient") >= 3


def test_a_handler_that_keeps_failing_is_dead_lettered_after_n_attempts_then_replayed_once(
        container_factory, config, engine_for):
    engine, dispatch, event = _start_budget(container_factory, config, engine_for)
    _Faults.left = 10_000
    dispatch()
    wait_until(lambda: len(_dead(config)) == 1, "the failing event dead-lettered", timeout=15.0, interval=0.05)
    time.sleep(0.5)
    assert _Faults.calls == 4, "attempted more or less than GOVOPS_CONSUMER_MAX_ATTEMPTS times"
    [letter] = _dead(config)
    assert (letter.event_id, letter.correlation_id, letter.attempts) == ("pay-1", "corr-pay", 4)
    assert letter.last_error == "RuntimeError: injected: the database went away during delivery"
    [headers] = _dead_headers(config)
    assert headers["x-last-error"] == letter.last_error and headers["x-consumer"] == "budget.outsource_payments"
    assert _payments(engine) == 0

    _Faults.left = 0  # "the fix is deployed"
    assert [d.event_id for d in _replay(config, event_id="pay-1")] == ["pay-1"]
    wait_until(lambda: _payments(engine) == 1, "the payment recorded once", timeout=15.0, interval=0.05)
    assert _replay(config) == []  # a second replay finds nothing to replay
    assert _dead(config) == []
    # The same event delivered again (a copy left by a crash mid-replay) is skipped by the inbox.
    dispatch(event)
    time.sleep(0.5)
    assert _payments(engine) == 1
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id = 'pay-1'")).scalar() == 1


@pytest.mark.parametrize("body, content_type", [
    (b"\xff\xfe not JSON at all", "application/json"),
    (b"{\"id\": \"half", "application/json"),
    (b"\x80\x04\x95 pickled?", "application/x-python-serialize"),
    (b"plain words", "text/plain"),
], ids=["not-utf8", "truncated-json", "pickle-content-type", "text-content-type"])
def test_a_body_that_cannot_be_decoded_is_dead_lettered_and_the_consumer_keeps_going(
        body, content_type, container_factory, config, engine_for):
    import pika

    engine, dispatch, _ = _start_budget(container_factory, config, engine_for)
    conn = pika.BlockingConnection(pika.URLParameters(config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)))
    try:
        conn.channel().basic_publish("outsource.events", "payment_recorded", body, pika.BasicProperties(
            content_type=content_type, content_encoding="utf-8", delivery_mode=2, headers={"origin": "pika"}))
    finally:
        conn.close()
    wait_until(lambda: len(_dead(config)) == 1, "the undecodable message in the dead-letter queue",
               timeout=15.0, interval=0.05)
    [letter] = _dead(config)
    assert (letter.event_id, letter.attempts, letter.error_class) == (None, 1, "malformed")
    assert "undecodable body" in letter.last_error
    [headers] = _dead_headers(config)
    assert headers["origin"] == "pika" and headers["x-consumer"] == "budget.outsource_payments"
    dispatch()  # the worker is alive and still consuming
    wait_until(lambda: _payments(engine) == 1, "the payment recorded once", timeout=15.0, interval=0.05)
    assert _Faults.calls == 1
