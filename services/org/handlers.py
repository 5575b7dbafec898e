"""Org use cases: `handle(command, uow, caller)`; identity use cases also take `security`
(password hashing and token signing, see adapters/security.py)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from govkit.auth import ALL_UNITS, SYSTEM, Principal
from govkit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Validator,
)
from govkit.events import jsonable, utcnow
from govkit.pinyin import pinyin_keys
from govkit.units import require_units
from govkit.uow import transactional

from .domain import commands as c
from .domain import events as ev
from .domain.model import (
    CreateOrgUnit,
    LockoutPolicy,
    OrgUnit,
    Position,
    Role,
    RoleAssignment,
    RosterPublish,
    Shift,
    Staff,
    StaffPosition,
    SupportGroup,
    User,
    UserListing,
    check_move,
    check_position_parent,
    code,
    expect_roster_version,
    new_org_unit,
    roster_version,
    validate_contact,
    validate_credentials,
    validate_position,
    validate_roster,
)
from .domain.permissions import DEFAULT_ROLES, PERMISSIONS
from .domain.ports import OrgUow

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(hours=8)
LOCKOUT = LockoutPolicy()
# Subtree scopes are expanded into the token; a subtree bigger than this is refused at login so a
# token never outgrows gRPC metadata limits (a root subtree becomes "*" instead).
MAX_TOKEN_UNITS = 400


def _in_scope(caller: Principal, unit_id: str) -> None:
    if not caller.scope.allows(unit_id):
        raise PermissionDenied(f"org unit {unit_id} is outside your scope")


def _unit(uow: OrgUow, unit_id: str, *, lock: bool = False) -> OrgUnit:
    """The unit a request acts on (rename, move, deactivate it…): NOT_FOUND if there is none."""
    unit = uow.org_units.get(unit_id, lock=lock)
    if unit is None:
        raise NotFound(f"org unit {unit_id} not found")
    return unit


# Units a request *names* (a new unit's parent, a staff member's, position's, group's or grant's
# unit) follow the rule every service applies (govkit.units): unknown → INVALID_ARGUMENT naming
# the field; deactivated → FAILED_PRECONDITION naming it, checked after the caller's scope.
def _named_unit(uow: OrgUow, unit_id: str, field: str) -> OrgUnit:
    unit = uow.org_units.get(unit_id)
    require_units({unit.id: True} if unit else {}, [(field, unit_id or "")])
    if unit is None:  # a blank id: required wherever a unit is named
        raise InvalidArgument(field=field, reason="must not be empty")
    return unit


def _live(unit: OrgUnit, field: str) -> None:
    require_units({unit.id: unit.active}, [(field, unit.id)])


# ---- org units ---------------------------------------------------------------------------------


@transactional
def create_org_unit(cmd: CreateOrgUnit, uow: OrgUow, caller: Principal) -> OrgUnit:
    unit, event = new_org_unit(cmd)
    if uow.org_units.get(unit.id) is not None:
        raise AlreadyExists(f"org unit {unit.id} already exists")
    if unit.parent_id:
        parent = _named_unit(uow, unit.parent_id, "parent_id")
        _in_scope(caller, unit.parent_id)
        _live(parent, "parent_id")
    elif not caller.scope.is_global:
        raise PermissionDenied("only a caller with global scope may create a root org unit")
    uow.org_units.add(unit)
    uow.org_units.record(unit.id, "created", None, vars(unit), caller.subject)
    uow.collect(event)
    return unit


def ensure_org_unit(cmd: CreateOrgUnit, uow: OrgUow, caller: Principal) -> OrgUnit:
    """Create unless it exists already (the demo seed may run many times)."""
    with uow:
        existing = uow.org_units.get(cmd.id)
    return existing or create_org_unit(cmd, uow, caller)


def rename_org_unit(cmd: c.RenameOrgUnit, uow: OrgUow, caller: Principal) -> OrgUnit:
    v = Validator()
    name = v.text("name", cmd.name, max_len=100)
    v.check()
    with uow:
        unit = _unit(uow, cmd.id, lock=True)
        _in_scope(caller, unit.id)
        before, old = vars(unit).copy(), unit.name
        unit.name = name
        uow.org_units.update(unit)
        uow.org_units.record(unit.id, "renamed", before, vars(unit), caller.subject)
        uow.collect(ev.OrgUnitRenamed(unit.id, unit.name, old))
        uow.commit()
    return unit


def move_org_unit(cmd: c.MoveOrgUnit, uow: OrgUow, caller: Principal) -> OrgUnit:
    with uow:
        unit = _unit(uow, cmd.id, lock=True)
        parent = _named_unit(uow, cmd.new_parent_id, "new_parent_id")
        _in_scope(caller, unit.id)
        _in_scope(caller, parent.id)
        _live(parent, "new_parent_id")
        check_move(unit.id, parent.id, uow.org_units.lineage(parent.id))
        before, old_parent = vars(unit).copy(), unit.parent_id
        unit.parent_id = parent.id
        uow.org_units.update(unit)
        uow.org_units.record(unit.id, "moved", before, vars(unit), caller.subject)
        uow.collect(ev.OrgUnitMoved(unit.id, unit.name, old_parent, parent.id))
        uow.commit()
    return unit


def deactivate_org_unit(cmd: c.DeactivateOrgUnit, uow: OrgUow, caller: Principal) -> OrgUnit:
    with uow:
        unit = _unit(uow, cmd.id, lock=True)
        _in_scope(caller, unit.id)
        if not unit.active:
            raise FailedPrecondition(f"org unit {unit.id} is already deactivated")
        children = uow.org_units.active_children(unit.id)
        people = uow.staff.count_active_in(unit.id)
        if children or people:
            raise FailedPrecondition(f"org unit {unit.id} still has {children} active child unit(s) and "
                                     f"{people} active staff; move or deactivate them first")
        before = vars(unit).copy()
        unit.active = False
        uow.org_units.update(unit)
        uow.org_units.record(unit.id, "deactivated", before, vars(unit), caller.subject)
        uow.collect(ev.OrgUnitDeactivated(unit.id, unit.name))
        uow.commit()
    return unit


def list_org_units(uow: OrgUow, caller: Principal, *, root: str | None = None, include_inactive: bool = False):
    with uow:
        within = uow.org_units.subtree([root]) if root else None
        if root and not within:
            raise NotFound(f"org unit {root} not found")
        return uow.org_units.list(within=within, include_inactive=include_inactive)


def org_unit_history(unit_id: str, uow: OrgUow, caller: Principal) -> list[dict]:
    with uow:
        _unit(uow, unit_id)
        return uow.org_units.history(unit_id)


# ---- positions ---------------------------------------------------------------------------------


@transactional
def save_position(cmd: c.SavePosition, uow: OrgUow, caller: Principal) -> Position:
    v = Validator()
    pid, name, responsibilities = validate_position(v, cmd.id, cmd.name, cmd.responsibilities)
    v.check()
    unit = _named_unit(uow, cmd.org_unit_id, "org_unit_id")
    _in_scope(caller, unit.id)
    existing = uow.positions.get(pid)
    if cmd.create and existing is not None:
        raise AlreadyExists(f"position {pid} already exists")
    if not cmd.create and existing is None:
        raise NotFound(f"position {pid} not found")
    _live(unit, "org_unit_id")
    parent = cmd.parent_position_id or None
    if parent:
        if uow.positions.get(parent) is None:
            raise NotFound(f"parent position {parent} not found")
        check_position_parent(pid, uow.positions.lineage(parent))
    position = Position(pid, unit.id, name, parent, responsibilities)
    uow.positions.upsert(position)
    data = (position.id, position.org_unit_id, position.id, position.name, position.parent_position_id,
            [vars(r) for r in responsibilities], True)
    uow.collect(ev.PositionCreated(*data) if cmd.create else ev.PositionChanged(*data))
    return position


def list_positions(uow: OrgUow, caller: Principal, *, org_unit_id: str | None = None) -> list[Position]:
    with uow:
        return uow.positions.list(org_unit_id=org_unit_id)


# ---- staff -------------------------------------------------------------------------------------


@transactional
def save_staff(cmd: c.SaveStaff, uow: OrgUow, caller: Principal) -> Staff:
    v = Validator()
    sid = code(v, "id", cmd.id)
    name = v.text("name", cmd.name, max_len=64)
    phone = v.text("phone", cmd.phone, required=False, max_len=32)
    email = v.text("email", cmd.email, required=False, max_len=128)
    if email and "@" not in email:
        v.fail("email", "is not an e-mail address")
    v.check()
    unit = _named_unit(uow, cmd.org_unit_id, "org_unit_id")
    _in_scope(caller, unit.id)
    _live(unit, "org_unit_id")
    existing = uow.staff.get(sid)
    if existing is not None:
        _in_scope(caller, existing.org_unit_id)
    full, initials = pinyin_keys(name)
    person = Staff(sid, name, unit.id, cmd.vendor_id or None, phone, email, True, full, initials)
    uow.staff.upsert(person)
    uow.collect(ev.StaffCreated(person.id, person.name, person.org_unit_id, person.vendor_id, True,
                                person.email, person.phone))
    return person


def _staff(uow: OrgUow, sid: str) -> Staff:
    person = uow.staff.get(sid)
    if person is None:
        raise NotFound(f"staff {sid} not found")
    return person


@transactional
def assign_staff(cmd: c.AssignStaff, uow: OrgUow, caller: Principal) -> StaffPosition:
    if cmd.end_date and cmd.end_date < cmd.start_date:
        raise InvalidArgument(field="end_date", reason="must not be before start_date")
    person = _staff(uow, cmd.staff_id)
    position = uow.positions.get(cmd.position_id)
    if position is None:
        raise NotFound(f"position {cmd.position_id} not found")
    unit = _unit(uow, position.org_unit_id)
    _in_scope(caller, unit.id)
    if not unit.active:
        raise FailedPrecondition(f"cannot assign staff to a position of deactivated org unit {unit.id}")
    if not person.active:
        raise FailedPrecondition(f"staff {person.id} is not active")
    sp = StaffPosition(person.id, position.id, cmd.start_date, cmd.end_date)
    uow.staff.assign(sp)
    uow.collect(ev.StaffAssigned(person.id, position.id, unit.id, sp.start_date.isoformat(),
                                 sp.end_date.isoformat() if sp.end_date else None))
    return sp


def unassign_staff(cmd: c.UnassignStaff, uow: OrgUow, caller: Principal) -> StaffPosition:
    with uow:
        sp = uow.staff.holding(cmd.staff_id, cmd.position_id)
        if sp is None:
            raise NotFound(f"staff {cmd.staff_id} does not hold position {cmd.position_id}")
        position = uow.positions.get(cmd.position_id)
        _in_scope(caller, position.org_unit_id)
        if cmd.end_date < sp.start_date:
            raise InvalidArgument(field="end_date", reason=f"must not be before the start {sp.start_date}")
        sp.end_date = cmd.end_date
        uow.staff.assign(sp)
        uow.collect(ev.StaffUnassigned(sp.staff_id, sp.position_id, position.org_unit_id, cmd.end_date.isoformat()))
        uow.commit()
    return sp


def search_staff(query: str, uow: OrgUow, caller: Principal, *, limit: int = 20,
                 org_unit_id: str = "") -> list[Staff]:
    limit = max(1, min(limit or 20, 200))
    with uow:
        return uow.staff.search(query.strip(), within={org_unit_id} if org_unit_id else None, limit=limit)


def get_staff(staff_id: str, uow: OrgUow, caller: Principal) -> tuple[Staff, list[StaffPosition]]:
    with uow:
        person = _staff(uow, staff_id)
        return person, uow.staff.positions_of(staff_id)


# ---- support groups and rosters ----------------------------------------------------------------
def create_support_group(cmd: c.CreateSupportGroup, uow: OrgUow, caller: Principal) -> SupportGroup:
    v = Validator()
    gid = code(v, "id", cmd.id)
    name = v.text("name", cmd.name, max_len=64)
    v.check()
    with uow:
        unit = _named_unit(uow, cmd.org_unit_id, "org_unit_id")
        _in_scope(caller, unit.id)
        _live(unit, "org_unit_id")
        if uow.groups.get(gid):
            raise AlreadyExists(f"support group {gid} already exists")
        if cmd.lead_position_id and uow.positions.get(cmd.lead_position_id) is None:
            raise NotFound(f"position {cmd.lead_position_id} not found")
        group = SupportGroup(gid, name, unit.id, cmd.lead_position_id or None)
        uow.groups.add(group)
        uow.collect(ev.GroupCreated(group.id, group.id, group.name, group.org_unit_id, group.lead_position_id))
        uow.commit()
    return group


def _group(uow: OrgUow, gid: str, *, lock: bool = False) -> SupportGroup:
    group = uow.groups.get(gid, lock=lock)
    if group is None:
        raise NotFound(f"support group {gid} not found")
    return group


def change_group_member(cmd: c.ChangeGroupMember, uow: OrgUow, caller: Principal) -> list[str]:
    with uow:
        group = _group(uow, cmd.group_id)
        _in_scope(caller, group.org_unit_id)
        _staff(uow, cmd.staff_id)
        changed = (uow.groups.add_member if cmd.add else uow.groups.remove_member)(group.id, cmd.staff_id)
        if changed:
            cls = ev.GroupMemberAdded if cmd.add else ev.GroupMemberRemoved
            uow.collect(cls(group.id, cmd.staff_id, group.org_unit_id))
        uow.commit()
        return uow.groups.members(group.id)


@transactional
def publish_roster(cmd: c.PublishRoster, uow: OrgUow, caller: Principal) -> list[Shift]:
    shifts = list(cmd.shifts)
    # The row lock serialises publishes of one group, so two editors holding the same version
    # cannot both pass the check below.
    group = _group(uow, cmd.group_id, lock=True)
    _in_scope(caller, group.org_unit_id)
    expect_roster_version(cmd.expected_version, uow.groups.shifts(group.id, cmd.period_start, cmd.period_end),
                          uow.groups.last_publish(group.id, cmd.period_start, cmd.period_end))
    v = Validator()
    validate_roster(v, cmd.period_start, cmd.period_end, shifts, set(uow.groups.members(group.id)))
    v.check()
    if shifts:
        start = min(s.starts_at for s in shifts)
        end = max(s.ends_at for s in shifts)
        clashes = uow.groups.shifts_overlapping(sorted({s.staff_id for s in shifts}), start, end,
                                                (group.id, cmd.period_start, cmd.period_end))
        for i, s in enumerate(shifts):
            for staff_id, other_group, a, b in clashes:
                if staff_id == s.staff_id and a < s.ends_at and b > s.starts_at:
                    v.fail(f"shifts[{i}]", f"{staff_id} is already on duty in {other_group} "
                                           f"{a.isoformat()}–{b.isoformat()}")
        v.check()
    uow.groups.replace_shifts(group.id, cmd.period_start, cmd.period_end, shifts)
    # The period now holds exactly these shifts, so their version is the one this publish produced.
    uow.groups.record_publish(RosterPublish(group.id, cmd.period_start, cmd.period_end, caller.subject,
                                            caller.name, utcnow(), roster_version(shifts)))
    uow.collect(ev.RosterPublished(group.id, group.org_unit_id, jsonable(cmd.period_start),
                                   jsonable(cmd.period_end),
                                   [{"staff_id": s.staff_id, "starts_at": jsonable(s.starts_at),
                                     "ends_at": jsonable(s.ends_at)} for s in shifts]))
    return shifts


def on_duty(group_id: str, at: datetime, uow: OrgUow, caller: Principal) -> list[Shift]:
    with uow:
        _group(uow, group_id)
        return uow.groups.on_duty(group_id, at)


# A roster is read a week or a month at a time; a bound keeps one request from reading years.
MAX_SHIFT_PERIOD = timedelta(days=92)


def list_shifts(group_id: str, start: datetime, end: datetime, uow: OrgUow,
                caller: Principal) -> tuple[list[Shift], RosterPublish | None]:
    """The period's shifts and its latest publish (None before any was recorded)."""
    if end <= start:
        raise InvalidArgument(field="period_end", reason="must be after period_start")
    if end - start > MAX_SHIFT_PERIOD:
        raise InvalidArgument(field="period_end", reason="the period may span at most 92 days")
    with uow:
        _group(uow, group_id)
        return uow.groups.shifts(group_id, start, end), uow.groups.last_publish(group_id, start, end)


