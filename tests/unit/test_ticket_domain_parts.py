"""The typed parts of a ticket: change approval steps, the alert dedupe rule, escalation rules,
and their stored form (the `details` JSON keeps its shape)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from govkit.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Validator
from ticket.adapters.details import details_from_json, details_to_json
from ticket.domain.alert import ALERT_ORG_UNIT_ID, AlertNotice, AlertRecord, parse_webhook
from ticket.domain.change import DEFAULT_ROUTES, ApprovalStep, Change, ChangeRoute, resolve_route
from ticket.domain.commands import CreateTicket
from ticket.domain.escalation import EscalationRule
from ticket.domain.model import Ticket
from ticket.domain.sla import DEFAULT_POLICIES, SlaState

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=CST)
RFC = {"risk": "high", "plan": "升级数据库版本", "rollback_plan": "回退到快照", "ci_ids": ["ci-db-01"]}


STEPS = [ApprovalStep("department", "change", "fgw", ["fgw-officer"]),
         ApprovalStep("cab", "change_cab", "om-centre", ["pos-change-manager", "pos-om-director"])]


def change(sequential=True, **kw) -> Change:
    v = Validator()
    c = Change.from_rfc(v, {**RFC, **kw})
    v.check()
    c.submit(STEPS, sequential)
    return c


def test_rfc_reports_every_bad_field_under_change():
    v = Validator()
    Change.from_rfc(v, {"risk": "extreme", "plan": " ", "window_start": "2026-12-01T10:00",
                        "window_end": "2026-12-01T09:00", "approval_mode": "any", "change_type": "urgent"})
    assert {x.field for x in v.violations} == {"change.risk", "change.plan", "change.rollback_plan",
                                               "change.window_end", "change.approval_mode", "change.change_type"}
    v = Validator()
    assert Change.from_rfc(v, {**RFC, "emergency": True}).change_type == "emergency"  # the older flag
    Change.from_rfc(v, {**RFC, "emergency": True, "change_type": "standard"})
    assert [x.field for x in v.violations] == ["change.emergency"]


def test_sequential_steps_decide_in_order_and_the_last_step_is_final():
    c = change()
    with pytest.raises(PermissionDenied) as err:
        c.decide("boss", ["pos-om-director"], True, "", NOW)
    assert "fgw-officer" in err.value.message
    assert c.decide("F001", ["fgw-officer"], True, "同意", NOW)[1] is False
    approval, final = c.decide("boss", ["pos-om-director"], True, "同意实施", NOW)
    assert final and (approval.step, approval.position_id) == ("cab", "pos-om-director") and c.waiting == []


def test_any_order_one_person_one_step_and_a_rejection_is_final_with_its_reason():
    c = change(sequential=False)
    assert c.decide("boss", ["pos-om-director", "fgw-officer"], True, "", NOW)[0].step == "department"
    with pytest.raises(PermissionDenied):  # the same person may not decide the CAB step too
        c.decide("boss", ["pos-om-director"], True, "", NOW)
    assert c.decide("lead", ["pos-change-manager"], True, "", NOW)[1] is True
    with pytest.raises(InvalidArgument):
        change().decide("F001", ["fgw-officer"], False, "", NOW)
    rejecting = change()
    rejected, final = rejecting.decide("F001", ["fgw-officer"], False, "窗口冲突", NOW)
    assert final and rejected.decision == "rejected" and rejecting.rejection_reason == "窗口冲突"


class Directory:
    """gov → fgw → fgw-xxc; the O&M centre; positions with approval duties per unit."""

    UNITS = {"gov": (None, "government"), "fgw": ("gov", "department"), "fgw-xxc": ("fgw", "division"),
             "om-centre": ("gov", "om_centre"), "czj": ("gov", "department")}
    DUTIES = {"fgw-officer": ("fgw", "change"), "gov-officer": ("gov", "change"), "cab-1": ("om-centre", "change_cab"),
              "ecab-1": ("om-centre", "change_ecab")}

    def unit(self, unit_id):
        return {"id": unit_id, "kind": self.UNITS[unit_id][1]} if unit_id in self.UNITS else None

    def ancestors(self, unit_id):
        out, current = [], self.UNITS[unit_id][0]
        while current:
            out.append(current)
            current = self.UNITS[current][0]
        return out

    def units_of_kind(self, kind):
        return [u for u, (_, k) in self.UNITS.items() if k == kind]

    def positions_responsible_for(self, kind, value, org_unit_id=None):
        return sorted(p for p, (u, d) in self.DUTIES.items() if d == value and org_unit_id in (None, u))


def test_a_route_resolves_to_the_requesting_departments_approvers_and_the_om_centres_board():
    normal, emergency, _ = DEFAULT_ROUTES
    steps, retro = resolve_route(normal, "fgw-xxc", Directory())  # a division: its department's officer
    assert [(s.name, s.org_unit_id, s.positions) for s in steps] == [
        ("department", "fgw", ["fgw-officer"]), ("cab", "om-centre", ["cab-1"])] and retro is None
    with pytest.raises(FailedPrecondition) as err:  # czj has none; the government's officer is not czj's
        resolve_route(normal, "czj", Directory())
    assert "czj" in err.value.message and "department" in err.value.message
    steps, retro = resolve_route(emergency, "fgw", Directory())
    assert [s.positions for s in steps] == [["ecab-1"]] and retro.positions == ["cab-1"] and retro.status == "pending"


def test_a_route_is_validated_key_by_key():
    with pytest.raises(InvalidArgument) as err:
        ChangeRoute.from_dict({"change_type": "normal", "steps": [{"name": "", "responsibility": "x", "scope": "y"}]})
    assert {v.field for v in err.value.violations} == {"steps[0].name", "steps[0].scope"}
    with pytest.raises(InvalidArgument) as err:
        ChangeRoute.from_dict({"change_type": "standard", "steps": [{"name": "a", "responsibility": "change",
                                                                      "scope": "om_centre"}]})
    assert [v.field for v in err.value.violations] == ["steps"]
    assert ChangeRoute.from_dict(DEFAULT_ROUTES[1].to_dict()) == DEFAULT_ROUTES[1]


def test_change_details_keep_their_stored_shape_and_extras():
    t = Ticket.open(CreateTicket("升级人口库", "", "wjw", "application", "high", ticket_type="change",
                                 details={**RFC, "vendor_ticket": "HX-7"}), requester="u1", now=NOW)
    assert t.details == {"vendor_ticket": "HX-7"} and t.change.risk == "high"
    t.change.submit(STEPS[:1], True)
    t.change.decide("F001", ["fgw-officer"], True, "同意", NOW)
    stored = details_to_json(t)
    assert stored["approvals"] == [{"step": "department", "position_id": "fgw-officer", "approver": "F001",
                                    "decision": "approved", "comment": "同意", "at": NOW.isoformat()}]
    assert stored["vendor_ticket"] == "HX-7" and stored["approval_steps"][0]["positions"] == ["fgw-officer"]
    back = details_from_json("change", stored)
    assert back["change"] == t.change and back["details"] == {"vendor_ticket": "HX-7"}
    # a change stored before approval routes: one step per approver position, in order
    legacy = details_from_json("change", {**RFC, "approval_mode": "sequential", "approver_positions": ["p1", "p2"],
                                          "approvals": [{"position_id": "p1", "approver": "a", "decision": "approved",
                                                         "comment": "", "at": NOW.isoformat()}]})["change"]
    assert [s.positions for s in legacy.waiting] == [["p2"]] and legacy.approvals[0].step == "p1"


def test_a_firing_alert_repeats_its_open_incident_until_it_is_closed():
    notice = AlertNotice("fp1", "firing", {"alertname": "CoreSwitchDown"})
    first, dedup = AlertRecord.receive(None, notice, None, NOW)
    assert (first.repeat_count, dedup) == (1, False)
    first.incident_id = "inc-1"
    again, dedup = AlertRecord.receive(first, notice, "inc-1", NOW + timedelta(minutes=1))
    assert (again.repeat_count, dedup, again.first_at) == (2, True, NOW)
    # the incident was closed meanwhile: a new one, counting from 1
    fresh, dedup = AlertRecord.receive(again, notice, None, NOW + timedelta(hours=1))
    assert (fresh.repeat_count, dedup) == (1, False)
    resolved, dedup = AlertRecord.receive(again, AlertNotice("fp1", "resolved"), "inc-1", NOW + timedelta(hours=2))
    assert (resolved.repeat_count, resolved.incident_id, dedup) == (2, None, False)


def test_webhook_merges_common_labels_and_names_the_bad_alert():
    [n] = parse_webhook({"status": "firing", "commonLabels": {"severity": "critical", "department": "gaj"},
                         "alerts": [{"fingerprint": "fp1", "labels": {"alertname": "DiskFull"}}]})
    cmd = n.incident(None, "gaj")
    assert (n.status, cmd.org_unit_id, cmd.impact, cmd.urgency) == ("firing", "gaj", "high", "high")
    assert n.incident(None).org_unit_id == ALERT_ORG_UNIT_ID  # no unit mapped: the O&M centre
    assert n.unit_references(("team", "department")) == ["gaj"]
    with pytest.raises(InvalidArgument) as err:
        parse_webhook({"alerts": [{"fingerprint": "fp1", "status": "firing", "labels": {}}, {"status": "firing"}]})
    assert err.value.violations[0].field == "alerts[1].fingerprint"


@pytest.mark.parametrize("stamp,ok", [
    ("2026-03-02T08:00:00Z", True), ("2026-03-02T08:00:00.123456789Z", True), ("0001-01-01T00:00:00Z", True),
    ("2026-03-02T16:00:00+08:00", True), ("2026-03-02 08:00:00z", True), ("2026-02-30T08:00:00Z", False),
    ("2026-03-02T08:00:00", False), ("yesterday", False), ("2026-03-02T25:00:00Z", False),
])
def test_webhook_timestamps_are_rfc3339(stamp, ok):
    alert = {"fingerprint": "f", "status": "resolved", "labels": {}, "startsAt": stamp, "endsAt": stamp}
    if ok:
        assert parse_webhook({"alerts": [alert]})[0].status == "resolved"
    else:
        with pytest.raises(InvalidArgument) as err:
            parse_webhook({"alerts": [alert]})
        assert err.value.violations[0].field == "alerts[0].startsAt"


def test_escalation_rules_reach_up_the_chain_and_survive_storage():
    chain = ["pos-net-lead", "pos-om-director"]
    assert EscalationRule(2, 150, "reassign", 1).target_position(chain) == "pos-net-lead"
    assert EscalationRule(3, 200, "reassign", 5).target_position(chain) == "pos-om-director"
    assert EscalationRule(1, 100, "notify", 1).target_position([]) is None
    sla = SlaState.start(DEFAULT_POLICIES[0], "high", NOW)
    assert SlaState.from_dict(sla.to_dict()) == sla
    assert sla.to_dict()["escalation"][1] == {"level": 2, "at_percent": 150, "action": "reassign", "step": 1}
    assert [r.level for r in sla.rules_due_at_breach(0)] == [1] and sla.rules_due_at_breach(1) == []
