"""The service catalogue, and storing the defaults (catalogue, calendars, SLA policies)."""

from __future__ import annotations

from govkit.auth import Principal
from govkit.errors import NotFound

from ..domain.calendar import DEFAULT_CALENDARS
from ..domain.catalogue import CatalogueItem
from ..domain.commands import EnsureDefaults, ListCatalogue, UpsertCatalogueItem
from ..domain.defaults import DEFAULT_CATALOGUE
from ..domain.ports import TicketUow
from ..domain.sla import DEFAULT_POLICIES
from ..domain.versions import expect_version


def ensure_defaults(cmd: EnsureDefaults, uow: TicketUow, caller: Principal) -> int:
    """Store the default catalogue, calendars and SLA policies where missing (safe to repeat);
    the number of catalogue items added."""
    added = 0
    with uow:
        for cal in DEFAULT_CALENDARS:
            if not any(c.id == cal.id for c in uow.sla.calendars()):
                uow.sla.upsert_calendar(cal)
        for p in DEFAULT_POLICIES:
            if not any(x.id == p.id for x in uow.sla.policies()):
                uow.sla.upsert_policy(p)
        for item in DEFAULT_CATALOGUE:
            if uow.catalogue.get(item.id) is None:
                uow.catalogue.upsert(item)
                added += 1
        uow.commit()
    return added


def list_catalogue(cmd: ListCatalogue, uow: TicketUow, caller: Principal) -> list[CatalogueItem]:
    with uow:
        return uow.catalogue.list(include_inactive=cmd.include_inactive)


def upsert_catalogue_item(cmd: UpsertCatalogueItem, uow: TicketUow, caller: Principal) -> CatalogueItem:
    item = cmd.item
    item.validate()
    with uow:
        current = uow.catalogue.get_for_update(item.id)
        expect_version(f"catalogue item {item.id}", cmd.expected_version, current.version if current else None)
        if item.parent_id and uow.catalogue.get(item.parent_id) is None:
            raise NotFound(f"parent catalogue item {item.parent_id} not found")
        if item.sla_policy_id and uow.sla.policy(item.sla_policy_id) is None:
            raise NotFound(f"SLA policy {item.sla_policy_id} not found")
        item.version = uow.catalogue.upsert(item)
        uow.commit()
        return item
