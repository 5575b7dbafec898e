"""Budget compilation: from asset groups and a standard version to traced budget lines.

The register is reduced (in SQL) to groups of in-use assets sharing org_unit_id, asset kind and
the four coefficient dimensions; every applicable rule of the standard turns a group into one
line. A line stores the rule, the coefficients, the base figures and the formula text, so a
finance reviewer can see why every yuan is in the budget and which assets it comes from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .assets import KIND_BY_CODE, RESPONSE_TIMES, SUPPORT_MODES, USER_SCALES
from .fees import ITEM_BY_CODE
from .money import money_text, percent_text, round_money
from .standard import Standard

WORKING_DAYS_PER_MONTH = Decimal("21.75")  # 人月 = 21.75 working days (national standard)
RATE, WORKLOAD, SPARE_PARTS, CONSUMABLES = "rate", "workload", "spare_parts", "consumables"


@dataclass(frozen=True)
class AssetGroup:
    group_no: int
    org_unit_id: str
    kind: str
    support_mode: str
    protection_level: int
    response_time: str
    user_scale: str
    asset_count: int
    quantity: int
    original_value: Decimal

    def dimension(self, name: str) -> str:
        return str(getattr(self, name))


@dataclass(frozen=True)
class Line:
    line_no: int
    group_no: int
    org_unit_id: str
    asset_kind: str
    fee_category: str
    fee_item: str
    rule_type: str
    rule_ref: str
    rule: dict
    coefficients: list   # [{dimension, value, factor, name}]
    coefficient: Decimal
    asset_count: int
    quantity: int
    base: Decimal        # original value (rate lines) or quantity (per-unit lines)
    amount: Decimal      # rounded to 0.01 yuan, ROUND_HALF_UP
    formula: str


def _coefficients(standard: Standard, g: AssetGroup) -> tuple[list, Decimal, str]:
    applied, product = [], Decimal(1)
    for dim in ("support_mode", "protection_level", "response_time", "user_scale"):
        c = standard.body.coefficient_for(dim, g.dimension(dim))
        if c is not None and c.factor != 1:
            applied.append({"dimension": dim, "value": c.value, "factor": str(c.factor), "name": c.name})
            product *= c.factor
    text = ("调整系数 " + "×".join(f"{a['factor']}({a['name'] or a['dimension'] + '=' + a['value']})"
                                 for a in applied)) if applied else "调整系数 1"
    return applied, product, text


def compile_lines(groups: list[AssetGroup], standard: Standard, region: str) -> list[Line]:
    body = standard.body
    out: list[tuple] = []  # (sort key, Line fields after line_no)
    tag = f"{standard.code} v{standard.version}"
    for g in groups:
        applied, product, coef_text = _coefficients(standard, g)

        def add(rule_type, rule_ref, rule, fee_item, base, raw, formula, coefficients=(), coef=Decimal(1)):
            amount = round_money(raw)
            category = ITEM_BY_CODE[fee_item].category
            out.append(((category, fee_item, g.org_unit_id, g.kind, g.group_no),
                        (g.group_no, g.org_unit_id, g.kind, category, fee_item, rule_type, rule_ref, rule,
                         list(coefficients), coef, g.asset_count, g.quantity, base, amount,
                         f"{formula} = {money_text(amount)} 元 [{tag} {rule_ref}]")))

        for i, r in enumerate(body.rate_rules):
            if r.asset_kind == g.kind:
                raw = g.original_value * r.rate * product
                add(RATE, f"rate_rules[{i}]", {"rate": str(r.rate), "service_content": r.service_content},
                    r.fee_item, g.original_value, raw,
                    f"原值合计 {money_text(g.original_value)} 元 × 费率 {percent_text(r.rate)} × {coef_text}",
                    applied, product)
        for i, w in enumerate(body.workload_standards):
            if w.asset_kind == g.kind:
                cost = body.labour_cost(w.staff_grade, region)
                if cost is None:  # checked by the handler before compiling
                    raise ValueError(f"no labour cost for {w.staff_grade} in {region}")
                content = body.service_content(w.service_content)
                raw = (Decimal(g.quantity) * w.person_days / WORKING_DAYS_PER_MONTH
                       * cost.yuan_per_person_month * product)
                add(WORKLOAD, f"workload_standards[{i}]",
                    {"service_content": w.service_content, "staff_grade": w.staff_grade,
                     "person_days": str(w.person_days), "region": region,
                     "yuan_per_person_month": str(cost.yuan_per_person_month)},
                    content.fee_item, Decimal(g.quantity), raw,
                    f"数量 {g.quantity} × {w.person_days} 人天/年 ÷ {WORKING_DAYS_PER_MONTH} 天/人月 × "
                    f"{w.staff_grade}({region}) {money_text(cost.yuan_per_person_month)} 元/人月 × {coef_text}",
                    applied, product)
        for key, label, items in ((SPARE_PARTS, "备品备件标准", body.spare_parts),
                                  (CONSUMABLES, "耗材标准", body.consumables)):
            for i, u in enumerate(items):
                if u.asset_kind == g.kind:
                    raw = Decimal(g.quantity) * u.yuan_per_unit
                    add(key, f"{key}[{i}]", {"yuan_per_unit": str(u.yuan_per_unit)}, u.fee_item,
                        Decimal(g.quantity), raw,
                        f"数量 {g.quantity} × {label} {money_text(u.yuan_per_unit)} 元/单位/年")
    out.sort(key=lambda item: item[0])
    return [Line(n, *fields) for n, (_, fields) in enumerate(out, 1)]


@dataclass(frozen=True)
class Totals:
    total: Decimal
    by_category: dict[str, Decimal]
    by_kind: dict[str, Decimal]
    asset_count: int
    line_count: int


def totals_of(lines: list[Line], groups: list[AssetGroup]) -> Totals:
    """Totals are sums of the rounded line amounts (never re-rounded)."""
    by_category: dict[str, Decimal] = {}
    by_kind: dict[str, Decimal] = {}
    for ln in lines:
        by_category[ln.fee_category] = by_category.get(ln.fee_category, Decimal("0.00")) + ln.amount
        by_kind[ln.asset_kind] = by_kind.get(ln.asset_kind, Decimal("0.00")) + ln.amount
    return Totals(sum((ln.amount for ln in lines), Decimal("0.00")), by_category, by_kind,
                  sum(g.asset_count for g in groups), len(lines))


def describe_group(g: AssetGroup) -> str:
    return (f"{g.org_unit_id} · {KIND_BY_CODE[g.kind].name} · {SUPPORT_MODES.get(g.support_mode)} · "
            f"等保{g.protection_level}级 · {RESPONSE_TIMES.get(g.response_time)} · "
            f"用户规模{USER_SCALES.get(g.user_scale)}")
