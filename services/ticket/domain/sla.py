"""SLA: priority from impact × urgency, targets per priority, and the clocks of one ticket.

A clock accumulates business seconds while running and keeps them across pauses (pending),
reassignment and policy changes; only its target changes with a new policy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from .calendar import BusinessCalendar
from .escalation import EscalationRule

LEVELS = ("high", "medium", "low")

# ITIL-style matrix: (impact, urgency) → priority.
PRIORITY_MATRIX = {
    ("high", "high"): "critical", ("high", "medium"): "high", ("high", "low"): "medium",
    ("medium", "high"): "high", ("medium", "medium"): "medium", ("medium", "low"): "low",
    ("low", "high"): "medium", ("low", "medium"): "low", ("low", "low"): "low",
}


def priority_for(impact: str, urgency: str) -> str:
    return PRIORITY_MATRIX[(impact, urgency)]


HOUR = 3600
DEFAULT_TARGETS = {  # business seconds
    "critical": {"response": 15 * 60, "resolution": 4 * HOUR},
    "high": {"response": 30 * 60, "resolution": 8 * HOUR},
    "medium": {"response": 2 * HOUR, "resolution": 16 * HOUR},
    "low": {"response": 4 * HOUR, "resolution": 40 * HOUR},
}
# On resolution breach: level 1 notifies the holder of the next position up; level 2 reassigns
# to that holder; level 3 reassigns one position further up. `at_percent` of the resolution target.
DEFAULT_ESCALATION = (
    EscalationRule(level=1, at_percent=100, action="notify", step=1),
    EscalationRule(level=2, at_percent=150, action="reassign", step=1),
    EscalationRule(level=3, at_percent=200, action="reassign", step=2),
)


@dataclass(frozen=True)
class SlaPolicy:
    id: str
    name: str
    calendar_id: str
    targets: dict  # priority → {"response": s, "resolution": s}
    warning_percent: int = 75
    escalation: tuple[EscalationRule, ...] = DEFAULT_ESCALATION

    @classmethod
    def from_dict(cls, d: dict) -> SlaPolicy:
        return cls(id=d["id"], name=d.get("name", d["id"]), calendar_id=d["calendar_id"],
                   targets=d.get("targets") or DEFAULT_TARGETS,
                   warning_percent=int(d.get("warning_percent", 75)),
                   escalation=tuple(EscalationRule.from_dict(r) for r in d["escalation"]) if d.get("escalation")
                   else DEFAULT_ESCALATION)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "calendar_id": self.calendar_id, "targets": self.targets,
                "warning_percent": self.warning_percent, "escalation": [r.to_dict() for r in self.escalation]}

    def target(self, priority: str, kind: str) -> int:
        return int(self.targets[priority][kind])


DEFAULT_POLICIES = (
    SlaPolicy("standard", "标准服务级别（工作日历）", "cn", DEFAULT_TARGETS),
    SlaPolicy("critical-24x7", "关键业务7×24", "24x7", {
        "critical": {"response": 10 * 60, "resolution": 2 * HOUR},
        "high": {"response": 15 * 60, "resolution": 4 * HOUR},
        "medium": {"response": 30 * 60, "resolution": 8 * HOUR},
        "low": {"response": HOUR, "resolution": 24 * HOUR},
    }),
)


@dataclass
class Clock:
    """One SLA target of one ticket."""

    target: int  # business seconds
    elapsed: float = 0.0  # accumulated while running, up to `since`
    since: str | None = None  # ISO instant it started running, None while paused/stopped
    done: bool = False  # stopped for good (responded / resolved)
    warned: bool = False
    breached: bool = False

    def running(self) -> bool:
        return self.since is not None and not self.done

    def elapsed_at(self, now: datetime, cal: BusinessCalendar) -> float:
        if self.since is None:
            return self.elapsed
        return self.elapsed + cal.seconds_between(datetime.fromisoformat(self.since), now)

    def pause(self, now: datetime, cal: BusinessCalendar) -> None:
        if self.since is not None:
            self.elapsed = self.elapsed_at(now, cal)
            self.since = None

    def resume(self, now: datetime) -> None:
        if self.since is None and not self.done:
            self.since = now.isoformat()

    def stop(self, now: datetime, cal: BusinessCalendar) -> None:
        self.pause(now, cal)
        self.done = True

    def restart(self, now: datetime) -> None:
        """Reopen: the clock continues from what it had accumulated."""
        self.done = False
        self.resume(now)

    def due_at(self, cal: BusinessCalendar, percent: float = 100.0) -> datetime | None:
        """When the clock reaches `percent` of its target, if running."""
        if not self.running():
            return None
        return cal.add(datetime.fromisoformat(self.since), max(0.0, self.target * percent / 100 - self.elapsed))

    def met(self) -> bool:
        return self.elapsed <= self.target


@dataclass
class SlaState:
    policy_id: str
    calendar_id: str
    warning_percent: int
    escalation: list[EscalationRule]
    response: Clock
    resolution: Clock

    @classmethod
    def start(cls, policy: SlaPolicy, priority: str, now: datetime) -> SlaState:
        return cls(policy.id, policy.calendar_id, policy.warning_percent, list(policy.escalation),
                   Clock(policy.target(priority, "response"), since=now.isoformat()),
                   Clock(policy.target(priority, "resolution"), since=now.isoformat()))

    @classmethod
    def from_dict(cls, d: dict | None) -> SlaState | None:
        if not d:
            return None
        return cls(d["policy_id"], d["calendar_id"], d["warning_percent"],
                   [EscalationRule.from_dict(r) for r in d["escalation"]],
                   Clock(**d["response"]), Clock(**d["resolution"]))

    def to_dict(self) -> dict:
        return {"policy_id": self.policy_id, "calendar_id": self.calendar_id,
                "warning_percent": self.warning_percent, "escalation": [r.to_dict() for r in self.escalation],
                "response": asdict(self.response), "resolution": asdict(self.resolution)}

    def rule(self, level: int) -> EscalationRule | None:
        return next((r for r in self.escalation if r.level == level), None)

    def rules_due_at_breach(self, escalation_level: int) -> list[EscalationRule]:
        """Rules at or below 100 % not yet reached: they fire with the resolution breach."""
        return sorted((r for r in self.escalation if r.at_percent <= 100 and r.level > escalation_level),
                      key=lambda r: r.level)

    def clocks(self) -> dict[str, Clock]:
        return {"response": self.response, "resolution": self.resolution}

    def apply_policy(self, policy: SlaPolicy, priority: str) -> None:
        """New policy or priority: new targets, same accumulated time."""
        self.policy_id, self.calendar_id = policy.id, policy.calendar_id
        self.warning_percent, self.escalation = policy.warning_percent, list(policy.escalation)
        self.response.target = policy.target(priority, "response")
        self.resolution.target = policy.target(priority, "resolution")

    def retarget(self, policy: SlaPolicy, priority: str) -> None:
        """A new priority under the ticket's policy: new targets, the same accumulated time (the
        policy's other settings as the ticket already has them)."""
        self.response.target = policy.target(priority, "response")
        self.resolution.target = policy.target(priority, "resolution")

    def pause(self, now, cal) -> None:
        self.response.pause(now, cal)
        self.resolution.pause(now, cal)

    def resume(self, now) -> None:
        self.response.resume(now)
        self.resolution.resume(now)

    def state(self) -> str:
        clocks = (self.response, self.resolution)
        if any(c.breached for c in clocks):
            return "breached"
        if any(c.warned for c in clocks):
            return "warning"
        return "ok"


@dataclass(frozen=True)
class Deadline:
    """A future instant at which the scheduler must act on a ticket."""

    target: str  # response | resolution
    kind: str  # warning | breach | escalate<N>
    due_at: datetime


def deadlines(sla: SlaState | None, cal: BusinessCalendar, escalation_level: int) -> list[Deadline]:
    """Every deadline still ahead for the clocks' current state (none for stopped/paused clocks)."""
    if sla is None:
        return []
    out = []
    for name, clock in sla.clocks().items():
        if not clock.running():
            continue
        if not clock.warned:
            out.append(Deadline(name, "warning", clock.due_at(cal, sla.warning_percent)))
        if not clock.breached:
            out.append(Deadline(name, "breach", clock.due_at(cal, 100)))
        if name == "resolution":
            for rule in sla.escalation:
                if rule.level > escalation_level and rule.at_percent > 100:
                    out.append(Deadline(name, f"escalate{rule.level}", clock.due_at(cal, rule.at_percent)))
    return out
