"""Message templates per event kind and channel, in Chinese, rendered with Jinja2's
SandboxedEnvironment (a template cannot reach Python internals). A template that fails to render
falls back to a plain default built without templates, and the error is kept on the delivery
(`template_error`, visible in the delivery log) — the notification is never dropped."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ..domain.model import EMAIL, KINDS

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)
_HTML_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True)

PRIORITY = {"critical": "紧急", "high": "高", "medium": "中", "low": "低"}
RISK = {"high": "高", "medium": "中", "low": "低"}
CHANGE_TYPE = {"normal": "普通变更", "emergency": "紧急变更", "standard": "标准变更"}
LEVEL = {"reminder": "提醒", "formal_talk": "约谈", "notice_of_criticism": "通报批评", "referral": "移交问责"}
STEP = {"department": "部门审批", "cab": "变更咨询委员会（CAB）审批", "ecab": "紧急变更委员会（ECAB）审批"}
TARGET = {"response": "响应", "resolution": "解决"}

# ticket events carry no title (only ticket_created does): the line leaves the quotes out then
_TICKET_LINE = "工单 {{ number }}{% if title %}「{{ title }}」{% else %} {% endif %}"
# kind → (subject, text). The text is the e-mail's plain part, the robots' markdown and the SMS gist.
TEMPLATES: dict[str, tuple[str, str]] = {
    "ticket_assigned": (
        "【运维工单】{{ number }} 已分派给您",
        _TICKET_LINE + "已分派给您处理，优先级：{{ priority_cn }}。\n"
        "{% if resolution_due_at %}解决时限：{{ resolution_due_at }}。\n{% endif %}"
        "查看工单：{{ link }}"),
    "ticket_resolved": (
        "【运维工单】{{ number }} 已解决",
        "您提交的" + _TICKET_LINE + "已解决，请确认处理结果并评价。\n查看工单：{{ link }}"),
    "info_requested": (
        "【运维工单】{{ number }} 需要您补充信息",
        "您提交的" + _TICKET_LINE + "需要您补充信息后才能继续处理，请在工单中回复。\n查看工单：{{ link }}"),
    "sla_warning": (
        "【时限预警】{{ number }} 即将超出{{ target_cn }}时限",
        _TICKET_LINE + "（优先级：{{ priority_cn }}）即将超出{{ target_cn }}时限"
        "{% if due_at %}（时限 {{ due_at }}）{% endif %}，请及时处理。\n查看工单：{{ link }}"),
    "sla_breached": (
        "【超时告警】{{ number }} 已超出{{ target_cn }}时限",
        _TICKET_LINE + "（优先级：{{ priority_cn }}）已超出{{ target_cn }}时限"
        "{% if due_at %}（时限 {{ due_at }}）{% endif %}，请尽快处理。\n查看工单：{{ link }}"),
    "ticket_escalated": (
        "【工单升级】{{ number }} 已升级至第 {{ level }} 级",
        _TICKET_LINE + "（优先级：{{ priority_cn }}）已升级至第 {{ level }} 级，原因：{{ reason }}。\n"
        "查看工单：{{ link }}"),
    "budget_exceeded": (
        "【预算超支】{{ org_unit_id }} {{ year }} 年度预算（{{ scope }}）已超支",
        "{{ org_unit_id }} {{ year }} 年度预算（{{ scope }}）已超支：预算 {{ budgeted }} 元，"
        "已支出 {{ spent }} 元，执行率 {{ execution_rate }}%。\n查看预算：{{ link }}"),
    "comment_added": (
        "【运维工单】{{ number }} 有新的留言",
        _TICKET_LINE + "有新的{% if visibility == 'internal' %}内部{% endif %}留言"
        "{% if author %}（{{ author }}）{% endif %}：\n{{ body | truncate(500) }}\n查看工单：{{ link }}"),
    "change_awaiting_approval": (
        "【变更审批】{{ number }} 等待您审批",
        "变更" + _TICKET_LINE + "（{{ change_type_cn }}，风险：{{ risk_cn }}）已提交，"
        "等待您审批（{{ step_names }}）。\n"
        "查看变更：{{ link }}"),
    "rectification_assigned": (
        "【整改任务】{{ indicator_name }} 低于基线，请于 {{ due_date }} 前完成整改",
        "评价对象 {{ object_id }} 的指标「{{ indicator_name }}」结果 {{ actual }}，低于基线 {{ baseline }}，"
        "整改任务已下达给您所在的岗位，截止日期：{{ due_date }}。\n"
        "{% for a in actions %}{{ loop.index }}. {{ a }}\n{% endfor %}"
        "查看：{{ link }}"),
    "rectification_overdue": (
        "【整改逾期】{{ object_id }} 的整改已逾期 {{ days_overdue }} 天",
        "评价对象 {{ object_id }}（指标 {{ indicator_code }}）的整改任务已逾期 {{ days_overdue }} 天，"
        "已按问责规则记录「{{ level_cn }}」，请尽快完成整改。\n查看：{{ link }}"),
    "qualification_expiring": (
        "【资质到期】供应商 {{ vendor_id }} 的「{{ name }}」将于 {{ expires_on }} 到期",
        "供应商 {{ vendor_id }} 的资质「{{ name }}」将于 {{ expires_on }} 到期（剩余 {{ days_left }} 天），"
        "请督促供应商及时更新。\n查看供应商：{{ link }}"),
    "evaluation_published": (
        "【绩效评价】{{ name }} 已发布",
        "{{ name }}（{{ period_start }} 至 {{ period_end }}）已发布，"
        "共 {{ results | length }} 个评价对象。\n查看评价结果：{{ link }}"),
    "test": (
        "【测试】GovOps 通知测试消息",
        "这是一条来自 GovOps 的测试消息（{{ channel }}），收到即表示该通知渠道配置正确。"),
}

HTML = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: 'PingFang SC', 'Microsoft YaHei', sans-serif">
<h3>{{ subject }}</h3>
{% for line in lines %}<p>{{ line }}</p>
{% endfor %}{% if link %}<p><a href="{{ link }}">在运维门户中查看</a></p>{% endif %}
<p style="color:#888">此邮件由 GovOps 运维管理平台自动发送，请勿直接回复。</p>
</body></html>"""


