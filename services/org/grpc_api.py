"""org-grpc: govops.org.v1.OrgService and IdentityService. Thin: request → command → handler."""

from __future__ import annotations

import json

from google.protobuf.timestamp_pb2 import Timestamp

from govkit.auth import TokenSigner, TokenVerifier
from govkit.db import make_engine
from govkit.errors import InvalidArgument
from govkit.events import utcnow
from govkit.grpc_server import PUBLIC, GrpcApp, permissions_for, principal
from govkit.protoconv import (
    choice,
    encode_page_token,
    offset_page,
    offset_window,
    page_response,
    parse_date,
    timestamp,
)
from govops.org.v1 import org_pb2 as pb
from govops.org.v1 import org_pb2_grpc as pb_grpc

from . import bulk, handlers
from .adapters.access import AccessIndex
from .adapters.security import Security
from .adapters.uow import OrgUnitOfWork
from .domain import commands as c
from .domain.model import (
    CreateOrgUnit,
    OrgUnit,
    OrgUnitKind,
    Position,
    Responsibility,
    Role,
    RoleAssignment,
    Shift,
    Staff,
    StaffPosition,
    SupportGroup,
    UserListing,
    UserState,
    roster_version,
    user_state,
)
from .domain.permissions import PERMISSIONS as PERMISSION_CATALOGUE

ORG_PERMISSIONS = {
    "CreateOrgUnit": "org.admin", "RenameOrgUnit": "org.admin", "MoveOrgUnit": "org.admin",
    "DeactivateOrgUnit": "org.admin", "ListOrgUnits": "org.read", "GetOrgUnitHistory": "org.read",
    "CreatePosition": "org.admin", "UpdatePosition": "org.admin", "ListPositions": "org.read",
    "SaveStaff": "org.admin", "GetStaff": "org.read", "SearchStaff": "org.read",
    "AssignStaff": "org.admin", "UnassignStaff": "org.admin",
    "CreateSupportGroup": "org.admin", "AddGroupMember": "org.admin", "RemoveGroupMember": "org.admin",
    "ListSupportGroups": "org.read", "PublishRoster": "org.admin", "GetOnDuty": "org.read",
    "ListShifts": "org.read",
    "ListRoles": "org.read", "SaveRole": "org.grant", "GrantRole": "org.grant", "RevokeRole": "org.grant",
    "ListRoleAssignments": "org.read", "CheckPermission": "org.read",
    "ImportOrg": "org.admin", "ExportOrg": "org.read",
}
IDENTITY_PERMISSIONS = {
    "Login": PUBLIC, "Refresh": PUBLIC, "IssueServiceToken": PUBLIC, "GetPublicKeys": PUBLIC,
    "Logout": "org.read", "WhoAmI": "org.read",
    "CreateUser": "org.identity", "UpdateUser": "org.identity", "ListUsers": "org.identity",
    "CreateServiceAccount": "org.identity",
}
# Per gRPC service, since this module serves two.
PERMISSIONS = {"OrgService": ORG_PERMISSIONS, "IdentityService": IDENTITY_PERMISSIONS}

_KIND = {pb.ORG_UNIT_KIND_GOVERNMENT: OrgUnitKind.GOVERNMENT, pb.ORG_UNIT_KIND_DEPARTMENT: OrgUnitKind.DEPARTMENT,
         pb.ORG_UNIT_KIND_DIVISION: OrgUnitKind.DIVISION, pb.ORG_UNIT_KIND_OM_CENTRE: OrgUnitKind.OM_CENTRE,
         pb.ORG_UNIT_KIND_VENDOR: OrgUnitKind.VENDOR}
_KIND_PB = {v: k for k, v in _KIND.items()}
_UNIT_ACTION_PB = {a: getattr(pb, f"ORG_UNIT_ACTION_{a.upper()}")
                   for a in ("created", "renamed", "moved", "deactivated")}
_DATA_KIND = {pb.DATA_KIND_ORG_UNITS: "org_units", pb.DATA_KIND_POSITIONS: "positions",
              pb.DATA_KIND_STAFF: "staff", pb.DATA_KIND_ROSTERS: "rosters"}
_FORMAT = {pb.DATA_FORMAT_CSV: "csv", pb.DATA_FORMAT_XLSX: "xlsx"}
_USER_STATE_PB = {UserState.ACTIVE: pb.USER_STATE_ACTIVE, UserState.LOCKED: pb.USER_STATE_LOCKED,
                  UserState.DISABLED: pb.USER_STATE_DISABLED}


