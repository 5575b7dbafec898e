"""`govops ticket …`: the ticket command group (registered by ticket.service)."""

from __future__ import annotations

import json

import grpc
import typer
from rich.table import Table

from govkit.cli_support import console, fail, grpc_channel
from govops.common.v1.common_pb2 import PageRequest

app = typer.Typer(help="Tickets: catalogue, submit, queues, SLA", no_args_is_help=True)

_CATEGORIES = {"infrastructure": 1, "application": 2, "information_resource": 3}
_PRIORITIES = {"critical": 1, "high": 2, "medium": 3, "low": 4}


def _stub():
    from govops.ticket.v1 import ticket_pb2_grpc

    return ticket_pb2_grpc.TicketServiceStub(grpc_channel("ticket"))


@app.command("create")
def ticket_create(
    title: str = typer.Option(..., help="title (Chinese welcome)"),
    org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id, e.g. fgw"),
    description: str = typer.Option("", help="description"),
    category: str = typer.Option("infrastructure", help="|".join(_CATEGORIES)),
    priority: str = typer.Option("medium", help="|".join(_PRIORITIES)),
    idempotency_key: str | None = typer.Option(None, help="retry-safe key"),
):
    """Create a ticket."""
    from govops.ticket.v1 import ticket_pb2 as pb

    request = pb.CreateTicketRequest(
        title=title, description=description, org_unit_id=org_unit_id,
        category=pb.Category.ValueType(_CATEGORIES.get(category, 99)),
        priority=pb.Priority.ValueType(_PRIORITIES.get(priority, 99)),
        idempotency_key=idempotency_key or "")
    try:
        reply = _stub().CreateTicket(request, timeout=10)
    except grpc.RpcError as err:
        fail(err)
    t = reply.ticket
    console.print(f"{'replayed' if reply.replayed else 'created'} ticket [bold]{t.id}[/bold] {t.number} "
                  f"「{t.title}」 for {t.org_unit_id}")


@app.command("get")
def ticket_get(ticket_id: str):
    """Show one ticket."""
    from google.protobuf.json_format import MessageToDict

    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        reply = _stub().GetTicket(pb.GetTicketRequest(id=ticket_id), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    console.print_json(data=MessageToDict(reply.ticket))


@app.command("reprioritise")
def ticket_reprioritise(
    ticket_id: str,
    impact: str = typer.Option(..., help="high|medium|low"),
    urgency: str = typer.Option(..., help="high|medium|low"),
    reason: str = typer.Option(..., help="why the priority changes (required; kept in the audit trail)"),
):
    """Change a ticket's impact × urgency (priority); SLA targets follow, the elapsed time is kept."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        t = _stub().ReprioritiseTicket(pb.ReprioritiseTicketRequest(
            ticket_id=ticket_id, impact=impact, urgency=urgency, reason=reason), timeout=10).ticket
    except grpc.RpcError as err:
        fail(err)
    due = t.resolution_due_at.ToDatetime().isoformat() if t.HasField("resolution_due_at") else "-"
    console.print(f"{t.number}: priority {pb.Priority.Name(t.priority).removeprefix('PRIORITY_').lower()}, "
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
    table = Table("change type", "steps", "order", "retrospective review", "pre-approved items")
    for r in routes:
        steps = " → ".join(f"{s['name']} (approval:{s['responsibility']} @ {s['scope']})" for s in r.get("steps", []))
        table.add_row(r["change_type"], steps or "none (pre-approved)",
                      "sequential" if r.get("sequential", True) else "any order",
                      f"approval:{r['retrospective_review']}" if r.get("retrospective_review") else "-",
                      ", ".join(r.get("catalogue_item_ids", [])) or "-")
    console.print(table)


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
    console.print(f"stored the {route['change_type']} change route")


@app.command("catalogue")
def ticket_catalogue():
    """The service catalogue as a tree."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        items = _stub().ListCatalogue(pb.ListCatalogueRequest(), timeout=10).items
    except grpc.RpcError as err:
        fail(err)
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
                  title: str = typer.Option(...),
                  org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id, e.g. fgw"),
                  form: str = typer.Option("{}", help="extra fields as JSON"),
                  description: str = typer.Option("")):
    """Submit a request from the catalogue (service-request window)."""
    from google.protobuf.struct_pb2 import Struct

    from govops.ticket.v1 import ticket_pb2 as pb

    s = Struct()
    s.update(json.loads(form))
    try:
        reply = _stub().SubmitRequest(pb.SubmitRequestRequest(catalogue_item_id=item, title=title,
                                                              org_unit_id=org_unit_id, description=description,
                                                              form=s), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    t = reply.ticket
    console.print(f"submitted [bold]{t.number}[/bold] → group {t.group_id or '-'}, assignee {t.assignee or '(queue)'}")
    for a in reply.suggestions:
        console.print(f"  knowledge base: {a.title}")


@app.command("queue")
def ticket_queue(group: str = typer.Option("", help="group id for the group queue; empty: my queue"),
                 page_size: int = 20):
    """A work queue sorted by SLA due (operations window)."""
    from govops.ticket.v1 import ticket_pb2 as pb

    view = "group_queue" if group else "my_queue"
    try:
        queue = pb.QUEUE_VIEW_GROUP_QUEUE if group else pb.QUEUE_VIEW_MY_QUEUE
        reply = _stub().ListQueue(pb.ListQueueRequest(view=queue, filter=pb.TicketFilter(group_id=group),
                                                      sort="sla_due", page=PageRequest(page_size=page_size)),
                                                  timeout=10)
    except grpc.RpcError as err:
        fail(err)
    table = Table(title=f"{view} {group}")
    for col in ("number", "title", "org unit", "priority", "status", "assignee", "SLA", "due"):
        table.add_column(col)
    for t in reply.tickets:
        table.add_row(t.number, t.title, t.org_unit_id, pb.Priority.Name(t.priority)[9:].lower(),
                      pb.TicketStatus.Name(t.status)[14:].lower(), t.assignee, t.sla_state,
                      t.resolution_due_at.ToJsonString() if t.HasField("resolution_due_at") else "")
    console.print(table)


@app.command("search")
def ticket_search(query: str):
    """Search the knowledge base (Chinese full text)."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        found = _stub().SearchArticles(pb.SearchArticlesRequest(query=query), timeout=10).articles
    except grpc.RpcError as err:
        fail(err)
    for a in found:
        console.print(f"{a.score:.3f}  {a.title}  [dim]{a.id}[/dim]")
