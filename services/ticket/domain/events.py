"""Events the ticket service publishes (docs/events.md is the catalogue; the contract every
consumer relies on is docs/contracts/ticket-events.md).

Every event starts with the common fields (the ticket's state after the change), then its own.
"""

from __future__ import annotations

from dataclasses import make_dataclass

from govkit.events import Event


class TicketEvent(Event):
    source = "ticket"

    def event_subject(self) -> str:
        return self.ticket_id  # type: ignore[attr-defined]

    def event_org_unit_id(self) -> str | None:
        return self.org_unit_id  # type: ignore[attr-defined]


# The common fields, first in every payload (the ticket's state after the change).
COMMON_FIELDS = [
    ('ticket_id', 'str'),
    ('number', 'str'),
    ('ticket_type', 'str'),
    ('org_unit_id', 'str'),
    ('catalogue_item_id', 'str | None'),
    ('category', 'str'),
    ('priority', 'str'),
    ('status', 'str'),
    ('group_id', 'str | None'),
    ('assignee', 'str | None'),
    ('vendor_id', 'str | None'),
    ('requester', 'str'),
    ('occurred_at', 'str'),
]


def _event(name: str, *fields: tuple[str, str]):
    """A frozen dataclass event: the common fields, then the event's own."""
    return make_dataclass(name, COMMON_FIELDS + list(fields), bases=(TicketEvent,), frozen=True,
                          namespace={"__module__": __name__})


TicketCreated = _event(
    'TicketCreated',
    ('title', 'str'),
    ('created_at', 'str'),
    ('channel', 'str'),
    ('response_due_at', 'str | None'),
    ('resolution_due_at', 'str | None'),
)
TicketAssigned = _event(
    'TicketAssigned',
    ('previous_assignee', 'str | None'),
    ('assigned_by', 'str'),
    ('method', 'str'),
    ('first_response', 'bool'),
    ('response_business_seconds', 'int | None'),
    ('business_seconds_since_created', 'int | None'),
)
TicketStatusChanged = _event(
    'TicketStatusChanged',
    ('from_status', 'str'),
    ('to_status', 'str'),
    ('pending_reason', 'str | None'),
    ('business_seconds_since_created', 'int | None'),
)
TicketResolved = _event(
    'TicketResolved',
    ('resolution_code', 'str'),
    ('response_business_seconds', 'int | None'),
    ('resolution_business_seconds', 'int | None'),
    ('response_sla_met', 'bool'),
    ('resolution_sla_met', 'bool'),
    ('first_contact', 'bool'),
    ('reassignment_count', 'int'),
    ('business_seconds_since_created', 'int | None'),
)
TicketClosed = _event(
    'TicketClosed',
    ('closed_by', 'str'),
    ('resolution_business_seconds', 'int | None'),
    ('resolution_sla_met', 'bool'),
    ('business_seconds_since_created', 'int | None'),
)
TicketReopened = _event(
    'TicketReopened',
    ('reopen_count', 'int'),
)
TicketRated = _event(
    'TicketRated',
    ('rating', 'int'),
    ('comment', 'str'),
)
# A change's approval steps whose decision is awaited now (on submission, and when a sequential
# route moves to its next step): notify tells the holders of their positions.
ChangeAwaitingApproval = _event(
    'ChangeAwaitingApproval',
    ('change_type', 'str'),
    ('risk', 'str'),
    ('emergency', 'bool'),
    ('steps', 'list'),
)
# A comment on the ticket (notify tells the requester of public ones and the assignee of all;
# an internal comment's body never reaches the requester).
CommentAdded = _event(
    'CommentAdded',
    ('comment_id', 'int'),
    ('author', 'str'),
    ('author_staff_id', 'str | None'),
    ('visibility', 'str'),
    ('body', 'str'),
)
SlaWarning = _event(
    'SlaWarning',
    ('target', 'str'),
    ('due_at', 'str'),
    ('elapsed_business_seconds', 'int'),
    ('threshold_percent', 'int'),
)
SlaBreached = _event(
    'SlaBreached',
    ('target', 'str'),
    ('due_at', 'str'),
    ('elapsed_business_seconds', 'int'),
)
TicketEscalated = _event(
    'TicketEscalated',
    ('level', 'int'),
    ('from_position_id', 'str | None'),
    ('to_position_id', 'str | None'),
    ('to_staff_id', 'str | None'),
    ('reason', 'str'),
)
TicketReprioritised = _event(
    'TicketReprioritised',
    ('from_priority', 'str'),
    ('impact', 'str'),
    ('urgency', 'str'),
    ('reason', 'str'),
    ('reprioritised_by', 'str'),
    ('response_due_at', 'str | None'),
    ('resolution_due_at', 'str | None'),
    ('response_elapsed_business_seconds', 'int | None'),
    ('resolution_elapsed_business_seconds', 'int | None'),
)
ChangeApproved = _event(
    'ChangeApproved',
    ('approver', 'str'),
    ('position_id', 'str | None'),
    ('risk', 'str'),
    ('emergency', 'bool'),
    ('comment', 'str'),
    ('step', 'str'),
    ('change_type', 'str'),
)
ChangeRejected = _event(
    'ChangeRejected',
    ('approver', 'str'),
    ('position_id', 'str | None'),
    ('risk', 'str'),
    ('emergency', 'bool'),
    ('comment', 'str'),
    ('step', 'str'),
    ('change_type', 'str'),
)
ChangeImplemented = _event(
    'ChangeImplemented',
    ('outcome', 'str'),
    ('emergency', 'bool'),
    ('risk', 'str'),
)
ProblemLinked = _event(
    'ProblemLinked',
    ('problem_id', 'str'),
    ('incident_id', 'str'),
    ('linked_incident_count', 'int'),
)
AlertReceived = _event(
    'AlertReceived',
    ('fingerprint', 'str'),
    ('alertname', 'str'),
    ('severity', 'str'),
    ('alert_status', 'str'),
    ('incident_id', 'str | None'),
    ('deduplicated', 'bool'),
)
