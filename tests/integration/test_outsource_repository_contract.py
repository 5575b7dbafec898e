"""Contract: the in-memory vendors and projects the handler unit tests use (tests/unit/outsource/
fakes.py) behave like the PostgreSQL ones. Every case runs twice, once per implementation, through
the `ProcurementUow` Protocol only; the PostgreSQL run uses this test run's own migrated database."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from govkit.auth import Scope
from outsource.adapters.uow import OutsourceUnitOfWork
from outsource.domain.model import Bid, Contact, Project, ProjectState, Qualification, Vendor, VendorStatus
from outsource.domain.ports import ProcurementUow
from tests.unit.outsource.fakes import FakeUow

ALL, OM = Scope(None), Scope(frozenset({"om-centre"}))


@pytest.fixture(params=["fake", "postgres"])
def uow(request) -> ProcurementUow:
    """An entered unit of work; the cases never commit, so the PostgreSQL one rolls back."""
    unit: ProcurementUow
    if request.param == "fake":
        unit = FakeUow()
    else:
        unit = OutsourceUnitOfWork(request.getfixturevalue("engine_for")("outsource"))
    with unit:
        yield unit


def _vendor(vid: str, credit: str, status=VendorStatus.ACTIVE, unit="om-centre") -> Vendor:
    return Vendor(vid, f"供应商{vid}", credit, unit, status, "", [Contact("林涛", "项目经理", "13800000000")])


def _qual(vid: str, name: str, expires: date, number: str = "N-1") -> Qualification:
    return Qualification(str(uuid.uuid4()), vid, name, number, "发证机关", expires)


def _project(pid: str, unit: str = "om-centre") -> Project:
    return Project(pid, f"项目{pid}", "software_om", unit, catalogue_item_ids=["app.oa"], asset_ids=[])


def test_vendors_round_trip_and_lookups(uow):
    uow.vendors.add(_vendor("vendor-b", "91110108551385082Q"))
    uow.vendors.add(_vendor("vendor-a", "91350100M000100Y43", VendorStatus.SUSPENDED))
    v = uow.vendors.get("vendor-b")
    assert (v.name, v.credit_code, v.status, v.contacts[0].name) == ("供应商vendor-b", "91110108551385082Q",
                                                                     VendorStatus.ACTIVE, "林涛")
    assert uow.vendors.get("missing") is None
    assert uow.vendors.by_credit_code("91350100M000100Y43").id == "vendor-a"
    assert uow.vendors.by_credit_code("nope") is None
    v.status, v.status_reason = VendorStatus.BLACKLISTED, "串标"
    uow.vendors.update(v)
    assert (uow.vendors.get("vendor-b").status, uow.vendors.get("vendor-b").status_reason) == (
        VendorStatus.BLACKLISTED, "串标")
    assert [x.id for x in uow.vendors.list()] == ["vendor-a", "vendor-b"]
    assert [x.id for x in uow.vendors.list(status="suspended")] == ["vendor-a"]


def test_vendor_history_keeps_actions_in_order(uow):
    uow.vendors.add(_vendor("vendor-a", "91110108551385082Q"))
    uow.vendors.record("vendor-a", "registered", None, {"status": "active"}, "zhangw")
    uow.vendors.record("vendor-a", "suspended", {"status": "active"}, {"status": "suspended"}, "li")
    assert [(h["action"], h["actor"]) for h in uow.vendors.history("vendor-a")] == [
        ("registered", "zhangw"), ("suspended", "li")]
    assert uow.vendors.history("other") == []


def test_qualifications_unique_ordered_and_expiring(uow):
    uow.vendors.add(_vendor("vendor-a", "91110108551385082Q"))
    late, soon = _qual("vendor-a", "ITSS", date(2027, 8, 31)), _qual("vendor-a", "ISO 27001", date(2026, 11, 5))
    assert uow.vendors.add_qualification(late) and uow.vendors.add_qualification(soon)
    assert not uow.vendors.add_qualification(_qual("vendor-a", "ITSS", date(2028, 1, 1)))  # same name and number
    assert [q.name for q in uow.vendors.qualifications("vendor-a")] == ["ISO 27001", "ITSS"]
    assert uow.vendors.find_qualification("vendor-a", "ITSS", "N-1").expires_on == date(2027, 8, 31)
    assert uow.vendors.find_qualification("vendor-a", "ITSS", "N-2") is None
    assert [(q.name, unit) for q, unit in uow.vendors.expiring(date(2026, 12, 1), date(2026, 11, 1))] == [
        ("ISO 27001", "om-centre")]
    assert uow.vendors.mark_warned(soon.id, 30, date(2026, 11, 1))
    assert not uow.vendors.mark_warned(soon.id, 30, date(2026, 11, 2))
    assert uow.vendors.mark_warned(soon.id, 7, date(2026, 11, 2))


def test_projects_are_scoped_by_unit(uow):
    uow.projects.add(_project("p1"), idempotency_key="key-1")
    uow.projects.add(_project("p2", unit="fgw"))
    assert uow.projects.get("p1", OM).org_unit_id == "om-centre"
    assert uow.projects.get("p2", OM) is None  # outside the caller's scope reads as missing
    assert uow.projects.get("p2", ALL).org_unit_id == "fgw"
    assert uow.projects.by_key("key-1").id == "p1" and uow.projects.by_key("key-2") is None
    assert [p.id for p in uow.projects.list(ALL)] == ["p1", "p2"]
    assert [p.id for p in uow.projects.list(OM)] == ["p1"]
    assert [p.id for p in uow.projects.list(ALL, org_unit_id="fgw")] == ["p2"]


def test_project_updates_and_history(uow):
    p = _project("p1")
    uow.projects.add(p)
    uow.projects.record("p1", None, ProjectState.PROPOSAL, "", "zhangw")
    p.state, p.procurement_method = ProjectState.PROCUREMENT, "open_tender"
    uow.projects.update(p)
    uow.projects.record("p1", ProjectState.PROPOSAL, ProjectState.PROCUREMENT, "公开招标", "zhangw")
    got = uow.projects.get("p1", ALL)
    assert (got.state, got.procurement_method) == (ProjectState.PROCUREMENT, "open_tender")
    assert [p.id for p in uow.projects.list(ALL, state="procurement")] == ["p1"]
    assert [(h["from_state"], h["to_state"], h["note"]) for h in uow.projects.history("p1")] == [
        (None, "proposal", ""), ("proposal", "procurement", "公开招标")]


def test_a_vendors_second_bid_replaces_its_first_and_bids_rank_by_amount(uow):
    for vid, credit in (("vendor-a", "91110108551385082Q"), ("vendor-b", "91350100M000100Y43")):
        uow.vendors.add(_vendor(vid, credit))
    uow.projects.add(_project("p1"))
    day = date(2026, 10, 1)
    assert uow.projects.add_bid(Bid(str(uuid.uuid4()), "p1", "vendor-a", Decimal("120000.00"), day))
    assert uow.projects.add_bid(Bid(str(uuid.uuid4()), "p1", "vendor-b", Decimal("110000.00"), day))
    assert uow.projects.add_bid(Bid(str(uuid.uuid4()), "p1", "vendor-a", Decimal("115000.00"), day))
    assert [(b.vendor_id, b.amount) for b in uow.projects.bids("p1")] == [
        ("vendor-b", Decimal("110000.00")), ("vendor-a", Decimal("115000.00"))]
    assert uow.projects.bids("other") == []
