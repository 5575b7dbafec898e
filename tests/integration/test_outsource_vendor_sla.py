"""Vendor SLA on a real gRPC server and real PostgreSQL, the defects seen with the demo data:
an internal engineer's ticket counted against the vendor because his support group also has
vendor engineers; a 20 h resolution under a 24 h contract target scored as a miss because the
internal SLA had breached; and a 'waiting for vendor' pause stopping the vendor's clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from govkit.client import channel
from govkit.grpc_server import iter_bad_request
from govkit.protoconv import as_money
from govops.common.v1.common_pb2 import DateRange
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc
from outsource import handlers
from outsource.adapters.uow import OutsourceUnitOfWork
from tests.org_units import seed_test_units
from tests.outsource_samples import ticket_event

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 1, 9, tzinfo=CST)
H = 3600
DECEMBER = DateRange(start="2026-12-01", end="2026-12-31")
# medium: 1 h response, 24 h resolution (contract minutes)
SLA = pb.SlaTerms(targets=[pb.SlaTarget(priority="medium", response_minutes=60, resolution_minutes=1440),
                           pb.SlaTarget(priority="high", response_minutes=30, resolution_minutes=480)],
                  attainment_target_percent="95")
PENALTIES = [pb.PenaltyClause(id="p2", name="解决超时违约金", metric="resolution",
                              per_breach_amount=as_money("500.00"))]


@pytest.fixture
def env(grpc_server, engine_for):
    engine = engine_for("outsource")
    seed_test_units(engine)  # projects and vendors name units org holds (govkit.units)
    return grpc_server("outsource")["outsource"], engine


@pytest.fixture
def admin(env, admin_token):
    return pb_grpc.OutsourceServiceStub(channel(env[0], admin_token))


def _awarded(admin):
    admin.RegisterVendor(pb.RegisterVendorRequest(id="vendor-hx", name="华信科技服务有限公司",
                                                  credit_code="91110108551385082Q", org_unit_id="om-centre"))
    project = admin.CreateProject(pb.CreateProjectRequest(
        name="2026年政务应用系统运维外包", kind=pb.PROJECT_KIND_OM, org_unit_id="om-centre",
        catalogue_item_ids=["app-om"], budget_year=2026, fee_category="software_om")).project
    admin.StartProcurement(pb.StartProcurementRequest(project_id=project.id,
                                                      method=pb.PROCUREMENT_METHOD_PUBLIC_TENDER))
    admin.RecordBid(pb.RecordBidRequest(project_id=project.id, vendor_id="vendor-hx", amount=as_money("480000.00")))
    admin.AwardProject(pb.AwardProjectRequest(project_id=project.id, vendor_id="vendor-hx", reason="综合评分第一"))
    return project


def _sign(admin, project, sla=SLA):
    return admin.SignContract(pb.SignContractRequest(
        project_id=project.id, amount=as_money("480000.00"), starts_on="2026-01-01", ends_on="2026-12-31",
        signed_on="2025-12-20", vendor_group_id="app", deliverables=["运维方案"],
        milestones=[pb.Milestone(id="m1", name="全款", amount=as_money("480000.00"), acceptance="终验")],
        sla=sla, penalties=PENALTIES)).contract


def _contract(admin, sla=SLA):
    return _sign(admin, _awarded(admin), sla)


def _ticket(engine, tid, steps, *, priority="medium"):
    """Feed one ticket's events (name, hours after T0, assignee, fields) as ticket publishes them."""
    for name, hours, assignee, extra in steps:
        vendor = "vendor-hx" if assignee == "V001" else None
        at = T0 + timedelta(hours=hours)
        data = {"created_at": T0.isoformat()} if name == "ticket_created" else {}
        event = ticket_event(name, tid, at, eid=f"{tid}-{name}-{hours}", priority=priority, vendor_id=vendor,
                             group_id="app", assignee=assignee, **data, **extra)
        assert handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test", event)


def _report(admin, contract):
    return admin.GenerateSlaReport(pb.GenerateSlaReportRequest(contract_id=contract.id, period=DECEMBER)).report


def test_an_internal_engineers_ticket_in_a_mixed_group_is_not_in_the_vendor_report(admin, env):
    contract = _contract(admin)
    # 应用组 (`app`, the contract's vendor group) has V001 of vendor-hx and E008, an internal engineer
    _ticket(env[1], "by-vendor", [("ticket_created", 0, None, {"status": "new"}),
                                  ("ticket_assigned", 0.1, "V001", {"status": "assigned", "first_response": True,
                                                                    "response_business_seconds": 360}),
                                  ("ticket_resolved", 2, "V001", {"status": "resolved",
                                                                  "resolution_business_seconds": 2 * H})])
    _ticket(env[1], "by-internal", [("ticket_created", 0, None, {"status": "new"}),
                                    ("ticket_assigned", 0.1, "E008", {"status": "assigned", "first_response": True,
                                                                      "response_business_seconds": 360}),
                                    ("sla_breached", 24, "E008", {"status": "in_progress", "target": "resolution"}),
                                    ("ticket_resolved", 30, "E008", {"status": "resolved",
                                                                     "resolution_business_seconds": 30 * H})])
    report = _report(admin, contract)
    assert (report.tickets, report.breaches, report.penalty_total.amount) == (1, 0, "0.00")


