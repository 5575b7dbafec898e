"""Plain-dict form of domain objects for nameko RPC replies."""

from govkit.events import jsonable

from .adapters.details import details_to_json

# Typed parts of a ticket: replies carry them inside `details`, as stored.
_PARTS = ("change", "problem", "alert", "escalated_position_id", "escalation_reason")


def ticket_to_dict(ticket) -> dict:
    data = {k: v for k, v in vars(ticket).items() if not k.startswith("_") and k not in _PARTS}
    data["details"] = details_to_json(ticket)
    data["sla"] = ticket.sla.to_dict() if ticket.sla else None
    return jsonable(data)
