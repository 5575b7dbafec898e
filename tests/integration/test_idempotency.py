"""An idempotency key replays its first result only for the same request: every keyed create
refuses the key with a different body (ALREADY_EXISTS naming `idempotency_key`) and writes
nothing. Real servers, real stubs, real PostgreSQL — one test per service's keyed create."""

from __future__ import annotations

import grpc
import pytest
import sqlalchemy as sa

from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.orgdir import OrgDirectory
from govkit.protoconv import as_money
from govops.common.v1.common_pb2 import DateRange

UNITS = [("gov", None, "government"), ("om-centre", "gov", "om_centre"), ("fgw", "gov", "department"),
         ("czj", "gov", "department")]


def seed_units(engine) -> None:
    with engine.begin() as conn:
        d = OrgDirectory(conn)
        for unit, parent, kind in UNITS:
            d.apply("org_unit_created", {"org_unit_id": unit, "name": unit, "parent_id": parent, "kind": kind})


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def _refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        call()
    e = err.value
    assert e.code() == grpc.StatusCode.ALREADY_EXISTS, e.details()
    assert "idempotency_key" in dict(iter_bad_request(e))
    return e


def test_ticket_create_refuses_the_key_with_another_body(grpc_server, engine_for, admin_token):
    from govops.ticket.v1 import ticket_pb2 as pb
    from govops.ticket.v1 import ticket_pb2_grpc as pb_grpc

    engine = engine_for("ticket")
    seed_units(engine)
    stub = pb_grpc.TicketServiceStub(channel(grpc_server("ticket")["ticket"], admin_token))

    def req(**kw):
        base = dict(title="打印机无法连接", description="三楼", org_unit_id="fgw",
                    category=pb.CATEGORY_INFRASTRUCTURE, priority=pb.PRIORITY_MEDIUM, idempotency_key="k-1")
        return pb.CreateTicketRequest(**{**base, **kw})

    first = stub.CreateTicket(req(), timeout=10)
    again = stub.CreateTicket(req(), timeout=10)
    assert again.replayed and again.ticket.id == first.ticket.id
    _refused(lambda: stub.CreateTicket(req(title="另一个故障"), timeout=10))
    _refused(lambda: stub.CreateTicket(req(org_unit_id="czj"), timeout=10))
    assert _count(engine, "tickets") == 1
    # the same body with surrounding blanks is the same request (the edge strips them)
    assert stub.CreateTicket(req(title=" 打印机无法连接 "), timeout=10).replayed


def test_evaluation_create_plan_refuses_the_key_with_another_body(grpc_server, engine_for, redis_client,
                                                                   admin_token):
    from evaluation.domain import model as m
    from evaluation.grpc_api import model_to_pb
    from govops.evaluation.v1 import evaluation_pb2 as pb
    from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc

    engine = engine_for("evaluation")
    seed_units(engine)
    stub = pb_grpc.EvaluationServiceStub(channel(grpc_server("evaluation")["evaluation"], admin_token))
    stub.CreateModel(pb.CreateModelRequest(model=model_to_pb(m.DEFAULT_MODEL)), timeout=10)

    def req(**kw):
        base = dict(name="2026年11月运维绩效评价", subject_org_unit_id="om-centre", subject_role="director",
                    model_code=m.DEFAULT_MODEL.code, period=DateRange(start="2026-11-01", end="2026-11-30"),
                    objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="om-centre")],
                    idempotency_key="plan-1")
        return pb.CreatePlanRequest(**{**base, **kw})

    plan = stub.CreatePlan(req(), timeout=10).plan
    assert stub.CreatePlan(req(), timeout=10).plan.id == plan.id
    _refused(lambda: stub.CreatePlan(req(period=DateRange(start="2026-12-01", end="2026-12-31")), timeout=10))
    _refused(lambda: stub.CreatePlan(req(objects=[pb.EvaluationObject(kind=pb.OBJECT_KIND_ORG_UNIT, id="gov")]),
                                     timeout=10))
    assert _count(engine, "eval_plans") == 1


@pytest.fixture
def outsource(grpc_server, engine_for, admin_token):
    from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc

    engine = engine_for("outsource")
    seed_units(engine)
    return pb_grpc.OutsourceServiceStub(channel(grpc_server("outsource")["outsource"], admin_token)), engine


def _project(pb, **kw):
    base = dict(name="2026年政务应用系统运维外包", kind=pb.PROJECT_KIND_OM, org_unit_id="om-centre",
                catalogue_item_ids=["app-om"], budget_line_ref="BL-2026-OM-01", budget_year=2026,
                fee_category="software_om", idempotency_key="proj-1")
    return pb.CreateProjectRequest(**{**base, **kw})


def test_outsource_create_project_refuses_the_key_with_another_body(outsource):
    from govops.outsource.v1 import outsource_pb2 as pb

    stub, engine = outsource
    first = stub.CreateProject(_project(pb), timeout=10)
    again = stub.CreateProject(_project(pb), timeout=10)
    assert again.replayed and again.project.id == first.project.id
    _refused(lambda: stub.CreateProject(_project(pb, name="x"), timeout=10))
    _refused(lambda: stub.CreateProject(_project(pb, budget_year=2027), timeout=10))
    assert _count(engine, "projects") == 1