# ---- roles -------------------------------------------------------------------------------------
def install_default_roles(uow: OrgUow) -> int:
    with uow:
        for spec in DEFAULT_ROLES:
            uow.roles.upsert(Role(spec.code, spec.name, spec.description, spec.permissions, builtin=True))
        uow.commit()
    return len(DEFAULT_ROLES)


def save_role(cmd: c.SaveRole, uow: OrgUow, caller: Principal) -> Role:
    v = Validator()
    role_code = code(v, "code", cmd.code)
    name = v.text("name", cmd.name, max_len=64)
    for i, p in enumerate(cmd.permissions):
        if p not in PERMISSIONS and p != "*":
            v.fail(f"permissions[{i}]", f"unknown permission {p!r}")
    if not cmd.permissions:
        v.fail("permissions", "a role needs at least one permission")
    v.check()
    _may_hand_out(caller, set(cmd.permissions))
    with uow:
        existing = uow.roles.get(role_code)
        if existing and existing.builtin:
            raise FailedPrecondition(f"role {role_code} is a built-in role and cannot be changed")
        role = Role(role_code, name, cmd.description or "", frozenset(cmd.permissions))
        uow.roles.upsert(role)
        uow.commit()
    return role


def _may_hand_out(caller: Principal, permissions: set[str]) -> None:
    """Nobody hands out permissions they do not hold themselves (no privilege escalation)."""
    if "*" in caller.permissions:
        return
    missing = sorted(permissions - caller.permissions)
    if missing:
        raise PermissionDenied(f"you cannot hand out permissions you do not hold: {', '.join(missing)}")


