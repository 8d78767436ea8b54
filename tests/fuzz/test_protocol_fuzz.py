"""Fuzz the pure protocol parsers: nothing raises, whatever arrives."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.flexapi.protocol import messages as msgs
from custom_components.flexapi.protocol.catalog import lookup
from custom_components.flexapi.protocol.store import ParameterStore
from custom_components.flexapi.protocol.topics import (
    RESERVED_GROUPS,
    Topics,
    split_topic,
)

from . import strategies as fs

TOPICS = Topics("VG1")
#: Examples run per test, reported at the end of the module.
RAN: dict[str, int] = {}


def count(name: str) -> None:
    """Count one example of a test."""
    RAN[name] = RAN.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def report() -> Any:
    """Print how many examples each fuzz test ran."""
    yield
    print(f"\nprotocol fuzz examples: {RAN} (total {sum(RAN.values())})")


def _scalar_or_none(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, str)):
        return True
    return isinstance(value, float) and math.isfinite(value)


@given(fs.payloads)
def test_decode_object_never_raises(payload: bytes) -> None:
    count("decode_object")
    obj = msgs.decode_object(payload)
    assert obj is None or isinstance(obj, dict)


@given(fs.payloads)
def test_responses_and_events_parse_or_are_refused(payload: bytes) -> None:
    count("parse_response/parse_event")
    obj = msgs.decode_object(payload)
    if obj is None:
        return
    response = msgs.parse_response(obj)
    assert response is None or isinstance(response, msgs.Response)
    event = msgs.parse_event(obj)
    if event is not None:
        assert event.status in ("raise", "clear")
        assert isinstance(event.type, str)
        assert event.type
    msgs.parse_custom_groups(obj.get("result"))


@given(fs.event_payloads)
def test_events_parse_or_are_refused(payload: bytes) -> None:
    count("parse_event")
    if (obj := msgs.decode_object(payload)) is not None:
        msgs.parse_event(obj)


@given(fs.values)
def test_custom_group_results_parse_or_are_refused(result: Any) -> None:
    count("parse_custom_groups")
    groups = msgs.parse_custom_groups(result)
    assert groups is None or all(isinstance(g.name, str) for g in groups)


@given(st.sampled_from([None, *RESERVED_GROUPS, "g1", "g2"]), fs.payloads)
def test_store_keeps_only_valid_values(group: str | None, payload: bytes) -> None:
    count("store.ingest")
    store = ParameterStore()
    for custom in fs.CUSTOM_GROUPS:
        store.set_interest(custom["group_name"], custom["interest"])
    if (obj := msgs.decode_object(payload)) is None:
        return
    if group is not None:
        store.is_replay(group, obj)
    store.ingest(group, obj)
    for key, value in store.values.items():
        assert _scalar_or_none(value), (key, value)
        if value is not None and (param := lookup(key)) is not None:
            assert param.coerce(value) == value, (key, value)
    assert len(store.unmapped) <= 256


@given(st.text())
def test_topic_parsers_never_raise(topic: str) -> None:
    count("topics")
    TOPICS.parse(topic)
    TOPICS.parse(TOPICS.base + topic)
    split_topic(topic)


@settings(max_examples=200)
@given(st.lists(fs.payloads, min_size=2, max_size=6))
def test_a_stream_of_junk_never_breaks_a_store(stream: list[bytes]) -> None:
    count("store stream")
    store = ParameterStore()
    for payload in stream:
        if (obj := msgs.decode_object(payload)) is not None:
            store.ingest("summary", obj)
    store.ingest("obd", {"obd.speed": 50})
    assert store.get("obd.speed") == 50
