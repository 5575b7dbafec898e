"""Alert intake: Alertmanager's webhook (v4) as typed notices, and the dedupe rule per fingerprint.

One open incident per fingerprint: a firing repeat of an open incident is counted, not opened
again; once its incident is resolved or closed, the next firing opens a new one (the count
starts again at 1). `resolved` resolves the open incident. Plain Python: no transport, no ORM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from govkit.errors import InvalidArgument

from .commands import CreateTicket

ALERT_ITEM = "infra.monitoring.alert"
ALERT_ORG_UNIT_ID = "om-centre"  # where an alert no label maps to a known unit goes
# Labels naming the alert's org unit, tried in order (GOVOPS_TICKET_ALERT_UNIT_LABELS);
# `department` is the label name alert rules used before the API settled on org_unit_id.
UNIT_LABELS = ("org_unit_id", "department")
ALERT_REQUESTER = "alertmanager"
FIRING, RESOLVED = "firing", "resolved"
RESOLUTION_CODE = "auto_resolved_by_alert"
RESOLUTION_TEXT = "告警已恢复（Alertmanager resolved）"
# severity label → (impact, urgency)
SEVERITY = {"critical": ("high", "high"), "error": ("high", "medium"), "warning": ("medium", "medium"),
            "info": ("low", "low")}


@dataclass(frozen=True)
class AlertNotice:
    """One alert of a webhook delivery, with the delivery's common labels and annotations merged in."""

    fingerprint: str
    status: str  # firing | resolved
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)

    @property
    def alertname(self) -> str:
        return str(self.labels.get("alertname", "alert"))

    @property
    def severity(self) -> str:
        return str(self.labels.get("severity", "warning"))

    def unit_references(self, label_names: tuple[str, ...]) -> list[str]:
        """What the alert's labels say about its org unit: the values of `label_names` (the
        operator's GOVOPS_TICKET_ALERT_UNIT_LABELS), in that order, each a unit code or name."""
        return [self.labels[n].strip() for n in label_names if str(self.labels.get(n) or "").strip()]

    @property
    def catalogue_item_id(self) -> str:
        return str(self.labels.get("catalogue_item") or ALERT_ITEM)

    def incident(self, item_id: str | None, org_unit_id: str = ALERT_ORG_UNIT_ID) -> CreateTicket:
        """The incident this alert opens (`item_id`: the catalogue item, when it exists;
        `org_unit_id`: the unit its labels map to, else the O&M centre)."""
        impact, urgency = SEVERITY.get(self.severity, ("medium", "medium"))
        title = str(self.annotations.get("summary") or f"{self.alertname} @ {self.labels.get('instance', '')}")
        return CreateTicket(title=title[:200], description=str(self.annotations.get("description", ""))[:4000],
                            org_unit_id=org_unit_id, ticket_type="incident", impact=impact, urgency=urgency,
                            catalogue_item_id=item_id, channel="alert", idempotency_key=None,
                            category="" if item_id else "infrastructure")


