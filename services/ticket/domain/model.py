"""Tickets (工单): requests, incidents, problems and changes. Plain Python: no transport, no ORM.

The aggregate changes state only through `act` (the lifecycle tables in lifecycle.py) and the
methods built on it (`assign`, `resolve`, `escalate`, the change and problem steps); each returns
the events of the change, built once from the state after it. Type-specific data is typed:
`change` (change.py), `problem` (problem.py), `alert` (alert.py); `details` keeps only the
free-form extras a caller gave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from govkit.errors import FailedPrecondition, InvalidArgument, Validator
from govkit.events import jsonable

from . import events as ev
from . import lifecycle as lc
from .alert import AlertOrigin
from .calendar import BusinessCalendar
from .change import RFC_FIELDS, ApprovalStep, Change, RetrospectiveReview
from .commands import CreateTicket
from .escalation import EscalationRule, EscalationTarget
from .problem import Problem
from .sla import Deadline, SlaPolicy, SlaState, deadlines, priority_for

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
ORG_UNIT_ID_MAX = 64
IDEMPOTENCY_KEY_MAX = 128
COMMENT_MAX = 4000

CHANNELS = ("request_window", "operations_window", "alert", "api")


class Category(str, Enum):
    """The seed's three O&M service categories."""

    INFRASTRUCTURE = "infrastructure"
    APPLICATION = "application"
    INFORMATION_RESOURCE = "information_resource"


