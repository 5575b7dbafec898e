"""The nine-grid model: formula parser, validation, scoring rules, plan results, accountability
rules, and handlers against a fake unit of work."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from evaluation import handlers_eval as ev
from evaluation.domain import formula, kpis
from evaluation.domain import model as m
from evaluation.domain import plan as p
from evaluation.domain.commands import AdvancePlan, CreateModel, CreatePlan, SubmitManualScore
from govkit.auth import Principal, Scope
from govkit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from tests.unit.evaluation_fakes import FakeUow

KNOWN = frozenset(kpis.KPI_NAMES)


# ---- formulas ----------------------------------------------------------------------------
def test_formula_evaluates_arithmetic_over_kpis():
    tree = formula.parse("100 * tickets_resolved / tickets_created - min(sla_breaches, 5)", KNOWN)
    assert formula.evaluate(tree, {"tickets_resolved": 3, "tickets_created": 4, "sla_breaches": 2}) == 73


@pytest.mark.parametrize("text,reason", [
    ("foo + 1", "unknown KPI 'foo'"),
    ("tickets_created / 0", "divides by zero"),
    ("__import__('os').system('x')", "only the functions"),
    ("tickets_created.real", "Attribute is not allowed"),
    ("tickets_created ** 2", "operator Pow is not allowed"),
    ("'a'", "only numbers"),
    ("", "must not be empty"),
    ("tickets_created +", "not a valid expression"),
    ("[tickets_created]", "List is not allowed"),
])
def test_formula_rejects_anything_outside_the_whitelist(text, reason):
    with pytest.raises(formula.FormulaError) as err:
        formula.parse(text, KNOWN)
    assert reason in str(err.value)


def test_runtime_division_by_zero_or_missing_kpi_is_no_data():
    tree = formula.parse("tickets_resolved / tickets_created", KNOWN)
    assert formula.evaluate(tree, {"tickets_resolved": 1, "tickets_created": 0}) is None
    assert formula.evaluate(tree, {"tickets_resolved": 1}) is None


# ---- validation --------------------------------------------------------------------------
def _fields(exc: InvalidArgument) -> dict:
    return {v.field: v.reason for v in exc.violations}


def test_default_model_is_valid_and_fills_all_nine_cells():
    m.validate(m.DEFAULT_MODEL)
    cells = {i.cell for i in m.DEFAULT_MODEL.indicators}
    assert cells == {f"{lv}.{d}" for lv in m.LEVELS for d in m.DIMENSIONS}


def _with(**changes) -> m.Model:
    return dataclasses.replace(m.DEFAULT_MODEL, **changes)


def test_weights_not_summing_to_100_per_level_are_rejected():
    inds = list(m.DEFAULT_MODEL.indicators)
    inds[0] = dataclasses.replace(inds[0], weight=inds[0].weight + 5)
    with pytest.raises(InvalidArgument) as err:
        m.validate(_with(indicators=tuple(inds)))
    assert "weights of level organization must sum to 100 (got 105)" in _fields(err.value)["model.indicators"]


def test_a_model_without_all_three_levels_is_rejected():
    inds = tuple(i for i in m.DEFAULT_MODEL.indicators if i.level != "individual")
    with pytest.raises(InvalidArgument) as err:
        m.validate(_with(indicators=inds))
    assert "level individual" in _fields(err.value)["model.indicators"]


def test_every_bad_indicator_field_is_named_at_once():
    inds = list(m.DEFAULT_MODEL.indicators)
    inds[0] = dataclasses.replace(inds[0], kind="formula", formula="nope * 2")
    inds[1] = dataclasses.replace(inds[1], kind="formula", formula="tickets_created / 0")
    codes = [i.code for i in inds]
    manual, lower = codes.index("org_rules_in_place"), codes.index("proc_resolution_time")
    inds[manual] = dataclasses.replace(inds[manual], baseline=140)  # a manual indicator
    inds[lower] = dataclasses.replace(inds[lower], target=inds[lower].baseline)  # lower_better: target < baseline
    with pytest.raises(InvalidArgument) as err:
        m.validate(_with(indicators=tuple(inds), level_weights={"organization": 50, "process": 30, "individual": 30}))
    f = _fields(err.value)
    assert "unknown KPI 'nope'" in f["model.indicators[0].formula"]
    assert "divides by zero" in f["model.indicators[1].formula"]
    assert "between 0 and 100" in f[f"model.indicators[{manual}].baseline"]
    assert "below the baseline" in f[f"model.indicators[{lower}].target"]
    assert "sum to 100" in f["model.level_weights"]


# ---- scoring -----------------------------------------------------------------------------
def _ind(**kw) -> m.Indicator:
    base = dict(code="x", name="x", level="organization", dimension="goals", kind="kpi", kpi="sla_attainment_pct",
                baseline=80, target=100, weight=100)
    return m.Indicator(**{**base, **kw})


def test_linear_scoring_is_60_at_baseline_100_at_target_and_falls_to_0():
    ind = _ind()
    assert m.score(ind, 80) == 60 and m.score(ind, 100) == 100 and m.score(ind, 120) == 100
    assert m.score(ind, 90) == 80 and m.score(ind, 70) == 30 and m.score(ind, 50) == 0
    low = _ind(direction="lower_better", baseline=8, target=4)
    assert m.score(low, 4) == 100 and m.score(low, 6) == 80 and m.score(low, 10) == 30
    assert m.below_baseline(low, 9) and not m.below_baseline(low, 8)


def test_banded_pass_fail_and_direct_rules():
    banded = _ind(rule="banded", direction="lower_better", baseline=10, target=2,
                  bands=(m.Band(2, 100), m.Band(5, 80), m.Band(10, 60)))
    assert [m.score(banded, v) for v in (0, 3, 7, 11)] == [100, 80, 60, 0]
    pf = _ind(rule="pass_fail", direction="lower_better", baseline=20, target=10)
    assert m.score(pf, 9) == 100 and m.score(pf, 11) == 0
    assert m.score(_ind(rule="direct"), 85) == 85 and m.score(_ind(rule="direct"), None) is None


def test_workload_balance_aggregate():
    assert m.aggregate("balance", [10, 10, 10]) == 100
    assert round(m.aggregate("balance", [5, 15]), 6) == 50
    assert m.aggregate("balance", [3]) is None and m.aggregate("mean", [1, 3]) == 2


# ---- plan results ------------------------------------------------------------------------
def test_object_results_fill_cells_levels_overall_and_rank():
    L = kpis.Level
    values = {
        (L.ORGANIZATION, "fgw"): {"sla_attainment_pct": 90, "satisfaction_avg": 4.5, "catalogue_coverage_pct": 90,
                                  "sla_breaches": 0, "resolution_time_mean_s": 3 * 3600,
                                  "first_contact_resolution_pct": 80, "resolution_time_p90_s": 6 * 3600,
                                  "reopen_rate_pct": 2},
        (L.ORGANIZATION, "czj"): {"sla_attainment_pct": 70},
        (L.INDIVIDUAL, "fgw/staff/a"): {"sla_attainment_pct": 90, "tickets_assigned": 10, "response_time_mean_s": 600},
        (L.INDIVIDUAL, "fgw/staff/b"): {"sla_attainment_pct": 100, "tickets_assigned": 10, "response_time_mean_s": 600},
    }
    manual = {"org_rules_in_place": {"score": 80, "evidence": "制度汇编"}, "ind_position_duties": {"score": 90}}
    fgw = p.compute_object(m.DEFAULT_MODEL, p.EvalObject("org_unit", "fgw", "fgw"), values, manual)
    czj = p.compute_object(m.DEFAULT_MODEL, p.EvalObject("org_unit", "czj", "czj"), values, {})
    assert set(fgw["cells"]) == {f"{lv}.{d}" for lv in m.LEVELS for d in m.DIMENSIONS}
    rows = {r["code"]: r for r in fgw["indicators"]}
    assert rows["ind_personal_sla"]["actual"] == 95 and rows["ind_workload_balance"]["actual"] == 100
    assert rows["proc_change_success"]["status"] == "no_data"  # left out, weights renormalised
    assert fgw["cells"]["process.design"] == 100
    assert czj["indicators"][0]["status"] == "below_baseline"
    assert any("跨部门SLA达成率低于基线" in f for f in czj["findings"])
    p.rank([fgw, czj])
    assert (fgw["rank"], czj["rank"]) == (1, 2)
    p.compare([fgw], [dict(fgw, overall=fgw["overall"] - 5)])
    assert fgw["delta"] == 5


def test_accountability_rules_escalate_with_overdue_days_and_periods_below():
    rules = m.AccountabilityRules()
    assert rules.due(0, 1) == []
    assert [level for level, _ in rules.due(1, 1)] == ["reminder"]
    assert [level for level, _ in rules.due(31, 1)] == ["reminder", "formal_talk", "notice_of_criticism"]
    assert [level for level, _ in rules.due(-5, 3)] == ["reminder", "formal_talk"]


# ---- handlers against a fake unit of work -------------------------------------------------
def _caller(*perms, units=None):
    return Principal("u", "u", (), frozenset(perms), Scope(None if units is None else frozenset(units)))


def test_create_model_assigns_the_next_version_and_dry_run_stores_nothing():
    uow = FakeUow()
    first = ev.create_model(CreateModel(m.DEFAULT_MODEL), uow, _caller("evaluation.model.write"))
    second = ev.create_model(CreateModel(m.DEFAULT_MODEL), uow, _caller("evaluation.model.write"))
    assert (first.version, second.version) == (1, 2)
    ev.create_model(CreateModel(m.DEFAULT_MODEL, dry_run=True), uow, _caller())
    assert len(uow.eval.models) == 2 and uow.committed == 2


def test_create_plan_names_every_bad_field_before_touching_storage():
    uow = FakeUow()
    with pytest.raises(InvalidArgument) as err:
        ev.create_plan(
            CreatePlan(
                "",
                "om-centre",
                "",
                "m",
                0,
                date(2026, 11, 30),
                date(2026, 11, 1),
                ({"kind": "planet", "id": "x"}, {"kind": "process", "id": "juggling", "org_unit_id": "gov"}),
            ),
            uow,
            _caller("evaluation.run"),
        )
    assert set(_fields(err.value)) == {"name", "subject_role", "period_end", "objects[0].kind", "objects[1].id"}
    with pytest.raises(PermissionDenied):
        ev.create_plan(CreatePlan("月度评价", "om-centre", "director", "m", 0, date(2026, 11, 1), date(2026, 11, 30),
                                  ({"kind": "org_unit", "id": "fgw"},)), uow, _caller("evaluation.run", units={"fgw"}))


def _plan(uow, state):
    uow.eval.add_model("ninegrid_default", 1, "x", {**m.DEFAULT_MODEL.to_dict(), "version": 1}, "u")
    uow.eval.plans["p1"] = {"id": "p1", "state": state, "subject_org_unit_id": "om-centre",
                            "model_code": "ninegrid_default",
                            "model_version": 1, "objects": [{"kind": "org_unit", "id": "fgw", "org_unit_id": "fgw"}]}


def test_steps_out_of_order_or_by_the_wrong_role_are_refused_and_nothing_changes():
    uow = FakeUow()
    _plan(uow, "draft")
    with pytest.raises(FailedPrecondition):
        ev.advance_plan(AdvancePlan("p1", "review"), uow, _caller("evaluation.run"))
    with pytest.raises(PermissionDenied):
        ev.advance_plan(AdvancePlan("p1", "published"), uow, _caller("evaluation.run"))
    with pytest.raises(InvalidArgument):
        ev.advance_plan(AdvancePlan("p1", "draft"), uow, _caller("*"))
    assert uow.eval.plans["p1"]["state"] == "draft" and uow.committed == 0
    ev.advance_plan(AdvancePlan("p1", "data_collection"), uow, _caller("evaluation.run"))
    assert uow.eval.plans["p1"]["state"] == "data_collection"


def test_manual_scores_out_of_range_or_in_the_wrong_step_are_refused():
    uow = FakeUow()
    _plan(uow, "draft")
    with pytest.raises(InvalidArgument) as err:
        ev.submit_manual_score(SubmitManualScore("p1", "fgw", "org_rules_in_place", 120, ""), uow,
                               _caller("evaluation.score"))
    assert set(_fields(err.value)) == {"score", "evidence"}
    with pytest.raises(FailedPrecondition):
        ev.submit_manual_score(SubmitManualScore("p1", "fgw", "org_rules_in_place", 80, "制度汇编"), uow,
                               _caller("evaluation.score"))
    uow.eval.plans["p1"]["state"] = "self_assessment"
    with pytest.raises(InvalidArgument) as err:
        ev.submit_manual_score(SubmitManualScore("p1", "fgw", "org_sla_attainment", 80, "证据"), uow,
                               _caller("evaluation.score"))
    assert "indicator_code" in _fields(err.value)
