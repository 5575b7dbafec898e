"""Domain events and the CloudEvents 1.0 envelope they travel in.

A domain event is a frozen dataclass; the unit of work wraps each collected event in an
Envelope and stores it in the outbox in the same transaction as the state change.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def utcnow() -> datetime:
    return datetime.now(UTC)


def jsonable(value: Any) -> Any:
    """Turn dataclass fields into JSON-safe values (money stays exact as a string)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


class Event:
    """Base of all domain events. Subclasses are frozen dataclasses named `<Aggregate><PastParticiple>`.

    Methods are prefixed `event_` so they never collide with a payload field of a subclass."""

    source: ClassVar[str] = ""  # the producing service, set once per service on its event base
    version: ClassVar[int] = 1

    @classmethod
    def event_name(cls) -> str:
        return _CAMEL.sub("_", cls.__name__).lower()

    @classmethod
    def event_type(cls) -> str:
        return f"govops.{cls.source}.{cls.event_name()}.v{cls.version}"

    def event_subject(self) -> str:
        raise NotImplementedError

    def event_org_unit_id(self) -> str | None:
        return None

    def event_data(self) -> dict:
        return jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


@dataclasses.dataclass(frozen=True)
class Envelope:
    """CloudEvents 1.0 attribute names, plus GovOps' `orgunitid` and `correlationid` extensions.

    CloudEvents extension names are lowercase alphanumeric, so the org unit travels as
    `orgunitid`; in Python it is `org_unit_id` (`_WIRE` maps one to the other)."""

    id: str
    source: str
    type: str
    time: str
    subject: str
    org_unit_id: str | None
    correlationid: str | None
    data: dict
    specversion: str = "1.0"
    datacontenttype: str = "application/json"

    @property
    def name(self) -> str:
        """The short event name (`ticket_created`), which is also the AMQP routing key."""
        return self.type.split(".")[2]

    @classmethod
    def wrap(cls, event: Event, correlation_id: str | None, *, at: datetime | None = None) -> Envelope:
        return cls(
            id=str(uuid.uuid4()),
            source=event.source,
            type=event.event_type(),
            time=jsonable(at or utcnow()),
            subject=event.event_subject(),
            org_unit_id=event.event_org_unit_id(),
            correlationid=correlation_id,
            data=event.event_data(),
        )

    def to_dict(self) -> dict:
        return {_WIRE.get(k, k): v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, raw: dict) -> Envelope:
        missing = [k for k in ("id", "source", "type", "time", "subject", "data") if k not in raw]
        if missing:
            raise ValueError(f"not a GovOps event envelope: missing {', '.join(missing)}")
        fields = {f.name for f in dataclasses.fields(cls)}
        named = {_PYTHON.get(k, k): v for k, v in raw.items()}
        return cls(**{k: v for k, v in named.items() if k in fields})


# Python attribute → wire attribute, where they differ (CloudEvents extension naming rules).
_WIRE = {"org_unit_id": "orgunitid"}
# Wire → Python; `dept` is the extension's name before v1 settled, still read from stored facts.
_PYTHON = {**{v: k for k, v in _WIRE.items()}, "dept": "org_unit_id"}
