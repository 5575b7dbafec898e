"""The O&M fee (运维费) as the seed defines it (BRIEF.md part 4)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeeCategory:
    code: str
    name: str


FEE_CATEGORIES = (
    FeeCategory("hardware_om", "硬件运维费"),
    FeeCategory("software_om", "软件运维费"),
    FeeCategory("consumables_tools", "耗材及工具费"),
    FeeCategory("system_management", "系统管理费"),
    FeeCategory("information_resources", "信息资源开发利用费"),
)

# Never part of an O&M fee, whatever a request says.
EXCLUDED = (
    FeeCategory("utilities", "水电费"),
    FeeCategory("transport", "交通费"),
    FeeCategory("training", "培训费"),
    FeeCategory("meetings", "会议费"),
    FeeCategory("office", "日常办公费"),
)
