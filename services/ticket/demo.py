"""Demo seed for the process platform: the default catalogue, an O&M-centre org directory
(网络组/数据库组/应用组… with 工程师 → 组长 → 运维中心主任 and today's roster — written straight into
ticket's org directory because org does not publish groups and rosters yet) and a week of
tickets across the demo departments. Safe to repeat (fixed idempotency keys)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from govkit import config as govconfig
from govkit.auth import SYSTEM
from govkit.db import make_engine
from govkit.orgdir import OrgDirectory

GROUPS = [  # group id, name, engineer position, lead position, staff (id, name)
    ("grp-network", "网络组", "pos-net-engineer", "pos-net-lead", [("s-wang", "王强"), ("s-li", "李娜")]),
    ("grp-database", "数据库组", "pos-db-engineer", "pos-db-lead", [("s-zhou", "周杰")]),
    ("grp-application", "应用组", "pos-app-engineer", "pos-app-lead", [("s-sun", "孙丽"), ("s-wu", "吴磊")]),
    ("grp-host", "主机组", "pos-host-engineer", "pos-host-lead", [("s-zheng", "郑浩")]),
    ("grp-desktop", "桌面终端组", "pos-desk-engineer", "pos-desk-lead", [("s-feng", "冯敏")]),
    ("grp-security", "安全组", "pos-sec-engineer", "pos-sec-lead", [("s-chu", "褚云")]),
    ("grp-facility", "机房组", "pos-fac-engineer", "pos-fac-lead", [("s-wei", "卫东")]),
    ("grp-data", "数据资源组", "pos-data-engineer", "pos-data-lead", [("s-jiang", "蒋文")]),
]

WEEK = [  # (days ago, catalogue item, title, department, form)
    (6, "infra.host.printer", "办公楼三层打印机无法连接", "fgw", {"location": "三层东侧"}),
    (6, "app.account", "申请财政一体化系统账号", "czj", {"system": "财政一体化系统", "account_name": "liuyang"}),
    (5, "infra.network.fault", "政务外网访问缓慢", "gaj", {"location": "指挥中心", "affected_users": 40}),
    (5, "infra.database.performance", "人口库查询超时", "wjw", {"instance": "pop-db-01"}),
    (4, "info.share", "申请共享企业登记数据", "fgw", {"resource": "企业登记信息", "purpose": "项目审批核验"}),
    (4, "infra.facility.hvac-ups", "二号机房空调告警", "om-centre", {"room": "二号机房", "temperature_c": 31}),
    (3, "app.fault", "网上办事大厅提交失败", "gov", {"system": "网上办事大厅"}),
    (3, "infra.security.incident", "门户网站疑似被篡改", "gov", {"event_kind": "网页篡改", "system": "政府门户网站"}),
    (2, "info.catalogue-update", "更新卫健信息资源目录", "wjw", {"resource": "医疗机构目录"}),
    (2, "infra.host.server-down", "预算系统应用服务器宕机", "czj", {"hostname": "budget-app-02"}),
    (1, "infra.storage.expand", "档案系统存储扩容", "gaj", {"size_gb": 500, "system": "电子档案系统"}),
    (0, "infra.network.fault", "会议室无线网络中断", "fgw", {"location": "五楼会议室"}),
]

ARTICLES = [
    ("打印机无法连接的处理办法", "1. 检查打印机电源与网线；2. 在电脑上重新添加网络打印机；3. 重启打印服务（Print Spooler）。",
     ["infra.host.printer"]),
    ("政务外网访问缓慢排查步骤", "检查终端IP配置与DNS，确认接入交换机端口无错包，必要时联系网络组。", ["infra.network.fault"]),
]


def seed_org_directory(conn, now: datetime) -> None:
    d = OrgDirectory(conn)
    d.apply("org_unit_created", {"org_unit_id": "om-centre", "name": "市电子政务运维中心", "parent_id": "gov",
                                 "kind": "om_centre"})
    d.apply("position_created", {"position_id": "pos-om-director", "org_unit_id": "om-centre", "code": "director",
                                 "name": "运维中心主任", "parent_position_id": None,
                                 "responsibilities": [{"kind": "approval", "value": "change"}]})
    d.apply("position_created", {"position_id": "pos-change-manager", "org_unit_id": "om-centre", "code": "cm",
                                 "name": "变更经理", "parent_position_id": "pos-om-director",
                                 "responsibilities": [{"kind": "approval", "value": "change"}]})
    d.apply("staff_created", {"staff_id": "s-chen", "name": "陈主任", "org_unit_id": "om-centre"})
    d.apply("staff_assigned", {"staff_id": "s-chen", "position_id": "pos-om-director", "org_unit_id": "om-centre",
                               "start_date": "2026-01-01"})
    d.apply("staff_created", {"staff_id": "s-han", "name": "韩变更", "org_unit_id": "om-centre"})
    d.apply("staff_assigned", {"staff_id": "s-han", "position_id": "pos-change-manager", "org_unit_id": "om-centre",
                               "start_date": "2026-01-01"})
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for gid, name, eng, lead, members in GROUPS:
        d.apply("position_created", {"position_id": lead, "org_unit_id": "om-centre", "code": lead, "name": f"{name}组长",
                                     "parent_position_id": "pos-om-director", "responsibilities": []})
        d.apply("position_created", {"position_id": eng, "org_unit_id": "om-centre", "code": eng, "name": f"{name}工程师",
                                     "parent_position_id": lead, "responsibilities": []})
        d.apply("group_created", {"group_id": gid, "code": gid[4:], "name": name, "org_unit_id": "om-centre",
                                  "lead_position_id": lead})
        lead_id = f"{members[0][0]}-lead"
        d.apply("staff_created", {"staff_id": lead_id, "name": f"{name}组长", "org_unit_id": "om-centre"})
        d.apply("staff_assigned", {"staff_id": lead_id, "position_id": lead, "org_unit_id": "om-centre",
                                   "start_date": "2026-01-01"})
        for sid, sname in members:
            d.apply("staff_created", {"staff_id": sid, "name": sname, "org_unit_id": "om-centre"})
            d.apply("staff_assigned", {"staff_id": sid, "position_id": eng, "org_unit_id": "om-centre",
                                       "start_date": "2026-01-01"})
            d.apply("group_member_added", {"group_id": gid, "staff_id": sid, "org_unit_id": "om-centre"})
        d.apply("roster_published", {"group_id": gid, "org_unit_id": "om-centre",
                                     "period_start": (day - timedelta(days=7)).isoformat(),
                                     "period_end": (day + timedelta(days=7)).isoformat(),
                                     "shifts": [{"staff_id": members[(i % len(members))][0],
                                                 "starts_at": (day + timedelta(days=i)).isoformat(),
                                                 "ends_at": (day + timedelta(days=i + 1)).isoformat()}
                                                for i in range(-7, 7)]})


def seed(console) -> None:
    from . import handlers
    from .adapters.uow import TicketUnitOfWork
    from .domain.commands import CreateTicket

    engine = make_engine(govconfig.load("ticket").database_url, pool_size=1)
    now = datetime.now(timezone.utc)
    handlers.ensure_defaults(TicketUnitOfWork(engine))
    with engine.begin() as conn:
        seed_org_directory(conn, now)
    fresh = 0
    for i, (ago, item, title, dept, form) in enumerate(WEEK, 1):
        r = handlers.create_ticket(CreateTicket(title=title, description="演示数据", department=dept,
                                                catalogue_item_id=item, form=form, channel="request_window",
                                                idempotency_key=f"demo-week-{i}"),
                                   TicketUnitOfWork(engine), SYSTEM, now=now - timedelta(days=ago, hours=i % 5))
        fresh += not r.replayed
    with TicketUnitOfWork(engine) as uow:
        have = {a.title for a in uow.articles.search("打印机 网络 外网", statuses=("published",), limit=50)}
    for title, body, items in ARTICLES:
        if title not in have:
            a = handlers.create_article(title, body, items, None, TicketUnitOfWork(engine), SYSTEM)
            handlers.revise_article(a.id, "", "", "publish", TicketUnitOfWork(engine), SYSTEM)
    engine.dispose()
    console.print(f"ticket demo: catalogue, {len(GROUPS)} support groups with rosters, {len(WEEK)} tickets "
                  f"({fresh} new) over the past week, {len(ARTICLES)} knowledge articles")
