"""Every unary method of every service, fuzzed through server reflection (issue 11, item 9).

The test knows no service by hand: it asks each real server (on a free port) for its services,
methods and message descriptors over gRPC server reflection, derives a hypothesis strategy for
each request type from its descriptor, and calls the method as an administrator. Whatever the
request, the answer is a status the caller can act on — OK, INVALID_ARGUMENT, NOT_FOUND,
FAILED_PRECONDITION, ... — never INTERNAL or UNKNOWN (an unhandled error in the server).

The inputs are the ones integrators and attackers send: unicode with NUL and CJK, the boundaries
of every integer type, Timestamps outside 0001–9999 and negative nanos, 100 KB strings, enum
numbers nobody declared, nested and repeated messages and maps. Besides the generated examples,
each method is called with a few fixed ones (empty, every field at its upper boundary, every
field at its lower boundary, every string huge). Examples are bounded and derandomized so a CI
failure is reproducible: the failing request is printed by hypothesis as text format.
"""

from __future__ import annotations

import os
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory, text_format
from google.protobuf.descriptor import FieldDescriptor as FD
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from govkit.client import channel
from govkit.service import names

SERVICES = names()
# Examples per method on top of the fixed ones; GOVOPS_FUZZ_EXAMPLES raises it for a longer hunt.
MAX_EXAMPLES = int(os.environ.get("GOVOPS_FUZZ_EXAMPLES", "20"))
# Methods that verify a password on every call (argon2 on purpose, also for unknown users, about a
# second each): fewer examples keep the test under two minutes.
SLOW = {"Login": 4, "IssueServiceToken": 4}
MAX_DEPTH = 3
NOT_HANDLED = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
INFRASTRUCTURE = ("grpc.health.", "grpc.reflection.")

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
RANGES = {
    FD.TYPE_INT32: INT32, FD.TYPE_SINT32: INT32, FD.TYPE_SFIXED32: INT32,
    FD.TYPE_INT64: INT64, FD.TYPE_SINT64: INT64, FD.TYPE_SFIXED64: INT64,
    FD.TYPE_UINT32: UINT32, FD.TYPE_FIXED32: UINT32,
    FD.TYPE_UINT64: UINT64, FD.TYPE_FIXED64: UINT64,
}
HUGE = ("x" * 100_000, "税" * 40_000)
# Text a service might meet: empty, blank, NUL, CJK, RTL and combining marks, emoji, look-alikes of
# ids, dates and amounts, SQL and path fragments; drawn besides free unicode.
SPECIAL_TEXT = ("", " ", "\x00", "a\x00b", "市财政局", "科技园区管委会 / 信息中心", "\u202eabc", "e\u0301",
                "😀", "\ufeff", "-1", "0", "1e309", "NaN", "99999999999999999999.999", "2026-02-30",
                "0000-00-00", "9999-12-31T23:59:59Z", "INC-2026-000001", "00000000-0000-0000-0000-000000000000",
                "*", "%", "_", "' OR 1=1 --", "../../etc/passwd", "a" * 256)
TIMESTAMP = "google.protobuf.Timestamp"


# Ids, codes and names that exist (harvested from the service databases after the demo seed) by
# (table, column), so examples get past "not found" into the domain logic.
KNOWN: dict[tuple[str, str], list[str]] = {}


def _known(fd) -> list[str]:
    """Existing values for string field `fd`: from columns of its name, and for an `id` or `<x>_id`
    field the ids of tables the message or the field is named after (GetBudgetRequest.id: budgets)."""
    owner = fd.containing_type.name.lower() if fd is not None else ""
    stem = fd.name[:-3] if fd is not None and fd.name.endswith("_id") else ""
    picked: set[str] = set()
    for (table, column), values in KNOWN.items():
        single = table.rstrip("s")
        if fd is not None and column == fd.name:
            picked.update(values)
        if column == "id" and fd is not None and (
                (fd.name == "id" and single.replace("_", "") in owner) or (stem and single.endswith(stem))):
            picked.update(values)
    return sorted(picked) or sorted({v for values in KNOWN.values() for v in values})


def _text(fd=None) -> st.SearchStrategy[str]:
    known_values = _known(fd) if KNOWN else []
    known = st.sampled_from(known_values) if known_values else st.nothing()
    return st.one_of(
        known, known, known,
        st.sampled_from(SPECIAL_TEXT),
        st.text(st.characters(codec="utf-8"), max_size=40),
        st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=20),
        st.sampled_from(HUGE),
    )


