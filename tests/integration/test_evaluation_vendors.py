"""Vendors as evaluated objects: outsource's SLA reports reach evaluation's vendor results."""

from __future__ import annotations

import grpc
import pytest

from evaluation import handlers
from evaluation.adapters.uow import EvaluationUnitOfWork
from govkit.client import channel
from govkit.events import Envelope
from govops.common.v1.common_pb2 import DateRange
from govops.evaluation.v1 import evaluation_pb2 as pb
from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc
from tests.paging import assert_garbage_token_refused, read_paged


def _report(event_id, at, *, penalty="1600.00", response="95.00", dept="om-centre", report="r-2026-10"):
    return Envelope(id=event_id, source="outsource", type="govops.outsource.vendor_sla_reported.v1", time=at,
                    subject=report, org_unit_id=dept, correlationid=None, data={
                        "report_id": report, "contract_id": "c-1", "vendor_id": "vendor-hx",
                        "period_start": "2026-10-01", "period_end": "2026-10-31", "tickets": 60,
                        "response_attainment_percent": response, "resolution_attainment_percent": "96.67",
                        "breaches": 5, "penalty_total": penalty})


def test_vendor_results_keep_the_newest_report_once_and_respect_scope(grpc_server, engine_for, signer):
    engine = engine_for("evaluation")
    uow = lambda: EvaluationUnitOfWork(engine)  # noqa: E731
    first = _report("e1", "2026-11-01T01:00:00+00:00")
    regenerated = _report("e2", "2026-11-03T01:00:00+00:00", penalty="1900.00", response="93.33")
    assert handlers.record_vendor_report(regenerated, uow())
    assert not handlers.record_vendor_report(regenerated, uow())      # redelivered
    assert not handlers.record_vendor_report(first, uow())            # the older version arrives late
    handlers.record_vendor_report(_report("e3", "2026-11-01T01:00:00+00:00", dept="fgw", report="r-fgw"), uow())
    target = grpc_server("evaluation")["evaluation"]
    director = signer.mint("director", perms=["evaluation.read"], scopes=[{"unit": "*"}])
    rows = pb_grpc.EvaluationServiceStub(channel(target, director)).ListVendorResults(
        pb.ListVendorResultsRequest(vendor_id="vendor-hx"), timeout=5).results
    assert [(r.report_id, r.penalty_total.amount, r.response_attainment_pct) for r in rows] == [
        ("r-2026-10", "1900.00", "93.33"), ("r-fgw", "1600.00", "95.00")]
    # Paged (issue 11, item 3): one result a page, in the order of the whole list.
    paged = read_paged(pb_grpc.EvaluationServiceStub(channel(target, director)).ListVendorResults,
                       pb.ListVendorResultsRequest(vendor_id="vendor-hx"), "results", 1)
    assert [r.report_id for r in paged] == ["r-2026-10", "r-fgw"]
    assert_garbage_token_refused(pb_grpc.EvaluationServiceStub(channel(target, director)).ListVendorResults,
                                 pb.ListVendorResultsRequest())
    fgw = signer.mint("fgw", perms=["evaluation.read"], scopes=[{"unit": "fgw"}])
    rows = pb_grpc.EvaluationServiceStub(channel(target, fgw)).ListVendorResults(
        pb.ListVendorResultsRequest(), timeout=5).results
    assert [r.report_id for r in rows] == ["r-fgw"]
    # Issue 15: the portal's vendor results page filters by the contract's owning unit.
    rows = pb_grpc.EvaluationServiceStub(channel(target, director)).ListVendorResults(
        pb.ListVendorResultsRequest(org_unit_id="om-centre"), timeout=5).results
    assert [r.report_id for r in rows] == ["r-2026-10"]
    rows = pb_grpc.EvaluationServiceStub(channel(target, fgw)).ListVendorResults(
        pb.ListVendorResultsRequest(org_unit_id="om-centre"), timeout=5).results
    assert list(rows) == []
    with pytest.raises(grpc.RpcError) as err:
        pb_grpc.EvaluationServiceStub(channel(target, director)).ListVendorResults(
            pb.ListVendorResultsRequest(period=DateRange(start="2026-13-01")), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
