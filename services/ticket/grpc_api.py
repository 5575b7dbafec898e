"""ticket-grpc: govops.ticket.v1.TicketService. Thin: request → command → handler → response."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct

from govkit.db import make_engine
from govkit.events import jsonable
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govkit.protoconv import timestamp
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

from . import handlers
from .adapters.uow import TicketUnitOfWork
from .domain.calendar import BusinessCalendar
from .domain.catalogue import CatalogueItem
from .domain.commands import CreateTicket, GetTicket
from .domain.model import Category, Priority, Status, Ticket
from .domain.sla import SlaPolicy

PERMISSIONS = {
    "CreateTicket": "ticket.create",
    "GetTicket": "ticket.read",
    "SubmitRequest": "ticket.create",
    "ListMyTickets": "ticket.read",
    "GetTicketDetail": "ticket.read",
    "AddComment": "ticket.comment",
    "SupplyInfo": "ticket.comment",
    "ConfirmResolution": "ticket.create",
    "RateTicket": "ticket.create",
    "ReopenTicket": "ticket.create",
    "AddAttachment": "ticket.comment",
    "GetAttachment": "ticket.read",
    "WatchTicket": "ticket.read",
    "ListQueue": "ticket.work",
    "ClaimTicket": "ticket.work",
    "AssignTicket": "ticket.assign",
    "TransferTicket": "ticket.assign",
    "EscalateTicket": "ticket.assign",
    "ReapplySlaPolicy": "ticket.admin",
    "ChangeStatus": "ticket.work",
    "ResolveTicket": "ticket.work",
    "CloseTicket": "ticket.work",
    "BulkAction": "ticket.assign",
    "LinkTickets": "ticket.work",
    "SubmitChange": "ticket.work",
    "ApproveChange": "ticket.approve_change",
    "RejectChange": "ticket.approve_change",
    "ImplementChange": "ticket.work",
    "ReviewChange": "ticket.work",
    "LinkIncident": "ticket.work",
    "UpdateProblem": "ticket.work",
    "ListCatalogue": "ticket.read",
    "UpsertCatalogueItem": "ticket.catalogue.write",
    "SearchArticles": "ticket.read",
    "GetArticle": "ticket.read",
    "CreateArticle": "ticket.kb.write",
    "ReviseArticle": "ticket.kb.write",
    "UpsertSlaPolicy": "ticket.admin",
    "UpsertCalendar": "ticket.admin",
    "SetDepartmentSlaPolicy": "ticket.admin",
    "ListAudit": "ticket.audit.read",
}

_CATEGORY = {pb.CATEGORY_INFRASTRUCTURE: Category.INFRASTRUCTURE,
             pb.CATEGORY_APPLICATION: Category.APPLICATION,
             pb.CATEGORY_INFORMATION_RESOURCE: Category.INFORMATION_RESOURCE}
_PRIORITY = {pb.PRIORITY_CRITICAL: Priority.CRITICAL, pb.PRIORITY_HIGH: Priority.HIGH,
             pb.PRIORITY_MEDIUM: Priority.MEDIUM, pb.PRIORITY_LOW: Priority.LOW}
_STATUS = {Status(s): getattr(pb, f"TICKET_STATUS_{s.upper()}") for s in (x.value for x in Status)}
_CATEGORY_PB = {v: k for k, v in _CATEGORY.items()}
_PRIORITY_PB = {v: k for k, v in _PRIORITY.items()}


def _enum_in(table: dict, value: int) -> str:
    # Unspecified reaches the domain as "" ("is required"), an unknown number as itself
    # ("must be one of ..."): the domain reports both per field.
    member = table.get(value)
    return member.value if member else (str(value) if value else "")


def _struct(value: dict | None) -> Struct:
    s = Struct()
    if value:
        s.update(jsonable(value))
    return s


def _dict(s: Struct) -> dict:
    return json_format.MessageToDict(s) if s is not None else {}


def ticket_to_pb(t: Ticket) -> pb.Ticket:
    return pb.Ticket(
        id=t.id, title=t.title, description=t.description, department=t.department,
        category=_CATEGORY_PB[t.category], priority=_PRIORITY_PB[t.priority], status=_STATUS[t.status],
        requester=t.requester, created_at=timestamp(t.created_at), number=t.number, ticket_type=t.ticket_type,
        catalogue_item_id=t.catalogue_item_id or "", impact=t.impact, urgency=t.urgency, channel=t.channel,
        group_id=t.group_id or "", position_id=t.position_id or "", assignee=t.assignee or "",
        vendor_id=t.vendor_id or "", pending_reason=t.pending_reason or "", form=_struct(t.form),
        details=_struct(t.details), sla_state=t.sla_state, response_due_at=timestamp(t.response_due_at),
        resolution_due_at=timestamp(t.resolution_due_at), resolution_code=t.resolution_code or "",
        resolution=t.resolution or "", reopen_count=t.reopen_count, rating=t.rating or 0,
        escalation_level=t.escalation_level, updated_at=timestamp(t.updated_at),
        sla_policy_id=t.sla.policy_id if t.sla else "", calendar_id=t.sla.calendar_id if t.sla else "",
        response_elapsed_seconds=int(t.sla.response.elapsed) if t.sla else 0,
        resolution_elapsed_seconds=int(t.sla.resolution.elapsed) if t.sla else 0)


def article_to_pb(a) -> pb.Article:
    return pb.Article(id=a.id, title=a.title, body=a.body, status=a.status, version=a.version,
                      catalogue_item_ids=a.catalogue_item_ids, problem_id=a.problem_id or "", author=a.author,
                      updated_at=timestamp(a.updated_at), score=a.score)


def item_to_pb(i: CatalogueItem) -> pb.CatalogueItem:
    return pb.CatalogueItem(id=i.id, parent_id=i.parent_id or "", name=i.name, category=i.category, kind=i.kind,
                            ticket_type=i.ticket_type, impact=i.impact, urgency=i.urgency,
                            sla_policy_id=i.sla_policy_id or "", group_id=i.group_id or "",
                            position_id=i.position_id or "", form_schema=_struct(i.form_schema),
                            description=i.description, active=i.active, sort=i.sort)


def _filters(f: pb.TicketFilter) -> dict:
    out: dict[str, Any] = {
        name: list(getattr(f, name))
        for name in ("status", "priority", "category", "department", "assignee", "sla_state", "ticket_type")
        if getattr(f, name)
    }
    if f.group_id:
        out["group_id"] = [f.group_id]
    if f.unassigned:
        out["unassigned"] = True
    if f.HasField("created_from"):
        out["created_from"] = f.created_from.ToDatetime(tzinfo=UTC)
    if f.HasField("created_to"):
        out["created_to"] = f.created_to.ToDatetime(tzinfo=UTC)
    if not f.include_closed and not f.status:
        out["open_only"] = True
    return out


class TicketServicer(pb_grpc.TicketServiceServicer):
    def __init__(self, engine):
        self.engine = engine

    def _uow(self):
        return TicketUnitOfWork(self.engine, principal().scope)

    def _t(self, ticket):
        return ticket_to_pb(ticket)

    # -- create / read ----------------------------------------------------------------------
    def CreateTicket(self, request, context):
        cmd = CreateTicket(
            title=request.title, description=request.description, department=request.department,
            category=_enum_in(_CATEGORY, request.category), priority=_enum_in(_PRIORITY, request.priority),
            idempotency_key=request.idempotency_key or None, ticket_type=request.ticket_type,
            details=_dict(request.details), channel="api")
        result = handlers.create_ticket(cmd, self._uow(), principal())
        return pb.CreateTicketResponse(ticket=ticket_to_pb(result.ticket), replayed=result.replayed)

    def GetTicket(self, request, context):
        ticket = handlers.get_ticket(GetTicket(request.id), self._uow(), principal())
        return pb.GetTicketResponse(ticket=ticket_to_pb(ticket))

    def SubmitRequest(self, r, context):
        if not r.catalogue_item_id:
            from govkit.errors import InvalidArgument

            raise InvalidArgument(field="catalogue_item_id", reason="must not be empty")
        cmd = CreateTicket(title=r.title, description=r.description, department=r.department,
                           catalogue_item_id=r.catalogue_item_id, form=_dict(r.form), impact=r.impact,
                           urgency=r.urgency, idempotency_key=r.idempotency_key or None, details=_dict(r.details),
                           channel="operations_window" if r.operations_window else "request_window")
        res = handlers.create_ticket(cmd, self._uow(), principal())
        return pb.SubmitRequestResponse(ticket=ticket_to_pb(res.ticket), replayed=res.replayed,
                                        suggestions=[article_to_pb(a) for a in res.suggestions])

    def ListMyTickets(self, r, context):
        f = _filters(r.filter)
        if not r.filter.include_closed and not r.filter.status:
            f.pop("open_only", None)  # my tickets: closed ones too unless filtered
        items, token = handlers.list_tickets(handlers.ListTickets("mine", f, r.page_size, r.page_token),
                                             self._uow(), principal())
        return pb.ListMyTicketsResponse(tickets=[ticket_to_pb(t) for t in items], next_page_token=token)

    def ListQueue(self, r, context):
        items, token = handlers.list_tickets(
            handlers.ListTickets(r.view or "my_queue", _filters(r.filter), r.page_size, r.page_token,
                                 r.sort or "created_desc"), self._uow(), principal())
        return pb.ListQueueResponse(tickets=[ticket_to_pb(t) for t in items], next_page_token=token)

    def GetTicketDetail(self, r, context):
        d = handlers.ticket_detail(r.id, self._uow(), principal())
        return pb.GetTicketDetailResponse(
            ticket=ticket_to_pb(d.ticket),
            comments=[pb.Comment(id=c["id"], author=c["author"], body=c["body"], visibility=c["visibility"],
                                 created_at=timestamp(c["created_at"])) for c in d.comments],
            attachments=[_attachment(a) for a in d.attachments], watchers=d.watchers,
            links=[pb.Link(from_id=str(x["from_id"]), to_id=str(x["to_id"]), kind=x["kind"]) for x in d.links],
            allowed_actions=d.allowed_actions)

    # -- requester window -------------------------------------------------------------------
    def AddComment(self, r, context):
        cid = handlers.add_comment(
            r.ticket_id, r.body, "internal" if r.internal else "public", self._uow(), principal()
        )
        return pb.AddCommentResponse(comment_id=cid)

    def SupplyInfo(self, r, context):
        return pb.SupplyInfoResponse(
            ticket=self._t(handlers.supply_info(r.ticket_id, r.body, self._uow(), principal()))
        )

    def ConfirmResolution(self, r, context):
        return pb.ConfirmResolutionResponse(ticket=self._t(
            handlers.confirm_resolution(r.ticket_id, r.rating, r.comment, self._uow(), principal())))

    def RateTicket(self, r, context):
        return pb.RateTicketResponse(ticket=self._t(
            handlers.rate_ticket(r.ticket_id, r.rating, r.comment, self._uow(), principal())))

    def ReopenTicket(self, r, context):
        return pb.ReopenTicketResponse(
            ticket=self._t(handlers.reopen_ticket(r.ticket_id, r.reason, self._uow(), principal()))
        )

    def AddAttachment(self, r, context):
        a = handlers.add_attachment(r.ticket_id, r.filename, r.content_type, r.data, self._uow(), principal())
        return pb.AddAttachmentResponse(attachment=_attachment(a))

    def GetAttachment(self, r, context):
        a = handlers.get_attachment(r.id, self._uow(), principal())
        return pb.GetAttachmentResponse(attachment=_attachment(a), data=bytes(a["data"]))

    def WatchTicket(self, r, context):
        return pb.WatchTicketResponse(watchers=handlers.watch_ticket(r.ticket_id, r.subject, not r.unwatch,
                                                                     self._uow(), principal()))

    # -- operations window ------------------------------------------------------------------
    def ClaimTicket(self, r, context):
        return pb.ClaimTicketResponse(
            ticket=self._t(handlers.assign_ticket(r.ticket_id, "", "claim", self._uow(), principal()))
        )

    def AssignTicket(self, r, context):
        return pb.AssignTicketResponse(ticket=self._t(
            handlers.assign_ticket(r.ticket_id, r.assignee, "manual", self._uow(), principal())))

    def TransferTicket(self, r, context):
        return pb.TransferTicketResponse(ticket=self._t(handlers.assign_ticket(
            r.ticket_id, r.assignee, "transfer", self._uow(), principal(), group_id=r.group_id or None)))

    def EscalateTicket(self, r, context):
        return pb.EscalateTicketResponse(
            ticket=self._t(handlers.escalate_ticket(r.ticket_id, r.reason, self._uow(), principal()))
        )

    def ReapplySlaPolicy(self, r, context):
        return pb.ReapplySlaPolicyResponse(ticket=self._t(handlers.reapply_sla_policy(r.ticket_id, self._uow(),
                                                                                      principal())))

    def ChangeStatus(self, r, context):
        return pb.ChangeStatusResponse(ticket=self._t(handlers.change_status(
            r.ticket_id, r.action, self._uow(), principal(), pending_reason=r.pending_reason or None)))

    def ResolveTicket(self, r, context):
        return pb.ResolveTicketResponse(ticket=self._t(handlers.resolve_ticket(
            r.ticket_id, r.resolution_code, r.resolution, self._uow(), principal())))

    def CloseTicket(self, r, context):
        return pb.CloseTicketResponse(ticket=self._t(handlers.close_ticket(r.ticket_id, self._uow(), principal())))

    def BulkAction(self, r, context):
        args = {"assignee": r.assignee, "group_id": r.group_id, "resolution_code": r.resolution_code,
                "resolution": r.resolution}
        results = handlers.bulk_action(list(r.ticket_ids), r.action, args, self._uow, principal())
        return pb.BulkActionResponse(results=[pb.BulkActionResult(ticket_id=x.ticket_id, ok=x.ok, error_code=x.code,
                                                                  message=x.message) for x in results])

    def LinkTickets(self, r, context):
        handlers.link_tickets(r.from_id, r.to_id, r.kind, self._uow(), principal())
        return pb.LinkTicketsResponse()

    # -- changes and problems ---------------------------------------------------------------
    def SubmitChange(self, r, context):
        return pb.SubmitChangeResponse(ticket=self._t(handlers.submit_change(r.ticket_id, self._uow(), principal())))

    def ApproveChange(self, r, context):
        return pb.ApproveChangeResponse(
            ticket=self._t(handlers.decide_change(r.ticket_id, True, r.comment, self._uow(), principal()))
        )

    def RejectChange(self, r, context):
        return pb.RejectChangeResponse(
            ticket=self._t(handlers.decide_change(r.ticket_id, False, r.comment, self._uow(), principal()))
        )

    def ImplementChange(self, r, context):
        return pb.ImplementChangeResponse(ticket=self._t(handlers.implement_change(
            r.ticket_id, r.outcome, r.notes, self._uow(), principal())))

    def ReviewChange(self, r, context):
        return pb.ReviewChangeResponse(
            ticket=self._t(handlers.review_change(r.ticket_id, r.review, self._uow(), principal()))
        )

    def LinkIncident(self, r, context):
        return pb.LinkIncidentResponse(
            problem=self._t(handlers.link_incident(r.problem_id, r.incident_id, self._uow(), principal()))
        )

    def UpdateProblem(self, r, context):
        p, a = handlers.update_problem(r.problem_id, r.root_cause or None, r.workaround or None, self._uow(),
                                       principal(), known_error=r.known_error)
        return pb.UpdateProblemResponse(problem=self._t(p), article=article_to_pb(a) if a else None)

    # -- catalogue, KB, SLA admin, audit ----------------------------------------------------
    def ListCatalogue(self, r, context):
        return pb.ListCatalogueResponse(items=[item_to_pb(i) for i in handlers.list_catalogue(
            self._uow(), principal(), r.include_inactive)])

    def UpsertCatalogueItem(self, r, context):
        i = r.item
        item = CatalogueItem(id=i.id, name=i.name, category=i.category, parent_id=i.parent_id or None,
                             kind=i.kind or "item", ticket_type=i.ticket_type or "request", impact=i.impact or "medium",
                             urgency=i.urgency or "medium", sla_policy_id=i.sla_policy_id or None,
                             group_id=i.group_id or None, position_id=i.position_id or None,
                             form_schema=_dict(i.form_schema), description=i.description, active=i.active, sort=i.sort)
        return pb.UpsertCatalogueItemResponse(
            item=item_to_pb(handlers.upsert_catalogue_item(item, self._uow(), principal()))
        )

    def SearchArticles(self, r, context):
        found = handlers.search_articles(r.query, r.catalogue_item_id, r.include_drafts, self._uow(), principal(),
                                         r.limit or 10)
        return pb.SearchArticlesResponse(articles=[article_to_pb(a) for a in found])

    def GetArticle(self, r, context):
        a, versions = handlers.get_article(r.id, self._uow(), principal())
        return pb.GetArticleResponse(article=article_to_pb(a), versions=[
            pb.Article(id=a.id, title=v["title"], body=v["body"], version=v["version"], author=v["author"],
                       updated_at=timestamp(v["created_at"])) for v in versions])

    def CreateArticle(self, r, context):
        return pb.CreateArticleResponse(article=article_to_pb(handlers.create_article(
            r.title, r.body, list(r.catalogue_item_ids), r.problem_id or None, self._uow(), principal())))

    def ReviseArticle(self, r, context):
        return pb.ReviseArticleResponse(article=article_to_pb(handlers.revise_article(
            r.id, r.title, r.body, r.action, self._uow(), principal())))

    def UpsertSlaPolicy(self, r, context):
        d = _dict(r.policy)
        try:
            policy = SlaPolicy.from_dict(d)
        except (KeyError, TypeError, ValueError) as exc:
            from govkit.errors import InvalidArgument

            raise InvalidArgument(
                field=f"policy.{exc.args[0] if exc.args else ''}", reason="is missing or invalid"
            ) from None
        return pb.UpsertSlaPolicyResponse(
            policy=_struct(handlers.upsert_sla_policy(policy, self._uow(), principal()).to_dict())
        )

    def UpsertCalendar(self, r, context):
        try:
            cal = BusinessCalendar.from_dict(_dict(r.calendar))
        except (KeyError, TypeError, ValueError) as exc:
            from govkit.errors import InvalidArgument

            raise InvalidArgument(field="calendar", reason=f"is invalid: {exc}") from None
        return pb.UpsertCalendarResponse(
            calendar=_struct(handlers.upsert_calendar(cal, self._uow(), principal()).to_dict())
        )

    def SetDepartmentSlaPolicy(self, r, context):
        handlers.set_department_policy(r.department, r.sla_policy_id, self._uow(), principal())
        return pb.SetDepartmentSlaPolicyResponse()

    def ListAudit(self, r, context):
        entries = handlers.list_audit(r.ticket_id, r.actor, r.after_id, r.limit or 50, self._uow(), principal())
        return pb.ListAuditResponse(entries=[pb.AuditEntry(
            id=e["id"], ticket_id=str(e["ticket_id"]), actor=e["actor"], action=e["action"], at=timestamp(e["at"]),
            before=_struct(e["before"]), after=_struct(e["after"])) for e in entries])


def _attachment(a: dict) -> pb.AttachmentInfo:
    return pb.AttachmentInfo(id=str(a["id"]), filename=a["filename"], content_type=a["content_type"], size=a["size"],
                             sha256=a["sha256"], uploaded_by=a["uploaded_by"])


def build(settings) -> GrpcApp:
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    service = pb.DESCRIPTOR.services_by_name["TicketService"]
    return GrpcApp(
        service="ticket",
        registrations=[(pb_grpc.add_TicketServiceServicer_to_server, TicketServicer(engine))],
        service_names=[service.full_name],
        permissions=permissions_for(service, PERMISSIONS),
        on_stop=[engine.dispose],
    )
