"""Unit level: `govops dev banner` points a newcomer at the web portal and the demo requesters."""

from __future__ import annotations

from typer.testing import CliRunner


def test_the_banner_prints_the_portal_url_and_the_demo_requesters(tmp_path, monkeypatch):
    from govkit import cli
    from govkit import config as govconfig

    (tmp_path / ".govops").mkdir()
    (tmp_path / ".govops" / "demo-credentials.txt").write_text(
        "admin\tpw-admin\t系统管理员\tsystem_admin\n"
        "zhulin\tpw-zhulin\t朱琳\trequester\n"
        "huanghy\tpw-huang\t黄海燕\tdept_om_officer\n", encoding="utf-8")
    monkeypatch.setattr(govconfig, "source_checkout", lambda: tmp_path)
    monkeypatch.setenv("GOVOPS_PORTAL_PORT", "18080")
    result = CliRunner().invoke(cli.app, ["dev", "banner"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:18080/" in result.output
    assert "zhulin / pw-zhulin (朱琳)" in result.output
    assert "pw-admin" not in result.output and "huanghy" not in result.output


def test_the_portal_url_follows_its_settings(monkeypatch):
    from govkit import config

    monkeypatch.setenv("GOVOPS_PORTAL_HOST", "0.0.0.0")
    monkeypatch.setenv("GOVOPS_PORTAL_PORT", "9999")
    assert config.portal_url() == "http://127.0.0.1:9999/"
    monkeypatch.delenv("GOVOPS_PORTAL_PORT")
    assert config.portal_url() == f"http://127.0.0.1:{config.DEFAULT_PORTAL_PORT}/"
