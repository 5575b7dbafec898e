"""Saved queue views: a user's named ListQueue requests (which queue, which filters), kept by the
ticket service so they follow the user to every browser and device."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from govkit.errors import FailedPrecondition, InvalidArgument
from govkit.pinyin import sort_key

MAX_NAME = 60
MAX_VIEWS = 50
VIEWS = ("my_queue", "group_queue", "all")


@dataclass(frozen=True)
class SavedView:
    owner: str  # the login (token subject) whose view it is
    name: str
    view: str  # my_queue | group_queue | all
    filter: dict  # the ListQueue filter, as its proto3 JSON
    updated_at: datetime


def checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidArgument(field="name", reason="must not be empty")
    if len(name) > MAX_NAME:
        raise InvalidArgument(field="name", reason=f"must be at most {MAX_NAME} characters")
    if any(ord(ch) < 32 for ch in name):
        raise InvalidArgument(field="name", reason="must not contain control characters")
    return name


def check_view(view: str, filters: dict) -> None:
    if view not in VIEWS:
        raise InvalidArgument(field="view", reason=f"must be one of {', '.join(VIEWS)}")
    if view == "group_queue" and not filters.get("group_id"):
        raise InvalidArgument(field="filter.group_id", reason="is required for the group_queue view")


def check_room(existing: list[SavedView], name: str) -> None:
    """A new name needs room: at most MAX_VIEWS per user (replacing one never does)."""
    if name not in {v.name for v in existing} and len(existing) >= MAX_VIEWS:
        raise FailedPrecondition(f"you keep {len(existing)} saved views, the most there may be; delete one first",
                                 field="name", reason=f"at most {MAX_VIEWS} saved views per user")


def in_order(views: list[SavedView]) -> list[SavedView]:
    return sorted(views, key=lambda v: sort_key(v.name))
