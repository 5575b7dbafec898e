"""Issue 12 items 8–11: findings that respect the indicator's direction, a plan that is mostly
"no data" is not published without an override, rectification tickets do not feed the SLA KPIs,
indicators say which object kinds they apply to, and the default model's objects are the O&M
organisation's, not the customer departments'."""

from __future__ import annotations

import dataclasses

import pytest

from evaluation.adapters import reports
from evaluation.domain import kpis
from evaluation.domain import model as m
from evaluation.domain import plan as p
from govkit.errors import FailedPrecondition, InvalidArgument
from tests.eval_events import lifecycle

L = kpis.Level


# ---- item 10: direction-aware findings ---------------------------------------------------
def test_a_lower_is_better_indicator_above_baseline_is_reported_as_above_baseline():
    obj = p.EvalObject("group", "grp-app", "om-centre")
    values = {(L.INDIVIDUAL, "om-centre/group/grp-app"): {"response_time_mean_s": 7200, "sla_attainment_pct": 50}}
    r = p.compute_object(m.DEFAULT_MODEL, obj, values, {})
    rows = {row["code"]: row for row in r["indicators"]}
    assert rows["ind_response_speed"]["status"] == "below_baseline"  # the wire value is kept
    slow = [f for f in r["findings"] if f.startswith("平均响应时长")]
    assert slow and "高于基线（未达标" in slow[0] and "低于基线" not in slow[0], slow
    low = [f for f in r["findings"] if f.startswith("个人SLA达成率")]
    assert low and "低于基线（未达标" in low[0], low
    assert reports.status_name(rows["ind_response_speed"]) == "高于基线（未达标）"
    assert reports.status_name(rows["ind_personal_sla"]) == "低于基线（未达标）"


# ---- item 10: a plan without data is not published silently ---------------------------
def _results(n_data, n_none):
    rows = [{"status": "ok"}] * n_data + [{"status": "no_data"}] * n_none
    return {"objects": [{"object_id": "om-centre", "indicators": rows}]}


def test_a_mostly_no_data_plan_needs_an_override_with_a_reason_to_be_published():
    assert p.no_data_share(_results(4, 6)) == 0.6
    with pytest.raises(FailedPrecondition) as err:
        p.check_publishable(_results(4, 6), max_no_data_share=0.5, override_reason="")
    assert "60%" in err.value.message
    p.check_publishable(_results(4, 6), max_no_data_share=0.5, override_reason="新系统首月，数据不全，经主任同意发布")
    p.check_publishable(_results(5, 5), max_no_data_share=0.5, override_reason="")  # half is not "most"
    with pytest.raises(InvalidArgument):
        p.check_publishable(_results(4, 6), max_no_data_share=0.5, override_reason="   ")


# ---- item 9: rectification work does not feed the SLA KPIs --------------------------------
def test_a_rectification_ticket_is_counted_apart_from_the_sla_kpis():
    led = kpis.Ledger()
    led.apply_all(lifecycle("czj", ttype="rectification", sla_met=False, breach=True, response_s=4000,
                            resolution_s=40 * 3600))
    raw = kpis.derive(led.raw(L.ORGANIZATION, "czj", ["all"]))
    assert raw.get("rectifications_opened") == 1 and raw.get("rectifications_resolved") == 1
    for name in ("sla_breaches", "tickets_resolved", "sla_attainment_pct", "response_time_mean_s",
                 "resolution_time_mean_s", "response_sla_attainment_pct", "tickets_created"):
        assert name not in raw or not raw[name], name


# ---- item 8: who an indicator applies to ------------------------------------------------
def test_indicators_say_which_object_kinds_they_apply_to():
    ind = m.DEFAULT_MODEL.indicator("org_sla_attainment")
    assert "department" not in ind.applies_to
    confirm = m.DEFAULT_MODEL.indicator("dept_cooperation")
    assert confirm is not None and confirm.applies_to == ("department",)
    dept = p.EvalObject("department", "czj", "czj")
    assert [i.code for i in m.DEFAULT_MODEL.indicators if dept.applies(i)] == ["dept_cooperation"]
    assert not p.EvalObject("org_unit", "om-centre", "om-centre").applies(confirm)
    bad = dataclasses.replace(ind, applies_to=("planet",))
    with pytest.raises(InvalidArgument) as err:
        m.validate(dataclasses.replace(m.DEFAULT_MODEL, indicators=(bad, *m.DEFAULT_MODEL.indicators[1:])))
    assert "model.indicators[0].applies_to" in {v.field for v in err.value.violations}


def test_plan_objects_need_an_indicator_that_applies_to_them():
    with pytest.raises(InvalidArgument) as err:
        p.check_objects(m.DEFAULT_MODEL, [p.EvalObject("org_unit", "om-centre", "om-centre"),
                                          p.EvalObject("org_unit", "czj", "czj")], {"czj": "department"})
    [v] = err.value.violations
    assert v.field == "objects[1]" and "department" in v.reason
    p.check_objects(m.DEFAULT_MODEL, [p.EvalObject("department", "czj", "czj"),
                                      p.EvalObject("group", "grp-app", "om-centre")], {"czj": "department"})
    with pytest.raises(InvalidArgument) as err:  # the O&M centre is no customer department
        p.check_objects(m.DEFAULT_MODEL, [p.EvalObject("department", "om-centre", "om-centre")],
                        {"om-centre": "om_centre"})
    assert "not a customer department" in err.value.violations[0].reason