def test_a_20_hour_resolution_under_a_24_hour_contract_target_is_no_miss(admin, env):
    contract = _contract(admin)
    # the internal SLA (medium: 16 business hours) breached; the contract allows 24 h
    _ticket(env[1], "t-20h", [("ticket_created", 0, None, {"status": "new"}),
                              ("ticket_assigned", 0.1, "V001", {"status": "assigned", "first_response": True,
                                                                "response_business_seconds": 360,
                                                                "business_seconds_since_created": 360}),
                              ("sla_breached", 16, "V001", {"status": "in_progress", "target": "resolution"}),
                              ("ticket_resolved", 20, "V001", {"status": "resolved",
                                                               "resolution_business_seconds": 20 * H,
                                                               "business_seconds_since_created": 20 * H})])
    report = _report(admin, contract)
    assert (report.tickets, report.breaches, report.resolution_attainment_percent) == (1, 0, "100.00")
    assert report.penalty_total.amount == "0.00" and report.penalties[0].ticket_ids == []


def test_waiting_for_the_vendor_does_not_stop_its_clock_while_an_allowed_pause_does(admin, env):
    contract = _contract(admin)
    for tid, reason in (("t-vendor", "vendor"), ("t-requester", "requester")):
        # 30 h open, 10 h of it pending: the ticket's own clock says 20 h (pending excluded)
        _ticket(env[1], tid, [
            ("ticket_created", 0, None, {"status": "new"}),
            ("ticket_assigned", 0, "V001", {"status": "assigned", "first_response": True,
                                            "response_business_seconds": 0}),
            ("ticket_status_changed", 2, "V001", {"status": "pending", "from_status": "assigned",
                                                  "to_status": "pending", "pending_reason": reason}),
            ("ticket_status_changed", 12, "V001", {"status": "in_progress", "from_status": "pending",
                                                   "to_status": "in_progress", "pending_reason": None}),
            ("ticket_resolved", 30, "V001", {"status": "resolved", "resolution_business_seconds": 20 * H})])
    report = _report(admin, contract)
    assert (report.tickets, report.breaches, report.resolution_attainment_percent) == (2, 1, "50.00")
    [p2] = report.penalties
    assert (list(p2.ticket_ids), p2.amount.amount) == (["t-vendor"], "500.00")


def test_the_contract_names_its_clock_and_allowed_pauses_through_the_rpc_and_the_cli(admin, env, admin_token,
                                                                                     monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from govkit.cli import app

    project = _awarded(admin)
    bad = pb.SlaTerms(targets=SLA.targets, clock="weekdays", allowed_pauses=pb.AllowedPauses(reasons=["lunch"]))
    with pytest.raises(grpc.RpcError) as err:
        _sign(admin, project, bad)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"sla.clock", "sla.allowed_pauses.reasons[0]"} <= set(dict(iter_bad_request(err.value)))
    terms = {"project_id": project.id, "amount": {"amount": "480000.00"}, "starts_on": "2026-01-01",
             "ends_on": "2026-12-31", "signed_on": "2025-12-20", "vendor_group_id": "app", "deliverables": ["运维方案"],
             "milestones": [{"id": "m1", "name": "全款", "amount": {"amount": "480000.00"}, "acceptance": "终验"}],
             "sla": {"targets": [{"priority": "medium", "response_minutes": 60, "resolution_minutes": 1440}],
                     "clock": "24x7", "allowed_pauses": {"reasons": ["requester"]}},
             "penalties": [{"id": "p2", "metric": "resolution", "per_breach_amount": {"amount": "500.00"}}]}
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("GOVOPS_OUTSOURCE_GRPC_TARGET", env[0])
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    signed = CliRunner().invoke(app, ["outsource", "contract", "sign", project.id, str(path)])
    assert signed.exit_code == 0, signed.output
    contract_id = admin.GetProject(pb.GetProjectRequest(id=project.id)).project.contract_id
    current = admin.GetContract(pb.GetContractRequest(id=contract_id)).contract.current
    assert (current.sla.clock, list(current.sla.allowed_pauses.reasons)) == ("24x7", ["requester"])
    # an amendment may let no pause stop the clock (an empty list, not the default)
    amended = admin.AmendContract(pb.AmendContractRequest(
        contract_id=contract_id, effective_from="2026-06-01", reason="补充协议：暂停不停表",
        sla=pb.SlaTerms(targets=SLA.targets, clock="24x7", allowed_pauses=pb.AllowedPauses()))).contract
    assert amended.current.sla.HasField("allowed_pauses") and list(amended.current.sla.allowed_pauses.reasons) == []


