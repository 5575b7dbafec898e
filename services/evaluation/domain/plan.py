"""Evaluation plans: subject, objects, model version, period, steps, scores, rankings.

Steps (a state machine; each move names the permission it needs):

    draft ──run──► data_collection ──run──► self_assessment ──run──► review ──publish──► published ──publish──► archived

* manual scores (with evidence) are entered in data_collection or self_assessment
  (`evaluation.score`, for objects in the caller's scope);
* moving to review needs every manual indicator of every object scored;
* in review a reviewer signs the manual scores off (`evaluation.review`; not one's own scores);
* publishing needs every manual score signed off, computes the final results, opens
  rectification work for every indicator short of its baseline and emits evaluation_published;
* a plan whose results are mostly "no data" (more than `max_no_data_share` of the indicator rows,
  default half) is published only with an explicit override and its reason (audited).

"Short of the baseline" follows the indicator's direction: below it when higher is better, above
it when lower is better. The stored status word stays `below_baseline` (the wire enum value
INDICATOR_STATUS_BELOW_BASELINE is kept for compatibility); what people read — findings, report
status, rectification titles — says 低于基线 or 高于基线 as the direction makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govkit.errors import FailedPrecondition, InvalidArgument, Validator

from . import model as m
from .kpis import Level, subject_parts

STATES = ("draft", "data_collection", "self_assessment", "review", "published", "archived")
NEXT = {"draft": "data_collection", "data_collection": "self_assessment",
        "self_assessment": "review", "review": "published", "published": "archived"}
PERMISSION_FOR = {"data_collection": "evaluation.run", "self_assessment": "evaluation.run",
                  "review": "evaluation.run", "published": "evaluation.publish",
                  "archived": "evaluation.publish"}
SCORING_STATES = ("data_collection", "self_assessment")
OBJECT_KINDS = m.OBJECT_KINDS
LEVELS_OF_KIND = {"org_unit": m.LEVELS, "process": ("process",), "person": ("individual",),
                  "group": ("individual",), "vendor": ("individual",), "department": m.LEVELS}
# Org-directory unit kinds that are customer departments (served, not serving).
CUSTOMER_UNIT_KINDS = ("department",)
_SUBJECT_SEGMENT = {"person": "staff", "group": "group", "vendor": "vendor"}


@dataclass(frozen=True)
class EvalObject:
    kind: str
    id: str
    org_unit_id: str  # the org unit whose KPIs (and scope) the object belongs to

    @property
    def key(self) -> str:
        """Stable object id within a plan: `om-centre`, `gov/incident`, `om-centre/staff/s1`,
        `om-centre/group/g1` (`fgw/group/g1`: the group's work for the department it serves),
        `om-centre/vendor/vendor-hx` (a vendor, measured on the tickets its engineers handled),
        `fgw` (a customer department, kind department)."""
        if self.kind in ("org_unit", "department"):
            return self.id
        if self.kind == "process":
            return f"{self.org_unit_id}/{self.id}"
        return f"{self.org_unit_id}/{_SUBJECT_SEGMENT[self.kind]}/{self.id}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "org_unit_id": self.org_unit_id}

    @classmethod
    def from_dict(cls, d: dict) -> EvalObject:
        return cls(d["kind"], d["id"], d.get("org_unit_id") or d["id"])

    def applies(self, ind: m.Indicator) -> bool:
        return self.kind in ind.applies_to and ind.level in LEVELS_OF_KIND[self.kind]


def check_objects(model: m.Model, objects: list[EvalObject], unit_kinds: dict[str, str]) -> None:
    """A plan's objects against its model: a customer department (by the org directory's unit
    kind) is an object only as kind `department`, on the indicators it owns; every object needs at
    least one indicator that applies to it. Raises InvalidArgument naming `objects[n]`."""
    v = Validator()
    for n, o in enumerate(objects):
        if o.kind == "department" and o.id in unit_kinds and unit_kinds[o.id] not in CUSTOMER_UNIT_KINDS:
            v.fail(f"objects[{n}]", f"{o.id} is not a customer department (kind {unit_kinds[o.id]})")
        elif o.kind == "org_unit" and unit_kinds.get(o.id) in CUSTOMER_UNIT_KINDS:
            v.fail(f"objects[{n}]", f"{o.id} is a customer department: it is not evaluated on the O&M "
                                    "organisation's indicators; evaluate the O&M centre's groups, staff or vendors "
                                    "per served department, or the department as kind department")
        elif not any(o.applies(i) for i in model.indicators):
            v.fail(f"objects[{n}]", f"no indicator of model {model.code} applies to a {o.kind}")
    v.check()


def subject_for(obj: EvalObject, ind: m.Indicator) -> tuple[Level, str] | None:
    """Which live-KPI subject an indicator reads for an object (None: aggregate over staff)."""
    if obj.kind in ("org_unit", "department"):
        if ind.level == "organization":
            return Level.ORGANIZATION, obj.id
        if ind.level == "process":
            return (Level.PROCESS, f"{obj.id}/{ind.process}") if ind.process else (Level.ORGANIZATION, obj.id)
        return None
    return (Level.PROCESS if obj.kind == "process" else Level.INDIVIDUAL), obj.key


SHORTFALL_WORDS = {"higher_better": "低于基线", "lower_better": "高于基线"}
DEFAULT_MAX_NO_DATA_SHARE = 0.5


def shortfall_word(direction: str) -> str:
    """How an indicator short of its baseline reads: 低于基线 (higher is better) or 高于基线."""
    return SHORTFALL_WORDS.get(direction, "低于基线")


def status_text(row: dict) -> str:
    """The reader's word for a result row's status, following the indicator's direction."""
    if row["status"] == "below_baseline":
        return f"{shortfall_word(row.get('direction', 'higher_better'))}（未达标）"
    return {"ok": "达标", "no_data": "无数据"}.get(row["status"], row["status"])


