"""The nine-grid evaluation model (信息化绩效管理九宫格): versioned, validated, scored.

Three levels (organisation, process, individual execution) × three dimensions (goals, design,
management) after Rummler–Brache. Each indicator sits in one cell and is either a live KPI, a
formula over KPIs (formula.py, never `eval`) or a manually scored qualitative indicator with
evidence. Rules (docs/evaluation-model.md):

* indicator weights within each level sum to 100; the three level weights sum to 100;
* all three levels must have indicators;
* linear scoring: 60 at the baseline, 100 at (or beyond) the target, linear in between, and
  falling linearly from 60 to 0 over one more baseline→target span on the wrong side;
  banded: the best band whose bound the actual meets; pass_fail: 100 if the target is met else
  0; direct: the value itself (0–100, for manual scores);
* an indicator without data (no events, or a formula dividing by zero) is "no data": it is
  left out and the other weights of its cell and level are renormalised, and the report says so.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field

from govkit.errors import Validator

from . import formula as formula_mod
from .kpis import KPI_NAMES, PROCESSES

LEVELS = ("organization", "process", "individual")
DIMENSIONS = ("goals", "design", "management")
LEVEL_NAMES = {"organization": "组织层", "process": "流程层", "individual": "个人执行层"}
DIMENSION_NAMES = {"goals": "目标", "design": "设计", "management": "管理"}
KINDS = ("kpi", "formula", "manual")
DIRECTIONS = ("higher_better", "lower_better")
RULES = ("linear", "banded", "pass_fail", "direct")
AGGREGATES = ("mean", "min", "max", "balance")
ACCOUNTABILITY_LEVELS = ("reminder", "formal_talk", "notice_of_criticism", "referral")
MANUAL_MAX = 100.0
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_POSITION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")  # an org position id, not a title
# Who can be an evaluation object (plan.py): the O&M organisation's units, processes, staff,
# support groups and vendors — and customer departments, only on the indicators they own.
OBJECT_KINDS = ("org_unit", "process", "person", "group", "vendor", "department")
OM_OBJECT_KINDS = ("org_unit", "process", "person", "group", "vendor")


@dataclass(frozen=True)
class Band:
    bound: float
    score: float


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    level: str
    dimension: str
    kind: str
    direction: str = "higher_better"
    unit: str = ""
    baseline: float = 0.0
    target: float = 100.0
    weight: float = 0.0
    rule: str = "linear"
    kpi: str = ""
    formula: str = ""
    process: str = ""          # process level: which process (empty = all processes of the unit)
    aggregate: str = ""        # individual level: over the unit's staff (mean|min|max|balance)
    bands: tuple[Band, ...] = ()
    owner_position: str = ""   # an org position id that answers for a rectification (empty: by object, owners.py)
    description: str = ""
    # Which object kinds the indicator applies to (validated when a plan is created): the O&M
    # organisation's by default; customer departments only for indicators they own.
    applies_to: tuple[str, ...] = OM_OBJECT_KINDS

    @property
    def cell(self) -> str:
        return f"{self.level}.{self.dimension}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bands"] = [asdict(b) for b in self.bands]
        d["applies_to"] = list(self.applies_to)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Indicator:
        d = dict(d)
        d["bands"] = tuple(Band(float(b["bound"]), float(b["score"])) for b in d.get("bands") or ())
        d["applies_to"] = tuple(d.get("applies_to") or OM_OBJECT_KINDS)
        for k in ("baseline", "target", "weight"):
            if k in d and d[k] is not None:
                d[k] = float(d[k])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class AccountabilityRules:
    """When an open rectification or a lasting shortfall becomes an accountability record."""

    rectification_days: int = 30
    overdue_days: dict = field(default_factory=lambda: {
        "reminder": 1, "formal_talk": 15, "notice_of_criticism": 30, "referral": 60})
    periods_below: dict = field(default_factory=lambda: {
        "reminder": 2, "formal_talk": 3, "notice_of_criticism": 4, "referral": 6})

    def due(self, days_overdue: int, periods_below: int) -> list[tuple[str, str]]:
        """(level, reason) pairs due now, mildest first."""
        out = []
        for level in ACCOUNTABILITY_LEVELS:
            d, p = self.overdue_days.get(level), self.periods_below.get(level)
            if d is not None and days_overdue >= d:
                out.append((level, f"整改逾期{days_overdue}天"))
            elif p is not None and periods_below >= p:
                out.append((level, f"连续{periods_below}个评价周期低于基线"))
        return out


@dataclass(frozen=True)
class Model:
    code: str
    name: str
    indicators: tuple[Indicator, ...]
    level_weights: dict
    version: int = 0
    description: str = ""
    accountability: AccountabilityRules = field(default_factory=AccountabilityRules)

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "version": self.version,
                "description": self.description, "level_weights": dict(self.level_weights),
                "indicators": [i.to_dict() for i in self.indicators],
                "accountability": asdict(self.accountability)}

    @classmethod
    def from_dict(cls, d: dict) -> Model:
        acc = d.get("accountability") or {}
        return cls(code=d["code"], name=d["name"], version=int(d.get("version") or 0),
                   description=d.get("description", ""),
                   level_weights={k: float(v) for k, v in (d.get("level_weights") or {}).items()},
                   indicators=tuple(Indicator.from_dict(i) for i in d.get("indicators", [])),
                   accountability=AccountabilityRules(**acc) if acc else AccountabilityRules())

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


def validate(model: Model, prefix: str = "model") -> None:
    """Raise InvalidArgument naming every bad field (e.g. `model.indicators[3].weight`)."""
    v = Validator()
    if not _CODE.match(model.code or ""):
        v.fail(f"{prefix}.code", "must be lower-case letters, digits and _ (start with a letter)")
    v.text(f"{prefix}.name", model.name, max_len=200)
    lw = model.level_weights or {}
    if set(lw) != set(LEVELS):
        v.fail(f"{prefix}.level_weights", f"must give a weight for each of {', '.join(LEVELS)}")
    elif any(w <= 0 for w in lw.values()) or abs(sum(lw.values()) - 100) > 1e-6:
        v.fail(f"{prefix}.level_weights", f"must be positive and sum to 100 (got {sum(lw.values()):g})")
    if not model.indicators:
        v.fail(f"{prefix}.indicators", "must not be empty")
    seen: set[str] = set()
    per_level: dict[str, float] = {}       # indicators for the O&M organisation's objects
    dept_per_level: dict[str, float] = {}  # indicators only customer departments answer for
    for n, ind in enumerate(model.indicators):
        p = f"{prefix}.indicators[{n}]"
        if not _CODE.match(ind.code or ""):
            v.fail(f"{p}.code", "must be lower-case letters, digits and _ (start with a letter)")
        elif ind.code in seen:
            v.fail(f"{p}.code", f"duplicate indicator code {ind.code!r}")
        seen.add(ind.code)
        v.text(f"{p}.name", ind.name, max_len=200)
        if ind.level not in LEVELS:
            v.fail(f"{p}.level", f"must be one of {', '.join(LEVELS)}")
        if ind.dimension not in DIMENSIONS:
            v.fail(f"{p}.dimension", f"must be one of {', '.join(DIMENSIONS)}")
        if ind.direction not in DIRECTIONS:
            v.fail(f"{p}.direction", f"must be one of {', '.join(DIRECTIONS)}")
        if ind.rule not in RULES:
            v.fail(f"{p}.rule", f"must be one of {', '.join(RULES)}")
        if not ind.weight > 0:
            v.fail(f"{p}.weight", "must be greater than 0")
        bad_kinds = [k for k in ind.applies_to if k not in OBJECT_KINDS]
        if not ind.applies_to or bad_kinds:
            v.fail(f"{p}.applies_to", f"object kinds, some of {', '.join(OBJECT_KINDS)}")
        if ind.owner_position and not _POSITION_ID.match(ind.owner_position):
            v.fail(f"{p}.owner_position", "an org position id (e.g. pos-om-director), not a title; "
                                          "empty: the evaluated object's responsible position")
        if ind.level in LEVELS:
            if set(ind.applies_to) & set(OM_OBJECT_KINDS):
                per_level[ind.level] = per_level.get(ind.level, 0.0) + ind.weight
            else:
                dept_per_level[ind.level] = dept_per_level.get(ind.level, 0.0) + ind.weight
        if ind.kind == "kpi":
            if ind.kpi not in KPI_NAMES:
                v.fail(f"{p}.kpi", f"unknown KPI {ind.kpi!r}")
        elif ind.kind == "formula":
            try:
                formula_mod.parse(ind.formula, frozenset(KPI_NAMES))
            except formula_mod.FormulaError as exc:
                v.fail(f"{p}.formula", str(exc))
        elif ind.kind == "manual":
            for k in ("baseline", "target"):
                if not 0 <= getattr(ind, k) <= MANUAL_MAX:
                    v.fail(f"{p}.{k}", f"a manual score lies between 0 and {MANUAL_MAX:g}")
        else:
            v.fail(f"{p}.kind", f"must be one of {', '.join(KINDS)}")
        if ind.process and (ind.level != "process" or ind.process not in PROCESSES):
            v.fail(f"{p}.process", f"only at the process level, one of {', '.join(PROCESSES)}")
        if ind.aggregate and (ind.level != "individual" or ind.aggregate not in AGGREGATES):
            v.fail(f"{p}.aggregate", f"only at the individual level, one of {', '.join(AGGREGATES)}")
        if ind.rule in ("linear", "pass_fail"):
            if ind.direction == "higher_better" and not ind.target > ind.baseline:
                v.fail(f"{p}.target", "must be above the baseline when higher is better")
            if ind.direction == "lower_better" and not ind.target < ind.baseline:
                v.fail(f"{p}.target", "must be below the baseline when lower is better")
        if ind.rule == "banded":
            if not ind.bands:
                v.fail(f"{p}.bands", "a banded rule needs at least one band")
            for b in ind.bands:
                if not 0 <= b.score <= 100:
                    v.fail(f"{p}.bands", "band scores lie between 0 and 100")
                    break
    for level in LEVELS:
        if level not in per_level:
            v.fail(f"{prefix}.indicators", f"level {level} ({LEVEL_NAMES[level]}) has no indicator")
        elif abs(per_level[level] - 100) > 1e-6:
            v.fail(f"{prefix}.indicators", f"weights of level {level} must sum to 100 (got {per_level[level]:g})")
        if level in dept_per_level and abs(dept_per_level[level] - 100) > 1e-6:
            v.fail(f"{prefix}.indicators", f"weights of the customer-department indicators of level {level} "
                                           f"must sum to 100 (got {dept_per_level[level]:g})")
    v.check()


# ---- scoring -----------------------------------------------------------------------------
def meets(ind: Indicator, actual: float, bound: float) -> bool:
    return actual >= bound if ind.direction == "higher_better" else actual <= bound


def score(ind: Indicator, actual: float | None) -> float | None:
    if actual is None:
        return None
    if ind.rule == "direct":
        return max(0.0, min(100.0, actual))
    if ind.rule == "pass_fail":
        return 100.0 if meets(ind, actual, ind.target) else 0.0
    if ind.rule == "banded":
        hits = [b.score for b in ind.bands if meets(ind, actual, b.bound)]
        return max(hits) if hits else 0.0
    span = ind.target - ind.baseline
    progress = (actual - ind.baseline) / span
    if progress >= 1:
        return 100.0
    if progress >= 0:
        return round(60 + 40 * progress, 4)
    return round(max(0.0, 60 + 60 * progress), 4)


def below_baseline(ind: Indicator, actual: float | None) -> bool:
    if actual is None:
        return False
    return actual < ind.baseline if ind.direction == "higher_better" else actual > ind.baseline


def aggregate(kind: str, values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    if kind == "min":
        return min(values)
    if kind == "max":
        return max(values)
    if kind == "balance":
        # 100 × (1 − coefficient of variation): 100 = perfectly even workload.
        if len(values) < 2:
            return None
        mean = statistics.fmean(values)
        if mean == 0:
            return None
        return max(0.0, min(100.0, 100 * (1 - statistics.pstdev(values) / mean)))
    return statistics.fmean(values)


def indicator_value(ind: Indicator, kpi_values: dict[str, float]) -> float | None:
    if ind.kind == "kpi":
        return kpi_values.get(ind.kpi)
    if ind.kind == "formula":
        return formula_mod.evaluate(formula_mod.parse(ind.formula, frozenset(KPI_NAMES)), kpi_values)
    return None


def weighted(pairs: list[tuple[float, float | None]]) -> float | None:
    got = [(w, s) for w, s in pairs if s is not None]
    total = sum(w for w, _ in got)
    return round(sum(w * s for w, s in got) / total, 4) if total else None


# ---- the default model -------------------------------------------------------------------
def _i(code, name, level, dimension, kind, weight, baseline, target, *, direction="higher_better",
       unit="%", rule="linear", kpi="", formula="", aggregate="", owner="", description="",
       bands=(), applies_to=OM_OBJECT_KINDS):
    return Indicator(code=code, name=name, level=level, dimension=dimension, kind=kind, weight=weight,
                     baseline=baseline, target=target, direction=direction, unit=unit, rule=rule,
                     kpi=kpi, formula=formula, aggregate=aggregate, owner_position=owner,
                     description=description, bands=tuple(Band(*b) for b in bands), applies_to=tuple(applies_to))


DEFAULT_MODEL = Model(
    code="ninegrid_default",
    name="电子政务运维绩效评价九宫格（默认模型）",
    description="按组织层、流程层、个人执行层 × 目标、设计、管理九个方面设置指标，参照ITIL实践。"
                "评价对象为运维中心及其运维组、人员和服务商；用户部门只按其自身应尽的配合义务评价。",
    level_weights={"organization": 40, "process": 35, "individual": 25},
    indicators=(
        # 组织层 organisation
        _i("org_sla_attainment", "跨部门SLA达成率", "organization", "goals", "kpi", 25, 85, 95,
           kpi="sla_attainment_pct", description="按时解决的工单占已解决工单的比例"),
        _i("org_satisfaction", "用户满意度", "organization", "goals", "kpi", 15, 3.5, 4.5,
           unit="分", kpi="satisfaction_avg"),
        _i("org_alert_incidents", "业务系统告警事件数（可用性）", "organization", "goals", "kpi", 10, 6, 0,
           direction="lower_better", unit="次", rule="banded", kpi="alert_incidents",
           bands=((0, 100), (3, 80), (6, 60)),
           description="监控告警自动生成的事件单数：业务系统不可用或性能异常的次数"),
        _i("org_catalogue_coverage", "服务目录覆盖率", "organization", "design", "kpi", 10, 60, 90,
           kpi="catalogue_coverage_pct",
           description="关联服务目录条目的工单占新建工单的比例"),
        _i("org_rules_in_place", "运维管理制度健全度", "organization", "design", "manual", 10, 60, 90,
           unit="分", rule="direct",
           description="人工评分并附证据：管理制度、岗位职责、考核办法是否齐备并执行"),
        _i("org_sla_breaches", "SLA违约次数", "organization", "management", "kpi", 10, 10, 2,
           direction="lower_better", unit="次", rule="banded", kpi="sla_breaches",
           bands=((2, 100), (5, 80), (10, 60))),
        _i("org_budget_execution", "运维预算执行率", "organization", "management", "kpi", 10, 60, 90,
           kpi="budget_execution_pct",
           description="已记录运维支出占已批复运维预算的比例（预算事件；宜按年度评价）"),
        _i("org_security_incidents", "安全事件数", "organization", "management", "kpi", 10, 3, 0,
           direction="lower_better", unit="次", rule="banded", kpi="security_incidents",
           bands=((0, 100), (1, 80), (3, 60)),
           description="服务目录“安全”类（infra.security）下的事件单数"),
        # 流程层 process
        _i("proc_resolution_time", "平均解决时长", "process", "goals", "kpi", 25, 8 * 3600, 4 * 3600,
           direction="lower_better", unit="秒", kpi="resolution_time_mean_s"),
        _i("proc_first_contact", "首次解决率", "process", "goals", "kpi", 15, 50, 75,
           kpi="first_contact_resolution_pct"),
        _i("proc_cycle_time_p90", "流程周期（P90解决时长）", "process", "design", "kpi", 20,
           24 * 3600, 8 * 3600, direction="lower_better", unit="秒", kpi="resolution_time_p90_s"),
        _i("proc_change_success", "变更成功率", "process", "design", "kpi", 15, 90, 98,
           kpi="change_success_rate_pct"),
        _i("proc_reopen_rate", "工单重开率", "process", "management", "kpi", 15, 10, 3,
           direction="lower_better", kpi="reopen_rate_pct"),
        _i("proc_emergency_changes", "紧急变更占比", "process", "management", "kpi", 10, 20, 10,
           direction="lower_better", rule="pass_fail", kpi="change_emergency_rate_pct"),
        # 个人执行层 individual execution
        _i("ind_personal_sla", "个人SLA达成率（人均）", "individual", "goals", "kpi", 40, 85, 95,
           kpi="sla_attainment_pct", aggregate="mean"),
        _i("ind_position_duties", "岗责明确与履职情况", "individual", "design", "manual", 20, 60, 90,
           unit="分", rule="direct",
           description="人工评分并附证据：岗位职责清晰、人岗匹配、值班到位"),
        _i("ind_workload_balance", "工作量均衡度", "individual", "management", "kpi", 25, 50, 80,
           kpi="tickets_assigned", aggregate="balance",
           description="100×(1−人均派单量变异系数)"),
        _i("ind_response_speed", "平均响应时长（人均）", "individual", "management", "kpi", 15,
           3600, 900, direction="lower_better", unit="秒", kpi="response_time_mean_s",
           aggregate="mean"),
        # 用户部门 customer departments: only what they themselves owe the O&M work
        _i("dept_cooperation", "用户部门配合度", "organization", "management", "manual", 100, 60, 90,
           unit="分", rule="direct", applies_to=("department",),
           description="人工评分并附证据：故障报告及时准确、配合排查、按时确认工单解决结果"),
    ),
)
