"""outsource-grpc: govops.outsource.v1.OutsourceService."""

from __future__ import annotations

from govkit.grpc_server import GrpcApp, permissions_for
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc

from .domain.kinds import KINDS

PERMISSIONS = {"ListOutsourcingKinds": "outsource.read"}


class OutsourceServicer(pb_grpc.OutsourceServiceServicer):
    def ListOutsourcingKinds(self, request, context):
        return pb.ListOutsourcingKindsResponse(
            kinds=[pb.OutsourcingKind(code=k.code, name=k.name) for k in KINDS])


def build(settings) -> GrpcApp:
    service = pb.DESCRIPTOR.services_by_name["OutsourceService"]
    return GrpcApp(service="outsource",
                   registrations=[(pb_grpc.add_OutsourceServiceServicer_to_server, OutsourceServicer())],
                   service_names=[service.full_name],
                   permissions=permissions_for(service, PERMISSIONS))
