"""The ticket events match docs/contracts/ticket-events.md, the contract evaluation and
outsource are built against: the common fields first, then every contracted specific field."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ticket.domain import events

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "ticket-events.md"


def _contract():
    text = CONTRACT.read_text(encoding="utf-8")
    common_block = text.split("Event-specific fields:")[0]
    common = re.findall(r"^\| ([a-z_]+) \| ", common_block, re.M)
    specific = {}
    for names, fields in re.findall(r"^\| (`[a-z_]+`(?: / `[a-z_]+`)*) \| (.+) \|$", text, re.M):
        without_notes = re.sub(r"\([^)]*\)", "", fields)  # "(`a`, `b`)" notes hold commas too
        extra = [re.match(r"[a-z_]+", f.strip()).group(0) for f in without_notes.split(",")]
        for name in re.findall(r"`([a-z_]+)`", names):
            specific[name] = extra
    return [c for c in common if c != "field"], specific


def test_every_contracted_event_exists_with_common_then_specific_fields():
    common, specific = _contract()
    assert len(common) == 13 and len(specific) == 18
    classes = {cls.event_name(): cls for cls in vars(events).values()
               if isinstance(cls, type) and dataclasses.is_dataclass(cls)}
    assert set(specific) <= set(classes), set(specific) - set(classes)
    for name, extra in specific.items():
        fields = [f.name for f in dataclasses.fields(classes[name])]
        assert fields[:len(common)] == common, name
        assert fields[len(common):] == extra, name
