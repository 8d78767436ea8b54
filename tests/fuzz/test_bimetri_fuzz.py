"""Fuzz the Bimetri path: command responses and notifications.

The pure parser (:func:`protocol.bimetri.parse_message`) and the HA-level
path: hostile messages on ``application/third-party/{app}/{instance}``
through HA's MQTT dispatch (``async_fire_mqtt_message``). Afterwards nothing
was logged at warning level or above (HA logs every exception a message
callback raises), the other output kept its state, and the runtime still
answers a command and still applies a notification.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, State
from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.bimetri import BimetriRuntime
from custom_components.flexapi.protocol import bimetri as proto
from tests.bimetri_helpers import (
    APP_ID,
    TOPIC,
    BimetriPlatformMock,
    make_bimetri_entry,
    turns,
)
from tests.helpers import start

from . import strategies as fs

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

#: Examples per test; ``HYPOTHESIS_PROFILE=thorough`` multiplies them.
EXAMPLES = max(150, settings().max_examples // 10)
RAN: dict[str, int] = {}
#: The output the fuzzer may switch (4) and the sentinel it must never touch (0).
FUZZED = "switch.boiler_output_4"
SENTINEL = "switch.boiler_output_0"


def count(name: str) -> None:
    """Count one example of a test."""
    RAN[name] = RAN.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def report() -> Any:
    """Print how many examples each test ran."""
    yield
    print(f"\nBimetri fuzz examples: {RAN} (total {sum(RAN.values())})")


# -- hostile Bimetri messages --------------------------------------------------

bimetri_keys = st.one_of(
    st.sampled_from(
        [
            "messageType",
            "notificationType",
            "correlationId",
            "result",
            "reason",
            "data",
            "parameters",
            "appId",
            "userName",
            "userId",
            "resourceId",
            "output",
            "status",
            "brand",
            "model",
            "networkId",
            "command",
        ]
    ),
    fs.keys,
)
bimetri_values = st.recursive(
    fs.scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(bimetri_keys, children, max_size=4),
    ),
    max_leaves=12,
)
#: A resourceId, output or status: the valid ones, their neighbours, and junk.
numbers = st.one_of(
    st.sampled_from([101, 4, 0, 1, -1, 2, 102]),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["101", "4", "1", ""]),
    bimetri_values,
)
correlation_ids = st.one_of(
    st.sampled_from(["c1", "100", ""]),
    st.integers(),
    st.text(max_size=12),
    bimetri_values,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, bimetri_values)


responses_ = st.fixed_dictionaries(
    {"messageType": st.one_of(st.just("commandResponse"), bimetri_values)},
    optional={
        "correlationId": correlation_ids,
        "result": _maybe(st.sampled_from([*proto.RESULTS, "SENT", ""])),
        "reason": bimetri_values,
        "data": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "resourceId": numbers,
                    "brand": bimetri_values,
                    "model": bimetri_values,
                    "networkId": _maybe(
                        st.sampled_from(["26:AA:E0:23:23:5E", "zz", ""])
                    ),
                },
            )
        ),
    },
)
notifications = st.fixed_dictionaries(
    {
        "messageType": st.one_of(st.just("notification"), bimetri_values),
        "notificationType": st.one_of(
            st.just(proto.EXT_DO_STATE_CHANGED), bimetri_values
        ),
        "parameters": _maybe(
            st.fixed_dictionaries(
                {
                    # Never the sentinel's key: resource 101 output 0.
                    "resourceId": numbers,
                    "output": numbers.filter(lambda o: o != 0 or o is False),
                    "status": numbers,
                },
                optional={
                    "brand": bimetri_values,
                    "model": bimetri_values,
                    "networkId": bimetri_values,
                },
            )
        ),
    },
    optional={
        "appId": _maybe(st.sampled_from([APP_ID, "other.1", "", "flexyWattApp.2"])),
        "correlationId": correlation_ids,
        "userName": bimetri_values,
        "userId": numbers,
    },
).filter(lambda note: not _touches_sentinel(note))


def _touches_sentinel(note: dict[str, Any]) -> bool:
    params = note.get("parameters")
    return (
        isinstance(params, dict)
        and type(params.get("resourceId")) is int
        and type(params.get("output")) is int
        and params.get("output") == 0
    )


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


#: Every hostile payload the FlexAPI fuzzers use, plus Bimetri-shaped ones.
bimetri_payloads = st.one_of(
    responses_.map(_dumps),
    notifications.map(_dumps),
    st.dictionaries(bimetri_keys, bimetri_values, max_size=10).map(_dumps),
    fs.payloads,
)


# -- the pure parser -------------------------------------------------------------


@given(st.one_of(responses_, notifications, bimetri_values))
def test_parse_message_never_raises(obj: Any) -> None:
    """Whatever arrives parses to a well-typed message or to None."""
    count("parse_message")
    if not isinstance(obj, dict):
        return
    parsed = proto.parse_message(obj)
    if isinstance(parsed, proto.CommandResponse):
        assert isinstance(parsed.correlation_id, str)
        assert parsed.correlation_id
        assert isinstance(parsed.result, str)
        assert isinstance(parsed.reason, str)
        assert parsed.resource_id is None or type(parsed.resource_id) is int
        device = parsed.device
    elif isinstance(parsed, proto.ExtDoState):
        assert type(parsed.resource_id) is int
        assert type(parsed.output) is int
        assert isinstance(parsed.status, bool)
        assert parsed.user_id is None or type(parsed.user_id) is int
        device = parsed.device
    else:
        assert parsed is None
        return
    for text in (device.brand, device.model, device.network_id):
        assert text is None or (isinstance(text, str) and text)


@given(st.one_of(st.text(max_size=200), bimetri_values))
def test_jwt_helpers_never_raise(token: Any) -> None:
    """Expiry reading and redaction take anything."""
    count("jwt helpers")
    proto.jwt_expiry(token)
    if isinstance(token, str):
        assert len(proto.redact_jwt(token)) <= 6 + len("…(redacted)")


@given(bimetri_values)
def test_app_id_validation_never_raises_anything_else(value: Any) -> None:
    """A hostile appId is refused with our own error, nothing else."""
    count("validate_app_id")
    try:
        name, instance = proto.validate_app_id(value)
    except proto.FlexApiValueError:
        return
    assert f"{name}.{instance}" == value


# -- through Home Assistant --------------------------------------------------------


def _snapshot(state: State | None) -> tuple[Any, ...]:
    assert state is not None
    return (state.state, dict(state.attributes), state.last_updated)


class Harness:
    """A loaded Bimetri application with both outputs confirmed."""

    def __init__(
        self, hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
    ) -> None:
        """Bind to the test's HA."""
        self.hass = hass
        self.platform = BimetriPlatformMock(hass, mqtt_mock)
        self.entry = entry
        self.sentinel: tuple[Any, ...] = ()

    @property
    def runtime(self) -> BimetriRuntime:
        """The entry's runtime."""
        runtime: BimetriRuntime = self.entry.runtime_data
        return runtime

    async def prepare(self) -> None:
        """Both outputs confirmed by notifications; one command pending."""
        await self.platform.notify(output=4, status=0, correlation_id="boot4")
        await self.platform.notify(output=0, status=1, correlation_id="boot0")
        self.sentinel = _snapshot(self.hass.states.get(SENTINEL))
        assert self.sentinel[0] == "on"

    def deliver(self, topic: str, payload: bytes, qos: int) -> None:
        """One hostile message, through HA's MQTT dispatch."""
        async_fire_mqtt_message(self.hass, topic, payload, qos=qos)

    async def check(self, caplog: pytest.LogCaptureFixture) -> None:
        """Nothing logged, the sentinel intact, and a command still works."""
        hass = self.hass
        await turns(hass)
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert problems == [], [r.getMessage()[:300] for r in problems]
        assert _snapshot(hass.states.get(SENTINEL)) == self.sentinel
        assert self.entry.state is ConfigEntryState.LOADED
        sent = len(self.platform.commands)
        call = start(
            hass.services.async_call(
                "switch", "turn_on", {"entity_id": FUZZED}, blocking=True
            )
        )
        await turns(hass)
        assert len(self.platform.commands) == sent + 1
        command = self.platform.last
        await self.platform.respond(command=command)
        await turns(hass)
        assert call.done()
        assert call.exception() is None
        await self.platform.notify(command=command)
        state = hass.states.get(FUZZED)
        assert state is not None
        assert state.state == "on"
        assert state.attributes["last_command_result"] == "confirmed"
        assert _snapshot(hass.states.get(SENTINEL)) == self.sentinel


