"""The .proto files make no breaking change against the committed image of the API.

`buf breaking` (the CLI pinned in package.json) with the FILE rules of buf.yaml compares proto/
with proto/api-image.binpb: a renamed, renumbered, retyped or removed field, enum value, message,
method or service fails here. Added API passes. A deliberate break (before a release, or a v2)
renews the image with `make proto-image` in the same commit, which says why.
"""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / "node_modules" / ".bin" / "buf"
IMAGE = ROOT / "proto" / "api-image.binpb"

RENEW = ("If this break is deliberate, renew the image with `make proto-image` and commit "
         "proto/api-image.binpb with the change, saying in the commit message why the API breaks; "
         "otherwise keep the old field (add new ones, `reserved` what you remove).")


def _breaking(*args: str, cwd: Path = ROOT) -> tuple[int, list[str], str]:
    if not BUF.exists():
        pytest.fail(f"{BUF.relative_to(ROOT)} is missing: run `npm ci` (make setup does)")
    result = subprocess.run([str(BUF), "breaking", "--error-format=json", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return (result.returncode,
            [f"{f['path']}:{f.get('start_line', '?')}: {f['message']} ({f['type']})" for f in findings],
            result.stderr)


def test_protos_make_no_breaking_change_against_the_committed_image():
    assert IMAGE.exists(), f"{IMAGE.relative_to(ROOT)} is missing: `make proto-image` writes it"
    code, findings, stderr = _breaking("proto", "--against", str(IMAGE))
    if code not in (0, 100):  # 100: breaking changes found
        pytest.fail(f"buf breaking failed to run ({code}): {stderr}")
    assert not findings, (f"{len(findings)} breaking changes against {IMAGE.relative_to(ROOT)}:\n"
                          + "\n".join(findings) + "\n" + RENEW)


def test_a_renamed_field_is_caught(tmp_path):
    """The check itself works: a copy of proto/ with one field renamed fails against the image."""
    copy = tmp_path / "proto"
    for src in (ROOT / "proto").rglob("*.proto"):
        dst = copy / src.relative_to(ROOT / "proto")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    common = copy / "govops" / "common" / "v1" / "common.proto"
    text = common.read_text(encoding="utf-8")
    assert "string currency = 2;" in text
    common.write_text(text.replace("string currency = 2;", "string currency_code = 2;"), encoding="utf-8")
    (tmp_path / "buf.yaml").write_text((ROOT / "buf.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, findings, stderr = _breaking("proto", "--against", str(IMAGE), cwd=tmp_path)
    assert code == 100, stderr
    assert any("currency" in f and "FIELD_SAME_NAME" in f for f in findings), findings
