"""notify-grpc: govops.notify.v1.NotifyService. Thin: request → handler → response; errors leave
through the kit's one table."""

from __future__ import annotations

from datetime import UTC, time

from govkit.db import make_engine
from govkit.errors import FieldViolation, InvalidArgument
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govkit.protoconv import decode_page_token, encode_page_token, page, page_offset, page_response, timestamp
from govops.notify.v1 import notify_pb2 as pb
from govops.notify.v1 import notify_pb2_grpc as pb_grpc

from . import handlers
from .adapters.channels import load_channels
from .adapters.store import NotifyUnitOfWork
from .domain.model import DINGTALK, EMAIL, SMS, WECOM, WECOM_APP, Preferences

ADMIN, SELF = handlers.ADMIN, handlers.SELF
PERMISSIONS = {
    "ListMyNotifications": SELF, "MarkNotificationsRead": SELF, "GetPreferences": SELF, "SetPreferences": SELF,
    "ListDeliveries": ADMIN, "SendTestMessage": ADMIN, "ReplayDeliveries": ADMIN,
    "ListTemplates": ADMIN, "GetTemplate": ADMIN, "UpdateTemplate": ADMIN, "ResetTemplate": ADMIN,
}
CHANNEL = {pb.CHANNEL_EMAIL: EMAIL, pb.CHANNEL_SMS: SMS, pb.CHANNEL_WECOM: WECOM, pb.CHANNEL_DINGTALK: DINGTALK,
           pb.CHANNEL_WECOM_APP: WECOM_APP}
CHANNEL_PB = {v: k for k, v in CHANNEL.items()}
STATUS = {pb.DELIVERY_STATUS_PENDING: "pending", pb.DELIVERY_STATUS_SENDING: "sending",
          pb.DELIVERY_STATUS_SENT: "sent", pb.DELIVERY_STATUS_DEAD: "dead"}
STATUS_PB = {v: k for k, v in STATUS.items()}
DEFAULT_PAGE, MAX_PAGE = 50, 200


def _paging(msg) -> tuple[int, int]:
    size, token = page(msg)
    if size < 0:
        raise InvalidArgument(field="page.page_size", reason="must not be negative")
    return decode_page_token(token, page_offset) or 0, min(size or DEFAULT_PAGE, MAX_PAGE)


def _next(offset: int, limit: int, total: int):
    end = offset + limit
    return page_response(encode_page_token(end) if end < total else "", total_size=total)


def _hhmm(text: str, field: str) -> time | None:
    if not text:
        return None
    try:
        hh, mm = text.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise InvalidArgument(field=field, reason="expected HH:MM (24-hour local time)") from None


def prefs_pb(p: Preferences) -> pb.Preferences:
    return pb.Preferences(
        kinds=[pb.KindChannels(kind=k, channels=[CHANNEL_PB[c] for c in v]) for k, v in sorted(p.channels.items())],
        quiet_start=p.quiet_start.strftime("%H:%M") if p.quiet_start else "",
        quiet_end=p.quiet_end.strftime("%H:%M") if p.quiet_end else "")


def prefs_of(msg: pb.Preferences) -> Preferences:
    channels: dict[str, tuple[str, ...]] = {}
    problems = []
    for i, k in enumerate(msg.kinds):
        for c in k.channels:
            if c not in CHANNEL:
                problems.append(FieldViolation(f"preferences.kinds[{i}].channels", "unknown channel"))
        channels[k.kind] = tuple(CHANNEL[c] for c in k.channels if c in CHANNEL)
    if problems:
        raise InvalidArgument(problems)
    return Preferences("", channels, _hhmm(msg.quiet_start, "preferences.quiet_start"),
                       _hhmm(msg.quiet_end, "preferences.quiet_end"))


def delivery_pb(d: dict) -> pb.Delivery:
    return pb.Delivery(
        id=str(d["id"]), event_id=d["event_id"], kind=d["kind"], recipient=d["recipient"],
        channel=CHANNEL_PB.get(d["channel"], pb.CHANNEL_UNSPECIFIED), address=d["address"],
        status=STATUS_PB.get(d["status"], pb.DELIVERY_STATUS_UNSPECIFIED), attempts=d["attempts"],
        repeats=d["repeats"], provider_message_id=d["provider_message_id"], last_error=d["last_error"],
        template_error=d["template_error"], subject=(d.get("message") or {}).get("subject", ""),
        created_at=timestamp(d["created_at"]), updated_at=timestamp(d["updated_at"]),
        sent_at=timestamp(d["sent_at"]), next_attempt_at=timestamp(d["next_attempt_at"]),
        subject_key=d["subject_key"])