def _dt(ts: Timestamp, field: str, *, required: bool = True):
    if not ts.seconds and not ts.nanos:
        if required:
            raise InvalidArgument(field=field, reason="is required")
        return None
    return ts.ToDatetime(tzinfo=utcnow().tzinfo)


def unit_pb(u: OrgUnit) -> pb.OrgUnit:
    return pb.OrgUnit(id=u.id, name=u.name, parent_id=u.parent_id or "", kind=_KIND_PB[u.kind], active=u.active)


def position_pb(p: Position) -> pb.Position:
    return pb.Position(id=p.id, org_unit_id=p.org_unit_id, name=p.name, parent_position_id=p.parent_position_id or "",
                       responsibilities=[pb.Responsibility(kind=r.kind, value=r.value) for r in p.responsibilities],
                       active=p.active)


def staff_pb(s: Staff) -> pb.Staff:
    return pb.Staff(id=s.id, name=s.name, org_unit_id=s.org_unit_id, vendor_id=s.vendor_id or "", phone=s.phone,
                    email=s.email, active=s.active, pinyin=s.pinyin, initials=s.initials)


def assignment_pb(a: StaffPosition) -> pb.StaffPosition:
    return pb.StaffPosition(staff_id=a.staff_id, position_id=a.position_id, start_date=a.start_date.isoformat(),
                            end_date=a.end_date.isoformat() if a.end_date else "")


def shift_pb(s: Shift) -> pb.Shift:
    return pb.Shift(staff_id=s.staff_id, starts_at=timestamp(s.starts_at), ends_at=timestamp(s.ends_at))


def role_pb(r: Role) -> pb.Role:
    return pb.Role(code=r.code, name=r.name, description=r.description, permissions=sorted(r.permissions),
                   builtin=r.builtin)


def role_assignment_pb(a: RoleAssignment) -> pb.RoleAssignment:
    return pb.RoleAssignment(id=a.id, subject=a.subject, role=a.role, org_unit_id=a.org_unit_id,
                             subtree=a.subtree, granted_by=a.granted_by, granted_at=timestamp(a.granted_at))


def user_summary_pb(row: UserListing, now) -> pb.UserSummary:
    u = row.user
    state = user_state(u, now)
    return pb.UserSummary(username=u.username, display_name=u.display_name, staff_id=u.staff_id or "",
                          staff_org_unit_id=row.staff_org_unit_id or "", state=_USER_STATE_PB[state],
                          locked_until=timestamp(u.locked_until) if state is UserState.LOCKED else None,
                          email=u.email, mobile=u.mobile, grants=[role_assignment_pb(a) for a in row.grants])


def tokens_pb(t: handlers.Tokens) -> pb.Tokens:
    return pb.Tokens(access_token=t.access_token, refresh_token=t.refresh_token, expires_at=timestamp(t.expires_at),
                     subject=t.subject)


