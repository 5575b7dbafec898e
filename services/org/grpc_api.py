"""org-grpc: govops.org.v1.OrgService."""

from __future__ import annotations

from govkit.db import make_engine
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govops.org.v1 import org_pb2 as pb
from govops.org.v1 import org_pb2_grpc as pb_grpc

from . import handlers
from .adapters.uow import OrgUnitOfWork
from .domain.model import CreateOrgUnit, OrgUnit, OrgUnitKind

PERMISSIONS = {
    "CreateOrgUnit": "org.admin",
    "ListOrgUnits": "org.read",
}

_KIND = {pb.ORG_UNIT_KIND_GOVERNMENT: OrgUnitKind.GOVERNMENT,
         pb.ORG_UNIT_KIND_DEPARTMENT: OrgUnitKind.DEPARTMENT,
         pb.ORG_UNIT_KIND_DIVISION: OrgUnitKind.DIVISION,
         pb.ORG_UNIT_KIND_OM_CENTRE: OrgUnitKind.OM_CENTRE}
_KIND_PB = {v: k for k, v in _KIND.items()}


def unit_to_pb(u: OrgUnit) -> pb.OrgUnit:
    return pb.OrgUnit(id=u.id, name=u.name, parent_id=u.parent_id or "", kind=_KIND_PB[u.kind])


class OrgServicer(pb_grpc.OrgServiceServicer):
    def __init__(self, engine):
        self.engine = engine

    def CreateOrgUnit(self, request, context):
        kind = _KIND.get(request.kind)
        cmd = CreateOrgUnit(request.id, request.name, request.parent_id or None,
                            kind.value if kind else (str(request.kind) if request.kind else ""))
        unit = handlers.create_org_unit(cmd, OrgUnitOfWork(self.engine), principal())
        return pb.CreateOrgUnitResponse(org_unit=unit_to_pb(unit))

    def ListOrgUnits(self, request, context):
        units = handlers.list_org_units(OrgUnitOfWork(self.engine), principal())
        return pb.ListOrgUnitsResponse(org_units=[unit_to_pb(u) for u in units])


def build(settings) -> GrpcApp:
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    service = pb.DESCRIPTOR.services_by_name["OrgService"]
    return GrpcApp(
        service="org",
        registrations=[(pb_grpc.add_OrgServiceServicer_to_server, OrgServicer(engine))],
        service_names=[service.full_name],
        permissions=permissions_for(service, PERMISSIONS),
        on_stop=[engine.dispose],
    )
