"""Proto3 JSON in and out (google.protobuf.json_format), and the google.api.http rules for where a
request's fields come from: path variables, query parameters, the body or one field of it."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from .problems import Problem


def to_json(message: Message) -> dict:
    """proto3 JSON with the proto field names (snake_case, as the protos and docs spell them) and
    every field present, so a client reads zero values without guessing."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def _set_path(target: dict, dotted: str, value: Any, descriptor) -> None:
    """Place a text value at a dotted field path ("page.page_size"), as a list for repeated fields."""
    parts = dotted.split(".")
    here, desc = target, descriptor
    for i, part in enumerate(parts):
        fd = desc.fields_by_name.get(part) if desc is not None else None
        if fd is None:
            # json names are accepted too
            fd = next((f for f in desc.fields if f.json_name == part), None) if desc is not None else None
        if fd is None:
            raise Problem(400, f"unknown field {dotted!r}", code="INVALID_ARGUMENT",
                          violations=[{"field": dotted, "description": "is not a field of this request"}])
        last = i == len(parts) - 1
        if last and fd.type == fd.TYPE_BOOL and isinstance(value, str):
            # proto3 JSON takes only JSON booleans; a query string says true/false (or 1/0)
            value = {"true": True, "1": True, "false": False, "0": False}.get(value.lower(), value)
        if last:
            if fd.is_repeated:
                here.setdefault(fd.name, []).append(value)
            else:
                here[fd.name] = value
        else:
            if fd.message_type is None:
                raise Problem(400, f"{'.'.join(parts[:i + 1])} has no fields", code="INVALID_ARGUMENT",
                              violations=[{"field": dotted, "description": "is not a field of this request"}])
            here = here.setdefault(fd.name, {})
            desc = fd.message_type


def fields_from(pairs, descriptor) -> dict:
    """Query parameters or path variables → a dict for json_format.ParseDict."""
    out: dict = {}
    for key, value in pairs:
        _set_path(out, key, value, descriptor)
    return out


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Problem(400, f"the body is not JSON: {str(exc)[:200]}", code="INVALID_ARGUMENT") from None


def build(cls: type, body: Any = None, body_field: str = "*", *, query=(), path: dict | None = None) -> Message:
    """The request message of a call: the body (all of it, or one field of it), query parameters
    and path variables, in that order of precedence from last to first."""
    message = cls()
    data: dict = {}
    if body is not None and body_field:
        if body_field == "*":
            if not isinstance(body, dict):
                raise Problem(400, "the body must be a JSON object", code="INVALID_ARGUMENT")
            data = body
        else:
            data = {body_field: body}
    if query:
        data = _merge(fields_from(query, message.DESCRIPTOR), data)
    if path:
        data = _merge(data, fields_from(path.items(), message.DESCRIPTOR))
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=False)
    except (json_format.ParseError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise Problem(400, str(exc)[:500] or "the request does not fit the method's message",
                      code="INVALID_ARGUMENT") from None
    return message


def response_body(message: Message, field: str) -> Any:
    if not field:
        return to_json(message)
    return to_json(message).get(field)