def grant_role(cmd: c.GrantRole, uow: OrgUow, caller: Principal) -> RoleAssignment:
    v = Validator()
    subject = v.text("subject", cmd.subject, max_len=128)
    v.check()
    with uow:
        role = uow.roles.get(cmd.role)
        if role is None:
            raise NotFound(f"role {cmd.role} not found")
        unit = _named_unit(uow, cmd.org_unit_id, "org_unit_id")
        _live(unit, "org_unit_id")
        # The granted scope must lie inside the granter's own scope.
        granted = uow.org_units.subtree([unit.id]) if cmd.subtree else {unit.id}
        if not caller.scope.is_global and not granted <= caller.scope.units:
            raise PermissionDenied(f"scope {unit.id}{' and its subtree' if cmd.subtree else ''} "
                                   "is outside your own scope")
        _may_hand_out(caller, set(role.permissions))
        if uow.identities.user(subject) is None and not (
                subject.startswith("sa:") and uow.identities.service_account(subject[3:])):
            raise NotFound(f"no user or service account {subject}")
        a = _grant(uow, subject, role.code, unit.id, cmd.subtree, caller.subject)
        if a is None:
            raise AlreadyExists(f"{subject} already has role {role.code} at {unit.id}")
        uow.commit()
    return a


def _grant(uow: OrgUow, subject: str, role: str, unit_id: str, subtree: bool, by: str) -> RoleAssignment | None:
    """Record the assignment and its RoleGranted event; None if the subject has it already."""
    a = RoleAssignment(str(uuid.uuid4()), subject, role, unit_id, subtree, by, utcnow())
    if not uow.roles.grant(a):
        return None
    uow.collect(ev.RoleGranted(a.id, a.subject, a.role, a.org_unit_id, a.subtree))
    return a


