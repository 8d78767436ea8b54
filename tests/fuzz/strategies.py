"""Hypothesis strategies for hostile FlexAPI payloads.

They cover what the brief of the fuzz tests asks for: JSON of wrong shapes
and types, non-JSON bytes and invalid UTF-8, deep nesting, payloads up to
1 MB, huge numbers, NaN and Infinity, and keys that collide with aliases.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from custom_components.flexapi.protocol.catalog import CATALOG
from custom_components.flexapi.protocol.topics import REFRESH_GROUPS, RESERVED_GROUPS

#: Keys of the sentinel group, whose entities must keep their values.
SENTINEL_PREFIXES = ("cellular1.", "modem1.")
#: Custom groups the fuzzed gateway has, with aliases that collide: an alias
#: that is another parameter's canonical key, one shared by two keys of two
#: groups, a digit-zero spelling, and the empty alias (no alias).
CUSTOM_GROUPS: list[dict[str, Any]] = [
    {
        "group_name": "g1",
        "interval": 60,
        "interest": {
            "gnss.latitude": "lat",
            "gnss.longitude": "obd.speed",
            "obd.speed": "gnss.longitude",
            "obd.rpm": "io.D01",
            "userdata.custom_key": "custom_key",
        },
    },
    {
        "group_name": "g2",
        "interval": 30,
        "interest": {"io.DI1": "lat", "io.D01": "D01", "io.AI1": "", "gnss.ts": "ts"},
    },
]
ALIASES = sorted(
    {alias for group in CUSTOM_GROUPS for alias in group["interest"].values()}
)
CATALOG_KEYS = sorted(key for key in CATALOG if not key.startswith(SENTINEL_PREFIXES))

keys = st.one_of(
    st.sampled_from(CATALOG_KEYS),
    st.sampled_from(ALIASES),
    st.sampled_from(
        ["io.D01", "io.DO01", "io.D1", "userdata.", "gnss.", "client_token"]
    ),
    st.builds(lambda g, t: f"{g}.{t}", st.sampled_from(REFRESH_GROUPS), st.text()),
    st.text(max_size=20),
).filter(lambda key: not key.startswith(SENTINEL_PREFIXES))

EDGE_NUMBERS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "-0",
    "-0.0",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1" + "0" * 400,
    "0.1e1",
    "1E+2",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "null", "true", "1", "1.5", "NaN", "0x10", "1e400"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)
objects = st.dictionaries(keys, values, max_size=10)


def dumps(value: Any) -> bytes:
    """JSON as a gateway might write it (NaN and Infinity included)."""
    return json.dumps(value, allow_nan=True).encode()


@st.composite
def edge_number_objects(draw: st.DrawFn) -> bytes:
    """An object whose numbers are huge, tiny, NaN or infinite."""
    chosen = draw(st.lists(st.tuples(keys, st.sampled_from(EDGE_NUMBERS)), max_size=6))
    good = draw(objects)
    body = ",".join(f"{json.dumps(key)}:{number}" for key, number in chosen)
    rest = dumps(good).decode()[1:-1]
    return ("{" + ",".join(part for part in (body, rest) if part) + "}").encode()


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    """Valid JSON bytes, then truncated or with invalid UTF-8 spliced in."""
    raw = dumps(draw(objects))
    cut = draw(st.integers(0, len(raw)))
    how = draw(st.sampled_from(["truncate", "splice", "replace"]))
    junk = draw(
        st.sampled_from(
            [b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x80"]
        )
    )
    if how == "truncate":
        return raw[:cut]
    if how == "splice":
        return raw[:cut] + junk + raw[cut:]
    return raw[:cut] + junk + raw[cut + 1 :]


@st.composite
def deep(draw: st.DrawFn) -> bytes:
    """Nesting far past any parser's recursion limit, or just under it."""
    depth = draw(st.sampled_from([10, 500, 1000, 1023, 1024, 1025, 5000, 100_000]))
    key = draw(keys)
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * depth + "1" + closer * depth
    wrap = draw(st.sampled_from(["bare", "value", "result", "error"]))
    if wrap == "bare":
        return inner.encode()
    if wrap == "value":
        return f"{{{json.dumps(key)}:{inner}}}".encode()
    return f'{{"client_token":"t","{wrap}":{inner}}}'.encode()


@st.composite
def large(draw: st.DrawFn) -> bytes:
    """Payloads of up to 1 MB: a long value, many keys, or a long list."""
    size = draw(st.sampled_from([1 << 10, 1 << 16, 1 << 20]))
    kind = draw(st.sampled_from(["string", "keys", "list", "known"]))
    key = draw(keys)
    if kind == "string":
        return dumps({key: "x" * size})
    if kind == "list":
        return dumps({key: [1.5] * (size // 5)})
    if kind == "known":
        # Every catalog key, repeated values: lots of valid work at once.
        return dumps({k: "y" * (size // len(CATALOG_KEYS)) for k in CATALOG_KEYS})
    return dumps({f"k{n}": n for n in range(size // 12)})


payloads = st.one_of(
    objects.map(dumps),
    values.map(dumps),
    st.binary(max_size=200),
    st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
    edge_number_objects(),
    corrupted(),
    deep(),
    large(),
)

events = st.fixed_dictionaries(
    {
        "type": st.one_of(st.just("DI_CHG"), st.text(max_size=10), values),
        "status": st.one_of(st.sampled_from(["raise", "clear"]), values),
    },
    optional={
        "starts_at": st.one_of(st.integers(), values),
        "ends_at": st.one_of(st.integers(), values),
        "level": st.one_of(st.integers(-10, 10), values),
    },
).flatmap(
    lambda event: st.dictionaries(keys, values, max_size=6).map(
        lambda data: {**data, **event}
    )
)
event_payloads = st.one_of(
    events.map(dumps),
    events.map(lambda event: dumps({"topic": "v1/VG1/event/notice", "payload": event})),
    payloads,
)

#: Topic suffixes a gateway publishes on (after ``v1/{client_id}/``).
INFO_SUFFIXES = [
    *(f"{group}/info" for group in RESERVED_GROUPS),
    "g1/info",
    "g2/info",
    "forward/info",
    "unknown/info",
    "sysinfo/info",
]
RESPONSE_SUFFIXES = [
    *(f"{group}/refresh/resp" for group in REFRESH_GROUPS),
    *(f"{group}/set/resp" for group in RESERVED_GROUPS),
    "g1/refresh/resp",
    "group/get/resp",
    "group/set/resp",
    "io/control/resp",
    "app/control/resp",
]
ALL_SUFFIXES = [*INFO_SUFFIXES, *RESPONSE_SUFFIXES, "event/notice"]


def responses(tokens: list[str]) -> st.SearchStrategy[bytes]:
    """Response bodies: pending or foreign tokens, any result or error."""
    token = st.one_of(st.sampled_from(tokens), st.text(max_size=8), values)
    body = st.fixed_dictionaries(
        {"client_token": token},
        optional={
            "result": values,
            "error": st.one_of(
                st.sampled_from(["device_busy", "not_found", "data_empty"]), values
            ),
            "error_desc": values,
        },
    )
    return st.one_of(body.map(dumps), objects.map(dumps), payloads)
