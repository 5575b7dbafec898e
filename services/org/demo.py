"""Demo seed: the demo government (`govkit.demo.UNITS`) and a realistic O&M organisation —
divisions, the O&M centre's positions and escalation chain, staff with Chinese names, the support
groups the ticket catalogue routes to, duty rosters for last, this and next week, roles and users.

Safe to repeat. Demo users get random passwords, written once to .govops/demo-credentials.txt
(never to the repository; a stack with another database prefix, as the tests seed, writes its own
file: govkit.config.demo_credentials_file)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from govkit import config as govconfig
from govkit.auth import SYSTEM
from govkit.db import make_engine
from govkit.demo import UNITS
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

# The O&M centre's groups, named as the ticket catalogue routes to them (services/ticket/domain/defaults.py).
# group id, name, short code, catalogue category, lead (id, name), engineers [(id, name, vendor)],
# (day staff, night staff) alternating by day
GROUPS: list[tuple[Any, ...]] = [
    ("grp-network", "网络组", "net", "infrastructure", ("E002", "李明"),
     [("E003", "张伟", None), ("E004", "刘洋", None)], (["E003", "E004"], ["E004", "E003"])),
    ("grp-database", "数据库组", "db", "infrastructure", ("E005", "陈静"),
     [("E006", "杨帆", None)], (["E006", "E005"], ["E005", "E006"])),
    ("grp-application", "应用组", "app", "application", ("E007", "赵磊"),
     [("E008", "孙丽", None), ("V001", "林涛", "vendor-hx")], (["E008", "V001"], ["E007", "E008"])),
    ("grp-host", "主机组", "host", "infrastructure", ("E013", "郑浩"),
     [("E014", "王强", None)], (["E014", "E013"], ["E013", "E014"])),
    ("grp-desktop", "桌面终端组", "desk", "infrastructure", ("E009", "周杰"),
     [("E010", "吴敏", None), ("E011", "郑强", None)], (["E010", "E011"], ["E011", "E010"])),
    ("grp-security", "安全组", "sec", "infrastructure", ("E015", "褚云"),
     [("E016", "冯敏", None)], (["E016", "E015"], ["E015", "E016"])),
    ("grp-facility", "机房组", "fac", "infrastructure", ("E017", "卫东"),
     [("E018", "蒋文", None)], (["E018", "E017"], ["E017", "E018"])),
    ("grp-data", "数据资源组", "data", "information_resource", ("E019", "李娜"),
     [("E020", "吴磊", None)], (["E020", "E019"], ["E019", "E020"])),
]

# id, name, unit, reports to, responsibilities. Change approval (ticket's change routes): each
# department's 部门运维专员 approves its own unit's changes (approval:change; the director for the
# O&M centre's own); the change advisory board (CAB) is the change manager and the network,
# database and application leads (approval:change_cab); the director and the change manager are its
# emergency members (approval:change_ecab).
POSITIONS = [
    ("pos-om-director", "运维中心主任", "om-centre", None,
     ["approval:change", "approval:change_ecab", "process:incident", "process:problem", "process:vendor"]),
    ("pos-change-manager", "变更经理", "om-centre", "pos-om-director",
     ["approval:change_cab", "approval:change_ecab", "process:change"]),
    *[
        p
        for gid, name, short, category, lead, engineers, plan in GROUPS
        for p in (
            (
                f"pos-{short}-lead",
                f"{name}组长",
                "om-centre",
                "pos-om-director",
                [f"catalogue_category:{category}", "approval:change_cab"]
                if short in ("net", "db", "app")
                else [f"catalogue_category:{category}"],
            ),
            (
                f"pos-{short}-engineer",
                f"{name}工程师",
                "om-centre",
                f"pos-{short}-lead",
                [f"catalogue_category:{category}"],
            ),
        )
    ],
    ("fgw-officer", "部门运维专员", "fgw", None, ["approval:change"]),
    ("czj-officer", "部门运维专员", "czj", None, ["approval:change"]),
    ("gaj-officer", "部门运维专员", "gaj", None, ["approval:change"]),
    ("wjw-officer", "部门运维专员", "wjw", None, ["approval:change"]),
]

# id, name, unit, position, vendor
STAFF = [
    ("E001", "王建国", "om-centre", "pos-om-director", None),
    ("E012", "韩雪", "om-centre", "pos-change-manager", None),
    *[s for gid, name, short, category, lead, engineers, plan in GROUPS for s in (
        (lead[0], lead[1], "om-centre", f"pos-{short}-lead", None),
        *[(sid, sname, "vendor-hx" if vendor else "om-centre", f"pos-{short}-engineer", vendor)
          for sid, sname, vendor in engineers])],
    ("F001", "黄海燕", "fgw-xxc", "fgw-officer", None),
    ("C001", "马超", "czj-bgs", "czj-officer", None),
    ("G001", "朱琳", "gaj-kxc", "gaj-officer", None),
    ("W001", "胡军", "wjw-xxzx", "wjw-officer", None),
]

# username, display name, staff, [(role, unit, subtree)]
USERS = [
    ("admin", "系统管理员", None, [("system_admin", "gov", True)]),
    ("wangjg", "王建国", "E001", [("om_centre_director", "gov", True)]),
    ("zhoujie", "周杰", "E009", [("service_desk_agent", "gov", True), ("group_lead", "gov", True)]),
    ("zhangwei", "张伟", "E003", [("engineer", "gov", True)]),
    ("liming", "李明", "E002", [("group_lead", "gov", True)]),
    ("hanxue", "韩雪", "E012", [("group_lead", "gov", True)]),
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


ROSTER_WEEKS = (-1, 0, 1)  # last week (the demo's ticket history), this week and next


def roster_for(week: date, plan) -> list[Shift]:
    day_staff, night_staff = plan
    shifts = []
    for d in range(7 * ROSTER_WEEKS[0], 7 * (ROSTER_WEEKS[-1] + 1)):
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
    for code, name, parent, kind in UNITS:  # the demo government the other services' demos use
        handlers.ensure_org_unit(CreateOrgUnit(code, name, parent, kind), uow(), SYSTEM)
    console.print(f"demo: {len(UNITS)} org units")
    handlers.install_default_roles(uow())
    for unit_id, name, parent in DIVISIONS:
        handlers.ensure_org_unit(CreateOrgUnit(unit_id, name, parent, "division"), uow(), SYSTEM)
    for unit_id, name, parent in VENDOR_UNITS:
        handlers.ensure_org_unit(CreateOrgUnit(unit_id, name, parent, "vendor"), uow(), SYSTEM)
    with uow() as u:
        known_positions = {p.id: sorted(f"{r.kind}:{r.value}" for r in p.responsibilities) for p in u.positions.list()}
        known_staff = {s.id for s in u.staff.list()}
        known_groups = {g.id for g in u.groups.list()}
    for pid, name, unit, parent, duties in POSITIONS:
        if known_positions.get(pid) != sorted(duties):  # new, or a demo seeded before these duties
            duties_ = tuple({"kind": d.split(":")[0], "value": d.split(":")[1]} for d in duties)
            handlers.save_position(c.SavePosition(pid, unit, name, parent, duties_, create=pid not in known_positions),
                                   uow(), SYSTEM)
    start = date.today().replace(month=1, day=1)
    for sid, name, unit, position, vendor in STAFF:
        if sid not in known_staff:
            # demo addresses: `make run` delivers their mail to the local mailbox (docs/notify.md)
            handlers.save_staff(c.SaveStaff(sid, name, unit, vendor, email=f"{sid.lower()}@demo.govops.local"),
                                uow(), SYSTEM)
            handlers.assign_staff(c.AssignStaff(sid, position, start), uow(), SYSTEM)
    week = _week_start(date.today())
    for gid, name, short, _category, lead, engineers, plan in GROUPS:
        if gid not in known_groups:
            handlers.create_support_group(c.CreateSupportGroup(gid, name, "om-centre", f"pos-{short}-lead"),
                                          uow(), SYSTEM)
        for sid in [lead[0], *[e[0] for e in engineers]]:
            handlers.change_group_member(c.ChangeGroupMember(gid, sid, True), uow(), SYSTEM)
        handlers.publish_roster(
            c.PublishRoster(
                gid,
                datetime.combine(week + timedelta(weeks=ROSTER_WEEKS[0]), time(0), LOCAL_TZ),
                datetime.combine(week + timedelta(weeks=ROSTER_WEEKS[-1] + 1), time(0), LOCAL_TZ),
                tuple(roster_for(week, plan)),
            ),
            uow(),
            SYSTEM,
        )
    created = _users(uow, settings)
    engine.dispose()
    console.print(f"demo org: {len(DIVISIONS)} divisions, {len(POSITIONS)} positions, {len(STAFF)} staff, "
                  f"{len(GROUPS)} groups with rosters for three weeks, {len(USERS)} users"
                  + (f" ({created} new; passwords in {_credentials_file()})" if created else ""))


def snapshot() -> dict:
    """org's whole directory, exported to the other services' demo seeds (`govkit.demo.org_snapshot`)
    so they can catch their org directory up before the workers run."""
    engine = make_engine(govconfig.load("org").database_url, pool_size=1)
    try:
        return handlers.snapshot(OrgUnitOfWork(engine))
    finally:
        engine.dispose()


def directory() -> dict:
    """The demo O&M organisation as org-directory snapshot records, from the constants above and
    without a database (exported as `org_demo_directory`): a service's demo seed that runs on its
    own (tests, a single service) knows the same units, positions, staff and groups as org's."""
    start = date.today().replace(month=1, day=1).isoformat()
    units = [*((code, name, parent, kind) for code, name, parent, kind in UNITS),
             *((u, n, p, "division") for u, n, p in DIVISIONS), *((u, n, p, "vendor") for u, n, p in VENDOR_UNITS)]
    return {
        "org_units": [{"org_unit_id": u, "name": n, "parent_id": p, "kind": k} for u, n, p, k in units],
        "positions": [{"position_id": pid, "org_unit_id": unit, "code": pid, "name": name, "parent_position_id": parent,
                       "responsibilities": [{"kind": d.split(":")[0], "value": d.split(":")[1]} for d in duties]}
                      for pid, name, unit, parent, duties in POSITIONS],
        "staff": [{"staff_id": sid, "name": name, "org_unit_id": unit, "vendor_id": vendor}
                  for sid, name, unit, position, vendor in STAFF],
        "staff_positions": [{"staff_id": sid, "position_id": position, "start_date": start, "end_date": None}
                            for sid, name, unit, position, vendor in STAFF],
        "groups": [{"group_id": gid, "code": gid, "name": name, "org_unit_id": "om-centre",
                    "lead_position_id": f"pos-{short}-lead"} for gid, name, short, *_ in GROUPS],
        "group_members": [{"group_id": gid, "staff_id": sid} for gid, _n, _s, _c, lead, engineers, _p in GROUPS
                          for sid in [lead[0], *[e[0] for e in engineers]]],
    }


