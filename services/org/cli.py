"""`govops org …`: org units, positions, staff, groups, rosters, roles, users, import/export."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path

import grpc
import typer
from google.protobuf.timestamp_pb2 import Timestamp
from rich.tree import Tree

from govkit.cli_support import (
    Listing,
    console,
    emit,
    emit_record,
    enum_number,
    enum_word,
    enum_words,
    fail,
    file_format,
    grpc_channel,
    json_output,
)
from govkit.client import all_pages
from govops.org.v1 import org_pb2 as pb
from govops.org.v1 import org_pb2_grpc as pb_grpc

app = typer.Typer(help="Organisation: units, positions, staff, groups, rosters, roles, users", no_args_is_help=True)
unit_app = typer.Typer(help="Org units", no_args_is_help=True)
position_app = typer.Typer(help="Positions (岗位) and responsibilities (岗责)", no_args_is_help=True)
staff_app = typer.Typer(help="Staff", no_args_is_help=True)
group_app = typer.Typer(help="Support groups and duty rosters (值班)", no_args_is_help=True)
role_app = typer.Typer(help="Roles and permissions", no_args_is_help=True)
user_app = typer.Typer(help="Users and service accounts", no_args_is_help=True)
for _name, _sub in (("unit", unit_app), ("position", position_app), ("staff", staff_app), ("group", group_app),
                    ("role", role_app), ("user", user_app)):
    app.add_typer(_sub, name=_name)

UnitKind = Enum("UnitKind", enum_words(pb.OrgUnitKind), type=str)  # type: ignore[misc]
DATA = {"units": pb.DATA_KIND_ORG_UNITS, "positions": pb.DATA_KIND_POSITIONS, "staff": pb.DATA_KIND_STAFF,
        "rosters": pb.DATA_KIND_ROSTERS}
DataKind = Enum("DataKind", {k: k for k in DATA}, type=str)  # type: ignore[misc]
FILE_FORMATS = {".csv": pb.DATA_FORMAT_CSV, ".xlsx": pb.DATA_FORMAT_XLSX}
UNIT = typer.Argument(..., help="org unit id, e.g. fgw")


def _call(method: str, request, stub=pb_grpc.OrgServiceStub):
    with grpc_channel("org") as ch:
        try:
            return getattr(stub(ch), method)(request, timeout=30)
        except grpc.RpcError as err:
            fail(err)


def _all(method: str, request, field: str, stub=pb_grpc.OrgServiceStub):
    """Every item of a paged list method, page after page."""
    with grpc_channel("org") as ch:
        try:
            return all_pages(getattr(stub(ch), method), request, field, timeout=30)
        except grpc.RpcError as err:
            fail(err)


def _ts(text: str) -> Timestamp:
    ts = Timestamp()
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        from org.bulk import LOCAL_TZ

        value = value.replace(tzinfo=LOCAL_TZ)
    ts.FromDatetime(value)
    return ts


# ---- units
@unit_app.command("create")
def unit_create(id: str = typer.Argument(..., help="new unit id (short, e.g. fgw)"),
                name: str = typer.Argument(..., help="unit name, e.g. 发展和改革委员会"),
                parent: str = typer.Option("", help="parent unit id"),
                kind: UnitKind = typer.Option("department", help="kind of unit")):
    """Create an org unit."""
    u = _call("CreateOrgUnit", pb.CreateOrgUnitRequest(
        id=id, name=name, parent_id=parent, kind=pb.OrgUnitKind.ValueType(enum_number(pb.OrgUnitKind, kind))))
    emit_record(u.org_unit, f"created {u.org_unit.id} 「{u.org_unit.name}」")


@unit_app.command("rename")
def unit_rename(id: str = UNIT, name: str = typer.Argument(..., help="the new name")):
    """Rename an org unit (its id stays)."""
    r = _call("RenameOrgUnit", pb.RenameOrgUnitRequest(id=id, name=name))
    emit_record(r, f"renamed {id} to 「{name}」")


@unit_app.command("move")
def unit_move(id: str = UNIT, new_parent: str = typer.Argument(..., help="the new parent unit id")):
    """Move an org unit (with its subtree) under another parent."""
    r = _call("MoveOrgUnit", pb.MoveOrgUnitRequest(id=id, new_parent_id=new_parent))
    emit_record(r, f"moved {id} under {new_parent}")


@unit_app.command("deactivate")
def unit_deactivate(id: str = UNIT):
    """Deactivate an org unit (kept in history; no new work for it)."""
    r = _call("DeactivateOrgUnit", pb.DeactivateOrgUnitRequest(id=id))
    emit_record(r, f"deactivated {id}")


@unit_app.command("tree")
def unit_tree(root: str = typer.Option("", help="only this subtree"),
              all: bool = typer.Option(False, "--all", help="inactive units too")):
    """Show the org unit tree (JSON: one line per unit)."""
    units = _all("ListOrgUnits", pb.ListOrgUnitsRequest(root=root, include_inactive=all), "org_units")
    if json_output():
        for u in units:
            emit_record(u)
        return
    children: dict[str, list] = {}
    ids = {u.id for u in units}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in ids else "", []).append(u)
    tree = Tree("组织机构")

    def add(node, parent_id):
        for u in sorted(children.get(parent_id, []), key=lambda x: x.id):
            label = f"{u.name} [dim]({u.id}, {pb.OrgUnitKind.Name(u.kind)[14:].lower()})[/dim]"
            add(node.add(label if u.active else f"[strike]{label}[/strike]"), u.id)

    add(tree, "")
    console.print(tree)


@unit_app.command("history")
def unit_history(id: str = UNIT):
    """The changes to an org unit: when, what, who."""
    table = Listing(f"{id} history", "at", "action", "actor", "after")
    for h in _all("GetOrgUnitHistory", pb.GetOrgUnitHistoryRequest(id=id), "changes"):
        table.add_row(h.at, pb.OrgUnitAction.Name(h.action).removeprefix("ORG_UNIT_ACTION_").lower(),
                      h.actor, h.after_json)
    emit(table)


# ---- positions
@position_app.command("create")
def position_create(id: str = typer.Argument(..., help="new position id"),
                    name: str = typer.Argument(..., help="position name, e.g. 网络运维岗"),
                    org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id"),
                    parent: str = typer.Option("", help="the position it reports to"),
                    duty: list[str] = typer.Option([], help="responsibility kind:value, e.g. approval:change")):
    """Create a position; --duty may repeat (catalogue_category:…, process:…, approval:…)."""
    duties = [pb.Responsibility(kind=d.split(":", 1)[0], value=d.split(":", 1)[-1]) for d in duty]
    p = _call("CreatePosition", pb.CreatePositionRequest(position=pb.Position(
        id=id, name=name, org_unit_id=org_unit_id, parent_position_id=parent, responsibilities=duties))).position
    emit_record(p, f"created position {p.id} 「{p.name}」 in {p.org_unit_id}")


@position_app.command("list")
def position_list(org_unit_id: str = typer.Option("", "--org-unit", help="only this org unit")):
    """Positions with their responsibilities."""
    table = Listing("Positions", "id", "name")
    table.add_column("unit", "org_unit_id")
    table.add_column("reports to", "parent_position_id")
    table.add_column("responsibilities")
    for p in _all("ListPositions", pb.ListPositionsRequest(org_unit_id=org_unit_id), "positions"):
        table.add_row(p.id, p.name, p.org_unit_id, p.parent_position_id,
                      [f"{r.kind}:{r.value}" for r in p.responsibilities])
    emit(table)


# ---- staff
@staff_app.command("save")
def staff_save(id: str = typer.Argument(..., help="staff id"), name: str = typer.Argument(..., help="name, e.g. 张三"),
               org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id"),
               phone: str = typer.Option("", help="phone number"), email: str = typer.Option("", help="e-mail"),
               vendor: str = typer.Option("", help="vendor id, for a vendor's engineer")):
    """Create or update a staff member (pinyin and initials are derived from the name)."""
    s = _call("SaveStaff", pb.SaveStaffRequest(staff=pb.Staff(id=id, name=name, org_unit_id=org_unit_id, phone=phone,
                                                              email=email, vendor_id=vendor))).staff
    emit_record(s, f"saved {s.id} 「{s.name}」 ({s.pinyin}, {s.initials})")


@staff_app.command("search")
def staff_search(query: str = typer.Argument(..., help="Chinese name, pinyin or initials"),
                 limit: int = typer.Option(20, help="rows to show")):
    """Find staff by Chinese name, pinyin or initials (zs → 张三)."""
    table = Listing(f"staff matching {query!r}", "id", "name", "pinyin")
    table.add_column("unit", "org_unit_id")
    table.add_column("vendor", "vendor_id")
    for s in _call("SearchStaff", pb.SearchStaffRequest(query=query, limit=limit)).staff:
        table.add_row(s.id, s.name, s.pinyin, s.org_unit_id, s.vendor_id)
    emit(table)


@staff_app.command("assign")
def staff_assign(staff: str = typer.Argument(..., help="staff id"),
                 position: str = typer.Argument(..., help="position id"),
                 start: str = typer.Option(..., help="first day, YYYY-MM-DD"),
                 end: str = typer.Option("", help="last day, YYYY-MM-DD; empty: open-ended")):
    """Appoint a staff member to a position for a period."""
    r = _call("AssignStaff", pb.AssignStaffRequest(assignment=pb.StaffPosition(
        staff_id=staff, position_id=position, start_date=start, end_date=end)))
    emit_record(r, f"{staff} holds {position} from {start}")


# ---- groups and rosters
@group_app.command("create")
def group_create(id: str = typer.Argument(..., help="new group id"), name: str = typer.Argument(..., help="group name"),
                 org_unit_id: str = typer.Option(..., "--org-unit", help="org unit id"),
                 lead: str = typer.Option("", help="the lead position id")):
    """Create a support group."""
    r = _call("CreateSupportGroup", pb.CreateSupportGroupRequest(group=pb.SupportGroup(
        id=id, name=name, org_unit_id=org_unit_id, lead_position_id=lead)))
    emit_record(r, f"created group {id} 「{name}」")


@group_app.command("add")
def group_add(group: str = typer.Argument(..., help="group id"), staff: str = typer.Argument(..., help="staff id")):
    """Add a staff member to a support group."""
    g = _call("AddGroupMember", pb.AddGroupMemberRequest(group_id=group, staff_id=staff)).group
    emit_record(g, f"{group}: {', '.join(g.member_staff_ids)}")


@group_app.command("list")
def group_list():
    """Support groups with their members."""
    table = Listing("Support groups", "id", "name")
    table.add_column("unit", "org_unit_id")
    table.add_column("lead position", "lead_position_id")
    table.add_column("members", "member_staff_ids")
    for g in _all("ListSupportGroups", pb.ListSupportGroupsRequest(), "groups"):
        table.add_row(g.id, g.name, g.org_unit_id, g.lead_position_id, list(g.member_staff_ids))
    emit(table)


@group_app.command("on-duty")
def group_on_duty(group: str = typer.Argument(..., help="group id"),
                  at: str = typer.Option("", help="ISO time (local if no zone); default now")):
    """Who is on duty in a group now, or at a given time."""
    request = pb.GetOnDutyRequest(group_id=group)
    if at:
        request.at.CopyFrom(_ts(at))
    reply = _call("GetOnDuty", request)
    names = {s.id: s.name for s in reply.staff}
    if not reply.shifts:
        console.print(f"nobody is on duty in {group}")
    table = Listing(f"on duty in {group}", "name")
    table.add_column("staff", "staff_id")
    table.add_column("from", "starts_at")
    table.add_column("until", "ends_at")
    for s in reply.shifts:
        table.add_row(names.get(s.staff_id, s.staff_id), s.staff_id, s.starts_at, s.ends_at)
    if reply.shifts:
        emit(table)


# ---- roles
@role_app.command("list")
def role_list():
    """Roles and their permissions."""
    reply = _call("ListRoles", pb.ListRolesRequest())
    table = Listing("Roles", "code", "name", "permissions")
    for r in reply.roles:
        table.add_row(r.code, r.name, list(r.permissions))
    emit(table)


@role_app.command("grant")
def role_grant(subject: str = typer.Argument(..., help="user or service account"),
               role: str = typer.Argument(..., help="role code"),
               org_unit_id: str = typer.Option(..., "--org-unit", help="where the role applies"),
               subtree: bool = typer.Option(True, "--subtree/--unit-only",
                                             help="the unit's subtree too, or the unit only")):
    """Grant a role to a subject at an org unit."""
    a = _call("GrantRole", pb.GrantRoleRequest(subject=subject, role=role, org_unit_id=org_unit_id, subtree=subtree))
    emit_record(a.assignment,
                f"granted {a.assignment.role} to {subject} at {org_unit_id}{' and below' if subtree else ''}")


@role_app.command("revoke")
def role_revoke(subject: str = typer.Argument(..., help="user or service account"),
                role: str = typer.Argument(..., help="role code"),
                org_unit_id: str = typer.Option(..., "--org-unit", help="where the role applied")):
    """Revoke a role of a subject at an org unit."""
    r = _call("RevokeRole", pb.RevokeRoleRequest(subject=subject, role=role, org_unit_id=org_unit_id))
    emit_record(r, f"revoked {role} of {subject} at {org_unit_id}")


@role_app.command("check")
def role_check(subject: str = typer.Argument(..., help="user or service account"),
               permission: str = typer.Argument(..., help="permission, e.g. ticket.create"),
               org_unit_id: str = typer.Argument(..., help="org unit id")):
    """Is SUBJECT allowed PERMISSION on ORG_UNIT_ID?"""
    allowed = _call("CheckPermission", pb.CheckPermissionRequest(subject=subject, permission=permission,
                                                                 org_unit_id=org_unit_id)).allowed
    emit_record({"subject": subject, "permission": permission, "org_unit_id": org_unit_id, "allowed": allowed},
                ("[green]allowed[/green]" if allowed else "[red]not allowed[/red]")
                + f": {subject} {permission} on {org_unit_id}")


# ---- users
@user_app.command("create")
def user_create(username: str = typer.Argument(..., help="login name"),
                display_name: str = typer.Option(..., help="name shown, e.g. 张三"),
                staff: str = typer.Option("", help="the staff id this user is"),
                password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                             help="password (prompted when not given)")):
    """Create a user who logs in with a password."""
    r = _call("CreateUser", pb.CreateUserRequest(username=username, password=password, display_name=display_name,
                                                 staff_id=staff), stub=pb_grpc.IdentityServiceStub)
    emit_record(r, f"created user {username}")


@user_app.command("list")
def user_list(q: str = typer.Option("", "--q", help="part of a username or name, its pinyin or initials (zs → 张三)"),
              unit: str = typer.Option("", "--unit", help="only users placed in this unit's subtree "
                                                          "(staff record or a grant)")):
    """Login users in pinyin order of their names, with their state and grants."""
    table = Listing("Users", "username", "name")
    table.add_column("staff", "staff_id")
    table.add_column("state")
    table.add_column("grants")
    users = _all("ListUsers", pb.ListUsersRequest(q=q, org_unit_id=unit), "users", stub=pb_grpc.IdentityServiceStub)
    for u in users:
        table.add_row(u.username, u.display_name, u.staff_id, enum_word(pb.UserState.DESCRIPTOR, u.state),
                      [f"{g.role}@{g.org_unit_id}{'/*' if g.subtree else ''}" for g in u.grants])
    emit(table)


@user_app.command("service-account")
def service_account(client_id: str = typer.Argument(..., help="the integrator's client id"),
                    name: str = typer.Option(..., help="what the account is for")):
    """Create a service account for an integrator; prints its secret once."""
    r = _call("CreateServiceAccount", pb.CreateServiceAccountRequest(client_id=client_id, name=name),
              stub=pb_grpc.IdentityServiceStub)
    emit_record(r, f"client_id: {r.client_id}\nclient_secret: {r.client_secret}\n[yellow]store the secret now; "
                   "it is not shown again[/yellow]")


@app.command("whoami")
def whoami():
    """Who the command line acts as: subject, roles, org units, permissions."""
    r = _call("WhoAmI", pb.WhoAmIRequest(), stub=pb_grpc.IdentityServiceStub)
    emit_record(r)


# ---- import / export
@app.command("import")
def import_(kind: DataKind = typer.Argument(..., help="what the file holds"),
            file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".csv or .xlsx file")):
    """Import units, positions, staff or rosters from a .csv or .xlsx file (all or nothing)."""
    fmt = file_format(file, FILE_FORMATS)
    r = _call("ImportOrg", pb.ImportOrgRequest(kind=DATA[kind.value], format=fmt, content=file.read_bytes()))
    emit_record({"kind": kind.value, "rows": r.rows}, f"imported {r.rows} rows of {kind.value}")


@app.command("export")
def export(kind: DataKind = typer.Argument(..., help="what to export"),
           file: Path = typer.Argument(..., dir_okay=False, help=".csv or .xlsx file to write")):
    """Export units, positions, staff or rosters to a .csv or .xlsx file (the columns import reads)."""
    fmt = file_format(file, FILE_FORMATS)
    r = _call("ExportOrg", pb.ExportOrgRequest(kind=DATA[kind.value], format=fmt))
    file.write_bytes(r.content)
    emit_record({"kind": kind.value, "file": str(file), "bytes": len(r.content)}, f"wrote {file}")



