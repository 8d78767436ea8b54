"""Tests of protocol/topics.py against §2.2 (topics) and §2.3 (limits)."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, methodcaller

import pytest

from custom_components.flexapi.protocol.errors import FlexApiValueError
from custom_components.flexapi.protocol.topics import (
    DEFAULT_INTERVALS,
    MAX_TOPIC_GROUPS,
    RESERVED_GROUPS,
    ParsedTopic,
    TopicKind as K,
    Topics,
    normalize_prefix,
    parse_suffix,
    remember,
    split_topic,
    validate_client_id,
    validate_group_name,
)

from .spec_examples import CLIENT_ID

#: §2.2.1.1 / §2.2.1.2: timer-triggered and settable reserved groups.
INFO_GROUPS = (
    "summary",
    "obd",
    "gnss",
    "motion",
    "io",
    "cellular1",
    "userdata",
    "1-wire",
)
#: §2.2.1.3: groups with an on-demand refresh.
REFRESH_GROUPS = (*INFO_GROUPS, "sysinfo", "app")
#: Names a custom group must not take: every reserved topic level.
RESERVED_NAMES = (*REFRESH_GROUPS, "group", "event", "forward")

Builder = Callable[[Topics], str]


def _request_topics() -> list[tuple[str, Builder, ParsedTopic]]:
    """(suffix after v1/{client_id}/, builder, parse result) for every topic."""
    rows: list[tuple[str, Builder, ParsedTopic]] = []
    for method, kind, groups in (
        ("info", K.INFO, (*INFO_GROUPS, "group1", "forward")),
        ("set", K.SET, (*INFO_GROUPS, "group1")),
        ("refresh", K.REFRESH, (*REFRESH_GROUPS, "group1")),
    ):
        rows += [
            (f"{group}/{method}", methodcaller(method, group), ParsedTopic(kind, group))
            for group in groups
        ]
    for suffix, attribute, parsed in (
        ("group/set", "group_set", ParsedTopic(K.GROUP_SET)),
        ("group/get", "group_get", ParsedTopic(K.GROUP_GET)),
        ("io/control", "io_control", ParsedTopic(K.IO_CONTROL)),
        ("app/control", "app_control", ParsedTopic(K.APP_CONTROL)),
        ("event/notice", "event_notice", ParsedTopic(K.EVENT_NOTICE)),
        ("forward/info", "forward_info", ParsedTopic(K.INFO, "forward")),
    ):
        rows.append((suffix, attrgetter(attribute), parsed))
    return rows


REQUEST_TOPICS = _request_topics()
#: Kind of the ``/resp`` topic of each request kind that has one.
RESP_KIND = {
    K.SET: K.SET_RESP,
    K.REFRESH: K.REFRESH_RESP,
    K.GROUP_SET: K.GROUP_SET_RESP,
    K.GROUP_GET: K.GROUP_GET_RESP,
    K.IO_CONTROL: K.IO_CONTROL_RESP,
    K.APP_CONTROL: K.APP_CONTROL_RESP,
}
RESPONSE_TOPICS = [
    (f"{suffix}/resp", ParsedTopic(RESP_KIND[parsed.kind], parsed.group))
    for suffix, _, parsed in REQUEST_TOPICS
    if parsed.kind in RESP_KIND
]

#: (prefix as configured, normalised prefix)
PREFIXES = [
    (None, ""),
    ("", ""),
    ("/", ""),
    ("fleet", "fleet/"),
    ("fleet/", "fleet/"),
    ("/fleet", "fleet/"),
    (" fleet ", "fleet/"),
    ("fleet/site1", "fleet/site1/"),
    ("/fleet/site1/", "fleet/site1/"),
    ("a/b/c/d", "a/b/c/d/"),
    ("v1", "v1/"),
]
#: Representative prefixes for the (many) topic-by-topic tests.
TOPIC_PREFIXES = [
    (None, ""),
    ("fleet", "fleet/"),
    ("/fleet/site1/", "fleet/site1/"),
    ("v1", "v1/"),
]
TOPIC_PREFIX_IDS = [repr(raw) for raw, _ in TOPIC_PREFIXES]


def _mqtt_match(topic_filter: str, topic: str) -> bool:
    """MQTT 3.1.1 topic filter matching ('+' one level, '#' the rest)."""
    levels, wanted = topic.split("/"), topic_filter.split("/")
    for index, part in enumerate(wanted):
        if part == "#":
            return True
        if index >= len(levels) or part not in ("+", levels[index]):
            return False
    return len(levels) == len(wanted)


# ---------------------------------------------------------------------------
# Builders and parsing


@pytest.mark.parametrize(("raw", "prefix"), TOPIC_PREFIXES, ids=TOPIC_PREFIX_IDS)
@pytest.mark.parametrize(
    ("suffix", "build", "parsed"),
    REQUEST_TOPICS,
    ids=[row[0] for row in REQUEST_TOPICS],
)
def test_request_topic_builders(
    raw: str | None, prefix: str, suffix: str, build: Builder, parsed: ParsedTopic
) -> None:
    topics = Topics(CLIENT_ID, raw)  # type: ignore[arg-type]
    topic = build(topics)
    assert topic == f"{prefix}v1/{CLIENT_ID}/{suffix}"
    assert topics.parse(topic) == parsed
    assert split_topic(topic) == (prefix, CLIENT_ID, parsed)


@pytest.mark.parametrize(("raw", "prefix"), TOPIC_PREFIXES, ids=TOPIC_PREFIX_IDS)
@pytest.mark.parametrize(
    ("suffix", "parsed"), RESPONSE_TOPICS, ids=[row[0] for row in RESPONSE_TOPICS]
)
def test_response_topics(
    raw: str | None, prefix: str, suffix: str, parsed: ParsedTopic
) -> None:
    topics = Topics(CLIENT_ID, raw)  # type: ignore[arg-type]
    request = topics.base + suffix.removesuffix("/resp")
    topic = Topics.response(request)
    assert topic == f"{prefix}v1/{CLIENT_ID}/{suffix}"
    assert topics.parse(topic) == parsed
    assert split_topic(topic) == (prefix, CLIENT_ID, parsed)


def test_topic_tables_cover_spec() -> None:
    # §2.2: 8 info, 8 set and 10 refresh reserved topics, group/set,
    # group/get, io/control, app/control; 1.0.9 event/notice and forward/info
    # (built both ways); one custom group's info, set and refresh.
    assert len(REQUEST_TOPICS) == (8 + 8 + 10) + 4 + (1 + 2) + 3
    assert len(RESPONSE_TOPICS) == (8 + 10) + 4 + 2


def test_base_and_prefix_attributes() -> None:
    topics = Topics("dev", "/fleet/site1/")
    assert topics.prefix == "fleet/site1/"
    assert topics.base == "fleet/site1/v1/dev/"
    assert Topics("dev").base == "v1/dev/"


@pytest.mark.parametrize(
    "topic",
    [
        "v1/other/gnss/info",  # another device
        f"v2/{CLIENT_ID}/gnss/info",
        f"fleet/v1/{CLIENT_ID}/gnss/info",  # a prefix we were not given
        f"v1/{CLIENT_ID}",
        f"v1/{CLIENT_ID}/",
        f"v1/{CLIENT_ID}/gnss",
        f"v1/{CLIENT_ID}/gnss/get",
        f"v1/{CLIENT_ID}/gnss/info/resp",
        f"v1/{CLIENT_ID}/a/b/info",
        f"v1/{CLIENT_ID}/event/notice/resp",
    ],
)
def test_parse_rejects_foreign_and_unknown_topics(topic: str) -> None:
    assert Topics(CLIENT_ID).parse(topic) is None


def test_parse_with_prefix_requires_the_prefix() -> None:
    topics = Topics(CLIENT_ID, "fleet")
    assert topics.parse(f"v1/{CLIENT_ID}/gnss/info") is None
    assert topics.parse(f"fleet/v1/{CLIENT_ID}/gnss/info") == ParsedTopic(
        K.INFO, "gnss"
    )


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        # Fixed topics win over {group}/{tail}: "group" is not a data group.
        ("group/set", ParsedTopic(K.GROUP_SET)),
        ("group/set/resp", ParsedTopic(K.GROUP_SET_RESP)),
        ("group/get/resp", ParsedTopic(K.GROUP_GET_RESP)),
        ("io/control", ParsedTopic(K.IO_CONTROL)),
        ("io/set", ParsedTopic(K.SET, "io")),
        ("io/refresh/resp", ParsedTopic(K.REFRESH_RESP, "io")),
        ("app/control/resp", ParsedTopic(K.APP_CONTROL_RESP)),
        ("app/refresh/resp", ParsedTopic(K.REFRESH_RESP, "app")),
        ("1-wire/info", ParsedTopic(K.INFO, "1-wire")),
        ("sysinfo/refresh/resp", ParsedTopic(K.REFRESH_RESP, "sysinfo")),
        ("my group/info", ParsedTopic(K.INFO, "my group")),
        ("", None),
        ("info", None),
        ("/info", None),
        ("gnss/", None),
        ("gnss//info", None),
        ("gnss/set/resp/resp", None),
        ("group/get/resp/x", None),
        ("event", None),
    ],
)
def test_parse_suffix(suffix: str, expected: ParsedTopic | None) -> None:
    assert parse_suffix(suffix) == expected


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("v1/dev/gnss/info", ("", "dev", ParsedTopic(K.INFO, "gnss"))),
        (
            "fleet/site1/v1/dev/io/control/resp",
            ("fleet/site1/", "dev", ParsedTopic(K.IO_CONTROL_RESP)),
        ),
        (
            "v1/dev/group1/refresh/resp",
            ("", "dev", ParsedTopic(K.REFRESH_RESP, "group1")),
        ),
        # A prefix "v1" and a client_id "v1" are both told apart.
        ("v1/v1/dev/gnss/info", ("v1/", "dev", ParsedTopic(K.INFO, "gnss"))),
        ("v1/v1/gnss/info", ("", "v1", ParsedTopic(K.INFO, "gnss"))),
        ("v1/x/v1/dev/event/notice", ("v1/x/", "dev", ParsedTopic(K.EVENT_NOTICE))),
        ("v1/dev/unknown", None),
        ("v2/dev/gnss/info", None),
        ("v1//gnss/info", None),
        ("gnss/info", None),
        ("v1/dev", None),
        ("", None),
        ("v1/" + "a" * 129 + "/gnss/info", None),  # client_id over 128 bytes
    ],
)
def test_split_topic(topic: str, expected: tuple[str, str, ParsedTopic] | None) -> None:
    assert split_topic(topic) == expected


@pytest.mark.parametrize(("raw", "prefix"), PREFIXES)
def test_subscriptions(raw: str | None, prefix: str) -> None:
    topics = Topics(CLIENT_ID, raw)  # type: ignore[arg-type]
    base = f"{prefix}v1/{CLIENT_ID}/"
    # Shared by every device of the prefix; dispatched by the client_id level.
    assert topics.subscriptions == (
        f"{prefix}v1/+/+/info",
        f"{prefix}v1/+/+/+/resp",
        f"{prefix}v1/+/event/notice",
    )
    assert topics.subscriptions == Topics("OTHER", raw).subscriptions  # type: ignore[arg-type]
    upload = topics.info("gnss")
    assert upload[topics.dispatch_offset :].partition("/")[0] == CLIENT_ID

    def covered(topic: str) -> bool:
        return any(_mqtt_match(f, topic) for f in topics.subscriptions)

    # Everything the device publishes is received...
    for suffix, _ in RESPONSE_TOPICS:
        assert covered(base + suffix), suffix
    for suffix, _, parsed in REQUEST_TOPICS:
        published_by_device = parsed.kind in (K.INFO, K.EVENT_NOTICE)
        # ...and none of our own requests echo back to us.
        assert covered(base + suffix) is published_by_device, suffix
    # Another device's uploads are received too (the client dispatch drops
    # them); nothing outside the prefix is.
    assert covered(f"{prefix}v1/other/gnss/info")
    assert not covered(f"elsewhere/{prefix}v1/other/gnss/info")


# ---------------------------------------------------------------------------
# Prefix normalisation


@pytest.mark.parametrize(
    ("raw", "prefix"), [*PREFIXES, ("fleet//", "fleet/"), ("//a/b//", "a/b/")]
)
def test_normalize_prefix(raw: str | None, prefix: str) -> None:
    assert normalize_prefix(raw) == prefix
    assert normalize_prefix(prefix) == prefix  # idempotent


@pytest.mark.parametrize(
    "raw",
    [
        "a//b",
        "fleet//site1",
        "+",
        "#",
        "a/+/b",
        "fleet/#",
        "fl+eet",
        "fl\x00eet",
        "fl\neet",
        "fleet\x7f/x",
        "a\x85b",
        "a\ud800b",
        "x" * 257,
    ],
)
def test_invalid_prefixes_rejected(raw: str) -> None:
    with pytest.raises(FlexApiValueError):
        normalize_prefix(raw)
    with pytest.raises(FlexApiValueError):
        Topics(CLIENT_ID, raw)


def test_prefix_length_limit_counts_bytes() -> None:
    assert normalize_prefix("x" * 256) == "x" * 256 + "/"
    with pytest.raises(FlexApiValueError):
        normalize_prefix("é" * 129)  # 129 characters, 258 bytes


# ---------------------------------------------------------------------------
# client_id and group names (§2.3: up to 128 bytes of UTF-8)

VALID_NAMES = [
    "a",
    "group1",
    "VG7102021092401",
    "with space",
    "dash-dot.under_score",
    "a" * 128,
    "é" * 64,  # 128 bytes
    "€" * 42,  # 126 bytes
    "😀" * 32,  # 128 bytes
]
INVALID_NAMES = [
    "",
    "a" * 129,
    "é" * 64 + "a",  # 65 characters, 129 bytes
    "é" * 65,
    "€" * 43,  # 43 characters, 129 bytes
    "😀" * 33,  # 33 characters, 132 bytes
    "+",
    "#",
    "/",
    "a+b",
    "a#b",
    "a/b",
    "dev/",
    "a\x00b",
    "a\nb",
    "a\tb",
    "a\x7fb",
    "a\x85b",
    "a\ud800b",  # lone surrogate: not encodable as UTF-8
    None,
    123,
    b"dev",
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_client_ids(name: str) -> None:
    assert validate_client_id(name) == name
    assert Topics(name).base == f"v1/{name}/"


@pytest.mark.parametrize("name", INVALID_NAMES, ids=repr)
def test_invalid_client_ids(name: str) -> None:
    with pytest.raises(FlexApiValueError):
        validate_client_id(name)
    with pytest.raises(FlexApiValueError):
        Topics(name)


@pytest.mark.parametrize("name", [*VALID_NAMES, "Summary", "groups", "summary2"])
def test_valid_group_names(name: str) -> None:
    assert validate_group_name(name) == name


@pytest.mark.parametrize("name", [*INVALID_NAMES, *RESERVED_NAMES], ids=repr)
def test_invalid_group_names(name: str) -> None:
    with pytest.raises(FlexApiValueError):
        validate_group_name(name)


def test_reserved_names_are_still_valid_client_ids() -> None:
    # Reserved names only matter as a topic level after the client_id.
    for name in RESERVED_NAMES:
        assert validate_client_id(name) == name


def test_default_intervals() -> None:
    # §3.2.2-§3.2.9: 10 s for every reserved group except cellular1 (30 s).
    assert DEFAULT_INTERVALS == {
        "summary": 10,
        "obd": 10,
        "gnss": 10,
        "motion": 10,
        "io": 10,
        "cellular1": 30,
        "userdata": 10,
        "1-wire": 10,
    }


def test_remember_evicts_the_oldest_key_once_full() -> None:
    table: dict[str, int] = {}
    for n in range(5):
        remember(table, f"t{n}", n, limit=3)
    assert table == {"t2": 2, "t3": 3, "t4": 4}
    remember(table, "t3", 33, limit=3)  # a known key: nothing evicted
    assert table == {"t2": 2, "t3": 33, "t4": 4}


def test_max_topic_groups_fits_every_real_topic_group() -> None:
    # 8 reserved groups, forward and 16 custom groups (§2.3).
    assert len(RESERVED_GROUPS) + 1 + 16 <= MAX_TOPIC_GROUPS
