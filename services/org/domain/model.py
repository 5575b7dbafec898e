"""The organisation: org units, positions and their responsibilities (岗责), staff, support
groups, duty rosters, roles and their assignments, users. Plain Python."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from govkit.errors import FailedPrecondition, InvalidArgument, Validator

from .events import OrgUnitCreated

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CODE_HINT = "must be letters, digits, '-', '_' or '.' (a stable code such as fgw or E0001), at most 64"


class OrgUnitKind(str, Enum):
    GOVERNMENT = "government"
    DEPARTMENT = "department"
    DIVISION = "division"
    OM_CENTRE = "om_centre"
    VENDOR = "vendor"


RESPONSIBILITY_KINDS = ("catalogue_category", "catalogue_item", "process", "approval")


def code(v: Validator, field_name: str, value: str) -> str:
    value = v.text(field_name, value, max_len=64)
    if value and not CODE.match(value):
        v.fail(field_name, CODE_HINT)
    return value


def enum_value(v: Validator, field_name: str, enum_cls, value):
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        v.fail(field_name, f"must be one of {', '.join(e.value for e in enum_cls)}" if value else "is required")
        return None


# ---- org units ---------------------------------------------------------------------------------
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
    active: bool = True


def new_org_unit(cmd: CreateOrgUnit) -> tuple[OrgUnit, OrgUnitCreated]:
    v = Validator()
    unit_id = code(v, "id", cmd.id)
    name = v.text("name", cmd.name, max_len=100)
    kind = enum_value(v, "kind", OrgUnitKind, cmd.kind)
    v.check()
    unit = OrgUnit(unit_id, name, cmd.parent_id or None, kind)
    return unit, OrgUnitCreated(unit.id, unit.name, unit.parent_id, unit.kind.value)


def check_move(unit_id: str, new_parent_id: str, parent_lineage: list[str]) -> None:
    """`parent_lineage` is the new parent and its ancestors: the unit may not be among them."""
    if unit_id == new_parent_id or unit_id in parent_lineage:
        raise FailedPrecondition(f"moving {unit_id} under {new_parent_id} would make a cycle")


# ---- positions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Responsibility:
    kind: str
    value: str


@dataclass
class Position:
    id: str
    org_unit_id: str
    name: str
    parent_position_id: str | None
    responsibilities: list[Responsibility] = field(default_factory=list)
    active: bool = True


def validate_position(v: Validator, pid: str, name: str, responsibilities) -> tuple[str, str, list[Responsibility]]:
    pid = code(v, "id", pid)
    name = v.text("name", name, max_len=100)
    out = []
    for i, r in enumerate(responsibilities or []):
        kind, value = (r.kind, r.value) if isinstance(r, Responsibility) else (r.get("kind"), r.get("value"))
        if kind not in RESPONSIBILITY_KINDS:
            v.fail(f"responsibilities[{i}].kind", f"must be one of {', '.join(RESPONSIBILITY_KINDS)}")
        if not (value or "").strip():
            v.fail(f"responsibilities[{i}].value", "must not be empty")
        out.append(Responsibility(kind, (value or "").strip()))
    return pid, name, out


def check_position_parent(position_id: str, parent_lineage: list[str]) -> None:
    if position_id in parent_lineage:
        raise FailedPrecondition(f"position {position_id} cannot report to its own subordinate (cycle)")


# ---- staff -----------------------------------------------------------------------------------
@dataclass
class Staff:
    id: str
    name: str
    org_unit_id: str
    vendor_id: str | None = None
    phone: str = ""
    email: str = ""
    active: bool = True
    pinyin: str = ""
    initials: str = ""


@dataclass
class StaffPosition:
    staff_id: str
    position_id: str
    start_date: date
    end_date: date | None = None

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


# ---- support groups and rosters --------------------------------------------------------------
@dataclass
class SupportGroup:
    id: str
    name: str
    org_unit_id: str
    lead_position_id: str | None = None


@dataclass(frozen=True)
class Shift:
    staff_id: str
    starts_at: datetime
    ends_at: datetime


def validate_roster(v: Validator, period_start: datetime, period_end: datetime, shifts: list[Shift],
                    members: set[str]) -> None:
    """Shifts must lie in the period, end after they start, be held by group members, and one
    person may not be on two overlapping shifts (handovers touch, they do not overlap)."""
    if period_end <= period_start:
        v.fail("period_end", "must be after period_start")
    for i, s in enumerate(shifts):
        if s.ends_at <= s.starts_at:
            v.fail(f"shifts[{i}].ends_at", "must be after starts_at")
        if s.ends_at - s.starts_at > timedelta(hours=24):
            v.fail(f"shifts[{i}].ends_at", "a shift lasts at most 24 hours")
        if not (period_start <= s.starts_at < period_end):
            v.fail(f"shifts[{i}].starts_at", "must start within the roster period")
        if s.staff_id not in members:
            v.fail(f"shifts[{i}].staff_id", f"{s.staff_id} is not a member of the group")
    by_person: dict[str, list[tuple[int, Shift]]] = {}
    for i, s in enumerate(shifts):
        by_person.setdefault(s.staff_id, []).append((i, s))
    for person, items in by_person.items():
        items.sort(key=lambda t: t[1].starts_at)
        for (_, a), (j, b) in zip(items, items[1:]):
            if b.starts_at < a.ends_at:
                v.fail(f"shifts[{j}]", f"{person} already has an overlapping shift "
                                       f"{a.starts_at.isoformat()}–{a.ends_at.isoformat()}")


def roster_version(shifts: list[Shift]) -> str:
    """The version of a group's period: a digest of its shifts rather than a counter, because the
    period is whatever range the client reads (a week in the portal), not a stored row. Two reads
    of the same shifts give the same token, so only a real change by someone else makes an edit
    stale."""
    h = hashlib.sha256()
    for s in sorted(shifts, key=lambda s: (s.starts_at, s.staff_id, s.ends_at)):
        # Instants, not isoformat: the database hands back UTC what the caller sent in +08:00.
        h.update(f"{s.staff_id}|{s.starts_at.timestamp()}|{s.ends_at.timestamp()}\n".encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class RosterPublish:
    """One publish of a group's period: who (login and the display name their token carried, kept
    as it was then), when, and the version it produced. It lets a refused stale edit name the
    person who superseded it instead of a bare digest."""
    group_id: str
    period_start: datetime
    period_end: datetime
    publisher: str
    publisher_name: str
    published_at: datetime
    version: str

    def by(self) -> str:
        """张组长 (zhang); the login alone when the token carried no other name (service accounts)."""
        if self.publisher_name and self.publisher_name != self.publisher:
            return f"{self.publisher_name} ({self.publisher})"
        return self.publisher


def expect_roster_version(expected: str, current: list[Shift], last: RosterPublish | None = None) -> None:
    """`expected` empty: no check (integrators written before versions existed keep the old
    last-publish-wins behaviour). `last` is the latest publish overlapping the period: it names
    who changed it; None (shifts written before publishes were recorded) keeps "someone else"."""
    if not expected:
        return
    now = roster_version(current)
    if expected != now:
        who = "someone else"
        if last is not None:
            who = f"{last.by()} at {last.published_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        raise FailedPrecondition(
            f"the roster of this period was changed by {who} meanwhile "
            f"(you edited version {expected}, the current version is {now}); reload and retry",
            field="expected_version", reason=f"is {expected} but {now}")


# ---- roles -------------------------------------------------------------------------------------
@dataclass
class Role:
    code: str
    name: str
    description: str
    permissions: frozenset[str]
    builtin: bool = False


@dataclass
class RoleAssignment:
    id: str
    subject: str
    role: str
    org_unit_id: str
    subtree: bool
    granted_by: str
    granted_at: datetime


# ---- identity ----------------------------------------------------------------------------------
@dataclass
class User:
    username: str
    display_name: str
    password_hash: str
    staff_id: str | None = None
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    # where notify reaches a login user who has no staff record (e.g. a department requester)
    email: str = ""
    mobile: str = ""
    # pinyin keys of display_name (govkit.pinyin.pinyin_keys), kept in step with it
    pinyin: str = ""
    initials: str = ""


class UserState(Enum):
    ACTIVE = "active"
    LOCKED = "locked"  # too many failed logins; unlocks by itself at locked_until
    DISABLED = "disabled"


def user_state(user: User, now: datetime) -> UserState:
    if not user.active:
        return UserState.DISABLED
    if user.locked_until and user.locked_until > now:
        return UserState.LOCKED
    return UserState.ACTIVE


@dataclass(frozen=True)
class UserListing:
    """One row of ListUsers: the user, their staff record's unit (None without one) and grants."""

    user: User
    staff_org_unit_id: str | None
    grants: tuple[RoleAssignment, ...] = ()


