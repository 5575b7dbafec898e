"""Events the org service publishes (see docs/events.md, the event catalogue)."""

from __future__ import annotations

from dataclasses import dataclass

from govkit.events import Event


class OrgEvent(Event):
    source = "org"

    def event_subject(self) -> str:
        return self.org_unit_id  # type: ignore[attr-defined]

    def event_dept(self) -> str | None:
        return self.org_unit_id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OrgUnitCreated(OrgEvent):
    org_unit_id: str
    name: str
    parent_id: str | None
    kind: str
