"""Demo seed: a realistic O&M organisation — divisions, the O&M centre's positions and escalation
chain, staff with Chinese names, support groups, this week's duty roster, roles and users.

Safe to repeat. Demo users get random passwords, written once to .govops/demo-credentials.txt
(never to the repository)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from govkit import config as govconfig
from govkit.auth import SYSTEM
from govkit.db import make_engine
from govkit.errors import AlreadyExists

from . import handlers
from .adapters.security import Security
from .adapters.uow import OrgUnitOfWork
from .bulk import LOCAL_TZ
from .domain import commands as c
from .domain.model import CreateOrgUnit, Shift

DIVISIONS = [
    ("fgw-bgs", "办公室", "fgw"), ("fgw-xxc", "信息化处", "fgw"),
    ("czj-bgs", "办公室", "czj"), ("czj-yss", "预算处", "czj"),
    ("gaj-kxc", "科技信息化处", "gaj"), ("wjw-xxzx", "信息中心", "wjw"),
]
VENDOR_UNITS = [("vendor-hx", "华信科技服务有限公司", "om-centre")]

# id, name, unit, reports to, responsibilities
POSITIONS = [
    ("om-director", "运维中心主任", "om-centre", None, ["approval:change", "process:incident", "process:problem"]),
    ("desk-lead", "服务台主管", "om-centre", "om-director", ["process:request"]),
    ("desk-agent", "服务台坐席", "om-centre", "desk-lead", ["process:request", "process:incident"]),
    ("net-lead", "网络组组长", "om-centre", "om-director", ["catalogue_category:infrastructure", "approval:change"]),
    ("net-eng", "网络工程师", "om-centre", "net-lead", ["catalogue_category:infrastructure"]),
    ("db-lead", "数据库组组长", "om-centre", "om-director", ["catalogue_category:infrastructure", "approval:change"]),
    ("db-eng", "数据库工程师", "om-centre", "db-lead", ["catalogue_category:infrastructure"]),
    ("app-lead", "应用组组长", "om-centre", "om-director", ["catalogue_category:application", "approval:change"]),
    ("app-eng", "应用运维工程师", "om-centre", "app-lead",
     ["catalogue_category:application", "catalogue_category:information_resource"]),
    ("fgw-officer", "部门运维专员", "fgw", None, ["approval:change"]),
    ("czj-officer", "部门运维专员", "czj", None, ["approval:change"]),
    ("gaj-officer", "部门运维专员", "gaj", None, ["approval:change"]),
    ("wjw-officer", "部门运维专员", "wjw", None, ["approval:change"]),
]

# id, name, unit, position, vendor
STAFF = [
    ("E001", "王建国", "om-centre", "om-director", None),
    ("E002", "李明", "om-centre", "net-lead", None),
    ("E003", "张伟", "om-centre", "net-eng", None),
    ("E004", "刘洋", "om-centre", "net-eng", None),
    ("E005", "陈静", "om-centre", "db-lead", None),
    ("E006", "杨帆", "om-centre", "db-eng", None),
    ("E007", "赵磊", "om-centre", "app-lead", None),
    ("E008", "孙丽", "om-centre", "app-eng", None),
    ("E009", "周杰", "om-centre", "desk-lead", None),
    ("E010", "吴敏", "om-centre", "desk-agent", None),
    ("E011", "郑强", "om-centre", "desk-agent", None),
    ("F001", "黄海燕", "fgw-xxc", "fgw-officer", None),
    ("C001", "马超", "czj-bgs", "czj-officer", None),
    ("G001", "朱琳", "gaj-kxc", "gaj-officer", None),
    ("W001", "胡军", "wjw-xxzx", "wjw-officer", None),
    ("V001", "林涛", "vendor-hx", "app-eng", "vendor-hx"),
]

# group, name, lead position, members, (day staff, night staff) alternating by day
GROUPS = [
    ("desk", "服务台", "desk-lead", ["E009", "E010", "E011"], (["E010", "E011"], ["E011", "E010"])),
    ("net", "网络组", "net-lead", ["E002", "E003", "E004"], (["E003", "E004"], ["E004", "E003"])),
    ("db", "数据库组", "db-lead", ["E005", "E006"], (["E006", "E005"], ["E005", "E006"])),
    ("app", "应用组", "app-lead", ["E007", "E008", "V001"], (["E008", "V001"], ["E007", "E008"])),
]

# username, display name, staff, [(role, unit, subtree)]
USERS = [
    ("admin", "系统管理员", None, [("system_admin", "gov", True)]),
    ("wangjg", "王建国", "E001", [("om_centre_director", "gov", True)]),
    ("zhoujie", "周杰", "E009", [("service_desk_agent", "gov", True)]),
    ("zhangwei", "张伟", "E003", [("engineer", "gov", True)]),
    ("liming", "李明", "E002", [("group_lead", "gov", True)]),
    ("huanghy", "黄海燕", "F001", [("dept_om_officer", "fgw", True)]),
    ("machao", "马超", "C001", [("dept_om_officer", "czj", True)]),
    ("zhulin", "朱琳", "G001", [("requester", "gaj", True)]),
    ("huj", "胡军", "W001", [("requester", "wjw", True)]),
    ("evaluator", "绩效评价员", None, [("evaluator", "gov", True)]),
    ("finance", "财务审核", None, [("finance_reviewer", "gov", True)]),
]

DAY, NIGHT = (time(8, 30), time(17, 30)), (time(17, 30), time(8, 30))


def _week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def roster_for(week: date, plan) -> list[Shift]:
    day_staff, night_staff = plan
    shifts = []
    for d in range(7):
        day = week + timedelta(days=d)
        a = datetime.combine(day, DAY[0], LOCAL_TZ)
        b = datetime.combine(day, DAY[1], LOCAL_TZ)
        n_end = datetime.combine(day + timedelta(days=1), NIGHT[1], LOCAL_TZ)  # overnight to the next morning
        shifts.append(Shift(day_staff[d % len(day_staff)], a, b))
        shifts.append(Shift(night_staff[d % len(night_staff)], b, n_end))
    return shifts


def seed(console) -> None:
    settings = govconfig.load("org")
    engine = make_engine(settings.database_url, pool_size=1)
    uow = lambda: OrgUnitOfWork(engine)  # noqa: E731 - a fresh unit of work per use case
    handlers.install_default_roles(uow())
    for unit_id, name, parent in DIVISIONS:
        handlers.ensure_org_unit(CreateOrgUnit(unit_id, name, parent, "division"), uow(), SYSTEM)
    for unit_id, name, parent in VENDOR_UNITS:
        handlers.ensure_org_unit(CreateOrgUnit(unit_id, name, parent, "vendor"), uow(), SYSTEM)
    with uow() as u:
        known_positions = {p.id for p in u.positions.list()}
        known_staff = {s.id for s in u.staff.list()}
        known_groups = {g.id for g in u.groups.list()}
    for pid, name, unit, parent, duties in POSITIONS:
        if pid not in known_positions:
            handlers.save_position(c.SavePosition(pid, unit, name, parent, tuple(
                {"kind": d.split(":")[0], "value": d.split(":")[1]} for d in duties)), uow(), SYSTEM)
    start = date.today().replace(month=1, day=1)
    for sid, name, unit, position, vendor in STAFF:
        if sid not in known_staff:
            handlers.save_staff(c.SaveStaff(sid, name, unit, vendor), uow(), SYSTEM)
            handlers.assign_staff(c.AssignStaff(sid, position, start), uow(), SYSTEM)
    week = _week_start(date.today())
    for gid, name, lead, members, plan in GROUPS:
        if gid not in known_groups:
            handlers.create_support_group(c.CreateSupportGroup(gid, name, "om-centre", lead), uow(), SYSTEM)
        for sid in members:
            handlers.change_group_member(c.ChangeGroupMember(gid, sid, True), uow(), SYSTEM)
        handlers.publish_roster(c.PublishRoster(gid, datetime.combine(week, time(0), LOCAL_TZ),
                                                datetime.combine(week + timedelta(days=7), time(0), LOCAL_TZ),
                                                tuple(roster_for(week, plan))), uow(), SYSTEM)
    created = _users(uow, settings)
    engine.dispose()
    console.print(f"demo org: {len(DIVISIONS)} divisions, {len(POSITIONS)} positions, {len(STAFF)} staff, "
                  f"{len(GROUPS)} groups with this week's roster, {len(USERS)} users"
                  + (f" ({created} new; passwords in {_credentials_file()})" if created else ""))


def _credentials_file():
    return govconfig.REPO_ROOT / ".govops" / "demo-credentials.txt"


def _users(uow, settings) -> int:
    from govkit.auth import TokenSigner

    security = Security(TokenSigner.from_file(settings.private_key_file, issuer=settings.token_issuer,
                                              audience=settings.token_audience))
    lines, created = [], 0
    for username, display, staff_id, grants in USERS:
        password = secrets.token_urlsafe(12)
        try:
            handlers.create_user(c.CreateUser(username, password, display, staff_id), uow(), SYSTEM, security)
        except AlreadyExists:
            continue
        created += 1
        lines.append(f"{username}\t{password}\t{display}\t{', '.join(r for r, _, _ in grants)}")
        for role, unit, subtree in grants:
            handlers.grant_role(c.GrantRole(username, role, unit, subtree), uow(), SYSTEM)
    if lines:
        path = _credentials_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        path.chmod(0o600)
    return created
