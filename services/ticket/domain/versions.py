"""Optimistic concurrency of the things administrators and writers edit in a form (knowledge
articles, catalogue items): the editor sends back the version it read, and a save over a newer
one is refused instead of silently overwriting someone else's work."""

from __future__ import annotations

from govkit.errors import FailedPrecondition


def expect_version(what: str, expected: int, current: int | None) -> None:
    """`expected` 0 means the caller does not check (older clients, the seed). `current` None: the
    thing does not exist (yet)."""
    if not expected or expected == current:
        return
    now = f"the current version is {current}" if current is not None else "it does not exist"
    raise FailedPrecondition(
        f"{what} was changed by someone else meanwhile (you edited version {expected}, {now}); reload and retry",
        field="expected_version", reason=f"is {expected} but {now}")
