"""A ticket's public timeline: its creation, status changes and assignments, read from the audit
trail, with nothing the requester may not see.

The audit trail holds every audited field's before/after (SLA clocks, vendor, details, form, …)
and the actor's subject; the timeline keeps only the status, the pending reason, the support
group and the assignee, so GetTicketDetail can give it to anyone who may read the ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # created | status | assigned
    from_status: str = ""
    to_status: str = ""
    pending_reason: str = ""
    group_id: str = ""
    assignee: str = ""  # a staff id: shown by its display name, never as the id


def public_timeline(audit: list[dict]) -> list[TimelineEntry]:
    """audit: the ticket's audit entries ({at, action, before, after}), oldest first."""
    out: list[TimelineEntry] = []
    group, assignee = "", ""
    for entry in audit:
        before, after, at = entry.get("before") or {}, entry.get("after") or {}, entry["at"]
        if entry.get("action") == "created":
            group, assignee = after.get("group_id") or "", after.get("assignee") or ""
            out.append(TimelineEntry(at, "created", to_status=after.get("status") or "",
                                     pending_reason=_reason(after, after.get("status"))))
            if group or assignee:
                out.append(TimelineEntry(at, "assigned", group_id=group, assignee=assignee))
            continue
        if "group_id" in after or "assignee" in after:
            group = after.get("group_id", group) or ""
            assignee = after.get("assignee", assignee) or ""
            out.append(TimelineEntry(at, "assigned", group_id=group, assignee=assignee))
        if "status" in after:
            out.append(TimelineEntry(at, "status", from_status=before.get("status") or "",
                                     to_status=after["status"] or "", pending_reason=_reason(after, after["status"])))
    return out


def _reason(after: dict, status) -> str:
    return (after.get("pending_reason") or "") if status == "pending" else ""
