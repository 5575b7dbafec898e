"""Commands of the evaluation system (imperative, never broadcast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .model import Model


@dataclass(frozen=True)
class CreateModel:
    model: Model
    dry_run: bool = False  # validate only


@dataclass(frozen=True)
class CreatePlan:
    name: str
    subject_org_unit_id: str
    subject_role: str
    model_code: str
    model_version: int  # 0 = latest
    period_start: date | None
    period_end: date | None
    objects: tuple[dict, ...]
    idempotency_key: str = ""


@dataclass(frozen=True)
class AdvancePlan:
    plan_id: str
    to_state: str
    # Publishing results that are mostly "no data" needs this reason (recorded in the audit trail).
    no_data_override_reason: str = ""


@dataclass(frozen=True)
class SubmitManualScore:
    plan_id: str
    object_id: str
    indicator_code: str
    score: float
    evidence: str


@dataclass(frozen=True)
class SignOffScores:
    plan_id: str
    object_ids: tuple[str, ...] = field(default_factory=tuple)  # empty = every score


@dataclass(frozen=True)
class GetReport:
    plan_id: str
    object_id: str = ""   # empty = the whole plan
    format: str = "pdf"   # pdf | xlsx
