"""The permission catalogue and the default roles every installation starts with.

A permission names one kind of act (`ticket.create`); a role is a named set of permissions; a
role assignment gives a role to a subject within a scope (an org unit, optionally with its
subtree). docs/org-roles.md documents the defaults."""

from __future__ import annotations

from dataclasses import dataclass

PERMISSIONS: dict[str, str] = {
    # org
    "org.read": "查看组织机构、岗位、人员、值班",
    "org.admin": "维护组织机构、岗位、人员、支持组、值班表",
    "org.grant": "授予和撤销角色",
    "org.identity": "管理用户与服务账号",
    # ticket
    "ticket.create": "提交工单",
    "ticket.read": "查看工单",
    "ticket.department.read": "查看本部门（管辖范围内）全部工单列表",
    "ticket.comment": "评论与补充信息",
    "ticket.assign": "分派、转派工单",
    "ticket.reprioritise": "调整工单优先级（须说明理由）",
    "ticket.work": "处理工单（受理、解决）",
    "ticket.approve_change": "审批变更",
    "ticket.catalogue.write": "维护服务目录",
    "ticket.kb.write": "维护知识库",
    "ticket.audit.read": "查看工单审计记录",
    "ticket.admin": "工单平台管理",
    # budget
    "budget.read": "查看资产与预算",
    "budget.asset.write": "维护配置库（资产）",
    "budget.standard.write": "维护预算定额标准",
    "budget.standard.approve": "批准预算定额标准",
    "budget.compile": "编制预算",
    "budget.review": "审核预算",
    "budget.approve": "批准预算",
    "budget.expense.record": "登记预算执行支出",
    # outsource
    "outsource.read": "查看外包项目与服务商",
    "outsource.manage": "管理服务商、外包项目与合同",
    "outsource.accept": "外包验收",
    "outsource.pay": "登记付款",
    # evaluation
    "evaluation.read": "查看绩效指标与评价结果",
    "evaluation.model.write": "维护评价模型",
    "evaluation.run": "发起和推进评价计划",
    "evaluation.score": "自评与人工评分",
    "evaluation.review": "评价复核",
    "evaluation.publish": "发布评价结果",
    "evaluation.accountability": "整改与问责",
    # notify
    "notify.self": "查看本人通知、设置通知偏好",
    "notify.admin": "查看投递记录、发送测试消息、重发失败投递",
}


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    description: str
    permissions: frozenset[str]


def _role(code: str, name: str, description: str, *perms: str) -> RoleSpec:
    unknown = set(perms) - PERMISSIONS.keys() - {"*"}
    assert not unknown, unknown
    # everyone but the read-only auditor reads their own notifications and sets their preferences
    own = set() if "*" in perms or code == "auditor" else {"notify.self"}
    return RoleSpec(code, name, description, frozenset(perms) | own)


_READ_ALL = ("org.read", "ticket.read", "ticket.department.read", "budget.read", "outsource.read", "evaluation.read")

DEFAULT_ROLES: tuple[RoleSpec, ...] = (
    _role("requester", "业务用户", "在服务请求窗口提交、跟踪、确认和评价本部门的工单",
          "org.read", "ticket.create", "ticket.read", "ticket.comment"),
    _role("service_desk_agent", "服务台坐席", "登记、分派和跟踪工单，维护知识库",
          "org.read", "ticket.create", "ticket.read", "ticket.department.read", "ticket.comment", "ticket.assign",
          "ticket.reprioritise", "ticket.kb.write"),
    _role("engineer", "运维工程师", "在运维窗口受理、处理和解决工单",
          "org.read", "ticket.create", "ticket.read", "ticket.comment", "ticket.work", "ticket.kb.write",
          "evaluation.read", "evaluation.score"),
    _role("group_lead", "组长", "管理支持组队列与值班，分派、升级、审批变更",
          "org.read", "ticket.create", "ticket.read", "ticket.department.read", "ticket.comment", "ticket.assign",
          "ticket.work", "ticket.reprioritise", "ticket.approve_change", "ticket.kb.write", "ticket.audit.read",
          "evaluation.read", "evaluation.score"),
    _role("dept_om_officer", "部门运维专员", "代表本部门管理运维需求、资产、预算申报和自评",
          "org.read", "ticket.create", "ticket.read", "ticket.department.read", "ticket.comment",
          "ticket.approve_change", "budget.read", "budget.asset.write", "budget.compile", "budget.expense.record",
          "outsource.read", "evaluation.read", "evaluation.score"),
    _role("om_centre_director", "运维中心主任", "统筹运维组织、流程、预算、外包和绩效，查看全部部门",
          *_READ_ALL, "org.admin", "org.grant", "ticket.create", "ticket.comment", "ticket.assign",
          "ticket.work", "ticket.reprioritise", "ticket.approve_change", "ticket.catalogue.write", "ticket.kb.write",
          "ticket.audit.read", "ticket.admin", "budget.compile", "budget.review", "budget.standard.write",
          "outsource.manage", "outsource.accept", "evaluation.run", "evaluation.review",
          "evaluation.publish", "evaluation.accountability", "evaluation.model.write", "notify.admin"),
    _role("finance_reviewer", "财务审核", "审核和批准运维预算，批准定额标准，登记支出与付款",
          "org.read", "budget.read", "budget.review", "budget.approve", "budget.standard.approve",
          "budget.expense.record", "outsource.read", "outsource.pay", "evaluation.read"),
    _role("evaluator", "绩效评价员", "维护评价模型，组织评价计划，复核与发布结果，发起整改与问责",
          *_READ_ALL, "evaluation.model.write", "evaluation.run", "evaluation.score", "evaluation.review",
          "evaluation.publish", "evaluation.accountability"),
    _role("auditor", "审计员", "只读查看全部数据与审计记录", *_READ_ALL, "ticket.audit.read"),
    _role("system_admin", "系统管理员", "全部权限（含身份与授权管理）", "*"),
)

ROLES_BY_CODE = {r.code: r for r in DEFAULT_ROLES}
