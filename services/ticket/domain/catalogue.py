"""The service catalogue (运维服务目录): a tree of folders and items in the seed's three
categories. An item says how a submitted ticket starts: type, impact/urgency, SLA policy, the
responsible support group and position (org ids), and an extra-fields form (JSON Schema)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import jsonschema

from govkit.errors import FieldViolation, Validator

from .lifecycle import TICKET_TYPES

CATEGORIES = ("infrastructure", "application", "information_resource")


@dataclass
class CatalogueItem:
    id: str
    name: str
    category: str
    parent_id: str | None = None
    kind: str = "item"  # folder | item
    ticket_type: str = "request"
    impact: str = "medium"
    urgency: str = "medium"
    sla_policy_id: str | None = "standard"
    group_id: str | None = None
    position_id: str | None = None
    form_schema: dict = field(default_factory=dict)
    description: str = ""
    active: bool = True
    sort: int = 0
    version: int = 1  # the store's count of saves (domain/versions.py), not part of the definition

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("version")
        return d

    def validate(self) -> None:
        v = Validator()
        v.text("id", self.id, max_len=64)
        v.text("name", self.name, max_len=100)
        if self.category not in CATEGORIES:
            v.fail("category", f"must be one of {', '.join(CATEGORIES)}")
        if self.kind not in ("folder", "item"):
            v.fail("kind", "must be folder or item")
        if self.kind == "item" and self.ticket_type not in TICKET_TYPES:
            v.fail("ticket_type", f"must be one of {', '.join(TICKET_TYPES)}")
        for name in ("impact", "urgency"):
            if getattr(self, name) not in ("high", "medium", "low"):
                v.fail(name, "must be one of high, medium, low")
        if self.form_schema:
            try:
                jsonschema.Draft202012Validator.check_schema(self.form_schema)
            except jsonschema.SchemaError as exc:
                v.fail("form_schema", f"is not a valid JSON Schema: {exc.message}")
        v.check()


def form_violations(schema: dict, data: dict, prefix: str = "form") -> list[FieldViolation]:
    """Every field of `data` that fails `schema`, one violation per field, named `form.<path>`."""
    if not schema:
        return []
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    out: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    out.setdefault(".".join([prefix, *path, name]), "is required")
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for name in error.instance:
                if name not in allowed:
                    out.setdefault(".".join([prefix, *path, name]), "is not a field of this form")
            continue
        title = error.schema.get("title") if isinstance(error.schema, dict) else None
        reason = error.message + (f" ({title})" if title else "")
        out.setdefault(".".join([prefix, *path]), reason)
    return [FieldViolation(f, r) for f, r in out.items()]