def revoke_role(cmd: c.RevokeRole, uow: OrgUow, caller: Principal) -> RoleAssignment:
    with uow:
        a = uow.roles.find_assignment(cmd.subject, cmd.role, cmd.org_unit_id)
        if a is None:
            raise NotFound(f"{cmd.subject} has no role {cmd.role} at {cmd.org_unit_id}")
        _in_scope(caller, a.org_unit_id)
        uow.roles.revoke(a.id)
        uow.collect(ev.RoleRevoked(a.id, a.subject, a.role, a.org_unit_id, a.subtree))
        uow.commit()
    return a


def list_roles(uow: OrgUow, caller: Principal) -> list[Role]:
    with uow:
        return uow.roles.list()


def _visible(grants, caller: Principal) -> list[RoleAssignment]:
    """The grants at units inside the caller's scope: a department's reader learns nothing of the
    roles a person holds in another department."""
    return [a for a in grants if caller.scope.allows(a.org_unit_id)]


def role_assignments(subject: str, uow: OrgUow, caller: Principal) -> list[RoleAssignment]:
    with uow:
        return _visible(uow.roles.assignments_of(subject), caller)


# ---- identity ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    subject: str


def create_user(cmd: c.CreateUser, uow: OrgUow, caller: Principal, security) -> User:
    v = Validator()
    username = validate_credentials(v, cmd.username, cmd.password)
    display = v.text("display_name", cmd.display_name, max_len=64)
    email, mobile = validate_contact(v, cmd.email, cmd.mobile)
    v.check()
    with uow:
        if cmd.staff_id and uow.staff.get(cmd.staff_id) is None:
            raise NotFound(f"staff {cmd.staff_id} not found")
        full, initials = pinyin_keys(display)
        user = User(username, display, security.hash_password(cmd.password), cmd.staff_id or None,
                    email=email, mobile=mobile, pinyin=full, initials=initials)
        if not uow.identities.add_user(user):
            raise AlreadyExists(f"user {username} already exists")
        if email or mobile:
            uow.collect(ev.UserContactChanged(username, user.staff_id, email, mobile))
        uow.commit()
    return user


