"""Plain-dict form of domain objects for nameko RPC replies."""

from govkit.events import jsonable


def ticket_to_dict(ticket) -> dict:
    data = {k: v for k, v in vars(ticket).items() if not k.startswith("_")}
    data["sla"] = ticket.sla.to_dict() if ticket.sla else None
    return jsonable(data)
