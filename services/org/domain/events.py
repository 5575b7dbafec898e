"""Events the org service publishes (see docs/events.md and docs/contracts/org-events.md)."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.events import Event


class OrgEvent(Event):
    source = "org"

    def event_subject(self) -> str:
        return self.org_unit_id  # type: ignore[attr-defined]

    def event_org_unit_id(self) -> str | None:
        return self.org_unit_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OrgUnitCreated(OrgEvent):
    org_unit_id: str
    name: str
    parent_id: str | None
    kind: str


@dataclass(frozen=True)
class OrgUnitRenamed(OrgEvent):
    org_unit_id: str
    name: str
    old_name: str


@dataclass(frozen=True)
class OrgUnitMoved(OrgEvent):
    org_unit_id: str
    name: str
    old_parent_id: str | None
    new_parent_id: str


@dataclass(frozen=True)
class OrgUnitDeactivated(OrgEvent):
    org_unit_id: str
    name: str


class _PositionEvent(OrgEvent):
    def event_subject(self) -> str:
        return self.position_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _PositionState(_PositionEvent):
    position_id: str
    org_unit_id: str
    code: str
    name: str
    parent_position_id: str | None
    responsibilities: list
    active: bool


@dataclass(frozen=True)
class PositionCreated(_PositionState):
    pass


@dataclass(frozen=True)
class PositionChanged(_PositionState):
    pass


class _StaffEvent(OrgEvent):
    def event_subject(self) -> str:
        return self.staff_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StaffCreated(_StaffEvent):
    staff_id: str
    name: str
    org_unit_id: str
    vendor_id: str | None
    active: bool
    # added for notify (payloads only grow): the person's contact addresses, "" when unknown
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class UserContactChanged(OrgEvent):
    """A login user's contact addresses, on CreateUser (when given) and UpdateUser: notify reaches
    a requester without a staff record through them."""

    username: str
    staff_id: str | None
    email: str
    mobile: str

    def event_subject(self) -> str:
        return self.username

    def event_org_unit_id(self) -> str | None:
        return None  # a login user belongs to no unit (its roles do)


@dataclass(frozen=True)
class StaffAssigned(_StaffEvent):
    staff_id: str
    position_id: str
    org_unit_id: str
    start_date: str
    end_date: str | None


@dataclass(frozen=True)
class StaffUnassigned(_StaffEvent):
    staff_id: str
    position_id: str
    org_unit_id: str
    end_date: str


class _GroupEvent(OrgEvent):
    def event_subject(self) -> str:
        return self.group_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class GroupCreated(_GroupEvent):
    group_id: str
    code: str
    name: str
    org_unit_id: str
    lead_position_id: str | None


@dataclass(frozen=True)
class _Membership(_GroupEvent):
    group_id: str
    staff_id: str
    org_unit_id: str


@dataclass(frozen=True)
class GroupMemberAdded(_Membership):
    pass


@dataclass(frozen=True)
class GroupMemberRemoved(_Membership):
    pass


@dataclass(frozen=True)
class RosterPublished(_GroupEvent):
    group_id: str
    org_unit_id: str
    period_start: str
    period_end: str
    shifts: list


class _RoleEvent(OrgEvent):
    def event_subject(self) -> str:
        return self.subject  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Grant(_RoleEvent):
    assignment_id: str
    subject: str
    role: str
    org_unit_id: str
    subtree: bool


@dataclass(frozen=True)
class RoleGranted(_Grant):
    pass


@dataclass(frozen=True)
class RoleRevoked(_Grant):
    pass
