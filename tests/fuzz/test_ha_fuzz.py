"""Fuzz the HA-level message path: hostile payloads through HA's MQTT client.

Each test loads one gateway entry, gives it data (and pending requests), then
lets Hypothesis deliver hostile messages with ``async_fire_mqtt_message``,
which runs HA's MQTT dispatch and our callbacks synchronously. Afterwards:
no warning or error was logged (HA logs every exception a message callback
raises), the sentinel entities kept their values, and the runtime still
answers a request and still takes a valid upload.
"""

from __future__ import annotations

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.runtime import FlexApiRuntime
from tests.helpers import (
    REQUEST_SPACING,
    advance,
    fire_json,
    last_payload,
    respond,
    settle,
    start,
)

from . import strategies as fs

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

BASE = "v1/VG1/"
#: Examples per test; ``HYPOTHESIS_PROFILE=thorough`` multiplies them.
EXAMPLES = max(150, settings().max_examples // 10)
RAN: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report() -> Any:
    """Print how many messages each test delivered."""
    yield
    print(f"\nHA-level fuzz messages: {RAN} (total {sum(RAN.values())})")


def _snapshot(state: State | None) -> tuple[Any, ...]:
    assert state is not None
    return (state.state, dict(state.attributes), state.last_updated)


def _ha_discovery_decode(record: logging.LogRecord) -> bool:
    """HA's own warning for invalid UTF-8 on the manifest's discovery topics.

    HA's MQTT discovery subscribes to ``v1/+/cellular1/info`` and
    ``v1/+/userdata/info`` for the manifest, always decoding UTF-8; it logs
    undecodable payloads itself, before any code of ours runs.
    """
    message = record.getMessage()
    return (
        record.name == "homeassistant.components.mqtt.client"
        and message.startswith("Can't decode payload")
        and "async_integration_message_received" in message
    )


class Harness:
    """A loaded entry with data, aliases, sentinels and pending requests."""

    def __init__(
        self,
        hass: HomeAssistant,
        mqtt_mock: MqttMockHAClient,
        freezer: FrozenDateTimeFactory,
        runtime: FlexApiRuntime,
    ) -> None:
        """Bind to the test's HA."""
        self.hass = hass
        self.mqtt_mock = mqtt_mock
        self.freezer = freezer
        self.runtime = runtime
        self.sentinels: dict[str, tuple[Any, ...]] = {}
        self.tokens: list[str] = []

    async def prepare(self, spec_examples: dict[str, dict[str, Any]]) -> None:
        """Aliases, data, sentinels, five requests on the wire."""
        hass = self.hass
        future = start(self.runtime.async_get_custom_groups())
        await settle(hass)
        request = last_payload(self.mqtt_mock, BASE + "group/get")
        respond(hass, BASE + "group/get", request["client_token"], fs.CUSTOM_GROUPS)
        await settle(hass)
        await future
        await advance(hass, self.freezer, REQUEST_SPACING)
        before = set(hass.states.async_entity_ids())
        fire_json(hass, BASE + "cellular1/info", spec_examples["cellular1"])
        await settle(hass)
        sentinel_ids = set(hass.states.async_entity_ids()) - before
        assert len(sentinel_ids) >= 3
        for group, data in spec_examples.items():
            if group != "cellular1":
                fire_json(hass, f"{BASE}{group}/info", data)
        await settle(hass)
        self.sentinels = {
            entity_id: _snapshot(hass.states.get(entity_id))
            for entity_id in sentinel_ids
        }
        for group in ("gnss", "obd", "io", "sysinfo", "app"):
            start(self.runtime.async_refresh(group))
            await advance(hass, self.freezer, REQUEST_SPACING)
            self.tokens.append(
                last_payload(self.mqtt_mock, f"{BASE}{group}/refresh")["client_token"]
            )

    def deliver(self, topic: str, payload: bytes, qos: int) -> None:
        """One hostile message, through HA's MQTT dispatch."""
        async_fire_mqtt_message(self.hass, topic, payload, qos=qos)

    async def check(self, caplog: pytest.LogCaptureFixture) -> None:
        """Nothing logged, sentinels intact, and the runtime still answers."""
        hass = self.hass
        await settle(hass)
        problems = [
            record
            for record in caplog.records
            if record.levelno >= logging.WARNING and not _ha_discovery_decode(record)
        ]
        assert problems == [], [r.getMessage()[:300] for r in problems]
        for entity_id, snapshot in self.sentinels.items():
            assert _snapshot(hass.states.get(entity_id)) == snapshot, entity_id
        # A request still gets its answer.
        await advance(hass, self.freezer, 20)  # every fuzzed request expired
        future = start(self.runtime.async_refresh("motion"))
        await settle(hass)
        request = last_payload(self.mqtt_mock, BASE + "motion/refresh")
        respond(
            hass, BASE + "motion/refresh", request["client_token"], {"motion.ax": 0.5}
        )
        await settle(hass)
        assert future.result() == {"motion.ax": 0.5}
        assert self.runtime.store.get("motion.ax") == 0.5
        # A valid upload still reaches an entity.
        fire_json(hass, BASE + "1-wire/info", {"1-wire.temp1_data": 21.5})
        await settle(hass)
        assert self.runtime.store.get("1-wire.temp1_data") == 21.5


@pytest.fixture
async def harness(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    spec_examples: dict[str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> Harness:
    """A prepared harness; the log is captured from here on."""
    ready = Harness(hass, mqtt_mock, freezer, flexapi_entry.runtime_data)
    await ready.prepare(spec_examples)
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    return ready


def _run(harness: Harness, name: str, strategy: st.SearchStrategy[Any]) -> None:
    RAN.setdefault(name, 0)

    @settings(max_examples=EXAMPLES)
    @given(strategy, st.sampled_from([0, 1]))
    def deliver(message: tuple[str, bytes], qos: int) -> None:
        RAN[name] += 1
        topic, payload = message
        harness.deliver(topic, payload, qos)
        if qos:  # a QoS 1 redelivery of the same message
            harness.deliver(topic, payload, qos)

    deliver()


def _on(suffixes: list[str], payloads: st.SearchStrategy[bytes]) -> Any:
    return st.tuples(st.sampled_from(suffixes).map(lambda s: BASE + s), payloads)


async def test_fuzz_data_topics(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Timed uploads of every group, custom groups and unknown groups."""
    _run(harness, "data", _on(fs.INFO_SUFFIXES, fs.payloads))
    await harness.check(caplog)


async def test_fuzz_responses(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Responses with pending, foreign or odd tokens and any result or error."""
    _run(harness, "responses", _on(fs.RESPONSE_SUFFIXES, fs.responses(harness.tokens)))
    await harness.check(caplog)


async def test_fuzz_events(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """Events of every shape, bare and wrapped."""
    _run(harness, "events", _on(["event/notice"], fs.event_payloads))
    await harness.check(caplog)


async def test_fuzz_any_topic(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything on any topic under the gateway's base, and foreign topics."""
    topics = st.one_of(
        st.sampled_from(fs.ALL_SUFFIXES).map(lambda s: BASE + s),
        st.text(max_size=30).map(lambda s: BASE + s),
        st.sampled_from(
            ["v1/VG2/gnss/info", "v1/VG1", "v1/VG1/", "x/v1/VG1/gnss/info"]
        ),
    )
    _run(harness, "any topic", st.tuples(topics, fs.payloads))
    await harness.check(caplog)