@pytest.fixture
async def harness(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> AsyncGenerator[Harness]:
    """A prepared harness; the log is captured from here on."""
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    ready = Harness(hass, mqtt_mock, entry)
    await ready.prepare()
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    yield ready
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _run(harness: Harness, name: str, strategy: st.SearchStrategy[Any]) -> None:
    RAN.setdefault(name, 0)

    @settings(max_examples=EXAMPLES)
    @given(strategy, st.sampled_from([0, 1, 2]))
    def deliver(message: tuple[str, bytes], qos: int) -> None:
        RAN[name] += 1
        topic, payload = message
        harness.deliver(topic, payload, qos)
        if qos:  # a redelivery of the same message
            harness.deliver(topic, payload, qos)

    deliver()


async def test_fuzz_bimetri_messages(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Responses, notifications and junk on the application's topic."""
    _run(harness, "ha messages", st.tuples(st.just(TOPIC), bimetri_payloads))
    await harness.check(caplog)


async def test_fuzz_bimetri_responses_to_a_waiting_command(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Hostile answers while a command waits for its commandResponse."""
    hass = harness.hass
    waiting = start(
        hass.services.async_call(
            "switch", "turn_off", {"entity_id": FUZZED}, blocking=True
        )
    )
    await turns(hass)
    cid = harness.platform.last["correlationId"]
    answers = st.one_of(
        responses_.map(lambda r: {**r, "correlationId": cid}).map(_dumps),
        responses_.map(_dumps),
        fs.payloads,
    ).filter(lambda raw: not _is_answer(raw, cid))
    _run(harness, "ha answers", st.tuples(st.just(TOPIC), answers))
    await turns(hass)
    assert not waiting.done()  # nothing hostile answered it
    await harness.platform.respond(result="failed", reason="Offline")
    assert waiting.done()
    assert waiting.exception() is not None
    await harness.check(caplog)


def _is_answer(raw: bytes, cid: str) -> bool:
    """Whether a payload is a well-formed commandResponse to ``cid``."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    if not isinstance(obj, dict):
        return False
    parsed = proto.parse_message(obj)
    return isinstance(parsed, proto.CommandResponse) and parsed.correlation_id == cid


#: The worst of each kind, always delivered (the derandomized run may miss them).
WORST = {
    "deep-100k-list": b"[" * 100_000 + b"1" + b"]" * 100_000,
    "deep-100k-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep-in-parameters": (
        b'{"messageType":"notification","notificationType":"extDOStateChanged",'
        b'"parameters":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    ),
    "1MB-reason": _dumps(
        {
            "messageType": "commandResponse",
            "correlationId": "x",
            "result": "sent",
            "reason": "r" * (1 << 20),
        }
    ),
    "invalid-utf8": b'{"messageType":"commandResponse","correlationId":"\xff\xfe"}',
    "nan-status": (
        b'{"messageType":"notification","notificationType":"extDOStateChanged",'
        b'"parameters":{"resourceId":101,"output":4,"status":NaN}}'
    ),
    "huge-resource": (
        b'{"messageType":"notification","notificationType":"extDOStateChanged",'
        b'"parameters":{"resourceId":1' + b"0" * 5000 + b',"output":4,"status":1}}'
    ),
    "infinite-output": (
        b'{"messageType":"notification","notificationType":"extDOStateChanged",'
        b'"parameters":{"resourceId":101,"output":1e400,"status":1}}'
    ),
    "bool-status": (
        b'{"messageType":"notification","notificationType":"extDOStateChanged",'
        b'"parameters":{"resourceId":101,"output":4,"status":true}}'
    ),
}


@pytest.mark.parametrize("payload", list(WORST.values()), ids=list(WORST))
async def test_worst_payloads_are_dropped(
    harness: Harness, caplog: pytest.LogCaptureFixture, payload: bytes
) -> None:
    """Nesting past any recursion limit, 1 MB, bad UTF-8, NaN and huge numbers."""
    count("worst")
    state = _snapshot(harness.hass.states.get(FUZZED))
    harness.deliver(TOPIC, payload, 1)
    await turns(harness.hass)
    assert _snapshot(harness.hass.states.get(FUZZED)) == state
    await harness.check(caplog)
