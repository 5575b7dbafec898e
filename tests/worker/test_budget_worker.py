"""budget-worker as a nameko container on a real broker and PostgreSQL: the org read model and
outsource payments, each applied once however often the event is delivered."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from budget import handlers
from budget.adapters.uow import BudgetUnitOfWork
from budget.domain.commands import ApproveStandard, ChangeBudgetState, CompileBudget, CreateStandard, RegisterAsset
from budget.domain.sample import SAMPLE_CODE, SAMPLE_NAME, SAMPLE_REGION, sample_body
from budget.worker import Service as BudgetWorker
from govkit.auth import SYSTEM, Principal, Scope
from govkit.events import Envelope


def _org_created(event_id, unit, name, parent):
    return Envelope(id=event_id, source="org", type="govops.org.org_unit_created.v1",
                    time="2026-11-25T08:00:00+00:00", subject=unit, org_unit_id=unit, correlationid="c",
                    data={"org_unit_id": unit, "name": name, "parent_id": parent, "kind": "department"}).to_dict()


def _payment(event_id, payment_id, amount="800.00"):
    return Envelope(id=event_id, source="outsource", type="govops.outsource.payment_recorded.v1",
                    time="2027-05-01T02:00:00+00:00", subject=payment_id, org_unit_id="fgw", correlationid="c",
                    data={"payment_id": payment_id, "contract_id": "HT-2027-001", "project_id": "pr-1",
                          "vendor_id": "v-1", "org_unit_id": "fgw", "milestone_id": "m-1",
                          "fee_category": "hardware_om", "budget_year": 2027, "budget_line_ref": None,
                          "amount": amount, "paid_on": "2027-05-01"}).to_dict()


def test_org_units_feed_the_read_model_once(container_factory, config, engine_for):
    engine = engine_for("budget")
    container = container_factory(BudgetWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    for event in (_org_created("o1", "gov", "某市人民政府", None), _org_created("o2", "fgw", "市发改委", "gov"),
                  _org_created("o2", "fgw", "市发改委", "gov")):
        with entrypoint_waiter(container, "on_org_unit_created"):
            dispatch("org", "org_unit_created", event)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT id, parent_id FROM orgdir_units ORDER BY id")).all() == [("fgw", "gov"),
                                                                                               ("gov", None)]
        assert c.execute(sa.text("SELECT count(*) FROM inbox")).scalar() == 2


def _approved_budget(engine) -> str:
    uow = lambda: BudgetUnitOfWork(engine)  # noqa: E731
    handlers.upsert_org_units([("gov", "某市人民政府", None), ("fgw", "市发改委", "gov")], uow())
    handlers.register_asset(RegisterAsset({"code": "W-1", "name": "服务器", "kind": "server", "org_unit_id": "fgw",
                                           "original_value": "20000"}), uow(), SYSTEM)
    s = handlers.create_standard(CreateStandard(SAMPLE_CODE, SAMPLE_NAME, "2026-01-01", "", sample_body(),
                                                SAMPLE_REGION), uow(), SYSTEM)
    finance = Principal("finance", "财务审核", (), frozenset({"*"}), Scope(None))  # not the preparer
    handlers.approve_standard(ApproveStandard(s.id), uow(), finance)
    b = handlers.compile_budget(CompileBudget("fgw", 2027, s.id), uow(), SYSTEM).budget
    handlers.change_budget_state(ChangeBudgetState(b.id, "submit"), uow(), SYSTEM)
    for step in ("review", "approve"):
        handlers.change_budget_state(ChangeBudgetState(b.id, step), uow(), finance)
    return b.id


def test_outsource_payments_become_spending_exactly_once_and_events_leave(container_factory, config, engine_for):
    engine = engine_for("budget")
    budget_id = _approved_budget(engine)
    container = container_factory(BudgetWorker, config)
    container.start()
    dispatch = event_dispatcher(config)
    for event_id, payment_id in (("p-e1", "P-1"), ("p-e1", "P-1"), ("p-e2", "P-1"), ("p-e3", "P-2")):
        with entrypoint_waiter(container, "on_payment_recorded"):
            dispatch("outsource", "payment_recorded", _payment(event_id, payment_id))
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT external_id, amount, budget_id FROM expenses ORDER BY external_id")).all()
    assert [(r[0], r[1], str(r[2])) for r in rows] == [("outsource:P-1", Decimal("800.00"), budget_id),
                                                       ("outsource:P-2", Decimal("800.00"), budget_id)]
    with entrypoint_hook(container, "get_budget") as get_budget:
        assert get_budget(budget_id)["state"] == "approved"

    def all_sent():
        with engine.connect() as c:
            return c.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar() == 0

    import time

    deadline = time.monotonic() + 15
    while not all_sent() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all_sent(), "the relay publishes budget's outbox (expense_recorded, thresholds, …)"


def test_a_renamed_org_unit_reaches_budget_reports(container_factory, config, engine_for):
    """Budget names the unit in its exported budget: org's rename must reach it (and a move its tree)."""
    import io
    import time

    import openpyxl

    from budget.grpc_api import export_budget

    engine = engine_for("budget")
    budget_id = _approved_budget(engine)
    container = container_factory(BudgetWorker, config)
    container.start()
    renamed = Envelope(id="o-ren", source="org", type="govops.org.org_unit_renamed.v1",
                       time="2026-11-26T08:00:00+00:00", subject="fgw", org_unit_id="fgw", correlationid="c",
                       data={"org_unit_id": "fgw", "name": "市发展和改革委员会", "old_name": "市发改委"}).to_dict()
    event_dispatcher(config)("org", "org_unit_renamed", renamed)

    def title():
        content, _ = export_budget(budget_id, "xlsx", lambda: BudgetUnitOfWork(engine), SYSTEM)
        return openpyxl.load_workbook(io.BytesIO(content)).active["A1"].value

    deadline = time.monotonic() + 15
    while "市发展和改革委员会" not in title() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert title().startswith("市发展和改革委员会（fgw）2027年度")
