"""Ticket use cases end to end against the in-memory unit of work: catalogue submit with form
validation, routing, the windows' actions, SLA deadlines firing once, changes, problems, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fake_ticket_uow import FakeUnitOfWork, caller

from govkit.auth import SYSTEM
from govkit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from ticket.domain import commands as c
from ticket.domain.calendar import CN
from ticket.domain.commands import CreateTicket
from ticket.handlers import alerts, changes, escalation, knowledge, problems, queue, requests, sla, tickets

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=CST)  # a Wednesday morning


def submit(uow, item="infra.network.fault", form=None, who=None, **kw):
    cmd = CreateTicket(title=kw.pop("title", "三楼网络中断"), description="", org_unit_id=kw.pop("org_unit_id", "fgw"),
                       catalogue_item_id=item, form=form if form is not None else {"location": "三楼机房"},
                       channel="request_window", **kw)
    return tickets.create_ticket(cmd, uow, who or caller(subject="zhang"), now=NOW).ticket


def names(uow):
    return [e.event_name() for e in uow.published]


def test_submit_routes_to_the_least_loaded_on_duty_member_and_records_first_response():
    uow = FakeUnitOfWork()
    uow.orgdir.duty["grp-network"] = ["s1", "s2"]
    t1 = submit(uow)
    t2 = submit(uow)
    assert (t1.assignee, t2.assignee) == ("s1", "s2")  # s1 had one open ticket when t2 came
    assert t1.number.startswith("INC-2026-") and t1.group_id == "grp-network" and t1.priority.value == "high"
    assigned = [e for e in uow.published if e.event_name() == "ticket_assigned"][0]
    assert assigned.method == "auto" and assigned.first_response and assigned.response_business_seconds == 0
    created = uow.published[0]
    assert created.channel == "request_window" and created.assignee == "s1" and created.resolution_due_at


def test_nobody_on_duty_leaves_the_ticket_in_the_group_queue():
    uow = FakeUnitOfWork()
    uow.orgdir.duty = {}
    t = submit(uow)
    assert t.status.value == "new" and t.assignee is None and t.group_id == "grp-network"


def test_form_fields_failing_their_schema_are_reported_per_field():
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidArgument) as err:
        submit(uow, form={"ip_address": "999.1.1.1", "affected_users": 0, "colour": "red"})
    fields = {v.field for v in err.value.violations}
    assert fields == {"form.location", "form.ip_address", "form.affected_users", "form.colour"}
    assert uow.committed_store == {}


def test_unknown_catalogue_item_is_not_found_and_other_departments_are_denied():
    uow = FakeUnitOfWork()
    with pytest.raises(NotFound):
        submit(uow, item="no.such.item")
    with pytest.raises(PermissionDenied):
        submit(uow, who=caller(units=["czj"], subject="li"))


def test_requester_and_staff_windows_full_cycle_with_rating():
    uow = FakeUnitOfWork()
    uow.orgdir.duty = {}
    t = submit(uow, item="app.account", form={"system": "财政一体化系统", "account_name": "zhangsan"})
    staff = caller(subject="s1", perms=("ticket.work",), staff_id="s1")
    queue.claim_ticket(c.ClaimTicket(t.id), uow, staff, now=NOW)
    queue.change_status(c.ChangeStatus(t.id, "start"), uow, staff, now=NOW)
    queue.change_status(c.ChangeStatus(t.id, "pend", "requester"), uow, staff, now=NOW + timedelta(hours=1))
    with pytest.raises(InvalidArgument) as err:
        queue.resolve_ticket(c.ResolveTicket(t.id, "", ""), uow, staff, now=NOW)
    assert err.value.violations[0].field == "resolution_code"
    requests.supply_info(
        c.SupplyInfo(t.id, "账号名改为 zhangsan01"),
        uow,
        caller(subject="zhang", perms=("ticket.create",)),
        now=NOW + timedelta(days=1),
    )
    queue.resolve_ticket(c.ResolveTicket(t.id, "fulfilled", "已开通"), uow, staff, now=NOW + timedelta(days=1, hours=1))
    done = requests.confirm_resolution(
        c.ConfirmResolution(t.id, 5, "很快"),
        uow,
        caller(subject="zhang", perms=("ticket.create",)),
        now=NOW + timedelta(days=1, hours=2),
    )
    assert done.status.value == "closed" and done.rating == 5
    resolved = next(e for e in uow.published if e.event_name() == "ticket_resolved")
    # 09:00→10:00 running, a day pending, 09:00→10:00 running: 2 business hours
    assert resolved.resolution_business_seconds == 7200 and resolved.first_contact
    assert names(uow)[-2:] == ["ticket_closed", "ticket_rated"]
    assert next(e for e in uow.published if e.event_name() == "ticket_closed").closed_by == "requester"


def test_staff_cannot_work_someone_elses_ticket_and_illegal_moves_name_the_status():
    uow = FakeUnitOfWork()
    t = submit(uow)  # auto-assigned to s1
    with pytest.raises(PermissionDenied):
        queue.change_status(
            c.ChangeStatus(t.id, "start"), uow, caller(subject="s2", perms=("ticket.work",), staff_id="s2")
        )
    with pytest.raises(FailedPrecondition) as err:
        queue.change_status(
            c.ChangeStatus(t.id, "resume"), uow, caller(subject="s1", perms=("ticket.work",), staff_id="s1")
        )
    assert "status assigned" in err.value.message


def test_unknown_assignee_is_not_found():
    uow = FakeUnitOfWork()
    t = submit(uow)
    with pytest.raises(NotFound):
        queue.assign_ticket(c.AssignTicket(t.id, "ghost"), uow, caller(subject="lead", staff_id="lead"))


def test_deadlines_fire_warning_then_breach_once_and_escalate():
    uow = FakeUnitOfWork()
    uow.orgdir.duty = {}
    submit(uow, item="infra.network.fault")  # high: response 30 min, resolution 8 h
    factory = uow.factory()
    sla.fire_due_deadlines(c.FireDueDeadlines(), factory, now=NOW + timedelta(minutes=22, seconds=30))  # 75 % of 30 min
    assert names(uow)[-1] == "sla_warning"
    sla.fire_due_deadlines(c.FireDueDeadlines(), factory, now=NOW + timedelta(minutes=22, seconds=30))
    assert names(uow).count("sla_warning") == 1
    sla.fire_due_deadlines(c.FireDueDeadlines(), factory, now=NOW + timedelta(minutes=31))
    breach = [e for e in uow.published if e.event_name() == "sla_breached"]
    assert [b.target for b in breach] == ["response"]
    # resolution: 8 business hours from Wed 09:00 → Thu 10:30 (lunch breaks, evening)
    sla.fire_due_deadlines(c.FireDueDeadlines(), factory, now=datetime(2026, 11, 26, 10, 30, tzinfo=CST))
    esc = [e for e in uow.published if e.event_name() == "ticket_escalated"]
    assert esc and esc[0].level == 1 and esc[0].to_position_id == "pos-net-lead" and esc[0].to_staff_id == "lead"
    assert names(uow).count("sla_breached") == 2
    sla.fire_due_deadlines(c.FireDueDeadlines(), factory, now=datetime(2026, 11, 26, 10, 30, tzinfo=CST))
    assert names(uow).count("sla_breached") == 2


def test_change_sequential_approval_then_implementation():
    uow = FakeUnitOfWork()
    rfc = {"risk": "high", "plan": "升级数据库版本", "rollback_plan": "回退到快照", "ci_ids": ["ci-db-01"]}
    t = submit(uow, item="app.change", form={"system": "人口库"}, details=rfc)
    assert t.ticket_type == "change" and t.number.startswith("CHG-")
    lead = caller(subject="lead", staff_id="lead")  # the change manager (CAB)
    officer = caller(subject="huanghy", staff_id="F001", units=["fgw"])  # fgw's change officer
    changes.submit_change(c.SubmitChange(t.id), uow, lead)
    with pytest.raises(PermissionDenied):  # sequential: the department decides first
        changes.decide_change(c.DecideChange(t.id, True, ""), uow, lead)
    changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, officer)
    # each step's approvers are awaited in turn: the department's first, then the CAB's
    awaiting = [e for e in uow.published if e.event_name() == "change_awaiting_approval"]
    assert [[s["step"] for s in e.steps] for e in awaiting] == [["department"], ["cab"]]
    assert awaiting[0].steps[0]["org_unit_id"] == "fgw" and awaiting[0].steps[0]["positions"]
    assert (awaiting[1].risk, awaiting[1].change_type, awaiting[1].status) == ("high", "normal", "awaiting_approval")
    done = changes.decide_change(c.DecideChange(t.id, True, "同意实施"), uow, lead)
    assert names(uow).count("change_awaiting_approval") == 2  # the last approval awaits nobody
    assert done.status.value == "approved"
    with pytest.raises(FailedPrecondition):
        changes.decide_change(c.DecideChange(t.id, True, ""), uow, lead)
    queue.assign_ticket(c.AssignTicket(t.id, "s1"), uow, lead)
    queue.change_status(c.ChangeStatus(t.id, "start"), uow, lead)
    changes.implement_change(c.ImplementChange(t.id, "successful", ""), uow, lead)
    assert names(uow).count("change_approved") == 2 and names(uow)[-1] == "change_implemented"


def test_problem_links_incidents_and_known_error_becomes_an_article():
    uow = FakeUnitOfWork()
    lead = caller(subject="lead", staff_id="lead")
    inc = submit(uow)
    prb = submit(uow, item="app.problem", form={}, title="财政系统频繁超时")
    p = problems.link_incident(c.LinkIncident(prb.id, inc.id), uow, lead)
    assert p.problem.linked_incident_count == 1
    queue.assign_ticket(c.AssignTicket(prb.id, "lead"), uow, lead)
    queue.change_status(c.ChangeStatus(prb.id, "start"), uow, lead)
    p, article = problems.update_problem(
        c.UpdateProblem(prb.id, "连接池耗尽", "重启应用服务", known_error=True), uow, lead
    )
    assert p.status.value == "known_error" and "连接池耗尽" in article.body
    assert knowledge.search_articles(c.SearchArticles("财政系统 超时"), uow, lead)[0].id == article.id


def test_alert_repeats_open_one_incident_and_resolved_resolves_it():
    uow = FakeUnitOfWork()
    factory = uow.factory()
    payload = {"version": "4", "status": "firing", "alerts": [{"status": "firing", "fingerprint": "fp1",
               "labels": {"alertname": "CoreSwitchDown", "severity": "critical", "instance": "10.0.0.1"},
               "annotations": {"summary": "核心交换机离线"}}]}
    results = [alerts.receive_alerts(c.ReceiveAlerts.from_webhook(payload), factory, SYSTEM, now=NOW)[0]
               for _ in range(10)]
    assert len({r["incident_id"] for r in results}) == 1 and results[-1]["repeat_count"] == 10
    assert len(list(uow.state.tickets.values())) == 1
    payload["alerts"][0]["status"] = "resolved"
    r = alerts.receive_alerts(c.ReceiveAlerts.from_webhook(payload), factory, SYSTEM, now=NOW + timedelta(minutes=5))[0]
    t = uow.state.tickets[r["incident_id"]]
    assert t.status.value == "resolved" and t.resolution_code == "auto_resolved_by_alert"
    received = [e for e in uow.published if e.event_name() == "alert_received"]
    assert len(received) == 11 and sum(e.deduplicated for e in received) == 9


def test_every_change_is_audited_with_before_and_after():
    uow = FakeUnitOfWork()
    t = submit(uow)
    queue.transfer_ticket(c.TransferTicket(t.id, "s2"), uow, caller(subject="lead", staff_id="lead"))
    entries = tickets.list_audit(c.ListAudit(t.id), uow, caller())
    transfer = entries[-1]
    assert (
        transfer["actor"] == "lead" and transfer["before"]["assignee"] == "s1" and transfer["after"]["assignee"] == "s2"
    )


def test_resolved_ticket_closes_itself_after_three_business_days_and_reopen_has_a_window():
    uow = FakeUnitOfWork()
    t = submit(uow)  # assigned to s1
    s1 = caller(subject="s1", perms=("ticket.work",), staff_id="s1")
    queue.resolve_ticket(c.ResolveTicket(t.id, "fixed", ""), uow, s1, now=NOW)
    # Wed 09:00 + 3 business days of 7 h → Fri 27 Nov 17:30: not closed before, closed after
    sla.fire_due_deadlines(c.FireDueDeadlines(), uow.factory(), now=datetime(2026, 11, 27, 17, 0, tzinfo=CST))
    assert uow.state.tickets[t.id].status.value == "resolved"
    sla.fire_due_deadlines(c.FireDueDeadlines(), uow.factory(), now=datetime(2026, 11, 30, 9, 1, tzinfo=CST))
    closed = uow.state.tickets[t.id]
    assert closed.status.value == "closed" and closed.closed_by == "auto"
    requester = caller(subject="zhang", perms=("ticket.create",))
    with pytest.raises(FailedPrecondition) as err:
        requests.reopen_ticket(c.ReopenTicket(t.id, "又坏了"), uow, requester, now=datetime(2026, 12, 30, tzinfo=CST))
    assert "reopen window" in err.value.message
    again = requests.reopen_ticket(
        c.ReopenTicket(t.id, "又坏了"), uow, requester, now=datetime(2026, 12, 1, 10, tzinfo=CST)
    )
    assert again.status.value == "in_progress" and again.reopen_count == 1


def test_escalation_levels_notify_then_reassign_up_the_position_chain():
    uow = FakeUnitOfWork()
    t = submit(uow)  # high incident on the business calendar, assigned to s1
    factory = uow.factory()
    sla.fire_due_deadlines(
        c.FireDueDeadlines(), factory, now=datetime(2026, 11, 26, 10, 30, tzinfo=CST)
    )  # 100 %: notify
    assert uow.state.tickets[t.id].assignee == "s1"
    sla.fire_due_deadlines(
        c.FireDueDeadlines(), factory, now=datetime(2026, 11, 27, 9, 30, tzinfo=CST)
    )  # 150 %: reassign to the lead
    assert uow.state.tickets[t.id].assignee == "lead"
    sla.fire_due_deadlines(
        c.FireDueDeadlines(), factory, now=datetime(2026, 11, 30, 12, 0, tzinfo=CST)
    )  # 200 %: one more position up
    after = uow.state.tickets[t.id]
    assert after.assignee == "boss" and after.escalation_level == 3
    esc = [(e.level, e.to_position_id, e.to_staff_id) for e in uow.published if e.event_name() == "ticket_escalated"]
    assert esc == [(1, "pos-net-lead", "lead"), (2, "pos-net-lead", "lead"), (3, "pos-om-director", "boss")]
    reassigned = [e for e in uow.published if e.event_name() == "ticket_assigned" and e.method == "escalation"]
    assert [e.assignee for e in reassigned] == ["lead", "boss"]
    resolved = queue.resolve_ticket(c.ResolveTicket(t.id, "fixed", ""), uow, caller(subject="boss", staff_id="boss"),
                                    now=datetime(2026, 11, 30, 13, 0, tzinfo=CST))
    ev = next(e for e in uow.published if e.event_name() == "ticket_resolved")
    assert not ev.first_contact and not ev.resolution_sla_met and ev.reassignment_count == 2
    assert resolved.sla_state == "breached"


def test_manual_escalation_keeps_the_callers_reason():
    uow = FakeUnitOfWork()
    t = submit(uow)  # assigned to s1; the item's position is pos-net-engineer
    escalation.escalate_ticket(
        c.EscalateTicket(t.id, "市长热线督办，须当天解决"), uow, caller(subject="lead", staff_id="lead"), now=NOW
    )
    [esc] = [e for e in uow.published if e.event_name() == "ticket_escalated"]
    assert esc.reason == "市长热线督办，须当天解决" and esc.level == 1 and esc.to_staff_id == "lead"
    audit = tickets.list_audit(c.ListAudit(t.id), uow, caller())[-1]
    assert audit["action"] == "escalate" and "市长热线督办" in str(audit["after"])


def test_reassigning_a_pending_ticket_keeps_it_pending_and_its_clocks_paused():
    uow = FakeUnitOfWork()
    t = submit(uow)  # auto-assigned to s1
    s1 = caller(subject="s1", perms=("ticket.work",), staff_id="s1")
    lead = caller(subject="lead", staff_id="lead")
    queue.change_status(c.ChangeStatus(t.id, "start"), uow, s1, now=NOW)
    queue.change_status(c.ChangeStatus(t.id, "pend", "requester"), uow, s1, now=NOW + timedelta(hours=1))
    moved = queue.assign_ticket(c.AssignTicket(t.id, "s2"), uow, lead, now=NOW + timedelta(hours=2))
    assert (moved.status.value, moved.pending_reason, moved.assignee) == ("pending", "requester", "s2")
    assert not moved.sla.resolution.running() and moved.resolution_due_at is None
    assert uow.state.deadlines.get(t.id, []) == []  # nothing is due while the requester is awaited
    again = queue.transfer_ticket(c.TransferTicket(t.id, "s1", "grp-network"), uow, lead,
                                  now=NOW + timedelta(hours=3))
    assert (again.status.value, again.pending_reason) == ("pending", "requester")
    assert "ticket_status_changed" not in names(uow)[-2:]  # the assignments changed no status
    zhang = caller(subject="zhang", perms=("ticket.create",))
    back = requests.supply_info(c.SupplyInfo(t.id, "房间号 502"), uow, zhang, now=NOW + timedelta(days=1))
    assert back.status.value == "in_progress" and back.sla.resolution.elapsed == 3600  # only 09:00–10:00 ran


def test_reprioritising_rederives_the_targets_keeping_the_elapsed_business_time():
    uow = FakeUnitOfWork()
    t = submit(uow, impact="medium", urgency="medium")  # medium (P3): 16 business hours to resolve
    assert t.priority.value == "medium" and t.assignee == "s1"
    agent = caller(subject="zhoujie", perms=("ticket.reprioritise",), staff_id="E009")
    later = NOW + timedelta(hours=3)  # Wed 12:00: 3 business hours spent
    with pytest.raises(InvalidArgument) as err:
        queue.reprioritise_ticket(c.ReprioritiseTicket(t.id, "high", "medium", " "), uow, agent, now=later)
    assert [v.field for v in err.value.violations] == ["reason"]
    with pytest.raises(PermissionDenied):
        queue.reprioritise_ticket(c.ReprioritiseTicket(t.id, "high", "medium", "市领导关注"), uow,
                                  caller(subject="s1", perms=("ticket.work",), staff_id="s1"), now=later)
    with pytest.raises(FailedPrecondition):  # the same impact and urgency: nothing to change
        queue.reprioritise_ticket(c.ReprioritiseTicket(t.id, "medium", "medium", "复核"), uow, agent, now=later)
    up = queue.reprioritise_ticket(c.ReprioritiseTicket(t.id, "high", "medium", "市领导关注"), uow, agent, now=later)
    assert (up.priority.value, up.impact, up.urgency) == ("high", "high", "medium")
    assert up.sla.resolution.target == 8 * 3600
    assert up.sla.resolution.elapsed_at(later, CN) == 3 * 3600  # not a fresh clock
    # 5 business hours left from Wed 12:00: 13:30–17:30, then Thu 09:00–10:00
    assert up.resolution_due_at == datetime(2026, 11, 26, 10, 0, tzinfo=CST)
    [event] = [e for e in uow.published if e.event_name() == "ticket_reprioritised"]
    assert (event.from_priority, event.priority, event.reason, event.reprioritised_by) == (
        "medium", "high", "市领导关注", "E009")
    assert event.resolution_elapsed_business_seconds == 3 * 3600
    entry = [a for a in uow.state.audit if a["action"] == "reprioritise"][-1]
    assert (entry["before"]["priority"], entry["after"]["priority"]) == ("medium", "high")
    [note] = [m for m in uow.state.comments if "市领导关注" in m["body"]]  # on the ticket's timeline
    assert note["visibility"] == "public" and note["author"] == "E009"
    queue.resolve_ticket(c.ResolveTicket(t.id, "fixed", "已恢复"), uow, caller(subject="s1", staff_id="s1"), now=later)
    with pytest.raises(FailedPrecondition):  # only open tickets
        queue.reprioritise_ticket(c.ReprioritiseTicket(t.id, "low", "low", "误报"), uow, agent, now=later)


@pytest.mark.parametrize("labels,unit", [
    ({"department": "czj"}, "czj"), ({"department": "市财政局"}, "czj"), ({"team": "市卫生健康委员会"}, "wjw"),
    ({"department": "市财务处"}, "om-centre"), ({}, "om-centre"),
])
def test_alert_opens_its_incident_in_the_unit_its_labels_name(labels, unit):
    uow = FakeUnitOfWork()
    payload = {"version": "4", "status": "firing", "alerts": [{"status": "firing", "fingerprint": "fp1",
               "labels": {"alertname": "DiskFull", **labels}}]}
    cmd = c.ReceiveAlerts.from_webhook(payload, ("org_unit_id", "department", "team"))
    (r,) = alerts.receive_alerts(cmd, uow.factory(), SYSTEM, now=NOW)
    t = uow.state.tickets[r["incident_id"]]
    assert t.org_unit_id == r["org_unit_id"] == unit
    assert t.alert.labels == {"alertname": "DiskFull", **labels}  # kept as sent


def test_a_comment_publishes_comment_added_with_its_visibility_and_author():
    uow = FakeUnitOfWork()
    uow.orgdir.duty["grp-network"] = ["s1"]
    t = submit(uow)
    requests.add_comment(c.AddComment(t.id, "还是连不上", "public"), uow, caller(subject="zhang"), now=NOW)
    staff = caller(subject="s1", perms=("ticket.work",), staff_id="s1")
    requests.add_comment(c.AddComment(t.id, "交换机端口待查", "internal"), uow, staff, now=NOW)
    public, internal = [e for e in uow.published if e.event_name() == "comment_added"]
    assert (public.visibility, public.author, public.author_staff_id, public.body) == \
        ("public", "zhang", None, "还是连不上")
    assert (internal.visibility, internal.author_staff_id, internal.assignee, internal.requester) == \
        ("internal", "s1", "s1", "zhang")
    assert public.comment_id != internal.comment_id and public.ticket_id == t.id
