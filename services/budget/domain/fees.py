"""The O&M fee (运维费) as the seed defines it (BRIEF.md part 4): five categories, each with
sub-items; utilities, transport, training, meetings and daily office costs are never part of it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeeCategory:
    code: str
    name: str


@dataclass(frozen=True)
class FeeItem:
    code: str
    name: str
    category: str


FEE_CATEGORIES = (
    FeeCategory("hardware_om", "硬件运维费"),
    FeeCategory("software_om", "软件运维费"),
    FeeCategory("consumables_tools", "耗材及工具费"),
    FeeCategory("system_management", "系统管理费"),
    FeeCategory("information_resources", "信息资源开发利用费"),
)

FEE_ITEMS = (
    FeeItem("hw_upkeep", "硬件维护保养费", "hardware_om"),
    FeeItem("hw_spare_parts", "备品备件购置费", "hardware_om"),
    FeeItem("hw_inspection", "硬件巡检及故障处理", "hardware_om"),
    FeeItem("sw_upkeep", "软件维护费", "software_om"),
    FeeItem("sw_support", "应用系统技术支持", "software_om"),
    FeeItem("consumables", "耗材费", "consumables_tools"),
    FeeItem("tools", "运维工具费", "consumables_tools"),
    FeeItem("sys_monitoring", "系统监控与值守", "system_management"),
    FeeItem("security_ops", "安全运维管理", "system_management"),
    FeeItem("data_processing", "信息资源采集与加工", "information_resources"),
    FeeItem("data_sharing", "信息资源共享与交换", "information_resources"),
)

# Never part of an O&M fee, whatever a request says.
EXCLUDED = (
    FeeCategory("utilities", "水电费"),
    FeeCategory("transport", "交通费"),
    FeeCategory("training", "培训费"),
    FeeCategory("meetings", "会议费"),
    FeeCategory("office", "日常办公费"),
)

CATEGORY_BY_CODE = {c.code: c for c in FEE_CATEGORIES}
ITEM_BY_CODE = {i.code: i for i in FEE_ITEMS}
EXCLUDED_BY_CODE = {c.code: c for c in EXCLUDED}
EXCLUSION_REASON = ("an O&M fee (运维费) never includes utilities, transport, training, meetings or "
                    "daily office costs")


def items_of(category: str) -> list[FeeItem]:
    return [i for i in FEE_ITEMS if i.category == category]


def check_category(v, field: str, code: str) -> str | None:
    """Validate a fee category code; an excluded cost kind is refused with the seed's reason."""
    code = (code or "").strip()
    if code in CATEGORY_BY_CODE:
        return code
    if code in EXCLUDED_BY_CODE:
        v.fail(field, f"{code} ({EXCLUDED_BY_CODE[code].name}) is excluded: {EXCLUSION_REASON}")
    elif not code:
        v.fail(field, "is required")
    else:
        v.fail(field, f"unknown fee category {code!r}; expected one of "
                      + ", ".join(CATEGORY_BY_CODE))
    return None


def check_item(v, field: str, code: str, category: str | None = None) -> str | None:
    """Validate a fee item code (and that it belongs to `category` when given)."""
    code = (code or "").strip()
    if code in EXCLUDED_BY_CODE:
        v.fail(field, f"{code} ({EXCLUDED_BY_CODE[code].name}) is excluded: {EXCLUSION_REASON}")
        return None
    item = ITEM_BY_CODE.get(code)
    if item is None:
        v.fail(field, "is required" if not code else
               f"unknown fee item {code!r}; expected one of " + ", ".join(ITEM_BY_CODE))
        return None
    if category and item.category != category:
        v.fail(field, f"fee item {code} belongs to {item.category}, not {category}")
        return None
    return code


# Words in a spending description that name a cost the fee definition excludes, each with the
# excluded category it belongs to (for the reason). Specific phrases rather than bare words:
# "会议" alone would refuse the upkeep of a video-conference system, which is O&M spending.
DEFAULT_EXCLUDED_KEYWORDS: dict[str, str] = {
    "水电": "utilities", "水费": "utilities", "电费": "utilities", "燃气费": "utilities", "物业费": "utilities",
    "交通费": "transport", "差旅": "transport", "打车": "transport", "出租车": "transport", "油费": "transport",
    "停车费": "transport", "过路费": "transport", "机票": "transport", "火车票": "transport",
    "培训费": "training", "培训班": "training", "学费": "training",
    "会议费": "meetings", "会务": "meetings", "会议场地": "meetings",
    "办公用品": "office", "日常办公": "office", "文具": "office", "办公家具": "office",
}


@dataclass(frozen=True)
class SpendingPolicy:
    """The deployment's list of words that mark an excluded cost in a description
    (GOVOPS_BUDGET_EXCLUDED_KEYWORDS, comma-separated; empty: the defaults above)."""
    excluded_keywords: tuple[str, ...] = tuple(DEFAULT_EXCLUDED_KEYWORDS)

    @classmethod
    def from_setting(cls, raw: str) -> SpendingPolicy:
        words = tuple(w.strip() for w in (raw or "").split(",") if w.strip())
        return cls(words) if words else cls()

    def violation(self, description: str) -> str | None:
        """Why `description` names an excluded cost, or None."""
        word = next((w for w in self.excluded_keywords if w in (description or "")), None)
        if word is None:
            return None
        category = EXCLUDED_BY_CODE.get(DEFAULT_EXCLUDED_KEYWORDS.get(word, ""))
        kind = f"{category.name}（{category.code}）" if category else "an excluded cost"
        return f"mentions 「{word}」, which is {kind}: {EXCLUSION_REASON}"
