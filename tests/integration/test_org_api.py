"""The org service over gRPC: tree, positions, staff, rosters, roles, identity, bulk import."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf.timestamp_pb2 import Timestamp

from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govops.common.v1 import common_pb2
from govops.org.v1 import org_pb2 as pb
from govops.org.v1 import org_pb2_grpc as pb_grpc
from tests.paging import assert_garbage_token_refused, read_paged

CST = timezone(timedelta(hours=8))


@pytest.fixture
def org(grpc_server, engine_for):
    engine_for("org")
    from govkit import config
    from org import setup

    setup.after_migrate(config.load("org"))  # built-in roles (truncated with the tables)
    return grpc_server("org")["org"]


@pytest.fixture
def admin(org, admin_token):
    return pb_grpc.OrgServiceStub(channel(org, admin_token)), pb_grpc.IdentityServiceStub(channel(org, admin_token))


def _code(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value


def _ts(dt: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(dt)
    return ts


def _tree(stub):
    stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id="gov", name="某市人民政府", kind=pb.ORG_UNIT_KIND_GOVERNMENT))
    stub.CreateOrgUnit(
        pb.CreateOrgUnitRequest(id="om", name="运维中心", parent_id="gov", kind=pb.ORG_UNIT_KIND_OM_CENTRE)
    )
    for d, name in (("fgw", "发展和改革委员会"), ("czj", "财政局")):
        stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id=d, name=name, parent_id="gov", kind=pb.ORG_UNIT_KIND_DEPARTMENT))
    stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id="fgw-xxc", name="信息化处", parent_id="fgw",
                                               kind=pb.ORG_UNIT_KIND_DIVISION))


def _rows(sql: str) -> int:
    from govkit import config
    from govkit.db import make_engine

    e = make_engine(config.load("org").database_url, pool_size=1)
    with e.connect() as c:
        n = c.execute(sa.text(sql)).scalar()
    e.dispose()
    return n


def test_tree_moves_without_cycles_and_keeps_history(admin):
    stub, _ = admin
    _tree(stub)
    code, _ = _code(lambda: stub.MoveOrgUnit(pb.MoveOrgUnitRequest(id="fgw", new_parent_id="fgw-xxc")))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    stub.MoveOrgUnit(pb.MoveOrgUnitRequest(id="fgw-xxc", new_parent_id="czj"))
    stub.RenameOrgUnit(pb.RenameOrgUnitRequest(id="fgw-xxc", name="信息科"))
    subtree = stub.ListOrgUnits(pb.ListOrgUnitsRequest(root="czj")).org_units
    assert {u.id for u in subtree} == {"czj", "fgw-xxc"}
    history = stub.GetOrgUnitHistory(pb.GetOrgUnitHistoryRequest(id="fgw-xxc")).changes
    assert [h.action for h in history] == [pb.ORG_UNIT_ACTION_CREATED, pb.ORG_UNIT_ACTION_MOVED,
                                              pb.ORG_UNIT_ACTION_RENAMED]
    assert "信息科" in history[-1].after_json and history[-1].actor == "admin"
    code, err = _code(lambda: stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id="fgw", name="重复", parent_id="gov",
                                                                         kind=pb.ORG_UNIT_KIND_DEPARTMENT)))
    assert code == grpc.StatusCode.ALREADY_EXISTS
    code, err = _code(lambda: stub.CreateOrgUnit(pb.CreateOrgUnitRequest(id="bad code!", name="", kind=0)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err))) == {"id", "name", "kind"}


def test_deactivation_is_refused_while_children_or_staff_remain(admin):
    stub, _ = admin
    _tree(stub)
    code, err = _code(lambda: stub.DeactivateOrgUnit(pb.DeactivateOrgUnitRequest(id="fgw")))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "child" in err.details()
    stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id="E1", name="张三", org_unit_id="fgw-xxc")))
    code, err = _code(lambda: stub.DeactivateOrgUnit(pb.DeactivateOrgUnitRequest(id="fgw-xxc")))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "staff" in err.details()
    stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id="E1", name="张三", org_unit_id="czj")))
    stub.DeactivateOrgUnit(pb.DeactivateOrgUnitRequest(id="fgw-xxc"))
    code, _ = _code(lambda: stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id="E2", name="李四",
                                                                              org_unit_id="fgw-xxc"))))
    assert code == grpc.StatusCode.FAILED_PRECONDITION


def test_positions_chain_staff_search_and_assignment(admin):
    stub, _ = admin
    _tree(stub)
    stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(
        id="director", name="运维中心主任", org_unit_id="om",
        responsibilities=[pb.Responsibility(kind="approval", value="change")])))
    stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(
        id="lead", name="组长", org_unit_id="om", parent_position_id="director")))
    stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(
        id="eng", name="工程师", org_unit_id="om", parent_position_id="lead")))
    code, _ = _code(lambda: stub.UpdatePosition(pb.UpdatePositionRequest(position=pb.Position(
        id="director", name="运维中心主任", org_unit_id="om", parent_position_id="eng"))))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    code, err = _code(lambda: stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(
        id="x", name="x", org_unit_id="om", responsibilities=[pb.Responsibility(kind="magic", value="")]))))
    assert set(dict(iter_bad_request(err))) == {"responsibilities[0].kind", "responsibilities[0].value"}
    for sid, name in (("E1", "张三"), ("E2", "张少松"), ("E3", "李四")):
        stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id=sid, name=name, org_unit_id="om")))
    for q in ("zs", "zhangsan", "张三"):
        found = stub.SearchStaff(pb.SearchStaffRequest(query=q)).staff
        assert found[0].name == "张三", q
    assert {s.name for s in stub.SearchStaff(pb.SearchStaffRequest(query="zs")).staff} == {"张三", "张少松"}
    stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id="F1", name="张森", org_unit_id="fgw")))
    # A unit's staff: by query within it, or all of them with an empty query (the portal's unit page).
    assert [s.name for s in stub.SearchStaff(pb.SearchStaffRequest(query="zs", org_unit_id="fgw")).staff] == ["张森"]
    assert {s.id for s in stub.SearchStaff(pb.SearchStaffRequest(org_unit_id="om")).staff} == {"E1", "E2", "E3"}
    stub.AssignStaff(pb.AssignStaffRequest(assignment=pb.StaffPosition(staff_id="E1", position_id="eng",
                                                                       start_date="2026-01-01")))
    got = stub.GetStaff(pb.GetStaffRequest(id="E1"))
    assert got.staff.initials == "zs" and got.positions[0].position_id == "eng"
    code, err = _code(lambda: stub.AssignStaff(pb.AssignStaffRequest(assignment=pb.StaffPosition(
        staff_id="E1", position_id="eng", start_date="2026-13-01"))))
    assert dict(iter_bad_request(err)) == {"assignment.start_date": "must be a date YYYY-MM-DD"}


def test_rosters_answer_who_is_on_duty_across_midnight(admin):
    stub, _ = admin
    _tree(stub)
    for sid, name in (("E1", "张伟"), ("E2", "刘洋")):
        stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id=sid, name=name, org_unit_id="om")))
    stub.CreateSupportGroup(
        pb.CreateSupportGroupRequest(group=pb.SupportGroup(id="net", name="网络组", org_unit_id="om"))
    )
    for sid in ("E1", "E2"):
        stub.AddGroupMember(pb.AddGroupMemberRequest(group_id="net", staff_id=sid))
    day = datetime(2026, 11, 23, tzinfo=CST)
    shifts = [pb.Shift(staff_id="E1", starts_at=_ts(day.replace(hour=8, minute=30)),
                       ends_at=_ts(day.replace(hour=17, minute=30))),
              pb.Shift(staff_id="E2", starts_at=_ts(day.replace(hour=17, minute=30)),
                       ends_at=_ts(day.replace(hour=8, minute=30) + timedelta(days=1)))]
    stub.PublishRoster(pb.PublishRosterRequest(group_id="net", period_start=_ts(day),
                                               period_end=_ts(day + timedelta(days=1)), shifts=shifts))

    def on_duty(at):
        return [s.name for s in stub.GetOnDuty(pb.GetOnDutyRequest(group_id="net", at=_ts(at))).staff]

    assert on_duty(day.replace(hour=10)) == ["张伟"]
    assert on_duty(day.replace(hour=17, minute=30)) == ["刘洋"]  # the handover instant belongs to the next shift
    assert on_duty(day.replace(hour=3) + timedelta(days=1)) == ["刘洋"]
    assert on_duty(day.replace(hour=5)) == []
    overlapping = shifts + [pb.Shift(staff_id="E1", starts_at=_ts(day.replace(hour=16)),
                                     ends_at=_ts(day.replace(hour=20)))]
    code, err = _code(lambda: stub.PublishRoster(pb.PublishRosterRequest(
        group_id="net", period_start=_ts(day), period_end=_ts(day + timedelta(days=1)), shifts=overlapping)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "shifts[2]" in dict(iter_bad_request(err))
    assert on_duty(day.replace(hour=10)) == ["张伟"]  # the refused roster changed nothing


def test_list_shifts_reads_a_week_of_a_group_roster(admin):
    """The portal's roster calendar reads a week with ListShifts, changes it, and republishes it."""
    stub, _ = admin
    _tree(stub)
    for sid, name in (("E1", "张伟"), ("E2", "刘洋")):
        stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id=sid, name=name, org_unit_id="om")))
        stub.CreateSupportGroup(pb.CreateSupportGroupRequest(
            group=pb.SupportGroup(id=f"g-{sid}", name=f"组{sid}", org_unit_id="om")))
        stub.AddGroupMember(pb.AddGroupMemberRequest(group_id=f"g-{sid}", staff_id=sid))
    stub.AddGroupMember(pb.AddGroupMemberRequest(group_id="g-E1", staff_id="E2"))
    monday = datetime(2026, 11, 23, 9, tzinfo=CST)
    week = [pb.Shift(staff_id="E1" if d % 2 else "E2", starts_at=_ts(monday + timedelta(days=d)),
                     ends_at=_ts(monday + timedelta(days=d, hours=8))) for d in range(7)]
    stub.PublishRoster(pb.PublishRosterRequest(group_id="g-E1", period_start=_ts(monday - timedelta(hours=9)),
                                               period_end=_ts(monday + timedelta(days=7)), shifts=week))
    stub.PublishRoster(pb.PublishRosterRequest(  # another group's shift never shows in this one's
        group_id="g-E2", period_start=_ts(monday + timedelta(days=8)), period_end=_ts(monday + timedelta(days=9)),
        shifts=[pb.Shift(staff_id="E2", starts_at=_ts(monday + timedelta(days=8)),
                         ends_at=_ts(monday + timedelta(days=8, hours=8)))]))

    def listed(start, end, group="g-E1"):
        reply = stub.ListShifts(pb.ListShiftsRequest(group_id=group, period_start=_ts(start), period_end=_ts(end)))
        return [(s.staff_id, s.starts_at.ToDatetime(tzinfo=UTC)) for s in reply.shifts]

    assert listed(monday, monday + timedelta(days=7)) == [(s.staff_id, s.starts_at.ToDatetime(tzinfo=UTC))
                                                          for s in week]
    # [start, end): a shift starting at the end is the next period's
    assert [sid for sid, _ in listed(monday + timedelta(days=1), monday + timedelta(days=3))] == ["E1", "E2"]
    assert listed(monday + timedelta(days=7), monday + timedelta(days=14)) == []

    code, err = _code(lambda: stub.ListShifts(pb.ListShiftsRequest(
        group_id="g-E1", period_start=_ts(monday), period_end=_ts(monday))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "period_end" in dict(iter_bad_request(err))
    code, err = _code(lambda: stub.ListShifts(pb.ListShiftsRequest(
        group_id="g-E1", period_start=_ts(monday), period_end=_ts(monday + timedelta(days=93)))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "period_end" in dict(iter_bad_request(err))
    code, err = _code(lambda: stub.ListShifts(pb.ListShiftsRequest(group_id="g-E1", period_end=_ts(monday))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "period_start" in dict(iter_bad_request(err))
    code, _ = _code(lambda: stub.ListShifts(pb.ListShiftsRequest(
        group_id="nope", period_start=_ts(monday), period_end=_ts(monday + timedelta(days=7)))))
    assert code == grpc.StatusCode.NOT_FOUND


def _login(identity, username, password):
    return identity.Login(pb.LoginRequest(username=username, password=password)).tokens


def test_login_refresh_logout_and_lockout(admin, org):
    stub, identity = admin
    _tree(stub)
    identity.CreateUser(pb.CreateUserRequest(username="huanghy", password="long-enough-pw", display_name="黄海燕"))
    stub.GrantRole(pb.GrantRoleRequest(subject="huanghy", role="dept_om_officer", org_unit_id="fgw", subtree=True))
    public = pb_grpc.IdentityServiceStub(channel(org, None))
    tokens = _login(public, "huanghy", "long-enough-pw")
    me = pb_grpc.IdentityServiceStub(channel(org, tokens.access_token)).WhoAmI(pb.WhoAmIRequest())
    assert me.subject == "huanghy" and me.name == "黄海燕"
    assert set(me.org_unit_ids) == {"fgw", "fgw-xxc"} and "ticket.create" in me.permissions
    renewed = public.Refresh(pb.RefreshRequest(refresh_token=tokens.refresh_token)).tokens
    code, _ = _code(lambda: public.Refresh(pb.RefreshRequest(refresh_token=tokens.refresh_token)))
    assert code == grpc.StatusCode.UNAUTHENTICATED  # rotated: each refresh token works once
    mine = pb_grpc.IdentityServiceStub(channel(org, renewed.access_token))
    mine.Logout(pb.LogoutRequest(refresh_token=renewed.refresh_token))
    code, _ = _code(lambda: public.Refresh(pb.RefreshRequest(refresh_token=renewed.refresh_token)))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    for _ in range(5):
        code, _ = _code(lambda: _login(public, "huanghy", "wrong-password"))
        assert code == grpc.StatusCode.UNAUTHENTICATED
    code, err = _code(lambda: _login(public, "huanghy", "long-enough-pw"))
    assert "locked" in err.details()
    code, err = _code(lambda: _login(public, "nobody", "whatever-password"))
    assert code == grpc.StatusCode.UNAUTHENTICATED and "locked" not in err.details()


def test_grants_stay_within_the_granters_scope(admin, org):
    stub, identity = admin
    _tree(stub)
    for u in ("officer", "someone"):
        identity.CreateUser(pb.CreateUserRequest(username=u, password="long-enough-pw", display_name=u))
    stub.GrantRole(pb.GrantRoleRequest(subject="officer", role="om_centre_director", org_unit_id="fgw", subtree=True))
    token = _login(pb_grpc.IdentityServiceStub(channel(org, None)), "officer", "long-enough-pw").access_token
    officer = pb_grpc.OrgServiceStub(channel(org, token))
    officer.GrantRole(pb.GrantRoleRequest(subject="someone", role="requester", org_unit_id="fgw-xxc", subtree=True))
    code, err = _code(lambda: officer.GrantRole(pb.GrantRoleRequest(subject="someone", role="requester",
                                                                    org_unit_id="czj", subtree=False)))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "outside your own scope" in err.details()
    code, err = _code(lambda: officer.GrantRole(pb.GrantRoleRequest(subject="someone", role="system_admin",
                                                                    org_unit_id="fgw", subtree=True)))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "cannot hand out" in err.details()
    check = stub.CheckPermission
    assert check(
        pb.CheckPermissionRequest(subject="someone", permission="ticket.create", org_unit_id="fgw-xxc")
    ).allowed
    assert not check(
        pb.CheckPermissionRequest(subject="someone", permission="ticket.create", org_unit_id="fgw")
    ).allowed
    assert not check(pb.CheckPermissionRequest(subject="someone", permission="ticket.assign",
                                               org_unit_id="fgw-xxc")).allowed


def test_service_accounts_get_tokens_with_client_credentials(admin, org):
    stub, identity = admin
    _tree(stub)
    secret = identity.CreateServiceAccount(pb.CreateServiceAccountRequest(client_id="monitor",
                                                                          name="监控平台")).client_secret
    stub.GrantRole(pb.GrantRoleRequest(subject="sa:monitor", role="service_desk_agent", org_unit_id="gov",
                                       subtree=True))
    public = pb_grpc.IdentityServiceStub(channel(org, None))
    tokens = public.IssueServiceToken(pb.IssueServiceTokenRequest(client_id="monitor", client_secret=secret)).tokens
    assert tokens.subject == "sa:monitor" and not tokens.refresh_token
    me = pb_grpc.IdentityServiceStub(channel(org, tokens.access_token)).WhoAmI(pb.WhoAmIRequest())
    assert list(me.org_unit_ids) == ["*"]
    code, _ = _code(lambda: public.IssueServiceToken(pb.IssueServiceTokenRequest(client_id="monitor",
                                                                                 client_secret="nope")))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    keys = public.GetPublicKeys(pb.GetPublicKeysRequest()).keys
    assert keys and keys[0].pem.startswith("-----BEGIN PUBLIC KEY-----")


UNITS_CSV = (
    "编码,名称,上级编码,类型\ngov,某市人民政府,,政府\nfgw-xxc,信息化处,fgw,处室\nfgw,发展和改革委员会,gov,部门\n"
)


def test_import_is_all_or_nothing_with_row_errors(admin):
    stub, _ = admin
    bad = UNITS_CSV + "czj,财政局,nowhere,部门\nwjw,,gov,部门\n"
    code, err = _code(lambda: stub.ImportOrg(pb.ImportOrgRequest(
        kind=pb.DATA_KIND_ORG_UNITS, format=pb.DATA_FORMAT_CSV, content=bad.encode("utf-8"))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    problems = dict(iter_bad_request(err))
    assert "nowhere" in problems["rows[5].parent_id"]  # an unknown parent, named by its column
    assert problems["rows[6].name"] == "must not be empty"
    assert _rows("SELECT count(*) FROM org_units") == 0 and _rows("SELECT count(*) FROM outbox") == 0
    # parents after children in the file are fine
    assert stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_ORG_UNITS, format=pb.DATA_FORMAT_CSV,
                                              content=UNITS_CSV.encode("utf-8"))).rows == 3
    assert _rows("SELECT count(*) FROM org_units") == 3


def test_import_rejects_mixed_encodings_and_merged_cells(admin):
    stub, _ = admin
    mixed = ("编码,名称,上级编码,类型\n".encode() + "gov,某市人民政府,,政府\n".encode("gbk"))
    code, err = _code(lambda: stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_ORG_UNITS,
                                                                 format=pb.DATA_FORMAT_CSV, content=mixed)))
    assert "rows[2]" in dict(iter_bad_request(err)) and "UTF-8" in dict(iter_bad_request(err))["rows[2]"]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "上级编码", "类型"])
    ws.append(["gov", "某市人民政府", "", "政府"])
    ws.merge_cells("A2:B2")
    buf = io.BytesIO()
    wb.save(buf)
    code, err = _code(lambda: stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_ORG_UNITS,
                                                                 format=pb.DATA_FORMAT_XLSX, content=buf.getvalue())))
    assert "A2:B2" in dict(iter_bad_request(err))["rows[2]"]
    assert _rows("SELECT count(*) FROM org_units") == 0