class OrgServicer(pb_grpc.OrgServiceServicer):
    def __init__(self, engine, access: AccessIndex):
        self.engine, self.access = engine, access

    def _uow(self):
        return OrgUnitOfWork(self.engine)

    def _group_pb(self, g: SupportGroup, members=None) -> pb.SupportGroup:
        if members is None:
            with self._uow() as uow:
                members = uow.groups.members(g.id)
        return pb.SupportGroup(id=g.id, name=g.name, org_unit_id=g.org_unit_id,
                               lead_position_id=g.lead_position_id or "", member_staff_ids=members)

    # -- org units
    def CreateOrgUnit(self, request, context):
        kind = _KIND.get(request.kind)
        cmd = CreateOrgUnit(request.id, request.name, request.parent_id or None,
                            kind.value if kind else (str(request.kind) if request.kind else ""))
        return pb.CreateOrgUnitResponse(org_unit=unit_pb(handlers.create_org_unit(cmd, self._uow(), principal())))

    def RenameOrgUnit(self, request, context):
        unit = handlers.rename_org_unit(c.RenameOrgUnit(request.id, request.name), self._uow(), principal())
        return pb.RenameOrgUnitResponse(org_unit=unit_pb(unit))

    def MoveOrgUnit(self, request, context):
        unit = handlers.move_org_unit(c.MoveOrgUnit(request.id, request.new_parent_id), self._uow(), principal())
        return pb.MoveOrgUnitResponse(org_unit=unit_pb(unit))

    def DeactivateOrgUnit(self, request, context):
        unit = handlers.deactivate_org_unit(c.DeactivateOrgUnit(request.id), self._uow(), principal())
        return pb.DeactivateOrgUnitResponse(org_unit=unit_pb(unit))

    def ListOrgUnits(self, request, context):
        units, paging = offset_page(handlers.list_org_units(self._uow(), principal(), root=request.root or None,
                                                            include_inactive=request.include_inactive), request.page)
        return pb.ListOrgUnitsResponse(org_units=[unit_pb(u) for u in units], page=paging)

    def GetOrgUnitHistory(self, request, context):
        offset_window(request.page)  # a bad page is refused before the id is looked up
        changes, paging = offset_page(handlers.org_unit_history(request.id, self._uow(), principal()), request.page)
        return pb.GetOrgUnitHistoryResponse(page=paging, changes=[pb.OrgUnitChange(
            action=_UNIT_ACTION_PB.get(h["action"], pb.ORG_UNIT_ACTION_UNSPECIFIED),
            before_json=json.dumps(h["before"], ensure_ascii=False) if h["before"] else "",
            after_json=json.dumps(h["after"], ensure_ascii=False) if h["after"] else "", actor=h["actor"],
            at=timestamp(h["at"])) for h in changes])

    # -- positions
    def _save_position(self, p: pb.Position, create: bool) -> Position:
        cmd = c.SavePosition(p.id, p.org_unit_id, p.name, p.parent_position_id or None,
                             tuple(Responsibility(r.kind, r.value) for r in p.responsibilities), create=create)
        return handlers.save_position(cmd, self._uow(), principal())

    def CreatePosition(self, request, context):
        return pb.CreatePositionResponse(position=position_pb(self._save_position(request.position, True)))

    def UpdatePosition(self, request, context):
        return pb.UpdatePositionResponse(position=position_pb(self._save_position(request.position, False)))

    def ListPositions(self, request, context):
        items, paging = offset_page(handlers.list_positions(self._uow(), principal(),
                                                            org_unit_id=request.org_unit_id or None), request.page)
        return pb.ListPositionsResponse(positions=[position_pb(p) for p in items], page=paging)

    # -- staff
    def SaveStaff(self, request, context):
        s = request.staff
        cmd = c.SaveStaff(s.id, s.name, s.org_unit_id, s.vendor_id or None, s.phone, s.email)
        return pb.SaveStaffResponse(staff=staff_pb(handlers.save_staff(cmd, self._uow(), principal())))

    def GetStaff(self, request, context):
        person, held = handlers.get_staff(request.id, self._uow(), principal())
        return pb.GetStaffResponse(staff=staff_pb(person), positions=[assignment_pb(a) for a in held])

    def SearchStaff(self, request, context):
        found = handlers.search_staff(request.query, self._uow(), principal(), limit=request.limit,
                                      org_unit_id=request.org_unit_id)
        return pb.SearchStaffResponse(staff=[staff_pb(s) for s in found])

    def AssignStaff(self, request, context):
        a = request.assignment
        cmd = c.AssignStaff(a.staff_id, a.position_id, parse_date(a.start_date, "assignment.start_date"),
                            parse_date(a.end_date, "assignment.end_date", required=False))
        return pb.AssignStaffResponse(assignment=assignment_pb(handlers.assign_staff(cmd, self._uow(), principal())))

    def UnassignStaff(self, request, context):
        cmd = c.UnassignStaff(request.staff_id, request.position_id, parse_date(request.end_date, "end_date"))
        sp = handlers.unassign_staff(cmd, self._uow(), principal())
        return pb.UnassignStaffResponse(assignment=assignment_pb(sp))

    # -- groups and rosters
    def CreateSupportGroup(self, request, context):
        g = request.group
        group = handlers.create_support_group(
            c.CreateSupportGroup(g.id, g.name, g.org_unit_id, g.lead_position_id or None), self._uow(), principal())
        return pb.CreateSupportGroupResponse(group=self._group_pb(group, []))

    def _member(self, request, add: bool):
        members = handlers.change_group_member(c.ChangeGroupMember(request.group_id, request.staff_id, add),
                                               self._uow(), principal())
        with self._uow() as uow:
            group = uow.groups.get(request.group_id)
        return self._group_pb(group, members)

    def AddGroupMember(self, request, context):
        return pb.AddGroupMemberResponse(group=self._member(request, True))

    def RemoveGroupMember(self, request, context):
        return pb.RemoveGroupMemberResponse(group=self._member(request, False))

    def ListSupportGroups(self, request, context):
        with self._uow() as uow:
            groups, paging = offset_page(uow.groups.list(), request.page)
            members: dict[str, list[str]] = {}
            for gid, sid in uow.groups.all_members():
                members.setdefault(gid, []).append(sid)
        return pb.ListSupportGroupsResponse(groups=[self._group_pb(g, sorted(members.get(g.id, []))) for g in groups],
                                            page=paging)

    def PublishRoster(self, request, context):
        shifts = tuple(Shift(s.staff_id, _dt(s.starts_at, f"shifts[{i}].starts_at"),
                                    _dt(s.ends_at, f"shifts[{i}].ends_at")) for i, s in enumerate(request.shifts))
        cmd = c.PublishRoster(request.group_id, _dt(request.period_start, "period_start"),
                              _dt(request.period_end, "period_end"), shifts, request.expected_version)
        published = handlers.publish_roster(cmd, self._uow(), principal())
        return pb.PublishRosterResponse(shifts=[shift_pb(s) for s in published], version=roster_version(published))

    def GetOnDuty(self, request, context):
        at = _dt(request.at, "at", required=False) or utcnow()
        shifts = handlers.on_duty(request.group_id, at, self._uow(), principal())
        with self._uow() as uow:
            people = [uow.staff.get(s.staff_id) for s in shifts]
        return pb.GetOnDutyResponse(shifts=[shift_pb(s) for s in shifts],
                                    staff=[staff_pb(p) for p in people if p is not None])

    def ListShifts(self, request, context):
        shifts, last = handlers.list_shifts(request.group_id, _dt(request.period_start, "period_start"),
                                            _dt(request.period_end, "period_end"), self._uow(), principal())
        return pb.ListShiftsResponse(
            shifts=[shift_pb(s) for s in shifts], version=roster_version(shifts),
            last_published_by=last.publisher if last else "",
            last_published_by_name=last.publisher_name if last else "",
            last_published_at=timestamp(last.published_at) if last else None)

    # -- roles
    def ListRoles(self, request, context):
        roles = handlers.list_roles(self._uow(), principal())
        return pb.ListRolesResponse(roles=[role_pb(r) for r in roles], permissions=PERMISSION_CATALOGUE)

    def SaveRole(self, request, context):
        r = request.role
        role = handlers.save_role(c.SaveRole(r.code, r.name, r.description, tuple(r.permissions)),
                                  self._uow(), principal())
        return pb.SaveRoleResponse(role=role_pb(role))

    def GrantRole(self, request, context):
        a = handlers.grant_role(c.GrantRole(request.subject, request.role, request.org_unit_id, request.subtree),
                                self._uow(), principal())
        return pb.GrantRoleResponse(assignment=role_assignment_pb(a))

    def RevokeRole(self, request, context):
        a = handlers.revoke_role(c.RevokeRole(request.subject, request.role, request.org_unit_id),
                                 self._uow(), principal())
        return pb.RevokeRoleResponse(assignment=role_assignment_pb(a))

    def ListRoleAssignments(self, request, context):
        items, paging = offset_page(handlers.role_assignments(request.subject or principal().subject, self._uow(),
                                                              principal()), request.page)
        return pb.ListRoleAssignmentsResponse(assignments=[role_assignment_pb(a) for a in items], page=paging)

    def CheckPermission(self, request, context):
        allowed = handlers.check_permission(request.subject, request.permission, request.org_unit_id, self.access)
        return pb.CheckPermissionResponse(allowed=allowed)

    # -- bulk
    def ImportOrg(self, request, context):
        kind = choice(_DATA_KIND, request.kind, "kind")
        fmt = choice(_FORMAT, request.format, "format")
        return pb.ImportOrgResponse(rows=bulk.import_org(kind, fmt, request.content, self._uow(), principal()))

    def ExportOrg(self, request, context):
        kind = choice(_DATA_KIND, request.kind, "kind")
        fmt = choice(_FORMAT, request.format, "format")
        content = bulk.export_org(kind, fmt, self._uow(), principal())
        return pb.ExportOrgResponse(content=content, filename=f"{kind}.{fmt}")