class Priority(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Status(str, Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    IMPLEMENTED = "implemented"
    KNOWN_ERROR = "known_error"


@dataclass(frozen=True)
class LifecycleSettings:
    reopen_days: int = 7  # a closed ticket may be reopened this many calendar days after closing
    autoclose_business_days: int = 3  # a resolved ticket closes itself unless the requester acts


# Fields whose every change lands in the audit trail ("details": the extras and the typed parts
# as stored, see adapters/details.py).
AUDITED = ("title", "description", "org_unit_id", "category", "priority", "impact", "urgency", "status",
           "pending_reason", "group_id", "position_id", "assignee", "vendor_id", "catalogue_item_id",
           "resolution_code", "resolution", "rating", "rating_comment", "escalation_level", "details",
           "form", "sla_state", "response_due_at", "resolution_due_at", "reopen_count", "closed_by")


@dataclass
class Ticket:
    id: str
    title: str
    description: str
    org_unit_id: str
    category: Category
    priority: Priority
    status: Status
    requester: str
    created_at: datetime
    idempotency_key: str | None = None
    number: str = ""
    ticket_type: str = "incident"
    impact: str = "medium"
    urgency: str = "medium"
    channel: str = "api"
    catalogue_item_id: str | None = None
    group_id: str | None = None
    position_id: str | None = None
    assignee: str | None = None
    vendor_id: str | None = None
    pending_reason: str | None = None
    form: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)  # free-form extras only
    change: Change | None = None  # changes
    problem: Problem | None = None  # problems
    alert: AlertOrigin | None = None  # incidents opened by an alert
    escalated_position_id: str | None = None
    escalation_reason: str | None = None
    sla: SlaState | None = None
    sla_state: str = "ok"
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_code: str | None = None
    resolution: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    reopen_count: int = 0
    reassignment_count: int = 0
    first_assignee: str | None = None
    transferred: bool = False
    rating: int | None = None
    rating_comment: str | None = None
    escalation_level: int = 0
    updated_at: datetime | None = None

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, cmd: CreateTicket, *, requester: str, now: datetime, policy: SlaPolicy | None = None,
             calendar: BusinessCalendar | None = None, number: str = "", item=None,
             form_violations=None) -> Ticket:
        """Validate a creation request and open the ticket; every bad field is reported at once.

        No event yet: `created_event` is built once the ticket is numbered and routed."""
        v = Validator()
        title = v.text("title", cmd.title, max_len=TITLE_MAX)
        description = v.text("description", cmd.description, required=False, max_len=DESCRIPTION_MAX)
        org_unit_id = v.text("org_unit_id", cmd.org_unit_id, max_len=ORG_UNIT_ID_MAX)
        key = v.text("idempotency_key", cmd.idempotency_key or "", required=False,
                     max_len=IDEMPOTENCY_KEY_MAX) or None
        category = _enum(v, "category", Category, cmd.category or (item.category if item else ""))
        ticket_type = cmd.ticket_type or (item.ticket_type if item else "incident")
        if ticket_type not in lc.TICKET_TYPES:
            v.fail("ticket_type", f"must be one of {', '.join(lc.TICKET_TYPES)}")
        impact = cmd.impact or (item.impact if item else "medium")
        urgency = cmd.urgency or (item.urgency if item else "medium")
        for name, value in (("impact", impact), ("urgency", urgency)):
            if value not in ("high", "medium", "low"):
                v.fail(name, "must be one of high, medium, low")
        if cmd.priority or not (item or cmd.impact or cmd.urgency):
            # Without a catalogue item or impact/urgency the caller must name the priority.
            priority = _enum(v, "priority", Priority, cmd.priority)
        elif impact in ("high", "medium", "low") and urgency in ("high", "medium", "low"):
            priority = Priority(priority_for(impact, urgency))
        else:
            priority = None
        if cmd.channel not in CHANNELS:
            v.fail("channel", f"must be one of {', '.join(CHANNELS)}")
        for violation in form_violations or ():
            v.violations.append(violation)
        details = dict(cmd.details or {})
        change = problem = None
        if ticket_type == "change":
            change = Change.from_rfc(v, details)
            details = {k: x for k, x in details.items() if k not in RFC_FIELDS}
        elif ticket_type == "problem":
            problem = Problem()
        if ticket_type == "rectification":
            if cmd.due_at is None:
                v.fail("due_at", "a rectification needs its due date")
            elif cmd.due_at.tzinfo is None:
                v.fail("due_at", "must carry its time zone")
        elif cmd.due_at is not None:
            v.fail("due_at", "only a rectification has its own due date (others follow their SLA policy)")
        group_id = v.text("group_id", cmd.group_id, required=False, max_len=ORG_UNIT_ID_MAX) or None
        position_id = v.text("position_id", cmd.position_id, required=False, max_len=ORG_UNIT_ID_MAX) or None
        v.check()
        ticket = cls(
            id=str(uuid.uuid4()), title=title, description=description, org_unit_id=org_unit_id,
            category=category, priority=priority, status=Status.NEW, requester=requester,
            created_at=now, idempotency_key=key, number=number, ticket_type=ticket_type, impact=impact,
            urgency=urgency, channel=cmd.channel, catalogue_item_id=item.id if item else None,
            group_id=group_id or (item.group_id if item else None),
            position_id=position_id or (item.position_id if item else None),
            form=dict(cmd.form or {}), details=details, change=change, problem=problem, updated_at=now,
        )
        if policy is not None and ticket_type in lc.SLA_TYPES:
            ticket.sla = SlaState.start(policy, priority.value, now)
        if calendar is not None:
            ticket.refresh_due(calendar)
        if ticket_type == "rectification":  # its own date, no SLA clock
            ticket.sla, ticket.sla_state, ticket.resolution_due_at = None, "none", cmd.due_at
        return ticket

    def created_event(self, now: datetime):
        return ev.TicketCreated(**self.common(now), title=self.title, created_at=jsonable(self.created_at),
                                channel=self.channel, response_due_at=_iso(self.response_due_at),
                                resolution_due_at=_iso(self.resolution_due_at))

    # -- views ----------------------------------------------------------------------------
    def common(self, now: datetime) -> dict:
        return {"ticket_id": self.id, "number": self.number, "ticket_type": self.ticket_type,
                "org_unit_id": self.org_unit_id, "catalogue_item_id": self.catalogue_item_id,
                "category": _v(self.category), "priority": _v(self.priority), "status": _v(self.status),
                "group_id": self.group_id, "assignee": self.assignee, "vendor_id": self.vendor_id,
                "requester": self.requester, "occurred_at": jsonable(now)}

    def since_created(self, now: datetime, cal: BusinessCalendar | None) -> int | None:
        """The calendar's reading from creation to `now`, pending included (`business_seconds_since_created`
        on the timeline events: a consumer running its own clock subtracts two readings)."""
        return int(cal.seconds_between(self.created_at, now)) if cal is not None else None

    @property
    def is_open(self) -> bool:
        return _v(self.status) in lc.OPEN_STATUSES

    # -- SLA ------------------------------------------------------------------------------
    def refresh_due(self, cal: BusinessCalendar) -> None:
        if self.ticket_type == "rectification":
            return  # due by the rectification's own date, set when it was opened
        if self.sla is None:
            self.response_due_at = self.resolution_due_at = None
            self.sla_state = "none"
            return
        self.response_due_at = self.sla.response.due_at(cal)
        self.resolution_due_at = self.sla.resolution.due_at(cal)
        self.sla_state = self.sla.state()

    def deadlines(self, cal: BusinessCalendar | None, settings: LifecycleSettings) -> list[Deadline]:
        out = deadlines(self.sla, cal, self.escalation_level) if cal is not None else []
        if _v(self.status) == "resolved" and self.ticket_type in ("request", "incident") and self.resolved_at:
            per_day = _business_day_seconds(cal)
            out.append(Deadline("resolution", "autoclose",
                                (cal.add(self.resolved_at, settings.autoclose_business_days * per_day)
                                 if cal else self.resolved_at + timedelta(days=settings.autoclose_business_days))))
        return out

    def apply_policy(self, policy: SlaPolicy, cal: BusinessCalendar) -> None:
        if self.sla is not None:
            self.sla.apply_policy(policy, _v(self.priority))
            self.refresh_due(cal)

    def reprioritise(self, impact: str, urgency: str, reason: str, *, by: str, now: datetime,
                     policy: SlaPolicy | None, cal: BusinessCalendar | None) -> list:
        """New impact × urgency → new priority. The SLA targets follow the new priority under the
        ticket's own policy; the business time already accumulated is kept (a ticket 3 h into a
        medium becomes high with 3 h spent), and a warning or breach already recorded stays."""
        v = Validator()
        for name, value in (("impact", impact), ("urgency", urgency)):
            if value not in ("high", "medium", "low"):
                v.fail(name, "must be one of high, medium, low")
        reason = v.text("reason", reason, max_len=COMMENT_MAX)
        v.check()
        if not self.is_open:
            raise FailedPrecondition(f"cannot reprioritise a {self.ticket_type} in status {_v(self.status)}")
        if (impact, urgency) == (self.impact, self.urgency):
            raise FailedPrecondition(f"{self.number} already has impact {impact} and urgency {urgency}")
        before = _v(self.priority)
        self.impact, self.urgency = impact, urgency
        self.priority = Priority(priority_for(impact, urgency))
        self.updated_at = now
        if self.sla is not None and policy is not None and cal is not None:
            self.sla.retarget(policy, self.priority.value)
            self.refresh_due(cal)
        sla = self.sla
        return [ev.TicketReprioritised(
            **self.common(now), from_priority=before, impact=impact, urgency=urgency, reason=reason,
            reprioritised_by=by, response_due_at=_iso(self.response_due_at),
            resolution_due_at=_iso(self.resolution_due_at),
            response_elapsed_business_seconds=int(sla.response.elapsed_at(now, cal)) if sla and cal else None,
            resolution_elapsed_business_seconds=int(sla.resolution.elapsed_at(now, cal)) if sla and cal else None)]

    # -- lifecycle ------------------------------------------------------------------------
    def act(self, action: str, now: datetime, cal: BusinessCalendar | None, *, pending_reason: str | None = None,
            settings: LifecycleSettings = LifecycleSettings()) -> list:
        """Move along the lifecycle table; returns [TicketStatusChanged] (or [] if unchanged)."""
        before = _v(self.status)
        after = lc.next_status(self.ticket_type, before, action)
        if action == "pend":
            if pending_reason not in lc.PENDING_REASONS:
                raise InvalidArgument(field="pending_reason",
                                      reason=f"must be one of {', '.join(lc.PENDING_REASONS)}")
        if action == "reopen" and before == "closed":
            if self.closed_at is None or now - self.closed_at > timedelta(days=settings.reopen_days):
                raise FailedPrecondition(f"cannot reopen a {self.ticket_type} in status closed: the "
                                         f"{settings.reopen_days}-day reopen window has passed")
        sla = self.sla
        if sla is not None and cal is not None:
            if before == "pending" and after != "pending":
                sla.resume(now)
            if after == "pending":
                sla.pause(now, cal)
            if after == "resolved":
                sla.response.stop(now, cal)
                sla.resolution.stop(now, cal)
            if action == "reopen":
                sla.resolution.restart(now)
            if action == "cancel":
                sla.response.stop(now, cal)
                sla.resolution.stop(now, cal)
        if after == "pending":  # a pending ticket reassigned stays pending for the same reason
            self.pending_reason = pending_reason if before != "pending" else (pending_reason or self.pending_reason)
        else:
            self.pending_reason = None
        self.status = Status(after)
        self.updated_at = now
        if after == "resolved":
            self.resolved_at = now
        if after == "closed":
            self.closed_at = now
        if action == "reopen":
            self.reopen_count += 1
            self.resolved_at = self.closed_at = self.closed_by = None
            self.resolution_code = self.resolution = None
        if cal is not None:
            self.refresh_due(cal)
        if after == before:
            return []
        return [ev.TicketStatusChanged(**self.common(now), from_status=before, to_status=after,
                                       pending_reason=self.pending_reason,
                                       business_seconds_since_created=self.since_created(now, cal))]

    def assign(self, staff_id: str, *, by: str, method: str, now: datetime, cal: BusinessCalendar | None,
               vendor_id: str | None = None, group_id: str | None = None) -> list:
        if not self.is_open:
            raise FailedPrecondition(f"cannot assign a {self.ticket_type} in status {_v(self.status)}")
        previous = self.assignee
        if previous == staff_id and (group_id is None or group_id == self.group_id):
            raise FailedPrecondition(f"{self.number} is already assigned to {staff_id}")
        out = self.act("assign", now, cal)
        self.assignee, self.vendor_id = staff_id, vendor_id
        if group_id is not None:
            self.group_id = group_id
        if self.first_assignee is None:
            self.first_assignee = staff_id
        elif previous is not None:
            self.reassignment_count += 1
        if method in ("transfer", "escalation"):
            self.transferred = True
        first_response, response_seconds = False, None
        if self.sla is not None and cal is not None and not self.sla.response.done:
            self.sla.response.stop(now, cal)
            first_response, response_seconds = True, int(round(self.sla.response.elapsed))
        elif self.sla is None and previous is None and self.reassignment_count == 0:
            first_response = True
        if cal is not None:
            self.refresh_due(cal)
        assigned = ev.TicketAssigned(**self.common(now), previous_assignee=previous, assigned_by=by,
                                     method=method, first_response=first_response,
                                     response_business_seconds=response_seconds,
                                     business_seconds_since_created=self.since_created(now, cal))
        # The status event carries the state after the whole change (assignee included).
        out = [ev.TicketStatusChanged(**{**e.__dict__, **self.common(now)}) for e in out]
        return [assigned, *out]

    def resolve(self, code: str, text: str, now: datetime, cal: BusinessCalendar | None) -> list:
        v = Validator()
        code = v.text("resolution_code", code, max_len=64)
        text = v.text("resolution", text, required=False, max_len=DESCRIPTION_MAX)
        v.check()
        out = self.act("resolve", now, cal)
        self.resolution_code, self.resolution = code, text
        sla = self.sla
        resolved = ev.TicketResolved(
            **self.common(now), resolution_code=code,
            response_business_seconds=int(round(sla.response.elapsed)) if sla else None,
            resolution_business_seconds=int(round(sla.resolution.elapsed)) if sla else None,
            response_sla_met=sla.response.met() if sla else True,
            resolution_sla_met=sla.resolution.met() if sla else True,
            first_contact=self.first_assignee is not None and self.assignee == self.first_assignee
            and not self.transferred and self.reassignment_count == 0,
            reassignment_count=self.reassignment_count,
            business_seconds_since_created=self.since_created(now, cal))
        return [*out, resolved]

    def close(self, closed_by: str, now: datetime, cal: BusinessCalendar | None) -> list:
        out = self.act("close", now, cal)
        self.closed_by = closed_by
        sla = self.sla
        return [*out, ev.TicketClosed(
            **self.common(now), closed_by=closed_by,
            resolution_business_seconds=int(round(sla.resolution.elapsed)) if sla else None,
            resolution_sla_met=sla.resolution.met() if sla else True,
            business_seconds_since_created=self.since_created(now, cal))]

    def reopen(self, now: datetime, cal: BusinessCalendar | None, settings: LifecycleSettings) -> list:
        out = self.act("reopen", now, cal, settings=settings)
        return [*out, ev.TicketReopened(**self.common(now), reopen_count=self.reopen_count)]

    def rate(self, rating: int, comment: str, now: datetime) -> list:
        if _v(self.status) not in ("resolved", "closed"):
            raise FailedPrecondition(f"cannot rate a {self.ticket_type} in status {_v(self.status)}")
        v = Validator()
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            v.fail("rating", "must be between 1 and 5")
        comment = v.text("comment", comment, required=False, max_len=COMMENT_MAX)
        v.check()
        self.rating, self.rating_comment, self.updated_at = rating, comment, now
        return [ev.TicketRated(**self.common(now), rating=rating, comment=comment)]

    # -- escalation -----------------------------------------------------------------------
    def escalate(self, rule: EscalationRule, target: EscalationTarget, *, reason: str, actor: str,
                 now: datetime, cal: BusinessCalendar | None) -> list:
        """One escalation level: note the position gone up to and, for a reassigning rule,
        hand the ticket to that position's holder."""
        from_position = self.escalated_position_id or self.position_id
        self.escalation_level = rule.level
        if target.position_id:
            self.escalated_position_id = target.position_id
        self.escalation_reason = reason
        out = []
        if rule.reassigns and target.staff_id and target.staff_id != self.assignee:
            out += self.assign(target.staff_id, by=actor, method="escalation", now=now, cal=cal,
                               vendor_id=target.vendor_id)
        out.append(ev.TicketEscalated(**self.common(now), level=rule.level, from_position_id=from_position,
                                      to_position_id=target.position_id, to_staff_id=target.staff_id,
                                      reason=reason))
        return out

    # -- changes --------------------------------------------------------------------------
    def require_change(self) -> Change:
        if self.ticket_type != "change" or self.change is None:
            raise FailedPrecondition(f"{self.number} is a {self.ticket_type}, not a change")
        return self.change

    def submit_change(self, steps: list[ApprovalStep], sequential: bool, retrospective: RetrospectiveReview | None,
                      now: datetime) -> list:
        """Awaiting approval along the route resolved for this change (change.resolve_route)."""
        change = self.require_change()
        if not steps:
            raise FailedPrecondition(f"a {change.change_type} change route without approval steps is pre-approved")
        out = self.act("submit", now, None)
        change.submit(steps, sequential, retrospective)
        out.append(self._awaiting(change, change.eligible, now))
        return out

    def _awaiting(self, change, steps, now: datetime):
        return ev.ChangeAwaitingApproval(
            **self.common(now), change_type=change.change_type, risk=change.risk, emergency=change.emergency,
            steps=[{"step": s.name, "org_unit_id": s.org_unit_id, "positions": list(s.positions)} for s in steps])

    def preapprove_change(self, now: datetime) -> list:
        """A standard change of a pre-approved model: approved without an approval round."""
        change = self.require_change()
        out = self.act("preapprove", now, None)
        change.submit([], True)
        return out

    def decide_change(self, approver: str, positions_held: list[str], approve: bool, comment: str,
                      now: datetime) -> list:
        change = self.require_change()
        if self.status != Status.AWAITING_APPROVAL:
            raise FailedPrecondition(f"cannot approve or reject a change in status {_v(self.status)}")
        before = {s.name for s in change.eligible}
        approval, final = change.decide(approver, positions_held, approve, comment, now)
        out = self.act("reject" if not approve else "approve_final" if final else "approve", now, None)
        decided = dict(approver=approver, position_id=approval.position_id, risk=change.risk,
                       emergency=change.emergency, comment=approval.comment, step=approval.step,
                       change_type=change.change_type)
        out.append((ev.ChangeApproved if approve else ev.ChangeRejected)(**self.common(now), **decided))
        newly = [s for s in change.eligible if s.name not in before] if approve and not final else []
        if newly:  # a sequential route's next step: its approvers are awaited now
            out.append(self._awaiting(change, newly, now))
        return out

    def implement_change(self, outcome: str, notes: str, now: datetime) -> list:
        change = self.require_change()
        out = self.act("implement", now, None)
        change.implement(outcome, notes)
        out.append(ev.ChangeImplemented(**self.common(now), outcome=outcome, emergency=change.emergency,
                                        risk=change.risk))
        return out

    def review_change(self, reviewer: str, positions_held: list[str], review: str, now: datetime) -> list:
        change = self.require_change()
        lc.next_status(self.ticket_type, _v(self.status), "review")  # only an implemented change
        change.record_review(reviewer, positions_held, review, now)
        out = self.act("review", now, None)
        self.closed_by = "staff"
        out.append(ev.TicketClosed(**self.common(now), closed_by="staff", resolution_business_seconds=None,
                                   resolution_sla_met=True, business_seconds_since_created=None))
        return out

    # -- problems -------------------------------------------------------------------------
    def require_problem(self) -> Problem:
        if self.ticket_type != "problem":
            raise FailedPrecondition(f"{self.number} is a {self.ticket_type}, not a problem")
        if self.problem is None:
            self.problem = Problem()
        return self.problem

    def link_incident(self, incident: Ticket, linked_incident_count: int, now: datetime) -> list:
        problem = self.require_problem()
        problem.linked_incident_count = linked_incident_count
        return [ev.ProblemLinked(**self.common(now), problem_id=self.id, incident_id=incident.id,
                                 linked_incident_count=linked_incident_count)]

    def known_error(self, now: datetime) -> tuple[list, str, str]:
        """To known error: the status events and the title and body of its knowledge article."""
        title, body = self.require_problem().known_error_article(self.title)
        return self.act("known_error", now, None), title, body

    # -- alerts ---------------------------------------------------------------------------
    def note_alert(self, fingerprint: str, labels: dict, repeats: int) -> None:
        if self.alert is None:
            self.alert = AlertOrigin(fingerprint, dict(labels), repeats)
        else:
            self.alert.repeats = repeats


def _business_day_seconds(cal: BusinessCalendar | None) -> float:
    if cal is None or cal.always:
        return 86400.0
    return sum((datetime.combine(datetime.min, b) - datetime.combine(datetime.min, a)).total_seconds()
               for a, b in cal.periods)


def _iso(value) -> str | None:
    return jsonable(value) if value is not None else None


def _v(value):
    return value.value if isinstance(value, Enum) else value


def _enum(v: Validator, field: str, enum_cls, value):
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        v.fail(field, f"must be one of {allowed}" if value else "is required")
        return None
