"""Contract: the in-memory planning repository the handler unit tests use (tests/unit/
evaluation_fakes.py) behaves like the PostgreSQL one. Every case runs twice, once per
implementation, through the `PlanningUow` Protocol only; the PostgreSQL run uses this test run's
own migrated database and never commits."""

from __future__ import annotations

from datetime import date

import pytest

from evaluation.adapters.uow import EvaluationUnitOfWork
from evaluation.domain.ports import PlanningUow
from govkit.auth import Scope
from tests.unit.evaluation_fakes import FakeUow

ALL, FGW, CZJ = Scope(None), Scope(frozenset({"fgw"})), Scope(frozenset({"czj"}))


@pytest.fixture(params=["fake", "postgres"])
def uow(request) -> PlanningUow:
    unit: PlanningUow
    if request.param == "fake":
        unit = FakeUow()
    else:
        unit = EvaluationUnitOfWork(request.getfixturevalue("engine_for")("evaluation"))
    with unit:
        yield unit


def _plan(uow, pid, *, unit="om-centre", objects=("fgw",), start=date(2026, 10, 1), end=date(2026, 10, 31),
          state="draft", key=None):
    uow.eval.add_plan(id=pid, name=f"评价{pid}", subject_org_unit_id=unit, subject_role="director", model_code="m",
                      model_version=1, period_start=start, period_end=end, state=state, idempotency_key=key,
                      objects=[{"kind": "org_unit", "id": o, "org_unit_id": o} for o in objects], created_by="u")


def test_models_are_versioned_per_code(uow):
    assert uow.eval.latest_model_version("m") == 0
    uow.eval.add_model("m", 1, "九宫格", {"v": 1}, "u")
    uow.eval.add_model("m", 2, "九宫格", {"v": 2}, "u")
    uow.eval.add_model("a", 1, "另一个", {"v": 1}, "u")
    assert uow.eval.latest_model_version("m") == 2
    assert uow.eval.get_model("m")["definition"] == {"v": 2}  # no version: the latest
    assert uow.eval.get_model("m", 1)["definition"] == {"v": 1}
    assert uow.eval.get_model("m", 3) is None and uow.eval.get_model("x") is None
    assert [(r["code"], r["version"]) for r in uow.eval.list_models()] == [("a", 1), ("m", 1), ("m", 2)]