class IdentityServicer(pb_grpc.IdentityServiceServicer):
    def __init__(self, engine, security: Security):
        self.engine, self.security = engine, security

    def _uow(self):
        return OrgUnitOfWork(self.engine)

    def Login(self, request, context):
        tokens = handlers.login(c.Login(request.username, request.password), self._uow(), self.security)
        return pb.LoginResponse(tokens=tokens_pb(tokens))

    def Refresh(self, request, context):
        return pb.RefreshResponse(tokens=tokens_pb(handlers.refresh(request.refresh_token, self._uow(), self.security)))

    def Logout(self, request, context):
        n = handlers.logout(request.refresh_token, self._uow(), principal(), everywhere=request.everywhere)
        return pb.LogoutResponse(revoked=n)

    def CreateUser(self, request, context):
        user = handlers.create_user(c.CreateUser(request.username, request.password, request.display_name,
                                                 request.staff_id or None, request.email, request.mobile),
                                    self._uow(), principal(), self.security)
        return pb.CreateUserResponse(username=user.username, display_name=user.display_name,
                                     staff_id=user.staff_id or "", email=user.email, mobile=user.mobile)

    def UpdateUser(self, request, context):
        user = handlers.update_user(c.UpdateUser(request.username, request.display_name, request.email,
                                                 request.mobile), self._uow(), principal())
        return pb.UpdateUserResponse(username=user.username, display_name=user.display_name,
                                     staff_id=user.staff_id or "", email=user.email, mobile=user.mobile)

    def ListUsers(self, request, context):
        start, size = offset_window(request.page, default_size=50, max_size=200)
        rows, total = handlers.list_users(c.ListUsers(request.q, request.org_unit_id, start, size), self._uow(),
                                          principal())
        end = start + size
        now = utcnow()
        return pb.ListUsersResponse(users=[user_summary_pb(r, now) for r in rows],
                                    page=page_response(encode_page_token(end) if end < total else "",
                                                       total_size=total))

    def CreateServiceAccount(self, request, context):
        secret = handlers.create_service_account(c.CreateServiceAccount(request.client_id, request.name),
                                                 self._uow(), principal(), self.security)
        return pb.CreateServiceAccountResponse(client_id=request.client_id, client_secret=secret)

    def IssueServiceToken(self, request, context):
        tokens = handlers.issue_service_token(c.IssueServiceToken(request.client_id, request.client_secret),
                                              self._uow(), self.security)
        return pb.IssueServiceTokenResponse(tokens=tokens_pb(tokens))

    def GetPublicKeys(self, request, context):
        return pb.GetPublicKeysResponse(keys=[pb.PublicKey(kid=k, pem=p) for k, p in self.security.public_keys()])

    def WhoAmI(self, request, context):
        p = principal()
        units = ["*"] if p.scope.is_global else sorted(p.scope.units)
        return pb.WhoAmIResponse(subject=p.subject, name=p.name, staff_id=p.staff_id or "", roles=list(p.roles),
                                 permissions=sorted(p.permissions), org_unit_ids=units)