def test_export_then_import_round_trips_staff_in_xlsx(admin, engine_for):
    stub, _ = admin
    _tree(stub)
    stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(id="eng", name="工程师", org_unit_id="om")))
    stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_STAFF, format=pb.DATA_FORMAT_CSV, content=(
        "工号,姓名,所属机构,电话,邮箱,服务商,岗位,任职日期\n"
        "E1,张三,om,13800000000,zs@example.gov.cn,,eng,2026-01-01\nE2,欧阳娜娜,fgw,,,,,\n").encode()))
    exported = stub.ExportOrg(pb.ExportOrgRequest(kind=pb.DATA_KIND_STAFF, format=pb.DATA_FORMAT_XLSX))
    assert exported.filename == "staff.xlsx"
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("工号", "姓名", "所属机构")
    assert rows[1][:3] == ("E1", "张三", "om") and rows[1][6] == "eng"
    assert stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_STAFF, format=pb.DATA_FORMAT_XLSX,
                                              content=exported.content)).rows == 2
    assert stub.SearchStaff(pb.SearchStaffRequest(query="oynn")).staff[0].name == "欧阳娜娜"


def test_public_methods_need_no_token_but_the_rest_do(org):
    anonymous = pb_grpc.OrgServiceStub(channel(org, None))
    code, _ = _code(lambda: anonymous.ListOrgUnits(pb.ListOrgUnitsRequest()))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert pb_grpc.IdentityServiceStub(channel(org, None)).GetPublicKeys(pb.GetPublicKeysRequest()).keys


