"""The outsource service over gRPC on a real server and real PostgreSQL: vendors, the project
lifecycle to a signed contract, acceptance with evidence, payments, SLA reports from ticket
facts, scorecards — and the faults an integrator meets (codes, field violations, nothing
half-written)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from functools import partial
from hashlib import sha256

import grpc
import pytest
import sqlalchemy as sa

from govkit.auth import SYSTEM
from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.protoconv import as_money
from govops.common.v1.common_pb2 import DateRange
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc
from outsource import handlers
from outsource.adapters.uow import OutsourceUnitOfWork
from tests.org_units import seed_test_units
from tests.outsource_samples import synthetic_month
from tests.paging import assert_garbage_token_refused, read_paged

CST = timezone(timedelta(hours=8))
HX, SZ = "91110108551385082Q", "91350100M000100Y43"


@pytest.fixture
def env(grpc_server, engine_for):
    engine = engine_for("outsource")
    seed_test_units(engine)
    target = grpc_server("outsource")["outsource"]
    return target, engine


@pytest.fixture
def admin(env, admin_token):
    return pb_grpc.OutsourceServiceStub(channel(env[0], admin_token))


def _stub(env, signer, perms, units):
    token = signer.mint("zhangw", perms=perms, scopes=[{"unit": u} for u in units])
    return pb_grpc.OutsourceServiceStub(channel(env[0], token))


def _fails(call):
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value


def _outbox(engine, type_suffix: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT envelope FROM outbox WHERE type LIKE :t ORDER BY seq"),
                            {"t": f"%.{type_suffix}.v1"}).scalars().all()
    return rows


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def _register(stub, vid="vendor-hx", credit=HX, name="华信科技服务有限公司"):
    return stub.RegisterVendor(pb.RegisterVendorRequest(
        id=vid, name=name, credit_code=credit, org_unit_id="om-centre",
        contacts=[pb.Contact(name="林涛", role="项目经理", phone="13800000000")])).vendor


SLA = pb.SlaTerms(targets=[pb.SlaTarget(priority="critical", response_minutes=15, resolution_minutes=240),
                           pb.SlaTarget(priority="high", response_minutes=30, resolution_minutes=480)],
                  attainment_target_percent="95", availability_percent="99.90", onsite_minutes=60)
PENALTIES = [pb.PenaltyClause(id="p1", name="响应超时", metric="response", per_breach_amount=as_money("200.00"),
                              per_point_amount=as_money("1000.00"), cap=as_money("20000.00")),
             pb.PenaltyClause(id="p2", name="解决超时", metric="resolution", per_breach_amount=as_money("500.00"))]


def _sign_request(project_id, **over):
    fields = dict(project_id=project_id, amount=as_money("480000.00"), starts_on="2026-01-01", ends_on="2026-12-31",
                  signed_on="2025-12-20", vendor_group_id="app", deliverables=["运维方案", "月度报告"],
                  milestones=[pb.Milestone(id="m1", name="首期款", amount=as_money("144000.00"), acceptance="初验",
                                           deliverables=["运维方案"]),
                              pb.Milestone(id="m2", name="尾款", amount=as_money("336000.00"), acceptance="终验")],
                  sla=SLA, penalties=PENALTIES)
    fields.update(over)
    return pb.SignContractRequest(**fields)


def _to_contract(stub, *, catalogue=("app-om",), assets=(), allow_overlap=False, key=""):
    project = stub.CreateProject(pb.CreateProjectRequest(
        name="2026年政务应用系统运维外包", kind=pb.PROJECT_KIND_OM, org_unit_id="om-centre",
        catalogue_item_ids=list(catalogue),
        asset_ids=list(assets), budget_line_ref="BL-2026-OM-01", budget_year=2026, fee_category="software_om",
        allow_overlap=allow_overlap, idempotency_key=key)).project
    stub.StartProcurement(pb.StartProcurementRequest(project_id=project.id,
                                                     method=pb.PROCUREMENT_METHOD_PUBLIC_TENDER))
    stub.RecordBid(pb.RecordBidRequest(project_id=project.id, vendor_id="vendor-hx", amount=as_money("480000.00")))
    stub.AwardProject(pb.AwardProjectRequest(project_id=project.id, vendor_id="vendor-hx", reason="综合评分第一"))
    return project


def test_vendor_register_validates_credit_code_and_keeps_history(admin, env):
    code, err = _fails(lambda: admin.RegisterVendor(pb.RegisterVendorRequest(
        id="bad", name="某公司", credit_code="91350100M000100Y44", org_unit_id="om-centre")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(iter_bad_request(err))["credit_code"].startswith("check character is 4, expected 3")
    assert _count(env[1], "vendors") == 0
    vendor = _register(admin)
    assert (vendor.status, vendor.credit_code) == (pb.VENDOR_STATUS_ACTIVE, HX)
    assert _fails(lambda: _register(admin, vid="dup"))[0] == grpc.StatusCode.ALREADY_EXISTS
    admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-hx", name="ITSS运维服务能力三级",
                                                      number="ITSS-YW-3-2024", expires_on="2027-06-30"))
    admin.SetVendorStatus(pb.SetVendorStatusRequest(id="vendor-hx", status=pb.VENDOR_STATUS_SUSPENDED,
                                                    reason="合同履约整改期"))
    got = admin.GetVendor(pb.GetVendorRequest(id="vendor-hx")).vendor
    assert got.status == pb.VENDOR_STATUS_SUSPENDED and got.qualifications[0].expires_on == "2027-06-30"
    actions = [e.action for e in admin.GetVendorHistory(pb.GetVendorHistoryRequest(id="vendor-hx")).entries]
    assert actions == [pb.VENDOR_CHANGE_REGISTERED, pb.VENDOR_CHANGE_QUALIFICATION_ADDED,
                       pb.VENDOR_CHANGE_STATUS_SUSPENDED]
    [registered] = _outbox(env[1], "vendor_registered")
    assert registered["orgunitid"] == "om-centre" and registered["data"]["credit_code"] == HX
    assert _fails(lambda: admin.GetVendor(pb.GetVendorRequest(id="nobody")))[0] == grpc.StatusCode.NOT_FOUND


def test_lifecycle_to_payment_with_every_fault(admin, env, signer):
    engine = env[1]
    _register(admin)
    admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-hx", name="ITSS运维服务能力三级",
                                                      number="ITSS-YW-3-2024", expires_on="2030-06-30"))
    create = pb.CreateProjectRequest(
        name="2026年政务应用系统运维外包", kind=pb.PROJECT_KIND_OM, org_unit_id="om-centre",
        catalogue_item_ids=["app-om"],
        budget_line_ref="BL-2026-OM-01", budget_year=2026, fee_category="software_om",
        idempotency_key="proj-1")
    project = admin.CreateProject(create).project
    again = admin.CreateProject(create)  # a retry of the same request (tests/integration/test_idempotency.py)
    assert again.replayed and again.project.id == project.id
    # out of order: naming the current state
    code, err = _fails(lambda: admin.SignContract(_sign_request(project.id)))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "in state 'proposal'" in err.details()
    admin.StartProcurement(pb.StartProcurementRequest(project_id=project.id,
                                                      method=pb.PROCUREMENT_METHOD_COMPETITIVE_CONSULTATION))
    admin.RecordBid(pb.RecordBidRequest(project_id=project.id, vendor_id="vendor-hx", amount=as_money("480000.00")))
    # an expired qualification refuses the award
    admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-hx", name="安全服务资质",
                                                      number="CCRC-2023", expires_on="2025-01-31"))
    code, err = _fails(lambda: admin.AwardProject(pb.AwardProjectRequest(project_id=project.id,
                                                                         vendor_id="vendor-hx", reason="评分第一")))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "安全服务资质" in err.details()
    with engine.begin() as conn:  # the vendor renewed it
        conn.execute(sa.text("UPDATE qualifications SET expires_on = '2028-01-31' WHERE number = 'CCRC-2023'"))
    admin.AwardProject(pb.AwardProjectRequest(project_id=project.id, vendor_id="vendor-hx", reason="评分第一"))
    # negative cap: INVALID_ARGUMENT naming the field, and nothing written
    bad = list(PENALTIES) + [pb.PenaltyClause(id="p3", metric="availability", per_point_amount=as_money("100"),
                                              cap=as_money("-1"))]
    code, err = _fails(lambda: admin.SignContract(_sign_request(project.id, penalties=bad)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "penalties[2].cap" in dict(iter_bad_request(err))
    assert _count(engine, "contracts") == 0
    contract = admin.SignContract(_sign_request(project.id)).contract
    assert (contract.current.version, contract.remaining.amount, contract.vendor_group_id) == (1, "480000.00", "app")
    [signed] = _outbox(engine, "contract_signed")
    assert signed["data"] == {"contract_id": contract.id, "project_id": project.id, "vendor_id": "vendor-hx",
                              "org_unit_id": "om-centre", "amount": "480000.00", "starts_on": "2026-01-01",
                              "ends_on": "2026-12-31", "vendor_group_id": "app", "project_kind": "om",
                              "fee_category": "software_om", "budget_year": 2026, "signed_by": "admin"}
    # payment before execution / before acceptance
    pay = pb.RecordPaymentRequest(contract_id=contract.id, milestone_id="m1", amount=as_money("144000.00"),
                                  paid_on="2026-03-10", idempotency_key="pay-1")
    payer = _stub(env, signer, ["outsource.pay", "outsource.read"], ["om-centre"])
    code, err = _fails(lambda: payer.RecordPayment(pay))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "'contract'" in err.details()
    admin.StartExecution(pb.StartExecutionRequest(project_id=project.id))
    code, err = _fails(lambda: payer.RecordPayment(pay))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "初验" in err.details()
    # acceptance needs outsource.accept; a manager without it is refused
    manager = _stub(env, signer, ["outsource.manage", "outsource.read"], ["om-centre"])
    acceptance_request = pb.RecordAcceptanceRequest(
        contract_id=contract.id, milestone_id="m1", result=pb.ACCEPTANCE_RESULT_CONDITIONAL_PASS,
        reviewers=["张伟", "王芳"], accepted_on="2026-03-01",
        checklist=[pb.ChecklistItem(deliverable="运维方案", item="方案评审", passed=True),
                   pb.ChecklistItem(deliverable="运维方案", item="应急预案", passed=False, note="缺少数据库切换演练")],
        rectification_items=["补充数据库切换演练记录"])
    assert _fails(lambda: manager.RecordAcceptance(acceptance_request))[0] == grpc.StatusCode.PERMISSION_DENIED
    acceptance = admin.RecordAcceptance(acceptance_request).acceptance
    assert acceptance.name == "初验" and acceptance.result == pb.ACCEPTANCE_RESULT_CONDITIONAL_PASS
    code, err = _fails(lambda: admin.AddAcceptanceEvidence(pb.AddAcceptanceEvidenceRequest(
        acceptance_id=acceptance.id, filename="报告.pdf", content_type="application/pdf", data=b"MZ\x90")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "data" in dict(iter_bad_request(err))
    evidence = admin.AddAcceptanceEvidence(pb.AddAcceptanceEvidenceRequest(
        acceptance_id=acceptance.id, filename="初验报告.pdf", content_type="application/pdf",
        data=b"%PDF-1.7\n" + b"0" * 1000)).evidence
    assert evidence.size == 1009
    assert admin.GetAcceptance(pb.GetAcceptanceRequest(id=acceptance.id)).acceptance.evidence[0].id == evidence.id
    # above the milestone / the remaining amount
    too_much = pb.RecordPaymentRequest(contract_id=contract.id, milestone_id="m1", amount=as_money("144000.01"),
                                       paid_on="2026-03-10")
    assert _fails(lambda: payer.RecordPayment(too_much))[0] == grpc.StatusCode.FAILED_PRECONDITION
    paid = payer.RecordPayment(pay)
    assert not paid.replayed and payer.RecordPayment(pay).replayed
    [event] = _outbox(engine, "payment_recorded")
    assert event["data"] == {
        "payment_id": paid.payment.id, "contract_id": contract.id, "project_id": project.id,
        "vendor_id": "vendor-hx", "org_unit_id": "om-centre", "milestone_id": "m1", "amount": "144000.00",
        "paid_on": "2026-03-10", "budget_year": 2026, "budget_line_ref": "BL-2026-OM-01",
        "fee_category": "software_om", "project_kind": "om"}
    assert event["subject"] == paid.payment.id and event["orgunitid"] == "om-centre"
    # an amendment cannot drop the amount below what is paid; a valid one is versioned
    code, _ = _fails(lambda: admin.AmendContract(pb.AmendContractRequest(
        contract_id=contract.id, reason="降价", effective_from="2026-06-01", amount=as_money("100000.00"))))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    amended = admin.AmendContract(pb.AmendContractRequest(
        contract_id=contract.id, reason="增加等保测评配合", effective_from="2026-07-01",
        amount=as_money("520000.00"))).contract
    assert [v.version for v in amended.versions] == [1, 2] and amended.remaining.amount == "376000.00"
    assert _outbox(engine, "contract_amended")[0]["data"]["version"] == 2
    # closing needs the acceptance step and every milestone accepted
    assert "in state 'execution'" in _fails(lambda: admin.CloseProject(
        pb.CloseProjectRequest(project_id=project.id)))[1].details()
    admin.StartAcceptance(pb.StartAcceptanceRequest(project_id=project.id))
    assert "m2" in _fails(lambda: admin.CloseProject(pb.CloseProjectRequest(project_id=project.id)))[1].details()
    admin.RecordAcceptance(pb.RecordAcceptanceRequest(
        contract_id=contract.id, milestone_id="m2", result=pb.ACCEPTANCE_RESULT_PASS, reviewers=["张伟"],
        checklist=[pb.ChecklistItem(deliverable="运维方案", item="执行", passed=True),
                   pb.ChecklistItem(deliverable="月度报告", item="12期齐全", passed=True)]))
    closed = admin.CloseProject(pb.CloseProjectRequest(project_id=project.id)).project
    assert closed.state == pb.PROJECT_STATE_CLOSURE
    assert [h.to_state for h in closed.history if h.from_state != h.to_state] == [
        "proposal", "procurement", "contract", "execution", "acceptance", "closure"]


def test_acceptance_evidence_downloads_within_scope(admin, env, signer, admin_token, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from govkit.cli import app

    _register(admin)
    contract = admin.SignContract(_sign_request(_to_contract(admin).id)).contract
    admin.StartExecution(pb.StartExecutionRequest(project_id=contract.project_id))
    accepted = [admin.RecordAcceptance(pb.RecordAcceptanceRequest(
        contract_id=contract.id, milestone_id=m, result=pb.ACCEPTANCE_RESULT_PASS, reviewers=["张伟"],
        checklist=[pb.ChecklistItem(deliverable=d, item="评审", passed=True) for d in deliverables])).acceptance
        for m, deliverables in (("m1", ["运维方案"]), ("m2", ["运维方案", "月度报告"]))]
    data = b"%PDF-1.7\n" + bytes(range(256)) * 40  # every byte value: nothing may be re-encoded on the way
    uploaded = admin.AddAcceptanceEvidence(pb.AddAcceptanceEvidenceRequest(
        acceptance_id=accepted[0].id, filename="初验报告.pdf", content_type="application/pdf", data=data)).evidence
    request = pb.GetAcceptanceEvidenceRequest(acceptance_id=accepted[0].id, evidence_id=uploaded.id)
    # a reader of the department, without outsource.accept, may download
    reader = _stub(env, signer, ["outsource.read"], ["om-centre"])
    got = reader.GetAcceptanceEvidence(request)
    assert got.data == data and got.evidence == uploaded and got.evidence.sha256 == sha256(data).hexdigest()
    # another department, an unknown id, and a file of another acceptance all look the same: not found
    fgw = _stub(env, signer, ["outsource.read", "outsource.accept"], ["fgw"])
    assert _fails(lambda: fgw.GetAcceptanceEvidence(request))[0] == grpc.StatusCode.NOT_FOUND
    for aid, eid in ((accepted[0].id, "nope"), ("nope", uploaded.id), (accepted[1].id, uploaded.id)):
        code, _ = _fails(partial(admin.GetAcceptanceEvidence,
                                 pb.GetAcceptanceEvidenceRequest(acceptance_id=aid, evidence_id=eid)))
        assert code == grpc.StatusCode.NOT_FOUND, (aid, eid)
    code, err = _fails(lambda: admin.GetAcceptanceEvidence(pb.GetAcceptanceEvidenceRequest(evidence_id=" ")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err))) == {"acceptance_id", "evidence_id"}
    # the CLI writes the file under its uploaded name
    monkeypatch.setenv("GOVOPS_OUTSOURCE_GRPC_TARGET", env[0])
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["outsource", "contract", "evidence-get", accepted[0].id, uploaded.id])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "初验报告.pdf").read_bytes() == data


def test_overlapping_contracts_on_the_same_scope_are_refused(admin, env):
    _register(admin)
    first = _to_contract(admin, catalogue=("app-om",), assets=("srv-001",))
    admin.SignContract(_sign_request(first.id))
    second = _to_contract(admin, catalogue=("net-om",), assets=("srv-001",))
    code, err = _fails(lambda: admin.SignContract(_sign_request(second.id, starts_on="2026-12-01",
                                                                ends_on="2027-11-30")))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "overlaps" in err.details()
    admin.SignContract(_sign_request(second.id, starts_on="2027-01-01", ends_on="2027-12-31"))  # after: fine
    third = _to_contract(admin, catalogue=("app-om",), allow_overlap=True)
    admin.SignContract(_sign_request(third.id))  # the project allows it
    assert _count(env[1], "contracts") == 3


def test_milestone_due_dates_lie_in_the_period_and_survive_the_database(admin, env):
    _register(admin)
    project = _to_contract(admin)

    def with_due(first: str, second: str = "2026-12-31"):
        return [pb.Milestone(id="m1", name="首期款", amount=as_money("144000.00"), acceptance="初验", due_on=first),
                pb.Milestone(id="m2", name="尾款", amount=as_money("336000.00"), acceptance="终验", due_on=second)]

    for bad, reason in (("2025-12-31", "before the contract starts"), ("2026-02-30", "YYYY-MM-DD")):
        code, err = _fails(lambda bad=bad: admin.SignContract(_sign_request(project.id, milestones=with_due(bad))))
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert reason in dict(iter_bad_request(err))["milestones[0].due_on"]
    code, err = _fails(lambda: admin.SignContract(_sign_request(project.id, milestones=with_due("2026-03-31",
                                                                                              "2027-01-01"))))
    assert "after the contract ends" in dict(iter_bad_request(err))["milestones[1].due_on"]
    assert _count(env[1], "contracts") == 0
    signed = admin.SignContract(_sign_request(project.id, milestones=with_due("2026-03-31"))).contract
    read = admin.GetContract(pb.GetContractRequest(id=signed.id)).contract
    assert [(m.id, m.due_on) for m in read.milestones] == [("m1", "2026-03-31"), ("m2", "2026-12-31")]
    # the period cannot shrink below a due date (milestones are not amended)
    code, err = _fails(lambda: admin.AmendContract(pb.AmendContractRequest(
        contract_id=signed.id, reason="提前结束", effective_from="2026-06-01", ends_on="2026-11-30")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "m2 is due on 2026-12-31" in dict(iter_bad_request(err))["ends_on"]
    # a milestone without a due date (as every contract signed before due dates) reads back empty
    old_style = admin.SignContract(_sign_request(_to_contract(admin, allow_overlap=True).id)).contract
    read = admin.GetContract(pb.GetContractRequest(id=old_style.id)).contract
    assert [(m.id, m.due_on) for m in read.milestones] == [("m1", ""), ("m2", "")]
    # rows written before the field existed carry no due_on key at all
    with env[1].begin() as conn:
        stored = conn.execute(sa.text("SELECT milestones FROM contracts WHERE id = :id"), {"id": old_style.id}).scalar()
        conn.execute(sa.text("UPDATE contracts SET milestones = CAST(:m AS jsonb) WHERE id = :id"),
                     {"id": old_style.id, "m": json.dumps([{k: v for k, v in m.items() if k != "due_on"}
                                                          for m in stored])})
    read = admin.GetContract(pb.GetContractRequest(id=old_style.id)).contract
    assert [(m.id, m.name, m.due_on) for m in read.milestones] == [("m1", "首期款", ""), ("m2", "尾款", "")]


def test_departments_see_only_their_projects(admin, env, signer):
    _register(admin)
    project = _to_contract(admin)
    fgw = _stub(env, signer, ["outsource.read", "outsource.manage"], ["fgw"])
    assert _fails(lambda: fgw.GetProject(pb.GetProjectRequest(id=project.id)))[0] == grpc.StatusCode.NOT_FOUND
    assert _fails(lambda: fgw.SignContract(_sign_request(project.id)))[0] == grpc.StatusCode.NOT_FOUND
    assert fgw.ListProjects(pb.ListProjectsRequest()).projects == []
    assert len(fgw.ListVendors(pb.ListVendorsRequest()).vendors) == 1  # the vendor register is shared
    code, _ = _fails(
        lambda: fgw.CreateProject(pb.CreateProjectRequest(name="越权", kind=pb.PROJECT_KIND_OM,
                                                          org_unit_id="om-centre", fee_category="software_om"))
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_sla_report_from_ticket_facts_is_the_same_after_replay(admin, env):
    engine = env[1]
    _register(admin)
    project = _to_contract(admin)
    contract = admin.SignContract(_sign_request(project.id)).contract
    events = synthetic_month()
    for e in events:
        assert handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test", e)
    request = pb.GenerateSlaReportRequest(contract_id=contract.id,
                                          period=DateRange(start="2026-11-01", end="2026-11-30"),
                                          availability_percent="99.95")
    report = admin.GenerateSlaReport(request).report
    assert (report.tickets, report.breaches) == (20, 3)
    assert (report.response_attainment_percent, report.resolution_attainment_percent) == ("95.00", "90.00")
    p1, p2 = report.penalties
    assert (p1.amount.amount, list(p1.ticket_ids)) == ("200.00", ["t18"])  # at target: no per-point part
    assert (p2.amount.amount, list(p2.ticket_ids)) == ("1000.00", ["t19", "t20"])
    assert report.penalty_total.amount == "1200.00"
    [reported] = _outbox(engine, "vendor_sla_reported")
    assert reported["data"]["penalty_total"] == "1200.00" and reported["subject"] == report.id
    assert sorted(e["data"]["clause_id"] for e in _outbox(engine, "penalty_assessed")) == ["p1", "p2"]
    # redelivery (same ids) and a replay in reverse order into a fresh fact table: same report
    for e in events:
        assert not handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test", e)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE ticket_facts, ticket_timeline"))
    for e in reversed(events):
        handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.replay", e)
    again = admin.GenerateSlaReport(request).report
    assert again == report
    assert len(_outbox(engine, "vendor_sla_reported")) == 1  # unchanged figures publish nothing new
    card = admin.GetVendorScorecard(pb.GetVendorScorecardRequest(
        vendor_id="vendor-hx", period=DateRange(start="2026-01-01", end="2026-12-31"))).scorecard
    assert (card.tickets, card.penalty_total.amount, card.response_attainment_percent) == (20, "1200.00", "95.00")


def test_qualification_warnings_once_per_threshold(admin, env):
    engine = env[1]
    _register(admin)
    admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-hx", name="ITSS", number="A",
                                                      expires_on="2026-12-20"))
    check = lambda day: handlers.check_qualifications(OutsourceUnitOfWork(engine), day)  # noqa: E731
    assert check(date(2026, 11, 1)) == []
    assert [e.days_left for e in check(date(2026, 11, 25))] == [25]
    assert check(date(2026, 11, 26)) == []
    assert [e.days_left for e in check(date(2026, 12, 14))] == [6]
    assert check(date(2026, 12, 15)) == []
    assert len(_outbox(engine, "qualification_expiring")) == 2


def test_system_principal_can_run_handlers(env):
    # the worker acts as SYSTEM (all units, all permissions)
    assert handlers.list_vendors(OutsourceUnitOfWork(env[1]), SYSTEM) == []


def test_demo_seed_is_safe_to_repeat(env):
    import io

    from rich.console import Console

    from outsource import demo

    out = io.StringIO()
    demo.seed(Console(file=out, width=500))
    demo.seed(Console(file=out, width=500))
    first, second = out.getvalue().strip().splitlines()
    assert "232 new ticket events" in first and " 0 new ticket events" in second
    assert "penalty 2100.00" in second
    engine = env[1]
    assert (_count(engine, "vendors"), _count(engine, "projects"), _count(engine, "contracts")) == (2, 1, 1)
    [reported] = _outbox(engine, "vendor_sla_reported")
    assert reported["data"]["tickets"] == 60 and reported["data"]["penalty_total"] != "0.00"
    assert reported["data"]["breaches"] == 6  # 3 responses, 3 resolutions (#18 waited for the vendor)


def test_reports_are_scoped_and_readable_by_id(admin, env, signer):
    _register(admin)
    contract = admin.SignContract(_sign_request(_to_contract(admin).id)).contract
    report = admin.GenerateSlaReport(pb.GenerateSlaReportRequest(
        contract_id=contract.id, period=DateRange(start="2026-11-01", end="2026-11-30"))).report
    assert (report.tickets, report.penalty_total.amount, report.response_attainment_percent) == (0, "0.00", "100.00")
    assert admin.GetSlaReport(pb.GetSlaReportRequest(id=report.id)).report == report
    fgw = _stub(env, signer, ["outsource.read", "outsource.manage"], ["fgw"])
    assert _fails(lambda: fgw.GetSlaReport(pb.GetSlaReportRequest(id=report.id)))[0] == grpc.StatusCode.NOT_FOUND
    assert _fails(lambda: fgw.GenerateSlaReport(pb.GenerateSlaReportRequest(
        contract_id=contract.id, period=DateRange(start="2026-11-01", end="2026-11-30"))))[0] \
        == grpc.StatusCode.NOT_FOUND
    code, err = _fails(lambda: admin.GenerateSlaReport(pb.GenerateSlaReportRequest(
        contract_id=contract.id, period=DateRange(start="2026-11-30", end="2026-11-01"))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "period.end" in dict(iter_bad_request(err))
    assert [v.id for v in admin.ListVendors(pb.ListVendorsRequest(status=pb.VENDOR_STATUS_BLACKLISTED)).vendors] == []


def test_cli_speaks_to_the_server(env, admin_token, monkeypatch):
    from typer.testing import CliRunner

    from govkit.cli import app

    monkeypatch.setenv("GOVOPS_OUTSOURCE_GRPC_TARGET", env[0])
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    runner = CliRunner()
    bad = runner.invoke(app, ["outsource", "vendor", "register", "x", "某公司", "91350100M000100Y44"])
    assert bad.exit_code == 1 and "INVALID_ARGUMENT" in bad.output and "credit_code" in bad.output
    ok = runner.invoke(app, ["outsource", "vendor", "register", "vendor-sz", "福建数智信息技术有限公司", SZ])
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(app, ["outsource", "vendor", "list"])
    assert "vendor-sz" in listed.output
    kinds = runner.invoke(app, ["outsource", "kinds"])
    assert "运维外包" in kinds.output


def test_late_facts_change_the_report_under_the_same_id(admin, env):
    from tests.outsource_samples import ticket_event

    engine = env[1]
    _register(admin)
    contract = admin.SignContract(_sign_request(_to_contract(admin).id)).contract
    events = synthetic_month()
    for e in events:
        handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test", e)
    request = pb.GenerateSlaReportRequest(contract_id=contract.id,
                                          period=DateRange(start="2026-11-01", end="2026-11-30"))
    first = admin.GenerateSlaReport(request).report
    # t05 reopened two days after closing and resolved again 6 h later: its vendor clock passes 8 h
    reopened = datetime(2026, 11, 7, 9, tzinfo=CST) + timedelta(days=2)
    for name, at, status in (("ticket_status_changed", reopened, "in_progress"),
                             ("ticket_resolved", reopened + timedelta(hours=6), "resolved")):
        handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test",
                                     ticket_event(name, "t05", at, eid=f"late-{name}", status=status))
    second = admin.GenerateSlaReport(request).report
    assert second.id == first.id and (first.breaches, second.breaches) == (3, 4)
    assert [p.ticket_ids for p in second.penalties][1] == ["t05", "t19", "t20"]
    assert [e["data"]["breaches"] for e in _outbox(engine, "vendor_sla_reported")] == [3, 4]


def test_concurrent_payments_cannot_both_fit_the_remaining_amount(env):
    import threading

    from govkit.errors import FailedPrecondition
    from outsource.domain import commands as c
    from outsource.domain.model import ChecklistItem
    from tests.outsource_samples import signed_contract

    engine = env[1]
    uow = lambda: OutsourceUnitOfWork(engine)  # noqa: E731
    contract = signed_contract(engine)
    handlers.advance_project(c.AdvanceProject(contract.project_id, "execution"), uow(), SYSTEM)
    handlers.record_acceptance(c.RecordAcceptance(contract.id, "m1", "pass", ["张伟"],
                                                  [ChecklistItem("运维方案", "执行情况", True)]), uow(), SYSTEM)
    outcomes, barrier = [], threading.Barrier(2)

    def pay(key):
        barrier.wait()
        try:
            handlers.record_payment(
                c.RecordPayment(contract.id, "m1", "300000.00", date(2026, 12, 1), key), uow(), SYSTEM
            )
            outcomes.append("paid")
        except FailedPrecondition:
            outcomes.append("refused")

    threads = [threading.Thread(target=pay, args=(f"k{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["paid", "refused"]
    assert _count(engine, "payments") == 1 and len(_outbox(engine, "payment_recorded")) == 1


def test_a_reprioritised_ticket_is_measured_at_its_new_priority(env):
    from outsource.adapters.facts import TicketFacts
    from tests.outsource_samples import ticket_event

    engine = env[1]
    at = datetime(2026, 11, 3, 9, tzinfo=CST)
    moved = ticket_event("ticket_reprioritised", "t90", at + timedelta(hours=3), priority="high",
                         from_priority="medium", reason="影响扩大")
    created = ticket_event("ticket_created", "t90", at, priority="medium", created_at=at.isoformat())
    for e in (moved, created):  # in either order: the latest state wins
        handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test", e)
    with engine.connect() as conn:
        assert TicketFacts(conn).get("t90")["priority"] == "high"


def test_demo_vendor_report_counts_only_vendor_handled_tickets(env):
    """The demo month has tickets of 应用组's internal engineers too (the group has vendor-hx's
    V001): the vendor's report counts V001's tickets only."""
    import io

    from rich.console import Console

    from outsource import demo

    demo.seed(Console(file=io.StringIO(), width=500))
    engine = env[1]
    with engine.connect() as conn:
        by_assignee = dict(conn.execute(sa.text(
            "SELECT assignee, count(*) FROM ticket_facts WHERE group_id = 'grp-application' "
            "AND created_at >= '2026-10-01 00:00+08' AND created_at < '2026-11-01 00:00+08' GROUP BY assignee")).all())
    assert by_assignee.get("V001", 0) > 0 and sum(n for a, n in by_assignee.items() if a != "V001") > 0
    [reported] = _outbox(engine, "vendor_sla_reported")
    assert reported["data"]["tickets"] == by_assignee["V001"]


def test_vendors_projects_and_vendor_history_are_paged(admin):
    """Issue 11, item 3: ListVendors, ListProjects and GetVendorHistory answer a page at a time;
    the pages cover the whole list once in its order, and a garbage token is refused."""
    from outsource.domain.credit_code import check_character

    for n in range(5):
        first17 = f"9111010855138500{n}"
        _register(admin, vid=f"vendor-{n}", credit=first17 + check_character(first17), name=f"供应商{n}")
        admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-0", name=f"资质{n}", number=f"Q-{n}",
                                                          expires_on="2030-06-30"))
        admin.CreateProject(pb.CreateProjectRequest(name=f"项目{n}", kind=pb.PROJECT_KIND_OM, org_unit_id="om-centre",
                                                    budget_line_ref="BL-2026-OM-01", budget_year=2026,
                                                    fee_category="software_om"))
    cases = [
        (admin.ListVendors, pb.ListVendorsRequest(), "vendors", lambda v: v.id, 5),
        (admin.ListProjects, pb.ListProjectsRequest(), "projects", lambda p: p.id, 5),
        (admin.GetVendorHistory, pb.GetVendorHistoryRequest(id="vendor-0"), "entries", lambda e: e.after_json, 6),
    ]
    for call, request, field, key, total in cases:
        whole = [key(x) for x in getattr(call(request, timeout=10), field)]
        assert len(whole) == total, (field, whole)
        assert [key(x) for x in read_paged(call, request, field, 2)] == whole, field
        assert_garbage_token_refused(call, request)


def test_the_vendor_list_carries_each_vendors_qualifications(admin, env):
    """The register shows when each vendor's certificates expire without a GetVendor per vendor."""
    _register(admin)
    _register(admin, vid="vendor-b", credit="91350100M000100Y43", name="某网络公司")
    admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-hx", name="ITSS运维服务能力三级",
                                                      number="ITSS-YW-3-2024", expires_on="2027-06-30"))
    admin.AddQualification(pb.AddQualificationRequest(vendor_id="vendor-hx", name="安全服务资质",
                                                      number="AQ-2025", expires_on="2026-12-20"))
    vendors = {v.id: v for v in admin.ListVendors(pb.ListVendorsRequest()).vendors}
    assert [q.expires_on for q in vendors["vendor-hx"].qualifications] == ["2026-12-20", "2027-06-30"]
    assert list(vendors["vendor-b"].qualifications) == []
