"""ticket-grpc: govops.ticket.v1.TicketService. Thin: request → command → handler → response."""

from __future__ import annotations

import os
import queue as stdqueue
import time
from datetime import UTC, datetime
from typing import Any

import redis
from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct

from govkit.db import make_engine
from govkit.errors import InvalidArgument, Unauthenticated
from govkit.events import jsonable, utcnow
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govkit.protoconv import (
    choice,
    decode_page_token,
    encode_page_token,
    offset_window,
    page,
    page_offset,
    page_response,
    page_size,
    timestamp,
)
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

from .adapters.details import details_to_json
from .adapters.feed import ChangeFeed, QueueHub
from .adapters.uow import TicketUnitOfWork
from .domain import commands as c
from .domain.calendar import BusinessCalendar, coverage_alerts
from .domain.catalogue import CatalogueItem
from .domain.model import Category, Priority, Status, Ticket
from .domain.sla import SlaPolicy
from .handlers import catalogue, changes, escalation, knowledge, problems, queue, requests, sla, tickets, views

PERMISSIONS = {
    "CreateTicket": "ticket.create",
    "GetTicket": "ticket.read",
    "SubmitRequest": "ticket.create",
    "ListMyTickets": "ticket.read",
    "GetTicketDetail": "ticket.read",
    "ListDepartmentTickets": "ticket.department.read",
    "AddComment": "ticket.comment",
    "SupplyInfo": "ticket.comment",
    "ConfirmResolution": "ticket.create",
    "RateTicket": "ticket.create",
    "ReopenTicket": "ticket.create",
    "AddAttachment": "ticket.comment",
    "GetAttachment": "ticket.read",
    "WatchTicket": "ticket.read",
    "ListQueue": "ticket.work",
    "WatchQueue": "ticket.work",
    "ListSavedQueueViews": "ticket.work",
    "SaveQueueView": "ticket.work",
    "DeleteSavedQueueView": "ticket.work",
    "ListGroupWorkload": "ticket.work",
    "ClaimTicket": "ticket.work",
    "AssignTicket": "ticket.assign",
    "TransferTicket": "ticket.assign",
    "EscalateTicket": "ticket.assign",
    "ReapplySlaPolicy": "ticket.admin",
    "ReprioritiseTicket": "ticket.reprioritise",
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
    "ListChangeRoutes": "ticket.read",
    "UpsertChangeRoute": "ticket.admin",
    "LinkIncident": "ticket.work",
    "UpdateProblem": "ticket.work",
    "ListCatalogue": "ticket.read",
    "UpsertCatalogueItem": "ticket.catalogue.write",
    "SearchArticles": "ticket.read",
    "GetArticle": "ticket.read",
    "CreateArticle": "ticket.kb.write",
    "ReviseArticle": "ticket.kb.write",
    "ListArticles": "ticket.read",
    "ListSlaPolicies": "ticket.read",
    "UpsertSlaPolicy": "ticket.admin",
    "UpsertCalendar": "ticket.admin",
    "ListCalendars": "ticket.read",
    "GetCalendar": "ticket.read",
    "ImportCalendarYear": "ticket.admin",
    "LoadStatutoryYear": "ticket.admin",
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


def _table(prefix: str, *values: str) -> dict[Any, str]:
    """enum number → domain word, for enums whose values are `<PREFIX>_<WORD>`."""
    return {getattr(pb, f"{prefix}_{v.upper()}"): v for v in values}


_STATUS_ACTION = _table("STATUS_ACTION", "start", "pend", "resume", "cancel", "requeue", "revise")
_BULK_ACTION = _table("BULK_ACTION", "assign", "transfer", "resolve", "close", "start")
_LINK_KIND = _table("LINK_KIND", "relates", "duplicates", "caused_by", "problem_incident", "change_for")
_LINK_KIND_PB = {v: k for k, v in _LINK_KIND.items()}
_QUEUE_VIEW = _table("QUEUE_VIEW", "my_queue", "group_queue", "all")
_QUEUE_VIEW_PB = {v: k for k, v in _QUEUE_VIEW.items()}
_ARTICLE_STATUS = _table("ARTICLE_STATUS", "draft", "published", "archived")
_ARTICLE_STATUS_PB = {v: k for k, v in _ARTICLE_STATUS.items()}
_ARTICLE_ACTION = _table("ARTICLE_ACTION", "publish", "archive")
_CATALOGUE_KIND = _table("CATALOGUE_ITEM_KIND", "folder", "item")
_CATALOGUE_KIND_PB = {v: k for k, v in _CATALOGUE_KIND.items()}
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
        id=t.id, title=t.title, description=t.description, org_unit_id=t.org_unit_id,
        category=_CATEGORY_PB[t.category], priority=_PRIORITY_PB[t.priority], status=_STATUS[t.status],
        requester=t.requester, created_at=timestamp(t.created_at), number=t.number, ticket_type=t.ticket_type,
        catalogue_item_id=t.catalogue_item_id or "", impact=t.impact, urgency=t.urgency, channel=t.channel,
        group_id=t.group_id or "", position_id=t.position_id or "", assignee=t.assignee or "",
        vendor_id=t.vendor_id or "", pending_reason=t.pending_reason or "", form=_struct(t.form),
        details=_struct(details_to_json(t)), sla_state=t.sla_state, response_due_at=timestamp(t.response_due_at),
        resolution_due_at=timestamp(t.resolution_due_at), resolution_code=t.resolution_code or "",
        resolution=t.resolution or "", reopen_count=t.reopen_count, rating=t.rating or 0,
        escalation_level=t.escalation_level, updated_at=timestamp(t.updated_at),
        sla_policy_id=t.sla.policy_id if t.sla else "", calendar_id=t.sla.calendar_id if t.sla else "",
        response_elapsed_seconds=int(t.sla.response.elapsed) if t.sla else 0,
        resolution_elapsed_seconds=int(t.sla.resolution.elapsed) if t.sla else 0)