def test_rosters_import_in_local_time_and_refuse_overlaps_by_row(admin):
    stub, _ = admin
    _tree(stub)
    for sid, name in (("E1", "张伟"), ("E2", "刘洋")):
        stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id=sid, name=name, org_unit_id="om")))
    stub.CreateSupportGroup(
        pb.CreateSupportGroupRequest(group=pb.SupportGroup(id="net", name="网络组", org_unit_id="om"))
    )
    for sid in ("E1", "E2"):
        stub.AddGroupMember(pb.AddGroupMemberRequest(group_id="net", staff_id=sid))
    good = ("支持组,工号,开始时间,结束时间\n"
            "net,E1,2026-11-23 08:30,2026-11-23 17:30\n"
            "net,E2,2026-11-23 17:30,2026-11-24 08:30\n")
    assert stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_ROSTERS, format=pb.DATA_FORMAT_CSV,
                                              content=good.encode())).rows == 2
    at = _ts(datetime(2026, 11, 24, 1, 0, tzinfo=CST))  # 01:00 Beijing time: the night shift
    assert [s.name for s in stub.GetOnDuty(pb.GetOnDutyRequest(group_id="net", at=at)).staff] == ["刘洋"]
    clash = good + "net,E2,2026-11-23 20:00,2026-11-23 23:00\n"
    code, err = _code(lambda: stub.ImportOrg(pb.ImportOrgRequest(kind=pb.DATA_KIND_ROSTERS, format=pb.DATA_FORMAT_CSV,
                                                                 content=clash.encode())))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "rows[4]" in dict(iter_bad_request(err))
    exported = stub.ExportOrg(pb.ExportOrgRequest(kind=pb.DATA_KIND_ROSTERS, format=pb.DATA_FORMAT_CSV)).content
    assert "net,E2,2026-11-23 17:30,2026-11-24 08:30" in exported.decode("utf-8-sig")


