"""budget-grpc: govops.budget.v1.BudgetService."""

from __future__ import annotations

from govkit.grpc_server import GrpcApp, permissions_for
from govops.budget.v1 import budget_pb2 as pb
from govops.budget.v1 import budget_pb2_grpc as pb_grpc

from .domain.fees import EXCLUDED, FEE_CATEGORIES

PERMISSIONS = {"ListFeeCategories": "budget.read"}


class BudgetServicer(pb_grpc.BudgetServiceServicer):
    def ListFeeCategories(self, request, context):
        return pb.ListFeeCategoriesResponse(
            categories=[pb.FeeCategory(code=c.code, name=c.name) for c in FEE_CATEGORIES],
            excluded=[pb.FeeCategory(code=c.code, name=c.name) for c in EXCLUDED])


def build(settings) -> GrpcApp:
    service = pb.DESCRIPTOR.services_by_name["BudgetService"]
    return GrpcApp(service="budget",
                   registrations=[(pb_grpc.add_BudgetServiceServicer_to_server, BudgetServicer())],
                   service_names=[service.full_name],
                   permissions=permissions_for(service, PERMISSIONS))
