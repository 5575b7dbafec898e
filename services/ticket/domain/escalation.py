"""Escalation: the rules of an SLA policy and the choice of whom a ticket goes up to.

A rule fires at `at_percent` of the resolution target (or by hand, `EscalateTicket`): it takes
the position `step` places up the escalation chain of the ticket's responsible position and
either notifies its holder or reassigns the ticket to them. Plain Python: the handler reads the
chain, the holders and their open load from the org directory and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIONS = ("notify", "reassign")
SLA_BREACH = "sla_breach"
MANUAL = "manual"
REASON_MAX = 500


@dataclass(frozen=True)
class EscalationRule:
    level: int
    at_percent: int
    action: str  # notify | reassign
    step: int  # how many positions up the chain

    @classmethod
    def manual(cls, level: int) -> EscalationRule:
        """By hand: the next level, reassigned to the holder that many positions up."""
        return cls(level=level, at_percent=0, action="reassign", step=level)

    @classmethod
    def from_dict(cls, d: dict) -> EscalationRule:
        return cls(level=int(d["level"]), at_percent=int(d.get("at_percent", 0)), action=str(d.get("action", "notify")),
                   step=int(d.get("step", d["level"])))

    def to_dict(self) -> dict:
        return {"level": self.level, "at_percent": self.at_percent, "action": self.action, "step": self.step}

    @property
    def reassigns(self) -> bool:
        return self.action == "reassign"

    def target_position(self, chain: list[str]) -> str | None:
        """The position `step` places up the chain, capped at its top; None without a chain."""
        return chain[min(self.step, len(chain)) - 1] if chain else None


def least_loaded(candidates: list[str], load: dict[str, int]) -> str | None:
    """The candidate with the fewest open tickets (ties by id, so the choice is stable)."""
    return min(candidates, key=lambda s: (load.get(s, 0), s)) if candidates else None


@dataclass(frozen=True)
class EscalationTarget:
    """Where one escalation goes: read from the org directory by the handler."""

    position_id: str | None
    staff_id: str | None
    vendor_id: str | None = None
