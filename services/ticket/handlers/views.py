"""Saved queue views: each user's own named ListQueue requests (the queue page's views), kept here so
they follow the user across browsers. A user sees and changes only their own (the token subject)."""

from __future__ import annotations

from datetime import datetime

from govkit.auth import Principal
from govkit.errors import NotFound
from govkit.events import utcnow

from ..domain.commands import SaveQueueView
from ..domain.ports import TicketUow
from ..domain.views import SavedView, check_room, check_view, checked_name, in_order


def list_views(uow: TicketUow, caller: Principal) -> list[SavedView]:
    with uow:
        return in_order(uow.views.list(caller.subject))


def save_view(cmd: SaveQueueView, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> SavedView:
    name = checked_name(cmd.name)
    check_view(cmd.view, cmd.filter)
    with uow:
        check_room(uow.views.list(caller.subject, for_update=True), name)
        view = SavedView(owner=caller.subject, name=name, view=cmd.view, filter=cmd.filter,
                         updated_at=now or utcnow())
        uow.views.upsert(view)
        uow.commit()
        return view


def delete_view(name: str, uow: TicketUow, caller: Principal) -> None:
    with uow:
        if not uow.views.delete(caller.subject, name.strip()):
            raise NotFound(f"you have no saved view named {name.strip()!r}")
        uow.commit()
