"""Commands the org service accepts (imperative, never broadcast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .model import Shift


@dataclass(frozen=True)
class RenameOrgUnit:
    id: str
    name: str


@dataclass(frozen=True)
class MoveOrgUnit:
    id: str
    new_parent_id: str


@dataclass(frozen=True)
class DeactivateOrgUnit:
    id: str


@dataclass(frozen=True)
class SavePosition:
    id: str
    org_unit_id: str
    name: str
    parent_position_id: str | None = None
    responsibilities: tuple = ()
    create: bool = True


@dataclass(frozen=True)
class SaveStaff:
    id: str
    name: str
    org_unit_id: str
    vendor_id: str | None = None
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class AssignStaff:
    staff_id: str
    position_id: str
    start_date: date
    end_date: date | None = None


@dataclass(frozen=True)
class UnassignStaff:
    staff_id: str
    position_id: str
    end_date: date


@dataclass(frozen=True)
class CreateSupportGroup:
    id: str
    name: str
    org_unit_id: str
    lead_position_id: str | None = None


@dataclass(frozen=True)
class ChangeGroupMember:
    group_id: str
    staff_id: str
    add: bool = True


@dataclass(frozen=True)
class PublishRoster:
    group_id: str
    period_start: datetime
    period_end: datetime
    shifts: tuple[Shift, ...] = field(default_factory=tuple)
    expected_version: str = ""  # empty: no check (model.expect_roster_version)


@dataclass(frozen=True)
class SaveRole:
    code: str
    name: str
    description: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class GrantRole:
    subject: str
    role: str
    org_unit_id: str
    subtree: bool = True


@dataclass(frozen=True)
class RevokeRole:
    subject: str
    role: str
    org_unit_id: str


@dataclass(frozen=True)
class CreateUser:
    username: str
    password: str
    display_name: str
    staff_id: str | None = None
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class UpdateUser:
    """A login user's display name and contact addresses (notify mails and texts them)."""

    username: str
    display_name: str
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class ListUsers:
    """Login users matching `q` (username, display name, its pinyin or initials), optionally only
    those whose staff record or a grant lies in `org_unit_id`'s subtree; one page of them."""

    q: str = ""
    org_unit_id: str = ""
    start: int = 0
    size: int = 50


@dataclass(frozen=True)
class BootstrapAdmin:
    """The first administrator of a fresh installation: a user with `system_admin` on the subtree
    of `root_unit_id` (created as a government root unit when it does not exist yet)."""

    username: str
    password: str
    display_name: str
    root_unit_id: str
    root_unit_name: str


@dataclass(frozen=True)
class Login:
    username: str
    password: str


@dataclass(frozen=True)
class CreateServiceAccount:
    client_id: str
    name: str


@dataclass(frozen=True)
class IssueServiceToken:
    client_id: str
    client_secret: str
