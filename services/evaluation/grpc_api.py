"""evaluation-grpc: govops.evaluation.v1.EvaluationService."""

from __future__ import annotations

import queue

import redis
from google.protobuf.timestamp_pb2 import Timestamp

from govkit.grpc_server import GrpcApp, permissions_for, principal
from govops.evaluation.v1 import evaluation_pb2 as pb
from govops.evaluation.v1 import evaluation_pb2_grpc as pb_grpc

from . import handlers
from .adapters.kpi_store import KpiHub, KpiStore
from .domain.kpis import KpiFilter, KpiValue, Level

PERMISSIONS = {
    "GetKpis": "evaluation.read",
    "WatchKpis": "evaluation.read",
}

_LEVEL = {pb.LEVEL_ORGANIZATION: Level.ORGANIZATION, pb.LEVEL_PROCESS: Level.PROCESS,
          pb.LEVEL_INDIVIDUAL: Level.INDIVIDUAL}
_LEVEL_PB = {v: k for k, v in _LEVEL.items()}


def _filter(msg: pb.KpiFilter) -> KpiFilter:
    return KpiFilter(level=_LEVEL.get(msg.level), subjects=frozenset(msg.subjects),
                     names=frozenset(msg.names))


def kpi_to_pb(v: KpiValue) -> pb.Kpi:
    kpi = pb.Kpi(level=_LEVEL_PB[v.key.level], subject=v.key.subject, name=v.name, value=v.value,
                 window=v.key.window)
    if v.updated_at:
        ts = Timestamp()
        ts.FromJsonString(v.updated_at.replace("+00:00", "Z"))
        kpi.updated_at.CopyFrom(ts)
    return kpi


class EvaluationServicer(pb_grpc.EvaluationServiceServicer):
    def __init__(self, store: KpiStore, hub: KpiHub):
        self.store, self.hub = store, hub

    def GetKpis(self, request, context):
        values = handlers.get_kpis(_filter(request.filter), self.store, principal())
        return pb.GetKpisResponse(kpis=[kpi_to_pb(v) for v in values])

    def WatchKpis(self, request, context):
        caller, flt = principal(), _filter(request.filter)
        changes = self.hub.subscribe()  # before the snapshot, so nothing falls between the two
        try:
            if request.include_snapshot:
                for v in handlers.get_kpis(flt, self.store, caller):
                    yield pb.WatchKpisResponse(kpi=kpi_to_pb(v), snapshot=True)
            while context.is_active():
                try:
                    batch = changes.get(timeout=1.0)
                except queue.Empty:
                    continue
                if batch is None:
                    return
                for v in batch:
                    if flt.matches(v) and caller.scope.allows(v.key.subject):
                        yield pb.WatchKpisResponse(kpi=kpi_to_pb(v))
        finally:
            self.hub.unsubscribe(changes)


def build(settings) -> GrpcApp:
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    hub = KpiHub(client)
    service = pb.DESCRIPTOR.services_by_name["EvaluationService"]
    return GrpcApp(
        service="evaluation",
        registrations=[(pb_grpc.add_EvaluationServiceServicer_to_server,
                        EvaluationServicer(KpiStore(client), hub))],
        service_names=[service.full_name],
        permissions=permissions_for(service, PERMISSIONS),
        on_stop=[hub.stop, client.close],
    )