def update_user(cmd: c.UpdateUser, uow: OrgUow, caller: Principal) -> User:
    """A login user's display name, e-mail and mobile (replacing them; empty clears)."""
    v = Validator()
    display = v.text("display_name", cmd.display_name, max_len=64)
    email, mobile = validate_contact(v, cmd.email, cmd.mobile)
    v.check()
    with uow:
        user = uow.identities.user(cmd.username, lock=True)
        if user is None:
            raise NotFound(f"user {cmd.username} not found")
        changed = (user.email, user.mobile) != (email, mobile)
        full, initials = pinyin_keys(display)
        user = replace(user, display_name=display, email=email, mobile=mobile, pinyin=full, initials=initials)
        uow.identities.save_user(user)
        if changed:
            uow.collect(ev.UserContactChanged(user.username, user.staff_id, email, mobile))
        uow.commit()
    return user


LIST_USERS_QUERY_MAX = 64


def list_users(cmd: c.ListUsers, uow: OrgUow, caller: Principal) -> tuple[list[UserListing], int]:
    """One page of login users (cmd.start, cmd.size) and how many match in all. A caller without
    global scope sees only users with a staff record or a grant inside their scope, so a
    department's administrator cannot list another department's people."""
    v = Validator()
    q = v.text("q", cmd.q, required=False, max_len=LIST_USERS_QUERY_MAX)
    v.check()
    with uow:
        within: list[set[str]] = []
        if cmd.org_unit_id:
            unit = _named_unit(uow, cmd.org_unit_id, "org_unit_id")
            _in_scope(caller, unit.id)
            within.append(uow.org_units.subtree([unit.id]))
        if not caller.scope.is_global:
            within.append(set(caller.scope.units or ()))
        page, total = uow.identities.list_users(q, within=within, offset=cmd.start, limit=cmd.size)
        grants = uow.roles.assignments_of_many([user.username for user, _ in page]) if page else {}
    return [UserListing(user, unit_id, tuple(_visible(grants.get(user.username, ()), caller)))
            for user, unit_id in page], total


