"""Changes (变更): the RFC, its approval route and steps, and the retrospective review. Plain
Python: no transport, no ORM.

Who approves is decided by the change's context, not by the requester: the change type (normal,
emergency, standard) picks a route (configuration: `ChangeRoute`, stored by the ticket service,
`DEFAULT_ROUTES` until one is stored); each step of the route names a responsibility (岗责
`approval:<responsibility>`) and where its positions are looked up — the requesting unit's own
(the unit, or for a division the department above it) or the O&M centre's (its change advisory
board, CAB). The positions are fixed at submission. One approval from a holder of any of a step's
positions decides the step; `sequential` routes take their steps in order. One person decides at
most one step of a change. A rejection (with its reason) ends the change. A route may require a
retrospective review after implementation (emergency changes: the CAB reviews what the emergency
board let through), recorded by a holder of its positions when the change is reviewed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Protocol

from govkit.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Validator

RISKS = ("low", "medium", "high")
OUTCOMES = ("successful", "failed", "rolled_back")
CHANGE_TYPES = ("normal", "emergency", "standard")
SCOPES = ("requesting_unit", "om_centre")
APPROVED, REJECTED = "approved", "rejected"
PENDING, DONE = "pending", "done"

# The RFC fields a caller gives when opening a change (CreateTicket.details). approval_mode is
# listed only so that it is refused by name rather than kept as a free-form extra.
RFC_FIELDS = ("risk", "plan", "rollback_plan", "window_start", "window_end", "ci_ids", "emergency",
              "change_type", "approval_mode")


# -- routes (configuration) -------------------------------------------------------------------
@dataclass(frozen=True)
class RouteStep:
    """One approval step: the positions holding `approval:<responsibility>` within `scope`."""

    name: str
    responsibility: str
    scope: str  # requesting_unit | om_centre


@dataclass(frozen=True)
class ChangeRoute:
    """Who approves a change of one type, in which order, and whether a retrospective review is
    owed (by the holders of `approval:<retrospective_review>` in the O&M centre)."""

    change_type: str
    steps: tuple[RouteStep, ...] = ()
    sequential: bool = True
    retrospective_review: str | None = None
    catalogue_item_ids: tuple[str, ...] = ()  # standard: the pre-approved change models

    @classmethod
    def from_dict(cls, d: dict) -> ChangeRoute:
        """Parse and validate a route; every bad key reported at once (INVALID_ARGUMENT)."""
        v = Validator()
        change_type = d.get("change_type")
        if change_type not in CHANGE_TYPES:
            v.fail("change_type", f"must be one of {', '.join(CHANGE_TYPES)}")
        raw_steps = d.get("steps") or []
        steps = []
        if not isinstance(raw_steps, list):
            v.fail("steps", "must be a list")
            raw_steps = []
        names = set()
        for i, s in enumerate(raw_steps):
            s = s if isinstance(s, dict) else {}
            name = v.text(f"steps[{i}].name", str(s.get("name") or ""), max_len=64)
            if name in names:
                v.fail(f"steps[{i}].name", f"{name} is listed twice")
            names.add(name)
            resp = v.text(f"steps[{i}].responsibility", str(s.get("responsibility") or ""), max_len=64)
            scope = s.get("scope")
            if scope not in SCOPES:
                v.fail(f"steps[{i}].scope", f"must be one of {', '.join(SCOPES)}")
            steps.append(RouteStep(name, resp, str(scope)))
        retro = d.get("retrospective_review") or None
        if retro is not None and not isinstance(retro, str):
            v.fail("retrospective_review", "must be a responsibility (text) or null")
        items = d.get("catalogue_item_ids") or []
        if not isinstance(items, list):
            v.fail("catalogue_item_ids", "must be a list of catalogue item ids")
            items = []
        if change_type == "standard" and steps:
            v.fail("steps", "a standard (pre-approved) change has no approval steps")
        if change_type in ("normal", "emergency") and not steps:
            v.fail("steps", f"a {change_type} change needs at least one approval step")
        v.check()
        return cls(str(change_type), tuple(steps), bool(d.get("sequential", True)), retro,
                   tuple(str(x) for x in items))

    def to_dict(self) -> dict:
        return {"change_type": self.change_type, "steps": [asdict(s) for s in self.steps],
                "sequential": self.sequential, "retrospective_review": self.retrospective_review,
                "catalogue_item_ids": list(self.catalogue_item_ids)}


DEFAULT_ROUTES = (
    # normal: the requesting department's own approver, then the O&M centre's CAB, in that order
    ChangeRoute("normal", (RouteStep("department", "change", "requesting_unit"),
                           RouteStep("cab", "change_cab", "om_centre")), sequential=True),
    # emergency: one member of the emergency CAB decides; the CAB reviews it afterwards
    ChangeRoute("emergency", (RouteStep("ecab", "change_ecab", "om_centre"),), sequential=True,
                retrospective_review="change_cab"),
    # standard: pre-approved change models (catalogue items) need no approval; none by default
    ChangeRoute("standard", ()),
)


class ApproverDirectory(Protocol):
    """What resolving a route reads from the org directory (govkit.orgdir.OrgDirectory)."""

    def unit(self, unit_id: str) -> dict | None: ...
    def ancestors(self, unit_id: str) -> list[str]: ...
    def units_of_kind(self, kind: str) -> list[str]: ...
    def positions_responsible_for(self, kind: str, value: str, org_unit_id: str | None = None) -> list[str]: ...


@dataclass
class ApprovalStep:
    """A route step resolved for one change: the positions whose holders may decide it."""

    name: str
    responsibility: str
    org_unit_id: str
    positions: list[str]


@dataclass
class RetrospectiveReview:
    """The review owed after an emergency change, by a holder of one of `positions`."""

    responsibility: str
    positions: list[str]
    status: str = PENDING  # pending | done
    reviewer: str | None = None
    review: str | None = None
    at: datetime | None = None


def _approvers_in(directory: ApproverDirectory, step: RouteStep, org_unit_id: str) -> tuple[str, list[str]]:
    """(the unit whose positions decide, those positions) for one step of a change of `org_unit_id`."""
    if step.scope == "om_centre":
        centres = directory.units_of_kind("om_centre")
        for unit_id in centres:
            found = directory.positions_responsible_for("approval", step.responsibility, unit_id)
            if found:
                return unit_id, found
        return (centres[0] if centres else "the O&M centre"), []
    # the requesting unit's own approvers; a division's are its department's
    for unit_id in [org_unit_id, *directory.ancestors(org_unit_id)]:
        unit = directory.unit(unit_id)
        found = directory.positions_responsible_for("approval", step.responsibility, unit_id)
        if found:
            return unit_id, found
        if unit is None or unit.get("kind") != "division":
            break
    return org_unit_id, []


def resolve_route(route: ChangeRoute, org_unit_id: str, directory: ApproverDirectory
                  ) -> tuple[list[ApprovalStep], RetrospectiveReview | None]:
    """The route's steps with their positions for a change of `org_unit_id`; FAILED_PRECONDITION
    naming the first step no position can decide (a change nobody may approve is never submitted)."""
    if directory.unit(org_unit_id) is None:
        raise FailedPrecondition(f"org unit {org_unit_id} is not in the org directory")
    steps = []
    for step in route.steps:
        unit_id, positions = _approvers_in(directory, step, org_unit_id)
        if not positions:
            raise FailedPrecondition(f"no position of {unit_id} holds approval:{step.responsibility} "
                                     f"(step {step.name} of the {route.change_type} change route)")
        steps.append(ApprovalStep(step.name, step.responsibility, unit_id, positions))
    retro = None
    if route.retrospective_review:
        _, positions = _approvers_in(directory, RouteStep("retrospective", route.retrospective_review, "om_centre"),
                                     org_unit_id)
        if not positions:
            raise FailedPrecondition(f"no position of the O&M centre holds approval:{route.retrospective_review} "
                                     f"(retrospective review of the {route.change_type} change route)")
        retro = RetrospectiveReview(route.retrospective_review, positions)
    return steps, retro


# -- the change ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Approval:
    """One approver's decision for one step, on behalf of one position."""

    position_id: str
    approver: str
    decision: str  # approved | rejected
    comment: str
    at: datetime
    step: str = ""