def template_pb(t: dict) -> pb.Template:
    return pb.Template(kind=t["kind"], channel=t["channel"], subject=t["subject"], text=t["text"], custom=t["custom"],
                       version=t["version"], updated_by=t["updated_by"], updated_at=timestamp(t["updated_at"]),
                       title=t["title"], default_subject=t["default_subject"], default_text=t["default_text"],
                       preview_subject=t["preview_subject"], preview_text=t["preview_text"],
                       preview_error=t["preview_error"])


def filters_of(f: pb.DeliveryFilter) -> dict:
    return {"status": STATUS.get(f.status), "channel": CHANNEL.get(f.channel), "recipient": f.recipient,
            "kind": f.kind, "event_id": f.event_id,
            "since": f.since.ToDatetime(tzinfo=UTC) if f.HasField("since") else None,
            "until": f.until.ToDatetime(tzinfo=UTC) if f.HasField("until") else None}


class NotifyServicer(pb_grpc.NotifyServiceServicer):
    def __init__(self, engine, channels: dict, settings: handlers.NotifySettings):
        self.engine, self.channels, self.settings = engine, channels, settings

    def uow(self) -> NotifyUnitOfWork:
        return NotifyUnitOfWork(self.engine)

    def ListMyNotifications(self, r, context):
        offset, limit = _paging(r.page)
        rows, total = handlers.my_notifications(self.uow(), principal(), unread_only=r.unread_only,
                                                offset=offset, limit=limit)
        return pb.ListMyNotificationsResponse(notifications=[pb.Notification(
            id=str(n["id"]), kind=n["kind"], title=n["title"], body=n["body"], link=n["link"],
            created_at=timestamp(n["created_at"]), read_at=timestamp(n["read_at"]), event_id=n["event_id"])
            for n in rows], page=_next(offset, limit, total))

    def MarkNotificationsRead(self, r, context):
        return pb.MarkNotificationsReadResponse(marked=handlers.mark_read(self.uow(), principal(), list(r.ids)))

    def GetPreferences(self, r, context):
        return pb.GetPreferencesResponse(preferences=prefs_pb(handlers.get_preferences(self.uow(), principal())))

    def SetPreferences(self, r, context):
        saved = handlers.set_preferences(self.uow(), principal(), prefs_of(r.preferences))
        return pb.SetPreferencesResponse(preferences=prefs_pb(saved))

    def ListDeliveries(self, r, context):
        offset, limit = _paging(r.page)
        rows, total = handlers.deliveries(self.uow(), principal(), filters_of(r.filter), offset=offset, limit=limit)
        return pb.ListDeliveriesResponse(deliveries=[delivery_pb(d) for d in rows], page=_next(offset, limit, total))

    def SendTestMessage(self, r, context):
        d = handlers.send_test(self.uow(), principal(), CHANNEL.get(r.channel, ""), r.address, self.channels,
                               self.settings)
        return pb.SendTestMessageResponse(delivery=delivery_pb(d))

    def ReplayDeliveries(self, r, context):
        n = handlers.replay(self.uow(), principal(), list(r.ids), filters_of(r.filter))
        return pb.ReplayDeliveriesResponse(replayed=n)

    def ListTemplates(self, r, context):
        return pb.ListTemplatesResponse(templates=[template_pb(t) for t in
                                                   handlers.list_templates(self.uow(), principal(), r.kind)])

    def GetTemplate(self, r, context):
        t, versions = handlers.get_template(self.uow(), principal(), r.kind, r.channel)
        return pb.GetTemplateResponse(template=template_pb(t), versions=[pb.TemplateVersion(
            version=v["version"], subject=v["subject"], text=v["text"], active=v["active"],
            updated_by=v["updated_by"], updated_at=timestamp(v["updated_at"])) for v in versions])

    def UpdateTemplate(self, r, context):
        return pb.UpdateTemplateResponse(template=template_pb(
            handlers.update_template(self.uow(), principal(), r.kind, r.channel, r.subject, r.text)))

    def ResetTemplate(self, r, context):
        return pb.ResetTemplateResponse(template=template_pb(handlers.reset_template(self.uow(), principal(), r.kind,
                                                                                      r.channel)))


def build(settings) -> GrpcApp:
    service = pb.DESCRIPTOR.services_by_name["NotifyService"]
    channels = load_channels()  # invalid configuration: ConfigError naming the variable, at start
    notify_settings = handlers.NotifySettings.from_env()
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    return GrpcApp(service="notify",
                   registrations=[(pb_grpc.add_NotifyServiceServicer_to_server,
                                   NotifyServicer(engine, channels, notify_settings))],
                   service_names=[service.full_name],
                   permissions=permissions_for(service, PERMISSIONS),
                   on_stop=[engine.dispose])