def test_growing_lists_are_paged(admin):
    """Issue 11, item 3: the org unit tree, positions, grants, a unit's history and the support
    groups answer a page at a time; the pages cover the whole list once, in the order of the
    whole list, and a garbage token is refused."""
    stub, identity = admin
    _tree(stub)
    for n in range(5):
        stub.CreatePosition(pb.CreatePositionRequest(position=pb.Position(id=f"p{n}", name=f"岗位{n}",
                                                                          org_unit_id="om")))
        stub.CreateSupportGroup(pb.CreateSupportGroupRequest(group=pb.SupportGroup(id=f"g{n}", name=f"组{n}",
                                                                                   org_unit_id="om")))
        stub.RenameOrgUnit(pb.RenameOrgUnitRequest(id="fgw-xxc", name=f"信息化处{n}"))
    identity.CreateUser(pb.CreateUserRequest(username="officer", password="long-enough-pw", display_name="o"))
    for unit in ("gov", "om", "fgw", "czj", "fgw-xxc"):
        stub.GrantRole(pb.GrantRoleRequest(subject="officer", role="requester", org_unit_id=unit))
    cases = [
        (stub.ListOrgUnits, pb.ListOrgUnitsRequest(), "org_units", lambda u: u.id, 5),
        (stub.ListPositions, pb.ListPositionsRequest(org_unit_id="om"), "positions", lambda p: p.id, 5),
        (stub.ListRoleAssignments, pb.ListRoleAssignmentsRequest(subject="officer"), "assignments",
         lambda a: a.org_unit_id, 5),
        (stub.GetOrgUnitHistory, pb.GetOrgUnitHistoryRequest(id="fgw-xxc"), "changes", lambda h: h.after_json, 6),
        (stub.ListSupportGroups, pb.ListSupportGroupsRequest(), "groups", lambda g: g.id, 5),
    ]
    for call, request, field, key, total in cases:
        whole = [key(x) for x in getattr(call(request, timeout=10), field)]
        assert len(whole) == total, (field, whole)
        assert [key(x) for x in read_paged(call, request, field, 2)] == whole, field
        assert_garbage_token_refused(call, request)