def _integer(fd) -> st.SearchStrategy[int]:
    lo, hi = RANGES[fd.type]
    edges = sorted({lo, hi, 0, 1, -1 if lo < 0 else 2, lo + 1, hi - 1})
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi), st.integers(-5, 1000).filter(
        lambda n: lo <= n <= hi))


def _timestamp() -> st.SearchStrategy[tuple[int, int]]:
    valid = st.tuples(st.integers(1_700_000_000, 1_900_000_000), st.integers(0, 999_999_999))
    edges = st.tuples(
        st.one_of(st.sampled_from([0, -1, -62135596800, -62135596801, 253402300799, 253402300800,
                                   *INT64]), st.integers(*INT64)),
        st.one_of(st.sampled_from([0, -1, 999_999_999, 1_000_000_000, *INT32]), st.integers(*INT32)),
    )
    return st.one_of(valid, valid, edges)


def _scalar(fd) -> st.SearchStrategy[Any]:
    if fd.type == FD.TYPE_STRING:
        return _text(fd)
    if fd.type == FD.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"\x00", b"%PDF-1.7\n", b"x" * 100_000]))
    if fd.type == FD.TYPE_BOOL:
        return st.booleans()
    if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=64 if fd.type == FD.TYPE_DOUBLE else 32)
    if fd.type == FD.TYPE_ENUM:
        known = [v.number for v in fd.enum_type.values]
        return st.one_of(st.sampled_from(known), st.sampled_from([max(known) + 1, -1, *INT32]),
                         st.integers(*INT32))
    return _integer(fd)


@st.composite
def requests(draw, cls):
    """A request of type `cls` with a drawn subset of its fields set, recursively."""
    msg = cls()
    _fill(msg, draw, 0)
    return msg


def _fill(msg, draw, depth: int) -> None:
    if msg.DESCRIPTOR.full_name == TIMESTAMP:
        msg.seconds, msg.nanos = draw(_timestamp())
        return
    for fd in msg.DESCRIPTOR.fields:
        if not draw(st.booleans()):
            continue
        if fd.type == FD.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
            key_fd = fd.message_type.fields_by_name["key"]
            value_fd = fd.message_type.fields_by_name["value"]
            target = getattr(msg, fd.name)
            for _ in range(draw(st.integers(0, 3))):
                key = draw(_scalar(key_fd))
                if value_fd.type == FD.TYPE_MESSAGE:
                    if depth < MAX_DEPTH:
                        _fill(target[key], draw, depth + 1)
                else:
                    target[key] = draw(_scalar(value_fd))
        elif fd.type == FD.TYPE_MESSAGE:
            if depth >= MAX_DEPTH:
                continue
            if fd.is_repeated:
                for _ in range(draw(st.integers(0, 3))):
                    _fill(getattr(msg, fd.name).add(), draw, depth + 1)
            else:
                getattr(msg, fd.name).SetInParent()
                _fill(getattr(msg, fd.name), draw, depth + 1)
        elif fd.is_repeated:
            getattr(msg, fd.name).extend(draw(st.lists(_scalar(fd), max_size=4)))
        else:
            setattr(msg, fd.name, draw(_scalar(fd)))


def _fixed(msg, pick, depth: int = 0):
    """Every field of `msg` set by `pick(fd)` (a scalar), one element per repeated field and map."""
    if msg.DESCRIPTOR.full_name == TIMESTAMP:
        msg.seconds, msg.nanos = pick(None)
        return msg
    for fd in msg.DESCRIPTOR.fields:
        if fd.type == FD.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
            key_fd = fd.message_type.fields_by_name["key"]
            value_fd = fd.message_type.fields_by_name["value"]
            if value_fd.type == FD.TYPE_MESSAGE:
                if depth < MAX_DEPTH:
                    _fixed(getattr(msg, fd.name)[pick(key_fd)], pick, depth + 1)
            else:
                getattr(msg, fd.name)[pick(key_fd)] = pick(value_fd)
        elif fd.type == FD.TYPE_MESSAGE:
            if depth < MAX_DEPTH:
                child = getattr(msg, fd.name).add() if fd.is_repeated else getattr(msg, fd.name)
                child.SetInParent()
                _fixed(child, pick, depth + 1)
        elif fd.is_repeated:
            getattr(msg, fd.name).append(pick(fd))
        else:
            setattr(msg, fd.name, pick(fd))
    return msg