def test_plans_are_visible_through_their_subject_or_object_units(uow):
    _plan(uow, "p1", objects=("fgw",), key="k1")
    _plan(uow, "p2", objects=("czj",), start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert uow.eval.get_plan("p1", FGW)["name"] == "评价p1"
    assert uow.eval.get_plan("p1", CZJ) is None  # outside the caller's scope reads as missing
    assert uow.eval.get_plan("p1", Scope(frozenset({"om-centre"}))) is not None
    assert uow.eval.plan_by_key("k1")["id"] == "p1" and uow.eval.plan_by_key("k2") is None
    assert [p["id"] for p in uow.eval.list_plans(ALL)] == ["p2", "p1"]  # newest period first
    assert [p["id"] for p in uow.eval.list_plans(CZJ)] == ["p2"]
    uow.eval.update_plan("p1", state="data_collection")
    assert [p["id"] for p in uow.eval.list_plans(ALL, "data_collection")] == ["p1"]


def test_previous_plan_is_the_latest_published_earlier_one_of_the_same_model_and_unit(uow):
    _plan(uow, "aug", start=date(2026, 8, 1), end=date(2026, 8, 31), state="archived")
    _plan(uow, "sep", start=date(2026, 9, 1), end=date(2026, 9, 30), state="published")
    _plan(uow, "sep-draft", start=date(2026, 9, 15), end=date(2026, 9, 30), state="draft")
    _plan(uow, "sep-other", unit="fgw", start=date(2026, 9, 1), end=date(2026, 9, 30), state="published")
    _plan(uow, "oct")
    assert uow.eval.previous_plan(uow.eval.get_plan("oct", ALL))["id"] == "sep"
    assert uow.eval.previous_plan(uow.eval.get_plan("aug", ALL)) is None


def test_manual_scores_upsert_in_order_and_sign_off(uow):
    _plan(uow, "p1", objects=("fgw", "czj"))
    uow.eval.put_manual_score("p1", "fgw", "b_code", 70, "初评", "u1")
    uow.eval.put_manual_score("p1", "czj", "a_code", 90, "", "u1")
    uow.eval.put_manual_score("p1", "fgw", "a_code", 60, "", "u1")
    uow.eval.sign_off("p1", [("fgw", "b_code")], "boss")
    uow.eval.put_manual_score("p1", "fgw", "a_code", 80, "复评", "u2")  # replaces, not adds
    rows = uow.eval.manual_scores("p1")
    assert [(r["object_id"], r["indicator_code"], r["score"], r["scored_by"], r["reviewed_by"]) for r in rows] == [
        ("czj", "a_code", 90, "u1", None), ("fgw", "a_code", 80, "u2", None), ("fgw", "b_code", 70, "u1", "boss")]
    assert uow.eval.manual_scores("other") == []


def test_audit_trail_newest_first_filtered_and_scoped(uow):
    uow.eval.audit("u", "create_plan", "plan", "p1", "fgw", actor_name="张评价", name="评价")
    uow.eval.audit("u", "advance_plan", "plan", "p1", "fgw", to="data_collection")
    uow.eval.audit("u", "create_model", "model", "m", None)
    uow.eval.audit("u", "create_plan", "plan", "p2", "czj")
    assert [a["action"] for a in uow.eval.audit_trail("plan", "p1", ALL)] == ["advance_plan", "create_plan"]
    assert [a["entity_id"] for a in uow.eval.audit_trail(None, None, CZJ)] == ["p2"]
    newest = uow.eval.audit_trail(None, None, ALL, limit=2)
    assert [a["entity_id"] for a in newest] == ["p2", "m"]
    older = uow.eval.audit_trail(None, None, ALL, limit=2, before_id=newest[-1]["id"])  # the next page
    assert [a["action"] for a in older] == ["advance_plan", "create_plan"]
    first = uow.eval.audit_trail("plan", "p1", ALL)[1]
    assert first["detail"] == {"name": "评价"} and (first["actor"], first["actor_name"]) == ("u", "张评价")
    assert uow.eval.audit_trail("plan", "p1", ALL)[0]["actor_name"] == ""  # none given


def test_plan_history_gives_the_latest_overall_scores_of_a_model_and_subject(uow):
    months = [(date(2026, m, 1), date(2026, m, 28)) for m in range(1, 10)]
    for n, (start, end) in enumerate(months):
        _plan(uow, f"h{n}", start=start, end=end)
        uow.eval.update_plan(f"h{n}", state="published", results={"objects": [
            {"object_id": "fgw", "overall": 60.0 + n}, {"object_id": "czj", "overall": None}]})
    _plan(uow, "other-subject", unit="gov", start=date(2026, 5, 1), end=date(2026, 5, 28))
    uow.eval.update_plan("other-subject", results={"objects": [{"object_id": "fgw", "overall": 1.0}]})
    _plan(uow, "no-results", start=date(2026, 5, 1), end=date(2026, 5, 28))
    history = uow.eval.plan_history("m", "om-centre", date(2026, 8, 28))
    assert [h["id"] for h in history] == ["h2", "h3", "h4", "h5", "h6", "h7"]  # six, oldest first, up to August
    assert history[-1]["period_end"] == date(2026, 8, 28)
    assert history[-1]["overall"] == {"fgw": 67.0, "czj": None}
    assert uow.eval.plan_history("m", "om-centre", date(2026, 1, 28), limit=2)[0]["id"] == "h0"
    assert uow.eval.plan_history("x", "om-centre", date(2026, 12, 31)) == []
