"""The .proto files pass `buf lint` (the CLI pinned in package.json, installed by `make setup`).

buf.yaml as committed: STANDARD, minus its `lint.except` list.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / "node_modules" / ".bin" / "buf"


@pytest.fixture(scope="module")
def buf():
    if not BUF.exists():
        pytest.fail(f"{BUF.relative_to(ROOT)} is missing: run `npm ci` (make setup does)")
    return str(BUF)


def _lint(buf, *args) -> list[str]:
    result = subprocess.run([buf, "lint", "--error-format=json", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    if result.returncode not in (0, 100):  # 100: lint findings
        pytest.fail(f"buf lint failed to run ({result.returncode}): {result.stderr}")
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return [f"{f['path']}:{f['start_line']}: {f['message']} ({f['type']})" for f in findings]


def test_protos_pass_buf_lint_as_configured(buf):
    findings = _lint(buf)
    assert not findings, f"{len(findings)} buf lint findings:\n" + "\n".join(findings)
