"""The `govops` command line without servers: every command and option explains itself, the
output layer (`--output table|json`, untruncated when piped, times in the configured zone) and
choices refused with the user's own word."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.main import get_command
from typer.testing import CliRunner


def _walk(command, path=()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, name))


def test_every_command_and_option_has_help():
    from govkit.cli import app

    missing = []
    for path, command in _walk(get_command(app)):
        where = " ".join(("govops", *path))
        if not (command.help or command.short_help):
            missing.append(f"{where}: the command")
        for param in command.params:
            if param.name == "help":
                continue
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"{where}: {param.opts[0] if param.param_type_name == 'option' else param.name.upper()}")
    assert not missing, f"{len(missing)} without help text:\n" + "\n".join(missing)


def test_the_walker_sees_the_whole_tree():
    from govkit.cli import app

    paths = {" ".join(p) for p, _ in _walk(get_command(app))}
    assert {"ticket get", "org unit create", "budget assets list", "eval kpi watch",
            "outsource contract pay", "events dead-letters replay"} <= paths
    assert len(paths) > 95


def _listing():
    from govkit.cli_support import Listing

    rows = Listing("工单")
    rows.add_column("id")
    rows.add_column("number")
    rows.add_column("org unit")
    rows.add_column("due", key="resolution_due_at")
    rows.add_row("59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e", "INC-2026-000002", "fgw",
                 datetime(2026, 12, 2, 1, 30, tzinfo=UTC))
    rows.add_row("0c6d7d3c-2f43-4a52-a2c5-8e1b7b1f0a11", "INC-2026-000003", "市财政局", None)
    return rows


def test_json_lines_with_stable_keys_full_ids_and_local_times():
    import typer

    from govkit.cli_support import emit, output_options

    app = typer.Typer()
    app.callback()(output_options)

    @app.command("show")
    def show():
        """Show."""
        emit(_listing())

    result = CliRunner().invoke(app, ["--output", "json", "show"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"id": "59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e", "number": "INC-2026-000002", "org_unit": "fgw",
         "resolution_due_at": "2026-12-02T09:30:00+08:00"},
        {"id": "0c6d7d3c-2f43-4a52-a2c5-8e1b7b1f0a11", "number": "INC-2026-000003", "org_unit": "市财政局",
         "resolution_due_at": None},
    ]


def test_tables_are_not_truncated_when_piped_and_times_use_the_configured_zone(monkeypatch):
    import typer

    from govkit.cli_support import emit, output_options

    monkeypatch.setenv("GOVOPS_TIMEZONE", "Europe/Berlin")
    app = typer.Typer()
    app.callback()(output_options)

    @app.command("show")
    def show():
        """Show."""
        emit(_listing())

    result = CliRunner().invoke(app, ["show"])
    assert result.exit_code == 0, result.output
    assert "59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e" in result.stdout
    assert "0c6d7d3c-2f43-4a52-a2c5-8e1b7b1f0a11" in result.stdout
    assert "2026-12-02 02:30:00+01:00" in result.stdout
    assert "…" not in result.stdout


def test_a_proto_message_becomes_a_document_with_words_and_local_times():
    from google.protobuf.timestamp_pb2 import Timestamp

    from govkit.cli_support import proto_dict
    from govops.ticket.v1 import ticket_pb2 as pb

    created = Timestamp()
    created.FromDatetime(datetime(2026, 12, 2, 1, 30, tzinfo=UTC))
    doc = proto_dict(pb.Ticket(id="x", number="INC-2026-000002", priority=pb.PRIORITY_HIGH,
                               category=pb.CATEGORY_APPLICATION, created_at=created))
    assert doc["number"] == "INC-2026-000002" and doc["priority"] == "high" and doc["category"] == "application"
    assert doc["created_at"] == "2026-12-02T09:30:00+08:00"
    assert doc["resolution_due_at"] is None and doc["assignee"] == ""  # every field, so the keys are stable
    json.dumps(doc)


@pytest.mark.parametrize("argv, word", [
    (["ticket", "create", "--title", "t", "--org-unit", "fgw", "--category", "hardware"], "hardware"),
    (["ticket", "create", "--title", "t", "--org-unit", "fgw", "--priority", "urgent"], "urgent"),
    (["org", "unit", "create", "u1", "单位", "--kind", "bureau"], "bureau"),
    (["org", "export", "people", "x.csv"], "people"),
    (["outsource", "vendor", "status", "v1", "banned"], "banned"),
    (["outsource", "project", "procure", "p1", "lottery"], "lottery"),
    (["budget", "assets", "list", "--status", "broken"], "broken"),
    (["eval", "report", "p1", "--format", "docx"], "docx"),
    (["eval", "plan", "advance", "p1", "finished"], "finished"),
])
def test_an_unknown_choice_is_refused_with_the_users_word(argv, word, monkeypatch):
    from govkit.cli import app

    monkeypatch.setenv("GOVOPS_TOKEN", "not-used")
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert repr(word) in result.output and "99" not in result.output


@pytest.mark.parametrize("argv, word", [
    (["org", "import", "units", "units.docx"], ".docx"),
    (["budget", "assets", "export", "assets.pdf"], ".pdf"),
    (["eval", "report", "p1", "--format", "xlsx", "--out", "r.pdf"], ".pdf"),
])
def test_a_file_of_another_format_is_refused(argv, word, monkeypatch, tmp_path):
    from govkit.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "units.docx").write_bytes(b"x")
    monkeypatch.setenv("GOVOPS_TOKEN", "not-used")
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert word in result.output


def test_json_mode_keeps_stdout_for_json_and_sends_messages_to_stderr():
    import typer

    from govkit.cli_support import console, emit_record, output_options

    app = typer.Typer()
    app.callback()(output_options)

    @app.command("make")
    def make():
        """Make."""
        console.print("working…")
        emit_record({"id": "59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e", "at": datetime(2026, 12, 2, tzinfo=UTC)},
                     "made 59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e")

    as_json = CliRunner().invoke(app, ["-o", "json", "make"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == {"id": "59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e",
                                          "at": "2026-12-02T08:00:00+08:00"}
    assert "working…" in as_json.stderr and "working…" not in as_json.stdout
    as_table = CliRunner().invoke(app, ["make"])
    assert as_table.stdout.splitlines() == ["working…", "made 59a0686f-51a0-4c3e-9f0b-6f8f3c2a1d7e"]


def test_an_unknown_output_is_refused():
    from govkit.cli import app

    result = CliRunner().invoke(app, ["--output", "yaml", "ticket", "mine"])
    assert result.exit_code == 2 and "'yaml'" in result.output


@pytest.mark.parametrize("uploaded, local", [("初验报告.pdf", "初验报告.pdf"), ("../../etc/报告.pdf", "报告.pdf"),
                                             ("..", "ev-1"), (".", "ev-1"), ("dir/", "dir")])
def test_a_downloaded_evidence_file_lands_in_the_current_directory(uploaded, local):
    from outsource.cli import local_name

    assert local_name(uploaded, "ev-1") == local


@pytest.mark.parametrize("argv, method, expected", [
    (["eval", "audit", "--days", "2026-12-01..2026-12-03"], "ListAuditTrail",
     {"days": {"start": "2026-12-01", "end": "2026-12-03"}}),
    (["eval", "audit", "--days", "2026-12-02", "--limit", "0"], "ListAuditTrail",
     {"days": {"start": "2026-12-02", "end": "2026-12-02"}}),
    (["eval", "audit", "--days", "2026-12-01.."], "ListAuditTrail", {"days": {"start": "2026-12-01"}}),
    (["eval", "vendors", "--unit", "fgw", "--since", "2026-11-01"], "ListVendorResults",
     {"org_unit_id": "fgw", "period": {"start": "2026-11-01"}}),
    (["eval", "vendors", "--org-unit", "czj"], "ListVendorResults", {"org_unit_id": "czj"}),
])
def test_the_evaluation_lists_send_their_newer_filters(argv, method, expected, monkeypatch):
    """ListAuditTrailRequest.days and ListVendorResultsRequest.org_unit_id reach the service."""
    from google.protobuf.json_format import MessageToDict

    from evaluation import cli
    from govkit.cli import app

    sent = []

    def call(name, request, timeout=30):
        sent.append((name, request))
        return _empty_reply(name)

    monkeypatch.setattr(cli, "_call", call)
    monkeypatch.setattr(cli, "_all", lambda name, request, field, timeout=30: sent.append((name, request)) or [])
    monkeypatch.setenv("GOVOPS_TOKEN", "not-used")
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    [(name, request)] = sent
    got = MessageToDict(request, preserving_proto_field_name=True)
    assert name == method and {k: got.get(k) for k in expected} == expected


def _empty_reply(method):
    from govops.evaluation.v1 import evaluation_pb2 as pb

    return getattr(pb, f"{method}Response")()


def test_a_malformed_audit_day_range_is_refused_before_sending(monkeypatch):
    from evaluation import cli
    from govkit.cli import app

    monkeypatch.setattr(cli, "_call", lambda *a, **k: pytest.fail("sent"))
    monkeypatch.setenv("GOVOPS_TOKEN", "not-used")
    result = CliRunner().invoke(app, ["eval", "audit", "--days", "2026-12-01..2026-12-02..2026-12-03"])
    assert result.exit_code == 2 and "'2026-12-01..2026-12-02..2026-12-03'" in result.output
