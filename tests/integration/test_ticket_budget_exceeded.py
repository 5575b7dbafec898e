"""Issue 12 item 5: budget's `budget_exceeded` is acted on — ticket opens one request ticket for
the finance reviewer of the budget unit (a position with a budget-approval responsibility in the
org replica, else the unit's O&M officer), one per (budget, scope) however often it is sent."""

from __future__ import annotations

import sqlalchemy as sa

from govkit.events import Envelope
from govkit.orgdir import OrgDirectory
from ticket.adapters.uow import TicketUnitOfWork
from ticket.handlers import budget_alerts


def _exceeded(event_id, budget_id="B-1", scope="hardware_om", unit="czj"):
    return Envelope(id=event_id, source="budget", type="govops.budget.budget_exceeded.v1",
                    time="2027-05-01T02:00:00+00:00", subject=budget_id, org_unit_id=unit, correlationid=None,
                    data={"budget_id": budget_id, "org_unit_id": unit, "year": 2027, "scope": scope,
                          "budgeted": "1000.00", "spent": "1200.00", "execution_rate": "120.00"})


def _org(engine, *, finance: bool):
    with engine.begin() as conn:
        d = OrgDirectory(conn)
        d.apply("org_unit_created", {"org_unit_id": "gov", "name": "某市人民政府", "parent_id": None})
        d.apply("org_unit_created", {"org_unit_id": "czj", "name": "市财政局", "parent_id": "gov"})
        d.apply("position_created", {"position_id": "czj-officer", "org_unit_id": "czj", "code": "officer",
                                     "name": "部门运维专员",
                                     "responsibilities": [{"kind": "approval", "value": "change"}]})
        d.apply("staff_created", {"staff_id": "C001", "name": "马超", "org_unit_id": "czj"})
        d.apply("staff_assigned", {"staff_id": "C001", "position_id": "czj-officer", "start_date": "2020-01-01"})
        if finance:
            d.apply("position_created", {"position_id": "gov-finance", "org_unit_id": "gov", "code": "finance",
                                         "name": "财务审核岗",
                                         "responsibilities": [{"kind": "approval", "value": "budget"}]})
            d.apply("staff_created", {"staff_id": "F900", "name": "财务审核", "org_unit_id": "gov"})
            d.apply("staff_assigned", {"staff_id": "F900", "position_id": "gov-finance",
                                       "start_date": "2020-01-01"})


def _tickets(engine):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT ticket_type, org_unit_id, assignee, title FROM tickets ORDER BY number")).all()


def test_budget_exceeded_opens_one_ticket_for_the_finance_reviewer(engine_for):
    engine = engine_for("ticket")
    _org(engine, finance=True)
    uow = lambda: TicketUnitOfWork(engine)  # noqa: E731
    assert budget_alerts.on_budget_exceeded(_exceeded("x1"), uow()) == "opened"
    assert budget_alerts.on_budget_exceeded(_exceeded("x1"), uow()) == "duplicate"   # redelivered
    assert budget_alerts.on_budget_exceeded(_exceeded("x2"), uow()) == "duplicate"   # same budget and scope
    [(kind, unit, assignee, title)] = _tickets(engine)
    assert (kind, unit, assignee) == ("request", "czj", "F900") and "超" in title
    assert budget_alerts.on_budget_exceeded(_exceeded("x3", scope="total"), uow()) == "opened"
    assert len(_tickets(engine)) == 2


def test_without_a_finance_reviewer_the_units_om_officer_gets_it(engine_for):
    engine = engine_for("ticket")
    _org(engine, finance=False)
    assert budget_alerts.on_budget_exceeded(_exceeded("y1"), TicketUnitOfWork(engine)) == "opened"
    [(_, _, assignee, _)] = _tickets(engine)
    assert assignee == "C001"