def no_data_share(results: dict) -> float:
    """Share of the indicator rows of all objects that had no data for the period."""
    rows = [r for o in results.get("objects", []) for r in o["indicators"]]
    return sum(r["status"] == "no_data" for r in rows) / len(rows) if rows else 1.0


def check_publishable(results: dict, *, max_no_data_share: float = DEFAULT_MAX_NO_DATA_SHARE,
                      override_reason: str = "") -> float:
    """Refuse to publish results that are mostly "no data" unless an override gives its reason.
    Returns the share; an override without text is InvalidArgument."""
    if override_reason and not override_reason.strip():
        raise InvalidArgument(field="no_data_override_reason", reason="must say why the plan is published anyway")
    share = no_data_share(results)
    if share > max_no_data_share and not override_reason.strip():
        raise FailedPrecondition(
            f"{share:.0%} of the indicator results have no data for the period (more than "
            f"{max_no_data_share:.0%}): publish with an override and its reason, or choose a period with data")
    return share


def staff_subjects(obj: EvalObject, subjects: set[tuple[Level, str]]) -> list[str]:
    return sorted(s for level, s in subjects
                  if level == Level.INDIVIDUAL and subject_parts(s).get("staff") and s.startswith(f"{obj.id}/staff/"))


def compute_object(model: m.Model, obj: EvalObject, values: dict[tuple[Level, str], dict[str, float]],
                   manual: dict[str, dict]) -> dict:
    """Scores of one object: per indicator, cell, level and overall. `values` maps live-KPI
    subjects to their KPI values for the period; `manual` maps indicator code → manual score row."""
    rows: list[dict[str, Any]] = []
    for ind in model.indicators:
        if not obj.applies(ind):
            continue
        actual, evidence = None, ""
        if ind.kind == "manual":
            row = manual.get(ind.code)
            if row is not None:
                actual, evidence = float(row["score"]), row.get("evidence", "")
        else:
            subj = subject_for(obj, ind)
            if subj is None:  # individual level of an org unit: over the unit's staff
                per_person = [m.indicator_value(ind, values.get((Level.INDIVIDUAL, s), {}))
                              for s in staff_subjects(obj, set(values))]
                actual = m.aggregate(ind.aggregate or "mean", per_person)
            else:
                actual = m.indicator_value(ind, values.get(subj, {}))
        sc = m.score(ind, actual)
        status = "no_data" if actual is None else ("below_baseline" if m.below_baseline(ind, actual) else "ok")
        rows.append({"code": ind.code, "name": ind.name, "level": ind.level, "dimension": ind.dimension,
                     "direction": ind.direction,
                     "unit": ind.unit, "baseline": ind.baseline, "target": ind.target, "weight": ind.weight,
                     "actual": None if actual is None else round(actual, 4), "score": sc,
                     "status": status, "manual": ind.kind == "manual", "evidence": evidence})
    cells, levels = {}, {}
    for level in m.LEVELS:
        in_level = [r for r in rows if r["level"] == level]
        if not in_level:
            continue
        levels[level] = m.weighted([(r["weight"], r["score"]) for r in in_level])
        for dim in m.DIMENSIONS:
            in_cell = [r for r in in_level if r["dimension"] == dim]
            if in_cell:
                cells[f"{level}.{dim}"] = m.weighted([(r["weight"], r["score"]) for r in in_cell])
    overall = m.weighted([(model.level_weights.get(lv, 0), s) for lv, s in levels.items()])
    findings = [f"{r['name']}{shortfall_word(r['direction'])}（未达标；实际 {r['actual']:g}{r['unit']}，"
                f"基线 {r['baseline']:g}{r['unit']}）" for r in rows if r["status"] == "below_baseline"]
    findings += [f"{r['name']}无数据，未计入得分" for r in rows if r["status"] == "no_data"]
    return {"object": obj.to_dict(), "object_id": obj.key, "overall": overall, "levels": levels,
            "cells": cells, "indicators": rows, "findings": findings}


def rank(results: list[dict]) -> None:
    """Rank objects of the same kind by overall score (1 = best; ties share a rank)."""
    by_kind: dict[str, list[dict]] = {}
    for r in results:
        by_kind.setdefault(r["object"]["kind"], []).append(r)
    for group in by_kind.values():
        ordered = sorted(group, key=lambda r: -(r["overall"] if r["overall"] is not None else -1))
        last, last_rank = object(), 0
        for i, r in enumerate(ordered, 1):
            if r["overall"] != last:
                last, last_rank = r["overall"], i
            r["rank"] = last_rank if r["overall"] is not None else None


def compare(results: list[dict], previous: list[dict] | None) -> None:
    prev = {r["object_id"]: r for r in previous or []}
    for r in results:
        p = prev.get(r["object_id"])
        r["previous_overall"] = p["overall"] if p else None
        r["delta"] = (round(r["overall"] - p["overall"], 4)
                      if p and p["overall"] is not None and r["overall"] is not None else None)
        if p:
            prev_rows = {x["code"]: x for x in p["indicators"]}
            for row in r["indicators"]:
                q = prev_rows.get(row["code"])
                row["previous_actual"] = q["actual"] if q else None