# Plausible data for an administrator's preview of a template (every field the built-in ones use).
SAMPLE: dict = {
    "ticket_id": "7f1c1c5e-0000-4000-8000-000000000001", "number": "INC-2026-000042",
    "title": "政务外网核心交换机端口故障",
    "priority": "high", "target": "resolution", "due_at": "2026-12-03 17:30", "resolution_due_at": "2026-12-03 17:30",
    "level": 2, "reason": "sla_breach", "org_unit_id": "czj", "year": 2026, "scope": "total", "budgeted": "100000.00",
    "spent": "120000.00", "execution_rate": "120.00", "author": "zhulin", "body": "仍然无法访问，请尽快处理。",
    "visibility": "public", "indicator_name": "一次解决率", "object_id": "om-centre/group/grp-network",
    "actual": 0.62, "baseline": 0.8, "due_date": "2026-12-31", "actions": ["分析原因", "制定整改措施"],
    "vendor_id": "vendor-hx", "name": "信息系统建设和服务能力等级证书", "expires_on": "2026-12-10", "days_left": 7,
    "period_start": "2026-11-01", "period_end": "2026-11-30", "results": [{"org_unit_id": "czj"}],
    "plan_id": "p-2026-11", "budget_id": "b-czj-2026", "indicator_code": "ind_first_contact",
    "days_overdue": 16, "change_type": "normal", "risk": "high",
    "steps": [{"step": "department", "org_unit_id": "czj", "positions": ["czj-officer"]}],
}


