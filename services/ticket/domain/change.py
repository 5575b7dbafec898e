"""Changes (变更): the RFC and its approval steps. Plain Python: no transport, no ORM.

Approvers are positions (岗责: the approval duty for changes), fixed at submission. `sequential`:
they decide in that order; `all_of`: in any order, each of them; an emergency change needs one
approval. Any rejection rejects the change. A staff member decides for a position they hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from govkit.errors import InvalidArgument, PermissionDenied, Validator

RISKS = ("low", "medium", "high")
OUTCOMES = ("successful", "failed", "rolled_back")
APPROVAL_MODES = ("sequential", "all_of")
APPROVED, REJECTED = "approved", "rejected"

# The RFC fields a caller gives when opening a change (CreateTicket.details).
RFC_FIELDS = ("risk", "plan", "rollback_plan", "window_start", "window_end", "ci_ids", "emergency",
              "approval_mode")


@dataclass(frozen=True)
class Approval:
    """One approver's decision for one position."""

    position_id: str
    approver: str
    decision: str  # approved | rejected
    comment: str
    at: datetime


@dataclass
class Change:
    plan: str
    rollback_plan: str
    risk: str = "medium"
    window_start: str | None = None
    window_end: str | None = None
    ci_ids: list[str] = field(default_factory=list)
    emergency: bool = False
    approval_mode: str = "sequential"
    approver_positions: list[str] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    outcome: str | None = None
    implementation_notes: str | None = None
    review: str | None = None

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
        mode = fields.get("approval_mode", "sequential")
        if mode not in APPROVAL_MODES:
            v.fail("change.approval_mode", "must be sequential or all_of")
        ci_ids = fields.get("ci_ids") or []
        return cls(plan=plans["plan"], rollback_plan=plans["rollback_plan"], risk=risk,
                   window_start=str(start) if start else None, window_end=str(end) if end else None,
                   ci_ids=[str(c) for c in ci_ids] if isinstance(ci_ids, (list, tuple)) else [str(ci_ids)],
                   emergency=bool(fields.get("emergency")), approval_mode=mode)

    # -- approval -------------------------------------------------------------------------
    def submit(self, approver_positions: list[str]) -> None:
        self.approver_positions = list(approver_positions)
        self.approvals = []

    @property
    def waiting(self) -> list[str]:
        """Approver positions that have not decided yet, in order."""
        decided = {a.position_id for a in self.approvals}
        return [p for p in self.approver_positions if p not in decided]

    @property
    def eligible(self) -> list[str]:
        """The positions that may decide now: the next one (sequential) or any still waiting."""
        return self.waiting[:1] if self.approval_mode == "sequential" else self.waiting

    def decide(self, approver: str, positions_held: list[str], approve: bool, comment: str,
               now: datetime) -> tuple[Approval, bool]:
        """Record one decision for a position the approver holds: (the approval, final?).

        Final: a rejection, an emergency change's first approval, or the last position's approval."""
        eligible = self.eligible
        position = next((p for p in eligible if p in set(positions_held)), None)
        if position is None:
            raise PermissionDenied(f"{approver} holds none of the positions whose approval is awaited "
                                   f"({', '.join(eligible) or 'none'})")
        last = len(self.waiting) == 1
        approval = Approval(position, approver, APPROVED if approve else REJECTED, comment, now)
        self.approvals.append(approval)
        return approval, (not approve) or self.emergency or last

    # -- implementation and review --------------------------------------------------------
    @staticmethod
    def check_outcome(outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise InvalidArgument(field="outcome", reason=f"must be one of {', '.join(OUTCOMES)}")

    def implement(self, outcome: str, notes: str) -> None:
        self.check_outcome(outcome)
        self.outcome, self.implementation_notes = outcome, notes