def test_a_contract_without_pause_terms_gets_the_defaults(admin):
    sla = _contract(admin).current.sla
    assert (sla.clock, list(sla.allowed_pauses.reasons)) == ("business", ["requester", "change"])


def test_the_set_based_clock_is_the_domains_replay(env):
    """adapters/facts.py sums the per-ticket spans in SQL for one contract; domain/sla.vendor_work
    replays the timeline for it.
    Same timelines (the synthetic month, hand-overs both ways, pauses of every reason, a reopen,
    events with and without calendar readings, a change), every clock and pause setting."""
    import dataclasses

    from outsource.domain import sla
    from outsource.domain.model import SlaTarget, SlaTerms
    from tests.outsource_samples import synthetic_month

    engine = env[1]
    record = lambda e: handlers.record_ticket_event(OutsourceUnitOfWork(engine), "outsource.test", e)  # noqa: E731
    for e in synthetic_month(start=T0 - timedelta(days=1)):
        record(e)
    state = {"ticket_created": "new", "ticket_assigned": "assigned", "ticket_resolved": "resolved"}
    cases = {
        "handed-back": [("ticket_assigned", 0.2, "V001", {}), ("ticket_assigned", 5, "E008", {}),
                        ("ticket_resolved", 40, "E008", {})],
        "handed-over": [("ticket_assigned", 0.5, "E008", {}), ("ticket_assigned", 3, "V001", {}),
                        ("ticket_resolved", 10, "V001", {})],
        "reopened": [("ticket_assigned", 0, "V001", {}), ("ticket_resolved", 4, "V001", {}),
                     ("ticket_status_changed", 30, "V001", {"status": "in_progress"}),
                     ("ticket_status_changed", 31, "V001", {"status": "pending", "pending_reason": "change"}),
                     ("ticket_assigned", 33, "V001", {"status": "pending"}),
                     ("ticket_status_changed", 35, "V001", {"status": "in_progress"}),
                     ("ticket_resolved", 36, "V001", {})],
        "open": [("ticket_assigned", 1, "V001", {}),
                 ("ticket_status_changed", 2, "V001", {"status": "pending", "pending_reason": "vendor"}),
                 ("ticket_status_changed", 3, "V001", {"status": "pending", "pending_reason": "requester"}),
                 ("ticket_status_changed", 30, "V001", {"status": "pending", "pending_reason": None})],
        "a-change": [("ticket_assigned", 1, "V001", {}), ("ticket_resolved", 90, "V001", {})],
    }
    for n, (tid, steps) in enumerate(cases.items()):
        for i, (name, hours, assignee, extra) in enumerate([("ticket_created", 0, None, {}), *steps]):
            at = T0 + timedelta(hours=hours)
            reading = {"business_seconds_since_created": int(hours * H / 2)} if (i + n) % 3 else {}
            extra = {"status": state.get(name, "in_progress"), **reading, **extra,
                     "ticket_type": "change" if tid == "a-change" else "incident"}
            record(ticket_event(name, tid, at, eid=f"{tid}-{i}", priority="medium",
                                vendor_id="vendor-hx" if assignee == "V001" else None, assignee=assignee,
                                created_at=T0.isoformat(), **extra))
    targets = (SlaTarget("medium", 60, 1440), SlaTarget("high", 30, 480), SlaTarget("critical", 15, 240))
    start, end = datetime(2026, 11, 1, tzinfo=CST), datetime(2027, 1, 1, tzinfo=CST)
    terms = SlaTerms(targets)
    with OutsourceUnitOfWork(engine) as uow:
        summed_per_event = uow.facts.works(terms, "vendor-hx", start, end)
        assert uow.facts.rebuild() == 27  # the month's 22 and the 5 cases, summed up again in one pass
        by_id = lambda w: w.ticket_id  # noqa: E731
        assert sorted(uow.facts.works(terms, "vendor-hx", start, end), key=by_id) == sorted(summed_per_event, key=by_id)
        uow.commit()
    for clock in ("business", "24x7"):
        for allowed in ((), ("requester", "change"), ("vendor",)):
            terms = SlaTerms(targets, clock=clock, allowed_pause_reasons=allowed)
            with OutsourceUnitOfWork(engine) as uow:
                from_sql = sorted(uow.facts.works(terms, "vendor-hx", start, end), key=lambda w: w.ticket_id)
                in_python = []
                for tid in sorted({w.ticket_id for w in from_sql} | set(cases)):
                    fact = uow.facts.get(tid)
                    work = sla.vendor_work(tid, fact["priority"], fact["created_at"], uow.facts.timeline(tid),
                                           "vendor-hx", terms, "change" if tid == "a-change" else "incident")
                    if work is not None:
                        in_python.append(work)
            assert [dataclasses.astuple(w) for w in from_sql] == [dataclasses.astuple(w) for w in in_python], \
                (clock, allowed)
            assert len(from_sql) == 26  # 21 of the month (its `oct` is in November now) and the 5 cases
