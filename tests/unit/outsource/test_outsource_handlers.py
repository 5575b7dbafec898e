"""Outsource handlers against an in-memory unit of work (no servers): vendor register, the
procurement steps and their preconditions, department scope, events collected on commit only."""

from __future__ import annotations

from datetime import date

import pytest

from govkit.auth import SYSTEM, Principal, Scope
from govkit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from outsource import handlers
from outsource.domain import commands as c
from outsource.domain.model import Contact
from tests.unit.outsource.fakes import FakeUow

OFFICER = Principal(
    "zhangw", "张伟", (), frozenset({"outsource.read", "outsource.manage"}), Scope(frozenset({"om-centre"}))
)
OTHER = Principal("li", "李", (), frozenset({"outsource.read", "outsource.manage"}), Scope(frozenset({"fgw"})))
READER = Principal("ro", "只读", (), frozenset({"outsource.read"}), Scope(None))


@pytest.fixture
def uow():
    return FakeUow()


def _vendor(uow, vid="vendor-hx", credit="91110108551385082Q"):
    return handlers.register_vendor(c.RegisterVendor(vid, "华信科技服务有限公司", credit, "om-centre",
                                                     [Contact("林涛", "项目经理", "13800000000", "lt@hx.example")]),
                                    uow, OFFICER)


def test_register_vendor_validates_every_field_at_once(uow):
    with pytest.raises(InvalidArgument) as err:
        handlers.register_vendor(c.RegisterVendor("Bad Id", "", "91350100M000100Y44", "om-centre",
                                                  [Contact("", email="nope")]), uow, OFFICER)
    assert {v.field for v in err.value.violations} == {"id", "name", "credit_code", "contacts[0].name",
                                                       "contacts[0].email"}
    assert not uow.vendors.rows and not uow.committed


def test_register_vendor_publishes_and_refuses_duplicates(uow):
    _vendor(uow)
    [event] = uow.committed
    assert (event.event_name(), event.event_org_unit_id(), event.credit_code) == ("vendor_registered", "om-centre",
                                                                           "91110108551385082Q")
    with pytest.raises(AlreadyExists, match="credit code"):
        _vendor(uow, vid="other")
    with pytest.raises(PermissionDenied):
        handlers.register_vendor(c.RegisterVendor("v2", "某公司", "91350100M000100Y43", "om-centre"), uow, OTHER)
    with pytest.raises(PermissionDenied):
        handlers.register_vendor(c.RegisterVendor("v3", "某公司", "91350100M000100Y43", "om-centre"), uow, READER)


def _to_procurement(uow, method="public_tender"):
    project, _ = handlers.create_project(c.CreateProject("2027年政务云运维外包", "om", "om-centre", ["cloud-om"],
                                                         fee_category="software_om"), uow, OFFICER)
    handlers.start_procurement(c.StartProcurement(project.id, method), uow, OFFICER)
    return project


def test_steps_out_of_order_name_the_current_state(uow):
    _vendor(uow)
    project, _ = handlers.create_project(c.CreateProject("机房运维", "om", "om-centre", fee_category="hardware_om"),
                                         uow, OFFICER)
    with pytest.raises(FailedPrecondition, match="in state 'proposal'"):
        handlers.record_bid(c.RecordBid(project.id, "vendor-hx", "100.00"), uow, OFFICER)
    with pytest.raises(FailedPrecondition, match="in state 'proposal'"):
        handlers.advance_project(c.AdvanceProject(project.id, "execution"), uow, SYSTEM)
    with pytest.raises(InvalidArgument) as err:
        handlers.start_procurement(c.StartProcurement(project.id, "lottery"), uow, OFFICER)
    assert err.value.violations[0].field == "method"