def article_to_pb(a) -> pb.Article:
    return pb.Article(id=a.id, title=a.title, body=a.body,
                      status=_ARTICLE_STATUS_PB.get(a.status, pb.ARTICLE_STATUS_UNSPECIFIED),
                      version=a.version,
                      catalogue_item_ids=a.catalogue_item_ids, problem_id=a.problem_id or "", author=a.author,
                      updated_at=timestamp(a.updated_at), score=a.score)


def item_to_pb(i: CatalogueItem) -> pb.CatalogueItem:
    return pb.CatalogueItem(id=i.id, parent_id=i.parent_id or "", name=i.name, category=i.category,
                            kind=_CATALOGUE_KIND_PB.get(i.kind, pb.CATALOGUE_ITEM_KIND_UNSPECIFIED),
                            ticket_type=i.ticket_type, impact=i.impact, urgency=i.urgency,
                            sla_policy_id=i.sla_policy_id or "", group_id=i.group_id or "",
                            position_id=i.position_id or "", form_schema=_struct(i.form_schema),
                            description=i.description, active=i.active, sort=i.sort, version=i.version)


def _filters(f: pb.TicketFilter) -> dict:
    out: dict[str, Any] = {
        name: list(getattr(f, name))
        for name in ("status", "priority", "category", "assignee", "sla_state", "ticket_type")
        if getattr(f, name)
    }
    if f.org_unit_ids:
        out["org_unit_id"] = list(f.org_unit_ids)
    if f.catalogue_item_ids:
        out["catalogue_item_id"] = list(f.catalogue_item_ids)
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


def _saved_view_to_pb(v) -> pb.SavedQueueView:
    out = pb.SavedQueueView(name=v.name, view=_QUEUE_VIEW_PB.get(v.view, pb.QUEUE_VIEW_UNSPECIFIED),
                            updated_at=timestamp(v.updated_at))
    # stored as the filter's proto3 JSON; a field a later version dropped is skipped, not an error
    json_format.ParseDict(v.filter, out.filter, ignore_unknown_fields=True)
    return out