def test_owners_are_positions_not_free_text():
    assert all(not i.owner_position for i in m.DEFAULT_MODEL.indicators)
    bad = dataclasses.replace(m.DEFAULT_MODEL.indicators[0], owner_position="事件经理")
    with pytest.raises(InvalidArgument) as err:
        m.validate(dataclasses.replace(m.DEFAULT_MODEL, indicators=(bad, *m.DEFAULT_MODEL.indicators[1:])))
    assert "model.indicators[0].owner_position" in {v.field for v in err.value.violations}


# ---- item 8: the O&M centre's groups are measured on the tickets they handle --------------
class _Org:
    parents = {"fgw": "gov", "czj": "gov", "om-centre": "gov", "gov": None}
    groups = {"grp-application": "om-centre"}

    def ancestors(self, unit):
        out, u = [], self.parents.get(unit)
        while u:
            out.append(u)
            u = self.parents.get(u)
        return out

    def unit_of_group(self, group_id):
        return self.groups.get(group_id)


def test_a_ticket_counts_for_the_o_and_m_unit_whose_group_handles_it():
    led = kpis.Ledger()
    led.apply_all(lifecycle("czj", assignee="E008", group="grp-application", sla_met=False), _Org())
    for level, subject in [(L.ORGANIZATION, "om-centre"), (L.INDIVIDUAL, "om-centre/group/grp-application"),
                           (L.INDIVIDUAL, "om-centre/staff/E008"), (L.PROCESS, "om-centre/incident"),
                           (L.INDIVIDUAL, "czj/group/grp-application"), (L.ORGANIZATION, "czj")]:
        assert kpis.derive(led.raw(level, subject, ["all"]))["tickets_resolved"] == 1, subject
    assert kpis.derive(led.raw(L.ORGANIZATION, "gov", ["all"]))["tickets_resolved"] == 1  # once, not twice


# ---- item 11: cost, availability and security indicators fed from events -------------------
def _budget_event(name, eid, unit, at, **data):
    from govkit.events import Envelope

    return Envelope(id=eid, source="budget", type=f"govops.budget.{name}.v1", time=at, subject="b1",
                    org_unit_id=unit, correlationid="c", data={"budget_id": "b1", "org_unit_id": unit, **data})


def test_cost_kpis_come_from_budget_events_and_the_tickets_of_the_same_unit():
    led = kpis.Ledger()
    led.apply_all([
        _budget_event("budget_approved", "a1", "fgw", "2026-01-20T02:00:00+00:00", year=2026, total="1000000.00",
                      approved_at="2026-01-20T02:00:00+00:00", asset_count=90),
        _budget_event("expense_recorded", "x1", "fgw", "2026-11-03T02:00:00+00:00", year=2026, amount="300000.00",
                      fee_category="software_om"),
        _budget_event("expense_recorded", "x2", "fgw", "2026-11-04T02:00:00+00:00", year=2026, amount="150000.50",
                      fee_category="hardware_om"),
        *lifecycle("fgw"), *lifecycle("fgw"),
    ], _Org())
    for subject in ("fgw", "gov"):
        k = kpis.derive(led.raw(L.ORGANIZATION, subject, ["all"]))
        assert k["budget_approved_total"] == 1000000 and k["om_spend"] == 450000.5, subject
        assert k["budget_execution_pct"] == 45.00005 and k["om_spend_per_ticket"] == 225000.25, subject
        # the assets the approved budget covers: O&M spend per asset
        assert k["budget_assets"] == 90 and k["om_spend_per_asset"] == 5000.005556, subject  # 450,000.50 / 90
    # the approval counts in its budget year's first month: a year's window has both sides
    assert kpis.derive(led.raw(L.ORGANIZATION, "fgw", ["m2026-01"]))["budget_approved_total"] == 1000000


def test_availability_and_security_kpis_come_from_alert_and_security_incidents():
    from tests.eval_events import envelope

    t = {"id": "t-alert", "dept": "fgw", "type": "incident", "catalogue": "infra.monitoring.alert"}
    s = {"id": "t-sec", "dept": "fgw", "type": "incident", "catalogue": "infra.security.incident"}
    led = kpis.Ledger()
    led.apply_all([envelope("ticket_created", t, kpis.parse_time("2026-11-02T02:00:00Z"),
                            "c1", channel="alert", title="告警"),
                   envelope("ticket_created", s, kpis.parse_time("2026-11-02T03:00:00Z"), "c2", channel="api",
                            title="安全事件"),
                   *lifecycle("fgw")], _Org())
    k = kpis.derive(led.raw(L.ORGANIZATION, "fgw", ["all"]))
    assert k["alert_incidents"] == 1 and k["security_incidents"] == 1 and k["incidents_created"] == 3
    for code, kpi in (("org_budget_execution", "budget_execution_pct"), ("org_alert_incidents", "alert_incidents"),
                      ("org_security_incidents", "security_incidents")):
        ind = m.DEFAULT_MODEL.indicator(code)
        assert ind is not None and ind.kpi == kpi, code
