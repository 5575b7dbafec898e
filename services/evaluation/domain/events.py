"""Events the evaluation service publishes (see docs/events.md, the event catalogue)."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.events import Event


class EvaluationEvent(Event):
    source = "evaluation"


@dataclass(frozen=True)
class EvaluationPublished(EvaluationEvent):
    plan_id: str
    name: str
    subject_org_unit_id: str
    model_code: str
    model_version: int
    period_start: str
    period_end: str
    results: list  # [{object_id, org_unit_id, overall, rank, delta}]
    published_by: str

    def event_subject(self) -> str:
        return self.plan_id

    def event_org_unit_id(self) -> str | None:
        return self.subject_org_unit_id


@dataclass(frozen=True)
class RectificationOpened(EvaluationEvent):
    rectification_id: str
    plan_id: str | None
    object_id: str
    org_unit_id: str
    indicator_code: str
    indicator_name: str
    actual: float | None
    baseline: float | None
    owner_position: str
    due_date: str
    actions: list
    ticket_id: str | None

    def event_subject(self) -> str:
        return self.rectification_id

    def event_org_unit_id(self) -> str | None:
        return self.org_unit_id


@dataclass(frozen=True)
class RectificationClosed(EvaluationEvent):
    rectification_id: str
    org_unit_id: str
    ticket_id: str | None
    closed_by_event: str

    def event_subject(self) -> str:
        return self.rectification_id

    def event_org_unit_id(self) -> str | None:
        return self.org_unit_id


@dataclass(frozen=True)
class AccountabilityRecorded(EvaluationEvent):
    record_id: str
    rectification_id: str
    org_unit_id: str
    object_id: str
    indicator_code: str
    level: str
    reason: str
    recorded_by: str
    # added for notify (payloads only grow): who must rectify, and the days overdue when the
    # record is for an overdue rectification (None: for consecutive shortfalls)
    owner_position: str = ""
    days_overdue: int | None = None

    def event_subject(self) -> str:
        return self.record_id

    def event_org_unit_id(self) -> str | None:
        return self.org_unit_id