@dataclass
class Change:
    plan: str
    rollback_plan: str
    risk: str = "medium"
    window_start: str | None = None
    window_end: str | None = None
    ci_ids: list[str] = field(default_factory=list)
    change_type: str = "normal"
    sequential: bool = True
    steps: list[ApprovalStep] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    rejection_reason: str | None = None
    retrospective: RetrospectiveReview | None = None
    outcome: str | None = None
    implementation_notes: str | None = None
    review: str | None = None

    @property
    def emergency(self) -> bool:
        return self.change_type == "emergency"

    @classmethod
    def from_rfc(cls, v: Validator, fields: dict) -> Change:
        """The RFC from a creation request's loose fields; bad ones reported on `v` (change.<field>)."""
        risk = fields.get("risk", "medium")
        if risk not in RISKS:
            v.fail("change.risk", f"must be one of {', '.join(RISKS)}")
        plans = {}
        for name in ("plan", "rollback_plan"):
            plans[name] = str(fields.get(name) or "").strip()
            if not plans[name]:
                v.fail(f"change.{name}", "must not be empty")
        start, end = fields.get("window_start"), fields.get("window_end")
        if start and end and str(end) <= str(start):
            v.fail("change.window_end", "must be after window_start")
        if "approval_mode" in fields:
            v.fail("change.approval_mode", "is not the requester's to choose: the change type's approval "
                                           "route decides who approves and in which order")
        change_type = fields.get("change_type") or ("emergency" if fields.get("emergency") else "normal")
        if change_type not in CHANGE_TYPES:
            v.fail("change.change_type", f"must be one of {', '.join(CHANGE_TYPES)}")
        elif fields.get("emergency") and change_type != "emergency":
            v.fail("change.emergency", f"contradicts change_type {change_type}")
        ci_ids = fields.get("ci_ids") or []
        return cls(plan=plans["plan"], rollback_plan=plans["rollback_plan"], risk=risk,
                   window_start=str(start) if start else None, window_end=str(end) if end else None,
                   ci_ids=[str(c) for c in ci_ids] if isinstance(ci_ids, (list, tuple)) else [str(ci_ids)],
                   change_type=str(change_type))

    # -- approval -------------------------------------------------------------------------
    def submit(self, steps: list[ApprovalStep], sequential: bool,
               retrospective: RetrospectiveReview | None = None) -> None:
        """A new approval round along the resolved route (a revised change starts afresh)."""
        self.steps, self.sequential = list(steps), sequential
        self.approvals, self.rejection_reason, self.retrospective = [], None, retrospective

    @property
    def waiting(self) -> list[ApprovalStep]:
        """Steps not decided yet, in route order."""
        decided = {a.step for a in self.approvals}
        return [s for s in self.steps if s.name not in decided]

    @property
    def eligible(self) -> list[ApprovalStep]:
        """The steps that may be decided now: the next one (sequential) or any still waiting."""
        return self.waiting[:1] if self.sequential else self.waiting

    def decide(self, approver: str, positions_held: list[str], approve: bool, comment: str,
               now: datetime) -> tuple[Approval, bool]:
        """Record one decision for a step whose positions the approver holds: (the approval, final?).

        Final: a rejection, or the approval of the last step waiting."""
        earlier = next((a for a in self.approvals if a.approver == approver), None)
        if earlier is not None:
            raise PermissionDenied(f"{approver} already decided step {earlier.step} of this change; "
                                   f"another person decides the next step")
        held = set(positions_held)
        eligible = self.eligible
        match = next(((s, p) for s in eligible for p in s.positions if p in held), None)
        if match is None:
            awaited = "; ".join(f"{s.name}: {', '.join(s.positions)}" for s in eligible) or "none"
            raise PermissionDenied(f"{approver} holds none of the positions whose decision is awaited ({awaited})")
        step, position = match
        comment = (comment or "").strip()
        if not approve and not comment:
            raise InvalidArgument(field="comment", reason="must not be empty")
        approval = Approval(position, approver, APPROVED if approve else REJECTED, comment, now, step.name)
        self.approvals.append(approval)
        if not approve:
            self.rejection_reason = comment
        return approval, (not approve) or len(self.waiting) == 0

    # -- implementation and review --------------------------------------------------------
    @staticmethod
    def check_outcome(outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise InvalidArgument(field="outcome", reason=f"must be one of {', '.join(OUTCOMES)}")

    def implement(self, outcome: str, notes: str) -> None:
        self.check_outcome(outcome)
        self.outcome, self.implementation_notes = outcome, notes

    def record_review(self, reviewer: str, positions_held: list[str], review: str, now: datetime) -> None:
        """The closing review; for a change owing a retrospective review, that review, by its positions."""
        retro = self.retrospective
        if retro is not None and retro.status == PENDING:
            if not set(positions_held) & set(retro.positions):
                raise PermissionDenied(f"the retrospective review of this {self.change_type} change is for "
                                       f"{', '.join(retro.positions)}; {reviewer} holds none of them")
            text = (review or "").strip()
            if not text:
                raise InvalidArgument(field="review", reason="must not be empty (the retrospective review)")
            retro.status, retro.reviewer, retro.review, retro.at = DONE, reviewer, text, now
        self.review = review
