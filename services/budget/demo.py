"""Budget demo seed: a few hundred assets across the demo departments, the sample quota standard
(approved, clearly labelled as a sample), and the compiled and approved 2026 and 2027 budgets of
the whole government (gov with its subtree). Separation of duties as in a real office: the
administrator drafts the standard and the O&M centre director (wangjg) compiles and submits the
budgets; the finance reviewer (finance) approves the standard and reviews and approves the
budgets. Safe to run again: assets have fixed codes, the standard and the budgets are created
only when missing."""

from __future__ import annotations

import csv
import io
import random

from govkit import config as govconfig
from govkit.auth import SYSTEM, Principal, Scope
from govkit.db import make_engine

from . import handlers
from .adapters.uow import BudgetUnitOfWork
from .domain.commands import ApproveStandard, ChangeBudgetState, CompileBudget, CreateStandard, ImportAssets
from .domain.sample import SAMPLE_CODE, SAMPLE_NAME, SAMPLE_NOTE, SAMPLE_REGION, sample_body

# Same tree as govkit.demo (org publishes it too; the seed writes the read model directly so the
# demo works before budget-worker has consumed org's events).
UNITS = [("gov", "某市人民政府", None), ("om-centre", "市电子政务运维中心", "gov"),
         ("fgw", "市发展和改革委员会", "gov"),
         ("czj", "市财政局", "gov"), ("gaj", "市公安局", "gov"), ("wjw", "市卫生健康委员会", "gov")]
DEPARTMENTS = ("om-centre", "fgw", "czj", "gaj", "wjw")
# kind, name, brands/models, value range (yuan), quantity range, per department
CATALOGUE = [
    ("server", "PC服务器", ["浪潮 NF5280M6", "华为 FusionServer 2288H", "联想 SR650"], (45_000, 180_000), (1, 4), 14),
    ("storage", "存储阵列", ["华为 OceanStor 5310", "浪潮 AS5300"], (200_000, 900_000), (1, 1), 3),
    ("network_core", "核心交换机", ["华为 CE12804", "新华三 S12508"], (300_000, 1_200_000), (1, 2), 2),
    ("network_access", "接入交换机", ["华为 S5735", "锐捷 RG-S2910"], (4_000, 15_000), (2, 20), 10),
    ("security_device", "下一代防火墙", ["深信服 AF-1000", "奇安信 NSG5000", "天融信 NGFW4000"],
     (60_000, 400_000), (1, 2), 5),
    ("machine_room", "机房", ["模块化机房"], (800_000, 2_500_000), (1, 1), 1),
    ("ups", "UPS不间断电源", ["山特 3C3 Pro", "华为 UPS5000"], (80_000, 300_000), (1, 2), 2),
    ("air_conditioning", "精密空调", ["艾默生 Liebert PEX", "佳力图 M40"], (120_000, 350_000), (1, 3), 2),
    ("fire_suppression", "气体灭火系统", ["七氟丙烷灭火系统"], (90_000, 250_000), (1, 1), 1),
    ("database", "数据库", ["达梦 DM8", "人大金仓 KingbaseES", "Oracle 19c"], (80_000, 600_000), (1, 2), 3),
    ("middleware", "中间件", ["东方通 TongWeb", "金蝶 Apusic"], (30_000, 150_000), (1, 2), 2),
    ("os_office_software", "操作系统/办公软件", ["统信 UOS", "麒麟 V10", "WPS 专业版"], (20_000, 200_000),
     (10, 200), 3),
    ("virtualisation", "虚拟化平台", ["华为 FusionCompute", "VMware vSphere"], (100_000, 500_000), (1, 1), 1),
    ("security_software", "安全软件", ["终端安全管理系统", "数据库审计系统"], (50_000, 300_000), (1, 1), 3),
    ("application_simple", "业务系统（简单）", ["OA协同办公", "网站群", "档案管理"], (200_000, 800_000), (1, 1), 4),
    ("application_complex", "业务系统（复杂）", ["审批平台", "财政一体化系统", "警务综合平台", "全民健康信息平台"],
     (1_500_000, 8_000_000), (1, 1), 2),
    ("information_resource", "信息资源", ["人口库", "法人库", "电子证照库"], (100_000, 1_000_000), (1, 1), 2),
]
YEARS = (2026, 2027)  # this year's budget (spent against) and next year's (just approved)
YEAR = YEARS[-1]
# The demo's people (services/org/demo.py USERS): who prepares and who approves.
ADMIN = Principal("admin", "系统管理员", ("system_admin",), frozenset({"*"}), Scope(None))
PREPARER = Principal("wangjg", "王建国", ("om_centre_director",), frozenset({"*"}), Scope(None))
FINANCE = Principal("finance", "财务审核", ("finance_reviewer",), frozenset({"*"}), Scope(None))