def signer(settings) -> TokenSigner:
    """org-grpc alone holds the signing key (GOVOPS_JWT_PRIVATE_KEY_FILE); a ConfigError names the
    variable when it is missing."""
    return TokenSigner.from_file(settings.signing_key_file(), issuer=settings.token_issuer,
                                 audience=settings.token_audience)


def verifier(settings) -> TokenVerifier:
    """org verifies with its own keys: every key of its signing file, old ones included."""
    return TokenVerifier(signer(settings).public_pem(), issuer=settings.token_issuer,
                         audience=settings.token_audience)


def build(settings) -> GrpcApp:
    security = Security(signer(settings))  # first: without its key org cannot start at all
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    access = AccessIndex(engine)
    access.start_listening()
    org = pb.DESCRIPTOR.services_by_name["OrgService"]
    identity = pb.DESCRIPTOR.services_by_name["IdentityService"]
    return GrpcApp(
        service="org",
        registrations=[(pb_grpc.add_OrgServiceServicer_to_server, OrgServicer(engine, access)),
                       (pb_grpc.add_IdentityServiceServicer_to_server,
                        IdentityServicer(engine, security))],
        service_names=[org.full_name, identity.full_name],
        permissions={**permissions_for(org, ORG_PERMISSIONS), **permissions_for(identity, IDENTITY_PERMISSIONS)},
        on_stop=[access.stop, engine.dispose],
    )
