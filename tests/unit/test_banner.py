"""Unit level: `govops dev banner` points a newcomer at the web portal and the demo users of each window."""

from __future__ import annotations

from typer.testing import CliRunner


def test_the_banner_prints_the_portal_url_and_the_demo_users_of_each_window(tmp_path, monkeypatch):
    from govkit import cli
    from govkit import config as govconfig

    monkeypatch.setattr(govconfig, "source_checkout", lambda: tmp_path)
    monkeypatch.setenv("GOVOPS_DB_PREFIX", "govops_")  # the make run stack's file
    (tmp_path / ".govops").mkdir()
    govconfig.demo_credentials_file().write_text(
        "admin\tpw-admin\t系统管理员\tsystem_admin\n"
        "zhulin\tpw-old\t朱琳\trequester\n"  # from an earlier database: the later line wins
        "zhulin\tpw-zhulin\t朱琳\trequester\n"
        "huanghy\tpw-huang\t黄海燕\tdept_om_officer\n"
        "zhoujie\tpw-zhou\t周杰\tservice_desk_agent, group_lead\n"
        "wangjg\tpw-wang\t王建国\tom_centre_director\n", encoding="utf-8")
    # a stack the tests seeded (its own database prefix) keeps its own file, never shown here
    (tmp_path / ".govops" / "demo-credentials-govops_test_e2e.txt").write_text(
        "zhulin\tpw-test-stack\t朱琳\trequester\n", encoding="utf-8")
    monkeypatch.setenv("GOVOPS_PORTAL_PORT", "18080")
    result = CliRunner().invoke(cli.app, ["dev", "banner"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:18080/" in result.output
    assert "zhulin / pw-zhulin (朱琳)" in result.output
    # each window with the users who work in it, each user once; never the system administrator
    output = result.output
    assert output.index("服务请求窗口") < output.index("huanghy / pw-huang") < output.index("运行管理窗口")
    assert output.index("运行管理窗口") < output.index("zhoujie / pw-zhou") < output.index("综合管理")
    assert output.count("zhoujie") == 1 and "wangjg / pw-wang (王建国)" in output
    assert "pw-admin" not in output
    assert "pw-old" not in result.output and "pw-test-stack" not in result.output
    assert govconfig.demo_credentials_file().name == "demo-credentials.txt"
    monkeypatch.setenv("GOVOPS_DB_PREFIX", "govops_test_e2e_")
    assert govconfig.demo_credentials_file().name == "demo-credentials-govops_test_e2e.txt"


def test_the_portal_url_follows_its_settings(monkeypatch):
    from govkit import config

    monkeypatch.setenv("GOVOPS_PORTAL_HOST", "0.0.0.0")
    monkeypatch.setenv("GOVOPS_PORTAL_PORT", "9999")
    assert config.portal_url() == "http://127.0.0.1:9999/"
    monkeypatch.delenv("GOVOPS_PORTAL_PORT")
    assert config.portal_url() == f"http://127.0.0.1:{config.DEFAULT_PORTAL_PORT}/"
