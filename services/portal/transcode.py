"""Proto3 JSON in and out (google.protobuf.json_format), and the google.api.http rules for where a
request's fields come from: path variables, query parameters, the body or one field of it."""

from __future__ import annotations

import base64
import json
import math
import time
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

from .problems import Problem


def to_json(message: Message) -> dict:
    """proto3 JSON with the proto field names (snake_case, as the protos and docs spell them) and
    every field present, so a client reads zero values without guessing.

    The same dict as json_format.MessageToDict(preserving_proto_field_name=True,
    always_print_fields_with_no_presence=True), which a unit test checks for every reply message of
    the catalogue; but that printer decides each field's conversion anew on every call, which made it
    the larger part of the gateway's CPU per call on list replies. Here each message type's
    conversions are worked out once (a plan, cached per descriptor)."""
    return _plan(message.DESCRIPTOR)(message)


_PLANS: dict = {}
_INT64 = {FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64}
_FLOATS = {FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE}
# well-known types with a JSON form of their own that is a plain string
_AS_STRING = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}
_PRINTED_BY_JSON_FORMAT = {"google.protobuf.Any", "google.protobuf.Empty"}


def _by_json_format(message: Message) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def _struct_value(value) -> Any:
    """A google.protobuf.Value (Struct and ListValue hold them): ticket forms carry one per answer."""
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "struct_value":
        return _struct(value.struct_value)
    if kind == "list_value":
        return _list_value(value.list_value)
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            # as json_format: it would parse back as a string
            raise json_format.SerializeToJsonError(f"Value.number_value cannot be {number}")
        return number
    return getattr(value, kind)


def _struct(struct) -> dict:
    fields = struct.fields
    return {key: _struct_value(fields[key]) for key in fields}


def _list_value(values) -> list:
    return [_struct_value(v) for v in values.values]


_STRUCTS = {"google.protobuf.Struct": _struct, "google.protobuf.Value": _struct_value,
            "google.protobuf.ListValue": _list_value}


# years 1000-9999, where time.strftime's %Y is the four digits RFC 3339 wants
_FAST_SECONDS = (-30_610_224_000, 253_402_300_799)


def _timestamp(ts) -> str:
    """Timestamp.ToJsonString, without its datetime arithmetic (a list of tickets has a hundred)."""
    seconds, nanos = ts.seconds, ts.nanos
    if not (_FAST_SECONDS[0] <= seconds <= _FAST_SECONDS[1] and 0 <= nanos < 1_000_000_000):
        return ts.ToJsonString()  # out of range: its own check and error
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{text}.{nanos // 1_000:06d}Z"
    return f"{text}.{nanos:09d}Z"


def _float(value: float) -> Any:
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    if math.isnan(value):
        return "NaN"
    return value


def _float32(value: float) -> Any:
    if math.isinf(value) or math.isnan(value):
        return _float(value)
    return type_checkers.ToShortestFloat(value)


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("utf-8")


def _identity(value):
    return value


def _scalar(field: FieldDescriptor):
    """The conversion of one value of a non-message field."""
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        if field.enum_type.full_name == "google.protobuf.NullValue":
            return lambda value: None
        names = {v.number: v.name for v in field.enum_type.values}
        return lambda value: names.get(value, value)
    if cpp in _INT64:
        return str
    if cpp == FieldDescriptor.CPPTYPE_DOUBLE:
        return _float
    if cpp == FieldDescriptor.CPPTYPE_FLOAT:
        return _float32
    if field.type == FieldDescriptor.TYPE_BYTES:
        return _bytes
    return _identity


def _value(field: FieldDescriptor):
    """The conversion of one value of `field` (an element, for a repeated field)."""
    if field.cpp_type != FieldDescriptor.CPPTYPE_MESSAGE:
        return _scalar(field)
    desc = field.message_type
    if desc.full_name == "google.protobuf.Timestamp":
        return _timestamp
    if desc.full_name in _AS_STRING:
        return lambda value: value.ToJsonString()
    if desc.file.name == "google/protobuf/wrappers.proto":
        inner = _scalar(desc.fields_by_name["value"])
        return lambda value: inner(value.value)
    if desc.full_name in _STRUCTS:
        return _STRUCTS[desc.full_name]
    if desc.full_name in _PRINTED_BY_JSON_FORMAT:
        return _by_json_format
    return lambda value: _plan(desc)(value)  # late: message types may refer to themselves


def _field(field: FieldDescriptor):
    convert = _value(field)
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key = field.message_type.fields_by_name["key"]
        value = _value(field.message_type.fields_by_name["value"])
        if key.cpp_type == FieldDescriptor.CPPTYPE_BOOL:
            return lambda m: {("true" if k else "false"): value(m[k]) for k in m}
        return lambda m: {str(k): value(m[k]) for k in m}
    if field.is_repeated:
        return lambda values: [convert(v) for v in values]
    return convert


def _default(field: FieldDescriptor):
    """What an unset field without presence prints as: a fresh empty list or dict, or the zero value."""
    if field.is_repeated:
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        return dict if is_map else list
    zero = _scalar(field)(field.default_value)
    return lambda: zero


def _plan(desc):
    plan = _PLANS.get(desc.full_name)
    if plan is not None:
        return plan
    if desc.full_name in _STRUCTS:
        plan = _STRUCTS[desc.full_name]
    elif desc.full_name in _AS_STRING or desc.full_name in _PRINTED_BY_JSON_FORMAT \
            or desc.file.name == "google/protobuf/wrappers.proto" or desc.extension_ranges:
        plan = _by_json_format
    else:
        convert = {f.number: (f.name, _field(f)) for f in desc.fields}
        defaults = [(f.name, _default(f)) for f in desc.fields if not f.has_presence]

        def plan(message: Message) -> dict:
            # set fields first, in field number order, then the unset ones without presence: the
            # order json_format prints them in
            js = {}
            for field, value in message.ListFields():
                name, conv = convert[field.number]
                js[name] = conv(value)
            for name, zero in defaults:
                if name not in js:
                    js[name] = zero()
            return js
    _PLANS[desc.full_name] = plan
    return plan


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
