"""Issue 12 item 5 on real PostgreSQL: a construction payment is not O&M spending, a signed
contract shows as committed, a payment consumes its commitment, an over-budget contract is
refused until a different person approves it with a reason (budget's side, then outsource's)."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest
import sqlalchemy as sa

from budget import handlers
from budget.adapters.uow import BudgetUnitOfWork
from budget.domain.commands import ApproveOverBudget
from govkit.auth import Principal, Scope
from govkit.client import channel
from govkit.errors import PermissionDenied
from govkit.events import Envelope
from govkit.protoconv import as_money
from govops.budget.v1 import budget_pb2 as bpb
from govops.budget.v1 import budget_pb2_grpc as bpb_grpc
from tests.worker.test_budget_worker import _approved_budget


def _payment(event_id, payment_id, amount, kind="om", category="hardware_om", contract_id="HT-1"):
    return Envelope(id=event_id, source="outsource", type="govops.outsource.payment_recorded.v1",
                    time="2027-05-01T02:00:00+00:00", subject=payment_id, org_unit_id="fgw", correlationid="c",
                    data={"payment_id": payment_id, "contract_id": contract_id, "project_id": "pr-1",
                          "vendor_id": "v-1", "org_unit_id": "fgw", "milestone_id": "m-1", "project_kind": kind,
                          "fee_category": category, "budget_year": 2027, "budget_line_ref": None,
                          "amount": amount, "paid_on": "2027-05-01"})


def _signed(event_id, contract_id, amount, signed_by="zhangw"):
    return Envelope(id=event_id, source="outsource", type="govops.outsource.contract_signed.v1",
                    time="2027-01-02T02:00:00+00:00", subject=contract_id, org_unit_id="fgw", correlationid="c",
                    data={"contract_id": contract_id, "project_id": "pr-1", "vendor_id": "v-1", "org_unit_id": "fgw",
                          "amount": amount, "starts_on": "2027-01-01", "ends_on": "2027-12-31",
                          "vendor_group_id": None, "project_kind": "om", "fee_category": "hardware_om",
                          "budget_year": 2027, "signed_by": signed_by})


@pytest.fixture
def budget_db(engine_for):
    engine = engine_for("budget")
    budget_id = _approved_budget(engine)
    return engine, budget_id, (lambda: BudgetUnitOfWork(engine))


def _hardware(uow, budget_id):
    with uow() as u:
        b = u.budgets.get(budget_id)
    return b.by_category["hardware_om"]


def test_a_construction_payment_is_not_om_spending(budget_db):
    engine, budget_id, uow = budget_db
    assert handlers.on_payment_recorded(_payment("e1", "P-1", "1500000.00", kind="construction", category=""),
                                        uow()) == "not_om"
    x = handlers.execution(budget_id, uow(), Principal("r", "r", (), frozenset({"*"}), Scope(None)))
    assert x.total_spent == Decimal("0.00") and x.by_category == {}
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT status, budget_id, fee_category FROM expenses")).one() == ("not_om", None, "")
        assert c.execute(sa.text("SELECT count(*) FROM outbox WHERE type LIKE '%budget_exceeded%'")).scalar() == 0


def test_commitment_payment_and_over_budget_approval(budget_db, grpc_server, signer):
    engine, budget_id, uow = budget_db
    hardware = _hardware(uow, budget_id)
    fits = str(hardware - Decimal("100.00"))
    assert handlers.on_contract_signed(_signed("s1", "HT-1", fits), uow()) == "committed"
    assert handlers.on_contract_signed(_signed("s1", "HT-1", fits), uow()) == "duplicate"
    assert handlers.on_payment_recorded(_payment("e1", "P-1", "300.00"), uow()) == "recorded"
    assert handlers.on_payment_recorded(_payment("e1b", "P-1", "300.00"), uow()) == "duplicate"
    # 100.00 is left: a second contract for 150 does not fit
    assert handlers.on_contract_signed(_signed("s2", "HT-2", "150.00"), uow()) == "over_budget"
    assert handlers.on_payment_recorded(_payment("e2", "P-2", "50.00", contract_id="HT-2"), uow()) == "blocked"

    target = grpc_server("budget")["budget"]
    reader = bpb_grpc.BudgetServiceStub(channel(target, signer.mint("reader", perms=["budget.read"],
                                                                      scopes=[{"unit": "*"}])))
    x = reader.GetExecution(bpb.GetExecutionRequest(budget_id=budget_id), timeout=30)
    [hw] = [c for c in x.categories if c.code == "hardware_om"]
    assert hw.spent == as_money("300.00") and hw.committed.amount == str(Decimal(fits) - Decimal("300.00"))
    assert hw.available == as_money("100.00")
    assert Decimal(x.total_available.amount) == Decimal(x.budget.total.amount) - 300 - Decimal(hw.committed.amount)
    by_contract = {c.contract_id: c for c in x.commitments}
    assert by_contract["HT-1"].state == bpb.COMMITMENT_STATE_OPEN and by_contract["HT-1"].paid == as_money("300.00")
    refused = by_contract["HT-2"]
    assert refused.state == bpb.COMMITMENT_STATE_OVER_BUDGET
    assert {e.status for e in x.expenses} == {"counted", "blocked"}

    def approve(subject, reason):
        token = signer.mint(subject, perms=["budget.approve", "budget.read"], scopes=[{"unit": "*"}])
        return bpb_grpc.BudgetServiceStub(channel(target, token)).ApproveOverBudget(
            bpb.ApproveOverBudgetRequest(commitment_id=refused.id, reason=reason), timeout=30)

    with pytest.raises(grpc.RpcError) as err:
        approve("finance", "")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        approve("zhangw", "我签的合同")
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED and "separation of duties" in err.value.details()
    done = approve("finance", "经局务会研究，同意超预算支出").commitment
    assert done.state == bpb.COMMITMENT_STATE_APPROVED and done.approved_by == "finance"
    with engine.connect() as c:
        [ev] = c.execute(sa.text("SELECT envelope FROM outbox WHERE type LIKE '%commitment_approved%'")).scalars()
    assert ev["data"]["contract_id"] == "HT-2" and ev["data"]["reason"] == "经局务会研究，同意超预算支出"
    assert handlers.on_payment_recorded(_payment("e3", "P-3", "50.00", contract_id="HT-2"), uow()) == "recorded"


def test_approval_by_the_signer_is_refused_on_the_handler_too(budget_db):
    engine, budget_id, uow = budget_db
    too_much = str(_hardware(uow, budget_id) + Decimal("1.00"))
    assert handlers.on_contract_signed(_signed("s1", "HT-9", too_much, signed_by="lisi"), uow()) == "over_budget"
    with uow() as u:
        [c] = u.budgets.commitments(budget_id)
    with pytest.raises(PermissionDenied):
        handlers.approve_over_budget(ApproveOverBudget(c.id, "同意"), uow(),
                                     Principal("lisi", "李四", (), frozenset({"*"}), Scope(None)))


def test_the_demo_contract_reserves_budget(engine_for):
    """budget's demo approves gov's 2026 budget; outsource's demo signs the 2026 O&M contract, which
    commits its 468,000.00 in software_om against it (and outsource learns it is committed)."""
    import io

    from rich.console import Console

    from budget import demo as budget_demo
    from outsource import demo as outsource_demo

    budget_engine, outsource_engine = engine_for("budget"), engine_for("outsource")
    out = io.StringIO()
    budget_demo.seed(Console(file=out, width=500))
    outsource_demo.seed(Console(file=out, width=500))
    outsource_demo.seed(Console(file=out, width=500))
    assert out.getvalue().count("budget: contract committed") == 2, out.getvalue()
    with budget_engine.connect() as c:
        [(state, amount, category, unit, year)] = c.execute(sa.text(
            "SELECT c.state, c.amount, c.fee_category, b.org_unit_id, b.year FROM commitments c "
            "JOIN budgets b ON b.id = c.budget_id")).all()
    assert (state, amount, category, unit, year) == ("open", Decimal("468000.00"), "software_om", "gov", 2026)
    with outsource_engine.connect() as c:
        assert c.execute(sa.text("SELECT budget_status FROM contracts")).scalar() == "committed"
