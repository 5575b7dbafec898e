"""The process platform over a real gRPC server and PostgreSQL: catalogue submit with form
errors per field, routing from the org directory, the two windows, pagination, KB search in
Chinese, attachments, audit, department isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct

from govkit.auth import SYSTEM
from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.orgdir import OrgDirectory
from govops.common.v1.common_pb2 import PageRequest
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc
from tests.org_units import seed_test_units
from tests.paging import assert_garbage_token_refused, read_paged
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import EnsureDefaults
from ticket.handlers import catalogue


def seed_org(engine, on_duty=("s-wang",)):
    now = datetime.now(UTC)
    with engine.begin() as conn:
        d = OrgDirectory(conn)
        d.apply(
            "org_unit_created", {"org_unit_id": "om-centre", "name": "运维中心", "parent_id": None, "kind": "om_centre"}
        )
        for pid, name, parent, resp in [
            ("pos-om-director", "运维中心主任", None, [{"kind": "approval", "value": "change"}]),
            ("pos-net-lead", "网络组组长", "pos-om-director", [{"kind": "approval", "value": "change_cab"}]),
            ("pos-net-engineer", "网络工程师", "pos-net-lead", []),
        ]:
            d.apply("position_created", {"position_id": pid, "org_unit_id": "om-centre", "code": pid, "name": name,
                                         "parent_position_id": parent, "responsibilities": resp})
        for sid, name, pos in [("s-wang", "王工", "pos-net-engineer"), ("s-li", "李工", "pos-net-engineer"),
                               ("s-zhao", "赵组长", "pos-net-lead"), ("s-chen", "陈主任", "pos-om-director")]:
            d.apply("staff_created", {"staff_id": sid, "name": name, "org_unit_id": "om-centre"})
            d.apply("staff_assigned", {"staff_id": sid, "position_id": pos, "org_unit_id": "om-centre",
                                       "start_date": "2026-01-01"})
        d.apply("group_created", {"group_id": "grp-network", "code": "network", "name": "网络组",
                                  "org_unit_id": "om-centre", "lead_position_id": "pos-net-lead"})
        d.apply("roster_published", {"group_id": "grp-network", "org_unit_id": "om-centre",
                                     "period_start": (now - timedelta(days=1)).isoformat(),
                                     "period_end": (now + timedelta(days=1)).isoformat(),
                                     "shifts": [{"staff_id": s, "starts_at": (now - timedelta(hours=1)).isoformat(),
                                                 "ends_at": (now + timedelta(hours=8)).isoformat()} for s in on_duty]})


@pytest.fixture
def platform(grpc_server, engine_for):
    engine = engine_for("ticket")
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    seed_test_units(engine)
    seed_org(engine)
    return grpc_server("ticket")["ticket"], engine


def stub(target, token):
    return pb_grpc.TicketServiceStub(channel(target, token))


def form(**kw) -> Struct:
    s = Struct()
    s.update(kw)
    return s


def test_submit_validates_the_form_per_field_and_routes_to_the_on_duty_engineer(platform, signer):
    target, _ = platform
    requester = signer.mint("zhang", perms=["ticket.create", "ticket.read"], scopes=[{"unit": "fgw"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, requester).SubmitRequest(pb.SubmitRequestRequest(
            catalogue_item_id="infra.network.fault", title="三楼断网", org_unit_id="fgw",
            form=form(ip_address="300.1.1.1", affected_users=0)), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err.value))) == {"form.location", "form.ip_address", "form.affected_users"}
    with pytest.raises(grpc.RpcError) as err:
        stub(target, requester).SubmitRequest(pb.SubmitRequestRequest(
            catalogue_item_id="no.such", title="x", org_unit_id="fgw"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    reply = stub(target, requester).SubmitRequest(pb.SubmitRequestRequest(
        catalogue_item_id="infra.network.fault", title="三楼断网", org_unit_id="fgw",
        form=form(location="三楼东侧", affected_users=30), idempotency_key="k1"), timeout=5)
    t = reply.ticket
    assert t.number.startswith("INC-2026-") and t.assignee == "s-wang" and t.status == pb.TICKET_STATUS_ASSIGNED
    assert t.group_id == "grp-network" and t.priority == pb.PRIORITY_HIGH and t.HasField("resolution_due_at")
    again = stub(target, requester).SubmitRequest(pb.SubmitRequestRequest(
        catalogue_item_id="infra.network.fault", title="三楼断网", org_unit_id="fgw",
        form=form(location="三楼东侧", affected_users=30), idempotency_key="k1"), timeout=5)
    assert again.replayed and again.ticket.id == t.id
    mine = stub(target, requester).ListMyTickets(pb.ListMyTicketsRequest(), timeout=5)
    assert [x.id for x in mine.tickets] == [t.id]


def test_staff_window_queue_sorted_by_sla_due_with_cursor_pages(platform, signer, admin_token):
    target, engine = platform
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM orgdir_shifts")  # nobody on duty: tickets wait in the queue
    s = stub(target, admin_token)
    ids = [s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id=item, title=f"工单{i}", org_unit_id="fgw",
                                                   form=form(**f)), timeout=5).ticket.id
           for i, (item, f) in enumerate([("infra.network.fault", {"location": "一楼"}),
                                          ("infra.network.access", {"location": "二楼", "ports": 2}),
                                          ("infra.network.fault", {"location": "三楼"})])]
    wang = signer.mint("s-wang", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}])
    first = stub(target, wang).ListQueue(pb.ListQueueRequest(view=pb.QUEUE_VIEW_GROUP_QUEUE, filter=pb.TicketFilter(
        group_id="grp-network"), sort="sla_due", page=PageRequest(page_size=2)), timeout=5)
    second = stub(target, wang).ListQueue(pb.ListQueueRequest(view=pb.QUEUE_VIEW_GROUP_QUEUE, filter=pb.TicketFilter(
        group_id="grp-network"), sort="sla_due", page=PageRequest(page_size=2, page_token=first.page.next_page_token)),
        timeout=5)
    got = [t.id for t in first.tickets] + [t.id for t in second.tickets]
    assert sorted(got) == sorted(ids) and not second.page.next_page_token
    dues = [t.resolution_due_at.ToDatetime() for t in list(first.tickets) + list(second.tickets)]
    assert dues == sorted(dues)
    claimed = stub(target, wang).ClaimTicket(pb.ClaimTicketRequest(ticket_id=got[0]), timeout=5).ticket
    assert claimed.assignee == "s-wang"
    with pytest.raises(grpc.RpcError) as err:
        stub(target, wang).ChangeStatus(pb.ChangeStatusRequest(ticket_id=got[0], action=pb.STATUS_ACTION_RESUME),
                                        timeout=5)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "status assigned" in err.value.details()
    stub(target, wang).ChangeStatus(pb.ChangeStatusRequest(ticket_id=got[0], action=pb.STATUS_ACTION_START), timeout=5)
    done = stub(target, wang).ResolveTicket(pb.ResolveTicketRequest(ticket_id=got[0], resolution_code="fixed",
                                                                   resolution="更换网线"), timeout=5).ticket
    assert done.status == pb.TICKET_STATUS_RESOLVED
    bulk = s.BulkAction(
        pb.BulkActionRequest(ticket_ids=got[1:] + ["missing"], action=pb.BULK_ACTION_ASSIGN, assignee="s-li"), timeout=5
    )
    assert [r.ok for r in bulk.results] == [True, True, False] and bulk.results[2].error_code == "NotFound"
    audit = s.ListAudit(pb.ListAuditRequest(ticket_id=got[0]), timeout=5).entries
    assert [e.action for e in audit][:3] == ["created", "claim", "start"]
    assert audit[1].before["assignee"] is None or "assignee" in audit[1].after
    assert s.ListAudit(pb.ListAuditRequest(actor="s-wang"), timeout=5).entries
    # Paged with the shared PageRequest (issue 11, item 3); the old after_id/limit still work.
    paged = read_paged(s.ListAudit, pb.ListAuditRequest(ticket_id=got[0]), "entries", 2)
    assert [e.id for e in paged] == [e.id for e in audit] and len(audit) > 2
    old_cursor = s.ListAudit(pb.ListAuditRequest(ticket_id=got[0], after_id=audit[0].id, limit=1), timeout=5).entries
    assert [e.id for e in old_cursor] == [audit[1].id]
    assert_garbage_token_refused(s.ListAudit, pb.ListAuditRequest(ticket_id=got[0]))


def test_other_departments_read_not_found_and_act_permission_denied(platform, signer, admin_token):
    target, _ = platform
    t = (
        stub(target, admin_token)
        .SubmitRequest(
            pb.SubmitRequestRequest(
                catalogue_item_id="app.fault", title="财政系统报错", org_unit_id="czj", form=form(system="财政一体化")
            ),
            timeout=5,
        )
        .ticket
    )
    fgw = signer.mint("fgw-user", perms=["*"], scopes=[{"unit": "fgw"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, fgw).GetTicketDetail(pb.GetTicketDetailRequest(id=t.id), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        stub(target, fgw).AddComment(pb.AddCommentRequest(ticket_id=t.id, body="看看"), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_knowledge_base_chinese_search_and_suggestions_on_submit(platform, admin_token):
    target, _ = platform
    s = stub(target, admin_token)
    a = s.CreateArticle(pb.CreateArticleRequest(
        title="打印机无法连接的处理办法", body="检查打印机网络连接和驱动，重启打印服务。",
        catalogue_item_ids=["infra.host.printer"]), timeout=5).article
    s.CreateArticle(pb.CreateArticleRequest(title="数据库慢查询优化", body="为慢SQL建立索引。"), timeout=5)
    assert not s.SearchArticles(pb.SearchArticlesRequest(query="打印机 无法 连接"), timeout=5).articles  # draft
    s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, action=pb.ARTICLE_ACTION_PUBLISH), timeout=5)
    s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, body="检查打印机网络连接、驱动与打印队列。"), timeout=5)
    found = s.SearchArticles(pb.SearchArticlesRequest(query="打印机 无法 连接"), timeout=5).articles
    assert [x.id for x in found] == [a.id] and found[0].version == 2
    reply = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="infra.host.printer", title="三楼打印机连不上",
                                                    org_unit_id="fgw", form=form(location="三楼")), timeout=5)
    assert [x.id for x in reply.suggestions] == [a.id]
    assert len(s.GetArticle(pb.GetArticleRequest(id=a.id), timeout=5).versions) == 2


def test_attachments_are_size_and_type_checked(platform, admin_token):
    target, _ = platform
    s = stub(target, admin_token)
    t = s.CreateTicket(pb.CreateTicketRequest(title="截图", org_unit_id="fgw", category=pb.CATEGORY_APPLICATION,
                                              priority=pb.PRIORITY_LOW), timeout=5).ticket
    with pytest.raises(grpc.RpcError) as err:
        s.AddAttachment(
            pb.AddAttachmentRequest(
                ticket_id=t.id, filename="a.exe", content_type="application/x-msdownload", data=b"MZ"
            ),
            timeout=5,
        )
    assert "content_type" in dict(iter_bad_request(err.value))
    info = s.AddAttachment(pb.AddAttachmentRequest(ticket_id=t.id, filename="报错截图.png", content_type="image/png",
                                                   data=b"\x89PNG" + b"0" * 1000), timeout=5).attachment
    got = s.GetAttachment(pb.GetAttachmentRequest(id=info.id), timeout=5)
    assert got.data.startswith(b"\x89PNG") and got.attachment.size == 1004


def test_the_om_centres_own_change_is_approved_by_its_director_then_the_cab(platform, signer, admin_token):
    target, _ = platform
    details = Struct()
    details.update({"risk": "high", "plan": "核心交换机固件升级", "rollback_plan": "回退固件", "emergency": False})
    t = stub(target, admin_token).CreateTicket(pb.CreateTicketRequest(
        title="核心交换机升级", org_unit_id="om-centre", category=pb.CATEGORY_INFRASTRUCTURE, priority=pb.PRIORITY_HIGH,
        ticket_type="change", details=details), timeout=5).ticket
    assert t.number.startswith("CHG-")
    stub(target, admin_token).SubmitChange(pb.SubmitChangeRequest(ticket_id=t.id), timeout=5)
    zhao = signer.mint("s-zhao", perms=["ticket.approve_change"], scopes=[{"unit": "*"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, zhao).ApproveChange(pb.ApproveChangeRequest(ticket_id=t.id), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    first = stub(target, signer.mint("s-chen", perms=["ticket.approve_change"], scopes=[{"unit": "*"}])).ApproveChange(
        pb.ApproveChangeRequest(ticket_id=t.id, comment="同意"), timeout=5).ticket
    assert first.status == pb.TICKET_STATUS_AWAITING_APPROVAL
    ok = stub(target, zhao).ApproveChange(pb.ApproveChangeRequest(ticket_id=t.id, comment="CAB 同意"), timeout=5).ticket
    assert ok.status == pb.TICKET_STATUS_APPROVED


def test_escalation_keeps_the_callers_reason_through_the_database(platform, admin_token):
    target, engine = platform
    s = stub(target, admin_token)
    t = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="infra.network.fault", title="核心交换机故障",
                                                org_unit_id="fgw", form=form(location="一号机房")), timeout=5).ticket
    up = s.EscalateTicket(pb.EscalateTicketRequest(ticket_id=t.id, reason="市长热线督办，须当天解决"), timeout=5).ticket
    assert up.escalation_level == 1 and up.assignee == "s-zhao"
    details = json_format.MessageToDict(s.GetTicket(pb.GetTicketRequest(id=t.id), timeout=5).ticket.details)
    assert details["escalation_reason"] == "市长热线督办，须当天解决"
    assert details["escalated_position_id"] == "pos-net-lead"
    with engine.connect() as c:
        events = c.execute(sa.text("SELECT envelope FROM outbox ORDER BY seq")).scalars().all()
    [escalated] = [e for e in events if e["type"] == "govops.ticket.ticket_escalated.v1" and e["subject"] == t.id]
    assert escalated["data"]["reason"] == "市长热线督办，须当天解决"


def staff_token(signer, subject, staff, perms, units=("*",)):
    """A token carrying org's `staff_id` claim (the kit's signer has no extra-claims parameter)."""
    import time as _time
    import uuid as _uuid

    import jwt

    now = int(_time.time())
    claims = {"sub": subject, "name": subject, "roles": [], "perms": list(perms),
              "scopes": [{"unit": u} for u in units], "iat": now, "exp": now + 600, "iss": signer.issuer,
              "aud": signer.audience, "jti": _uuid.uuid4().hex, "staff_id": staff}
    return jwt.encode(claims, signer.key, algorithm="EdDSA", headers={"kid": signer.kid})


def test_requester_window_pending_supply_info_confirm_rate_reopen(platform, signer):
    target, _ = platform
    zhang = signer.mint("zhang", perms=["ticket.create", "ticket.read", "ticket.comment"], scopes=[{"unit": "fgw"}])
    wang = staff_token(signer, "u-1001", "s-wang", ["ticket.work", "ticket.read", "ticket.comment"])
    t = stub(target, zhang).SubmitRequest(pb.SubmitRequestRequest(
        catalogue_item_id="infra.network.fault", title="五楼无线中断", org_unit_id="fgw",
        form=form(location="五楼")), timeout=5).ticket
    assert t.assignee == "s-wang"
    s = stub(target, wang)
    with pytest.raises(grpc.RpcError) as err:  # the action is an enum: unset or unknown is refused by name
        s.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "action" in dict(iter_bad_request(err.value))
    with pytest.raises(grpc.RpcError) as err:
        s.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.StatusAction.ValueType(99)), timeout=5)
    assert "unknown value 99" in dict(iter_bad_request(err.value))["action"]
    s.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_START), timeout=5)
    with pytest.raises(grpc.RpcError) as err:
        s.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_PEND, pending_reason="lunch"),
                       timeout=5)
    assert dict(iter_bad_request(err.value)) == {"pending_reason": "must be one of requester, vendor, change"}
    pend = s.ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_PEND,
                                                 pending_reason="requester"), timeout=5)
    assert pend.ticket.status == pb.TICKET_STATUS_PENDING and not pend.ticket.HasField("resolution_due_at")
    s.AddComment(pb.AddCommentRequest(ticket_id=t.id, body="内部：疑似AP故障", internal=True), timeout=5)
    s.AddComment(pb.AddCommentRequest(ticket_id=t.id, body="请提供具体房间号"), timeout=5)
    back = stub(target, zhang).SupplyInfo(pb.SupplyInfoRequest(ticket_id=t.id, body="502会议室"), timeout=5).ticket
    assert back.status == pb.TICKET_STATUS_IN_PROGRESS and back.HasField("resolution_due_at")
    detail = stub(target, zhang).GetTicketDetail(pb.GetTicketDetailRequest(id=t.id), timeout=5)
    assert [c.body for c in detail.comments] == ["请提供具体房间号", "502会议室"]  # no internal comment
    s.ResolveTicket(pb.ResolveTicketRequest(ticket_id=t.id, resolution_code="fixed", resolution="更换AP"), timeout=5)
    with pytest.raises(grpc.RpcError) as err:
        stub(target, zhang).ConfirmResolution(pb.ConfirmResolutionRequest(ticket_id=t.id, rating=6), timeout=5)
    assert "rating" in dict(iter_bad_request(err.value))
    done = stub(target, zhang).ConfirmResolution(pb.ConfirmResolutionRequest(ticket_id=t.id, rating=4,
                                                                             comment="满意"), timeout=5).ticket
    assert done.status == pb.TICKET_STATUS_CLOSED and done.rating == 4
    again = stub(target, zhang).ReopenTicket(pb.ReopenTicketRequest(ticket_id=t.id, reason="又断了"), timeout=5).ticket
    assert again.status == pb.TICKET_STATUS_IN_PROGRESS and again.reopen_count == 1
    mine = stub(target, wang).ListQueue(pb.ListQueueRequest(view=pb.QUEUE_VIEW_MY_QUEUE), timeout=5).tickets
    assert [x.id for x in mine] == [t.id]


def test_my_tickets_pages_with_cursors_and_filters(platform, signer, admin_token):
    target, engine = platform
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM orgdir_shifts")
    zhang = signer.mint("zhang", perms=["ticket.create", "ticket.read"], scopes=[{"unit": "fgw"}])
    made = [stub(target, zhang).SubmitRequest(pb.SubmitRequestRequest(
        catalogue_item_id="infra.host.printer" if i % 2 else "app.account", title=f"请求{i}", org_unit_id="fgw",
        form=form(location="一楼") if i % 2 else form(system="办公系统", account_name=f"user{i}")), timeout=5).ticket.id
        for i in range(5)]
    seen, token = [], ""
    while True:
        page = stub(target, zhang).ListMyTickets(
            pb.ListMyTicketsRequest(page=PageRequest(page_size=2, page_token=token)), timeout=5)
        seen += [t.id for t in page.tickets]
        token = page.page.next_page_token
        if not token:
            break
    assert seen == list(reversed(made))  # newest first, each once
    requests_only = stub(target, admin_token).ListQueue(pb.ListQueueRequest(
        view=pb.QUEUE_VIEW_ALL, filter=pb.TicketFilter(
        ticket_type=["request"], priority=["low", "medium"], org_unit_ids=["fgw"])), timeout=5).tickets
    assert {t.id for t in requests_only} == {made[0], made[2], made[4]}
    from google.protobuf.timestamp_pb2 import Timestamp

    future = Timestamp()
    future.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    later = stub(target, admin_token).ListQueue(pb.ListQueueRequest(view=pb.QUEUE_VIEW_ALL, filter=pb.TicketFilter(
        created_from=future)), timeout=5).tickets
    earlier = stub(target, admin_token).ListQueue(pb.ListQueueRequest(view=pb.QUEUE_VIEW_ALL, filter=pb.TicketFilter(
        created_to=future, org_unit_ids=["fgw"])), timeout=5).tickets
    assert not later and len(earlier) == 5
    with pytest.raises(grpc.RpcError) as err:
        stub(target, zhang).ListMyTickets(pb.ListMyTicketsRequest(page=PageRequest(page_size=1000)), timeout=5)
    assert "page.page_size" in dict(iter_bad_request(err.value))


def test_sla_administration_department_override_and_calendar(platform, admin_token, signer):
    target, _ = platform
    s = stub(target, admin_token)
    cal = Struct()
    cal.update({"id": "cn-2026-ext", "name": "延长工作时间", "periods": [["08:00", "12:00"], ["13:00", "20:00"]],
                "holidays": ["2026-10-01"], "workdays": ["2026-10-10"]})
    s.UpsertCalendar(pb.UpsertCalendarRequest(calendar=cal), timeout=5)
    policy = Struct()
    policy.update(
        {
            "id": "gaj-strict",
            "name": "公安局加强",
            "calendar_id": "cn-2026-ext",
            "warning_percent": 80,
            "targets": {p: {"response": 600, "resolution": 7200} for p in ("critical", "high", "medium", "low")},
        }
    )
    s.UpsertSlaPolicy(pb.UpsertSlaPolicyRequest(policy=policy), timeout=5)
    s.SetDepartmentSlaPolicy(pb.SetDepartmentSlaPolicyRequest(org_unit_id="gaj", sla_policy_id="gaj-strict"), timeout=5)
    bad = Struct()
    bad.update({"id": "x", "calendar_id": "cn", "targets": {"low": {"response": -1}}})
    with pytest.raises(grpc.RpcError) as err:
        s.UpsertSlaPolicy(pb.UpsertSlaPolicyRequest(policy=bad), timeout=5)
    assert "targets.low.response" in dict(iter_bad_request(err.value))
    t = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="app.fault", title="指挥系统报错", org_unit_id="gaj",
                                                form=form(system="指挥调度系统")), timeout=5).ticket
    assert (t.sla_policy_id, t.calendar_id) == ("gaj-strict", "cn-2026-ext")
    other = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="app.fault", title="系统报错", org_unit_id="fgw",
                                                    form=form(system="审批系统")), timeout=5).ticket
    assert other.sla_policy_id == "standard"
    crit = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="infra.host.server-down", title="宕机",
                                                   org_unit_id="fgw", form=form(hostname="app01")), timeout=5).ticket
    assert (crit.sla_policy_id, crit.calendar_id, crit.priority) == ("critical-24x7", "24x7", pb.PRIORITY_CRITICAL)
    requester = signer.mint("plain", perms=["ticket.read"], scopes=[{"unit": "*"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, requester).UpsertCalendar(pb.UpsertCalendarRequest(calendar=cal), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED and "ticket.admin" in err.value.details()
    # A department override set after submission reaches an open ticket on request.
    s.SetDepartmentSlaPolicy(pb.SetDepartmentSlaPolicyRequest(org_unit_id="fgw", sla_policy_id="gaj-strict"), timeout=5)
    again = s.ReapplySlaPolicy(pb.ReapplySlaPolicyRequest(ticket_id=other.id), timeout=5).ticket
    assert (again.sla_policy_id, again.calendar_id) == ("gaj-strict", "cn-2026-ext")
    with pytest.raises(grpc.RpcError) as err:
        stub(target, requester).ReapplySlaPolicy(pb.ReapplySlaPolicyRequest(ticket_id=other.id), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_reprioritise_over_grpc_rederives_the_due_time_and_is_audited(platform, signer, admin_token):
    target, engine = platform
    s = stub(target, admin_token)
    t = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="infra.network.fault", title="二楼网速慢",
                                                org_unit_id="fgw", form=form(location="二楼"), impact="medium",
                                                urgency="medium"), timeout=5).ticket
    assert t.priority == pb.PRIORITY_MEDIUM
    engineer = signer.mint("s-wang", perms=["ticket.work", "ticket.read"], scopes=[{"unit": "*"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, engineer).ReprioritiseTicket(pb.ReprioritiseTicketRequest(
            ticket_id=t.id, impact="high", urgency="medium", reason="影响扩大"), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        s.ReprioritiseTicket(pb.ReprioritiseTicketRequest(ticket_id=t.id, impact="high", urgency="medium"), timeout=5)
    assert dict(iter_bad_request(err.value)) == {"reason": "must not be empty"}
    up = s.ReprioritiseTicket(pb.ReprioritiseTicketRequest(ticket_id=t.id, impact="high", urgency="medium",
                                                           reason="影响扩大到整层"), timeout=5).ticket
    assert up.priority == pb.PRIORITY_HIGH and (up.impact, up.urgency) == ("high", "medium")
    # 8 instead of 16 business hours, counted from the same start: due earlier, not a fresh clock
    assert up.resolution_due_at.ToDatetime() < t.resolution_due_at.ToDatetime()
    audit = s.ListAudit(pb.ListAuditRequest(ticket_id=t.id), timeout=5).entries
    assert [e.action for e in audit][-1] == "reprioritise"
    with engine.connect() as c:
        events = c.execute(sa.text("SELECT envelope FROM outbox ORDER BY seq")).scalars().all()
    [moved] = [e for e in events if e["type"] == "govops.ticket.ticket_reprioritised.v1" and e["subject"] == t.id]
    assert (moved["data"]["from_priority"], moved["data"]["priority"], moved["data"]["reason"]) == (
        "medium", "high", "影响扩大到整层")


def test_a_pending_ticket_reassigned_over_grpc_stays_pending(platform, signer, admin_token):
    target, _ = platform
    s = stub(target, admin_token)
    t = s.SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id="infra.network.fault", title="会议室无线",
                                                org_unit_id="fgw", form=form(location="五楼")), timeout=5).ticket
    wang = staff_token(signer, "u-1001", "s-wang", ["ticket.work", "ticket.read"])
    stub(target, wang).ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_START), timeout=5)
    stub(target, wang).ChangeStatus(pb.ChangeStatusRequest(ticket_id=t.id, action=pb.STATUS_ACTION_PEND,
                                                           pending_reason="vendor"), timeout=5)
    moved = s.AssignTicket(pb.AssignTicketRequest(ticket_id=t.id, assignee="s-li"), timeout=5).ticket
    assert (moved.status, moved.pending_reason, moved.assignee) == (pb.TICKET_STATUS_PENDING, "vendor", "s-li")
    assert not moved.HasField("resolution_due_at")  # the clock is still paused
