"""`govops ticket …`: the ticket command group (registered by ticket.service)."""

from __future__ import annotations

import json
from enum import Enum

import grpc
import typer

from govkit.cli_support import (
    Listing,
    console,
    emit,
    emit_record,
    enum_number,
    enum_word,
    enum_words,
    fail,
    grpc_channel,
    when,
)
from govops.common.v1.common_pb2 import PageRequest
from govops.ticket.v1 import ticket_pb2 as pb

from .cli_calendar import app as calendar_app

app = typer.Typer(help="Tickets: catalogue, submit, queues, SLA", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")

Category = Enum("Category", enum_words(pb.Category), type=str)  # type: ignore[misc]
Priority = Enum("Priority", enum_words(pb.Priority), type=str)  # type: ignore[misc]
Level = Enum("Level", {w: w for w in ("high", "medium", "low")}, type=str)  # type: ignore[misc]  # impact, urgency
TICKET = typer.Argument(..., help="ticket id (UUID) or number, e.g. INC-2026-000002")


def _stub():
    from govops.ticket.v1 import ticket_pb2_grpc

    return ticket_pb2_grpc.TicketServiceStub(grpc_channel("ticket"))


@app.command("create")
def ticket_create(
    title: str = typer.Option(..., help="title (Chinese welcome)"),
    org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id, e.g. fgw"),
    description: str = typer.Option("", help="description"),
    category: Category = typer.Option("infrastructure", help="ticket category"),
    priority: Priority = typer.Option("medium", help="priority"),
    idempotency_key: str | None = typer.Option(None, help="retry-safe key"),
):
    """Create a ticket; prints its number and id."""
    request = pb.CreateTicketRequest(
        title=title, description=description, org_unit_id=org_unit_id,
        category=pb.Category.ValueType(enum_number(pb.Category, category)),
        priority=pb.Priority.ValueType(enum_number(pb.Priority, priority)),
        idempotency_key=idempotency_key or "")
    try:
        reply = _stub().CreateTicket(request, timeout=10)
    except grpc.RpcError as err:
        fail(err)
    t = reply.ticket
    emit_record(t, f"{'replayed' if reply.replayed else 'created'} ticket [bold]{t.number}[/bold] {t.id} "
                   f"「{t.title}」 for {t.org_unit_id}")


@app.command("get")
def ticket_get(ticket_id: str = TICKET):
    """Show one ticket (by id or by number)."""
    try:
        reply = _stub().GetTicket(pb.GetTicketRequest(id=ticket_id), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    emit_record(reply.ticket)


def _ticket_rows(title: str, tickets) -> Listing:
    rows = Listing(title)
    for header, key in (("number", None), ("title", None), ("org unit", "org_unit_id"), ("type", "ticket_type"),
                        ("priority", None), ("status", None), ("assignee", None), ("SLA", "sla_state"),
                        ("due", "resolution_due_at"), ("created", "created_at"), ("id", None)):
        rows.add_column(header, key)
    for t in tickets:
        rows.add_row(t.number, t.title, t.org_unit_id, t.ticket_type, enum_word(pb.Priority.DESCRIPTOR, t.priority),
                     enum_word(pb.TicketStatus.DESCRIPTOR, t.status), t.assignee, t.sla_state,
                     t.resolution_due_at if t.HasField("resolution_due_at") else None,
                     t.created_at if t.HasField("created_at") else None, t.id)
    return rows


@app.command("mine")
def ticket_mine(include_closed: bool = typer.Option(False, help="closed tickets too"),
                page_size: int = typer.Option(50, help="tickets to show (at most 200)")):
    """The tickets I submitted (requester window), newest first."""
    try:
        reply = _stub().ListMyTickets(pb.ListMyTicketsRequest(filter=pb.TicketFilter(include_closed=include_closed),
                                                              page=PageRequest(page_size=page_size)), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    emit(_ticket_rows("my tickets", reply.tickets))
    if reply.page.next_page_token:
        console.print("(more tickets: raise --page-size)")


@app.command("reprioritise")
def ticket_reprioritise(
    ticket_id: str = typer.Argument(..., help="ticket id or number, e.g. INC-2026-000002"),
    impact: Level = typer.Option(..., help="impact: high, medium or low"),
    urgency: Level = typer.Option(..., help="urgency: high, medium or low"),
    reason: str = typer.Option(..., help="why the priority changes (required; kept in the audit trail)"),
):
    """Change a ticket's impact × urgency (priority); SLA targets follow, the elapsed time is kept."""
    try:
        t = _stub().ReprioritiseTicket(pb.ReprioritiseTicketRequest(
            ticket_id=ticket_id, impact=impact.value, urgency=urgency.value, reason=reason), timeout=10).ticket
    except grpc.RpcError as err:
        fail(err)
    due = when(t.resolution_due_at) if t.HasField("resolution_due_at") else "-"
    emit_record(t, f"{t.number}: priority {enum_word(pb.Priority, t.priority)}, "
                   f"resolution due {due} ({t.resolution_elapsed_seconds} s already spent)")


change_route_app = typer.Typer(help="Approval routes per change type (normal, emergency, standard)",
                                no_args_is_help=True)
app.add_typer(change_route_app, name="change-route")


@change_route_app.command("list")
def change_route_list():
    """Each change type's approval route: steps (responsibility @ scope), order, retrospective review."""
    from google.protobuf.json_format import MessageToDict

    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        routes = [MessageToDict(r) for r in _stub().ListChangeRoutes(pb.ListChangeRoutesRequest(), timeout=10).routes]
    except grpc.RpcError as err:
        fail(err)
    listing = Listing(None, "change type", "steps", "order", "retrospective review", "pre-approved items")
    for r in routes:
        steps = " → ".join(f"{s['name']} (approval:{s['responsibility']} @ {s['scope']})" for s in r.get("steps", []))
        listing.add_row(r["change_type"], steps or "none (pre-approved)",
                        "sequential" if r.get("sequential", True) else "any order",
                        f"approval:{r['retrospective_review']}" if r.get("retrospective_review") else "-",
                        ", ".join(r.get("catalogue_item_ids", [])) or "-")
    emit(listing)


@change_route_app.command("set")
def change_route_set(route_file: str = typer.Argument(..., help="JSON file: {change_type, sequential, steps: "
                                                                "[{name, responsibility, scope}], "
                                                                "retrospective_review, catalogue_item_ids}")):
    """Replace one change type's approval route (permission ticket.admin)."""
    from google.protobuf.struct_pb2 import Struct

    from govops.ticket.v1 import ticket_pb2 as pb

    with open(route_file, encoding="utf-8") as f:
        route = Struct()
        route.update(json.load(f))
    try:
        _stub().UpsertChangeRoute(pb.UpsertChangeRouteRequest(route=route), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    emit_record({"change_type": route["change_type"], "stored": True},
                f"stored the {route['change_type']} change route")


@app.command("catalogue")
def ticket_catalogue():
    """The service catalogue as a tree (JSON: one line per item)."""
    try:
        items = _stub().ListCatalogue(pb.ListCatalogueRequest(), timeout=10).items
    except grpc.RpcError as err:
        fail(err)
    from govkit.cli_support import json_output

    if json_output():
        for i in items:
            emit_record(i)
        return
    by_parent: dict = {}
    for i in items:
        by_parent.setdefault(i.parent_id, []).append(i)

    def show(parent: str, depth: int) -> None:
        for i in by_parent.get(parent, []):
            folder = i.kind == pb.CATALOGUE_ITEM_KIND_FOLDER
            extra = "" if folder else f"  [dim]{i.id} · {i.ticket_type} · {i.group_id}[/dim]"
            console.print("  " * depth + ("📁 " if folder else "• ") + i.name + extra)
            show(i.id, depth + 1)

    show("", 0)


@app.command("submit")
def ticket_submit(item: str = typer.Option(..., help="catalogue item id, e.g. infra.network.fault"),
                  title: str = typer.Option(..., help="title (Chinese welcome)"),
                  org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id, e.g. fgw"),
                  form: str = typer.Option("{}", help="extra fields as JSON"),
                  description: str = typer.Option("", help="description")):
    """Submit a request from the catalogue (service-request window)."""
    from google.protobuf.struct_pb2 import Struct

    s = Struct()
    s.update(json.loads(form))
    try:
        reply = _stub().SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id=item, title=title,
                                                              org_unit_id=org_unit_id, description=description,
                                                              form=s), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    t = reply.ticket
    emit_record(t, f"submitted [bold]{t.number}[/bold] {t.id} → group {t.group_id or '-'}, "
                   f"assignee {t.assignee or '(queue)'}")
    for a in reply.suggestions:
        console.print(f"  knowledge base: {a.title}")


@app.command("queue")
def ticket_queue(group: str = typer.Option("", help="group id for the group queue; empty: my queue"),
                 page_size: int = typer.Option(20, help="tickets to show (at most 200)")):
    """A work queue sorted by SLA due (operations window)."""
    view = "group_queue" if group else "my_queue"
    try:
        queue = pb.QUEUE_VIEW_GROUP_QUEUE if group else pb.QUEUE_VIEW_MY_QUEUE
        reply = _stub().ListQueue(pb.ListQueueRequest(view=queue, filter=pb.TicketFilter(group_id=group),
                                                      sort="sla_due", page=PageRequest(page_size=page_size)),
                                                  timeout=10)
    except grpc.RpcError as err:
        fail(err)
    emit(_ticket_rows(f"{view} {group}", reply.tickets))


@app.command("search")
def ticket_search(query: str = typer.Argument(..., help="words to find (Chinese full text)")):
    """Search the knowledge base (Chinese full text)."""
    try:
        found = _stub().SearchArticles(pb.SearchArticlesRequest(query=query), timeout=10).articles
    except grpc.RpcError as err:
        fail(err)
    rows = Listing(f"knowledge base: {query}", "score", "title", "id")
    for a in found:
        rows.add_row(round(a.score, 3), a.title, a.id)
    emit(rows)