def test_users_carry_an_email_and_mobile_and_publish_them_for_notify(admin):
    _, identity = admin
    created = identity.CreateUser(pb.CreateUserRequest(
        username="zhulin", password="long-enough-pw", display_name="朱琳", email="zhulin@example.gov.cn"))
    assert (created.email, created.mobile) == ("zhulin@example.gov.cn", "")
    code, err = _code(lambda: identity.CreateUser(pb.CreateUserRequest(
        username="huj", password="long-enough-pw", display_name="胡军", email="not-an-address", mobile="12345")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err))) == {"email", "mobile"}
    updated = identity.UpdateUser(pb.UpdateUserRequest(username="zhulin", display_name="朱琳",
                                                       email="zhulin@gaj.example.gov.cn", mobile="+8613800000001"))
    assert (updated.email, updated.mobile) == ("zhulin@gaj.example.gov.cn", "+8613800000001")
    identity.UpdateUser(pb.UpdateUserRequest(username="zhulin", display_name="朱琳 (公安局)",
                                             email="zhulin@gaj.example.gov.cn", mobile="+8613800000001"))
    code, _ = _code(lambda: identity.UpdateUser(pb.UpdateUserRequest(username="nobody", display_name="x")))
    assert code == grpc.StatusCode.NOT_FOUND
    # one event per change of address (the display-name-only update published none), via the outbox
    assert _rows("SELECT count(*) FROM outbox WHERE type = 'govops.org.user_contact_changed.v1'") == 2
    assert _rows("SELECT count(*) FROM outbox WHERE type = 'govops.org.user_contact_changed.v1' "
                 "AND envelope->'data'->>'mobile' = '+8613800000001' AND envelope->>'subject' = 'zhulin'") == 1
    from govkit import config
    from govkit.db import make_engine
    from org import handlers
    from org.adapters.uow import OrgUnitOfWork

    engine = make_engine(config.load("org").database_url, pool_size=1)
    try:
        snapshot = handlers.snapshot(OrgUnitOfWork(engine))
    finally:
        engine.dispose()
    assert snapshot["user_contacts"] == [{"username": "zhulin", "staff_id": None,
                                          "email": "zhulin@gaj.example.gov.cn", "mobile": "+8613800000001"}]