def demo_assets_csv() -> bytes:
    rnd = random.Random(2027)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["资产编号", "名称", "类别", "所属部门", "位置", "品牌", "型号", "购置日期", "原值", "数量", "等保级别",
                "支持方式", "状态", "响应要求", "用户规模"])
    for dept in DEPARTMENTS:
        for kind, name, models, (lo, hi), (qlo, qhi), per_dept in CATALOGUE:
            for n in range(1, per_dept + 1):
                brand, _, model = rnd.choice(models).partition(" ")
                w.writerow([f"DEMO-{dept}-{kind}-{n:02d}", f"{name}{n:02d}", kind, dept,
                            rnd.choice(["政务云机房A区", "政务云机房B区", "办公楼三层弱电间", "灾备中心"]), brand,
                            model or brand, f"{rnd.randint(2018, 2025)}-{rnd.randint(1, 12):02d}-15",
                            f"{rnd.randint(lo // 100, hi // 100) * 100}.00", rnd.randint(qlo, qhi),
                            rnd.choice([2, 2, 3, 3, 4]) if dept == "gaj" else rnd.choice([2, 2, 3]),
                            rnd.choice(["现场", "现场", "远程"]), "在用" if rnd.random() > 0.05 else "备用",
                            "7x24" if kind.startswith(("application_complex", "network_core", "database"))
                            else "5x8", rnd.choice(["small", "medium", "medium", "large"])])
    return out.getvalue().encode("utf-8")


def seed(console) -> None:
    engine = make_engine(govconfig.load("budget").database_url, pool_size=1)
    try:
        uow = lambda: BudgetUnitOfWork(engine)  # noqa: E731
        handlers.upsert_org_units(UNITS, uow())

        data = demo_assets_csv()
        rows = list(csv.reader(io.StringIO(data.decode())))
        with uow() as u:
            taken = u.assets.codes_taken(r[0] for r in rows[1:])
        fresh_rows = [rows[0]] + [r for r in rows[1:] if r[0] not in taken]
        imported = 0
        if len(fresh_rows) > 1:
            buf = io.StringIO()
            csv.writer(buf).writerows(fresh_rows)
            imported = handlers.import_assets(ImportAssets(buf.getvalue().encode(), "csv"), uow(), SYSTEM)

        with uow() as u:
            standard = u.standards.by_code(SAMPLE_CODE)
        if standard is None:
            standard = handlers.create_standard(CreateStandard(
                SAMPLE_CODE, SAMPLE_NAME, "2026-01-01", "", sample_body(), SAMPLE_REGION, SAMPLE_NOTE), uow(), ADMIN)
        if standard.state != "approved":
            standard = handlers.approve_standard(ApproveStandard(standard.id, "演示：样例标准"), uow(), FINANCE)

        shown = []
        for year in YEARS:
            with uow() as u:
                budget = u.budgets.by_unit_year("gov", year)
            if budget is None:
                budget = handlers.compile_budget(CompileBudget("gov", year, standard.id, include_subtree=True,
                                                               comment=f"演示：全市{year}年运维经费预算"),
                                                 uow(), PREPARER).budget
            for action, state, comment, who in (("submit", "draft", "提请审核", PREPARER),
                                                ("review", "submitted", "测算依据充分，同意", FINANCE),
                                                ("approve", "reviewed", "同意", FINANCE)):
                if budget.state == state:
                    budget = handlers.change_budget_state(ChangeBudgetState(budget.id, action, comment), uow(), who)
            shown.append(f"{year} {budget.total} 元 ({budget.state})")
        console.print(f"demo budget: {len(rows) - 1} assets ({imported} new), standard {standard.code} "
                      f"v{standard.version} (sample), budgets of gov: {'; '.join(shown)}")
    finally:
        engine.dispose()


def deliver(envelope: dict) -> list[dict]:
    """Demo helper for outsource's seed (govkit.demo.export("budget_deliver")): hand budget one of
    outsource's events as its worker would (same consumer, same inbox — the worker later sees the
    envelope as a duplicate) and return budget's answer events (outbox envelopes naming the same
    contract), so the seed shows a contract reserving budget before the workers run."""
    import sqlalchemy as sa

    from govkit.events import Envelope

    env = Envelope.from_dict(envelope)
    consumers = {"contract_signed": handlers.on_contract_signed, "payment_recorded": handlers.on_payment_recorded}
    engine = make_engine(govconfig.load("budget").database_url, pool_size=1)
    try:
        consumers[env.type.split(".")[2]](env, BudgetUnitOfWork(engine))
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT envelope FROM outbox WHERE type LIKE 'govops.budget.commitment_%' "
                                        "AND envelope->'data'->>'contract_id' = :c ORDER BY seq"),
                                {"c": env.data.get("contract_id", "")}).scalars().all()
        return list(rows)
    finally:
        engine.dispose()
