"""The OpenAPI 3.0 document of the gateway, generated from the protos: one POST operation per unary
RPC (/api/rpc/<service>/<method>), one operation per google.api.http binding (/api/v1/...), and a
schema per message in its proto3 JSON form; descriptions are the proto comments."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from .catalog import Catalog, Method

REST_PREFIX = "/api"

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte", "description": "base64"},
}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.Int32Value": {"type": "integer"},
    "google.protobuf.Int64Value": {"type": "string", "format": "int64"},
    "google.protobuf.DoubleValue": {"type": "number"},
}

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is the gRPC status code name and `violations` the "
                   "google.rpc.BadRequest field violations.",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "code": {"type": "string"},
        "violations": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "description": {"type": "string"}}}},
    },
    "required": ["type", "title", "status"],
}


class _Schemas:
    def __init__(self, catalog: Catalog):
        self.catalog, self.schemas = catalog, {"Problem": PROBLEM}

    def ref(self, desc: Any) -> dict:
        if desc.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[desc.full_name])
        if desc.full_name not in self.schemas:
            self.schemas[desc.full_name] = {}  # placeholder against recursion
            self.schemas[desc.full_name] = self.message(desc)
        return {"$ref": f"#/components/schemas/{desc.full_name}"}

    def field(self, fd: Any) -> dict:
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value = fd.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self.single(value)}
        schema = self.single(fd)
        if fd.is_repeated:
            schema = {"type": "array", "items": schema}
        note = self.catalog.comments.get(f"{fd.containing_type.full_name}.{fd.name}")
        if note:
            schema = {**schema, "description": note} if "$ref" not in schema else {"allOf": [schema],
                                                                                   "description": note}
        return schema

    def single(self, fd: Any) -> dict:
        if fd.message_type is not None:
            return self.ref(fd.message_type)
        if fd.enum_type is not None:
            values = [v.name for v in fd.enum_type.values]
            notes = [f"{v.name}: {self.catalog.comments.get(f'{fd.enum_type.full_name}.{v.name}', '')}"
                     for v in fd.enum_type.values]
            return {"type": "string", "enum": values, "description": "; ".join(notes)}
        return dict(_SCALARS[fd.type])

    def message(self, desc: Any) -> dict:
        out: dict = {"type": "object", "properties": {f.name: self.field(f) for f in desc.fields}}
        note = self.catalog.comments.get(desc.full_name)
        if note:
            out["description"] = note
        return out


def _responses(schemas: _Schemas, method: Method, response_field: str = "") -> dict:
    output = schemas.ref(method.output.DESCRIPTOR)
    if response_field:
        output = schemas.field(method.output.DESCRIPTOR.fields_by_name[response_field])
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {"200": {"description": "OK", "content": {"application/json": {"schema": output}}},
            "default": {"description": "An error (RFC 9457 problem details)", "content": problem}}


def document(catalog: Catalog, version: str = "v1", services: set[str] | None = None) -> dict:
    """The whole API, or only the named services' (full names, e.g. govops.ticket.v1.TicketService)."""
    schemas = _Schemas(catalog)
    paths: dict[str, dict] = {}
    for method in sorted(catalog.methods.values(), key=lambda m: m.path):
        if method.client_streaming or method.returns_credentials:
            continue
        if services is not None and method.service not in services:
            continue
        tag = method.service.rsplit(".", 1)[-1]
        if not method.server_streaming:
            paths[f"/api/rpc/{method.service}/{method.name}"] = {"post": {
                "operationId": f"{method.service}.{method.name}",
                "tags": [tag], "summary": f"{tag}.{method.name}", "description": method.comment,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": schemas.ref(method.input.DESCRIPTOR)}}},
                "responses": _responses(schemas, method)}}
        for binding in method.bindings:
            operation: dict[str, Any] = {
                "operationId": f"{method.service}.{method.name}.{binding.verb.lower()}",
                "tags": [tag], "summary": f"{tag}.{method.name} (REST)", "description": method.comment,
                "parameters": [{"name": v, "in": "path", "required": True, "schema": {"type": "string"}}
                               for v in binding.variables],
                "responses": _responses(schemas, method, binding.response_body)}
            if binding.body:
                body_schema = (schemas.ref(method.input.DESCRIPTOR) if binding.body == "*"
                               else schemas.field(method.input.DESCRIPTOR.fields_by_name[binding.body]))
                operation["requestBody"] = {"content": {"application/json": {"schema": body_schema}}}
            else:
                operation["parameters"] += [
                    {"name": f.name, "in": "query", "schema": schemas.field(f)}
                    for f in method.input.DESCRIPTOR.fields
                    if f.name not in binding.variables and f.message_type is None]
            paths.setdefault(REST_PREFIX + binding.template, {})[binding.verb.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "GovOps portal API", "version": version,
                 "description": "The five GovOps services' gRPC APIs over HTTP/JSON, generated from the protos. "
                                "Browsers use a session cookie and send X-CSRF-Token on every change; "
                                "integrators send `Authorization: Bearer <token>`. Field names are the proto "
                                "names (proto3 JSON). See docs/portal.md."},
        "tags": [{"name": name.rsplit(".", 1)[-1], "description": note} for name, note in catalog.services.items()
                 if services is None or name in services],
        "components": {"schemas": schemas.schemas,
                       "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "govops_session"},
                                           "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"session": []}, {"bearer": []}],
        "paths": paths,
    }