def test_two_publishes_of_the_same_read_version_the_second_is_refused(admin):
    """Two administrators edit the same week: the second save over the version both read is refused
    with FAILED_PRECONDITION naming expected_version, and writes nothing; without a version the old
    last-publish-wins behaviour stays."""
    stub, _ = admin
    _tree(stub)
    for sid, name in (("E1", "张伟"), ("E2", "刘洋")):
        stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id=sid, name=name, org_unit_id="om")))
    stub.CreateSupportGroup(
        pb.CreateSupportGroupRequest(group=pb.SupportGroup(id="net", name="网络组", org_unit_id="om")))
    for sid in ("E1", "E2"):
        stub.AddGroupMember(pb.AddGroupMemberRequest(group_id="net", staff_id=sid))
    monday = datetime(2026, 11, 23, tzinfo=CST)
    start, end = _ts(monday), _ts(monday + timedelta(days=7))

    def shift(sid, day):
        return pb.Shift(staff_id=sid, starts_at=_ts(monday + timedelta(days=day, hours=9)),
                        ends_at=_ts(monday + timedelta(days=day, hours=17)))

    def read():
        return stub.ListShifts(pb.ListShiftsRequest(group_id="net", period_start=start, period_end=end))

    seen = read().version
    assert seen
    first = stub.PublishRoster(pb.PublishRosterRequest(group_id="net", period_start=start, period_end=end,
                                                       shifts=[shift("E1", 0)], expected_version=seen))
    assert first.version == read().version != seen
    code, err = _code(lambda: stub.PublishRoster(pb.PublishRosterRequest(
        group_id="net", period_start=start, period_end=end, shifts=[shift("E2", 1)], expected_version=seen)))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "expected_version" in dict(iter_bad_request(err))
    assert "changed by admin at " in err.details()  # the admin token's name is its login
    assert [s.staff_id for s in read().shifts] == ["E1"]  # the refused publish wrote nothing
    stub.PublishRoster(pb.PublishRosterRequest(group_id="net", period_start=start, period_end=end,
                                               shifts=[shift("E2", 1)], expected_version=first.version))
    stub.PublishRoster(pb.PublishRosterRequest(group_id="net", period_start=start, period_end=end,
                                               shifts=[shift("E1", 2)]))  # no version: no check
    assert [s.staff_id for s in read().shifts] == ["E1"]


