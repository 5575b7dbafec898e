"""evaluation as real processes (govkit.stack, evaluation-worker + evaluation-grpc only): ticket
events published on the broker as the ticket service will; kill -9 of the worker mid-stream, a
Redis flush with `govops eval kpi rebuild`, and a full replay all end in the numbers of a clean run;
`govops eval kpi check` agrees; a plan and its report through the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from evaluation.domain import kpis
from govkit.client import all_pages, channel
from govkit.db import make_engine
from govkit.orgdir import OrgDirectory
from govkit.relay import ConfirmingPublisher
from govkit.stack import Stack
from govops.evaluation.v1 import evaluation_pb2 as pb
from govops.evaluation.v1 import evaluation_pb2_grpc
from tests.eval_events import mixed

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def stack(tmp_path_factory, namespace):
    s = Stack(f"govops_{namespace['ns']}_e2e_eval", tmp_path_factory.mktemp("evalstack"), services=("evaluation",),
              redis_db=namespace["e2e_redis_db"])
    s.prepare()
    s.process("evaluation", "grpc")
    s.start()
    # No org in this stack: its org directory gets the plan's units as org's events would leave them.
    engine = make_engine(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{s.name}_evaluation", pool_size=1)
    with engine.begin() as conn:
        for unit in ("om-centre", "e2e-a", "e2e-b"):  # om-centre: the CLI's default plan subject
            # O&M organisation units (a customer department is no org_unit object of a plan)
            OrgDirectory(conn).apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": None,
                                                          "kind": "om_centre"})
    engine.dispose()
    yield s
    s.stop()


def _publish(stack, envelopes):
    pub = ConfirmingPublisher(stack.env["GOVOPS_AMQP_URI"], "ticket.events")
    try:
        for i in range(0, len(envelopes), 200):
            pub.publish_batch([e.to_dict() for e in envelopes[i:i + 200]])
    finally:
        pub.close()


def _org_kpis(stack, token, units):
    with channel(stack.target("evaluation"), token) as ch:
        found = all_pages(evaluation_pb2_grpc.EvaluationServiceStub(ch).GetKpis, pb.GetKpisRequest(
            filter=pb.KpiFilter(level=pb.LEVEL_ORGANIZATION, org_unit_ids=units)), "kpis", timeout=10)
    return {(k.subject, k.name): round(k.value, 6) for k in found}


def _clean(events, units):
    led = kpis.Ledger()
    led.apply_all(events)
    return {(u, name): round(v, 6) for u in units
            for name, v in kpis.derive(led.raw(kpis.Level.ORGANIZATION, u, ["all"])).items()}


def _wait(predicate, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last is True:
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {last}")


def _cli(stack, *args):
    return subprocess.run([str(BIN / "govops"), *args], env=dict(stack.env, COLUMNS="200"),
                          capture_output=True, text=True, timeout=120)


def test_kill_flush_and_replay_end_in_the_clean_numbers(stack):
    token = stack.token()
    units = ["e2e-a", "e2e-b"]
    events = mixed(30, depts=tuple(units), seed=99)
    expected = _clean(events, units)
    worker = stack.process("evaluation", "worker")
    _publish(stack, events[: len(events) // 2])
    _wait(lambda: _org_kpis(stack, token, units).get(("e2e-a", "tickets_created"), 0) > 0 or "none yet",
          what="first events")
    worker.kill()  # kill -9 mid-stream
    _publish(stack, events[len(events) // 2:])
    worker.start()
    _wait(lambda: _org_kpis(stack, token, units) == expected or "differs", what="numbers of a clean run")

    # replay everything (a relay that re-publishes): nothing changes
    _publish(stack, events)
    time.sleep(1)  # nothing to wait for: the assertion is that nothing moves
    _wait(lambda: _org_kpis(stack, token, units) == expected or "differs", what="same after replay")

    checked = _cli(stack, "eval", "kpi", "check")
    assert checked.returncode == 0 and "match" in checked.stdout, checked.stdout + checked.stderr
    redis.Redis.from_url(stack.env["GOVOPS_REDIS_URL"]).flushdb()
    assert _org_kpis(stack, token, units) == {}
    rebuilt = _cli(stack, "eval", "kpi", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert _org_kpis(stack, token, units) == expected
    assert _cli(stack, "eval", "kpi", "check").returncode == 0


def test_a_plan_and_its_report_through_the_cli(stack, tmp_path):
    assert _cli(stack, "eval", "model", "create-default").returncode == 0
    created = _cli(stack, "eval", "plan", "create", "--name", "端到端评价", "--start", "2026-11-01",
                   "--end", "2026-11-30", "--org-unit", "e2e-a", "--org-unit", "e2e-b", "--idempotency-key", "e2e-plan")
    assert created.returncode == 0, created.stdout + created.stderr
    plan_id = created.stdout.split()[1]
    bad = _cli(stack, "eval", "plan", "advance", plan_id, "review")
    assert bad.returncode == 1 and "FAILED_PRECONDITION" in bad.stdout
    for step in ("data_collection", "self_assessment"):
        assert _cli(stack, "eval", "plan", "advance", plan_id, step).returncode == 0
    out = _cli(stack, "eval", "plan", "show", plan_id)
    assert "e2e-a" in out.stdout and "e2e-b" in out.stdout, out.stdout
    report = _cli(stack, "eval", "report", plan_id, "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"))
    assert report.returncode == 0 and (tmp_path / "r.xlsx").stat().st_size > 1000, report.stdout + report.stderr
