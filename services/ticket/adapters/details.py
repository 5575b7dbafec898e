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
from ..domain.change import Approval, ApprovalStep, Change, RetrospectiveReview
from ..domain.model import AUDITED, Ticket
from ..domain.problem import Problem

_CHANGE_KEYS = ("risk", "plan", "rollback_plan", "window_start", "window_end", "ci_ids", "emergency", "change_type",
                "approval_mode", "approval_steps", "approver_positions", "approvals", "rejection_reason",
                "retrospective_review", "outcome", "implementation_notes", "review")
_PROBLEM_KEYS = ("root_cause", "workaround", "linked_incident_count", "kb_article_id")
_ALERT_KEYS = ("alert", "alert_repeats")
_ESCALATION_KEYS = ("escalated_position_id", "escalation_reason")


def details_to_json(t: Ticket) -> dict:
    out = dict(t.details)
    if t.change is not None:
        c = t.change
        out.update(risk=c.risk, plan=c.plan, rollback_plan=c.rollback_plan, ci_ids=list(c.ci_ids),
                   emergency=c.emergency, change_type=c.change_type,
                   approval_mode="sequential" if c.sequential else "any_order",
                   approvals=[{"step": a.step, "position_id": a.position_id, "approver": a.approver,
                               "decision": a.decision, "comment": a.comment, "at": a.at.isoformat()}
                              for a in c.approvals])
        if c.steps:
            out["approval_steps"] = [{"name": s.name, "responsibility": s.responsibility,
                                      "org_unit_id": s.org_unit_id, "positions": list(s.positions)} for s in c.steps]
        if c.retrospective is not None:
            r = c.retrospective
            out["retrospective_review"] = {"responsibility": r.responsibility, "positions": list(r.positions),
                                           "status": r.status, "reviewer": r.reviewer, "review": r.review,
                                           "at": r.at.isoformat() if r.at else None}
        _put(out, window_start=c.window_start, window_end=c.window_end, rejection_reason=c.rejection_reason,
             outcome=c.outcome, implementation_notes=c.implementation_notes, review=c.review)
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
        parts["change"] = _change(d)
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


def _change(d: dict) -> Change:
    steps = [ApprovalStep(s["name"], s.get("responsibility", ""), s.get("org_unit_id", ""), list(s["positions"]))
             for s in d.get("approval_steps") or []]
    change_type = d.get("change_type") or ("emergency" if d.get("emergency") else "normal")
    mode = d.get("approval_mode") or "sequential"
    if not steps and d.get("approver_positions"):
        # Stored before approval routes: one step per position (any one of them for an emergency).
        legacy = list(d["approver_positions"])
        steps = ([ApprovalStep("approval", "change", "", legacy)] if change_type == "emergency"
                 else [ApprovalStep(p, "change", "", [p]) for p in legacy])
    approvals = [Approval(a["position_id"], a["approver"], a["decision"], a.get("comment", ""),
                          datetime.fromisoformat(a["at"]), a.get("step") or _legacy_step(steps, a["position_id"]))
                 for a in d.get("approvals") or []]
    r = d.get("retrospective_review")
    retro = (RetrospectiveReview(r.get("responsibility", ""), list(r.get("positions") or []),
                                 r.get("status", "pending"), r.get("reviewer"), r.get("review"),
                                 datetime.fromisoformat(r["at"]) if r.get("at") else None) if r else None)
    return Change(
        plan=d.get("plan") or "", rollback_plan=d.get("rollback_plan") or "", risk=d.get("risk") or "medium",
        window_start=d.get("window_start"), window_end=d.get("window_end"), ci_ids=list(d.get("ci_ids") or []),
        change_type=change_type, sequential=mode == "sequential", steps=steps, approvals=approvals,
        rejection_reason=d.get("rejection_reason"), retrospective=retro, outcome=d.get("outcome"),
        implementation_notes=d.get("implementation_notes"), review=d.get("review"))


def _legacy_step(steps: list[ApprovalStep], position_id: str) -> str:
    return next((s.name for s in steps if position_id in s.positions), position_id)


def audit_snapshot(t: Ticket) -> dict:
    """The audited fields as stored; the audit trail diffs two of these."""
    return {name: jsonable(details_to_json(t) if name == "details" else getattr(t, name)) for name in AUDITED}


def _put(out: dict, **values) -> None:
    out.update({k: v for k, v in values.items() if v is not None})
