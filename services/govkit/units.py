"""Org units named in requests: the one rule every service applies (plain Python).

A request that names an org unit (a ticket's, an asset's, a project's, a plan's subject or
objects, a new unit's parent…) is checked against the organisation before anything is written:

* a unit the organisation does not hold → INVALID_ARGUMENT, one field violation per field
  ("unknown org unit 'x'"), all fields at once;
* a unit that is deactivated → FAILED_PRECONDITION naming the field (nothing new is created there);

whatever the caller's scope (`*` included). org checks its own tables; every other service its
replica (`govkit.orgdir.OrgDirectory`, which has `require_units`). Lists and queries that merely
filter by a unit do not check: an unknown unit simply matches nothing.

`UnitChecks` is the mixin: anything with `unit_states(ids) -> {id: active}` gets
`unit_violations(named)` and `require_units(named)`; `named` is (field, unit id) pairs, blank ids
skipped (required-ness is the caller's own validation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from .errors import FailedPrecondition, FieldViolation, InvalidArgument

Named = Iterable[tuple[str, str]]


def unit_violations(states: Mapping[str, bool], named: Named) -> list[FieldViolation]:
    """One violation per named field whose unit is unknown or deactivated (for all-or-nothing
    imports that report every row)."""
    out = []
    for field, unit in named:
        if not unit:
            continue
        if unit not in states:
            out.append(FieldViolation(field, f"unknown org unit {unit!r}"))
        elif not states[unit]:
            out.append(FieldViolation(field, f"org unit {unit!r} is deactivated"))
    return out


def require_units(states: Mapping[str, bool], named: Named) -> None:
    """Raise for the named units: INVALID_ARGUMENT if any is unknown, else FAILED_PRECONDITION
    if one is deactivated."""
    named = list(named)
    unknown = [FieldViolation(f, f"unknown org unit {u!r}") for f, u in named if u and u not in states]
    if unknown:
        raise InvalidArgument(unknown)
    for field, unit in named:
        if unit and not states[unit]:
            raise FailedPrecondition(f"{field}: org unit {unit} is deactivated", field=field,
                                     reason=f"org unit {unit!r} is deactivated")


class UnitStates(Protocol):
    def unit_states(self, unit_ids: Iterable[str]) -> dict[str, bool]:
        """{id: active} for the ids the organisation holds; unknown ids are absent."""
        ...


class UnitDirectory(Protocol):
    """The port a service's handlers check named units through (its org directory)."""

    def require_units(self, named: Named) -> None: ...
    def unit_violations(self, named: Named) -> list[FieldViolation]: ...


class UnitChecks:
    """`require_units` / `unit_violations` over the class's own `unit_states`."""

    def unit_states(self, unit_ids: Iterable[str]) -> dict[str, bool]:
        raise NotImplementedError

    def unit_violations(self, named: Named) -> list[FieldViolation]:
        named = list(named)
        return unit_violations(self.unit_states({u for _, u in named if u}), named)

    def require_units(self, named: Named) -> None:
        named = list(named)
        require_units(self.unit_states({u for _, u in named if u}), named)
