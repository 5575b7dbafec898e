"""The Alertmanager webhook's settings (ticket/webhook.py) and govkit.config.secret: what an
operator's environment turns into, and the refusals that name the variable to fix."""

from __future__ import annotations

import pytest

from govkit.config import ConfigError, secret
from ticket import webhook


def test_secret_reads_the_file_and_drops_the_trailing_newline(tmp_path):
    f = tmp_path / "token"
    f.write_text("s3cret\n")
    assert secret("X", {"X_FILE": str(f)}) == "s3cret"
    assert secret("X", {"X": "inline"}) == "inline"
    assert secret("X", {}) is None


@pytest.mark.parametrize("env,variable", [
    ({"X": "a", "X_FILE": "/etc/hosts"}, "X_FILE"),
    ({"X_FILE": "/nonexistent/token"}, "X_FILE=/nonexistent/token"),
    ({"X_FILE": "EMPTY"}, "is empty"),
])
def test_secret_refuses_an_unusable_setting(tmp_path, env, variable):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    env = {k: str(empty) if v == "EMPTY" else v for k, v in env.items()}
    with pytest.raises(ConfigError, match=variable):
        secret("X", env)


def test_webhook_settings_from_the_environment(tmp_path):
    password = tmp_path / "password"
    password.write_text("pw\n")
    s = webhook.load({"GOVOPS_TICKET_ALERT_USERNAME": "am", "GOVOPS_TICKET_ALERT_PASSWORD_FILE": str(password),
                      "GOVOPS_TICKET_ALERT_MAX_BYTES": "4096",
                      "GOVOPS_TICKET_ALERT_UNIT_LABELS": " team , department,,"})
    assert (s.token, s.username, s.password, s.max_bytes) == (None, "am", "pw", 4096)
    assert s.unit_labels == ("team", "department") and s.authenticated
    default = webhook.load({})
    assert not default.authenticated and default.max_bytes == 1024 * 1024
    assert default.unit_labels == ("org_unit_id", "department")
    assert webhook.bind_host("0.0.0.0", default) == "127.0.0.1"
    assert webhook.bind_host("0.0.0.0", s) == "0.0.0.0"


@pytest.mark.parametrize("env,variable", [
    ({"GOVOPS_TICKET_ALERT_USERNAME": "am"}, "GOVOPS_TICKET_ALERT_PASSWORD"),
    ({"GOVOPS_TICKET_ALERT_PASSWORD": "pw"}, "GOVOPS_TICKET_ALERT_USERNAME"),
    ({"GOVOPS_TICKET_ALERT_MAX_BYTES": "1MB"}, "GOVOPS_TICKET_ALERT_MAX_BYTES"),
    ({"GOVOPS_TICKET_ALERT_TOKEN_FILE": "/nonexistent"}, "GOVOPS_TICKET_ALERT_TOKEN_FILE"),
])
def test_webhook_settings_refuse_half_a_configuration(env, variable):
    with pytest.raises(ConfigError, match=variable):
        webhook.load(env)


def test_nesting_is_measured_outside_strings_and_never_quadratic():
    assert not webhook._too_deep('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert webhook._too_deep("[" * 17 + "]" * 17) and not webhook._too_deep("[" * 16 + "]" * 16)
    assert not webhook._too_deep('"\\' * 100_000)  # unterminated strings full of escapes


def test_make_run_gives_the_webhook_a_token_that_dev_keys_writes(tmp_path, monkeypatch):
    """`make run` = `govops dev keys` (the token beside the signing keys) + the Procfile's
    ticket-worker pointing GOVOPS_TICKET_ALERT_TOKEN_FILE at it."""
    from typer.testing import CliRunner

    from govkit.cli import app
    from govkit.config import REPO_ROOT

    (line,) = [ln for ln in (REPO_ROOT / "Procfile").read_text().splitlines() if ln.startswith("ticket-worker:")]
    assert "GOVOPS_TICKET_ALERT_TOKEN_FILE=.govops/keys/alert_webhook_token " in line
    monkeypatch.setenv("GOVOPS_KEY_DIR", str(tmp_path))
    for name in ("GOVOPS_JWT_PRIVATE_KEY_FILE", "GOVOPS_JWT_PUBLIC_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["dev", "keys"])
    assert result.exit_code == 0, result.output
    token = tmp_path / "alert_webhook_token"
    assert len(token.read_text().strip()) >= 32 and token.stat().st_mode & 0o077 == 0
    assert CliRunner().invoke(app, ["dev", "keys"]).exit_code == 0
    assert secret("T", {"T_FILE": str(token)}) == token.read_text().strip()  # kept, not replaced
    first = token.read_text()
    CliRunner().invoke(app, ["dev", "keys"])
    assert token.read_text() == first
