"""Outsource domain: credit codes, the project state machine, penalty maths, SLA attainment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from govkit.errors import FailedPrecondition, InvalidArgument, Validator
from outsource.domain import credit_code as cc
from outsource.domain import sla
from outsource.domain.model import (
    Acceptance,
    AcceptanceResult,
    ChecklistItem,
    Contract,
    ContractVersion,
    Milestone,
    PenaltyClause,
    PenaltyMetric,
    Project,
    ProjectState,
    Qualification,
    SlaTarget,
    SlaTerms,
    Vendor,
    VendorStatus,
    check_awardable,
    check_payment,
    expiring_thresholds,
    validate_evidence,
    validate_penalties,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110108551385082Q", "91440300708461136T"])
def test_known_credit_codes_are_valid(code):
    assert cc.problem(code) is None
    assert cc.is_valid(code.lower())  # normalised to capitals


@pytest.mark.parametrize("code, why", [
    ("91350100M000100Y44", "check character is 4, expected 3"),
    ("91110108551385082X", "expected Q"),
    ("91350100M000100Y4", "18 characters"),
    ("91350100M000100I43", "alphabet: I"),
    ("91350100O000100Y43", "alphabet: O"),
    ("", "18 characters"),
])
def test_invalid_credit_codes_say_why(code, why):
    assert why in cc.problem(code)


def test_check_character_weights_follow_the_standard():
    assert cc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert cc.check_character("91350100M000100Y4") == "3"


def _project(state=ProjectState.PROPOSAL):
    return Project("p1", "运维外包", "om", "om-centre", state)


def test_project_moves_only_one_step_forward():
    p = _project()
    assert p.advance(ProjectState.PROCUREMENT, step="x") is ProjectState.PROPOSAL
    with pytest.raises(FailedPrecondition, match="in state 'procurement'"):
        p.advance(ProjectState.EXECUTION, step="starting execution")
    with pytest.raises(FailedPrecondition, match="in state 'procurement'"):
        p.advance(ProjectState.PROCUREMENT, step="again")
    for to in (ProjectState.CONTRACT, ProjectState.EXECUTION, ProjectState.ACCEPTANCE, ProjectState.CLOSURE):
        p.advance(to, step="next")
    assert p.state is ProjectState.CLOSURE
    with pytest.raises(FailedPrecondition, match="'closure'"):
        p.require(ProjectState.EXECUTION, step="a payment")


def _vendor(status=VendorStatus.ACTIVE):
    return Vendor("v1", "华信", "91350100M000100Y43", "om-centre", status, "围标" if status != "active" else "")


def test_award_refuses_blacklisted_suspended_and_expired():
    day = date(2026, 11, 25)
    valid = Qualification("q1", "v1", "ITSS", "1", "", date(2027, 1, 1))
    check_awardable(_vendor(), [valid], day)
    with pytest.raises(FailedPrecondition, match="blacklisted"):
        check_awardable(_vendor(VendorStatus.BLACKLISTED), [valid], day)
    with pytest.raises(FailedPrecondition, match="suspended"):
        check_awardable(_vendor(VendorStatus.SUSPENDED), [valid], day)
    expired = Qualification("q2", "v1", "CMMI3", "2", "", date(2026, 11, 24))
    with pytest.raises(FailedPrecondition, match="expired qualifications: CMMI3"):
        check_awardable(_vendor(), [valid, expired], day)
    check_awardable(_vendor(), [Qualification("q3", "v1", "x", "3", "", day)], day)  # valid through its last day


def test_expiry_thresholds():
    q = Qualification("q", "v", "ITSS", "1", "", date(2026, 12, 1))
    assert expiring_thresholds(q, date(2026, 10, 1), (30, 7)) == []
    assert expiring_thresholds(q, date(2026, 11, 1), (30, 7)) == [30]
    assert expiring_thresholds(q, date(2026, 11, 28), (30, 7)) == [7, 30]
    assert expiring_thresholds(q, date(2026, 12, 2), (30, 7)) == []


def _clauses(**cap):
    return (
        PenaltyClause("p1", "响应超时", PenaltyMetric.RESPONSE, Decimal("200.00"), Decimal("1000.00"), cap.get("p1")),
        PenaltyClause("p2", "解决超时", PenaltyMetric.RESOLUTION, Decimal("500.00"), Decimal("0.00"), cap.get("p2")),
        PenaltyClause("p3", "可用性", PenaltyMetric.AVAILABILITY, Decimal("0.00"), Decimal("3000.00"), None),
    )


def _version(clauses):
    terms = SlaTerms((SlaTarget("critical", 15, 240), SlaTarget("high", 30, 480)), Decimal("95"), Decimal("99.90"), 60)
    return ContractVersion(1, Decimal("480000.00"), date(2026, 1, 1), date(2026, 12, 31), terms, clauses,
                           date(2026, 1, 1), "signed")


def test_attainment_and_penalties_exact():
    facts = [sla.VendorWork(f"t{i:02}", "high", response_seconds=600, resolution_seconds=3600) for i in range(27)]
    facts += [sla.VendorWork("t90", "high", response_seconds=1801, resolution_seconds=3600),  # late response
              sla.VendorWork("t91", "critical", response_seconds=60, resolution_seconds=14401),  # late resolution
              sla.VendorWork("t92", "critical", response_seconds=901),  # late response, not resolved yet
              sla.VendorWork("t93", "low", response_seconds=99999),  # no target for low: counted, not measured
              sla.VendorWork("t94", "high", response_seconds=1800)]  # exactly on target; not resolved yet
    version = _version(_clauses())
    measured = sla.aggregate(facts, version)
    r = sla.report(measured, version, Decimal("99.75"))
    assert r.tickets == 32
    # response: 31 measured, 29 met → 93.548… → 93.55 ; resolution: 29 measured, 28 met → 96.551… → 96.55
    assert r.response_attainment_percent == Decimal("93.55")
    assert r.resolution_attainment_percent == Decimal("96.55")
    assert measured.response_missed == ["t90", "t92"] and measured.resolution_missed == ["t91"]
    assert r.breaches == 3
    p1, p2, p3 = r.penalties
    # 2 × 200 + (95 − 93.55) × 1000 = 400 + 1450 = 1850.00
    assert (p1.amount, p1.ticket_ids, p1.points_below) == (Decimal("1850.00"), ("t90", "t92"), Decimal("1.45"))
    assert (p2.amount, p2.ticket_ids) == (Decimal("500.00"), ("t91",))  # above target: no per-point part
    assert p3.amount == Decimal("450.00")  # (99.90 − 99.75) × 3000
    assert r.penalty_total == Decimal("2800.00")


def test_caps_limit_each_clause_and_zero_cap_waives():
    facts = [sla.VendorWork(f"t{i}", "high", response_seconds=9999) for i in range(10)]
    version = _version(_clauses(p1=Decimal("1000.00"), p2=Decimal("0")))
    r = sla.report(sla.aggregate(facts, version), version)
    assert r.response_attainment_percent == Decimal("0.00")
    assert r.penalties[0].uncapped == Decimal("97000.00") and r.penalties[0].amount == Decimal("1000.00")
    assert r.penalty_total == Decimal("1000.00")


def test_nothing_measured_is_full_attainment_and_no_penalty():
    version = _version(_clauses())
    r = sla.report(sla.aggregate([], version), version)
    assert (r.tickets, r.response_attainment_percent, r.penalty_total) == (0, Decimal("100.00"), Decimal("0.00"))


def test_rounding_is_half_up_to_the_fen():
    clause = PenaltyClause("p", "x", PenaltyMetric.RESPONSE, Decimal("0.00"), Decimal("0.01"), None)
    assert sla.penalty(clause, 0, Decimal("0.50"), ()).amount == Decimal("0.01")  # 0.005 → 0.01
    assert sla.attainment(2, 3) == Decimal("66.67") and sla.attainment(1, 8) == Decimal("12.50")


def test_penalty_clauses_refuse_negative_caps_naming_the_field():
    v = Validator()
    validate_penalties(v, "penalties", [{"metric": "response", "per_breach_amount": "100", "cap": "-1"},
                                        {"metric": "uptime", "per_point_amount": "10.001"}])
    fields = {x.field for x in v.violations}
    assert {"penalties[0].cap", "penalties[1].metric", "penalties[1].per_point_amount"} <= fields
    with pytest.raises(InvalidArgument):
        v.check()


def _contract(amount="100000.00"):
    m = Milestone("m1", "首付款", Decimal("30000.00"), "初验", ("运维方案",))
    v = ContractVersion(1, Decimal(amount), date(2026, 1, 1), date(2026, 12, 31), SlaTerms(), (), date(2026, 1, 1), "")
    return Contract("c1", "p1", "v1", "om-centre", None, date(2026, 1, 1), ("运维方案",), (m,), [v]), m


def test_payment_needs_acceptance_and_room():
    contract, m = _contract()
    with pytest.raises(FailedPrecondition, match="needs acceptance '初验'"):
        check_payment(contract, m, Decimal("100"), Decimal(0), Decimal(0), [])
    accepted = [Acceptance("a", "c1", "m1", "初验", AcceptanceResult.FAIL, ("王",), (), (), date(2026, 3, 1), "x")]
    with pytest.raises(FailedPrecondition, match="needs acceptance"):
        check_payment(contract, m, Decimal("100"), Decimal(0), Decimal(0), accepted)
    accepted[0].result = AcceptanceResult.CONDITIONAL_PASS
    check_payment(contract, m, Decimal("30000.00"), Decimal(0), Decimal(0), accepted)
    with pytest.raises(FailedPrecondition, match="remaining contract amount 100.00"):
        check_payment(contract, m, Decimal("100.01"), Decimal("99900.00"), Decimal(0), accepted)
    with pytest.raises(FailedPrecondition, match="left of milestone"):
        check_payment(contract, m, Decimal("0.01"), Decimal("30000.00"), Decimal("30000.00"), accepted)


def test_terms_in_force_for_a_period():
    contract, _ = _contract()
    v2 = ContractVersion(2, Decimal("120000.00"), date(2026, 1, 1), date(2026, 12, 31), SlaTerms(), (),
                         date(2026, 7, 1), "扩容")
    contract.versions.append(v2)
    assert contract.terms_for(date(2026, 6, 1)).version == 1
    assert contract.terms_for(date(2026, 7, 1)).version == 2
    assert contract.current.amount == Decimal("120000.00")


def test_evidence_type_and_size_checked():
    v = Validator()
    validate_evidence(v, "验收报告.pdf", "application/pdf", b"%PDF-1.7 ...")
    assert not v.violations
    validate_evidence(v, "x.exe", "application/x-msdownload", b"MZ")
    validate_evidence(v, "fake.png", "image/png", b"%PDF-1.7")
    validate_evidence(v, "big.txt", "text/plain", b"a" * (2 * 1024 * 1024 + 1))
    assert [x.field for x in v.violations] == ["content_type", "data", "data"]


def test_checklist_must_cover_deliverables():
    from outsource.domain.model import validate_acceptance

    contract, m = _contract()
    v = Validator()
    validate_acceptance(v, m, contract, "pass", ["王"], [ChecklistItem("运维方案", "方案评审", False)], [])
    assert [x.field for x in v.violations] == ["result"]
    v = Validator()
    validate_acceptance(v, m, contract, "conditional_pass", [], [ChecklistItem("月报", "x", True)], [])
    assert {x.field for x in v.violations} == {"reviewers", "checklist[0].deliverable", "checklist",
                                               "rectification_items"}


def test_only_om_projects_name_a_fee_category():
    from govkit.errors import Validator
    from outsource.domain.model import check_fee_category

    for kind, category, ok in (("om", "software_om", True), ("om", "", False), ("om", "training", False),
                               ("construction", "", True), ("construction", "hardware_om", False),
                               ("planning", "", True), ("planning", "software_om", False)):
        v = Validator()
        check_fee_category(v, kind, category)
        assert (not v.violations) == ok, (kind, category)
        assert all(x.field == "fee_category" for x in v.violations)


def test_budget_status_learns_in_any_order_and_an_approval_is_final():
    from outsource.domain.model import next_budget_status

    assert next_budget_status("pending", "committed") == "committed"
    assert next_budget_status("pending", "blocked") == "blocked"
    assert next_budget_status("blocked", "approved") == "approved"
    assert next_budget_status("pending", "approved") == "approved"       # approval overtook the refusal
    assert next_budget_status("approved", "blocked") is None             # a late refusal changes nothing
    assert next_budget_status("blocked", "blocked") is None
    assert next_budget_status("not_om", "blocked") is None


def test_a_decision_about_a_newer_contract_version_replaces_the_status_and_an_older_one_is_ignored():
    from outsource.domain.model import next_budget_status

    # an amendment refused beyond the available amount blocks a committed or even an approved contract
    assert next_budget_status("committed", "blocked", 1, 2) == "blocked"
    assert next_budget_status("approved", "blocked", 1, 2) == "blocked"
    assert next_budget_status("blocked", "committed", 1, 2) == "committed"   # a refused one fits once amended
    # a late decision about an earlier version changes nothing; the same version keeps the old rule
    assert next_budget_status("blocked", "approved", 2, 1) is None
    assert next_budget_status("blocked", "committed", 2, 1) is None
    assert next_budget_status("approved", "blocked", 2, 2) is None
    assert next_budget_status("not_om", "blocked", 1, 2) is None


def test_a_blocked_contract_takes_no_payment_and_names_the_commitment():
    from datetime import date

    import pytest

    from govkit.errors import FailedPrecondition
    from outsource.domain.model import Contract

    c = Contract("HT-1", "p", "v", "om-centre", None, date(2026, 1, 1), (), (), [], budget_status="blocked",
                 commitment_id="K-9", budget_note="超出可用预算")
    with pytest.raises(FailedPrecondition, match="K-9"):
        c.require_budget_cleared()
    for status in ("pending", "committed", "approved", "not_om"):
        Contract("HT-1", "p", "v", "om-centre", None, date(2026, 1, 1), (), (), [],
                 budget_status=status).require_budget_cleared()
