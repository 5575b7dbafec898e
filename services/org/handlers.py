"""Org use cases."""

from __future__ import annotations

from govkit.auth import Principal
from govkit.errors import AlreadyExists, NotFound

from .domain.model import CreateOrgUnit, OrgUnit, new_org_unit


def create_org_unit(cmd: CreateOrgUnit, uow, caller: Principal) -> OrgUnit:
    unit, event = new_org_unit(cmd)
    with uow:
        if uow.org_units.get(unit.id) is not None:
            raise AlreadyExists(f"org unit {unit.id} already exists")
        if unit.parent_id and uow.org_units.get(unit.parent_id) is None:
            raise NotFound(f"parent org unit {unit.parent_id} not found")
        uow.org_units.add(unit)
        uow.collect(event)
        uow.commit()
    return unit


def ensure_org_unit(cmd: CreateOrgUnit, uow, caller: Principal) -> OrgUnit:
    """Create unless it exists already (used by the demo seed, which may run many times)."""
    with uow:
        existing = uow.org_units.get(cmd.id)
    return existing or create_org_unit(cmd, uow, caller)


def list_org_units(uow, caller: Principal) -> list[OrgUnit]:
    with uow:
        return uow.org_units.list()
