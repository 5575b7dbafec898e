"""What notify knows, in plain Python: event kinds, channels, messages and delivery results,
preferences with quiet hours, the retry schedule and the de-duplication key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import Enum

EMAIL, SMS, WECOM, DINGTALK, WECOM_APP = "email", "sms", "wecom", "dingtalk", "wecom_app"
CHANNELS = (EMAIL, SMS, WECOM_APP, WECOM, DINGTALK)
# addressed to one person: their e-mail, their mobile, their 企业微信 account (application message)
PERSONAL_CHANNELS = (EMAIL, SMS, WECOM_APP)
ROBOT_CHANNELS = (WECOM, DINGTALK)  # a group robot: one message to the group chat

# notify's event kinds (not the producers' event names: `info_requested` is ticket's
# ticket_status_changed to pending, waiting on the requester).
KINDS: dict[str, str] = {
    "ticket_assigned": "工单已分派给您",
    "ticket_resolved": "您的工单已解决",
    "info_requested": "工单需要您补充信息",
    "sla_warning": "工单即将超出服务时限",
    "sla_breached": "工单已超出服务时限",
    "ticket_escalated": "工单已升级",
    "budget_exceeded": "预算执行已超支",
    "comment_added": "工单有新的留言",
    "change_awaiting_approval": "变更等待您审批",
    "rectification_assigned": "整改任务已下达",
    "rectification_overdue": "整改任务已逾期",
    "qualification_expiring": "供应商资质即将到期",
    "evaluation_published": "绩效评价结果已发布",
    "test": "测试消息",
}
DEFAULT_CHANNELS = (EMAIL,)
INAPP = "inapp"  # the notification centre's entry
TEMPLATE_CHANNELS = (*CHANNELS, INAPP)  # an administrator may edit a template per kind and each of these
# Kinds that also go to the configured group robots (escalation chain, alert storms).
DEFAULT_ROBOT_KINDS = ("sla_breached", "ticket_escalated", "budget_exceeded")


class Status(str, Enum):
    PENDING = "pending"      # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"      # claimed by a sender (lease: claimed_until)
    SENT = "sent"            # the provider accepted it
    DEAD = "dead"            # out of attempts, or refused for good: replayable


@dataclass(frozen=True)
class Message:
    """One rendered message for one channel and address."""

    channel: str
    address: str          # e-mail address, mobile number, or "" for a group robot
    subject: str
    text: str
    html: str = ""
    link: str = ""
    params: dict = field(default_factory=dict)  # template parameters (SMS providers take these)


@dataclass(frozen=True)
class DeliveryResult:
    """What a channel made of one message."""

    ok: bool
    provider_message_id: str = ""
    error: str = ""
    transient: bool = False   # worth a retry (rate limited, timeout, 5xx); False: dead at once

    @classmethod
    def sent(cls, provider_message_id: str = "") -> DeliveryResult:
        return cls(True, provider_message_id)

    @classmethod
    def retry(cls, error: str) -> DeliveryResult:
        return cls(False, error=error, transient=True)

    @classmethod
    def refused(cls, error: str) -> DeliveryResult:
        return cls(False, error=error, transient=False)


@dataclass(frozen=True)
class Preferences:
    """One person's choices: channels per event kind (missing kind: the defaults) and quiet hours
    (local time; a window may pass midnight). Critical breaches are exempt from quiet hours."""

    staff_id: str
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    quiet_start: time | None = None
    quiet_end: time | None = None

    def channels_for(self, kind: str) -> tuple[str, ...]:
        return tuple(self.channels.get(kind, DEFAULT_CHANNELS))

    def quiet_until(self, local_now: datetime) -> datetime | None:
        """The end of the quiet window `local_now` falls in (aware, local zone), else None."""
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return None
        t = local_now.timetz().replace(tzinfo=None)
        today_end = local_now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if start < end:
            return today_end if start <= t < end else None
        # over midnight, e.g. 22:00–07:00
        if t >= start:
            return today_end + timedelta(days=1)
        if t < end:
            return today_end
        return None


def validate_channels(channels: dict[str, list[str]] | dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(field, reason) pairs for preferences naming unknown kinds or channels a person cannot
    choose (robots are per deployment, not per person)."""
    out = []
    for kind, chosen in channels.items():
        if kind not in KINDS or kind == "test":
            known = ", ".join(k for k in KINDS if k != "test")
            out.append((f"channels[{kind}]", f"unknown event kind; one of {known}"))
            continue
        for ch in chosen:
            if ch not in PERSONAL_CHANNELS:
                out.append((f"channels[{kind}]", f"{ch!r} is not a personal channel ({', '.join(PERSONAL_CHANNELS)})"))
    return out


def is_critical(kind: str, data: dict) -> bool:
    """A breach or escalation of a critical ticket: delivered even in quiet hours."""
    return kind in ("sla_breached", "ticket_escalated") and data.get("priority") == "critical"


@dataclass(frozen=True)
class RetryPolicy:
    """Sender retries: `max_attempts` attempts, the n-th failure waits base * 2^(n-1), capped."""

    max_attempts: int = 5
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1)))

    def after_failure(self, attempts: int, result: DeliveryResult, now: datetime) -> tuple[Status, datetime | None]:
        """The delivery's next status and attempt time after a failed attempt number `attempts`."""
        if not result.transient or attempts >= self.max_attempts:
            return Status.DEAD, None
        return Status.PENDING, now + self.backoff(attempts)


def dedupe_key(recipient: str, channel: str, subject_key: str, kind: str) -> str:
    """One message per (recipient, channel, incident/ticket, event kind) per window."""
    return "|".join((recipient, channel, subject_key, kind))