def test_outsource_record_payment_refuses_the_key_with_another_body(outsource):
    from govops.outsource.v1 import outsource_pb2 as pb

    stub, engine = outsource
    stub.RegisterVendor(pb.RegisterVendorRequest(id="vendor-hx", name="华信科技服务有限公司",
                                                 credit_code="91110108551385082Q", org_unit_id="om-centre"),
                        timeout=10)
    project = stub.CreateProject(_project(pb, idempotency_key=""), timeout=10).project
    stub.StartProcurement(pb.StartProcurementRequest(project_id=project.id,
                                                     method=pb.PROCUREMENT_METHOD_PUBLIC_TENDER), timeout=10)
    stub.RecordBid(pb.RecordBidRequest(project_id=project.id, vendor_id="vendor-hx",
                                       amount=as_money("480000.00")), timeout=10)
    stub.AwardProject(pb.AwardProjectRequest(project_id=project.id, vendor_id="vendor-hx", reason="评分第一"),
                      timeout=10)
    contract = stub.SignContract(pb.SignContractRequest(
        project_id=project.id, amount=as_money("480000.00"), starts_on="2026-01-01", ends_on="2026-12-31",
        signed_on="2025-12-20", vendor_group_id="app", deliverables=["运维方案"],
        milestones=[pb.Milestone(id="m1", name="首期款", amount=as_money("144000.00"), acceptance="初验",
                                 deliverables=["运维方案"]),
                    pb.Milestone(id="m2", name="尾款", amount=as_money("336000.00"), acceptance="终验")]),
        timeout=10).contract
    stub.StartExecution(pb.StartExecutionRequest(project_id=project.id), timeout=10)
    stub.RecordAcceptance(pb.RecordAcceptanceRequest(
        contract_id=contract.id, milestone_id="m1", result=pb.ACCEPTANCE_RESULT_PASS, reviewers=["张伟"],
        accepted_on="2026-03-01", checklist=[pb.ChecklistItem(deliverable="运维方案", item="方案评审", passed=True)]),
        timeout=10)

    def pay(**kw):
        base = dict(contract_id=contract.id, milestone_id="m1", amount=as_money("100000.00"), paid_on="2026-03-10",
                    idempotency_key="pay-1")
        return pb.RecordPaymentRequest(**{**base, **kw})

    first = stub.RecordPayment(pay(), timeout=10)
    again = stub.RecordPayment(pay(), timeout=10)
    assert again.replayed and again.payment.id == first.payment.id
    _refused(lambda: stub.RecordPayment(pay(amount=as_money("40000.00")), timeout=10))
    _refused(lambda: stub.RecordPayment(pay(paid_on="2026-03-11"), timeout=10))
    assert _count(engine, "payments") == 1


def test_budget_record_expense_refuses_the_key_with_another_body(grpc_server, engine_for, admin_token, signer):
    from budget.domain.sample import SAMPLE_CODE, SAMPLE_NAME, SAMPLE_REGION, sample_body
    from budget.grpc_api import body_to_pb
    from govops.budget.v1 import budget_pb2 as pb
    from govops.budget.v1 import budget_pb2_grpc as pb_grpc

    engine = engine_for("budget")
    seed_units(engine)
    target = grpc_server("budget")["budget"]
    s = pb_grpc.BudgetServiceStub(channel(target, admin_token))
    # separation of duties: the standard and the budget are approved by someone else
    finance = pb_grpc.BudgetServiceStub(channel(target, signer.mint("finance", perms=["*"], scopes=[{"unit": "*"}])))
    s.RegisterAsset(pb.RegisterAssetRequest(fields=pb.AssetFields(
        code="SRV-1", name="服务器", kind="server", org_unit_id="fgw", original_value=as_money("100000.00"),
        quantity=1)), timeout=30)
    standard = s.CreateStandard(pb.CreateStandardRequest(
        code=SAMPLE_CODE, name=SAMPLE_NAME, effective_from="2026-01-01", default_region=SAMPLE_REGION,
        body=body_to_pb(sample_body())), timeout=30).standard
    finance.ApproveStandard(pb.ApproveStandardRequest(id=standard.id), timeout=30)
    budget = s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="fgw", year=2026, standard_id=standard.id),
                             timeout=30).budget
    s.SubmitBudget(pb.SubmitBudgetRequest(id=budget.id), timeout=30)
    finance.ReviewBudget(pb.ReviewBudgetRequest(id=budget.id, decision=pb.DECISION_PASS), timeout=30)
    finance.ApproveBudget(pb.ApproveBudgetRequest(id=budget.id, decision=pb.DECISION_PASS), timeout=30)

    def expense(**kw):  # spending is recorded after the fact: a date in the past
        base = dict(budget_id=budget.id, fee_category="hardware_om", amount=as_money("100.00"),
                    spent_on="2026-04-01", description="维保", idempotency_key="e-1")
        return pb.RecordExpenseRequest(**{**base, **kw})

    first = s.RecordExpense(expense(), timeout=30)
    again = s.RecordExpense(expense(), timeout=30)
    assert again.replayed and again.expense.id == first.expense.id
    _refused(lambda: s.RecordExpense(expense(amount=as_money("200.00")), timeout=30))
    _refused(lambda: s.RecordExpense(expense(description="另一笔"), timeout=30))
    assert _count(engine, "expenses") == 1
