"""Vendor SLA, plain domain rules: a ticket is the vendor's only through its engineer's vendor
membership at assignment (never through the support group), and the vendor's clock is measured
against the contract's own targets, stopped only by the pause reasons the contract allows."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from govkit.errors import Validator
from outsource.domain import sla
from outsource.domain.model import (
    ContractVersion,
    PenaltyClause,
    PenaltyMetric,
    SlaTarget,
    SlaTerms,
    validate_terms,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 1, 9, tzinfo=CST)
H = 3600
HX = "vendor-hx"
TARGETS = (SlaTarget("medium", 60, 1440), SlaTarget("high", 30, 480))  # medium: 1 h response, 24 h resolution


def terms(**over) -> SlaTerms:
    return SlaTerms(TARGETS, Decimal("95"), None, None, **{"clock": "24x7", **over})


def pt(hours: float, event: str, status: str, assignee: str | None = None, vendor: str | None = None, *,
       reason: str | None = None, stamp: int | None = None) -> sla.Point:
    return sla.Point(T0 + timedelta(hours=hours), f"{event}@{hours}", event, status, assignee, vendor, reason, stamp)


def created(stamp=None):
    return pt(0, "ticket_created", "new", stamp=stamp)


def work(points, t=None, priority="medium"):
    return sla.vendor_work("t1", priority, T0, points, HX, t or terms())


def test_an_internal_engineer_in_a_group_with_vendor_engineers_is_not_the_vendors_work():
    # group `app` has V001 (vendor-hx) and E008 (internal): E008's ticket is nobody's vendor work
    points = [created(), pt(0.1, "ticket_assigned", "assigned", "E008"), pt(5, "ticket_resolved", "resolved", "E008")]
    assert work(points) is None


def test_the_contract_target_decides_not_the_internal_breach_flag():
    # 20 h under a 24 h contract target: met, whatever the internal SLA (16 h) said
    points = [created(), pt(0.1, "ticket_assigned", "assigned", "V001", HX),
              pt(20, "ticket_resolved", "resolved", "V001", HX)]
    w = work(points)
    assert (w.response_seconds, w.resolution_seconds) == (360, 20 * H)
    assert sla.measure(w, terms().target("medium")) == (True, True)
    clause = PenaltyClause("p2", "解决超时", PenaltyMetric.RESOLUTION, Decimal("500.00"))
    version = ContractVersion(1, Decimal("1"), date(2026, 1, 1), date(2026, 12, 31), terms(), (clause,),
                              date(2026, 1, 1), "signed")
    report = sla.report(sla.aggregate([w], version), version)
    assert (report.breaches, report.penalty_total) == (0, Decimal("0.00"))


def test_waiting_for_the_vendor_does_not_stop_its_clock_an_allowed_pause_does():
    def pended(reason):
        return [created(), pt(0, "ticket_assigned", "assigned", "V001", HX),
                pt(2, "ticket_status_changed", "pending", "V001", HX, reason=reason),
                pt(12, "ticket_status_changed", "in_progress", "V001", HX),
                pt(30, "ticket_resolved", "resolved", "V001", HX)]

    target = terms().target("medium")
    on_vendor = work(pended("vendor"))
    assert on_vendor.resolution_seconds == 30 * H and sla.measure(on_vendor, target)[1] is False
    on_requester = work(pended("requester"))
    assert on_requester.resolution_seconds == 20 * H and sla.measure(on_requester, target)[1] is True
    # the contract decides: one that lets nothing stop the clock, or one that allows `vendor`
    assert work(pended("requester"), terms(allowed_pause_reasons=())).resolution_seconds == 30 * H
    assert work(pended("vendor"), terms(allowed_pause_reasons=("vendor",))).resolution_seconds == 20 * H
    # a pause whose reason the events do not say is not an allowed one
    assert work(pended(None)).resolution_seconds == 30 * H


def test_the_default_pause_reasons_are_the_requester_and_a_change_window():
    assert SlaTerms().allowed_pause_reasons == ("requester", "change") and SlaTerms().clock == "business"


def test_reassignment_to_an_internal_engineer_ends_the_vendors_clock():
    handed_back = [created(), pt(0, "ticket_assigned", "assigned", "V001", HX),
                   pt(5, "ticket_assigned", "assigned", "E008"), pt(40, "ticket_resolved", "resolved", "E008")]
    w = work(handed_back)
    # counted; the vendor made the first response; it handed on within its target and did not
    # resolve: resolution not measured for the vendor
    assert (w.response_seconds, w.resolution_seconds, w.vendor_seconds) == (0, None, 5 * H)
    late_hand_back = [created(), pt(0, "ticket_assigned", "assigned", "V001", HX),
                      pt(30, "ticket_assigned", "assigned", "E008"), pt(31, "ticket_resolved", "resolved", "E008")]
    assert work(late_hand_back).resolution_seconds == 30 * H  # past its target while it held it: a miss


def test_a_ticket_handed_to_the_vendor_midway_runs_its_clock_from_that_assignment():
    points = [created(), pt(0.5, "ticket_assigned", "assigned", "E008"),
              pt(3, "ticket_assigned", "assigned", "V001", HX), pt(10, "ticket_resolved", "resolved", "V001", HX)]
    w = work(points)
    assert (w.response_seconds, w.resolution_seconds) == (None, 7 * H)  # first response was internal


def test_events_in_any_order_give_the_same_work():
    points = [created(), pt(0, "ticket_assigned", "assigned", "V001", HX),
              pt(2, "ticket_status_changed", "pending", "V001", HX, reason="requester"),
              pt(4, "ticket_status_changed", "in_progress", "V001", HX),
              pt(9, "ticket_resolved", "resolved", "V001", HX)]
    assert work(list(reversed(points))) == work(points)


def test_a_reopened_ticket_adds_its_second_spell():
    points = [created(), pt(0, "ticket_assigned", "assigned", "V001", HX),
              pt(4, "ticket_resolved", "resolved", "V001", HX),
              pt(30, "ticket_status_changed", "in_progress", "V001", HX),
              pt(32, "ticket_resolved", "resolved", "V001", HX)]
    assert work(points).resolution_seconds == 6 * H


def test_a_business_hours_contract_uses_the_ticket_calendars_reading_24x7_the_wall_clock():
    # resolved 3 days later in wall time, 5 business hours in the ticket calendar's reading
    points = [created(stamp=0), pt(0.5, "ticket_assigned", "assigned", "V001", HX, stamp=1800),
              pt(72, "ticket_resolved", "resolved", "V001", HX, stamp=5 * H)]
    assert work(points, terms(clock="business")).resolution_seconds == 5 * H
    assert work(points, terms(clock="business")).response_seconds == 1800
    assert work(points, terms(clock="24x7")).resolution_seconds == 72 * H
    # a point without the reading (an event from before the field existed): that span on the wall clock
    mixed = [created(stamp=0), pt(1, "ticket_assigned", "assigned", "V001", HX),
             pt(3, "ticket_resolved", "resolved", "V001", HX, stamp=2 * H)]
    assert work(mixed, terms(clock="business")).resolution_seconds == 3 * H


def test_an_open_ticket_is_measured_once_the_vendor_is_past_its_target():
    still_open = [created(), pt(0, "ticket_assigned", "assigned", "V001", HX),
                  pt(3, "ticket_status_changed", "in_progress", "V001", HX)]
    assert work(still_open).resolution_seconds is None
    past = still_open + [pt(26, "ticket_status_changed", "pending", "V001", HX, reason="vendor")]
    assert work(past).resolution_seconds == 26 * H


def test_contract_terms_name_the_clock_and_the_allowed_pause_reasons():
    v = Validator()
    t = validate_terms(v, "sla", {"targets": [{"priority": "high", "response_minutes": 30,
                                               "resolution_minutes": 480}]})
    assert not v.violations and (t.clock, t.allowed_pause_reasons) == ("business", ("requester", "change"))
    t = validate_terms(v, "sla", {"clock": "24x7", "allowed_pauses": {"reasons": ["requester"]}})
    assert not v.violations and (t.clock, t.allowed_pause_reasons) == ("24x7", ("requester",))
    assert validate_terms(v, "sla", {"allowed_pauses": {"reasons": []}}).allowed_pause_reasons == ()
    validate_terms(v, "sla", {"clock": "weekdays", "allowed_pauses": {"reasons": ["lunch"]}})
    assert {x.field for x in v.violations} == {"sla.clock", "sla.allowed_pauses.reasons[0]"}