@dataclass(frozen=True)
class LockoutPolicy:
    """After `max_attempts` failures in a row, each further failure locks the account for a
    doubling period (base, 2×base, …) up to `cap`. A success resets the count."""

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def after_failure(self, user: User, now: datetime) -> None:
        user.failed_logins += 1
        if user.failed_logins >= self.max_attempts:
            extra = user.failed_logins - self.max_attempts
            user.locked_until = now + min(self.cap, self.base * (2 ** min(extra, 20)))

    @staticmethod
    def after_success(user: User) -> None:
        user.failed_logins, user.locked_until = 0, None


USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
PASSWORD_MIN = 10


MOBILE = re.compile(r"^(\+86)?1\d{10}$")


def validate_contact(v: Validator, email: str, mobile: str) -> tuple[str, str]:
    """A login user's e-mail and mainland mobile number (both optional); violations name the field."""
    email = v.text("email", email, required=False, max_len=128)
    if email and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
        v.fail("email", "is not an e-mail address")
    mobile = v.text("mobile", mobile, required=False, max_len=16)
    if mobile and not MOBILE.match(mobile):
        v.fail("mobile", "is not a mainland mobile number (11 digits starting with 1, optionally +86)")
    return email, mobile


def validate_credentials(v: Validator, username: str, password: str) -> str:
    username = v.text("username", username, max_len=64)
    if username and not USERNAME.match(username):
        v.fail("username", "must be 2–64 letters, digits, '_', '.', '@' or '-'")
    if len(password or "") < PASSWORD_MIN:
        v.fail("password", f"must be at least {PASSWORD_MIN} characters")
    elif len(password) > 256:
        v.fail("password", "must be at most 256 characters")
    return username


def require(condition: bool, field_name: str, reason: str) -> None:
    if not condition:
        raise InvalidArgument(field=field_name, reason=reason)
