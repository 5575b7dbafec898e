"""Identity from org, enforced by ticket and evaluation: one department never sees another's data."""

from __future__ import annotations

import time

import grpc
import pytest

from govkit.client import all_pages, channel
from govops.evaluation.v1 import evaluation_pb2 as epb
from govops.evaluation.v1 import evaluation_pb2_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from govops.ticket.v1 import ticket_pb2 as tpb
from govops.ticket.v1 import ticket_pb2_grpc


def _organisation(stack, token):
    org = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), token))
    ident = org_pb2_grpc.IdentityServiceStub(channel(stack.target("org"), token))
    # through org, then until ticket's and the others' org directories hold them (govkit.units)
    stack.create_org_units([("gov", "某市人民政府", "", "government"), ("fgw", "发展和改革委员会", "gov", "department"),
                            ("czj", "财政局", "gov", "department"), ("fgw-xxc", "信息化处", "fgw", "division")])
    for user, role, unit in (("fgw-user", "dept_om_officer", "fgw"), ("czj-user", "dept_om_officer", "czj"),
                             ("director", "om_centre_director", "gov")):
        ident.CreateUser(opb.CreateUserRequest(username=user, password="e2e-password-1", display_name=user))
        org.GrantRole(opb.GrantRoleRequest(subject=user, role=role, org_unit_id=unit, subtree=True))
    public = org_pb2_grpc.IdentityServiceStub(channel(stack.target("org"), None))
    return {u: public.Login(opb.LoginRequest(username=u, password="e2e-password-1")).tokens.access_token
            for u in ("fgw-user", "czj-user", "director")}


def _kpis(stack, token):
    with channel(stack.target("evaluation"), token) as ch:
        found = all_pages(evaluation_pb2_grpc.EvaluationServiceStub(ch).GetKpis, epb.GetKpisRequest(), "kpis",
                          timeout=5)
    return {(k.subject, k.name): k.value for k in found}


def test_department_users_are_kept_apart_and_the_director_sees_all(stack, token):
    tokens = _organisation(stack, token)
    tickets = {}
    for user, dept in (("fgw-user", "fgw-xxc"), ("czj-user", "czj")):
        stub = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), tokens[user]))
        tickets[user] = stub.CreateTicket(tpb.CreateTicketRequest(
            title="办公网络中断", org_unit_id=dept, category=tpb.CATEGORY_INFRASTRUCTURE,
            priority=tpb.PRIORITY_HIGH), timeout=10).ticket.id
    fgw = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), tokens["fgw-user"]))
    with pytest.raises(grpc.RpcError) as err:
        fgw.GetTicket(tpb.GetTicketRequest(id=tickets["czj-user"]), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        fgw.CreateTicket(tpb.CreateTicketRequest(title="越权", org_unit_id="czj", category=1, priority=2), timeout=10)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    director = ticket_pb2_grpc.TicketServiceStub(channel(stack.target("ticket"), tokens["director"]))
    for ticket_id in tickets.values():
        assert director.GetTicket(tpb.GetTicketRequest(id=ticket_id), timeout=10).ticket.id == ticket_id

    deadline = time.monotonic() + 30
    while ("czj", "tickets_created") not in _kpis(stack, tokens["director"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    # Subjects are units, or units with a process ("fgw-xxc/incident"); roll-up adds the parents.
    seen_by_fgw = {subject.split("/")[0] for subject, _ in _kpis(stack, tokens["fgw-user"])}
    assert "fgw-xxc" in seen_by_fgw and seen_by_fgw <= {"fgw", "fgw-xxc"}
    assert {"fgw-xxc", "czj"} <= {subject.split("/")[0] for subject, _ in _kpis(stack, tokens["director"])}
