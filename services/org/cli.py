"""`govops org …`: org units, positions, staff, groups, rosters, roles, users, import/export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import grpc
import typer
from google.protobuf.timestamp_pb2 import Timestamp
from rich.table import Table
from rich.tree import Tree

from govkit.cli_support import console, fail, grpc_channel
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

KINDS = {"government": 1, "department": 2, "division": 3, "om_centre": 4, "vendor": 5}
DATA = {"units": pb.DATA_KIND_ORG_UNITS, "positions": pb.DATA_KIND_POSITIONS, "staff": pb.DATA_KIND_STAFF,
        "rosters": pb.DATA_KIND_ROSTERS}


def _call(method: str, request, stub=pb_grpc.OrgServiceStub):
    with grpc_channel("org") as ch:
        try:
            return getattr(stub(ch), method)(request, timeout=30)
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
def unit_create(id: str, name: str, parent: str = typer.Option("", help="parent unit id"),
                kind: str = typer.Option("department", help="|".join(KINDS))):
    """Create an org unit."""
    u = _call(
        "CreateOrgUnit",
        pb.CreateOrgUnitRequest(id=id, name=name, parent_id=parent, kind=pb.OrgUnitKind.ValueType(KINDS.get(kind, 99))),
    )
    console.print(f"created {u.org_unit.id} 「{u.org_unit.name}」")


@unit_app.command("rename")
def unit_rename(id: str, name: str):
    _call("RenameOrgUnit", pb.RenameOrgUnitRequest(id=id, name=name))
    console.print(f"renamed {id} to 「{name}」")


@unit_app.command("move")
def unit_move(id: str, new_parent: str):
    _call("MoveOrgUnit", pb.MoveOrgUnitRequest(id=id, new_parent_id=new_parent))
    console.print(f"moved {id} under {new_parent}")


@unit_app.command("deactivate")
def unit_deactivate(id: str):
    _call("DeactivateOrgUnit", pb.DeactivateOrgUnitRequest(id=id))
    console.print(f"deactivated {id}")


@unit_app.command("tree")
def unit_tree(root: str = typer.Option("", help="only this subtree"), all: bool = typer.Option(False, "--all")):
    """Show the org unit tree."""
    units = _call("ListOrgUnits", pb.ListOrgUnitsRequest(root=root, include_inactive=all)).org_units
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
def unit_history(id: str):
    table = Table(title=f"{id} history")
    for col in ("at", "action", "actor", "after"):
        table.add_column(col)
    for h in _call("GetOrgUnitHistory", pb.GetOrgUnitHistoryRequest(id=id)).changes:
        table.add_row(h.at.ToJsonString(), pb.OrgUnitAction.Name(h.action).removeprefix("ORG_UNIT_ACTION_").lower(),
                      h.actor, h.after_json)
    console.print(table)


# ---- positions
@position_app.command("create")
def position_create(id: str, name: str, org_unit_id: str = typer.Option(..., "--org-unit"),
                    parent: str = typer.Option(""),
                    duty: list[str] = typer.Option([], help="responsibility kind:value, e.g. approval:change")):
    """Create a position; --duty may repeat (catalogue_category:…, process:…, approval:…)."""
    duties = [pb.Responsibility(kind=d.split(":", 1)[0], value=d.split(":", 1)[-1]) for d in duty]
    p = _call("CreatePosition", pb.CreatePositionRequest(position=pb.Position(
        id=id, name=name, org_unit_id=org_unit_id, parent_position_id=parent, responsibilities=duties))).position
    console.print(f"created position {p.id} 「{p.name}」 in {p.org_unit_id}")


@position_app.command("list")
def position_list(org_unit_id: str = typer.Option("", "--org-unit")):
    table = Table(title="Positions")
    for col in ("id", "name", "unit", "reports to", "responsibilities"):
        table.add_column(col)
    for p in _call("ListPositions", pb.ListPositionsRequest(org_unit_id=org_unit_id)).positions:
        table.add_row(p.id, p.name, p.org_unit_id, p.parent_position_id,
                      "; ".join(f"{r.kind}:{r.value}" for r in p.responsibilities))
    console.print(table)


# ---- staff
@staff_app.command("save")
def staff_save(id: str, name: str, org_unit_id: str = typer.Option(..., "--org-unit"), phone: str = "", email: str = "",
               vendor: str = ""):
    s = _call("SaveStaff", pb.SaveStaffRequest(staff=pb.Staff(id=id, name=name, org_unit_id=org_unit_id, phone=phone,
                                                              email=email, vendor_id=vendor))).staff
    console.print(f"saved {s.id} 「{s.name}」 ({s.pinyin}, {s.initials})")


@staff_app.command("search")
def staff_search(query: str, limit: int = 20):
    """Find staff by Chinese name, pinyin or initials (zs → 张三)."""
    table = Table(title=f"staff matching {query!r}")
    for col in ("id", "name", "pinyin", "unit", "vendor"):
        table.add_column(col)
    for s in _call("SearchStaff", pb.SearchStaffRequest(query=query, limit=limit)).staff:
        table.add_row(s.id, s.name, s.pinyin, s.org_unit_id, s.vendor_id)
    console.print(table)


@staff_app.command("assign")
def staff_assign(staff: str, position: str, start: str = typer.Option(...), end: str = ""):
    _call("AssignStaff", pb.AssignStaffRequest(assignment=pb.StaffPosition(
        staff_id=staff, position_id=position, start_date=start, end_date=end)))
    console.print(f"{staff} holds {position} from {start}")


# ---- groups and rosters
@group_app.command("create")
def group_create(id: str, name: str, org_unit_id: str = typer.Option(..., "--org-unit"), lead: str = ""):
    _call("CreateSupportGroup", pb.CreateSupportGroupRequest(group=pb.SupportGroup(
        id=id, name=name, org_unit_id=org_unit_id, lead_position_id=lead)))
    console.print(f"created group {id} 「{name}」")


@group_app.command("add")
def group_add(group: str, staff: str):
    g = _call("AddGroupMember", pb.AddGroupMemberRequest(group_id=group, staff_id=staff)).group
    console.print(f"{group}: {', '.join(g.member_staff_ids)}")


@group_app.command("list")
def group_list():
    table = Table(title="Support groups")
    for col in ("id", "name", "unit", "lead position", "members"):
        table.add_column(col)
    for g in _call("ListSupportGroups", pb.ListSupportGroupsRequest()).groups:
        table.add_row(g.id, g.name, g.org_unit_id, g.lead_position_id, ", ".join(g.member_staff_ids))
    console.print(table)


@group_app.command("on-duty")
def group_on_duty(group: str, at: str = typer.Option("", help="ISO time (local if no zone); default now")):
    """Who is on duty in a group now, or at a given time."""
    request = pb.GetOnDutyRequest(group_id=group)
    if at:
        request.at.CopyFrom(_ts(at))
    reply = _call("GetOnDuty", request)
    names = {s.id: s.name for s in reply.staff}
    if not reply.shifts:
        console.print(f"nobody is on duty in {group}")
    for s in reply.shifts:
        console.print(f"{names.get(s.staff_id, s.staff_id)} ({s.staff_id}) "
                      f"{s.starts_at.ToJsonString()} – {s.ends_at.ToJsonString()}")


# ---- roles
@role_app.command("list")
def role_list():
    reply = _call("ListRoles", pb.ListRolesRequest())
    table = Table(title="Roles")
    for col in ("code", "name", "permissions"):
        table.add_column(col)
    for r in reply.roles:
        table.add_row(r.code, r.name, ", ".join(r.permissions))
    console.print(table)


@role_app.command("grant")
def role_grant(subject: str, role: str, org_unit_id: str = typer.Option(..., "--org-unit"),
               subtree: bool = typer.Option(True, "--subtree/--unit-only")):
    a = _call("GrantRole", pb.GrantRoleRequest(subject=subject, role=role, org_unit_id=org_unit_id, subtree=subtree))
    console.print(f"granted {a.assignment.role} to {subject} at {org_unit_id}{' and below' if subtree else ''}")


@role_app.command("revoke")
def role_revoke(subject: str, role: str, org_unit_id: str = typer.Option(..., "--org-unit")):
    _call("RevokeRole", pb.RevokeRoleRequest(subject=subject, role=role, org_unit_id=org_unit_id))
    console.print(f"revoked {role} of {subject} at {org_unit_id}")


@role_app.command("check")
def role_check(subject: str, permission: str, org_unit_id: str):
    """Is SUBJECT allowed PERMISSION on ORG_UNIT_ID?"""
    allowed = _call("CheckPermission", pb.CheckPermissionRequest(subject=subject, permission=permission,
                                                                 org_unit_id=org_unit_id)).allowed
    console.print(("[green]allowed[/green]" if allowed else "[red]not allowed[/red]") +
                  f": {subject} {permission} on {org_unit_id}")


# ---- users
@user_app.command("create")
def user_create(username: str, display_name: str = typer.Option(...), staff: str = "",
                password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)):
    _call("CreateUser", pb.CreateUserRequest(username=username, password=password, display_name=display_name,
                                             staff_id=staff), stub=pb_grpc.IdentityServiceStub)
    console.print(f"created user {username}")


@user_app.command("service-account")
def service_account(client_id: str, name: str = typer.Option(...)):
    """Create a service account for an integrator; prints its secret once."""
    r = _call("CreateServiceAccount", pb.CreateServiceAccountRequest(client_id=client_id, name=name),
              stub=pb_grpc.IdentityServiceStub)
    console.print(f"client_id: {r.client_id}\nclient_secret: {r.client_secret}\n[yellow]store the secret now; "
                  "it is not shown again[/yellow]")


@app.command("whoami")
def whoami():
    r = _call("WhoAmI", pb.WhoAmIRequest(), stub=pb_grpc.IdentityServiceStub)
    console.print_json(data={"subject": r.subject, "name": r.name, "staff_id": r.staff_id, "roles": list(r.roles),
                             "org_unit_ids": list(r.org_unit_ids), "permissions": list(r.permissions)})


# ---- import / export
@app.command("import")
def import_(kind: str = typer.Argument(..., help="|".join(DATA)), file: Path = typer.Argument(...)):
    """Import units, positions, staff or rosters from a .csv or .xlsx file (all or nothing)."""
    fmt = pb.DATA_FORMAT_XLSX if file.suffix.lower() == ".xlsx" else pb.DATA_FORMAT_CSV
    r = _call(
        "ImportOrg",
        pb.ImportOrgRequest(kind=DATA.get(kind, pb.DataKind.ValueType(99)), format=fmt, content=file.read_bytes()),
    )
    console.print(f"imported {r.rows} rows of {kind}")


@app.command("export")
def export(kind: str = typer.Argument(..., help="|".join(DATA)), file: Path = typer.Argument(...)):
    fmt = pb.DATA_FORMAT_XLSX if file.suffix.lower() == ".xlsx" else pb.DATA_FORMAT_CSV
    r = _call("ExportOrg", pb.ExportOrgRequest(kind=DATA.get(kind, pb.DataKind.ValueType(99)), format=fmt))
    file.write_bytes(r.content)
    console.print(f"wrote {file}")