def _credentials_file():
    return govconfig.demo_credentials_file()


def _users(uow, settings) -> int:
    from govkit.auth import TokenSigner

    security = Security(TokenSigner.from_file(settings.signing_key_file(), issuer=settings.token_issuer,
                                              audience=settings.token_audience))
    lines, created = [], 0
    for username, display, staff_id, grants in USERS:
        password = secrets.token_urlsafe(12)
        try:
            # every demo login has an address (notify mails requesters without a staff record too)
            handlers.create_user(c.CreateUser(username, password, display, staff_id,
                                              email=f"{username}@example.gov.cn"), uow(), SYSTEM, security)
        except AlreadyExists:
            continue
        created += 1
        lines.append(f"{username}\t{password}\t{display}\t{', '.join(r for r, _, _ in grants)}")
        for role, unit, subtree in grants:
            handlers.grant_role(c.GrantRole(username, role, unit, subtree), uow(), SYSTEM)
    if lines:
        # A user created again (a fresh database) replaces its old line: one password per user.
        path = _credentials_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = {line.split("\t", 1)[0] for line in lines}
        kept = [line for line in (path.read_text(encoding="utf-8").splitlines() if path.is_file() else [])
                if line.split("\t", 1)[0] not in fresh]
        path.write_text("\n".join([*kept, *lines]) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return created