def test_a_stale_roster_refusal_names_who_published_meanwhile_and_when(org, admin, signer):
    """Two group leads edit the same week: the second, saving over the version both read, is
    refused with FAILED_PRECONDITION naming the first by display name and login; ListShifts says
    who published last (any overlapping period counts) and a week nobody published says nobody."""
    stub, _ = admin
    _tree(stub)
    for sid, name in (("E1", "张伟"), ("E2", "刘洋")):
        stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id=sid, name=name, org_unit_id="om")))
    stub.CreateSupportGroup(
        pb.CreateSupportGroupRequest(group=pb.SupportGroup(id="net", name="网络组", org_unit_id="om")))
    for sid in ("E1", "E2"):
        stub.AddGroupMember(pb.AddGroupMemberRequest(group_id="net", staff_id=sid))

    def lead(login, name):
        token = signer.mint(login, perms=["org.admin", "org.read"], scopes=[{"unit": "om"}], name=name)
        return pb_grpc.OrgServiceStub(channel(org, token))

    zhang, li = lead("zhang", "张组长"), lead("li", "李组长")
    monday = datetime(2026, 11, 23, tzinfo=CST)
    start, end = _ts(monday), _ts(monday + timedelta(days=7))

    def shift(sid, day):
        return pb.Shift(staff_id=sid, starts_at=_ts(monday + timedelta(days=day, hours=9)),
                        ends_at=_ts(monday + timedelta(days=day, hours=17)))

    def read(who=zhang, a=start, b=end):
        return who.ListShifts(pb.ListShiftsRequest(group_id="net", period_start=a, period_end=b))

    assert read().last_published_by == "" and not read().HasField("last_published_at")
    seen = read(li).version
    before = datetime.now(UTC).replace(microsecond=0)
    zhang.PublishRoster(pb.PublishRosterRequest(group_id="net", period_start=start, period_end=end,
                                                shifts=[shift("E1", 0)], expected_version=seen))
    after = datetime.now(UTC)
    code, err = _code(lambda: li.PublishRoster(pb.PublishRosterRequest(
        group_id="net", period_start=start, period_end=end, shifts=[shift("E2", 1)], expected_version=seen)))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "expected_version" in dict(iter_bad_request(err))
    assert "changed by 张组长 (zhang) at " in err.details()
    stamp = err.details().split("changed by 张组长 (zhang) at ", 1)[1][:20]
    assert stamp.endswith(" UTC")
    published = datetime.strptime(stamp, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    assert before.replace(second=0) <= published <= after

    week = read(li)
    assert (week.last_published_by, week.last_published_by_name) == ("zhang", "张组长")
    assert before <= week.last_published_at.ToDatetime(tzinfo=UTC) + timedelta(seconds=1)
    assert week.last_published_at.ToDatetime(tzinfo=UTC) <= after
    # li reloads and publishes: now li is the last publisher, also of a single day read within the week
    li.PublishRoster(pb.PublishRosterRequest(group_id="net", period_start=start, period_end=end,
                                             shifts=[shift("E1", 0), shift("E2", 1)], expected_version=week.version))
    tuesday = read(zhang, _ts(monday + timedelta(days=1)), _ts(monday + timedelta(days=2)))
    assert (tuesday.last_published_by, tuesday.last_published_by_name) == ("li", "李组长")
    assert read(zhang, end, _ts(monday + timedelta(days=14))).last_published_by == ""  # next week: nobody


def _users(identity, **kw):
    return identity.ListUsers(pb.ListUsersRequest(**kw))


def test_list_users_finds_by_chinese_pinyin_and_unit_pages_and_stays_in_scope(admin, org, signer):
    stub, identity = admin
    _tree(stub)
    stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id="E1", name="张三", org_unit_id="fgw-xxc")))
    stub.SaveStaff(pb.SaveStaffRequest(staff=pb.Staff(id="E2", name="李四", org_unit_id="czj")))
    people = (("zhangsan", "张三", "E1"), ("lisi", "李四", "E2"), ("wangwu", "王五", ""),
              ("zhaoliu", "赵六", ""), ("anna", "安娜", ""))
    for username, name, staff in people:
        identity.CreateUser(pb.CreateUserRequest(username=username, password="long-enough-pw", display_name=name,
                                                 staff_id=staff))
    # 王五 has no staff record: a grant in 发改委 places him there; 赵六 has neither.
    stub.GrantRole(pb.GrantRoleRequest(subject="wangwu", role="requester", org_unit_id="fgw"))

    everyone = _users(identity)
    assert [u.display_name for u in everyone.users] == ["安娜", "李四", "王五", "张三", "赵六"]  # pinyin order
    assert everyone.page.total_size == 5 and not everyone.page.next_page_token
    zs = _users(identity, q="zs").users
    assert [u.username for u in zs] == ["zhangsan"]
    assert zs[0].staff_id == "E1" and zs[0].staff_org_unit_id == "fgw-xxc" and zs[0].state == pb.USER_STATE_ACTIVE
    assert [u.username for u in _users(identity, q="张").users] == ["zhangsan"]
    assert [u.username for u in _users(identity, q="LiSi").users] == ["lisi"]  # pinyin, any case
    assert [u.username for u in _users(identity, q="wang").users] == ["wangwu"]
    wangwu = _users(identity, q="王五").users[0]
    assert [(g.role, g.org_unit_id) for g in wangwu.grants] == [("requester", "fgw")]
    assert [u.username for u in _users(identity, org_unit_id="fgw").users] == ["wangwu", "zhangsan"]
    assert [u.username for u in _users(identity, org_unit_id="fgw-xxc").users] == ["zhangsan"]

    pages = []
    first = _users(identity, page=common_pb2.PageRequest(page_size=2))
    pages.append([u.username for u in first.users])
    second = _users(identity, page=common_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token))
    pages.append([u.username for u in second.users])
    third = _users(identity, page=common_pb2.PageRequest(page_size=2, page_token=second.page.next_page_token))
    pages.append([u.username for u in third.users])
    assert pages == [["anna", "lisi"], ["wangwu", "zhangsan"], ["zhaoliu"]] and not third.page.next_page_token

    # Renaming updates the keys: 张三 → 章三丰 is found by "zsf".
    identity.UpdateUser(pb.UpdateUserRequest(username="zhangsan", display_name="章三丰"))
    assert [u.username for u in _users(identity, q="zsf").users] == ["zhangsan"]

    # A locked account says so.
    public = pb_grpc.IdentityServiceStub(channel(org, None))
    for _ in range(5):
        _code(lambda: _login(public, "zhaoliu", "wrong-password"))
    locked = _users(identity, q="zhaoliu").users[0]
    assert locked.state == pb.USER_STATE_LOCKED and locked.locked_until.seconds > 0

    # A department's administrator sees only users placed inside their scope.
    fgw_admin = pb_grpc.IdentityServiceStub(channel(org, signer.mint(
        "fgwadmin", perms=["org.identity"], extra={"units": ["fgw", "fgw-xxc"]})))
    assert [u.username for u in fgw_admin.ListUsers(pb.ListUsersRequest()).users] == ["wangwu", "zhangsan"]
    assert not fgw_admin.ListUsers(pb.ListUsersRequest(q="lisi")).users
    # … and of their grants only those inside that scope: 王五's role in 财政局 is not theirs to see
    stub.GrantRole(pb.GrantRoleRequest(subject="wangwu", role="requester", org_unit_id="czj"))
    assert {g.org_unit_id for g in _users(identity, q="王五").users[0].grants} == {"fgw", "czj"}
    assert [g.org_unit_id for g in fgw_admin.ListUsers(pb.ListUsersRequest(q="王五")).users[0].grants] == ["fgw"]
    code, _ = _code(lambda: fgw_admin.ListUsers(pb.ListUsersRequest(org_unit_id="czj")))
    assert code == grpc.StatusCode.PERMISSION_DENIED

    reader = pb_grpc.IdentityServiceStub(channel(org, signer.mint("reader", perms=["org.read", "org.admin"],
                                                                  scopes=[{"unit": "*"}])))
    code, _ = _code(lambda: reader.ListUsers(pb.ListUsersRequest()))
    assert code == grpc.StatusCode.PERMISSION_DENIED

    code, err = _code(lambda: _users(identity, page=common_pb2.PageRequest(page_size=-1)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(dict(iter_bad_request(err))) == {"page.page_size"}
    code, err = _code(lambda: _users(identity, q="x" * 65))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(dict(iter_bad_request(err))) == {"q"}
    code, err = _code(lambda: _users(identity, org_unit_id="nowhere"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(dict(iter_bad_request(err))) == {"org_unit_id"}
    assert_garbage_token_refused(identity.ListUsers, pb.ListUsersRequest(q="a"))


def test_a_subjects_grants_are_listed_within_the_callers_scope(admin, org, signer):
    """Department isolation for ListRoleAssignments: a reader scoped to 发改委 sees a subject's grant
    there, not the one in 财政局 (every grant of every subject was listed to any org.read holder)."""
    stub, identity = admin
    _tree(stub)
    identity.CreateUser(pb.CreateUserRequest(username="liu", password="long-enough-pw", display_name="刘一"))
    stub.GrantRole(pb.GrantRoleRequest(subject="liu", role="requester", org_unit_id="fgw"))
    stub.GrantRole(pb.GrantRoleRequest(subject="liu", role="requester", org_unit_id="czj"))
    everything = stub.ListRoleAssignments(pb.ListRoleAssignmentsRequest(subject="liu")).assignments
    assert sorted(a.org_unit_id for a in everything) == ["czj", "fgw"]
    fgw_reader = pb_grpc.OrgServiceStub(channel(org, signer.mint("fgw-reader", perms=["org.read"],
                                                                 extra={"units": ["fgw", "fgw-xxc"]})))
    mine = fgw_reader.ListRoleAssignments(pb.ListRoleAssignmentsRequest(subject="liu")).assignments
    assert [a.org_unit_id for a in mine] == ["fgw"]
