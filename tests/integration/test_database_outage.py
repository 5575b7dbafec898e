"""A database outage is UNAVAILABLE (retryable, as gRPC clients expect), never INTERNAL: a real
server for each service whose PostgreSQL refuses connections (nothing listens on the port)."""

from __future__ import annotations

import grpc
import pytest

from govkit.client import channel
from govops.budget.v1 import budget_pb2, budget_pb2_grpc
from govops.evaluation.v1 import evaluation_pb2, evaluation_pb2_grpc
from govops.org.v1 import org_pb2, org_pb2_grpc
from govops.outsource.v1 import outsource_pb2, outsource_pb2_grpc
from govops.ticket.v1 import ticket_pb2, ticket_pb2_grpc

# A read on each service that must touch its database.
CALLS = {
    "ticket": (ticket_pb2_grpc.TicketServiceStub, "GetTicket",
               ticket_pb2.GetTicketRequest(id="6f1c1d1e-0000-4000-8000-000000000000")),
    "budget": (budget_pb2_grpc.BudgetServiceStub, "ListStandards", budget_pb2.ListStandardsRequest()),
    "outsource": (outsource_pb2_grpc.OutsourceServiceStub, "ListVendors", outsource_pb2.ListVendorsRequest()),
    "evaluation": (evaluation_pb2_grpc.EvaluationServiceStub, "ListModels", evaluation_pb2.ListModelsRequest()),
    "org": (org_pb2_grpc.OrgServiceStub, "ListOrgUnits", org_pb2.ListOrgUnitsRequest()),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_database_outage_is_unavailable_not_internal(service, grpc_server, admin_token, monkeypatch):
    from govkit.stack import free_port

    monkeypatch.setenv("GOVOPS_PG_URL", f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}")
    stub_class, method, request = CALLS[service]
    target = grpc_server(service)[service]
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub_class(channel(target, admin_token)), method)(request, timeout=10)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE, (err.value.code(), err.value.details())
    assert "correlation id" in err.value.details()
