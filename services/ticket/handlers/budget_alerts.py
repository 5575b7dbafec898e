"""budget's `budget_exceeded` → one request ticket for the finance reviewer of the budget unit.

Who reviews: the holders of a position with a budget-approval responsibility (`approval:budget`)
in the budget unit, else in its nearest ancestor; without one, the holders of a position of the
unit (or nearest ancestor) with the change-approval responsibility — the department's O&M
officer. The least loaded holder gets it; with nobody, it waits unassigned in the queue (logged).
One ticket per (budget, scope): the idempotency key `budget-exceeded:<budget>:<scope>` dedupes
redeliveries and a second event for the same scope."""

from __future__ import annotations

from datetime import datetime

from govkit import logs
from govkit.auth import SYSTEM
from govkit.consumers import deliver
from govkit.events import Envelope, utcnow

from ..domain.commands import CreateTicket
from ..domain.escalation import least_loaded
from ..domain.model import Ticket
from ..domain.ports import TicketUow
from ._common import number_year, policy_for

log = logs.get_logger(__name__)
CONSUMER = "ticket.on_budget_exceeded"  # the worker's inbox name: direct and worker deliveries dedupe together
BUDGET_APPROVAL = ("approval", "budget")
OM_OFFICER = ("approval", "change")


def finance_reviewer(uow: TicketUow, unit: str, now: datetime) -> tuple[str | None, str | None]:
    """(staff id, position id) of whoever reviews the unit's budget; (None, None) if nobody."""
    chain = [unit, *uow.orgdir.ancestors(unit)]
    for kind, value in (BUDGET_APPROVAL, OM_OFFICER):
        by_unit: dict[str, list[str]] = {}
        for pid in uow.orgdir.positions_responsible_for(kind, value):
            p = uow.orgdir.position(pid) or {}
            by_unit.setdefault(p.get("org_unit_id", ""), []).append(pid)
        for u in chain:
            for pid in sorted(by_unit.get(u, [])):
                holders = uow.orgdir.holders(pid, now.date())
                if holders:
                    return least_loaded(holders, uow.tickets.open_load(holders)), pid
    return None, None


def apply_budget_exceeded(env: Envelope, uow: TicketUow, *, now: datetime | None = None) -> str:
    """Inside the consumer's transaction. Returns "opened" or "duplicate"."""
    now = now or utcnow()
    d = env.data
    unit, budget_id, scope = str(d.get("org_unit_id") or ""), str(d.get("budget_id") or ""), str(d.get("scope") or "")
    key = f"budget-exceeded:{budget_id}:{scope}"
    if uow.tickets.by_idempotency_key(SYSTEM.subject, key) is not None:
        return "duplicate"
    what = "预算总额" if scope == "total" else f"费用类别 {scope}"
    title = f"预算超支：{unit} {d.get('year')} 年{what}已超出预算"
    description = (f"预算 {budget_id}（{unit}，{d.get('year')} 年）{what}：预算 {d.get('budgeted')} 元，"
                   f"已支出 {d.get('spent')} 元，执行率 {d.get('execution_rate')}%。请财务审核人员核实超支原因，"
                   "必要时办理超预算审批或调整预算，并记录整改。")
    create = CreateTicket(title=title, description=description, org_unit_id=unit, ticket_type="request",
                          impact="medium", urgency="high", category="application", idempotency_key=key,
                          details={"budget_id": budget_id, "scope": scope, "source": "budget.budget_exceeded"})
    policy = policy_for(uow, None, unit)
    cal = uow.sla.calendar(policy.calendar_id)
    t = Ticket.open(create, requester=SYSTEM.subject, now=now, policy=policy, calendar=cal, item=None)
    t.number = uow.tickets.next_number(t.ticket_type, number_year(now))
    reviewer, position = finance_reviewer(uow, unit, now)
    routed = t.assign(reviewer, by="system", method="auto", now=now, cal=cal) if reviewer else []
    if reviewer is None:
        log.warning("budget_exceeded_no_reviewer", budget_id=budget_id, org_unit_id=unit, scope=scope,
                    hint="give a position of the unit the responsibility approval:budget")
    if not uow.tickets.add(t, SYSTEM.subject):
        return "duplicate"
    uow.deadlines.replace(t.id, t.deadlines(cal, uow.settings), now, new=True)
    uow.collect(t.created_event(now), *routed)
    log.info("budget_exceeded_ticket", ticket=t.number, budget_id=budget_id, scope=scope, assignee=reviewer,
             position=position)
    return "opened"


def on_budget_exceeded(env: Envelope, uow: TicketUow) -> str:
    """`apply_budget_exceeded` exactly once per envelope (and once per budget and scope)."""
    dl = deliver(uow, CONSUMER, env, apply_budget_exceeded)
    return dl.result if dl.new else "duplicate"
