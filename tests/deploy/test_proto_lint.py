"""The .proto files pass `buf lint` (the CLI pinned in package.json, installed by `make setup`).

Two checks: buf.yaml as committed (STANDARD + COMMENTS, minus its `lint.except` list), and the
COMMENTS rules on their own with a config given on the command line, so an integrator's
documentation cannot be switched off by editing buf.yaml.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / "node_modules" / ".bin" / "buf"
COMMENT_RULES = {"COMMENT_SERVICE", "COMMENT_RPC", "COMMENT_MESSAGE", "COMMENT_FIELD", "COMMENT_ONEOF",
                 "COMMENT_ENUM", "COMMENT_ENUM_VALUE"}


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


def test_every_service_rpc_message_field_and_enum_has_a_leading_comment(buf):
    config = {"version": "v2", "modules": [{"path": "proto"}], "lint": {"use": ["COMMENTS"]}}
    findings = _lint(buf, "--config", json.dumps(config))
    assert not findings, f"{len(findings)} undocumented elements:\n" + "\n".join(findings)


def test_buf_yaml_keeps_the_comment_rules():
    lint = yaml.safe_load((ROOT / "buf.yaml").read_text())["lint"]
    assert "COMMENTS" in lint["use"] or set(lint["use"]) >= COMMENT_RULES
    assert not COMMENT_RULES & set(lint.get("except", []))
