"""`govops notify …`: the notify command group (registered by notify.service)."""

from __future__ import annotations

from enum import Enum

import grpc
import typer

from govkit.cli_support import (
    Listing,
    console,
    emit,
    emit_record,
    enum_number,
    enum_word,
    enum_words,
    fail,
    grpc_channel,
)
from govops.common.v1.common_pb2 import PageRequest
from govops.notify.v1 import notify_pb2 as pb

app = typer.Typer(help="Notifications: my notifications, preferences, the delivery log, test messages, replay",
                  no_args_is_help=True)

ChannelWord = Enum("ChannelWord", enum_words(pb.Channel), type=str)  # type: ignore[misc]
StatusWord = Enum("StatusWord", enum_words(pb.DeliveryStatus), type=str)  # type: ignore[misc]


def _stub():
    from govops.notify.v1 import notify_pb2_grpc

    return notify_pb2_grpc.NotifyServiceStub(grpc_channel("notify"))


@app.command("mine")
def notify_mine(unread: bool = typer.Option(False, help="only the unread ones"),
                page_size: int = typer.Option(50, help="notifications to show (at most 200)")):
    """My notification centre, newest first."""
    try:
        reply = _stub().ListMyNotifications(pb.ListMyNotificationsRequest(
            unread_only=unread, page=PageRequest(page_size=page_size)), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    rows = Listing("my notifications", "created", "kind", "title", "link", "read", "id")
    for n in reply.notifications:
        rows.add_row(n.created_at, n.kind, n.title, n.link, n.read_at if n.HasField("read_at") else None, n.id)
    emit(rows)


@app.command("read")
def notify_read(ids: list[str] = typer.Argument(None, help="notification ids; none: all my unread ones")):
    """Mark my notifications read."""
    try:
        reply = _stub().MarkNotificationsRead(pb.MarkNotificationsReadRequest(ids=ids or []), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    emit_record(reply, f"marked {reply.marked} read")


@app.command("preferences")
def notify_preferences(
    kind: list[str] = typer.Option(None, help="KIND=CHANNEL[,CHANNEL] (e.g. sla_breached=email,sms; "
                                              "KIND= for the notification centre only); repeatable"),
    quiet: str = typer.Option(None, help="quiet hours HH:MM-HH:MM local time (e.g. 22:00-07:00); '-' for none"),
):
    """Show my preferences; with --kind or --quiet, change them (kinds not named keep their channels)."""
    stub = _stub()
    try:
        prefs = stub.GetPreferences(pb.GetPreferencesRequest(), timeout=10).preferences
        if kind or quiet is not None:
            chosen = {k.kind: list(k.channels) for k in prefs.kinds}
            for item in kind or []:
                name, _, channels = item.partition("=")
                chosen[name] = [enum_number(pb.Channel, c) for c in channels.split(",") if c]
            start, end = prefs.quiet_start, prefs.quiet_end
            if quiet is not None:
                start, _, end = ("", "", "") if quiet == "-" else quiet.partition("-")
            prefs = stub.SetPreferences(pb.SetPreferencesRequest(preferences=pb.Preferences(
                kinds=[pb.KindChannels(kind=k, channels=v) for k, v in chosen.items()],
                quiet_start=start, quiet_end=end)), timeout=10).preferences
    except grpc.RpcError as err:
        fail(err)
    rows = Listing("my notification preferences", "kind", "channels")
    for k in prefs.kinds:
        rows.add_row(k.kind, ", ".join(str(enum_word(pb.Channel.DESCRIPTOR, c)) for c in k.channels) or "-")
    emit(rows)
    console.print(f"quiet hours: {prefs.quiet_start}-{prefs.quiet_end}" if prefs.quiet_start else "quiet hours: none")


def _filter(status, channel, recipient, kind, event_id) -> pb.DeliveryFilter:
    return pb.DeliveryFilter(
        status=pb.DeliveryStatus.ValueType(enum_number(pb.DeliveryStatus, status) if status else 0),
        channel=pb.Channel.ValueType(enum_number(pb.Channel, channel) if channel else 0),
        recipient=recipient or "", kind=kind or "", event_id=event_id or "")


STATUS_OPT = typer.Option(None, help="delivery status")
CHANNEL_OPT = typer.Option(None, help="channel")
RECIPIENT_OPT = typer.Option(None, help="recipient staff id, or robot")
KIND_OPT = typer.Option(None, help="event kind, e.g. ticket_assigned")
EVENT_OPT = typer.Option(None, help="event id")


@app.command("deliveries")
def notify_deliveries(status: StatusWord = STATUS_OPT, channel: ChannelWord = CHANNEL_OPT,
                      recipient: str = RECIPIENT_OPT, kind: str = KIND_OPT, event_id: str = EVENT_OPT,
                      page_size: int = typer.Option(50, help="deliveries to show (at most 200)")):
    """The delivery log (administrators), newest first."""
    try:
        reply = _stub().ListDeliveries(pb.ListDeliveriesRequest(
            filter=_filter(status and status.value, channel and channel.value, recipient, kind, event_id),
            page=PageRequest(page_size=page_size)), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    rows = Listing(f"deliveries ({reply.page.total_size} matching)", "created", "kind", "recipient", "channel",
                   "status", "attempts", "repeats", "provider id", "error", "id")
    for d in reply.deliveries:
        rows.add_row(d.created_at, d.kind, d.recipient, enum_word(pb.Channel.DESCRIPTOR, d.channel),
                     enum_word(pb.DeliveryStatus.DESCRIPTOR, d.status), d.attempts, d.repeats,
                     d.provider_message_id, d.last_error or d.template_error, d.id)
    emit(rows)


@app.command("test")
def notify_test(channel: ChannelWord = typer.Argument(..., help="the channel to test"),
                to: str = typer.Option("", help="e-mail address or mobile number (e-mail and SMS)")):
    """Send a test message on one configured channel now (administrators)."""
    try:
        d = _stub().SendTestMessage(pb.SendTestMessageRequest(
            channel=pb.Channel.ValueType(enum_number(pb.Channel, channel.value)), address=to), timeout=30).delivery
    except grpc.RpcError as err:
        fail(err)
    status = enum_word(pb.DeliveryStatus.DESCRIPTOR, d.status)
    emit_record(d, f"test on {channel.value}: {status}" + (f" ({d.last_error})" if d.last_error else
                                                            f", provider id {d.provider_message_id}"))
    if d.status != pb.DELIVERY_STATUS_SENT:
        raise typer.Exit(1)


@app.command("replay")
def notify_replay(ids: list[str] = typer.Argument(None, help="dead delivery ids"),
                  channel: ChannelWord = CHANNEL_OPT, recipient: str = RECIPIENT_OPT, kind: str = KIND_OPT,
                  event_id: str = EVENT_OPT):
    """Put dead deliveries back in the queue (those named, or all matching the filters)."""
    try:
        reply = _stub().ReplayDeliveries(pb.ReplayDeliveriesRequest(
            ids=ids or [], filter=_filter(None, channel and channel.value, recipient, kind, event_id)), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    emit_record(reply, f"replayed {reply.replayed} dead deliveries")
