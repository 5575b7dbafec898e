"""The default catalogue shipped with the service (seeded by migration 0002; editable through
UpsertCatalogueItem). Group and position ids are the org directory's ids of the O&M centre."""

from __future__ import annotations

from .catalogue import CatalogueItem

IPV4 = r"^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$"
LOCATION = {"type": "string", "title": "地点", "minLength": 2, "maxLength": 100}
SYSTEM = {"type": "string", "title": "应用系统名称", "minLength": 2, "maxLength": 100}


def _form(required, **props) -> dict:
    return {"type": "object", "required": list(required), "properties": props, "additionalProperties": False}


def _folder(id, name, category, parent=None, sort=0):
    return CatalogueItem(id=id, name=name, category=category, parent_id=parent, kind="folder", sort=sort)


def _item(id, name, category, parent, ticket_type, group, position, *, impact="medium", urgency="medium",
          sla="standard", form=None, description="", sort=0):
    return CatalogueItem(id=id, name=name, category=category, parent_id=parent, kind="item",
                         ticket_type=ticket_type, impact=impact, urgency=urgency, sla_policy_id=sla,
                         group_id=group, position_id=position, form_schema=form or {},
                         description=description, sort=sort)


INF, APP, INFO = "infrastructure", "application", "information_resource"

DEFAULT_CATALOGUE = [
    _folder("infra", "基础设施运维", INF, sort=1),
    _folder("infra.network", "网络", INF, "infra", 1),
    _folder("infra.host", "主机与终端", INF, "infra", 2),
    _folder("infra.security", "安全系统", INF, "infra", 3),
    _folder("infra.storage", "存储", INF, "infra", 4),
    _folder("infra.facility", "机房设施", INF, "infra", 5),
    _folder("infra.database", "数据库", INF, "infra", 6),
    _item("infra.network.fault", "网络故障", INF, "infra.network", "incident", "grp-network", "pos-net-engineer",
          impact="medium", urgency="high",
          form=_form(["location"], location=LOCATION,
                     ip_address={"type": "string", "title": "IP地址", "pattern": IPV4},
                     affected_users={"type": "integer", "title": "受影响人数", "minimum": 1}),
          description="政务外网/内网中断、网速慢、无法访问"),
    _item("infra.network.access", "网络接入申请", INF, "infra.network", "request", "grp-network", "pos-net-engineer",
          impact="low", urgency="low",
          form=_form(["location", "ports"], location=LOCATION,
                     ports={"type": "integer", "title": "端口数量", "minimum": 1, "maximum": 48},
                     network={"type": "string", "enum": ["政务外网", "政务内网", "互联网"], "title": "网络"})),
    _item("infra.host.printer", "打印机/终端", INF, "infra.host", "incident", "grp-desktop", "pos-desk-engineer",
          impact="low", urgency="medium",
          form=_form(["location"], location=LOCATION,
                     asset_tag={"type": "string", "title": "资产编号", "pattern": "^[A-Z0-9-]{4,32}$"})),
    _item("infra.host.server-down", "服务器宕机", INF, "infra.host", "incident", "grp-host", "pos-host-engineer",
          impact="high", urgency="high", sla="critical-24x7",
          form=_form(["hostname"], hostname={"type": "string", "title": "主机名", "minLength": 2},
                     ip_address={"type": "string", "title": "IP地址", "pattern": IPV4})),
    _item("infra.security.incident", "等保安全事件", INF, "infra.security", "incident", "grp-security",
          "pos-sec-engineer", impact="high", urgency="high", sla="critical-24x7",
          form=_form(["event_kind"], event_kind={"type": "string", "title": "事件类型",
                                                 "enum": ["病毒木马", "网页篡改", "入侵攻击", "数据泄露", "其他"]},
                     system=SYSTEM)),
    _item("infra.storage.expand", "存储空间扩容", INF, "infra.storage", "request", "grp-host", "pos-host-engineer",
          impact="low", urgency="low",
          form=_form(["size_gb", "system"], size_gb={"type": "integer", "title": "扩容容量(GB)", "minimum": 1,
                                                     "maximum": 102400}, system=SYSTEM)),
    _item("infra.facility.hvac-ups", "机房空调/UPS", INF, "infra.facility", "incident", "grp-facility",
          "pos-fac-engineer", impact="high", urgency="high", sla="critical-24x7",
          form=_form(["room"], room={"type": "string", "title": "机房", "minLength": 2},
                     temperature_c={"type": "number", "title": "当前温度(℃)", "minimum": -20, "maximum": 80})),
    _item("infra.database.performance", "数据库性能", INF, "infra.database", "incident", "grp-database",
          "pos-db-engineer", impact="medium", urgency="high",
          form=_form(["instance"], instance={"type": "string", "title": "数据库实例", "minLength": 2},
                     slow_sql={"type": "string", "title": "慢SQL", "maxLength": 4000})),
    _item("infra.monitoring.alert", "监控告警", INF, "infra", "incident", "grp-network", "pos-net-engineer",
          impact="medium", urgency="high", description="集中监控平台（Alertmanager）告警自动生成的事件"),
    _folder("app", "应用系统运维", APP, sort=2),
    _item("app.account", "应用系统账号开通", APP, "app", "request", "grp-application", "pos-app-engineer",
          impact="low", urgency="medium",
          form=_form(["system", "account_name"], system=SYSTEM,
                     account_name={"type": "string", "title": "账号", "pattern": "^[a-zA-Z][a-zA-Z0-9_.-]{2,31}$"},
                     role={"type": "string", "title": "角色", "maxLength": 50})),
    _item("app.fault", "应用系统故障", APP, "app", "incident", "grp-application", "pos-app-engineer",
          impact="medium", urgency="high",
          form=_form(["system"], system=SYSTEM, error_message={"type": "string", "maxLength": 2000})),
    _item("app.change", "应用系统变更", APP, "app", "change", "grp-application", "pos-app-engineer",
          impact="medium", urgency="low", form=_form(["system"], system=SYSTEM)),
    _item("app.problem", "应用系统问题分析", APP, "app", "problem", "grp-application", "pos-app-engineer"),
    _folder("info", "信息资源维护", INFO, sort=3),
    _item("info.share", "数据共享申请", INFO, "info", "request", "grp-data", "pos-data-engineer",
          impact="low", urgency="low",
          form=_form(["resource", "purpose"], resource={"type": "string", "title": "信息资源名称", "minLength": 2},
                     purpose={"type": "string", "title": "用途", "minLength": 4},
                     until={"type": "string", "title": "使用期限", "format": "date"})),
    _item("info.catalogue-update", "信息资源目录更新", INFO, "info", "request", "grp-data", "pos-data-engineer",
          impact="low", urgency="low",
          form=_form(["resource"], resource={"type": "string", "title": "信息资源名称", "minLength": 2})),
    _item("info.quality", "数据质量问题", INFO, "info", "incident", "grp-data", "pos-data-engineer",
          form=_form(["resource"], resource={"type": "string", "title": "信息资源名称", "minLength": 2})),
]
