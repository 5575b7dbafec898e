"""Proto3 JSON in and out (google.protobuf.json_format), and the google.api.http rules for where a
request's fields come from: path variables, query parameters, the body or one field of it."""

from __future__ import annotations

import base64
import datetime
import json
import keyword
import math
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


# Timestamps are the costliest field of a ticket list (four per ticket). Their text is a date, looked
# up per day (a reply's dates are few), and a time of day put together from two tables.
_EPOCH = datetime.date(1970, 1, 1)
_DAYS: dict[int, str] = {}
_FIRST_DAY, _LAST_DAY = -719_162, 2_932_896  # 0001-01-01 and 9999-12-31, days from the epoch
_HOURS_MINUTES = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS = [f"{s:02d}" for s in range(60)]


def _timestamp(ts) -> str:
    """Timestamp.ToJsonString (RFC 3339, UTC, 0/3/6/9 fraction digits), without its datetime
    arithmetic on every call."""
    seconds, nanos = ts.seconds, ts.nanos
    days, rest = divmod(seconds, 86_400)
    day = _DAYS.get(days)
    if day is None:
        if not _FIRST_DAY <= days <= _LAST_DAY:
            return ts.ToJsonString()  # out of range: its own check and error
        if len(_DAYS) >= 100_000:
            _DAYS.clear()
        day = _DAYS[days] = (_EPOCH + datetime.timedelta(days)).isoformat() + "T"
    text = day + _HOURS_MINUTES[rest // 60] + _SECONDS[rest % 60]
    if nanos == 0:
        return text + "Z"
    if not 0 < nanos < 1_000_000_000:
        return ts.ToJsonString()
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{text}.{nanos // 1_000:06d}Z"
    return f"{text}.{nanos:09d}Z"


def _as_string(message) -> str:  # Duration, FieldMask (and Timestamp at the top level)
    return message.ToJsonString()


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


def _element(field: FieldDescriptor, env: dict) -> str:
    """An expression converting one value `v` of `field` (an element, for a repeated field), the
    names it needs bound in `env`."""
    if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        desc = field.message_type
        if desc.full_name == "google.protobuf.Timestamp":
            env["_timestamp"] = _timestamp
            return "_timestamp(v)"
        env.setdefault("_plans", _PLANS)
        # through the cache at call time: message types may refer to themselves
        return f"_plans[{desc.full_name!r}](v)"
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        if field.enum_type.full_name == "google.protobuf.NullValue":
            return "None"
        # one table per enum type: a map entry's value field has a number of its own message's too
        name = "_enum_" + field.enum_type.full_name.replace(".", "_")
        env[name] = {v.number: v.name for v in field.enum_type.values}
        return f"{name}.get(v, v)"
    if cpp in _INT64:
        return "str(v)"
    if cpp == FieldDescriptor.CPPTYPE_DOUBLE:
        env["_float"] = _float
        return "(v if v - v == 0 else _float(v))"  # v - v is 0 for every finite v, NaN otherwise
    if cpp == FieldDescriptor.CPPTYPE_FLOAT:
        env["_float32"] = _float32
        return "_float32(v)"
    if field.type == FieldDescriptor.TYPE_BYTES:
        env["_bytes"] = _bytes
        return "_bytes(v)"
    return "v"


def _compile(desc) -> Any:
    """The converter of one message type as Python source, compiled once: a statement per field in
    field number order, with the per-type decisions (names, enums, presence, zero values) already
    made. json_format makes them anew for every field of every message it prints, and a first
    version here that looped over ListFields() was still the largest item of the gateway's CPU on
    list replies (docs/benchmarks-portal.md)."""
    env: dict = {}
    lines = ["def plan(m):", "    d = {}"]
    for field in sorted(desc.fields, key=lambda f: f.number):
        key = repr(field.name)
        value = f"m.{field.name}" if field.name.isidentifier() and not keyword.iskeyword(field.name) \
            else f"getattr(m, {field.name!r})"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            k_field, v_field = (field.message_type.fields_by_name[n] for n in ("key", "value"))
            k = ('("true" if k else "false")' if k_field.cpp_type == FieldDescriptor.CPPTYPE_BOOL
                 else "k" if k_field.cpp_type == FieldDescriptor.CPPTYPE_STRING else "str(k)")
            lines.append(f"    x = {value}")
            lines.append(f"    d[{key}] = {{{k}: {_element(v_field, env)} for k, v in x.items()}}")
        elif field.is_repeated:
            element = _element(field, env)
            lines.append(f"    d[{key}] = list({value})" if element == "v"
                         else f"    d[{key}] = [{element} for v in {value}]")
        elif field.has_presence:
            lines.append(f"    if m.HasField({field.name!r}):")
            lines.append(f"        v = {value}")
            lines.append(f"        d[{key}] = {_element(field, env)}")
        else:
            element = _element(field, env)
            lines.append(f"    d[{key}] = {value}" if element == "v" else f"    v = {value}\n    d[{key}] = {element}")
    lines.append("    return d")
    code = compile("\n".join(lines), f"<to_json {desc.full_name}>", "exec")
    exec(code, env)
    return env["plan"]


def _plan(desc):
    plan = _PLANS.get(desc.full_name)
    if plan is not None:
        return plan
    if desc.full_name in _STRUCTS:
        plan = _STRUCTS[desc.full_name]
    elif desc.full_name in _AS_STRING:
        plan = _as_string
    elif desc.full_name in _PRINTED_BY_JSON_FORMAT or desc.file.name == "google/protobuf/wrappers.proto" \
            or desc.extension_ranges:
        plan = _by_json_format
    else:
        plan = _compile(desc)
    _PLANS[desc.full_name] = plan
    # the types it holds, now: a plan looks them up by name when it runs
    for field in desc.fields:
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                inner = field.message_type.fields_by_name["value"].message_type
                if inner is not None:
                    _plan(inner)
            else:
                _plan(field.message_type)
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