BOOTSTRAP_ROLE = "system_admin"


def bootstrap_admin(cmd: c.BootstrapAdmin, uow: OrgUow, security) -> bool:
    """Create the first administrator, all in one transaction: the root org unit if missing, the
    user, `system_admin` on the root's subtree. False (and nothing changed) when the user exists
    already; its password is never reset here."""
    v = Validator()
    username = validate_credentials(v, cmd.username, cmd.password)
    display = v.text("display_name", cmd.display_name, max_len=64)
    v.check()
    with uow:
        if uow.identities.user(username) is not None:
            return False
        if uow.roles.get(BOOTSTRAP_ROLE) is None:
            raise FailedPrecondition(f"role {BOOTSTRAP_ROLE} is missing: run `govops-migrate org` first")
        unit = uow.org_units.get(cmd.root_unit_id)
        if unit is None:
            unit = create_org_unit.within(CreateOrgUnit(cmd.root_unit_id, cmd.root_unit_name, None, "government"),
                                          uow, SYSTEM)
        elif not unit.active:
            raise FailedPrecondition(f"org unit {unit.id} is deactivated")
        full, initials = pinyin_keys(display)
        if not uow.identities.add_user(User(username, display, security.hash_password(cmd.password),
                                            pinyin=full, initials=initials)):
            return False  # a concurrent bootstrap won the race
        _grant(uow, username, BOOTSTRAP_ROLE, unit.id, True, SYSTEM.subject)
        uow.commit()
    return True


