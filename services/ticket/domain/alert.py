"""Alert intake: Alertmanager's webhook (v4) as typed notices, and the dedupe rule per fingerprint.

One open incident per fingerprint: a firing repeat of an open incident is counted, not opened
again; once its incident is resolved or closed, the next firing opens a new one (the count
starts again at 1). `resolved` resolves the open incident. Plain Python: no transport, no ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from govkit.errors import InvalidArgument

from .commands import CreateTicket

ALERT_ITEM = "infra.monitoring.alert"
ALERT_ORG_UNIT_ID = "om-centre"
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

    @property
    def org_unit_id(self) -> str:
        # `department` is the label name alert rules used before the API settled on org_unit_id.
        return str(self.labels.get("org_unit_id") or self.labels.get("department") or ALERT_ORG_UNIT_ID)

    @property
    def catalogue_item_id(self) -> str:
        return str(self.labels.get("catalogue_item") or ALERT_ITEM)

    def incident(self, item_id: str | None) -> CreateTicket:
        """The incident this alert opens (`item_id`: the catalogue item, when it exists)."""
        impact, urgency = SEVERITY.get(self.severity, ("medium", "medium"))
        title = str(self.annotations.get("summary") or f"{self.alertname} @ {self.labels.get('instance', '')}")
        return CreateTicket(title=title[:200], description=str(self.annotations.get("description", ""))[:4000],
                            org_unit_id=self.org_unit_id, ticket_type="incident", impact=impact, urgency=urgency,
                            catalogue_item_id=item_id, channel="alert", idempotency_key=None,
                            category="" if item_id else "infrastructure")


def parse_webhook(payload) -> tuple[AlertNotice, ...]:
    """Alertmanager webhook v4 → notices; INVALID_ARGUMENT naming the first bad alert."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise InvalidArgument(field="alerts", reason="must be a list (Alertmanager webhook v4)")
    out = []
    for i, alert in enumerate(payload["alerts"]):
        labels = {**(payload.get("commonLabels") or {}), **(alert.get("labels") or {})}
        annotations = {**(payload.get("commonAnnotations") or {}), **(alert.get("annotations") or {})}
        fingerprint = str(alert.get("fingerprint") or "").strip()
        status = alert.get("status") or payload.get("status")
        if not fingerprint or status not in (FIRING, RESOLVED):
            raise InvalidArgument(field=f"alerts.{i}", reason="needs a fingerprint and status firing|resolved")
        out.append(AlertNotice(fingerprint, status, labels, annotations))
    return tuple(out)


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
