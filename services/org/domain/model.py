"""Org units. Plain Python."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from govkit.errors import Validator

from .events import OrgUnitCreated

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class OrgUnitKind(str, Enum):
    GOVERNMENT = "government"
    DEPARTMENT = "department"
    DIVISION = "division"
    OM_CENTRE = "om_centre"


@dataclass(frozen=True)
class CreateOrgUnit:
    id: str
    name: str
    parent_id: str | None
    kind: str


@dataclass
class OrgUnit:
    id: str
    name: str
    parent_id: str | None
    kind: OrgUnitKind


def new_org_unit(cmd: CreateOrgUnit) -> tuple[OrgUnit, OrgUnitCreated]:
    v = Validator()
    code = v.text("id", cmd.id, max_len=64)
    if code and not CODE.match(code):
        v.fail("id", "must be lower-case letters, digits, '-' or '_' (a stable code such as fgw)")
    name = v.text("name", cmd.name, max_len=100)
    try:
        kind = OrgUnitKind(cmd.kind)
    except ValueError:
        kind = None
        v.fail("kind", "must be one of " + ", ".join(k.value for k in OrgUnitKind) if cmd.kind else "is required")
    v.check()
    unit = OrgUnit(code, name, cmd.parent_id or None, kind)
    return unit, OrgUnitCreated(unit.id, unit.name, unit.parent_id, unit.kind.value)
