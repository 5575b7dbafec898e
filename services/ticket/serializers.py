"""Plain-dict form of domain objects for nameko RPC replies."""

from govkit.events import jsonable


def ticket_to_dict(ticket) -> dict:
    return jsonable(vars(ticket))
