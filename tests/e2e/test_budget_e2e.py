"""Budget end to end: org and budget as real processes, driven through the CLI and gRPC.
A new org unit reaches budget's read model through org's event; the demo seed leaves an
approved budget that finance can export; a bad import is refused naming row and column."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from govkit.client import channel
from govkit.protoconv import as_money
from govkit.stack import Stack
from govops.budget.v1 import budget_pb2 as pb
from govops.budget.v1 import budget_pb2_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def budget_stack(tmp_path_factory, namespace):
    s = Stack(f"govops_{namespace['ns']}_e2ebudget", tmp_path_factory.mktemp("budget-stack"),
              services=("org", "ticket", "budget"), redis_db=namespace["e2e_redis_db"])
    s.prepare()
    for svc in s.services:
        s.process(svc, "grpc")
    s.start()
    yield s
    s.stop()


def _cli(stack, *args, ok=True):
    out = subprocess.run([str(BIN / "govops"), *args], env=dict(stack.env, COLUMNS="250"), capture_output=True,
                         text=True, timeout=120)
    if ok:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_org_event_feeds_budget_and_the_seeded_budget_exports(budget_stack, tmp_path):
    stack, token = budget_stack, budget_stack.token()
    with channel(stack.target("org"), token) as ch:
        org_pb2_grpc.OrgServiceStub(ch).CreateOrgUnit(opb.CreateOrgUnitRequest(
            id="e2e-dsj", name="市大数据局", parent_id="", kind=opb.ORG_UNIT_KIND_DEPARTMENT), timeout=10)
    budget = budget_pb2_grpc.BudgetServiceStub(channel(stack.target("budget"), token))
    fields = pb.AssetFields(code="E2E-1", name="政务云服务器", kind="server", org_unit_id="e2e-dsj",
                            original_value=as_money("88000.00"))
    deadline = time.monotonic() + 30
    while True:  # until budget-worker has consumed org_unit_created into its read model
        try:
            budget.RegisterAsset(pb.RegisterAssetRequest(fields=fields), timeout=10)
            break
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "unknown org unit" in err.details()
            assert time.monotonic() < deadline, "org_unit_created never reached budget's read model"
            time.sleep(0.1)

    seeded = _cli(stack, "dev", "seed", *stack.services)
    assert "demo budget" in seeded.stdout
    listed = _cli(stack, "budget", "list", "--year", "2027")
    assert "gov" in listed.stdout and "approved" in listed.stdout
    xlsx, pdf = tmp_path / "b.xlsx", tmp_path / "b.pdf"
    _cli(stack, "budget", "export", "gov", "--year", "2027", "--xlsx", str(xlsx), "--pdf", str(pdf))
    import openpyxl

    assert openpyxl.load_workbook(xlsx).sheetnames[0] == "汇总" and pdf.read_bytes().startswith(b"%PDF")
    # Spending goes against the current year's budget; a date after today is refused.
    future = _cli(stack, "budget", "expense", "add", "gov", "--year", "2026", "--category", "hardware_om",
                  "--amount", "100.00", "--date", "2099-01-01", ok=False)
    assert future.returncode == 1 and "spent_on" in future.stdout
    spent = _cli(stack, "budget", "expense", "add", "gov", "--year", "2026", "--category", "hardware_om",
                 "--amount", "12500.00", "--date", "2026-03-01", "--key", "e2e-1")
    assert "recorded expense" in spent.stdout
    shown = _cli(stack, "budget", "execution", "gov", "--year", "2026")
    assert "12500.00" in shown.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("资产编号,名称,类别,所属部门,原值\nB-1,交换机,network_core,fgw,负五\n", encoding="utf-8")
    refused = _cli(stack, "budget", "assets", "import", str(bad), ok=False)
    assert refused.returncode == 1 and "INVALID_ARGUMENT" in refused.stdout
    assert "rows[2].original_value" in refused.stdout
