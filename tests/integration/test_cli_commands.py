"""`govops` against a real ticket server and PostgreSQL, as an operator and a script use it:
JSON output, human ticket numbers wherever an id is taken, choices refused in the user's words."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from govkit.client import channel
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc
from tests.org_units import seed_test_units


@pytest.fixture
def ticket_env(grpc_server, engine_for, admin_token, monkeypatch):
    seed_test_units(engine_for("ticket"))  # empty tables, the test government in the org directory
    target = grpc_server("ticket")["ticket"]
    monkeypatch.setenv("GOVOPS_TICKET_GRPC_TARGET", target)
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    return target


def _run(*argv):
    from govkit.cli import app

    result = CliRunner().invoke(app, list(argv))
    assert result.exit_code == 0, result.output
    return result


def _json(*argv) -> list:
    """The JSON lines a command wrote (the in-process server's log lines share the captured stdout)."""
    return [json.loads(line) for line in _run("--output", "json", *argv).stdout.splitlines() if line.startswith("{")]


def test_create_then_get_by_number_as_json(ticket_env):
    [created] = _json("ticket", "create", "--title", "打印机无法连接", "--org-unit", "fgw", "--priority", "high")
    assert created["number"].startswith("INC-") and len(created["id"]) == 36
    assert created["priority"] == "high" and created["created_at"].endswith("+08:00")
    [by_number] = _json("ticket", "get", created["number"])
    assert by_number["id"] == created["id"] and by_number["title"] == "打印机无法连接"
    [by_id] = _json("ticket", "get", created["id"])
    assert by_id == by_number


def test_a_number_is_accepted_wherever_a_ticket_id_is(ticket_env, admin_token):
    stub = pb_grpc.TicketServiceStub(channel(ticket_env, admin_token))
    t = stub.CreateTicket(pb.CreateTicketRequest(title="网络中断", org_unit_id="fgw",
                                                 category=pb.CATEGORY_INFRASTRUCTURE,
                                                 priority=pb.PRIORITY_MEDIUM), timeout=5).ticket
    assert stub.GetTicket(pb.GetTicketRequest(id=t.number.lower()), timeout=5).ticket.id == t.id
    stub.AddComment(pb.AddCommentRequest(ticket_id=t.number, body="已到现场"), timeout=5)
    detail = stub.GetTicketDetail(pb.GetTicketDetailRequest(id=t.number), timeout=5)
    assert detail.ticket.id == t.id and [c.body for c in detail.comments] == ["已到现场"]


def test_lists_are_json_lines_with_the_number_and_the_full_id(ticket_env):
    for title in ("打印机无法连接", "网络中断"):
        _run("ticket", "create", "--title", title, "--org-unit", "fgw")
    rows = _json("ticket", "mine")
    assert sorted(r["title"] for r in rows) == ["打印机无法连接", "网络中断"]
    assert all(r["number"].startswith("INC-") and len(r["id"]) == 36 for r in rows)
    table = _run("ticket", "mine").stdout  # piped: nothing cut short
    assert all(r["id"] in table and r["number"] in table for r in rows)


def test_an_unknown_category_is_named_and_nothing_is_sent(ticket_env):
    from govkit.cli import app

    result = CliRunner().invoke(app, ["ticket", "create", "--title", "t", "--org-unit", "fgw",
                                      "--category", "hardware"])
    assert result.exit_code == 2 and "'hardware'" in result.output and "99" not in result.output
    assert _json("ticket", "mine") == []


def test_another_services_list_as_json_and_its_choice_refused(grpc_server, engine_for, admin_token, monkeypatch):
    seed_test_units(engine_for("outsource"))
    monkeypatch.setenv("GOVOPS_OUTSOURCE_GRPC_TARGET", grpc_server("outsource")["outsource"])
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    _run("outsource", "vendor", "register", "vendor-sz", "福建数智信息技术有限公司", "91350100M000100Y43")
    [vendor] = _json("outsource", "vendor", "list")
    assert vendor == {"id": "vendor-sz", "name": "福建数智信息技术有限公司", "credit_code": "91350100M000100Y43",
                      "status": "active", "org_unit_id": "om-centre"}
    [shown] = _json("outsource", "vendor", "show", "vendor-sz")
    assert shown["id"] == "vendor-sz" and shown["status"] == "active"

    from govkit.cli import app

    refused = CliRunner().invoke(app, ["outsource", "vendor", "status", "vendor-sz", "banned"])
    assert refused.exit_code == 2 and "'banned'" in refused.output and "99" not in refused.output
    assert _json("outsource", "vendor", "list", "--status", "active")[0]["status"] == "active"


def test_lists_longer_than_a_page_are_read_whole(grpc_server, engine_for, admin_token, monkeypatch):
    """Issue 11, item 3: a paged list answers 100 items by default; the command line follows the
    page tokens (govkit.client.all_pages) and shows every item."""
    from govops.outsource.v1 import outsource_pb2 as opb
    from govops.outsource.v1 import outsource_pb2_grpc as opb_grpc
    from outsource.domain.credit_code import check_character

    seed_test_units(engine_for("outsource"))
    target = grpc_server("outsource")["outsource"]
    monkeypatch.setenv("GOVOPS_OUTSOURCE_GRPC_TARGET", target)
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    stub = opb_grpc.OutsourceServiceStub(channel(target, admin_token))
    for n in range(101):
        first17 = f"91110108551{n:06d}"
        stub.RegisterVendor(opb.RegisterVendorRequest(id=f"v{n:03d}", name=f"供应商{n}", org_unit_id="om-centre",
                                                      credit_code=first17 + check_character(first17)), timeout=10)
    assert len(stub.ListVendors(opb.ListVendorsRequest(), timeout=10).vendors) == 100
    assert [v["id"] for v in _json("outsource", "vendor", "list")] == [f"v{n:03d}" for n in range(101)]


def test_the_evaluation_audit_shows_the_newest_entries_or_the_whole_trail(grpc_server, engine_for, admin_token,
                                                                          monkeypatch):
    from evaluation.domain import model as m
    from evaluation.grpc_api import model_to_pb
    from govops.evaluation.v1 import evaluation_pb2 as epb
    from govops.evaluation.v1 import evaluation_pb2_grpc as epb_grpc

    engine_for("evaluation")
    target = grpc_server("evaluation")["evaluation"]
    monkeypatch.setenv("GOVOPS_EVALUATION_GRPC_TARGET", target)
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    stub = epb_grpc.EvaluationServiceStub(channel(target, admin_token))
    for n in range(3):
        model = model_to_pb(m.DEFAULT_MODEL)
        model.code = f"model_{n}"
        stub.CreateModel(epb.CreateModelRequest(model=model), timeout=10)
    assert [e["entity_id"] for e in _json("eval", "audit", "--limit", "2")] == ["model_2@1", "model_1@1"]
    assert len(_json("eval", "audit", "--limit", "0")) == 3
    assert [x["code"] for x in _json("eval", "model", "list")] == ["model_0", "model_1", "model_2"]


def test_an_asset_file_is_checked_without_writing_then_imported(grpc_server, engine_for, admin_token, monkeypatch,
                                                                 tmp_path):
    engine = engine_for("budget")
    seed_test_units(engine)
    monkeypatch.setenv("GOVOPS_BUDGET_GRPC_TARGET", grpc_server("budget")["budget"])
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    good = tmp_path / "assets.csv"
    good.write_text("资产编号,名称,类别,所属部门,原值\nC-1,交换机,network_core,fgw,5000\nC-2,服务器,server,fgw,9000\n",
                    encoding="utf-8")
    [checked] = _json("budget", "assets", "import", str(good), "--validate-only")
    assert (checked["imported"], checked["checked"]) == (0, 2)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM assets")).scalar() == 0
    [done] = _json("budget", "assets", "import", str(good))
    assert done["imported"] == 2


def test_org_user_list_finds_by_pinyin_initials_with_state_and_grants(grpc_server, engine_for, admin_token,
                                                                        monkeypatch):
    from govkit import config
    from govops.org.v1 import org_pb2 as opb
    from govops.org.v1 import org_pb2_grpc as opb_grpc
    from org import setup

    engine_for("org")
    setup.after_migrate(config.load("org"))  # built-in roles (truncated with the tables)
    target = grpc_server("org")["org"]
    monkeypatch.setenv("GOVOPS_ORG_GRPC_TARGET", target)
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    org = opb_grpc.OrgServiceStub(channel(target, admin_token))
    identity = opb_grpc.IdentityServiceStub(channel(target, admin_token))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id="gov", name="某市人民政府", kind=opb.ORG_UNIT_KIND_GOVERNMENT))
    for username, name in (("zhangsan", "张三"), ("lisi", "李四")):
        identity.CreateUser(opb.CreateUserRequest(username=username, password="long-enough-pw", display_name=name))
    org.GrantRole(opb.GrantRoleRequest(subject="zhangsan", role="requester", org_unit_id="gov"))
    assert _json("org", "user", "list", "--q", "zs") == [{"username": "zhangsan", "name": "张三", "staff_id": "",
                                                          "state": "active", "grants": ["requester@gov"]}]
    assert [u["username"] for u in _json("org", "user", "list", "--unit", "gov")] == ["zhangsan"]