def _change_to_pb(c: dict) -> pb.QueueChange:
    occurred = c.get("occurred_at")
    return pb.QueueChange(
        ticket_id=c.get("ticket_id") or "", number=c.get("number") or "", event=c.get("event") or "",
        status=_STATUS[Status(c["status"])] if c.get("status") in _STATUS_WORDS else pb.TICKET_STATUS_UNSPECIFIED,
        ticket_type=c.get("ticket_type") or "", org_unit_id=c.get("org_unit_id") or "",
        group_id=c.get("group_id") or "", assignee=c.get("assignee") or "",
        previous_assignee=c.get("previous_assignee") or "",
        priority=_PRIORITY_PB[Priority(c["priority"])] if c.get("priority") in _PRIORITY_WORDS
        else pb.PRIORITY_UNSPECIFIED,
        occurred_at=timestamp(datetime.fromisoformat(occurred)) if occurred else None,
        actor=c.get("actor") or "", actor_name=c.get("actor_name") or "")


_STATUS_WORDS = {s.value for s in Status}
_PRIORITY_WORDS = {p.value for p in Priority}


class TicketServicer(pb_grpc.TicketServiceServicer):
    def __init__(self, engine, hub: QueueHub | None = None, feed: ChangeFeed | None = None):
        self.engine, self.hub, self.feed = engine, hub, feed

    def _uow(self):
        caller = principal()
        return TicketUnitOfWork(self.engine, caller.scope, self.feed, actor=(caller.subject, caller.name))

    # -- create / read ----------------------------------------------------------------------
    def CreateTicket(self, request, context):
        cmd = c.CreateTicket(
            title=request.title, description=request.description, org_unit_id=request.org_unit_id,
            category=_enum_in(_CATEGORY, request.category), priority=_enum_in(_PRIORITY, request.priority),
            idempotency_key=request.idempotency_key or None, ticket_type=request.ticket_type,
            details=_dict(request.details), channel="api")
        result = tickets.create_ticket(cmd, self._uow(), principal())
        return pb.CreateTicketResponse(ticket=ticket_to_pb(result.ticket), replayed=result.replayed)

    def GetTicket(self, request, context):
        ticket = tickets.get_ticket(c.GetTicket(request.id), self._uow(), principal())
        return pb.GetTicketResponse(ticket=ticket_to_pb(ticket))

    def SubmitRequest(self, r, context):
        if not r.catalogue_item_id:
            from govkit.errors import InvalidArgument

            raise InvalidArgument(field="catalogue_item_id", reason="must not be empty")
        cmd = c.CreateTicket(title=r.title, description=r.description, org_unit_id=r.org_unit_id,
                             catalogue_item_id=r.catalogue_item_id, form=_dict(r.form), impact=r.impact,
                             urgency=r.urgency, idempotency_key=r.idempotency_key or None, details=_dict(r.details),
                             channel="operations_window" if r.operations_window else "request_window")
        res = tickets.create_ticket(cmd, self._uow(), principal())
        return pb.SubmitRequestResponse(ticket=ticket_to_pb(res.ticket), replayed=res.replayed,
                                        suggestions=[article_to_pb(a) for a in res.suggestions])

    def ListMyTickets(self, r, context):
        f = _filters(r.filter)
        if not r.filter.include_closed and not r.filter.status:
            f.pop("open_only", None)  # my tickets: closed ones too unless filtered
        items, token = tickets.list_tickets(c.ListTickets("mine", f, *page(r.page)), self._uow(), principal())
        return pb.ListMyTicketsResponse(tickets=[ticket_to_pb(t) for t in items], page=page_response(token))

    def ListQueue(self, r, context):
        items, token = tickets.list_tickets(
            c.ListTickets(choice(_QUEUE_VIEW, r.view, "view", default="my_queue"), _filters(r.filter), *page(r.page),
                          r.sort or "created_desc"), self._uow(), principal())
        return pb.ListQueueResponse(tickets=[ticket_to_pb(t) for t in items], page=page_response(token))

    def ListDepartmentTickets(self, r, context):
        items, token = tickets.list_tickets(
            c.ListTickets("department", _filters(r.filter), *page(r.page), r.sort or "created_desc"),
            self._uow(), principal())
        return pb.ListDepartmentTicketsResponse(tickets=[ticket_to_pb(t) for t in items], page=page_response(token))

    def ListSavedQueueViews(self, r, context):
        return pb.ListSavedQueueViewsResponse(views=[_saved_view_to_pb(v)
                                                     for v in views.list_views(self._uow(), principal())])

    def SaveQueueView(self, r, context):
        filters = json_format.MessageToDict(r.filter, preserving_proto_field_name=True)
        view = views.save_view(c.SaveQueueView(r.name, choice(_QUEUE_VIEW, r.view, "view", default="my_queue"),
                                               filters), self._uow(), principal())
        return pb.SaveQueueViewResponse(view=_saved_view_to_pb(view))

    def DeleteSavedQueueView(self, r, context):
        views.delete_view(r.name, self._uow(), principal())
        return pb.DeleteSavedQueueViewResponse()

    def WatchQueue(self, r, context):
        caller = principal()
        wants = queue.queue_watch(c.WatchQueue(choice(_QUEUE_VIEW, r.view, "view", default="my_queue"), r.group_id),
                                  caller)
        assert self.hub is not None, "WatchQueue needs the queue hub (build())"
        # The token was checked when the call started; the stream must not outlive it.
        expires = float(caller.claims.get("exp", "inf"))
        sub = self.hub.subscribe(wants)
        try:
            while context.is_active():
                if time.time() >= expires:
                    raise Unauthenticated("token expired; reconnect with a fresh token")
                try:
                    batch = sub.queue.get(timeout=max(0.0, min(1.0, expires - time.time())))
                except stdqueue.Empty:
                    continue
                if batch is None:
                    return
                yield pb.WatchQueueResponse(changes=[_change_to_pb(x) for x in batch])
        finally:
            self.hub.unsubscribe(sub)

    def ListGroupWorkload(self, r, context):
        groups = queue.group_workload(c.ListGroupWorkload(tuple(r.group_ids), r.all_groups), self._uow(), principal())
        return pb.ListGroupWorkloadResponse(groups=[pb.GroupWorkload(
            group_id=g.group_id, code=g.code, name=g.name, org_unit_id=g.org_unit_id, is_member=g.is_member,
            members=[pb.GroupMember(staff_id=m.staff_id, name=m.name, on_duty=m.on_duty, open_tickets=m.open_tickets,
                                    vendor_id=m.vendor_id) for m in g.members]) for g in groups])

    def GetTicketDetail(self, r, context):
        d = tickets.get_ticket_detail(c.GetTicketDetail(r.id), self._uow(), principal())
        return pb.GetTicketDetailResponse(
            ticket=ticket_to_pb(d.ticket),
            comments=[pb.Comment(id=m["id"], author=m["author"], body=m["body"], visibility=m["visibility"],
                                 created_at=timestamp(m["created_at"])) for m in d.comments],
            attachments=[_attachment(a) for a in d.attachments], watchers=d.watchers,
            links=[pb.Link(from_id=str(x["from_id"]), to_id=str(x["to_id"]),
                           kind=_LINK_KIND_PB.get(x["kind"], pb.LINK_KIND_UNSPECIFIED)) for x in d.links],
            allowed_actions=d.allowed_actions, timeline=[_timeline_entry(n) for n in d.timeline])

    # -- requester window -------------------------------------------------------------------
    def AddComment(self, r, context):
        cmd = c.AddComment(r.ticket_id, r.body, "internal" if r.internal else "public")
        return pb.AddCommentResponse(comment_id=requests.add_comment(cmd, self._uow(), principal()))

    def SupplyInfo(self, r, context):
        t = requests.supply_info(c.SupplyInfo(r.ticket_id, r.body), self._uow(), principal())
        return pb.SupplyInfoResponse(ticket=ticket_to_pb(t))

    def ConfirmResolution(self, r, context):
        cmd = c.ConfirmResolution(r.ticket_id, r.rating, r.comment)
        t = requests.confirm_resolution(cmd, self._uow(), principal())
        return pb.ConfirmResolutionResponse(ticket=ticket_to_pb(t))

    def RateTicket(self, r, context):
        t = requests.rate_ticket(c.RateTicket(r.ticket_id, r.rating, r.comment), self._uow(), principal())
        return pb.RateTicketResponse(ticket=ticket_to_pb(t))

    def ReopenTicket(self, r, context):
        t = requests.reopen_ticket(c.ReopenTicket(r.ticket_id, r.reason), self._uow(), principal())
        return pb.ReopenTicketResponse(ticket=ticket_to_pb(t))

    def AddAttachment(self, r, context):
        cmd = c.AddAttachment(r.ticket_id, r.filename, r.content_type, r.data)
        return pb.AddAttachmentResponse(attachment=_attachment(requests.add_attachment(cmd, self._uow(), principal())))

    def GetAttachment(self, r, context):
        a = requests.get_attachment(c.GetAttachment(r.id), self._uow(), principal())
        return pb.GetAttachmentResponse(attachment=_attachment(a), data=bytes(a["data"]))

    def WatchTicket(self, r, context):
        cmd = c.WatchTicket(r.ticket_id, r.subject, not r.unwatch)
        return pb.WatchTicketResponse(watchers=requests.watch_ticket(cmd, self._uow(), principal()))

    # -- operations window ------------------------------------------------------------------
    def ClaimTicket(self, r, context):
        t = queue.claim_ticket(c.ClaimTicket(r.ticket_id), self._uow(), principal())
        return pb.ClaimTicketResponse(ticket=ticket_to_pb(t))

    def AssignTicket(self, r, context):
        t = queue.assign_ticket(c.AssignTicket(r.ticket_id, r.assignee), self._uow(), principal())
        return pb.AssignTicketResponse(ticket=ticket_to_pb(t))

    def TransferTicket(self, r, context):
        cmd = c.TransferTicket(r.ticket_id, r.assignee, r.group_id or None)
        return pb.TransferTicketResponse(ticket=ticket_to_pb(queue.transfer_ticket(cmd, self._uow(), principal())))

    def EscalateTicket(self, r, context):
        t = escalation.escalate_ticket(c.EscalateTicket(r.ticket_id, r.reason), self._uow(), principal())
        return pb.EscalateTicketResponse(ticket=ticket_to_pb(t))

    def ReapplySlaPolicy(self, r, context):
        t = sla.reapply_sla_policy(c.ReapplySlaPolicy(r.ticket_id), self._uow(), principal())
        return pb.ReapplySlaPolicyResponse(ticket=ticket_to_pb(t))

    def ReprioritiseTicket(self, r, context):
        cmd = c.ReprioritiseTicket(r.ticket_id, r.impact, r.urgency, r.reason)
        t = queue.reprioritise_ticket(cmd, self._uow(), principal())
        return pb.ReprioritiseTicketResponse(ticket=ticket_to_pb(t))

    def ChangeStatus(self, r, context):
        cmd = c.ChangeStatus(r.ticket_id, choice(_STATUS_ACTION, r.action, "action"), r.pending_reason or None)
        return pb.ChangeStatusResponse(ticket=ticket_to_pb(queue.change_status(cmd, self._uow(), principal())))

    def ResolveTicket(self, r, context):
        cmd = c.ResolveTicket(r.ticket_id, r.resolution_code, r.resolution)
        return pb.ResolveTicketResponse(ticket=ticket_to_pb(queue.resolve_ticket(cmd, self._uow(), principal())))

    def CloseTicket(self, r, context):
        t = queue.close_ticket(c.CloseTicket(r.ticket_id), self._uow(), principal())
        return pb.CloseTicketResponse(ticket=ticket_to_pb(t))

    def BulkAction(self, r, context):
        cmd = c.BulkAction(tuple(r.ticket_ids), choice(_BULK_ACTION, r.action, "action"), assignee=r.assignee,
                           group_id=r.group_id,
                           resolution_code=r.resolution_code, resolution=r.resolution)
        results = queue.bulk_action(cmd, self._uow, principal())
        return pb.BulkActionResponse(results=[pb.BulkActionResult(ticket_id=x.ticket_id, ok=x.ok, error_code=x.code,
                                                                  message=x.message) for x in results])

    def LinkTickets(self, r, context):
        cmd = c.LinkTickets(r.from_id, r.to_id, choice(_LINK_KIND, r.kind, "kind"))
        queue.link_tickets(cmd, self._uow(), principal())
        return pb.LinkTicketsResponse()

    # -- changes and problems ---------------------------------------------------------------
    def SubmitChange(self, r, context):
        t = changes.submit_change(c.SubmitChange(r.ticket_id), self._uow(), principal())
        return pb.SubmitChangeResponse(ticket=ticket_to_pb(t))

    def ApproveChange(self, r, context):
        t = changes.decide_change(c.DecideChange(r.ticket_id, True, r.comment), self._uow(), principal())
        return pb.ApproveChangeResponse(ticket=ticket_to_pb(t))

    def RejectChange(self, r, context):
        t = changes.decide_change(c.DecideChange(r.ticket_id, False, r.comment), self._uow(), principal())
        return pb.RejectChangeResponse(ticket=ticket_to_pb(t))

    def ImplementChange(self, r, context):
        t = changes.implement_change(c.ImplementChange(r.ticket_id, r.outcome, r.notes), self._uow(), principal())
        return pb.ImplementChangeResponse(ticket=ticket_to_pb(t))

    def ReviewChange(self, r, context):
        t = changes.review_change(c.ReviewChange(r.ticket_id, r.review), self._uow(), principal())
        return pb.ReviewChangeResponse(ticket=ticket_to_pb(t))

    def LinkIncident(self, r, context):
        p = problems.link_incident(c.LinkIncident(r.problem_id, r.incident_id), self._uow(), principal())
        return pb.LinkIncidentResponse(problem=ticket_to_pb(p))

    def UpdateProblem(self, r, context):
        cmd = c.UpdateProblem(r.problem_id, r.root_cause or None, r.workaround or None, r.known_error)
        p, a = problems.update_problem(cmd, self._uow(), principal())
        return pb.UpdateProblemResponse(problem=ticket_to_pb(p), article=article_to_pb(a) if a else None)

    # -- catalogue, KB, SLA admin, audit ----------------------------------------------------
    def ListCatalogue(self, r, context):
        items = catalogue.list_catalogue(c.ListCatalogue(r.include_inactive), self._uow(), principal())
        return pb.ListCatalogueResponse(items=[item_to_pb(i) for i in items])

    def UpsertCatalogueItem(self, r, context):
        i = r.item
        item = CatalogueItem(id=i.id, name=i.name, category=i.category, parent_id=i.parent_id or None,
                             kind=choice(_CATALOGUE_KIND, i.kind, "item.kind", default="item"),
                             ticket_type=i.ticket_type or "request", impact=i.impact or "medium",
                             urgency=i.urgency or "medium", sla_policy_id=i.sla_policy_id or None,
                             group_id=i.group_id or None, position_id=i.position_id or None,
                             form_schema=_dict(i.form_schema), description=i.description, active=i.active, sort=i.sort)
        item = catalogue.upsert_catalogue_item(c.UpsertCatalogueItem(item, r.expected_version), self._uow(),
                                               principal())
        return pb.UpsertCatalogueItemResponse(item=item_to_pb(item))

    def SearchArticles(self, r, context):
        cmd = c.SearchArticles(r.query, r.catalogue_item_id or None, r.include_drafts, r.limit or 10)
        found = knowledge.search_articles(cmd, self._uow(), principal())
        return pb.SearchArticlesResponse(articles=[article_to_pb(a) for a in found])

    def GetArticle(self, r, context):
        a, versions = knowledge.get_article(c.GetArticle(r.id), self._uow(), principal())
        return pb.GetArticleResponse(article=article_to_pb(a), versions=[
            pb.Article(id=a.id, title=v["title"], body=v["body"], version=v["version"], author=v["author"],
                       updated_at=timestamp(v["created_at"])) for v in versions])

    def CreateArticle(self, r, context):
        cmd = c.CreateArticle(r.title, r.body, tuple(r.catalogue_item_ids), r.problem_id or None)
        return pb.CreateArticleResponse(article=article_to_pb(knowledge.create_article(cmd, self._uow(), principal())))

    def ReviseArticle(self, r, context):
        links = (tuple(r.catalogue_item_ids), r.problem_id or None) if r.update_links else None
        cmd = c.ReviseArticle(r.id, r.title, r.body, choice(_ARTICLE_ACTION, r.action, "action", default=""),
                              r.expected_version, links)
        return pb.ReviseArticleResponse(article=article_to_pb(knowledge.revise_article(cmd, self._uow(), principal())))

    def ListArticles(self, r, context):
        start, size = offset_window(r.page, default_size=20, max_size=100)
        statuses = tuple(choice(_ARTICLE_STATUS, s, "statuses") for s in r.statuses)
        cmd = c.ListArticles(statuses, r.catalogue_item_id or None, r.problem_id or None, start, size)
        found, total = knowledge.list_articles(cmd, self._uow(), principal())
        more = start + len(found) < total
        return pb.ListArticlesResponse(articles=[article_to_pb(a) for a in found],
                                       page=page_response(encode_page_token(start + size) if more else "",
                                                          total_size=total))

    def ListSlaPolicies(self, r, context):
        return pb.ListSlaPoliciesResponse(policies=[_struct(p.to_dict())
                                                    for p in sla.list_sla_policies(self._uow(), principal())])

    def ListChangeRoutes(self, r, context):
        routes = changes.list_change_routes(c.ListChangeRoutes(), self._uow(), principal())
        return pb.ListChangeRoutesResponse(routes=[_struct(x.to_dict()) for x in routes])

    def UpsertChangeRoute(self, r, context):
        route = changes.upsert_change_route(c.UpsertChangeRoute(_dict(r.route)), self._uow(), principal())
        return pb.UpsertChangeRouteResponse(route=_struct(route.to_dict()))

    def UpsertSlaPolicy(self, r, context):
        d = _dict(r.policy)
        try:
            policy = SlaPolicy.from_dict(d)
        except (KeyError, TypeError, ValueError) as exc:
            from govkit.errors import InvalidArgument

            raise InvalidArgument(
                field=f"policy.{exc.args[0] if exc.args else ''}", reason="is missing or invalid"
            ) from None
        policy = sla.upsert_sla_policy(c.UpsertSlaPolicy(policy), self._uow(), principal())
        return pb.UpsertSlaPolicyResponse(policy=_struct(policy.to_dict()))

    def UpsertCalendar(self, r, context):
        try:
            cal = BusinessCalendar.from_dict(_dict(r.calendar))
        except (KeyError, TypeError, ValueError) as exc:
            from govkit.errors import InvalidArgument

            raise InvalidArgument(field="calendar", reason=f"is invalid: {exc}") from None
        cal = sla.upsert_calendar(c.UpsertCalendar(cal), self._uow(), principal())
        return pb.UpsertCalendarResponse(calendar=_struct(cal.to_dict()))

    def ListCalendars(self, r, context):
        now = utcnow()
        return pb.ListCalendarsResponse(calendars=[pb.CalendarSummary(
            id=cal.id, name=cal.name, always=cal.always, years=sorted(cal.years), timezone=cal.timezone,
            missing_years=_missing(cal, now)) for cal in sla.list_calendars(self._uow(), principal())])

    def GetCalendar(self, r, context):
        cal = sla.get_calendar(c.GetCalendar(r.calendar_id), self._uow(), principal())
        days = sorted([(d, pb.CALENDAR_DAY_KIND_HOLIDAY) for d in cal.holidays]
                      + [(d, pb.CALENDAR_DAY_KIND_WORKDAY) for d in cal.workdays])
        return pb.GetCalendarResponse(id=cal.id, name=cal.name, always=cal.always, years=sorted(cal.years),
                                      days=[pb.CalendarDay(date=d.isoformat(), kind=k) for d, k in days],
                                      definition=_struct(cal.to_dict()), missing_years=_missing(cal, utcnow()))

    def ImportCalendarYear(self, r, context):
        try:
            text = r.csv_content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidArgument(field="csv_content", reason="must be UTF-8 text") from None
        cal = sla.import_calendar_year(c.ImportCalendarYear(r.calendar_id, r.year, text), self._uow(), principal())
        return pb.ImportCalendarYearResponse(holidays=len(cal.holidays_in(r.year)),
                                             workdays=len(cal.workdays_in(r.year)))

    def LoadStatutoryYear(self, r, context):
        cal = sla.load_statutory_year(c.LoadStatutoryYear(r.calendar_id, r.year), self._uow(), principal())
        return pb.LoadStatutoryYearResponse(holidays=len(cal.holidays_in(r.year)),
                                            workdays=len(cal.workdays_in(r.year)))

    def SetDepartmentSlaPolicy(self, r, context):
        sla.set_department_policy(c.SetDepartmentSlaPolicy(r.org_unit_id, r.sla_policy_id), self._uow(), principal())
        return pb.SetDepartmentSlaPolicyResponse()

    def ListAudit(self, r, context):
        # page replaces the deprecated after_id / limit; each old field still counts while its twin is unset.
        size = page_size(r.page, default_size=min(max(r.limit, 1), tickets.AUDIT_PAGE_MAX) if r.limit else 50,
                         max_size=tickets.AUDIT_PAGE_MAX)
        after = decode_page_token(r.page.page_token, page_offset)
        cmd = c.ListAudit(r.ticket_id or None, r.actor or None, r.after_id if after is None else after, size + 1)
        entries = tickets.list_audit(cmd, self._uow(), principal())
        more, entries = len(entries) > size, entries[:size]
        paging = page_response(encode_page_token(entries[-1]["id"]) if more else "")
        return pb.ListAuditResponse(page=paging, entries=[pb.AuditEntry(
            id=e["id"], ticket_id=str(e["ticket_id"]), actor=e["actor"], action=e["action"], at=timestamp(e["at"]),
            before=_struct(e["before"]), after=_struct(e["after"])) for e in entries])