def _claims(uow: OrgUow, subject: str, name: str, staff_id: str | None) -> dict:
    assignments = uow.roles.assignments_of(subject)
    roles_by_code = {r.code: r for r in uow.roles.list()}
    perms: set[str] = set()
    scopes, units = [], set()
    roots = uow.org_units.roots()
    for a in assignments:
        role = roles_by_code.get(a.role)
        if role is None:
            continue
        perms |= role.permissions
        scopes.append({"unit": a.org_unit_id, "subtree": a.subtree})
        if a.subtree and a.org_unit_id in roots:
            units.add(ALL_UNITS)
        elif a.subtree:
            units |= uow.org_units.subtree([a.org_unit_id])
        else:
            units.add(a.org_unit_id)
    if ALL_UNITS in units:
        units = {ALL_UNITS}
    if len(units) > MAX_TOKEN_UNITS:
        raise FailedPrecondition(f"{subject}'s scope spans {len(units)} org units; grant it at a common "
                                 f"ancestor's root or narrow it (at most {MAX_TOKEN_UNITS})")
    return {"name": name, "staff_id": staff_id, "roles": sorted({a.role for a in assignments}),
            "perms": sorted(perms), "scopes": scopes, "units": sorted(units)}


def _issue(uow: OrgUow, security, subject: str, claims: dict, *, with_refresh: bool = True) -> Tokens:
    now = utcnow()
    access = security.mint(subject, claims, ACCESS_TTL)
    refresh = ""
    if with_refresh:
        refresh = secrets.token_urlsafe(32)
        uow.identities.add_refresh(_digest(refresh), subject, now + REFRESH_TTL)
    return Tokens(access, refresh, now + ACCESS_TTL, subject)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(cmd: c.Login, uow: OrgUow, security) -> Tokens:
    now = utcnow()
    with uow:
        user = uow.identities.user(cmd.username, lock=True)
        if user is None or not user.active:
            security.burn_time()  # same cost as a real check: no user enumeration by timing
            raise Unauthenticated("unknown user or wrong password")
        if user.locked_until and user.locked_until > now:
            raise Unauthenticated(f"account locked after repeated failures; try again after "
                                  f"{user.locked_until.isoformat(timespec='seconds')}")
        if not security.verify_password(user.password_hash, cmd.password):
            LOCKOUT.after_failure(user, now)
            uow.identities.save_user(user)
            uow.commit()
            raise Unauthenticated("unknown user or wrong password")
        LOCKOUT.after_success(user)
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(cmd.password)
        uow.identities.save_user(user)
        tokens = _issue(uow, security, user.username, _claims(uow, user.username, user.display_name, user.staff_id))
        uow.commit()
    return tokens


def refresh(refresh_token: str, uow: OrgUow, security) -> Tokens:
    now = utcnow()
    with uow:
        row = uow.identities.refresh(_digest(refresh_token))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise Unauthenticated("refresh token is unknown, expired or revoked")
        user = uow.identities.user(row.subject)
        if user is None or not user.active:
            raise Unauthenticated("account is disabled")
        uow.identities.revoke_refresh(_digest(refresh_token), now)  # rotation: each refresh token works once
        tokens = _issue(uow, security, user.username, _claims(uow, user.username, user.display_name, user.staff_id))
        uow.commit()
    return tokens


