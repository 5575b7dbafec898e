"""Commands: what callers ask the ticket service to do (imperative, never broadcast).

One per use case in handlers/; the entry points (gRPC, nameko, HTTP, CLI seed) build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: alert.py builds CreateTicket, so it imports this module
    from .alert import AlertNotice
    from .calendar import BusinessCalendar
    from .catalogue import CatalogueItem
    from .sla import SlaPolicy


# -- tickets: create and read (handlers/tickets.py) -------------------------------------------
@dataclass(frozen=True)
class CreateTicket:
    title: str
    description: str
    org_unit_id: str
    category: str = ""
    priority: str = ""  # empty: from impact × urgency
    idempotency_key: str | None = None
    ticket_type: str = ""  # empty: the catalogue item's default, else incident
    catalogue_item_id: str | None = None
    impact: str = ""
    urgency: str = ""
    form: dict = field(default_factory=dict)
    channel: str = "api"
    details: dict = field(default_factory=dict)  # change RFC fields, free-form extras
    # A rectification's own due time (required for ticket_type rectification, refused otherwise).
    due_at: datetime | None = None
    # Route to this support group / responsible position (else the catalogue item's).
    group_id: str = ""
    position_id: str = ""


@dataclass(frozen=True)
class GetTicket:
    ticket_id: str


@dataclass(frozen=True)
class GetTicketDetail:
    ticket_id: str


@dataclass(frozen=True)
class ListTickets:
    view: str = "all"  # mine | my_queue | group_queue | all
    filters: dict = field(default_factory=dict)
    page_size: int = 50
    page_token: str = ""
    sort: str = "created_desc"  # created_desc | sla_due


@dataclass(frozen=True)
class ListAudit:
    ticket_id: str | None = None
    actor: str | None = None
    after_id: int = 0
    limit: int = 50


# -- the operations window (handlers/queue.py) ----------------------------------------------
@dataclass(frozen=True)
class ClaimTicket:
    ticket_id: str


@dataclass(frozen=True)
class SaveQueueView:
    name: str
    view: str = "my_queue"  # my_queue | group_queue | all
    filter: dict = field(default_factory=dict)  # the ListQueue filter's proto3 JSON


@dataclass(frozen=True)
class WatchQueue:
    view: str = "my_queue"  # my_queue | group_queue | all
    group_id: str = ""


@dataclass(frozen=True)
class ListGroupWorkload:
    group_ids: tuple[str, ...] = ()
    all_groups: bool = False


@dataclass(frozen=True)
class AssignTicket:
    ticket_id: str
    assignee: str


@dataclass(frozen=True)
class TransferTicket:
    ticket_id: str
    assignee: str = ""  # empty: to the group's queue
    group_id: str | None = None


@dataclass(frozen=True)
class ChangeStatus:
    ticket_id: str
    action: str  # start | pend | resume | cancel | … (the ticket type's lifecycle table)
    pending_reason: str | None = None


@dataclass(frozen=True)
class ResolveTicket:
    ticket_id: str
    resolution_code: str
    resolution: str = ""


@dataclass(frozen=True)
class CloseTicket:
    ticket_id: str


@dataclass(frozen=True)
class BulkAction:
    ticket_ids: tuple[str, ...]
    action: str  # assign | transfer | resolve | close | start
    assignee: str = ""
    group_id: str = ""
    resolution_code: str = ""
    resolution: str = ""


@dataclass(frozen=True)
class LinkTickets:
    from_id: str
    to_id: str
    kind: str


# -- escalation (handlers/escalation.py) ----------------------------------------------------
@dataclass(frozen=True)
class EscalateTicket:
    ticket_id: str
    reason: str = ""  # kept on the ticket and in ticket_escalated; empty: "manual"


# -- the service-request window (handlers/requests.py) --------------------------------------
@dataclass(frozen=True)
class AddComment:
    ticket_id: str
    body: str
    visibility: str = "public"  # public | internal


@dataclass(frozen=True)
class SupplyInfo:
    ticket_id: str
    body: str


@dataclass(frozen=True)
class ConfirmResolution:
    ticket_id: str
    rating: int = 0  # 0: no rating
    comment: str = ""


@dataclass(frozen=True)
class RateTicket:
    ticket_id: str
    rating: int
    comment: str = ""


@dataclass(frozen=True)
class ReopenTicket:
    ticket_id: str
    reason: str = ""


@dataclass(frozen=True)
class AddAttachment:
    ticket_id: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class GetAttachment:
    attachment_id: str


@dataclass(frozen=True)
class WatchTicket:
    ticket_id: str
    subject: str = ""  # empty: the caller
    on: bool = True


# -- changes (handlers/changes.py) ----------------------------------------------------------
@dataclass(frozen=True)
class SubmitChange:
    ticket_id: str


@dataclass(frozen=True)
class DecideChange:
    ticket_id: str
    approve: bool
    comment: str = ""


@dataclass(frozen=True)
class ImplementChange:
    ticket_id: str
    outcome: str  # successful | failed | rolled_back
    notes: str = ""


@dataclass(frozen=True)
class ReviewChange:
    ticket_id: str
    review: str


@dataclass(frozen=True)
class ListChangeRoutes:
    pass


@dataclass(frozen=True)
class UpsertChangeRoute:
    """{change_type, sequential, steps: [{name, responsibility, scope}], retrospective_review,
    catalogue_item_ids} (domain.change.ChangeRoute.from_dict)."""

    route: dict


# -- problems (handlers/problems.py) --------------------------------------------------------
@dataclass(frozen=True)
class LinkIncident:
    problem_id: str
    incident_id: str


@dataclass(frozen=True)
class UpdateProblem:
    problem_id: str
    root_cause: str | None = None  # None: unchanged
    workaround: str | None = None
    known_error: bool = False


# -- knowledge base (handlers/knowledge.py) -------------------------------------------------
@dataclass(frozen=True)
class CreateArticle:
    title: str
    body: str
    catalogue_item_ids: tuple[str, ...] = ()
    problem_id: str | None = None


@dataclass(frozen=True)
class ReviseArticle:
    article_id: str
    title: str = ""  # title or body: a new version
    body: str = ""
    action: str = ""  # publish | archive | empty
    expected_version: int = 0  # 0: no check (domain/versions.py)
    links: tuple[tuple[str, ...], str | None] | None = None  # (catalogue item ids, problem id) replace the links


@dataclass(frozen=True)
class ListArticles:
    statuses: tuple[str, ...] = ()  # empty: all the caller may see
    catalogue_item_id: str | None = None
    problem_id: str | None = None
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class SearchArticles:
    query: str
    catalogue_item_id: str | None = None
    include_drafts: bool = False
    limit: int = 10


@dataclass(frozen=True)
class GetArticle:
    article_id: str


# -- catalogue (handlers/catalogue.py) ------------------------------------------------------
@dataclass(frozen=True)
class EnsureDefaults:
    """Store the default catalogue, calendars and SLA policies where missing."""


@dataclass(frozen=True)
class ListCatalogue:
    include_inactive: bool = False


@dataclass(frozen=True)
class UpsertCatalogueItem:
    item: CatalogueItem
    expected_version: int = 0  # 0: no check (domain/versions.py)


# -- SLA administration and the deadline scheduler (handlers/sla.py) ------------------------
@dataclass(frozen=True)
class UpsertSlaPolicy:
    policy: SlaPolicy


@dataclass(frozen=True)
class UpsertCalendar:
    calendar: BusinessCalendar


@dataclass(frozen=True)
class SetDepartmentSlaPolicy:
    org_unit_id: str
    policy_id: str = ""  # empty: back to the catalogue item's policy


@dataclass(frozen=True)
class ReapplySlaPolicy:
    ticket_id: str


@dataclass(frozen=True)
class GetCalendar:
    calendar_id: str


@dataclass(frozen=True)
class ImportCalendarYear:
    calendar_id: str
    year: int
    csv_text: str


@dataclass(frozen=True)
class LoadStatutoryYear:
    calendar_id: str
    year: int


@dataclass(frozen=True)
class CheckCalendarCoverage:
    """Report the years the calendars in use lack (from 1 November: next year)."""


@dataclass(frozen=True)
class ReprioritiseTicket:
    """New impact and urgency (high | medium | low) for an open ticket; the reason is required."""

    ticket_id: str
    impact: str
    urgency: str
    reason: str


@dataclass(frozen=True)
class FireDueDeadlines:
    limit: int = 200  # tickets per batch


# -- alert intake (handlers/alerts.py) ------------------------------------------------------
@dataclass(frozen=True)
class ReceiveAlerts:
    alerts: tuple[AlertNotice, ...]
    # labels naming the org unit, tried in order; a value is a unit code or a unit's name
    unit_labels: tuple[str, ...]

    @classmethod
    def from_webhook(cls, payload, unit_labels: tuple[str, ...] | None = None) -> ReceiveAlerts:
        """Alertmanager's webhook body (v4); INVALID_ARGUMENT if it is not one."""
        from .alert import UNIT_LABELS, parse_webhook

        return cls(parse_webhook(payload), tuple(unit_labels or UNIT_LABELS))
