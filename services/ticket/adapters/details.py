"""The `details` JSON of a ticket ↔ its typed parts (change, problem, alert, escalation).

The column (and the gRPC `Ticket.details` Struct, and nameko replies) keep the shape they had
before the parts were typed: the change RFC and its approvals, the problem's root cause and
links, the alert and its repeats and the escalated position as top-level keys beside any
free-form extras. Conversion happens only here.
"""

from __future__ import annotations

from datetime import datetime

from govkit.events import jsonable

from ..domain.alert import AlertOrigin
from ..domain.change import Approval, Change
from ..domain.model import AUDITED, Ticket
from ..domain.problem import Problem

_CHANGE_KEYS = ("risk", "plan", "rollback_plan", "window_start", "window_end", "ci_ids", "emergency",
                "approval_mode", "approver_positions", "approvals", "outcome", "implementation_notes", "review")
_PROBLEM_KEYS = ("root_cause", "workaround", "linked_incident_count", "kb_article_id")
_ALERT_KEYS = ("alert", "alert_repeats")
_ESCALATION_KEYS = ("escalated_position_id", "escalation_reason")


def details_to_json(t: Ticket) -> dict:
    out = dict(t.details)
    if t.change is not None:
        c = t.change
        out.update(risk=c.risk, plan=c.plan, rollback_plan=c.rollback_plan, ci_ids=list(c.ci_ids),
                   emergency=c.emergency, approval_mode=c.approval_mode,
                   approvals=[{"position_id": a.position_id, "approver": a.approver, "decision": a.decision,
                               "comment": a.comment, "at": a.at.isoformat()} for a in c.approvals])
        _put(out, window_start=c.window_start, window_end=c.window_end,
             approver_positions=list(c.approver_positions) or None, outcome=c.outcome,
             implementation_notes=c.implementation_notes, review=c.review)
    if t.problem is not None:
        p = t.problem
        _put(out, root_cause=p.root_cause, workaround=p.workaround,
             linked_incident_count=p.linked_incident_count or None, kb_article_id=p.kb_article_id)
    if t.alert is not None:
        out["alert"] = {"fingerprint": t.alert.fingerprint, "labels": dict(t.alert.labels)}
        out["alert_repeats"] = t.alert.repeats
    _put(out, escalated_position_id=t.escalated_position_id, escalation_reason=t.escalation_reason)
    return out


def details_from_json(ticket_type: str, d: dict | None) -> dict:
    """Keyword arguments for Ticket: `details` (the extras) and the typed parts."""
    d = dict(d or {})
    parts: dict = {"escalated_position_id": d.get("escalated_position_id"),
                   "escalation_reason": d.get("escalation_reason")}
    if ticket_type == "change":
        parts["change"] = Change(
            plan=d.get("plan") or "", rollback_plan=d.get("rollback_plan") or "", risk=d.get("risk") or "medium",
            window_start=d.get("window_start"), window_end=d.get("window_end"), ci_ids=list(d.get("ci_ids") or []),
            emergency=bool(d.get("emergency")), approval_mode=d.get("approval_mode") or "sequential",
            approver_positions=list(d.get("approver_positions") or []),
            approvals=[Approval(a["position_id"], a["approver"], a["decision"], a.get("comment", ""),
                                datetime.fromisoformat(a["at"])) for a in d.get("approvals") or []],
            outcome=d.get("outcome"), implementation_notes=d.get("implementation_notes"), review=d.get("review"))
        typed: tuple[str, ...] = _CHANGE_KEYS
    elif ticket_type == "problem":
        parts["problem"] = Problem(root_cause=d.get("root_cause"), workaround=d.get("workaround"),
                                   linked_incident_count=int(d.get("linked_incident_count") or 0),
                                   kb_article_id=d.get("kb_article_id"))
        typed = _PROBLEM_KEYS
    else:
        typed = ()
    if isinstance(d.get("alert"), dict):
        a = d["alert"]
        parts["alert"] = AlertOrigin(str(a.get("fingerprint", "")), dict(a.get("labels") or {}),
                                     int(d.get("alert_repeats") or 1))
        typed = (*typed, *_ALERT_KEYS)
    parts["details"] = {k: v for k, v in d.items() if k not in (*typed, *_ESCALATION_KEYS)}
    return parts


def audit_snapshot(t: Ticket) -> dict:
    """The audited fields as stored; the audit trail diffs two of these."""
    return {name: jsonable(details_to_json(t) if name == "details" else getattr(t, name)) for name in AUDITED}


def _put(out: dict, **values) -> None:
    out.update({k: v for k, v in values.items() if v is not None})
