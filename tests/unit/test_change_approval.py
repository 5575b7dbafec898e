"""Change approval reaches the right people: approvers come from the change's context (the
requesting unit's own approver positions, the O&M centre's change advisory board), in the order
the change type's route configures; a rejection ends the change with its reason; an emergency
change needs an emergency board member and owes a retrospective review; a standard change of a
pre-approved model needs no approval. Handlers against the in-memory unit of work."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fake_ticket_uow import FakeUnitOfWork, caller

from govkit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from ticket.adapters.details import details_to_json
from ticket.domain import commands as c
from ticket.domain.commands import CreateTicket
from ticket.handlers import changes, queue, tickets

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=CST)
RFC = {"risk": "high", "plan": "核心交换机固件升级", "rollback_plan": "回退固件", "ci_ids": ["ci-sw-01"]}
APPROVE = ("ticket.approve_change", "ticket.read")


def change(uow, org_unit_id="fgw-xxc", item=None, **rfc):
    cmd = CreateTicket(title="核心交换机固件升级", description="", org_unit_id=org_unit_id, category="infrastructure",
                       priority="" if item else "high", ticket_type="change", details={**RFC, **rfc},
                       catalogue_item_id=item, form={"system": "人口库"} if item else {})
    return tickets.create_ticket(cmd, uow, caller(subject="zhang"), now=NOW).ticket


def person(staff, units=None, perms=APPROVE + ("ticket.work",)):
    return caller(subject=f"u-{staff}", perms=perms, staff_id=staff, units=units)


# the CAB (change manager and network lead) and the director
LEAD, BOSS = person("lead", perms=APPROVE + ("ticket.work", "ticket.assign")), person("boss")
F001, C001 = person("F001", units=["fgw", "fgw-xxc"]), person("C001")  # fgw's and czj's change officers


def approvals(uow, t):
    return [(a["step"], a["approver"], a["decision"]) for a in details_to_json(uow.state.tickets[t.id])["approvals"]]


def test_a_departments_change_is_approved_by_its_own_officer_then_the_cab_in_that_order():
    uow = FakeUnitOfWork()
    t = change(uow)  # fgw's information division: fgw's officer approves for it
    changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    steps = details_to_json(uow.state.tickets[t.id])["approval_steps"]
    assert [(s["name"], s["positions"]) for s in steps] == [
        ("department", ["fgw-officer"]), ("cab", ["pos-change-manager", "pos-net-lead"])]
    with pytest.raises(PermissionDenied):  # czj's officer is no approver of fgw's change
        changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, C001, now=NOW)
    with pytest.raises(PermissionDenied) as err:  # sequential: the department decides first
        changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, LEAD, now=NOW)
    assert "fgw-officer" in err.value.message
    first = changes.decide_change(c.DecideChange(t.id, True, "业务同意"), uow, F001, now=NOW + timedelta(hours=1))
    assert first.status.value == "awaiting_approval"
    with pytest.raises(PermissionDenied):  # one person, one decision per change
        changes.decide_change(c.DecideChange(t.id, True, ""), uow, F001, now=NOW + timedelta(hours=1))
    done = changes.decide_change(c.DecideChange(t.id, True, "CAB 同意"), uow, LEAD, now=NOW + timedelta(hours=2))
    assert done.status.value == "approved"
    assert approvals(uow, t) == [("department", "F001", "approved"), ("cab", "lead", "approved")]
    approved = [e for e in uow.published if e.event_name() == "change_approved"]
    assert [(e.step, e.approver, e.position_id) for e in approved] == [
        ("department", "F001", "fgw-officer"), ("cab", "lead", "pos-change-manager")]


def test_an_officer_acts_only_within_the_scope_of_their_department():
    uow = FakeUnitOfWork()
    t = change(uow, org_unit_id="czj")
    changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    with pytest.raises(PermissionDenied):
        changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, F001, now=NOW)
    changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, C001, now=NOW)
    assert approvals(uow, t) == [("department", "C001", "approved")]


def test_a_rejection_needs_a_reason_and_ends_the_change_with_it():
    uow = FakeUnitOfWork()
    t = change(uow, org_unit_id="fgw")
    changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    with pytest.raises(InvalidArgument) as err:
        changes.decide_change(c.DecideChange(t.id, False, " "), uow, F001, now=NOW)
    assert [v.field for v in err.value.violations] == ["comment"]
    rejected = changes.decide_change(c.DecideChange(t.id, False, "与年终结算窗口冲突"), uow, F001, now=NOW)
    assert rejected.status.value == "rejected"
    assert details_to_json(rejected)["rejection_reason"] == "与年终结算窗口冲突"
    with pytest.raises(FailedPrecondition):  # the CAB has nothing left to decide
        changes.decide_change(c.DecideChange(t.id, True, ""), uow, LEAD, now=NOW)
    [event] = [e for e in uow.published if e.event_name() == "change_rejected"]
    assert (event.step, event.comment) == ("department", "与年终结算窗口冲突")


def test_an_emergency_change_needs_an_emergency_board_member_and_owes_a_retrospective_review():
    uow = FakeUnitOfWork()
    t = change(uow, org_unit_id="fgw", change_type="emergency")
    changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    with pytest.raises(PermissionDenied):  # the department officer is not on the emergency board
        changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, F001, now=NOW)
    with pytest.raises(PermissionDenied):  # nor is the network lead (CAB, not emergency CAB)
        changes.decide_change(c.DecideChange(t.id, True, "同意"), uow, person("nl"), now=NOW)
    done = changes.decide_change(c.DecideChange(t.id, True, "紧急同意"), uow, BOSS, now=NOW)
    assert done.status.value == "approved" and approvals(uow, t) == [("ecab", "boss", "approved")]
    review = details_to_json(done)["retrospective_review"]
    assert review["status"] == "pending" and review["positions"] == ["pos-change-manager", "pos-net-lead"]
    queue.assign_ticket(c.AssignTicket(t.id, "s1"), uow, LEAD, now=NOW)
    queue.change_status(c.ChangeStatus(t.id, "start"), uow, LEAD, now=NOW)
    changes.implement_change(c.ImplementChange(t.id, "successful", "已升级"), uow, LEAD, now=NOW)
    with pytest.raises(PermissionDenied):  # the retrospective review is the CAB's
        changes.review_change(c.ReviewChange(t.id, "复盘"), uow, person("s1"), now=NOW)
    closed = changes.review_change(c.ReviewChange(t.id, "事后复盘：变更必要，流程合规"), uow, LEAD,
                                   now=NOW + timedelta(days=1))
    review = details_to_json(closed)["retrospective_review"]
    assert closed.status.value == "closed"
    assert (review["status"], review["reviewer"], review["review"]) == ("done", "lead", "事后复盘：变更必要，流程合规")


def test_a_standard_change_of_a_pre_approved_model_needs_no_approval():
    uow = FakeUnitOfWork()
    t = change(uow, org_unit_id="fgw", item="app.change", change_type="standard")
    with pytest.raises(FailedPrecondition) as err:  # app.change is not a pre-approved model by default
        changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    assert "app.change" in err.value.message
    changes.upsert_change_route(c.UpsertChangeRoute(
        {"change_type": "standard", "steps": [], "catalogue_item_ids": ["app.change"]}), uow, caller())
    done = changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    assert done.status.value == "approved" and details_to_json(done)["approvals"] == []


def test_the_route_per_change_type_is_configuration():
    uow = FakeUnitOfWork()
    routes = {r.change_type: r for r in changes.list_change_routes(c.ListChangeRoutes(), uow, caller())}
    assert [s.name for s in routes["normal"].steps] == ["department", "cab"] and routes["normal"].sequential
    assert [s.name for s in routes["emergency"].steps] == ["ecab"] and routes["emergency"].retrospective_review
    assert routes["standard"].steps == ()
    with pytest.raises(InvalidArgument) as err:
        changes.upsert_change_route(c.UpsertChangeRoute(
            {"change_type": "normal", "steps": [{"name": "cab", "responsibility": "change_cab", "scope": "anywhere"}]}),
            uow, caller())
    assert [v.field for v in err.value.violations] == ["steps[0].scope"]
    changes.upsert_change_route(c.UpsertChangeRoute(
        {"change_type": "normal", "sequential": True,
         "steps": [{"name": "cab", "responsibility": "change_cab", "scope": "om_centre"},
                   {"name": "department", "responsibility": "change", "scope": "requesting_unit"}]}),
        uow, caller())
    t = change(uow, org_unit_id="fgw")
    changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    with pytest.raises(PermissionDenied):  # now the CAB decides first
        changes.decide_change(c.DecideChange(t.id, True, ""), uow, F001, now=NOW)
    changes.decide_change(c.DecideChange(t.id, True, ""), uow, LEAD, now=NOW)
    assert changes.decide_change(c.DecideChange(t.id, True, ""), uow, F001, now=NOW).status.value == "approved"


def test_a_unit_without_an_approver_cannot_submit_and_the_requester_does_not_choose_the_order():
    uow = FakeUnitOfWork()
    t = change(uow, org_unit_id="gaj")
    with pytest.raises(FailedPrecondition) as err:
        changes.submit_change(c.SubmitChange(t.id), uow, LEAD, now=NOW)
    assert "gaj" in err.value.message and "approval:change" in err.value.message
    with pytest.raises(InvalidArgument) as err:
        change(uow, approval_mode="all_of")
    assert [v.field for v in err.value.violations] == ["change.approval_mode"]
    own = change(uow, org_unit_id="om-centre")  # the O&M centre's own change: its director, then the CAB
    changes.submit_change(c.SubmitChange(own.id), uow, LEAD, now=NOW)
    steps = details_to_json(uow.state.tickets[own.id])["approval_steps"]
    assert [s["positions"] for s in steps] == [["pos-om-director"], ["pos-change-manager", "pos-net-lead"]]
