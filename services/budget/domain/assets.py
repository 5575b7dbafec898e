"""The configuration base (配置库, CMDB): assets and configuration items. Plain Python."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from govkit.errors import Validator

from .money import parse_decimal


@dataclass(frozen=True)
class AssetKind:
    code: str
    name: str
    group: str       # one of GROUPS: the nine kinds of configuration item of the seed
    fee_category: str


GROUPS = {
    "network": "网络设备",
    "server": "服务器/主机",
    "security": "安全设备",
    "storage": "存储设备",
    "facility": "机房设施",
    "db_middleware": "数据库及中间件",
    "software": "操作系统/办公及基础软件",
    "application": "应用系统",
    "information_resource": "信息资源",
}

ASSET_KINDS = (
    AssetKind("network_core", "核心交换机/路由器", "network", "hardware_om"),
    AssetKind("network_access", "接入交换机等网络设备", "network", "hardware_om"),
    AssetKind("server", "PC服务器/主机", "server", "hardware_om"),
    AssetKind("security_device", "安全设备", "security", "hardware_om"),
    AssetKind("storage", "存储设备", "storage", "hardware_om"),
    AssetKind("machine_room", "机房", "facility", "hardware_om"),
    AssetKind("ups", "UPS不间断电源", "facility", "hardware_om"),
    AssetKind("air_conditioning", "精密空调", "facility", "hardware_om"),
    AssetKind("fire_suppression", "消防灭火系统", "facility", "hardware_om"),
    AssetKind("database", "数据库", "db_middleware", "software_om"),
    AssetKind("middleware", "中间件", "db_middleware", "software_om"),
    AssetKind("os_office_software", "操作系统/办公软件", "software", "software_om"),
    AssetKind("virtualisation", "虚拟化软件", "software", "software_om"),
    AssetKind("security_software", "安全软件", "software", "software_om"),
    AssetKind("application_simple", "应用系统（简单定制软件）", "application", "software_om"),
    AssetKind("application_complex", "应用系统（复杂定制软件）", "application", "software_om"),
    AssetKind("information_resource", "信息资源", "information_resource", "information_resources"),
)
KIND_BY_CODE = {k.code: k for k in ASSET_KINDS}
KIND_BY_NAME = {k.name: k for k in ASSET_KINDS}

SUPPORT_MODES = {"on_site": "现场", "remote": "远程"}
STATUSES = {"in_use": "在用", "spare": "备用", "retired": "报废"}
RESPONSE_TIMES = {"7x24": "7×24小时", "5x8": "5×8小时"}
USER_SCALES = {"small": "小", "medium": "中", "large": "大"}
RELATION_KINDS = {"runs_on": "运行于", "depends_on": "依赖", "connected_to": "连接"}

# Import/export columns: field name (used in errors, e.g. rows[12].original_value) → Chinese header.
COLUMNS = {
    "code": "资产编号", "name": "名称", "kind": "类别", "org_unit_id": "所属部门", "location": "位置",
    "brand": "品牌", "model": "型号", "purchase_date": "购置日期", "original_value": "原值",
    "quantity": "数量", "protection_level": "等保级别", "support_mode": "支持方式", "status": "状态",
    "response_time": "响应要求", "user_scale": "用户规模",
}
REQUIRED = ("code", "name", "kind", "org_unit_id", "original_value")
HEADER_ALIASES = {**{v: k for k, v in COLUMNS.items()}, **{k: k for k in COLUMNS}}

TEXT_MAX = 200


@dataclass(frozen=True)
class Asset:
    id: str
    code: str
    name: str
    kind: str
    org_unit_id: str
    location: str = ""
    brand: str = ""
    model: str = ""
    purchase_date: date | None = None
    original_value: Decimal = Decimal("0")   # the register row's total original value (原值), yuan
    quantity: int = 1
    protection_level: int = 2                # 等保 1–4
    support_mode: str = "on_site"
    status: str = "in_use"
    response_time: str = "5x8"
    user_scale: str = "medium"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    def changes_to(self, other: Asset) -> dict:
        """{field: [old, new]} for the editable fields that differ."""
        out = {}
        for f in EDITABLE:
            a, b = getattr(self, f), getattr(other, f)
            if a != b:
                out[f] = [a, b]
        return out


EDITABLE = ("name", "kind", "org_unit_id", "location", "brand", "model", "purchase_date",
            "original_value", "quantity", "protection_level", "support_mode", "status",
            "response_time", "user_scale")


def _choice(v: Validator, field: str, raw, table: dict, default: str | None) -> str | None:
    text = str(raw or "").strip()
    if not text:
        if default is None:
            v.fail(field, "is required")
        return default
    if text in table:
        return text
    for code, name in table.items():
        if text == name:
            return code
    v.fail(field, f"must be one of {', '.join(table)} ({'/'.join(table.values())}), got {text[:40]!r}")
    return None


def parse_kind(v: Validator, field: str, raw) -> str | None:
    text = str(raw or "").strip()
    if text in KIND_BY_CODE:
        return text
    if text in KIND_BY_NAME:
        return KIND_BY_NAME[text].code
    v.fail(field, "is required" if not text else
           f"unknown asset kind {text[:40]!r}; expected one of {', '.join(KIND_BY_CODE)}")
    return None


def _int(v: Validator, field: str, raw, default: int, lo: int, hi: int) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return default
    try:
        value = int(Decimal(text)) if Decimal(text) == int(Decimal(text)) else None
    except Exception:
        value = None
    if value is None:
        v.fail(field, f"must be a whole number, got {text[:40]!r}")
        return None
    if not lo <= value <= hi:
        v.fail(field, f"must be between {lo} and {hi}, got {value}")
        return None
    return value


def _date(v: Validator, field: str, raw) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        v.fail(field, f"must be a date YYYY-MM-DD, got {str(raw)[:40]!r}")
        return None


def parse_asset(v: Validator, raw: dict, *, prefix: str = "", asset_id: str | None = None,
                today: date | None = None) -> Asset | None:
    """Build an Asset from loose input (gRPC fields or an import row), reporting every bad field
    as `<prefix><field>` (e.g. `rows[12].original_value`). Returns None if anything was wrong."""
    before = len(v.violations)
    p = prefix

    def text(name, required=False):
        value = raw.get(name)
        value = "" if value is None else str(value)
        return v.text(p + name, value, required=required, max_len=TEXT_MAX)

    code, name = text("code", True), text("name", True)
    org_unit_id = text("org_unit_id", True)
    kind = parse_kind(v, p + "kind", raw.get("kind"))
    value = parse_decimal(v, p + "original_value", raw.get("original_value"), max_places=2)
    quantity = _int(v, p + "quantity", raw.get("quantity"), 1, 1, 1_000_000)
    level = _int(v, p + "protection_level", raw.get("protection_level"), 2, 1, 4)
    support = _choice(v, p + "support_mode", raw.get("support_mode"), SUPPORT_MODES, "on_site")
    status = _choice(v, p + "status", raw.get("status"), STATUSES, "in_use")
    response = _choice(v, p + "response_time", raw.get("response_time"), RESPONSE_TIMES, "5x8")
    scale = _choice(v, p + "user_scale", raw.get("user_scale"), USER_SCALES, "medium")
    purchased = _date(v, p + "purchase_date", raw.get("purchase_date"))
    if purchased and today and purchased > today:
        v.fail(p + "purchase_date", f"must not be in the future ({purchased})")
    if len(v.violations) > before:
        return None
    return Asset(id=asset_id or str(uuid.uuid4()), code=code, name=name, kind=kind, org_unit_id=org_unit_id,
                 location=text("location"), brand=text("brand"), model=text("model"),
                 purchase_date=purchased, original_value=value, quantity=quantity,
                 protection_level=level, support_mode=support, status=status, response_time=response,
                 user_scale=scale)


def merge(asset: Asset, changes: dict) -> dict:
    """The raw dict of `asset` with `changes` applied, ready for parse_asset."""
    raw = {f: getattr(asset, f) for f in ("code",) + EDITABLE}
    raw.update({k: v for k, v in changes.items() if k in EDITABLE})
    return raw


@dataclass(frozen=True)
class AssetFilter:
    org_unit_id: str = ""
    kinds: tuple[str, ...] = ()
    status: str = ""
    text: str = ""
    protection_level: int = 0
    support_mode: str = ""
    extra: dict = field(default_factory=dict)


def with_times(asset: Asset, now: datetime) -> Asset:
    return replace(asset, created_at=asset.created_at or now, updated_at=now)
