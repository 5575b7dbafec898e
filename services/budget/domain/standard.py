"""The O&M budget quota reference standard (运维支出预算定额标准), versioned.

Composed of (BRIEF.md part 5): cost composition (the fee categories and items), service content,
workload standards, unit labour-cost standards and spare-parts cost standards; plus the annual
upkeep rate rules (original value × rate per asset kind), consumables per unit and adjustment
coefficients. A version is a draft until approved; an approved version never changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from govkit.errors import FailedPrecondition, Validator

from . import fees
from .assets import RESPONSE_TIMES, SUPPORT_MODES, USER_SCALES, parse_kind
from .money import parse_decimal

DRAFT, APPROVED = "draft", "approved"
COEFFICIENT_DIMENSIONS = {
    "support_mode": ("支持方式", tuple(SUPPORT_MODES)),
    "protection_level": ("等保级别", ("1", "2", "3", "4")),
    "response_time": ("响应要求", tuple(RESPONSE_TIMES)),
    "user_scale": ("用户规模", tuple(USER_SCALES)),
}
MAX_RATE = Decimal("1")  # 100 % of original value per year: anything above is a typo


@dataclass(frozen=True)
class ServiceContent:
    code: str
    name: str
    fee_item: str
    description: str = ""


@dataclass(frozen=True)
class RateRule:
    asset_kind: str
    fee_item: str
    rate: Decimal           # annual upkeep = original value × rate
    service_content: str = ""


@dataclass(frozen=True)
class WorkloadStandard:
    service_content: str
    asset_kind: str
    staff_grade: str
    person_days: Decimal    # per unit per year


@dataclass(frozen=True)
class LabourCost:
    staff_grade: str
    region: str
    yuan_per_person_month: Decimal


@dataclass(frozen=True)
class UnitCost:
    """Spare parts (fee item hw_spare_parts by default) or consumables, yuan per unit per year."""
    asset_kind: str
    fee_item: str
    yuan_per_unit: Decimal


@dataclass(frozen=True)
class Coefficient:
    dimension: str          # one of COEFFICIENT_DIMENSIONS
    value: str              # e.g. "remote", "3", "7x24", "large"
    factor: Decimal
    name: str = ""


@dataclass(frozen=True)
class StandardBody:
    service_contents: tuple[ServiceContent, ...] = ()
    rate_rules: tuple[RateRule, ...] = ()
    workload_standards: tuple[WorkloadStandard, ...] = ()
    labour_costs: tuple[LabourCost, ...] = ()
    spare_parts: tuple[UnitCost, ...] = ()
    consumables: tuple[UnitCost, ...] = ()
    coefficients: tuple[Coefficient, ...] = ()

    def service_content(self, code: str) -> ServiceContent | None:
        return next((s for s in self.service_contents if s.code == code), None)

    def coefficient_for(self, dimension: str, value: str) -> Coefficient | None:
        return next((c for c in self.coefficients if c.dimension == dimension and c.value == value), None)

    def labour_cost(self, grade: str, region: str) -> LabourCost | None:
        return next((c for c in self.labour_costs if c.staff_grade == grade and c.region == region), None)

    @property
    def regions(self) -> list[str]:
        return sorted({c.region for c in self.labour_costs})


@dataclass(frozen=True)
class Standard:
    id: str
    code: str
    version: int
    name: str
    effective_from: date
    effective_to: date | None
    state: str
    body: StandardBody
    default_region: str = ""
    created_by: str = ""
    created_at: datetime | None = None
    approved_by: str = ""
    approved_at: datetime | None = None
    note: str = ""
    updated_by: str = ""  # the last person to edit the draft (who, like its author, may not approve it)

    def require_editable(self) -> None:
        if self.state == APPROVED:
            raise FailedPrecondition(f"standard {self.code} v{self.version} is approved and immutable; "
                                     "create a new version instead")

    def effective_for_year(self, year: int) -> bool:
        start = date(year, 1, 1)
        return self.effective_from <= start and (self.effective_to is None or self.effective_to >= start)


def _dec(v, field, raw, **kw):
    return parse_decimal(v, field, raw, **kw)


def parse_body(v: Validator, raw: dict) -> StandardBody:
    """Validate a standard's components from plain dicts, naming every bad field
    (e.g. `rate_rules[3].rate`). Overlapping rules — two rules for the same asset kind and fee
    item, of whatever type — are refused, so every yuan has exactly one rule behind it."""
    contents: list[ServiceContent] = []
    for i, s in enumerate(raw.get("service_contents") or []):
        f = f"service_contents[{i}]"
        code = v.text(f + ".code", s.get("code", ""), max_len=64)
        name = v.text(f + ".name", s.get("name", ""), max_len=200)
        item = fees.check_item(v, f + ".fee_item", s.get("fee_item", ""))
        if code and any(c.code == code for c in contents):
            v.fail(f + ".code", f"duplicate service content {code}")
        contents.append(ServiceContent(code, name, item or "", (s.get("description") or "")[:2000]))
    content_codes = {c.code for c in contents}

    owner: dict[tuple[str, str], str] = {}

    def claim(f: str, kind: str | None, item: str | None) -> None:
        if not kind or not item:
            return
        key = (kind, item)
        if key in owner:
            v.fail(f, f"overlaps {owner[key]}: both price asset kind {kind} under fee item {item}")
        else:
            owner[key] = f

    rates = []
    for i, r in enumerate(raw.get("rate_rules") or []):
        f = f"rate_rules[{i}]"
        kind = parse_kind(v, f + ".asset_kind", r.get("asset_kind"))
        item = fees.check_item(v, f + ".fee_item", r.get("fee_item", ""))
        rate = _dec(v, f + ".rate", r.get("rate"), positive=True, max_places=6, maximum=MAX_RATE)
        sc = (r.get("service_content") or "").strip()
        if sc and sc not in content_codes:
            v.fail(f + ".service_content", f"unknown service content {sc!r}")
        claim(f, kind, item)
        rates.append(RateRule(kind or "", item or "", rate or Decimal(0), sc))

    labour: list[LabourCost] = []
    for i, c in enumerate(raw.get("labour_costs") or []):
        f = f"labour_costs[{i}]"
        grade = v.text(f + ".staff_grade", c.get("staff_grade", ""), max_len=64)
        region = v.text(f + ".region", c.get("region", ""), max_len=64)
        cost = _dec(v, f + ".yuan_per_person_month", c.get("yuan_per_person_month"), positive=True,
                    max_places=2, maximum=Decimal("10000000"))
        if grade and region and any((x.staff_grade, x.region) == (grade, region) for x in labour):
            v.fail(f, f"duplicate labour cost for grade {grade} in region {region}")
        labour.append(LabourCost(grade, region, cost or Decimal(0)))
    grades = {c.staff_grade for c in labour}

    workloads = []
    for i, w in enumerate(raw.get("workload_standards") or []):
        f = f"workload_standards[{i}]"
        sc = (w.get("service_content") or "").strip()
        content = next((c for c in contents if c.code == sc), None)
        if content is None:
            v.fail(f + ".service_content", "is required" if not sc else f"unknown service content {sc!r}")
        kind = parse_kind(v, f + ".asset_kind", w.get("asset_kind"))
        grade = v.text(f + ".staff_grade", w.get("staff_grade", ""), max_len=64)
        if grade and grade not in grades:
            v.fail(f + ".staff_grade", f"no unit labour-cost standard for staff grade {grade!r}")
        days = _dec(v, f + ".person_days", w.get("person_days"), positive=True, max_places=4,
                    maximum=Decimal("3650"))
        claim(f, kind, content.fee_item if content else None)
        workloads.append(WorkloadStandard(sc, kind or "", grade, days or Decimal(0)))

    def unit_costs(key: str, default_item: str) -> list[UnitCost]:
        out = []
        for i, u in enumerate(raw.get(key) or []):
            f = f"{key}[{i}]"
            kind = parse_kind(v, f + ".asset_kind", u.get("asset_kind"))
            item = fees.check_item(v, f + ".fee_item", u.get("fee_item") or default_item)
            cost = _dec(v, f + ".yuan_per_unit", u.get("yuan_per_unit"), positive=True, max_places=2,
                        maximum=Decimal("100000000"))
            claim(f, kind, item)
            out.append(UnitCost(kind or "", item or "", cost or Decimal(0)))
        return out

    spares = unit_costs("spare_parts", "hw_spare_parts")
    consumables = unit_costs("consumables", "consumables")

    coefficients: list[Coefficient] = []
    for i, c in enumerate(raw.get("coefficients") or []):
        f = f"coefficients[{i}]"
        dim = (c.get("dimension") or "").strip()
        value = str(c.get("value") or "").strip()
        if dim not in COEFFICIENT_DIMENSIONS:
            v.fail(f + ".dimension", f"must be one of {', '.join(COEFFICIENT_DIMENSIONS)}")
        elif value not in COEFFICIENT_DIMENSIONS[dim][1]:
            v.fail(f + ".value", f"must be one of {', '.join(COEFFICIENT_DIMENSIONS[dim][1])} for {dim}")
        elif any((x.dimension, x.value) == (dim, value) for x in coefficients):
            v.fail(f, f"duplicate coefficient for {dim}={value}")
        factor = _dec(v, f + ".factor", c.get("factor"), positive=True, max_places=4, maximum=Decimal("10"))
        coefficients.append(Coefficient(dim, value, factor or Decimal(0), (c.get("name") or "")[:200]))

    return StandardBody(tuple(contents), tuple(rates), tuple(workloads), tuple(labour), tuple(spares),
                        tuple(consumables), tuple(coefficients))


def new_standard(v: Validator, *, code: str, name: str, effective_from, effective_to, body: dict,
                 default_region: str, version: int, created_by: str, now: datetime, note: str = "") -> Standard:
    code = v.text("code", code, max_len=64)
    name = v.text("name", name, max_len=200)
    start = _parse_date(v, "effective_from", effective_from, required=True)
    end = _parse_date(v, "effective_to", effective_to, required=False)
    if start and end and end < start:
        v.fail("effective_to", f"must not be before effective_from ({start})")
    parsed = parse_body(v, body)
    region = (default_region or "").strip() or (parsed.regions[0] if parsed.regions else "")
    if parsed.labour_costs and region and region not in parsed.regions:
        v.fail("default_region", f"no labour costs for region {region!r}")
    v.check()
    return Standard(str(uuid.uuid4()), code, version, name, start, end, DRAFT, parsed, region,
                    created_by, now, note=note)


def _parse_date(v, field, raw, *, required):
    if raw in (None, ""):
        if required:
            v.fail(field, "is required")
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        v.fail(field, f"must be a date YYYY-MM-DD, got {str(raw)[:40]!r}")
        return None


def body_to_dict(body: StandardBody) -> dict:
    import dataclasses

    from govkit.events import jsonable

    return jsonable(dataclasses.asdict(body))


def body_from_dict(raw: dict) -> StandardBody:
    """Trusted (stored) form back to objects; no validation."""
    D = Decimal
    return StandardBody(
        tuple(ServiceContent(**s) for s in raw.get("service_contents", [])),
        tuple(RateRule(r["asset_kind"], r["fee_item"], D(r["rate"]), r.get("service_content", ""))
              for r in raw.get("rate_rules", [])),
        tuple(WorkloadStandard(w["service_content"], w["asset_kind"], w["staff_grade"], D(w["person_days"]))
              for w in raw.get("workload_standards", [])),
        tuple(LabourCost(c["staff_grade"], c["region"], D(c["yuan_per_person_month"]))
              for c in raw.get("labour_costs", [])),
        tuple(UnitCost(u["asset_kind"], u["fee_item"], D(u["yuan_per_unit"])) for u in raw.get("spare_parts", [])),
        tuple(UnitCost(u["asset_kind"], u["fee_item"], D(u["yuan_per_unit"])) for u in raw.get("consumables", [])),
        tuple(Coefficient(c["dimension"], c["value"], D(c["factor"]), c.get("name", ""))
              for c in raw.get("coefficients", [])),
    )

