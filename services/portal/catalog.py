"""What the gateway can call, read from the protos themselves: every service and method of the
generated descriptor set (`make proto`, with the proto comments), their message classes, and the
REST bindings of their `google.api.http` annotations. Nothing here names a method by hand."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from importlib import resources

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from govkit.protogen import DESCRIPTOR_SET_NAME

# Responses carrying credentials never reach a browser or an integrator through the gateway: the
# session API holds them server-side (IdentityService Login/Refresh, service tokens).
CREDENTIAL_MESSAGES = {"govops.org.v1.Tokens"}


@dataclass(frozen=True)
class HttpBinding:
    """One REST binding of a method (a google.api.HttpRule)."""

    verb: str
    template: str
    body: str
    response_body: str
    pattern: re.Pattern
    variables: tuple[str, ...]

    def match(self, path: str) -> dict[str, str] | None:
        m = self.pattern.fullmatch(path)
        if m is None:
            return None
        return {name: m.group(f"v{i}") for i, name in enumerate(self.variables)}


@dataclass(frozen=True)
class Method:
    service: str
    """Full service name, e.g. govops.ticket.v1.TicketService."""
    name: str
    backend: str
    """The GovOps service that serves it (org, ticket, …): the proto package segment."""
    input: type[Message]
    output: type[Message]
    server_streaming: bool
    client_streaming: bool
    comment: str
    bindings: tuple[HttpBinding, ...] = ()
    returns_credentials: bool = False

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


@dataclass
class Catalog:
    methods: dict[tuple[str, str], Method] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)
    """Full service name → its comment."""
    comments: dict[str, str] = field(default_factory=dict)
    """Full name of a message, field (message.field), enum or enum value → its comment."""
    files: list[descriptor_pb2.FileDescriptorProto] = field(default_factory=list)

    def method(self, service: str, name: str) -> Method | None:
        return self.methods.get((service, name))

    def route(self, verb: str, path: str) -> tuple[Method, HttpBinding, dict[str, str]] | None:
        for method in self.methods.values():
            for binding in method.bindings:
                if binding.verb == verb:
                    found = binding.match(path)
                    if found is not None:
                        return method, binding, found
        return None


_VARIABLE = re.compile(r"\{([a-zA-Z0-9_.]+)(?:=([^}]*))?\}")


def compile_template(template: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """A google.api.http path template ("/v1/tickets/{id}", "{name=units/*}") → regex, variables.
    `*` matches one path segment (without a ":verb" suffix, which belongs to the template), `**`
    the rest of the path."""
    out: list[str] = []
    names: list[str] = []
    pos = 0
    for m in _VARIABLE.finditer(template):
        out.append(re.escape(template[pos:m.start()]))
        sub = m.group(2) or "*"
        parts = []
        for piece in sub.split("/"):
            parts.append(".+" if piece == "**" else "[^/:]+" if piece == "*" else re.escape(piece))
        out.append(f"(?P<v{len(names)}>{'/'.join(parts)})")
        names.append(m.group(1))
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out)), tuple(names)


def _binding(rule: http_pb2.HttpRule) -> list[HttpBinding]:
    kind = rule.WhichOneof("pattern")
    found = []
    if kind and kind != "custom":
        template = getattr(rule, kind)
        pattern, variables = compile_template(template)
        found.append(HttpBinding(kind.upper(), template, rule.body, rule.response_body, pattern, variables))
    for extra in rule.additional_bindings:
        found.extend(_binding(extra))
    return found


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {tuple(loc.path): " ".join(loc.leading_comments.split())
            for loc in file.source_code_info.location if loc.leading_comments.strip()}


def _message_comments(prefix: str, messages, path: tuple[int, ...], notes: dict, out: dict) -> None:
    for i, msg in enumerate(messages):
        name = f"{prefix}.{msg.name}"
        here = (*path, i)
        if here in notes:
            out[name] = notes[here]
        for j, f in enumerate(msg.field):
            if (*here, 2, j) in notes:
                out[f"{name}.{f.name}"] = notes[(*here, 2, j)]
        _message_comments(name, msg.nested_type, (*here, 3), notes, out)
        _enum_comments(name, msg.enum_type, (*here, 4), notes, out)


def _enum_comments(prefix: str, enums, path: tuple[int, ...], notes: dict, out: dict) -> None:
    for i, enum in enumerate(enums):
        name = f"{prefix}.{enum.name}"
        if (*path, i) in notes:
            out[name] = notes[(*path, i)]
        for j, value in enumerate(enum.value):
            if (*path, i, 2, j) in notes:
                out[f"{name}.{value.name}"] = notes[(*path, i, 2, j)]


def _carries(descriptor, names: set[str], seen: set[str] | None = None) -> bool:
    seen = seen if seen is not None else set()
    if descriptor.full_name in names:
        return True
    seen.add(descriptor.full_name)
    return any(f.message_type is not None and f.message_type.full_name not in seen
               and _carries(f.message_type, names, seen) for f in descriptor.fields)


def load(backends: set[str]) -> Catalog:
    """The services of the generated descriptor set whose package is govops.<backend>.v1."""
    data = (resources.files("govops") / DESCRIPTOR_SET_NAME).read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(data).file
    catalog = Catalog()
    pool = descriptor_pool.Default()
    for file in files:
        if not file.package.startswith("govops."):
            continue
        # the generated module registers the file (and its options' extensions) in the default pool
        importlib.import_module(file.name.removesuffix(".proto").replace("/", ".") + "_pb2")
        catalog.files.append(file)
        notes = _comments(file)
        _message_comments(file.package, file.message_type, (4,), notes, catalog.comments)
        _enum_comments(file.package, file.enum_type, (5,), notes, catalog.comments)
        backend = file.package.split(".")[1]
        for si, svc in enumerate(file.service):
            if backend not in backends:
                continue
            full = f"{file.package}.{svc.name}"
            catalog.services[full] = notes.get((6, si), "")
            desc = pool.FindServiceByName(full)
            for mi, m in enumerate(desc.methods):
                options = m.GetOptions()
                bindings: list[HttpBinding] = []
                if options.HasExtension(annotations_pb2.http):
                    bindings = _binding(options.Extensions[annotations_pb2.http])
                catalog.methods[(full, m.name)] = Method(
                    service=full, name=m.name, backend=backend,
                    input=message_factory.GetMessageClass(m.input_type),
                    output=message_factory.GetMessageClass(m.output_type),
                    server_streaming=svc.method[mi].server_streaming,
                    client_streaming=svc.method[mi].client_streaming,
                    comment=notes.get((6, si, 2, mi), ""),
                    bindings=tuple(bindings),
                    returns_credentials=_carries(m.output_type, CREDENTIAL_MESSAGES))
    return catalog
