"""Who hears about an event: resolved from the org directory replica (any object with the
`govkit.orgdir.OrgDirectory` queries below; plain Python, no database here)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol


class Directory(Protocol):
    def holders(self, position_id: str, on: date) -> list[str]: ...
    def group(self, group_id: str) -> dict | None: ...
    def on_duty(self, group_id: str, at: datetime) -> list[str]: ...
    def escalation_chain(self, position_id: str) -> list[str]: ...
    def positions_responsible_for(self, kind: str, value: str, org_unit_id: str | None = None) -> list[str]: ...
    def staff_member(self, staff_id: str) -> dict | None: ...


# producer event → notify's kind (None: the event concerns nobody here)
def kind_of(source: str, name: str, data: dict) -> str | None:
    if source == "ticket":
        if name == "ticket_status_changed":
            pending_on_requester = data.get("to_status") == "pending" and data.get("pending_reason") == "requester"
            return "info_requested" if pending_on_requester else None
        return name if name in ("ticket_assigned", "ticket_resolved", "sla_warning", "sla_breached",
                                "ticket_escalated", "comment_added", "change_awaiting_approval") else None
    if source == "evaluation" and name == "accountability_recorded":
        # only the records for an overdue rectification (not those for consecutive shortfalls)
        return "rectification_overdue" if data.get("days_overdue") is not None else None
    return {("budget", "budget_exceeded"): "budget_exceeded",
            ("evaluation", "rectification_opened"): "rectification_assigned",
            ("evaluation", "evaluation_published"): "evaluation_published",
            ("outsource", "qualification_expiring"): "qualification_expiring"}.get((source, name))


# The department's O&M officer (部门运维专员) approves its unit's changes (docs/org-roles.md); the
# people who answer for vendors hold `process:vendor`.
OM_OFFICER = ("approval", "change")
VENDOR_OWNER = ("process", "vendor")


def _lead(directory: Directory, group_id: str | None, on: date) -> list[str]:
    group = directory.group(group_id) if group_id else None
    if not group or not group.get("lead_position_id"):
        return []
    return directory.holders(group["lead_position_id"], on)


def recipients(kind: str, data: dict, directory: Directory, now: datetime) -> list[str]:
    """Staff ids (org) who should hear of this event, in a stable order, without repeats."""
    today = now.date()
    out: list[str] = []
    if kind == "ticket_assigned":
        # a claim is the engineer's own act: nobody to tell
        if data.get("assignee") and data.get("method") != "claim":
            out.append(data["assignee"])
    elif kind in ("ticket_resolved", "info_requested"):
        if data.get("requester"):
            out.append(data["requester"])
    elif kind == "sla_warning":
        # the engineer holding it, else whoever is on duty in the group (a lead hears of breaches)
        if data.get("assignee"):
            out.append(data["assignee"])
        elif data.get("group_id"):
            out.extend(directory.on_duty(data["group_id"], now))
    elif kind == "sla_breached":
        # the engineer holding it, else whoever is on duty in the group; and the group lead
        if data.get("assignee"):
            out.append(data["assignee"])
        elif data.get("group_id"):
            out.extend(directory.on_duty(data["group_id"], now))
        out.extend(_lead(directory, data.get("group_id"), today))
    elif kind == "ticket_escalated":
        if data.get("to_staff_id"):
            out.append(data["to_staff_id"])
        elif data.get("to_position_id"):
            out.extend(directory.holders(data["to_position_id"], today))
        out.extend(_lead(directory, data.get("group_id"), today))
    elif kind == "budget_exceeded":
        unit = data.get("org_unit_id")
        positions = directory.positions_responsible_for("approval", "budget", unit) or \
            directory.positions_responsible_for("approval", "budget")
        for p in positions:
            out.extend(directory.holders(p, today))
    elif kind == "comment_added":
        # the author is not told of their own comment; an internal one never reaches the requester
        author = {data.get("author"), data.get("author_staff_id")}
        if data.get("visibility") == "public" and data.get("requester") not in author:
            out.append(data["requester"])
        if data.get("assignee") and data["assignee"] not in author:
            out.append(data["assignee"])
    elif kind == "change_awaiting_approval":
        # the holders of every position whose decision is awaited now (the route resolved them)
        for step in data.get("steps") or []:
            for p in step.get("positions") or []:
                out.extend(directory.holders(p, today))
    elif kind in ("rectification_assigned", "rectification_overdue"):
        if data.get("owner_position"):
            out.extend(directory.holders(data["owner_position"], today))
    elif kind == "evaluation_published":
        # each evaluated unit's O&M officer, and the evaluating unit's
        units = [r.get("org_unit_id") for r in data.get("results") or []] + [data.get("subject_org_unit_id")]
        for unit in dict.fromkeys(u for u in units if u):
            for p in directory.positions_responsible_for(*OM_OFFICER, unit):
                out.extend(directory.holders(p, today))
    elif kind == "qualification_expiring":
        positions = directory.positions_responsible_for(*VENDOR_OWNER, data.get("org_unit_id")) or \
            directory.positions_responsible_for(*VENDOR_OWNER)
        for p in positions:
            out.extend(directory.holders(p, today))
    seen: set[str] = set()
    return [s for s in out if s and not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]


def subject_key(kind: str, data: dict) -> str:
    """The incident the event is about, for de-duplication: the ticket, or the budget and scope."""
    if kind == "budget_exceeded":
        return f"budget:{data.get('budget_id')}:{data.get('scope')}"
    if kind in ("rectification_assigned", "rectification_overdue"):
        return f"rectification:{data.get('rectification_id')}"
    if kind == "evaluation_published":
        return f"evaluation:{data.get('plan_id')}"
    if kind == "qualification_expiring":  # one message per qualification and threshold
        return f"qualification:{data.get('qualification_id')}:{data.get('days_left')}"
    return f"ticket:{data.get('ticket_id')}"
