"""Alert intake (Alertmanager webhook): one incident per fingerprint while it fires, repeats
counted, resolved when Alertmanager says `resolved`. The dedupe rule is domain/alert.py's."""

from __future__ import annotations

import uuid
from datetime import datetime

from govkit.auth import Principal
from govkit.events import utcnow

from ..domain import events as ev
from ..domain.alert import (
    ALERT_ORG_UNIT_ID,
    ALERT_REQUESTER,
    FIRING,
    RESOLUTION_CODE,
    RESOLUTION_TEXT,
    AlertNotice,
    AlertRecord,
)
from ..domain.commands import ReceiveAlerts
from ..domain.model import Category, Priority, Status, Ticket
from ..domain.ports import TicketUow, TicketUowFactory
from ._common import auto_assign, calendar, number_year, persist, policy_for


def receive_alerts(cmd: ReceiveAlerts, uow_factory: TicketUowFactory, caller: Principal, *,
                   now: datetime | None = None) -> list[dict]:
    """Each alert in its own transaction; one result per alert (incident, number, dedupe, count)."""
    now = now or utcnow()
    return [_receive(notice, cmd.unit_labels, uow_factory, now) for notice in cmd.alerts]


def _receive(notice: AlertNotice, unit_labels: tuple[str, ...], uow_factory: TicketUowFactory,
             now: datetime) -> dict:
    with uow_factory() as uow:
        earlier = uow.alerts.get(notice.fingerprint)  # locks the fingerprint: concurrent repeats serialise here
        t = uow.tickets.get(earlier.incident_id, for_update=True) if earlier and earlier.incident_id else None
        if t is not None and not t.is_open:
            t = None
        alert, deduplicated = AlertRecord.receive(earlier, notice, t.id if t else None, now)
        events: list = []
        if notice.status == FIRING:
            if t is None:
                t, events = _open_incident(uow, notice, unit_labels, now)
                alert.incident_id = t.id
            t.note_alert(notice.fingerprint, notice.labels, alert.repeat_count)
            persist(uow, t, ALERT_REQUESTER, "alert_repeat" if deduplicated else "alert_opened", now)
        elif t is not None and t.status not in (Status.RESOLVED, Status.CLOSED):
            events += t.resolve(RESOLUTION_CODE, RESOLUTION_TEXT, now, calendar(uow, t))
            persist(uow, t, ALERT_REQUESTER, "alert_resolved", now)
        uow.alerts.upsert(alert)
        events.append(ev.AlertReceived(**(t or _placeholder(notice.fingerprint)).common(now),
                                       fingerprint=notice.fingerprint, alertname=notice.alertname,
                                       severity=notice.severity, alert_status=notice.status,
                                       incident_id=t.id if t else None, deduplicated=deduplicated))
        uow.collect(*events)
        uow.commit()
        return {"fingerprint": notice.fingerprint, "incident_id": t.id if t else None,
                "number": t.number if t else None, "org_unit_id": t.org_unit_id if t else None,
                "deduplicated": deduplicated,
                "repeat_count": alert.repeat_count, "status": notice.status}


def _open_incident(uow: TicketUow, notice: AlertNotice, unit_labels: tuple[str, ...],
                   now: datetime) -> tuple[Ticket, list]:
    item = uow.catalogue.get(notice.catalogue_item_id)
    cmd = notice.incident(item.id if item else None, _org_unit(uow, notice, unit_labels))
    policy = policy_for(uow, item, cmd.org_unit_id)
    t = Ticket.open(cmd, requester=ALERT_REQUESTER, now=now, policy=policy,
                    calendar=uow.sla.calendar(policy.calendar_id), item=item)
    t.number = uow.tickets.next_number("incident", number_year(now))
    t.note_alert(notice.fingerprint, notice.labels, 1)
    uow.tickets.add(t, ALERT_REQUESTER)
    routed = auto_assign(uow, t, now)
    # Built once, after routing, as for any new ticket.
    return t, [t.created_event(now), *routed]


def _org_unit(uow: TicketUow, notice: AlertNotice, unit_labels: tuple[str, ...]) -> str:
    """The first active unit of the org directory that a unit label names by code or by name;
    none → the O&M centre (the labels stay on the incident, `details.alert.labels`)."""
    for reference in notice.unit_references(unit_labels):
        unit = uow.orgdir.find_unit(reference)
        if unit is not None:
            return str(unit["id"])
    return ALERT_ORG_UNIT_ID


def _placeholder(fingerprint: str) -> Ticket:
    """A resolved alert with no open incident still yields alert_received: a placeholder subject."""
    return Ticket(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"alert:{fingerprint}")), title="", description="",
                  org_unit_id=ALERT_ORG_UNIT_ID, category=Category.INFRASTRUCTURE, priority=Priority.LOW,
                  status=Status.CLOSED, requester=ALERT_REQUESTER, created_at=utcnow(), number="")
