"""What a service's command group (its descriptor's `cli`) needs from the kit: the console, a gRPC
channel carrying the CLI's token, `fail` for gRPC errors, choices from proto enums, and the output
layer. Kept apart from `govkit.cli`, which imports every service's group, so a group can import
this without an import cycle.

Output (`govops --output table|json`, or GOVOPS_OUTPUT): a command shows what it found through
`emit(Listing)` (rows) or `emit_record(message_or_dict, text)` (one thing), never by printing a
table itself. `table` draws rich tables for people; when stdout is not a terminal nothing is cut
short (no width limit), and id columns are never cut even on a terminal. `json` writes JSON to
stdout and every human message to stderr: a list is JSON Lines (one object per row, keys the
columns' keys), one thing is one JSON document on one line. Proto messages become documents with
every field (proto field names), enum values as their lower-case word, times as ISO-8601 with the
offset of the configured zone (GOVOPS_TIMEZONE, default Asia/Shanghai) — in tables too.

Token: $GOVOPS_TOKEN if set; else the session of `govops login` (refreshed when near expiry); else,
on a development machine, a short-lived admin token minted with the local key that `make keys`
generated.
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import typer
from rich.console import Console
from rich.table import Table

from . import config as govconfig

__all__ = ["console", "grpc_channel", "fail", "save_session", "dev_signer", "SESSION_FILE", "Listing", "emit",
           "emit_record", "output_options", "json_output", "proto_dict", "when", "enum_words", "enum_number",
           "enum_word", "file_format"]

console = Console()
ADMIN_CLAIMS = {"roles": ["system_admin"], "perms": ["*"], "scopes": [{"unit": "*", "subtree": True}]}


def dev_signer():
    from .auth import TokenSigner

    s = govconfig.load("org")
    try:
        path = s.signing_key_file()
    except govconfig.ConfigError as err:
        console.print(f"[red]{err}; in a source checkout run `make keys` (or `govops dev keys`), "
                      "or log in with `govops login`")
        raise typer.Exit(2) from None
    return TokenSigner.from_file(path, issuer=s.token_issuer, audience=s.token_audience)


SESSION_FILE = Path(os.environ.get("GOVOPS_SESSION_FILE", str(Path.home() / ".govops" / "session.json")))


def _token() -> str:
    """$GOVOPS_TOKEN, else the session of `govops login` (refreshed when near expiry), else — on a
    development machine with the local signing key — a short-lived admin token."""
    if os.environ.get("GOVOPS_TOKEN"):
        return os.environ["GOVOPS_TOKEN"]
    session = _session()
    if session:
        return session
    return dev_signer().mint("dev-admin", name="开发管理员", ttl_seconds=600, **ADMIN_CLAIMS)


def save_session(tokens) -> None:
    import json

    SESSION_FILE.parent.mkdir(parents=True, exist_ok=True)
    SESSION_FILE.write_text(json.dumps({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                                        "expires_at": tokens.expires_at.seconds, "subject": tokens.subject}))
    SESSION_FILE.chmod(0o600)


def _session() -> str | None:
    import json
    import time

    if not SESSION_FILE.exists():
        return None
    data = json.loads(SESSION_FILE.read_text())
    if data["expires_at"] - time.time() > 30:
        return data["access_token"]
    if not data.get("refresh_token"):
        return None
    from govops.org.v1 import org_pb2, org_pb2_grpc

    try:
        with grpc.insecure_channel(govconfig.load("org").grpc_target) as ch:
            reply = org_pb2_grpc.IdentityServiceStub(ch).Refresh(
                org_pb2.RefreshRequest(refresh_token=data["refresh_token"]), timeout=10)
    except grpc.RpcError:
        SESSION_FILE.unlink()
        console.print("[yellow]session expired; log in again with `govops login`[/yellow]")
        return None
    save_session(reply.tokens)
    return reply.tokens.access_token


def grpc_channel(service: str):
    """A channel to `service`'s gRPC server carrying the CLI's token."""
    from .client import channel

    return channel(govconfig.load(service).grpc_target, _token())


def fail(err: grpc.RpcError) -> None:
    """Print a gRPC error with its per-field violations and exit 1."""
    from .grpc_server import iter_bad_request

    console.print(f"[red]{err.code().name}[/red]: {err.details()}")
    for field, reason in iter_bad_request(err):
        console.print(f"  [yellow]{field}[/yellow]: {reason}")
    raise typer.Exit(1)


# ---- output ---------------------------------------------------------------------------------
OUTPUTS = ("table", "json")
_state = {"output": "table"}
_OutputChoice = enum.Enum("_OutputChoice", {o: o for o in OUTPUTS}, type=str)  # type: ignore[misc]


def output_options(
    output: _OutputChoice = typer.Option(
        "table", "--output", "-o", envvar="GOVOPS_OUTPUT", case_sensitive=False,
        help="table: for people; json: for scripts (lists as JSON Lines, one object per row; one thing as "
             "one JSON document)"),
) -> None:
    """Options every `govops` command shares (the root callback)."""
    configure(output.value if isinstance(output, enum.Enum) else str(output))


def configure(output: str) -> None:
    _state["output"] = output
    # JSON mode: stdout carries JSON only; messages for people go to stderr.
    console.file = sys.stderr if output == "json" else None
    piped = not console.is_terminal
    console.soft_wrap = piped  # piped: a long line stays one line
    console.width = _UNLIMITED if piped else None  # piped: no table is cut to fit


def json_output() -> bool:
    return _state["output"] == "json"


def _write_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def when(value) -> str | None:
    """A time (datetime, protobuf Timestamp) as ISO-8601 in the configured zone, with its offset."""
    from google.protobuf.timestamp_pb2 import Timestamp

    if value is None:
        return None
    if isinstance(value, Timestamp):
        if not value.seconds and not value.nanos:
            return None
        value = value.ToDatetime(tzinfo=govconfig.local_zone())
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no zone to show it in")
    return value.astimezone(govconfig.local_zone()).isoformat(timespec="seconds")


def _plain(value):
    """A cell or field value as JSON: times in the configured zone, messages as documents."""
    from google.protobuf.message import Message
    from google.protobuf.timestamp_pb2 import Timestamp

    if isinstance(value, datetime | Timestamp):
        return when(value)
    if isinstance(value, Message):
        return proto_dict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value) -> str:
    from google.protobuf.timestamp_pb2 import Timestamp

    plain = _plain(value)
    if plain is None:
        return ""
    if isinstance(value, datetime | Timestamp):
        return plain.replace("T", " ", 1)
    if isinstance(plain, list):
        return ", ".join(str(p) for p in plain)
    if isinstance(plain, dict):
        return json.dumps(plain, ensure_ascii=False)
    return str(plain)


def _key(header: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
    if not key:
        raise ValueError(f"column {header!r} needs a key=")
    return key


class Listing:
    """Rows a command found, rendered by `emit` as a table or as JSON Lines. Columns have a header
    for people and a key for scripts (from the header unless given); values stay typed (a
    datetime or Timestamp is shown in the configured zone)."""

    def __init__(self, title: str | None = None, *headers: str):
        self.title = title
        self.columns: list[tuple[str, str, bool]] = []
        self.rows: list[tuple] = []
        for h in headers:
            self.add_column(h)

    def add_column(self, header: str, key: str | None = None, *, id: bool | None = None) -> None:
        """`id`: values a user pastes back into another command (never cut); default: keys `id`,
        `*_id`, `number`."""
        key = key or _key(header)
        is_id = id if id is not None else (key in ("id", "number") or key.endswith("_id"))
        self.columns.append((key, header, is_id))

    def add_row(self, *values) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self.rows.append(values)

    def records(self) -> list[dict]:
        return [{key: _plain(v) for (key, _h, _i), v in zip(self.columns, row, strict=True)} for row in self.rows]

    def table(self) -> Table:
        table = Table(title=self.title)
        for n, (_, header, is_id) in enumerate(self.columns):
            if is_id:
                width = max([len(header)] + [len(_cell(r[n])) for r in self.rows])
                table.add_column(header, no_wrap=True, min_width=width)
            else:
                table.add_column(header, overflow="fold")
        for row in self.rows:
            table.add_row(*(_cell(v) for v in row))
        return table


_UNLIMITED = 1_000_000


def render(renderable) -> None:
    """Print for people (piped, `configure` lifted the width limit: nothing is cut or wrapped)."""
    console.print(renderable)


def emit(listing: Listing) -> None:
    """Show rows: a table, or JSON Lines (one object per row) with --output json."""
    if json_output():
        for record in listing.records():
            _write_json(record)
    else:
        render(listing.table())


def emit_record(thing, text: str | None = None) -> None:
    """Show one thing (a proto message or a dict): `text` for people (the thing as indented JSON
    when there is no text), one JSON document with --output json."""
    doc = _plain(thing) if not isinstance(thing, dict) else {k: _plain(v) for k, v in thing.items()}
    if json_output():
        _write_json(doc)
    elif text is not None:
        render(text)
    else:
        console.print_json(json.dumps(doc, ensure_ascii=False))


def _enum_prefix(enum_type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.name).upper() + "_"


def enum_word(enum_type, number: int) -> str | int:
    """A proto enum number as its word (`PRIORITY_HIGH` → `high`); an unknown number stays a number."""
    value = enum_type.values_by_number.get(number)
    if value is None:
        return number
    return value.name.removeprefix(_enum_prefix(enum_type)).lower()


def proto_dict(message) -> dict:
    """A proto message as a document with every field (so the keys are stable): proto field
    names, enum words, times in the configured zone, unset messages as null."""
    from google.protobuf.json_format import MessageToDict

    def value(field, v):
        if field.message_type is not None:
            full = field.message_type.full_name
            if full == "google.protobuf.Timestamp":
                return when(v)
            if full.startswith("google.protobuf."):
                return MessageToDict(v, preserving_proto_field_name=True)
            return proto_dict(v)
        if field.enum_type is not None:
            return enum_word(field.enum_type, v)
        if field.type == field.TYPE_BYTES:
            import base64

            return base64.b64encode(v).decode()
        return v

    doc: dict = {}
    for field in message.DESCRIPTOR.fields:
        v = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            vfield = field.message_type.fields_by_name["value"]
            doc[field.name] = {k: value(vfield, x) for k, x in v.items()}
        elif field.is_repeated:
            doc[field.name] = [value(field, x) for x in v]
        elif field.message_type is not None and not message.HasField(field.name):
            doc[field.name] = None
        else:
            doc[field.name] = value(field, v)
    return doc


# ---- choices --------------------------------------------------------------------------------
def enum_words(enum_wrapper, *, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """The words of a proto enum (without UNSPECIFIED), for a choice type of a typer parameter —
    `Enum("Category", enum_words(pb.Category), type=str)` — so an unknown word is refused by the
    command line itself, naming the word and the choices (never sent as a made-up number)."""
    enum_type = enum_wrapper.DESCRIPTOR
    words = [str(enum_word(enum_type, v.number)) for v in enum_type.values if v.number]
    return {w: w for w in words if w not in exclude}


def enum_number(enum_wrapper, word) -> int:
    """The proto enum number of a word `enum_choice` accepted."""
    word = word.value if isinstance(word, enum.Enum) else word
    enum_type = enum_wrapper.DESCRIPTOR
    return enum_type.values_by_name[_enum_prefix(enum_type) + str(word).upper()].number


def file_format(path: Path, formats: dict[str, Any], param: str = "FILE") -> Any:
    """The format a file's suffix names, among `formats` ({".csv": …}); any other suffix is refused
    with the user's own suffix."""
    suffix = path.suffix.lower()
    if suffix not in formats:
        raise typer.BadParameter(f"{suffix or 'no suffix'!r} ({path.name}) is not one of "
                                 + ", ".join(repr(s) for s in formats), param_hint=param)
    return formats[suffix]