def check(subject: str, text: str) -> list[tuple[str, str]]:
    """(field, reason) for a template that does not compile in the sandbox (checked on save)."""
    problems = []
    for name, source in (("subject", subject), ("text", text)):
        if not source.strip():
            problems.append((name, "must not be empty"))
            continue
        try:
            _ENV.parse(source)
        except Exception as exc:  # TemplateSyntaxError and its kin: name the line
            line = getattr(exc, "lineno", None)
            problems.append((name, f"{type(exc).__name__}: {exc}" + (f" (line {line})" if line else "")))
    return problems


@functools.lru_cache(maxsize=256)
def _compiled(source: str, html: bool = False):
    """A template compiled once per source text (compiling costs far more than rendering)."""
    return (_HTML_ENV if html else _ENV).from_string(source)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    error: str = ""  # non-empty: a template failed and this is the plain fallback


def context(kind: str, data: dict, link: str, channel: str) -> dict:
    ctx = {k: ("" if v is None else v) for k, v in data.items()}
    ctx.update(kind=kind, link=link, channel=channel,
               priority_cn=PRIORITY.get(str(data.get("priority")), str(data.get("priority") or "")),
               target_cn=TARGET.get(str(data.get("target")), str(data.get("target") or "")),
               level_cn=LEVEL.get(str(data.get("level")), str(data.get("level") or "")),
               risk_cn=RISK.get(str(data.get("risk")), str(data.get("risk") or "")),
               change_type_cn=CHANGE_TYPE.get(str(data.get("change_type")), str(data.get("change_type") or "")))
    for key in ("number", "title", "level", "reason", "org_unit_id", "year", "scope", "budgeted", "spent",
                "execution_rate", "due_at", "resolution_due_at", "author", "body", "visibility", "indicator_name",
                "object_id", "actual", "baseline", "due_date", "vendor_id", "name", "expires_on", "days_left",
                "period_start", "period_end", "days_overdue", "indicator_code"):
        ctx.setdefault(key, "")
    for key in ("actions", "results", "steps"):
        ctx.setdefault(key, [])
    # an administrator's step names pass through as they are
    ctx["step_names"] = "、".join(STEP.get(str(s.get("step")), str(s.get("step"))) for s in ctx["steps"]
                                  if isinstance(s, dict))
    return ctx


def render(kind: str, data: dict, link: str, channel: str, overrides: dict[str, tuple[str, str]] | None = None
           ) -> Rendered:
    subject_src, text_src = (overrides or {}).get(kind) or TEMPLATES.get(kind) or TEMPLATES["test"]
    ctx = context(kind, data, link, channel)
    try:
        subject = _compiled(subject_src).render(ctx).strip()
        text = _compiled(text_src).render(ctx).strip()
        html = _compiled(HTML, True).render(subject=subject, lines=text.splitlines(), link=link) \
            if channel == EMAIL else ""
        return Rendered(subject, text, html)
    except Exception as exc:  # a broken (administrator-edited) template must not lose the message
        return fallback(kind, data, link, f"{type(exc).__name__}: {exc}")


def fallback(kind: str, data: dict, link: str, error: str) -> Rendered:
    """The plain default: no template engine involved."""
    title = KINDS.get(kind, kind)
    ref = " ".join(str(data[k]) for k in ("number", "title") if data.get(k))
    subject = f"【GovOps】{title}" + (f"：{data['number']}" if data.get("number") else "")
    text = "\n".join(x for x in (f"{title}。", ref, f"查看：{link}" if link else "") if x)
    return Rendered(subject, text, "", error)


def sms_params(kind: str, data: dict) -> dict:
    """The SMS template's parameters (a provider template is approved in advance; only these vary)."""
    ref = data.get("number") or data.get("budget_id") or data.get("vendor_id") or data.get("indicator_name") or \
        data.get("name") or ""
    return {"kind": KINDS.get(kind, kind)[:20], "number": str(ref)[:20]}

