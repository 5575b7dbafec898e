"""The demo seed: a small government with Chinese names and a few tickets. Safe to run again:
units are created only when missing and tickets carry fixed idempotency keys."""

from __future__ import annotations

from . import config as govconfig
from .auth import SYSTEM
from .db import make_engine

UNITS = [
    ("gov", "某市人民政府", None, "government"),
    ("om-centre", "市电子政务运维中心", "gov", "om_centre"),
    ("fgw", "市发展和改革委员会", "gov", "department"),
    ("czj", "市财政局", "gov", "department"),
    ("gaj", "市公安局", "gov", "department"),
    ("wjw", "市卫生健康委员会", "gov", "department"),
]

TICKETS = [
    ("办公楼三层打印机无法连接", "fgw", "infrastructure", "medium"),
    ("财政一体化系统登录缓慢", "czj", "application", "high"),
    ("核心交换机端口告警", "gaj", "infrastructure", "critical"),
    ("人口健康信息平台数据同步失败", "wjw", "information_resource", "high"),
    ("申请开通政务外网VPN账号", "fgw", "infrastructure", "low"),
]


def seed(console) -> None:
    from org.adapters.uow import OrgUnitOfWork
    from org.domain.model import CreateOrgUnit
    from org.handlers import ensure_org_unit
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.domain.commands import CreateTicket
    from ticket.handlers import create_ticket

    org_engine = make_engine(govconfig.load("org").database_url, pool_size=1)
    for code, name, parent, kind in UNITS:
        ensure_org_unit(CreateOrgUnit(code, name, parent, kind), OrgUnitOfWork(org_engine), SYSTEM)
    org_engine.dispose()

    ticket_engine = make_engine(govconfig.load("ticket").database_url, pool_size=1)
    fresh = 0
    for i, (title, dept, category, priority) in enumerate(TICKETS, 1):
        result = create_ticket(CreateTicket(title, "演示数据", dept, category, priority, f"demo-{i}"),
                               TicketUnitOfWork(ticket_engine), SYSTEM)
        fresh += not result.replayed
    ticket_engine.dispose()
    console.print(f"demo: {len(UNITS)} org units, {len(TICKETS)} tickets ({fresh} new)")
    _seed_services(console)


def _seed_services(console) -> None:
    """A service may seed its own demo data as `<svc>/demo.py` exposing `seed(console)`; each
    runs after the org units above exist, in service order, and must be safe to repeat."""
    import importlib

    for svc in govconfig.SERVICES:
        try:
            module = importlib.import_module(f"{svc}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{svc}.demo":
                raise
            continue
        module.seed(console)
