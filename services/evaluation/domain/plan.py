"""Evaluation plans: subject, objects, model version, period, steps, scores, rankings.

Steps (a state machine; each move names the permission it needs):

    draft ──run──► data_collection ──run──► self_assessment ──run──► review ──publish──► published ──publish──► archived

* manual scores (with evidence) are entered in data_collection or self_assessment
  (`evaluation.score`, for objects in the caller's scope);
* moving to review needs every manual indicator of every object scored;
* in review a reviewer signs the manual scores off (`evaluation.review`; not one's own scores);
* publishing needs every manual score signed off, computes the final results, opens
  rectification work for every indicator below its baseline and emits evaluation_published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import model as m
from .kpis import Level, subject_parts

STATES = ("draft", "data_collection", "self_assessment", "review", "published", "archived")
NEXT = {"draft": "data_collection", "data_collection": "self_assessment",
        "self_assessment": "review", "review": "published", "published": "archived"}
PERMISSION_FOR = {"data_collection": "evaluation.run", "self_assessment": "evaluation.run",
                  "review": "evaluation.run", "published": "evaluation.publish",
                  "archived": "evaluation.publish"}
SCORING_STATES = ("data_collection", "self_assessment")
OBJECT_KINDS = ("org_unit", "process", "person", "group", "vendor")
LEVELS_OF_KIND = {"org_unit": m.LEVELS, "process": ("process",), "person": ("individual",),
                  "group": ("individual",), "vendor": ("individual",)}
_SUBJECT_SEGMENT = {"person": "staff", "group": "group", "vendor": "vendor"}


@dataclass(frozen=True)
class EvalObject:
    kind: str
    id: str
    org_unit_id: str  # the org unit whose KPIs (and scope) the object belongs to

    @property
    def key(self) -> str:
        """Stable object id within a plan: `fgw`, `gov/incident`, `gov/staff/s1`, `gov/group/g1`,
        `om-centre/vendor/vendor-hx` (a vendor, measured on the tickets its engineers handled)."""
        if self.kind == "org_unit":
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
        return ind.level in LEVELS_OF_KIND[self.kind]


def subject_for(obj: EvalObject, ind: m.Indicator) -> tuple[Level, str] | None:
    """Which live-KPI subject an indicator reads for an object (None: aggregate over staff)."""
    if obj.kind == "org_unit":
        if ind.level == "organization":
            return Level.ORGANIZATION, obj.id
        if ind.level == "process":
            return (Level.PROCESS, f"{obj.id}/{ind.process}") if ind.process else (Level.ORGANIZATION, obj.id)
        return None
    return (Level.PROCESS if obj.kind == "process" else Level.INDIVIDUAL), obj.key


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
    findings = [f"{r['name']}低于基线（实际 {r['actual']:g}{r['unit']}，基线 {r['baseline']:g}{r['unit']}）"
                for r in rows if r["status"] == "below_baseline"]
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