def _missing(cal: BusinessCalendar, now) -> list[int]:
    return [a.year for a in coverage_alerts([cal], now)]


def _timeline_entry(n) -> pb.TimelineEntry:
    e, unset = n.entry, pb.TICKET_STATUS_UNSPECIFIED
    return pb.TimelineEntry(at=timestamp(e.at), kind=e.kind,
                            from_status=_STATUS[Status(e.from_status)] if e.from_status else unset,
                            to_status=_STATUS[Status(e.to_status)] if e.to_status else unset,
                            pending_reason=e.pending_reason, group_id=e.group_id, group_name=n.group_name,
                            assignee_name=n.assignee_name)


def _attachment(a: dict) -> pb.AttachmentInfo:
    return pb.AttachmentInfo(id=str(a["id"]), filename=a["filename"], content_type=a["content_type"], size=a["size"],
                             sha256=a["sha256"], uploaded_by=a["uploaded_by"])


def build(settings) -> GrpcApp:
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    # Streams hold a worker thread each: by default half the pool may be live queues.
    limit = int(os.environ.get("GOVOPS_TICKET_MAX_QUEUE_WATCHES", "0")) or max(1, settings.grpc_max_workers // 2)
    hub, feed = QueueHub(client, limit), ChangeFeed(client)
    service = pb.DESCRIPTOR.services_by_name["TicketService"]
    return GrpcApp(
        service="ticket",
        registrations=[(pb_grpc.add_TicketServiceServicer_to_server, TicketServicer(engine, hub, feed))],
        service_names=[service.full_name],
        permissions=permissions_for(service, PERMISSIONS),
        on_stop=[hub.stop, client.close, engine.dispose],
    )