def parse_webhook(payload) -> tuple[AlertNotice, ...]:
    """Alertmanager webhook v4 → notices; INVALID_ARGUMENT naming the first field that does not
    have the documented shape (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).

    Checked: `version` "4"; `status` firing|resolved; `receiver`, `groupKey`, `externalURL`
    strings; `truncatedAlerts` an integer; `groupLabels`, `commonLabels`, `commonAnnotations`
    string maps; `alerts` a list of objects with a `fingerprint`, a status (the alert's or the
    delivery's), `labels` and `annotations` string maps, `startsAt`/`endsAt` RFC 3339 and a
    `generatorURL` string. Keys Alertmanager may add later are ignored."""
    if not isinstance(payload, dict):
        raise InvalidArgument(field="body", reason="must be a JSON object (Alertmanager webhook v4)")
    if "version" in payload and payload["version"] != "4":
        raise InvalidArgument(field="version", reason='must be "4" (Alertmanager webhook v4)')
    for key in ("receiver", "groupKey", "externalURL"):
        _string(payload, key, key)
    if "truncatedAlerts" in payload and (not isinstance(payload["truncatedAlerts"], int)
                                         or isinstance(payload["truncatedAlerts"], bool)):
        raise InvalidArgument(field="truncatedAlerts", reason="must be an integer")
    status = payload.get("status")
    if status is not None and status not in (FIRING, RESOLVED):
        raise InvalidArgument(field="status", reason="must be firing or resolved")
    common_labels = _string_map(payload.get("commonLabels"), "commonLabels")
    common_annotations = _string_map(payload.get("commonAnnotations"), "commonAnnotations")
    _string_map(payload.get("groupLabels"), "groupLabels")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidArgument(field="alerts", reason="must be a list (Alertmanager webhook v4)")
    out = []
    for i, alert in enumerate(alerts):
        where = f"alerts[{i}]"
        if not isinstance(alert, dict):
            raise InvalidArgument(field=where, reason="must be an object")
        fingerprint = alert.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint.strip():
            raise InvalidArgument(field=f"{where}.fingerprint", reason="needs a fingerprint (a non-empty string)")
        alert_status = alert.get("status", status)
        if alert_status not in (FIRING, RESOLVED):
            raise InvalidArgument(field=f"{where}.status", reason="must be firing or resolved")
        if not isinstance(alert.get("labels"), dict):
            raise InvalidArgument(field=f"{where}.labels", reason="must be an object of string values")
        labels = {**common_labels, **_string_map(alert["labels"], f"{where}.labels")}
        annotations = {**common_annotations, **_string_map(alert.get("annotations"), f"{where}.annotations")}
        for key in ("startsAt", "endsAt"):
            if key in alert:
                _timestamp(alert[key], f"{where}.{key}")
        _string(alert, "generatorURL", f"{where}.generatorURL")
        out.append(AlertNotice(fingerprint.strip(), alert_status, labels, annotations))
    return tuple(out)


def _string(obj: dict, key: str, name: str) -> None:
    if key in obj and not isinstance(obj[key], str):
        raise InvalidArgument(field=name, reason="must be a string")


def _string_map(value, name: str) -> dict[str, str]:
    """Labels and annotations: an object whose values are strings (absent or null: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument(field=name, reason="must be an object of string values")
    for key, item in value.items():
        if not isinstance(item, str):
            raise InvalidArgument(field=f"{name}.{key}", reason="must be a string")
    return dict(value)


# RFC 3339 date-time as Go writes it: any number of fraction digits (nanoseconds), Z or ±hh:mm.
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")


def _timestamp(value, name: str) -> datetime:
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match:
        day, time, fraction, zone = match.groups()
        zone = "+00:00" if zone in "Zz" else zone
        try:
            return datetime.fromisoformat(f"{day}T{time}.{(fraction or '0')[:6]:0<6}{zone}")
        except ValueError:
            pass
    raise InvalidArgument(field=name, reason="must be an RFC 3339 timestamp, e.g. 2026-03-02T08:00:00Z")


@dataclass
class AlertRecord:
    """What is known about one fingerprint: its open incident (if any) and how often it fired."""

    fingerprint: str
    alertname: str
    status: str
    repeat_count: int
    labels: dict
    first_at: datetime
    last_at: datetime
    incident_id: str | None = None  # the open incident; None once resolved

    @classmethod
    def receive(cls, earlier: AlertRecord | None, notice: AlertNotice, open_incident_id: str | None,
                now: datetime) -> tuple[AlertRecord, bool]:
        """The record after this delivery, and whether it repeats an open incident (deduplicated).

        `open_incident_id`: the earlier record's incident if it is still open, else None."""
        firing = notice.status == FIRING
        deduplicated = firing and open_incident_id is not None and earlier is not None
        if firing:
            repeat = earlier.repeat_count + 1 if deduplicated else 1
        else:
            repeat = earlier.repeat_count if earlier else 0
        return cls(fingerprint=notice.fingerprint, alertname=notice.alertname, status=notice.status,
                   repeat_count=repeat, labels=dict(notice.labels),
                   first_at=earlier.first_at if earlier else now, last_at=now,
                   incident_id=open_incident_id if firing else None), deduplicated


@dataclass
class AlertOrigin:
    """On an incident opened by an alert: the fingerprint, its labels then, and the repeats since."""

    fingerprint: str
    labels: dict = field(default_factory=dict)
    repeats: int = 1
