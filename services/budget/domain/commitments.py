"""Commitments (预算承诺/预留): a signed O&M contract reserves its amount in its fee category of the
approved budget covering its unit and year; its payments consume the reservation.

    available(category) = budgeted − spent − Σ remaining of the counting commitments
    remaining(commitment) = amount − paid on it (never below zero)

A commitment that does not fit the available amount is recorded as `over_budget` and does not
count until someone other than the contract's signer records an over-budget approval
(超预算审批) with a reason; it then counts (`approved`), even if that takes the category below
zero — the overrun is visible, not hidden. Plain Python: no ORM, no transport."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from govkit.errors import FailedPrecondition, InvalidArgument, PermissionDenied

OPEN, OVER_BUDGET, APPROVED = "open", "over_budget", "approved"
STATES = (OPEN, OVER_BUDGET, APPROVED)
COUNTING = (OPEN, APPROVED)  # states that hold budget

# What became of a spending line (expenses.status): only `counted` is spending against a budget.
COUNTED, UNMATCHED, NOT_OM, BLOCKED = "counted", "unmatched", "not_om", "blocked"
OM_KIND = "om"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Commitment:
    id: str
    contract_id: str
    budget_id: str | None       # None: no approved budget covers the unit and year
    org_unit_id: str
    year: int
    fee_category: str
    amount: Decimal
    state: str
    signed_by: str
    paid: Decimal = ZERO        # counted payments of the contract (filled in by the repository)
    reason: str = ""            # why it was refused (over_budget)
    project_id: str = ""
    vendor_id: str = ""
    approved_by: str = ""
    approval_reason: str = ""
    approved_at: datetime | None = None
    recorded_at: datetime | None = None
    contract_version: int = 1   # the contract version the amount is from (signing: 1; amendments raise it)

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.amount - self.paid).quantize(CENT)

    @property
    def counts(self) -> bool:
        """Holds budget: open, or over budget and approved."""
        return self.state in COUNTING


def available(budgeted: Decimal, spent: Decimal, committed: Decimal) -> Decimal:
    """Budgeted less spent less the open commitments' remaining amount (may be negative after an
    over-budget approval)."""
    return (budgeted - spent - committed).quantize(CENT)


def decide(amount: Decimal, available_amount: Decimal) -> str:
    """A new commitment fits (`open`) or is refused (`over_budget`)."""
    return OPEN if amount <= available_amount else OVER_BUDGET


def refusal_reason(amount: Decimal, category: str, available_amount: Decimal | None) -> str:
    if available_amount is None:
        return f"no approved budget covers the unit and year; {amount} in {category} needs an over-budget approval"
    return (f"{amount} exceeds the available {available_amount} in {category} (available {available_amount}); "
            "an over-budget approval is needed")


def payment_decision(c: Commitment | None, amount: Decimal, available_amount: Decimal) -> tuple[str, str]:
    """(COUNTED or BLOCKED, reason). A payment consumes its contract's commitment first; what goes
    beyond the commitment's remaining amount (or a payment with no commitment) must fit the
    available amount. A commitment refused and not approved blocks every payment on it."""
    if c is not None and c.state == OVER_BUDGET:
        return BLOCKED, (f"commitment {c.id} of contract {c.contract_id} is over budget and has no over-budget "
                         "approval")
    beyond = amount - (c.remaining if c is not None else ZERO)
    if beyond <= 0 or beyond <= available_amount:
        return COUNTED, ""
    what = f"beyond commitment {c.id}'s remaining {c.remaining}" if c is not None else "with no commitment"
    return BLOCKED, f"payment {amount} ({what}) exceeds the available {available_amount}"


STALE = "stale"


def amend(c: Commitment, version: int, amount: Decimal, available_amount: Decimal | None) -> Commitment | None:
    """A contract amendment (outsource.contract_amended) changes the commitment's amount. None: the
    version is not newer than the commitment's (replayed or out of order) — nothing changes.

    `available_amount` is the category's available amount as it stands (None: no approved budget),
    which already counts this commitment's remaining if it counts; so for a counting commitment only
    the growth of its remaining has to fit. An over-budget commitment does not count: it is decided
    again as a whole with the new amount (it may fit now). A counting commitment (open, or approved
    over budget) whose growth does not fit becomes over budget and needs a (new) over-budget
    approval — an earlier approval covered the earlier amount only."""
    if version <= c.contract_version:
        return None
    new = replace(c, amount=amount, contract_version=version)
    if c.state == OVER_BUDGET:
        if available_amount is not None and decide(new.remaining, available_amount) == OPEN:
            return replace(new, state=OPEN, reason="")
        return replace(new, reason=refusal_reason(amount, c.fee_category, available_amount))
    growth = new.remaining - c.remaining
    if growth <= 0 or (available_amount is not None and growth <= available_amount):
        return new
    why = refusal_reason(amount, c.fee_category, available_amount)
    if available_amount is not None:
        why = (f"amendment v{version} raises {c.amount} to {amount}: the increase {growth} exceeds the available "
               f"{available_amount} in {c.fee_category}; an over-budget approval is needed")
    if c.state == APPROVED:
        why += f" (the earlier approval by {c.approved_by} covered {c.amount})"
    return replace(new, state=OVER_BUDGET, reason=why, approved_by="", approval_reason="", approved_at=None)


def approve(c: Commitment, approver: str, reason: str, at: datetime) -> Commitment:
    """Record an over-budget approval: a mandatory reason, and not by the contract's signer."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidArgument(field="reason", reason="an over-budget approval needs a reason")
    if len(reason) > 2000:
        raise InvalidArgument(field="reason", reason="must be at most 2000 characters")
    if c.state != OVER_BUDGET:
        raise FailedPrecondition(f"commitment {c.id} is {c.state}; only an over-budget commitment is approved")
    if approver and approver == c.signed_by:
        raise PermissionDenied(f"separation of duties: you signed contract {c.contract_id}; another person with "
                               "budget.approve must approve its over-budget commitment")
    return replace(c, state=APPROVED, approved_by=approver, approval_reason=reason, approved_at=at)