def _edge(upper: bool):
    def pick(fd):
        if fd is None:  # a Timestamp: (seconds, nanos)
            return (INT64[1], 1_000_000_000) if upper else (INT64[0], -1)
        if fd.type == FD.TYPE_STRING:
            return "税\x00" * 8 if upper else ""
        if fd.type == FD.TYPE_BYTES:
            return b"\xff" * 16
        if fd.type == FD.TYPE_BOOL:
            return upper
        if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return float("inf") if upper else float("-inf")
        if fd.type == FD.TYPE_ENUM:
            return INT32[1] if upper else -1
        lo, hi = RANGES[fd.type]
        return hi if upper else lo
    return pick


def _huge(fd):
    if fd is None:
        return 0, 0
    if fd.type == FD.TYPE_STRING:
        return HUGE[1] if fd.containing_type.GetOptions().map_entry else HUGE[0]
    if fd.type == FD.TYPE_BYTES:
        return b"x" * 100_000
    if fd.type == FD.TYPE_ENUM:
        return 1
    if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return 1.0
    return True if fd.type == FD.TYPE_BOOL else 1


def _discover(target: str) -> list[tuple[str, Any]]:
    """(full method path, request class) of every unary method the server at `target` offers,
    learnt over reflection alone."""
    with grpc.insecure_channel(target) as ch:
        database = ProtoReflectionDescriptorDatabase(ch)
        pool = descriptor_pool.DescriptorPool(database)
        found = []
        for name in database.get_services():
            if name.startswith(INFRASTRUCTURE):
                continue
            service = pool.FindServiceByName(name)
            for m in service.methods:
                if m.client_streaming or m.server_streaming:
                    continue
                found.append((f"/{service.full_name}/{m.name}", message_factory.GetMessageClass(m.input_type)))
    return found


IDENTIFYING = ("id", "code", "number", "username", "name", "subject", "kind", "status", "state")


def _harvest(engines) -> dict[tuple[str, str], list[str]]:
    """Up to three values of every id-, code- and name-like text column of every service table."""
    import sqlalchemy as sa

    found: dict[tuple[str, str], list[str]] = {}
    for engine in engines:
        with engine.connect() as conn:
            columns = conn.execute(sa.text(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema='public' "
                "AND data_type IN ('uuid', 'text', 'character varying') AND table_name <> 'alembic_version'"
            )).all()
            for table, column in columns:
                if column in IDENTIFYING or column.endswith(("_id", "_code", "_number")):
                    values = [str(v) for v in conn.execute(sa.text(
                        f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL '
                        f'ORDER BY 1 LIMIT 3')).scalars()]
                    if values:
                        found[(table, column)] = values
    return found


@pytest.fixture
def all_targets(grpc_server, engine_for, redis_client):
    """The five servers over the demo seed (so ids exist and lists are long), KNOWN filled."""
    import io

    from rich.console import Console

    from govkit import demo

    engines = [engine_for(svc) for svc in SERVICES]
    demo.seed(Console(file=io.StringIO(), width=300))
    KNOWN.update(_harvest(engines))
    yield grpc_server(*SERVICES)
    KNOWN.clear()


def _fuzz(target: str, token: str, method: str, cls) -> None:
    ch = channel(target, token)
    call = ch.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=lambda b: b)

    examples = min(MAX_EXAMPLES, SLOW.get(method.rsplit("/", 1)[-1], MAX_EXAMPLES))

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), print_blob=False,
              report_multiple_bugs=False)
    @example(cls())
    @example(_fixed(cls(), _edge(True)))
    @example(_fixed(cls(), _edge(False)))
    @example(_fixed(cls(), _huge))
    @given(requests(cls))
    def check(request) -> None:
        try:
            call(request, timeout=30)
        except grpc.RpcError as err:
            assert err.code() not in NOT_HANDLED, (
                f"{method} answered {err.code().name}: {err.details()[:300]}\nrequest: "
                f"{text_format.MessageToString(request, as_utf8=True)[:2000]}")

    try:
        check()
    finally:
        ch.close()


def test_every_unary_method_answers_every_input_without_internal_or_unknown(all_targets, admin_token):
    methods = {svc: _discover(target) for svc, target in all_targets.items()}
    assert all(methods.values()), {svc: len(m) for svc, m in methods.items()}
    failures = []
    for svc, found in methods.items():
        for method, cls in found:
            try:
                _fuzz(all_targets[svc], admin_token, method, cls)
            except AssertionError as exc:
                failures.append(str(exc))
    assert not failures, "\n\n".join(failures)