def test_award_refuses_expired_qualification_and_blacklist(uow):
    _vendor(uow)
    handlers.add_qualification(
        c.AddQualification(
            "vendor-hx", "ITSS运维服务能力", "ITSS-2020-01", "中国电子工业标准化技术协会", date(2026, 6, 30)
        ),
        uow,
        OFFICER,
    )
    project = _to_procurement(uow)
    handlers.record_bid(c.RecordBid(project.id, "vendor-hx", "480000.00"), uow, OFFICER)
    with pytest.raises(FailedPrecondition, match="expired qualifications: ITSS运维服务能力"):
        handlers.award_project(
            c.AwardProject(project.id, "vendor-hx", "综合评分第一", date(2026, 11, 25)), uow, OFFICER
        )
    assert uow.projects.rows[project.id].awarded_vendor_id is None
    handlers.set_vendor_status(c.SetVendorStatus("vendor-hx", "blacklisted", "围标串标"), uow, OFFICER)
    assert uow.committed[-1].event_name() == "vendor_blacklisted"
    with pytest.raises(FailedPrecondition, match="blacklisted: 围标串标"):
        handlers.award_project(c.AwardProject(project.id, "vendor-hx", "综合评分第一", date(2026, 1, 1)), uow, OFFICER)


def test_award_needs_a_bid_and_single_source_takes_one(uow):
    _vendor(uow)
    _vendor(uow, "vendor-b", "91350100M000100Y43")
    project = _to_procurement(uow, "single_source")
    with pytest.raises(FailedPrecondition, match="no bid"):
        handlers.award_project(c.AwardProject(project.id, "vendor-hx", "唯一供应商"), uow, OFFICER)
    handlers.record_bid(c.RecordBid(project.id, "vendor-hx", "100.00"), uow, OFFICER)
    with pytest.raises(FailedPrecondition, match="single-source"):
        handlers.record_bid(c.RecordBid(project.id, "vendor-b", "90.00"), uow, OFFICER)
    awarded = handlers.award_project(c.AwardProject(project.id, "vendor-hx", "唯一供应商"), uow, OFFICER)
    assert (awarded.awarded_vendor_id, str(awarded.award_amount)) == ("vendor-hx", "100.00")


def test_other_departments_do_not_see_projects(uow):
    project = _to_procurement(uow)
    with pytest.raises(NotFound):
        handlers.get_project(project.id, uow, OTHER)
    with pytest.raises(NotFound):
        handlers.start_procurement(c.StartProcurement(project.id, "inquiry"), uow, OTHER)
    with pytest.raises(PermissionDenied):
        handlers.create_project(c.CreateProject("越权", "om", "om-centre", fee_category="software_om"), uow, OTHER)


def test_events_only_on_commit(uow):
    with pytest.raises(InvalidArgument):
        handlers.create_project(c.CreateProject("", "outsourcing", "om-centre", fee_category="travel"), uow, OFFICER)
    assert uow.committed == []
    project, _ = handlers.create_project(c.CreateProject("规划", "planning", "om-centre", budget_line_ref="BL-1"),
                                         uow, OFFICER)
    [event] = uow.committed
    assert event.event_data() == {"project_id": project.id, "name": "规划", "kind": "planning",
                                  "org_unit_id": "om-centre", "budget_line_ref": "BL-1"}


def test_sign_contract_refuses_milestone_due_dates_outside_the_period(uow):
    project = _to_procurement(uow)
    ms = [("首付款", date(2026, 12, 31)), ("尾款", date(2028, 1, 1)), ("无到期日", None), ("期末", date(2027, 12, 31))]
    milestones = [{"id": f"m{i}", "name": name, "amount": "100.00", "acceptance": "终验", "due_on": due}
                  for i, (name, due) in enumerate(ms, 1)]
    with pytest.raises(InvalidArgument) as err:
        handlers.sign_contract(c.SignContract(project.id, "1000.00", date(2027, 1, 1), date(2027, 12, 31), None,
                                              deliverables=["运维报告"], milestones=milestones), uow, OFFICER)
    assert [(x.field, x.reason) for x in err.value.violations] == [
        ("milestones[0].due_on", "2026-12-31 is before the contract starts (2027-01-01)"),
        ("milestones[1].due_on", "2028-01-01 is after the contract ends (2027-12-31)")]
