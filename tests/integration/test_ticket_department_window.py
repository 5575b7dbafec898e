"""The service-request window's department side over a real gRPC server and PostgreSQL (issue 13):
"my department's tickets" for the department's O&M officer (ListDepartmentTickets: the units of
the caller's scope, subunits included, never another department's; a requester is refused), and
the requester-safe public timeline of GetTicketDetail (status changes and assignments with
display names, nothing internal)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format

from govkit.auth import SYSTEM
from govkit.grpc_server import iter_bad_request
from govops.ticket.v1 import ticket_pb2 as pb
from tests.integration.test_ticket_platform import form, seed_org, staff_token, stub
from tests.org_units import seed_test_units
from tests.paging import assert_garbage_token_refused, read_paged
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import EnsureDefaults
from ticket.handlers import catalogue

# fgw with its divisions, as org expands a subtree grant at fgw into the token's `units`
FGW_SUBTREE = ["fgw", "fgw-xxc", "fgw-xxzx"]


@pytest.fixture
def target(grpc_server, engine_for):
    """ticket-grpc on the test government, the default catalogue and 网络组 (王工 on duty)."""
    engine = engine_for("ticket")
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    seed_test_units(engine)
    seed_org(engine)
    return grpc_server("ticket")["ticket"]


def _create(s, title, unit, ticket_type="incident"):
    return s.CreateTicket(pb.CreateTicketRequest(title=title, org_unit_id=unit, category=pb.CATEGORY_APPLICATION,
                                                 priority=pb.PRIORITY_MEDIUM, ticket_type=ticket_type),
                          timeout=5).ticket


def test_the_officer_lists_the_departments_tickets_with_subunits_never_another_departments(
        target, signer, admin_token):
    admin = stub(target, admin_token)
    own = _create(admin, "发改委门户无法登录", "fgw")
    division = _create(admin, "信息化处打印机卡纸", "fgw-xxc", "request")
    other = _create(admin, "财政局邮件退信", "czj")
    closed = _create(admin, "信息中心已关闭的工单", "fgw-xxzx", "request")
    admin.ChangeStatus(pb.ChangeStatusRequest(ticket_id=closed.id, action=pb.STATUS_ACTION_CANCEL), timeout=5)
    officer = stub(target, signer.mint("huanghy", perms=["ticket.read", "ticket.department.read"],
                                       extra={"units": FGW_SUBTREE}))

    listed = officer.ListDepartmentTickets(pb.ListDepartmentTicketsRequest(), timeout=5).tickets
    assert {t.id for t in listed} == {own.id, division.id}  # open ones by default; czj's never
    everything = officer.ListDepartmentTickets(pb.ListDepartmentTicketsRequest(
        filter=pb.TicketFilter(include_closed=True)), timeout=5).tickets
    assert [t.id for t in everything] == [closed.id, division.id, own.id]  # newest first
    assert other.id not in {t.id for t in everything}

    def ids(**f):
        return {t.id for t in officer.ListDepartmentTickets(pb.ListDepartmentTicketsRequest(
            filter=pb.TicketFilter(**f)), timeout=5).tickets}

    assert ids(org_unit_ids=["fgw-xxc"]) == {division.id}
    assert ids(org_unit_ids=["czj"]) == set()  # a unit outside the scope only filters: nothing
    assert ids(ticket_type=["request"], include_closed=True) == {division.id, closed.id}
    assert ids(status=["closed"]) == {closed.id}

    request = pb.ListDepartmentTicketsRequest(filter=pb.TicketFilter(include_closed=True))
    paged = read_paged(officer.ListDepartmentTickets, request, "tickets", 1)
    assert [t.id for t in paged] == [t.id for t in everything]
    assert_garbage_token_refused(officer.ListDepartmentTickets, request)
    with pytest.raises(grpc.RpcError) as err:
        officer.ListDepartmentTickets(pb.ListDepartmentTicketsRequest(sort="title"), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "sort" in dict(iter_bad_request(err.value))

    # another department's officer sees czj's ticket only; the O&M centre director (global) all
    czj = stub(target, signer.mint("machao", perms=["ticket.read", "ticket.department.read"], extra={"units": ["czj"]}))
    assert [t.id for t in czj.ListDepartmentTickets(pb.ListDepartmentTicketsRequest(), timeout=5).tickets] == [other.id]
    director = stub(target, signer.mint("wangjg", perms=["ticket.read", "ticket.department.read"],
                                        extra={"units": ["*"]}))
    assert {own.id, division.id, other.id} <= {t.id for t in director.ListDepartmentTickets(
        pb.ListDepartmentTicketsRequest(), timeout=5).tickets}


def test_a_requester_may_not_list_the_department_but_their_own_tickets(target, signer, admin_token):
    _create(stub(target, admin_token), "别人提交的工单", "fgw")
    requester = stub(target, signer.mint("zhang", perms=["ticket.read", "ticket.create"],
                                         extra={"units": FGW_SUBTREE}))
    mine = _create(requester, "我的工单", "fgw")
    with pytest.raises(grpc.RpcError) as err:
        requester.ListDepartmentTickets(pb.ListDepartmentTicketsRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "ticket.department.read" in err.value.details()
    assert [t.id for t in requester.ListMyTickets(pb.ListMyTicketsRequest(), timeout=5).tickets] == [mine.id]


def test_the_requester_sees_status_changes_and_assignments_but_nothing_internal(target, signer):
    zhang = stub(target, signer.mint("zhang", perms=["ticket.create", "ticket.read", "ticket.comment"],
                                     scopes=[{"unit": "fgw"}]))
    wang = stub(target, staff_token(signer, "u-1001", "s-wang", ["ticket.work", "ticket.read", "ticket.comment"]))
    lead = stub(target, staff_token(signer, "u-1003", "s-zhao", ["ticket.work", "ticket.read", "ticket.assign"]))
    t = zhang.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="infra.network.fault", title="六楼无线中断",
                                                    org_unit_id="fgw", form=form(location="六楼")), timeout=5).ticket
    assert t.assignee == "s-wang"  # routed at creation to the on-duty engineer of 网络组
    wang.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_START), timeout=5)
    wang.AddComment(pb.AddCommentRequest(ticket_id=t.id, body="内部：怀疑是供应商的AP固件", internal=True), timeout=5)
    wang.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_PEND,
                                             pending_reason="requester"), timeout=5)
    zhang.SupplyInfo(pb.SupplyInfoRequest(ticket_id=t.id, body="602会议室"), timeout=5)
    lead.TransferTicket(pb.TransferTicketRequest(ticket_id=t.id, assignee="s-li"), timeout=5)
    stub(target, staff_token(signer, "u-1002", "s-li", ["ticket.work", "ticket.read"])).ResolveTicket(
        pb.ResolveTicketRequest(ticket_id=t.id, resolution_code="fixed", resolution="重启AP"), timeout=5)

    detail = zhang.GetTicketDetail(pb.GetTicketDetailRequest(id=t.id), timeout=5)
    steps = [(e.kind, pb.TicketStatus.Name(e.from_status), pb.TicketStatus.Name(e.to_status), e.pending_reason,
              e.group_name, e.assignee_name) for e in detail.timeline]
    u = "TICKET_STATUS_UNSPECIFIED"
    assert steps[:2] == [("created", u, "TICKET_STATUS_ASSIGNED", "", "", ""),
                         ("assigned", u, u, "", "网络组", "王工")]
    status_steps = [(a, b, r) for k, a, b, r, _, _ in steps if k == "status"]
    assert status_steps == [("TICKET_STATUS_ASSIGNED", "TICKET_STATUS_IN_PROGRESS", ""),
                            ("TICKET_STATUS_IN_PROGRESS", "TICKET_STATUS_PENDING", "requester"),
                            ("TICKET_STATUS_PENDING", "TICKET_STATUS_IN_PROGRESS", ""),
                            ("TICKET_STATUS_IN_PROGRESS", "TICKET_STATUS_ASSIGNED", ""),  # the transfer
                            ("TICKET_STATUS_ASSIGNED", "TICKET_STATUS_RESOLVED", "")]
    assert [(g, n) for k, _, _, _, g, n in steps if k == "assigned"] == [("网络组", "王工"), ("网络组", "李工")]
    assert all(e.HasField("at") for e in detail.timeline)
    assert [x.at.ToDatetime() for x in detail.timeline] == sorted(x.at.ToDatetime() for x in detail.timeline)
    # nothing internal: no internal comment, and the timeline names people, never their staff ids
    assert "内部：怀疑是供应商的AP固件" not in [c.body for c in detail.comments]
    text = json_format.MessageToJson(pb.GetTicketDetailResponse(timeline=detail.timeline), ensure_ascii=False)
    assert "s-wang" not in text and "s-li" not in text and "u-100" not in text and "内部" not in text
    # staff read the same timeline (and their internal comment besides)
    staff_view = wang.GetTicketDetail(pb.GetTicketDetailRequest(id=t.id), timeout=5)
    assert list(staff_view.timeline) == list(detail.timeline)
    assert "内部：怀疑是供应商的AP固件" in [c.body for c in staff_view.comments]
