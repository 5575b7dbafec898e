"""The seed's three kinds of outsourcing (BRIEF.md part 6)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutsourcingKind:
    code: str
    name: str


KINDS = (
    OutsourcingKind("planning", "规划外包"),
    OutsourcingKind("construction", "建设外包"),
    OutsourcingKind("om", "运维外包"),
)
