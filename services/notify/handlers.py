"""notify's use cases. Events in (`plan`: inside the consumer's transaction, it only writes the
notification-centre rows and pending deliveries — it never talks to a channel); deliveries out
(`send_due`: claims due deliveries with SKIP LOCKED, sends outside any transaction, records the
result, retries transient failures with backoff and marks `dead` after N attempts)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from govkit import logs
from govkit.auth import Principal
from govkit.config import ConfigError, local_zone
from govkit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound

from .adapters import templates
from .adapters.store import message_of
from .domain.model import (
    DEFAULT_ROBOT_KINDS,
    EMAIL,
    INAPP,
    KINDS,
    PERSONAL_CHANNELS,
    ROBOT_CHANNELS,
    SMS,
    TEMPLATE_CHANNELS,
    WECOM_APP,
    DeliveryResult,
    Message,
    Preferences,
    RetryPolicy,
    Status,
    dedupe_key,
    is_critical,
)
from .domain.recipients import kind_of, recipients, subject_key

log = logs.get_logger(__name__)

ADMIN, SELF = "notify.admin", "notify.self"
ROBOT = "robot"


@dataclass(frozen=True)
class NotifySettings:
    portal_url: str = "http://127.0.0.1:8080"
    dedupe_window: timedelta = timedelta(minutes=10)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    robot_kinds: tuple[str, ...] = DEFAULT_ROBOT_KINDS
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=2)
    poll_seconds: float = 1.0
    concurrency: int = 10

    @classmethod
    def from_env(cls, environ=None) -> NotifySettings:
        env = os.environ if environ is None else environ

        def num(name: str, default: str, kind=float):
            raw = env.get(name) or default
            try:
                value = kind(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a number") from None
            if value < 0:
                raise ConfigError(f"{name}={raw!r} must not be negative")
            return value

        portal = (env.get("GOVOPS_PORTAL_URL") or "http://127.0.0.1:8080").rstrip("/")
        if not portal.startswith(("http://", "https://")):
            raise ConfigError(f"GOVOPS_PORTAL_URL={portal!r} is not an http(s) URL")
        raw_kinds = env.get("GOVOPS_NOTIFY_ROBOT_KINDS") or ",".join(DEFAULT_ROBOT_KINDS)
        kinds = tuple(k.strip() for k in raw_kinds.split(",") if k.strip())
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ConfigError(f"GOVOPS_NOTIFY_ROBOT_KINDS names unknown kinds {unknown}; known: {', '.join(KINDS)}")
        attempts = num("GOVOPS_NOTIFY_MAX_ATTEMPTS", "5", int)
        if attempts < 1:
            raise ConfigError("GOVOPS_NOTIFY_MAX_ATTEMPTS must be at least 1")
        return cls(portal_url=portal,
                   dedupe_window=timedelta(seconds=num("GOVOPS_NOTIFY_DEDUPE_WINDOW_SECONDS", "600")),
                   retry=RetryPolicy(attempts, num("GOVOPS_NOTIFY_RETRY_DELAY_SECONDS", "30"),
                                     num("GOVOPS_NOTIFY_RETRY_MAX_DELAY_SECONDS", "3600")),
                   robot_kinds=kinds, batch_size=max(1, num("GOVOPS_NOTIFY_BATCH_SIZE", "50", int)),
                   poll_seconds=num("GOVOPS_NOTIFY_POLL_SECONDS", "1"),
                   concurrency=max(1, num("GOVOPS_NOTIFY_SEND_CONCURRENCY", "10", int)))

    def link(self, kind: str, data: dict) -> str:
        if kind == "budget_exceeded":
            return f"{self.portal_url}/budget/budgets/{data.get('budget_id', '')}"
        if kind == "qualification_expiring":
            return f"{self.portal_url}/outsource/vendors/{data.get('vendor_id', '')}"
        if kind in ("rectification_assigned", "rectification_overdue") and not data.get("ticket_id"):
            return f"{self.portal_url}/evaluation/loop"  # no rectification ticket (yet): the findings' loop
        if kind == "evaluation_published":
            return f"{self.portal_url}/evaluation/plans/{data.get('plan_id', '')}"
        return f"{self.portal_url}/tickets/{data.get('ticket_id', '')}" if data.get("ticket_id") else self.portal_url


def now_utc() -> datetime:
    return datetime.now(UTC)


# ---- events in -------------------------------------------------------------------------------------
def plan(env, uow, settings: NotifySettings, configured: set[str], now: datetime | None = None) -> int:
    """Inside the consumer's open transaction: the notifications and pending deliveries one event
    causes. Returns the deliveries written (folded repeats not counted)."""
    kind = kind_of(env.source, env.name, env.data)
    if kind is None:
        return 0
    now = now or now_utc()
    # events about a vendor or plan carry their unit only on the envelope
    data = env.data if env.data.get("org_unit_id") else {**env.data, "org_unit_id": env.org_unit_id}
    key = subject_key(kind, data)
    link = settings.link(kind, data)
    written = 0
    critical = is_critical(kind, data)
    custom = uow.store.current_templates()
    ctx = _Rendering(uow, env.id, kind, data, link, custom, now, settings.portal_url)
    for staff_id in recipients(kind, data, uow.orgdir, now):
        prefs = uow.store.preferences(staff_id)
        contact = uow.store.contact(staff_id)
        inbox = ctx.render(INAPP)
        uow.store.add_notification(recipient=staff_id, event_id=env.id, kind=kind, subject_key=key,
                                   title=inbox.subject, body=inbox.text, link=link, now=now)
        quiet = None if critical else prefs.quiet_until(now.astimezone(local_zone()))
        for channel in prefs.channels_for(kind):
            if channel not in configured:
                continue
            # WeCom knows people by its userid: org's staff id (the directory is synchronised to WeCom by
            # it), so a requester known only by their login has no WeCom address
            if channel == WECOM_APP:
                address = staff_id if uow.orgdir.staff_member(staff_id) else ""
            else:
                address = contact["email"] if channel == EMAIL else contact["phone"]
            if not address:  # org has no address for them: the notification centre still has it
                log.info("notify_no_address", recipient=staff_id, channel=channel, kind=kind)
                continue
            written += _delivery(uow, settings, ctx, key, staff_id, channel, address, quiet or now)
    if kind in settings.robot_kinds:
        for channel in ROBOT_CHANNELS:
            if channel in configured:
                written += _delivery(uow, settings, ctx, key, ROBOT, channel, "", now)
    return written


class _Rendering:
    """One event's messages, rendered once per channel with the administrator's template when there
    is one. A template that fails falls back to the plain default (never dropped), is logged, and
    its last editor hears of it in their notification centre (once per event and channel)."""

    def __init__(self, uow, event_id, kind, data, link, custom, now, portal_url):
        self.uow, self.event_id, self.kind, self.data, self.link = uow, event_id, kind, data, link
        self.custom, self.now, self.portal_url = custom, now, portal_url
        self.cache: dict[str, templates.Rendered] = {}

    def render(self, channel: str) -> templates.Rendered:
        if channel in self.cache:
            return self.cache[channel]
        row = self.custom.get((self.kind, channel))
        overrides = {self.kind: (row["subject"], row["text"])} if row else None
        rendered = templates.render(self.kind, self.data, self.link, channel, overrides)
        if rendered.error:
            log.error("notify_template_failed_fallback_used", kind=self.kind, channel=channel, error=rendered.error,
                      template_version=row and row["version"])
            if row:
                self.uow.store.add_notification(
                    recipient=row["updated_by"], event_id=f"{self.event_id}:template:{channel}", kind="template_failed",
                    subject_key=f"template:{self.kind}:{channel}",
                    title=f"通知模板渲染失败：{KINDS.get(self.kind, self.kind)}（{channel}，第 {row['version']} 版）",
                    body=f"已改用默认模板发送，通知未丢失。错误：{rendered.error}"[:2000],
                    link=f"{self.portal_url}/notify/templates", now=self.now)
        self.cache[channel] = rendered
        return rendered


def _delivery(uow, settings, ctx: _Rendering, key, recipient, channel, address, due) -> int:
    kind, data, link, now, event_id = ctx.kind, ctx.data, ctx.link, ctx.now, ctx.event_id
    delivery_id = uuid.uuid4()
    if not uow.store.open_window(dedupe_key(recipient, channel, key, kind), delivery_id, now,
                                 settings.dedupe_window):
        return 0
    rendered = ctx.render(channel)
    params = templates.sms_params(kind, data) if channel == SMS else {}
    message = Message(channel, address, rendered.subject, rendered.text, rendered.html, link, params)
    uow.store.add_delivery(delivery_id=delivery_id, event_id=event_id, kind=kind, subject_key=key,
                           recipient=recipient, message=message, now=now, due=due, template_error=rendered.error)
    return 1


def save_user_contact(env, uow) -> None:
    """org's user_contact_changed: a login user's e-mail and mobile (requesters without a staff record)."""
    d = env.data
    uow.store.save_user_contact(d["username"], d.get("email") or "", d.get("mobile") or "")


def save_contact(env, uow) -> None:
    """org's staff_created carries the person's e-mail and mobile (when org has them)."""
    d = env.data
    if "email" in d or "phone" in d:
        uow.store.save_contact(d["staff_id"], d.get("email") or "", d.get("phone") or "")


# ---- deliveries out ------------------------------------------------------------------------------
def send_due(uow_factory, channels: dict, limiter, settings: NotifySettings, now=now_utc, parallel=map) -> int:
    """One sender round: claim due deliveries, send each outside any transaction, record each result.
    `parallel(fn, rows)` runs the sends (the worker's green pool: channels are slow I/O; default one
    after another). Returns how many were attempted."""
    with uow_factory() as uow:
        claimed = uow.store.claim_due(now(), settings.batch_size, settings.lease)
        uow.commit()
    for _ in parallel(lambda row: _send_one(uow_factory, row, channels, limiter, settings, now), claimed):
        pass
    return len(claimed)


def _send_one(uow_factory, row: dict, channels: dict, limiter, settings: NotifySettings, now) -> None:
    channel = channels.get(row["channel"])
    fields = dict(delivery_id=str(row["id"]), channel=row["channel"], kind=row["kind"], attempt=row["attempts"])
    postponed = limiter.acquire(row["channel"], now()) if limiter is not None and channel is not None else None
    if postponed is not None:
        with uow_factory() as uow:
            uow.store.finish(row["id"], status=Status.PENDING, now=now(), next_attempt_at=postponed,
                             error="rate limited locally", count_attempt=False)
            uow.commit()
        return
    if channel is None:
        result = DeliveryResult.refused(f"channel {row['channel']} is not configured")
    else:
        try:
            result = channel.send(message_of(row))
        except Exception as exc:  # an adapter bug must not stop the sender loop
            result = DeliveryResult.retry(f"{type(exc).__name__}: {exc}")
    at = now()
    with uow_factory() as uow:
        if result.ok:
            uow.store.finish(row["id"], status=Status.SENT, now=at, provider_message_id=result.provider_message_id)
            log.info("notify_delivered", provider_message_id=result.provider_message_id, **fields)
        else:
            status, next_at = settings.retry.after_failure(row["attempts"], result, at)
            uow.store.finish(row["id"], status=status, now=at, next_attempt_at=next_at, error=result.error)
            (log.error if status is Status.DEAD else log.warning)(
                "notify_delivery_dead" if status is Status.DEAD else "notify_delivery_retrying",
                error=result.error, next_attempt_at=next_at and next_at.isoformat(), **fields)
        uow.commit()


# ---- the API's use cases -------------------------------------------------------------------------
def _me(caller: Principal) -> str:
    """Whose preferences the caller's are: their staff record's, else their login's (a department
    user without a staff record hears of their own tickets under their login)."""
    return caller.staff_id or caller.subject


def _mine(caller: Principal) -> list[str]:
    """The recipient names of the caller's notifications: their staff id, and their subject — a
    ticket's requester is the submitting subject (e.g. a department user's login name)."""
    return sorted({caller.subject, *([caller.staff_id] if caller.staff_id else [])})


def my_notifications(uow, caller: Principal, *, unread_only: bool, offset: int, limit: int):
    with uow:
        return uow.store.notifications(_mine(caller), unread_only=unread_only, offset=offset, limit=limit)


def mark_read(uow, caller: Principal, ids: list[str], now: datetime | None = None) -> int:
    _uuids(ids, "ids")
    with uow:
        n = uow.store.mark_read(_mine(caller), ids, now or now_utc())
        uow.commit()
    return n


def get_preferences(uow, caller: Principal) -> Preferences:
    with uow:
        return uow.store.preferences(_me(caller))


def set_preferences(uow, caller: Principal, prefs: Preferences) -> Preferences:
    from .domain.model import validate_channels

    problems = validate_channels(prefs.channels)
    if not caller.staff_id:
        problems += [(f"channels[{kind}]", f"{WECOM_APP!r} reaches staff only: WeCom knows people by their staff id")
                     for kind, chosen in prefs.channels.items() if WECOM_APP in chosen]
    if (prefs.quiet_start is None) != (prefs.quiet_end is None):
        problems.append(("quiet_hours", "give both start and end, or neither"))
    if problems:
        raise _invalid(problems)
    prefs = Preferences(_me(caller), prefs.channels, prefs.quiet_start, prefs.quiet_end)
    with uow:
        uow.store.save_preferences(prefs)
        uow.commit()
    return prefs


def deliveries(uow, caller: Principal, filters: dict, *, offset: int, limit: int):
    caller.require(ADMIN)
    with uow:
        return uow.store.deliveries(filters, offset=offset, limit=limit)


def replay(uow, caller: Principal, ids: list[str], filters: dict, now: datetime | None = None) -> int:
    caller.require(ADMIN)
    _uuids(ids, "ids")
    if not ids and not any(filters.values()):
        raise _invalid([("ids", "name the deliveries, or filter them (channel, kind, recipient, event)")])
    with uow:
        n = uow.store.replay(ids, filters, now or now_utc())
        uow.commit()
    log.info("notify_deliveries_replayed", count=n)
    return n


def send_test(uow, caller: Principal, channel: str, address: str, channels: dict, settings: NotifySettings,
              now=now_utc) -> dict:
    """Send a test message on one configured channel now (not through the queue), and record it."""
    caller.require(ADMIN)
    if channel not in PERSONAL_CHANNELS + ROBOT_CHANNELS:
        raise _invalid([("channel", f"one of {', '.join(PERSONAL_CHANNELS + ROBOT_CHANNELS)}")])
    if channel not in channels:
        raise FailedPrecondition(f"channel {channel} is not configured on this deployment")
    if channel in PERSONAL_CHANNELS and not address:
        raise _invalid([("address", f"the {channel} address to send the test to")])
    data = {"channel": channel}
    rendered = templates.render("test", data, settings.portal_url, channel)
    message = Message(channel, address if channel in PERSONAL_CHANNELS else "", rendered.subject, rendered.text,
                      rendered.html, settings.portal_url,
                      templates.sms_params("test", {"number": "TEST"}) if channel == SMS else {})
    delivery_id, event_id = uuid.uuid4(), f"test-{uuid.uuid4()}"
    at = now()
    with uow:
        uow.store.add_delivery(delivery_id=delivery_id, event_id=event_id, kind="test", subject_key="test",
                               recipient=caller.subject, message=message, now=at, due=at, status=Status.SENDING)
        uow.commit()
    result = channels[channel].send(message)
    with uow:
        uow.store.finish(delivery_id, status=Status.SENT if result.ok else Status.DEAD, now=now(),
                         provider_message_id=result.provider_message_id, error=result.error)
        uow.commit()
        return uow.store.get_delivery(str(delivery_id))


# ---- administrators' templates ---------------------------------------------------------------------
def _template_view(kind: str, channel: str, row: dict | None) -> dict:
    """What an administrator sees of one template: the one in force (theirs or the built-in one)
    and a preview rendered with sample data (a preview that fails shows the error)."""
    builtin = templates.TEMPLATES[kind]
    subject, text = (row["subject"], row["text"]) if row else builtin
    preview = templates.render(kind, templates.SAMPLE, "http://portal.example/tickets/…", channel,
                               {kind: (subject, text)})
    return {"kind": kind, "title": KINDS[kind], "channel": channel, "subject": subject, "text": text,
            "custom": row is not None, "version": row["version"] if row else 0,
            "updated_by": row["updated_by"] if row else "", "updated_at": row["updated_at"] if row else None,
            "default_subject": builtin[0], "default_text": builtin[1],
            "preview_subject": preview.subject, "preview_text": preview.text, "preview_error": preview.error}


def _template_key(kind: str, channel: str) -> None:
    problems = []
    if kind not in KINDS or kind == "test":
        problems.append(("kind", f"unknown event kind; one of {', '.join(k for k in KINDS if k != 'test')}"))
    if channel not in TEMPLATE_CHANNELS:
        problems.append(("channel", f"one of {', '.join(TEMPLATE_CHANNELS)}"))
    if problems:
        raise _invalid(problems)


def list_templates(uow, caller: Principal, kind: str = "") -> list[dict]:
    caller.require(ADMIN)
    if kind:
        _template_key(kind, EMAIL)
    with uow:
        custom = uow.store.current_templates()
    return [_template_view(k, c, custom.get((k, c))) for k in KINDS if k != "test" and (not kind or k == kind)
            for c in TEMPLATE_CHANNELS]


def get_template(uow, caller: Principal, kind: str, channel: str) -> tuple[dict, list[dict]]:
    """The template in force and its saved versions, newest first."""
    caller.require(ADMIN)
    _template_key(kind, channel)
    with uow:
        custom = uow.store.current_templates()
        versions = uow.store.template_versions(kind, channel)
    return _template_view(kind, channel, custom.get((kind, channel))), versions


def update_template(uow, caller: Principal, kind: str, channel: str, subject: str, text: str,
                    now: datetime | None = None) -> dict:
    """Save a new version after checking it compiles in the sandbox (INVALID_ARGUMENT naming
    `subject` or `text` otherwise). It is used from the next event on."""
    caller.require(ADMIN)
    _template_key(kind, channel)
    problems = templates.check(subject, text)
    if problems:
        raise _invalid(problems)
    with uow:
        version = uow.store.save_template(kind=kind, channel=channel, subject=subject, text=text, active=True,
                                          by=caller.subject, now=now or now_utc())
        uow.commit()
        row = uow.store.current_templates().get((kind, channel))
    log.info("notify_template_updated", kind=kind, channel=channel, version=version)
    return _template_view(kind, channel, row)


def reset_template(uow, caller: Principal, kind: str, channel: str, now: datetime | None = None) -> dict:
    """Back to the built-in template (recorded as a version too)."""
    caller.require(ADMIN)
    _template_key(kind, channel)
    subject, text = templates.TEMPLATES[kind]
    with uow:
        uow.store.save_template(kind=kind, channel=channel, subject=subject, text=text, active=False,
                                by=caller.subject, now=now or now_utc())
        uow.commit()
    return _template_view(kind, channel, None)


def _invalid(pairs: list[tuple[str, str]]) -> InvalidArgument:
    return InvalidArgument([FieldViolation(f, r) for f, r in pairs])


def _uuids(ids: list[str], name: str) -> None:
    for i, value in enumerate(ids):
        try:
            uuid.UUID(value)
        except ValueError:
            raise _invalid([(f"{name}[{i}]", "not a UUID")]) from None


def get_delivery(uow, caller: Principal, delivery_id: str) -> dict:
    caller.require(ADMIN)
    _uuids([delivery_id], "id")
    with uow:
        row = uow.store.get_delivery(delivery_id)
    if row is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return row


def load_snapshot(uow, snapshot: dict) -> int:
    """Replace the org directory replica with org's snapshot and keep the contacts it carries."""
    from govkit.orgdir import OrgDirectory

    with uow:
        OrgDirectory(uow.conn).load_snapshot(snapshot)
        for s in snapshot.get("staff", []):
            if "email" in s or "phone" in s:
                uow.store.save_contact(s["staff_id"], s.get("email") or "", s.get("phone") or "")
        for u in snapshot.get("user_contacts", []):
            uow.store.save_user_contact(u["username"], u.get("email") or "", u.get("mobile") or "")
        uow.commit()
    return len(snapshot.get("staff", []))
