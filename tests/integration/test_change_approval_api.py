"""Change approval over a real gRPC server and PostgreSQL, with the demo's shape of organisation:
two departments each with their own change officer, the O&M centre's change advisory board (CAB)
and its emergency members. Reproduces the defect seen with the demo data: every position with the
approval duty anywhere became an approver of every change, sorted by id, so 财政局's officer came
first on 发改委's change and sequential approval was stuck."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct
from test_ticket_platform import staff_token, stub

from govkit.grpc_server import iter_bad_request
from govkit.orgdir import OrgDirectory
from govops.ticket.v1 import ticket_pb2 as pb

UNITS = [("gov", None, "government"), ("om-centre", "gov", "om_centre"), ("fgw", "gov", "department"),
         ("fgw-xxc", "fgw", "division"), ("czj", "gov", "department")]
POSITIONS = [  # id, unit, approval duties
    ("pos-om-director", "om-centre", ["change", "change_ecab"]),
    ("pos-change-manager", "om-centre", ["change_cab", "change_ecab"]),
    ("pos-net-lead", "om-centre", ["change_cab"]),
    ("czj-officer", "czj", ["change"]),
    ("fgw-officer", "fgw", ["change"]),
]
STAFF = [("E001", "王建国", "om-centre", "pos-om-director"), ("E012", "韩雪", "om-centre", "pos-change-manager"),
         ("E002", "李明", "om-centre", "pos-net-lead"), ("F001", "黄海燕", "fgw-xxc", "fgw-officer"),
         ("C001", "马超", "czj", "czj-officer")]


@pytest.fixture
def platform(grpc_server, engine_for):
    engine = engine_for("ticket")
    with engine.begin() as conn:
        d = OrgDirectory(conn)
        for uid, parent, kind in UNITS:
            d.apply("org_unit_created", {"org_unit_id": uid, "name": uid, "parent_id": parent, "kind": kind})
        for pid, unit, duties in POSITIONS:
            d.apply("position_created", {"position_id": pid, "org_unit_id": unit, "code": pid, "name": pid,
                                         "responsibilities": [{"kind": "approval", "value": x} for x in duties]})
        for sid, name, unit, pos in STAFF:
            d.apply("staff_created", {"staff_id": sid, "name": name, "org_unit_id": unit})
            d.apply("staff_assigned", {"staff_id": sid, "position_id": pos, "start_date": "2026-01-01"})
    return grpc_server("ticket")["ticket"]


def officer(signer, staff, units):
    return staff_token(signer, f"u-{staff}", staff, ["ticket.approve_change", "ticket.read"], units=units)


def new_change(target, token, org_unit_id, **rfc):
    details = Struct()
    details.update({"risk": "high", "plan": "核心交换机固件升级", "rollback_plan": "回退固件", **rfc})
    t = stub(target, token).CreateTicket(pb.CreateTicketRequest(
        title="核心交换机升级", org_unit_id=org_unit_id, category=pb.CATEGORY_INFRASTRUCTURE, priority=pb.PRIORITY_HIGH,
        ticket_type="change", details=details), timeout=5).ticket
    return stub(target, token).SubmitChange(pb.SubmitChangeRequest(ticket_id=t.id), timeout=5).ticket


def details(t) -> dict:
    return json_format.MessageToDict(t.details)


def denied(call) -> None:
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_departments_change_goes_to_its_officer_then_the_cab(platform, signer, admin_token):
    t = new_change(platform, admin_token, "fgw-xxc")
    assert [(s["name"], s["positions"]) for s in details(t)["approval_steps"]] == [
        ("department", ["fgw-officer"]), ("cab", ["pos-change-manager", "pos-net-lead"])]
    czj, fgw = officer(signer, "C001", ["czj"]), officer(signer, "F001", ["fgw", "fgw-xxc"])
    cab = officer(signer, "E012", ["*"])
    denied(lambda: stub(platform, czj).ApproveChange(pb.ApproveChangeRequest(ticket_id=t.id), timeout=5))
    denied(lambda: stub(platform, officer(signer, "C001", ["*"])).ApproveChange(
        pb.ApproveChangeRequest(ticket_id=t.id), timeout=5))  # not an approver of fgw's change, whatever its scope
    denied(lambda: stub(platform, cab).ApproveChange(pb.ApproveChangeRequest(ticket_id=t.id), timeout=5))
    step1 = stub(platform, fgw).ApproveChange(pb.ApproveChangeRequest(ticket_id=t.id, comment="业务同意"), timeout=5)
    assert step1.ticket.status == pb.TICKET_STATUS_AWAITING_APPROVAL
    done = stub(platform, cab).ApproveChange(pb.ApproveChangeRequest(ticket_id=t.id, comment="CAB 同意"), timeout=5)
    assert done.ticket.status == pb.TICKET_STATUS_APPROVED
    assert [(a["step"], a["approver"]) for a in details(done.ticket)["approvals"]] == [
        ("department", "F001"), ("cab", "E012")]


def test_a_rejection_ends_the_change_with_its_reason(platform, signer, admin_token):
    t = new_change(platform, admin_token, "czj")
    czj = officer(signer, "C001", ["czj"])
    with pytest.raises(grpc.RpcError) as err:
        stub(platform, czj).RejectChange(pb.RejectChangeRequest(ticket_id=t.id), timeout=5)
    assert dict(iter_bad_request(err.value)) == {"comment": "must not be empty"}
    out = stub(platform, czj).RejectChange(pb.RejectChangeRequest(ticket_id=t.id, comment="预算系统封账期"), timeout=5)
    assert out.ticket.status == pb.TICKET_STATUS_REJECTED
    assert details(out.ticket)["rejection_reason"] == "预算系统封账期"


def test_an_emergency_change_needs_an_emergency_cab_member_and_records_a_retrospective_review(
        platform, signer, admin_token):
    t = new_change(platform, admin_token, "fgw", emergency=True)
    assert details(t)["change_type"] == "emergency"
    denied(lambda: stub(platform, officer(signer, "F001", ["fgw"])).ApproveChange(
        pb.ApproveChangeRequest(ticket_id=t.id), timeout=5))
    denied(lambda: stub(platform, officer(signer, "E002", ["*"])).ApproveChange(  # CAB, not emergency CAB
        pb.ApproveChangeRequest(ticket_id=t.id), timeout=5))
    done = stub(platform, officer(signer, "E001", ["*"])).ApproveChange(
        pb.ApproveChangeRequest(ticket_id=t.id, comment="紧急同意"), timeout=5).ticket
    assert done.status == pb.TICKET_STATUS_APPROVED
    review = details(done)["retrospective_review"]
    assert review["status"] == "pending" and review["positions"] == ["pos-change-manager", "pos-net-lead"]


def test_routes_are_listed_and_replaced_over_grpc(platform, admin_token):
    s = stub(platform, admin_token)
    routes = [json_format.MessageToDict(r) for r in s.ListChangeRoutes(pb.ListChangeRoutesRequest(), timeout=5).routes]
    assert [r["change_type"] for r in routes] == ["normal", "emergency", "standard"]
    route = Struct()
    route.update({"change_type": "standard", "steps": [], "catalogue_item_ids": ["infra.network.access"]})
    stored = json_format.MessageToDict(s.UpsertChangeRoute(pb.UpsertChangeRouteRequest(route=route), timeout=5).route)
    assert stored["catalogue_item_ids"] == ["infra.network.access"]
    again = [json_format.MessageToDict(r) for r in s.ListChangeRoutes(pb.ListChangeRoutesRequest(), timeout=5).routes]
    assert again[2]["catalogue_item_ids"] == ["infra.network.access"]