def logout(refresh_token: str, uow: OrgUow, caller: Principal, *, everywhere: bool = False) -> int:
    now = utcnow()
    with uow:
        if everywhere:
            n = uow.identities.revoke_all_refresh(caller.subject, now)
        else:
            row = uow.identities.refresh(_digest(refresh_token))
            if row is None or row.subject != caller.subject:
                raise NotFound("no such refresh token of yours")
            uow.identities.revoke_refresh(_digest(refresh_token), now)
            n = 1
        uow.commit()
    return n


def create_service_account(cmd: c.CreateServiceAccount, uow: OrgUow, caller: Principal, security) -> str:
    v = Validator()
    client_id = code(v, "client_id", cmd.client_id)
    name = v.text("name", cmd.name, max_len=64)
    v.check()
    secret = secrets.token_urlsafe(32)
    with uow:
        if not uow.identities.add_service_account(client_id, name, security.hash_password(secret), caller.subject):
            raise AlreadyExists(f"service account {client_id} already exists")
        uow.commit()
    return secret


def issue_service_token(cmd: c.IssueServiceToken, uow: OrgUow, security) -> Tokens:
    with uow:
        account = uow.identities.service_account(cmd.client_id)
        if account is None or not account.active:
            security.burn_time()
            raise Unauthenticated("unknown client or wrong secret")
        if not security.verify_password(account.secret_hash, cmd.client_secret):
            raise Unauthenticated("unknown client or wrong secret")
        subject = f"sa:{account.client_id}"
        tokens = _issue(uow, security, subject, _claims(uow, subject, account.name, None), with_refresh=False)
        uow.commit()
    return tokens


def check_permission(subject: str, permission: str, unit_id: str, index) -> bool:
    """Is `subject` allowed `permission` on `unit_id`? Answered from the in-memory access index."""
    return index.allowed(subject, permission, unit_id)


# ---- snapshot for consumers' org directories ---------------------------------------------------
def snapshot(uow: OrgUow) -> dict:
    with uow:
        units = uow.org_units.list(include_inactive=True)
        positions = uow.positions.list()
        staff = uow.staff.list()
        user_contacts = uow.identities.user_contacts()
        assignments = uow.staff.all_assignments()
        groups = uow.groups.list()
        members = uow.groups.all_members()
        shifts = uow.groups.all_shifts()
    by_group: dict[str, list] = {}
    for gid, sid, a, b in shifts:
        by_group.setdefault(gid, []).append({"staff_id": sid, "starts_at": jsonable(a), "ends_at": jsonable(b)})
    far_past, far_future = "1970-01-01T00:00:00+00:00", "9999-01-01T00:00:00+00:00"
    group_units = {g.id: g.org_unit_id for g in groups}
    return jsonable({
        "org_units": [{"org_unit_id": u.id, "name": u.name, "parent_id": u.parent_id, "kind": u.kind.value,
                       "active": u.active} for u in units],
        "positions": [{"position_id": p.id, "org_unit_id": p.org_unit_id, "code": p.id, "name": p.name,
                       "parent_position_id": p.parent_position_id,
                       "responsibilities": [vars(r) for r in p.responsibilities], "active": p.active}
                      for p in positions],
        "staff": [{"staff_id": s.id, "name": s.name, "org_unit_id": s.org_unit_id, "vendor_id": s.vendor_id,
                   "active": s.active, "email": s.email, "phone": s.phone} for s in staff],
        "user_contacts": user_contacts,
        "staff_positions": [{"staff_id": a.staff_id, "position_id": a.position_id, "start_date": a.start_date,
                             "end_date": a.end_date} for a in assignments],
        "groups": [{"group_id": g.id, "code": g.id, "name": g.name, "org_unit_id": g.org_unit_id,
                    "lead_position_id": g.lead_position_id} for g in groups],
        "group_members": [{"group_id": gid, "staff_id": sid} for gid, sid in members],
        "rosters": [{"group_id": gid, "org_unit_id": group_units.get(gid), "period_start": far_past,
                     "period_end": far_future, "shifts": s} for gid, s in by_group.items()],
    })



