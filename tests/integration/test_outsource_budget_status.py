"""Issue 12 item 5, outsource's side: only an O&M project names a fee category; contract_signed
and payment_recorded carry the project's kind, fee category and budget year (and the signer);
budget's decision comes back as events — a refused (over-budget) commitment blocks payments on
the contract until budget records an over-budget approval."""

from __future__ import annotations

import grpc
import pytest
import sqlalchemy as sa

from govkit.events import Envelope
from govkit.grpc_server import iter_bad_request
from govkit.protoconv import as_money
from govops.outsource.v1 import outsource_pb2 as pb
from outsource import handlers
from outsource.adapters.uow import OutsourceUnitOfWork
from tests.integration.test_outsource_api import (  # noqa: F401
    _fails,
    _outbox,
    _register,
    _sign_request,
    _stub,
    _to_contract,
    admin,
    env,
)


def _budget_event(name, event_id, contract_id, commitment_id="K-1", **extra):
    data = {"commitment_id": commitment_id, "contract_id": contract_id, "project_id": "p", "budget_id": "b",
            "org_unit_id": "om-centre", "year": 2026, "fee_category": "software_om", "amount": "480000.00",
            "available": "1000.00", **extra}
    return Envelope(id=event_id, source="budget", type=f"govops.budget.{name}.v1", time="2026-01-02T00:00:00+00:00",
                    subject=commitment_id, org_unit_id="om-centre", correlationid=None, data=data)


def test_only_om_projects_name_a_fee_category(admin):  # noqa: F811
    for kind, category in ((pb.PROJECT_KIND_CONSTRUCTION, "hardware_om"), (pb.PROJECT_KIND_OM, ""),
                           (pb.PROJECT_KIND_OM, "training")):
        request = pb.CreateProjectRequest(name="项目", kind=kind, org_unit_id="om-centre", fee_category=category)
        code, err = _fails(lambda: admin.CreateProject(request))  # noqa: B023 (called at once)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "fee_category" in dict(iter_bad_request(err))
    built = admin.CreateProject(pb.CreateProjectRequest(name="政务云二期建设", kind=pb.PROJECT_KIND_CONSTRUCTION,
                                                        org_unit_id="om-centre")).project
    assert built.fee_category == ""


def test_signing_reports_kind_category_year_and_signer_and_a_refusal_blocks_payments(admin, env, signer):  # noqa: F811
    engine = env[1]
    _register(admin)
    project = _to_contract(admin)
    contract = admin.SignContract(_sign_request(project.id)).contract
    assert contract.budget_status == pb.CONTRACT_BUDGET_STATUS_PENDING
    [signed] = _outbox(engine, "contract_signed")
    assert {k: signed["data"][k] for k in ("project_kind", "fee_category", "budget_year", "signed_by")} == {
        "project_kind": "om", "fee_category": "software_om", "budget_year": 2026, "signed_by": "admin"}
    admin.StartExecution(pb.StartExecutionRequest(project_id=project.id))
    admin.RecordAcceptance(pb.RecordAcceptanceRequest(
        contract_id=contract.id, milestone_id="m1", result=pb.ACCEPTANCE_RESULT_PASS, reviewers=["张伟"],
        checklist=[pb.ChecklistItem(deliverable="运维方案", item="方案评审", passed=True)]))
    uow = lambda: OutsourceUnitOfWork(engine)  # noqa: E731
    assert handlers.on_commitment_refused(_budget_event("commitment_refused", "r1", contract.id,
                                                        reason="available 1000.00"), uow()) == "blocked"
    assert handlers.on_commitment_refused(_budget_event("commitment_refused", "r1", contract.id), uow()) == "duplicate"
    got = admin.GetContract(pb.GetContractRequest(id=contract.id)).contract
    assert got.budget_status == pb.CONTRACT_BUDGET_STATUS_BLOCKED and got.commitment_id == "K-1"
    payer = _stub(env, signer, ["outsource.pay", "outsource.read"], ["om-centre"])
    pay = pb.RecordPaymentRequest(contract_id=contract.id, milestone_id="m1", amount=as_money("144000.00"),
                                  paid_on="2026-03-10")
    code, err = _fails(lambda: payer.RecordPayment(pay))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "K-1" in err.details() and "over-budget" in err.details()
    assert _outbox(engine, "payment_recorded") == []
    assert handlers.on_commitment_approved(_budget_event("commitment_approved", "a1", contract.id,
                                                         approved_by="finance", reason="同意"), uow()) == "approved"
    # a late refusal (redelivered out of order) does not undo the approval
    assert handlers.on_commitment_refused(_budget_event("commitment_refused", "r2", contract.id), uow()) == "ignored"
    assert admin.GetContract(pb.GetContractRequest(id=contract.id)).contract.budget_status == \
        pb.CONTRACT_BUDGET_STATUS_APPROVED
    paid = payer.RecordPayment(pay).payment
    [event] = _outbox(engine, "payment_recorded")
    assert event["data"]["payment_id"] == paid.id and event["data"]["project_kind"] == "om"
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT budget_status FROM contracts")).scalar() == "approved"


@pytest.mark.parametrize("name,expected", [("commitment_recorded", "committed")])
def test_a_commitment_that_fits_marks_the_contract_committed(admin, env, name, expected):  # noqa: F811
    _register(admin)
    project = _to_contract(admin)
    contract = admin.SignContract(_sign_request(project.id)).contract
    uow = OutsourceUnitOfWork(env[1])
    assert handlers.on_commitment_recorded(_budget_event(name, "c1", contract.id), uow) == expected
    assert admin.GetContract(pb.GetContractRequest(id=contract.id)).contract.budget_status == \
        pb.CONTRACT_BUDGET_STATUS_COMMITTED


def test_a_refused_amendment_blocks_an_approved_or_committed_contract_and_a_late_one_is_ignored(admin, env):  # noqa: F811
    _register(admin)
    project = _to_contract(admin)
    contract = admin.SignContract(_sign_request(project.id)).contract
    uow = lambda: OutsourceUnitOfWork(env[1])  # noqa: E731

    def status():
        with env[1].connect() as c:
            return c.execute(sa.text("SELECT budget_status, budget_version FROM contracts")).one()

    assert handlers.on_commitment_recorded(_budget_event("commitment_recorded", "c1", contract.id), uow()) == \
        "committed"
    # amendment v2 beyond the available amount: budget refuses it, the committed contract is blocked
    assert handlers.on_commitment_refused(_budget_event("commitment_refused", "r2", contract.id, contract_version=2,
                                                        reason="increase exceeds available"), uow()) == "blocked"
    assert status() == ("blocked", 2)
    assert handlers.on_commitment_approved(_budget_event("commitment_approved", "a2", contract.id, contract_version=2,
                                                         approved_by="finance", reason="同意"), uow()) == "approved"
    # amendment v3 beyond again: the approval covered v2's amount only
    assert handlers.on_commitment_refused(_budget_event("commitment_refused", "r3", contract.id, contract_version=3,
                                                        reason="increase exceeds available"), uow()) == "blocked"
    assert status() == ("blocked", 3)
    # a decision about an earlier version arriving late changes nothing
    assert handlers.on_commitment_approved(_budget_event("commitment_approved", "a2b", contract.id,
                                                         contract_version=2, approved_by="finance"), uow()) == "ignored"
    assert handlers.on_commitment_recorded(_budget_event("commitment_recorded", "c1b", contract.id), uow()) == \
        "ignored"
    assert admin.GetContract(pb.GetContractRequest(id=contract.id)).contract.budget_status == \
        pb.CONTRACT_BUDGET_STATUS_BLOCKED
