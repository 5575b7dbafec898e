"""Demo seed for the process platform: the default catalogue, ticket's org directory caught up
from org's snapshot (org's demo creates the groups the catalogue routes to: 网络组, 数据库组,
应用组 … with 工程师 → 组长 → 运维中心主任 and rosters) and a week of tickets across the demo
departments, routed to whoever was on duty; a normal change of fgw approved by fgw's change officer then
the CAB, in that order, and an emergency change approved by an emergency CAB member with its
retrospective review pending. Safe to repeat (fixed idempotency keys)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from govkit import config as govconfig
from govkit.auth import SYSTEM
from govkit.db import make_engine
from govkit.demo import org_snapshot
from govkit.orgdir import OrgDirectory

WEEK: list[tuple[int, str, str, str, dict]] = [  # (days ago, catalogue item, title, org_unit_id, form)
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
    (
        "打印机无法连接的处理办法",
        "1. 检查打印机电源与网线；2. 在电脑上重新添加网络打印机；3. 重启打印服务（Print Spooler）。",
        ["infra.host.printer"],
    ),
    (
        "政务外网访问缓慢排查步骤",
        "检查终端IP配置与DNS，确认接入交换机端口无错包，必要时联系网络组。",
        ["infra.network.fault"],
    ),
]


# Changes approved by the right people (the org demo's positions): fgw's information division asks;
# fgw's change officer 黄海燕 (F001) approves for the department, then the change manager 韩雪 (E012)
# for the CAB. The emergency change is decided by one emergency CAB member, 运维中心主任 王建国
# (E001), and owes the CAB a retrospective review.
# key, title, org unit, RFC, [(staff id, username, comment)] in the order they decide
CHANGES: list[tuple[str, str, str, dict, list[tuple[str, str, str]]]] = [
    ("demo-change-1", "信息化处政务外网防火墙策略调整", "fgw-xxc",
     {"risk": "medium", "plan": "新增项目审批系统至数据共享平台的访问策略", "rollback_plan": "删除新增策略",
      "ci_ids": ["fw-egov-01"]},
     [("F001", "huanghy", "业务确认：项目审批核验需要"), ("E012", "hanxue", "CAB 同意，周四晚窗口实施")]),
    ("demo-change-2", "核心交换机紧急漏洞补丁", "om-centre",
     {"risk": "high", "plan": "安装厂商紧急补丁", "rollback_plan": "回退到上一固件", "change_type": "emergency",
      "ci_ids": ["sw-core-01"]},
     [("E001", "wangjg", "紧急变更，同意立即实施")]),
]


def _approver(staff_id: str, username: str):
    from govkit.auth import Principal, Scope

    return Principal(username, username, (), frozenset({"ticket.approve_change", "ticket.read"}), Scope(None),
                     claims={"staff_id": staff_id})


def _seed_changes(engine, now) -> int:
    """The demo's changes, submitted and decided by their approvers; only once (fixed keys)."""
    from .adapters.uow import TicketUnitOfWork
    from .domain.commands import CreateTicket, DecideChange, SubmitChange
    from .handlers import changes, tickets

    fresh = 0
    for key, title, org_unit_id, rfc, decisions in CHANGES:
        r = tickets.create_ticket(CreateTicket(title=title, description="演示数据", org_unit_id=org_unit_id,
                                                category="infrastructure", priority="high", ticket_type="change",
                                                details=rfc, channel="operations_window", idempotency_key=key),
                                   TicketUnitOfWork(engine), SYSTEM, now=now)
        if r.replayed:
            continue
        fresh += 1
        changes.submit_change(SubmitChange(r.ticket.id), TicketUnitOfWork(engine), SYSTEM, now=now)
        for i, (staff_id, username, comment) in enumerate(decisions, 1):
            changes.decide_change(DecideChange(r.ticket.id, True, comment), TicketUnitOfWork(engine),
                                  _approver(staff_id, username), now=now + timedelta(minutes=10 * i))
    return fresh


def seed(console) -> None:
    from .adapters.uow import TicketUnitOfWork
    from .domain.commands import CreateArticle, CreateTicket, EnsureDefaults, ReviseArticle
    from .handlers import catalogue, knowledge, tickets

    engine = make_engine(govconfig.load("ticket").database_url, pool_size=1)
    now = datetime.now(UTC)
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    with engine.begin() as conn:
        # Catch ticket's org directory up with org (its worker would, from org's events, once it runs).
        OrgDirectory(conn).load_snapshot(org_snapshot())
    fresh = 0
    for i, (ago, item, title, org_unit_id, form) in enumerate(WEEK, 1):
        r = tickets.create_ticket(CreateTicket(title=title, description="演示数据", org_unit_id=org_unit_id,
                                                catalogue_item_id=item, form=form, channel="request_window",
                                                idempotency_key=f"demo-week-{i}"),
                                   TicketUnitOfWork(engine), SYSTEM, now=now - timedelta(days=ago, hours=i % 5))
        fresh += not r.replayed
    fresh_changes = _seed_changes(engine, now - timedelta(hours=2))
    with TicketUnitOfWork(engine) as uow:
        have = {a.title for a in uow.articles.search("打印机 网络 外网", statuses=("published",), limit=50)}
    for title, body, items in ARTICLES:
        if title not in have:
            a = knowledge.create_article(CreateArticle(title, body, tuple(items)), TicketUnitOfWork(engine), SYSTEM)
            knowledge.revise_article(ReviseArticle(a.id, action="publish"), TicketUnitOfWork(engine), SYSTEM)
    engine.dispose()
    console.print(f"ticket demo: catalogue, org directory from org's snapshot, {len(WEEK)} tickets "
                  f"({fresh} new) over the past week, {len(CHANGES)} changes ({fresh_changes} new; "
                  f"fgw's approved by its officer, then the CAB), {len(ARTICLES)} knowledge articles")
