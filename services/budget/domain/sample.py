"""示例定额标准 — a SAMPLE quota standard to adapt, not an official one.

The upkeep rates follow a published provincial e-government O&M budget standard (annual upkeep =
original value × rate): PC server 5.5 %, storage 6 %, core switch/router 3–3.5 %, security
devices 8.5 %, OS/office software 5.5 %, database/middleware 9.5 %, virtualisation 7.5 %,
security software 10 %, custom software 6 % simple / 10 % complex, machine room 4 %, UPS and
air-conditioning 6 %, fire suppression 7.5 %. Workload, labour-cost, spare-parts, consumables
and coefficient figures are illustrative: every budget unit must replace them with its own
approved figures before use."""

from __future__ import annotations

SAMPLE_CODE = "SAMPLE-PROVINCIAL"
SAMPLE_REGION = "省会城市"
SAMPLE_NAME = "示例：省级电子政务运维支出预算定额标准（样例，请按本地标准调整）"
SAMPLE_NOTE = ("样例数据：费率取自某省公开的电子政务运维费定额标准，工作量、人工、备件、耗材及调整系数为示意值，"
               "使用前须由预算单位按本地批准的标准修订。")

_RATES = [
    ("server", "hw_upkeep", "0.055"), ("storage", "hw_upkeep", "0.06"),
    ("network_core", "hw_upkeep", "0.035"), ("network_access", "hw_upkeep", "0.03"),
    ("security_device", "hw_upkeep", "0.085"), ("os_office_software", "sw_upkeep", "0.055"),
    ("database", "sw_upkeep", "0.095"), ("middleware", "sw_upkeep", "0.095"),
    ("virtualisation", "sw_upkeep", "0.075"), ("security_software", "sw_upkeep", "0.10"),
    ("application_simple", "sw_upkeep", "0.06"), ("application_complex", "sw_upkeep", "0.10"),
    ("machine_room", "hw_upkeep", "0.04"), ("ups", "hw_upkeep", "0.06"),
    ("air_conditioning", "hw_upkeep", "0.06"), ("fire_suppression", "hw_upkeep", "0.075"),
]


def sample_body() -> dict:
    return {
        "service_contents": [
            {"code": "hw_maintenance", "name": "硬件设备维护保养", "fee_item": "hw_upkeep",
             "description": "设备巡检、故障诊断与修复、原厂维保"},
            {"code": "sw_maintenance", "name": "软件维护与升级", "fee_item": "sw_upkeep",
             "description": "补丁、版本升级、缺陷修复"},
            {"code": "app_support", "name": "应用系统技术支持", "fee_item": "sw_support",
             "description": "应用系统日常运行保障与用户支持"},
            {"code": "monitoring", "name": "系统监控与值守", "fee_item": "sys_monitoring",
             "description": "集中监控、7×24值守、事件响应"},
            {"code": "security_ops", "name": "安全运维管理", "fee_item": "security_ops",
             "description": "安全策略维护、漏洞扫描、等保测评配合"},
            {"code": "data_processing", "name": "信息资源采集与加工", "fee_item": "data_processing",
             "description": "数据采集、清洗、加工、入库"},
        ],
        "rate_rules": [{"asset_kind": k, "fee_item": i, "rate": r,
                        "service_content": "hw_maintenance" if i == "hw_upkeep" else "sw_maintenance"}
                       for k, i, r in _RATES],
        "workload_standards": [
            {"service_content": "app_support", "asset_kind": "application_complex",
             "staff_grade": "高级工程师", "person_days": "20"},
            {"service_content": "app_support", "asset_kind": "application_simple",
             "staff_grade": "工程师", "person_days": "8"},
            {"service_content": "monitoring", "asset_kind": "server", "staff_grade": "助理工程师",
             "person_days": "1.5"},
            {"service_content": "security_ops", "asset_kind": "security_device", "staff_grade": "工程师",
             "person_days": "2"},
            {"service_content": "data_processing", "asset_kind": "information_resource",
             "staff_grade": "工程师", "person_days": "10"},
        ],
        "labour_costs": [
            {"staff_grade": g, "region": r, "yuan_per_person_month": str(amount)}
            for g, base in (("高级工程师", 30000), ("工程师", 22000), ("助理工程师", 15000))
            for r, amount in (("省会城市", base), ("地级市", base * 85 // 100))
        ],
        "spare_parts": [
            {"asset_kind": "server", "fee_item": "hw_spare_parts", "yuan_per_unit": "1200.00"},
            {"asset_kind": "storage", "fee_item": "hw_spare_parts", "yuan_per_unit": "2500.00"},
            {"asset_kind": "network_core", "fee_item": "hw_spare_parts", "yuan_per_unit": "3000.00"},
            {"asset_kind": "network_access", "fee_item": "hw_spare_parts", "yuan_per_unit": "300.00"},
        ],
        "consumables": [
            {"asset_kind": "server", "fee_item": "consumables", "yuan_per_unit": "150.00"},
            {"asset_kind": "machine_room", "fee_item": "consumables", "yuan_per_unit": "5000.00"},
            {"asset_kind": "ups", "fee_item": "consumables", "yuan_per_unit": "800.00"},
        ],
        "coefficients": [
            {"dimension": "support_mode", "value": "on_site", "factor": "1.00", "name": "现场支持"},
            {"dimension": "support_mode", "value": "remote", "factor": "0.80", "name": "远程支持"},
            {"dimension": "protection_level", "value": "3", "factor": "1.10", "name": "等保三级"},
            {"dimension": "protection_level", "value": "4", "factor": "1.20", "name": "等保四级"},
            {"dimension": "response_time", "value": "7x24", "factor": "1.15", "name": "7×24小时响应"},
            {"dimension": "user_scale", "value": "large", "factor": "1.10", "name": "大规模用户"},
            {"dimension": "user_scale", "value": "small", "factor": "0.90", "name": "小规模用户"},
        ],
    }
