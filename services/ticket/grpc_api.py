"""ticket-grpc: govops.ticket.v1.TicketService. Thin: request → command → handler → response."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from govkit.db import make_engine
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govops.ticket.v1 import ticket_pb2 as pb
from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

from . import handlers
from .adapters.uow import TicketUnitOfWork
from .domain.commands import CreateTicket, GetTicket
from .domain.model import Category, Priority, Status, Ticket

PERMISSIONS = {
    "CreateTicket": "ticket.create",
    "GetTicket": "ticket.read",
}

_CATEGORY = {pb.CATEGORY_INFRASTRUCTURE: Category.INFRASTRUCTURE,
             pb.CATEGORY_APPLICATION: Category.APPLICATION,
             pb.CATEGORY_INFORMATION_RESOURCE: Category.INFORMATION_RESOURCE}
_PRIORITY = {pb.PRIORITY_CRITICAL: Priority.CRITICAL, pb.PRIORITY_HIGH: Priority.HIGH,
             pb.PRIORITY_MEDIUM: Priority.MEDIUM, pb.PRIORITY_LOW: Priority.LOW}
_STATUS = {Status.NEW: pb.TICKET_STATUS_NEW, Status.ASSIGNED: pb.TICKET_STATUS_ASSIGNED,
           Status.IN_PROGRESS: pb.TICKET_STATUS_IN_PROGRESS, Status.PENDING: pb.TICKET_STATUS_PENDING,
           Status.RESOLVED: pb.TICKET_STATUS_RESOLVED, Status.CLOSED: pb.TICKET_STATUS_CLOSED}
_CATEGORY_PB = {v: k for k, v in _CATEGORY.items()}
_PRIORITY_PB = {v: k for k, v in _PRIORITY.items()}


def _enum_in(table: dict, value: int) -> str:
    # Unspecified reaches the domain as "" ("is required"), an unknown number as itself
    # ("must be one of ..."): the domain reports both per field.
    member = table.get(value)
    return member.value if member else (str(value) if value else "")


def ticket_to_pb(t: Ticket) -> pb.Ticket:
    created = Timestamp()
    created.FromDatetime(t.created_at)
    return pb.Ticket(id=t.id, title=t.title, description=t.description, department=t.department,
                     category=_CATEGORY_PB[t.category], priority=_PRIORITY_PB[t.priority],
                     status=_STATUS[t.status], requester=t.requester, created_at=created)


class TicketServicer(pb_grpc.TicketServiceServicer):
    def __init__(self, engine):
        self.engine = engine

    def _uow(self):
        return TicketUnitOfWork(self.engine, principal().scope)

    def CreateTicket(self, request, context):
        cmd = CreateTicket(
            title=request.title, description=request.description, department=request.department,
            category=_enum_in(_CATEGORY, request.category), priority=_enum_in(_PRIORITY, request.priority),
            idempotency_key=request.idempotency_key or None,
        )
        result = handlers.create_ticket(cmd, self._uow(), principal())
        return pb.CreateTicketResponse(ticket=ticket_to_pb(result.ticket), replayed=result.replayed)

    def GetTicket(self, request, context):
        ticket = handlers.get_ticket(GetTicket(request.id), self._uow(), principal())
        return pb.GetTicketResponse(ticket=ticket_to_pb(ticket))


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
