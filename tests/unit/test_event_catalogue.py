"""docs/events.md is the event catalogue; it must match the code."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

from govkit.events import Event
from govkit.migrate import event_subscriptions
from govkit.service import names

SERVICES = names()

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def _catalogue() -> dict[str, dict]:
    text = DOC.read_text(encoding="utf-8")
    entries = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        heading, body = block.split("\n", 1)
        consumers = re.search(r"^- consumers: (.*)$", body, re.M).group(1)
        fields = re.findall(r"^\| ([a-z_]+) \|", body, re.M)
        entries[heading.strip()] = {
            "consumers": set(re.findall(r"\b([a-z]+\.on_[a-z_]+)\b", consumers)),
            "fields": [f for f in fields if f != "field"],
        }
    return entries


def _event_classes():
    for svc in SERVICES:  # each service keeps its events in <svc>/domain/events.py
        try:
            importlib.import_module(f"{svc}.domain.events")
        except ModuleNotFoundError as exc:
            if exc.name != f"{svc}.domain.events":
                raise
    seen, todo = [], list(Event.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if dataclasses.is_dataclass(cls) and not cls.__name__.startswith("_"):  # _Bases share fields
            seen.append(cls)
    return seen


def test_every_event_is_catalogued_with_its_payload():
    catalogue = _catalogue()
    classes = _event_classes()
    assert classes
    for cls in classes:
        assert cls.event_type() in catalogue, f"{cls.event_type()} missing from docs/events.md"
        assert catalogue[cls.event_type()]["fields"] == [f.name for f in dataclasses.fields(cls)], cls
    assert set(catalogue) == {c.event_type() for c in classes}, "catalogue lists events the code lacks"


def test_consumers_listed_are_the_handlers_that_exist():
    catalogue = _catalogue()
    actual: dict[str, set] = {t: set() for t in catalogue}
    for svc in SERVICES:
        for source, event, queue in event_subscriptions(svc):
            handler = queue.split("--", 1)[1]
            matches = [t for t in catalogue if t.startswith(f"govops.{source}.{event}.v")]
            assert matches, f"{handler} consumes {source}.{event}, which the catalogue does not list"
            for t in matches:
                actual[t].add(handler)
    assert actual == {t: e["consumers"] for t, e in catalogue.items()}
