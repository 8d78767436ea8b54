"""End-to-end fixtures: a real Mosquitto, the simulator, HA with real MQTT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import json
import threading
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessage, MQTTv311
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import Simulator, SimulatorConfig
from simulator.broker import Mosquitto, find_mosquitto

CLIENT_ID = "VG-E2E"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything here as e2e."""
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def no_subscribe_settle() -> None:
    """Keep the real SUBSCRIBE settle time: this is a real broker."""


@pytest.fixture
def broker(socket_enabled: None) -> Generator[Mosquitto]:
    """A private Mosquitto on a free port."""
    if find_mosquitto() is None:
        pytest.fail("mosquitto is not installed; scripts/test installs it")
    with Mosquitto() as running:
        yield running


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant, broker: Mosquitto
) -> AsyncGenerator[MockConfigEntry]:
    """HA's MQTT integration connected to the real broker."""
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": broker.host, "port": broker.port},
        options={"discovery": True, "birth_message": {}},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert await mqtt.async_wait_for_mqtt_client(hass)
    await wait_for(lambda: mqtt.is_connected(hass))
    yield entry
    for flexapi_entry in hass.config_entries.async_entries("flexapi"):
        await hass.config_entries.async_unload(flexapi_entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def simulator(broker: Mosquitto) -> Generator[Simulator]:
    """One simulated gateway, uploading five times faster than real."""
    sim = Simulator(
        SimulatorConfig(
            host=broker.host,
            port=broker.port,
            client_id=CLIENT_ID,
            seed=7,
            time_scale=0.2,
        )
    )
    sim.start()
    yield sim
    sim.stop()


class Observer:
    """A plain paho client that records every message under ``v1/#``."""

    def __init__(self, broker: Mosquitto) -> None:
        """Connect and subscribe."""
        self.messages: list[tuple[float, str, Any]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id="e2e-observer",
            protocol=MQTTv311,
        )
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        # Subscribe on every (re)connect: the broker may be restarted.
        self._client.on_connect = lambda client, *_: client.subscribe("#", qos=1)
        self._client.reconnect_delay_set(min_delay=1, max_delay=1)
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("observer did not subscribe")

    def _on_message(self, _client: Client, _userdata: Any, msg: MQTTMessage) -> None:
        try:
            payload: Any = json.loads(msg.payload)
        except ValueError:
            payload = msg.payload
        with self._lock:
            self.messages.append((time.monotonic(), msg.topic, payload))

    def on(self, topic: str) -> list[tuple[float, Any]]:
        """Messages seen on one topic."""
        with self._lock:
            return [(t, p) for t, top, p in self.messages if top == topic]

    def publish(self, topic: str, payload: str) -> None:
        """Publish a message (QoS 1)."""
        self._client.publish(topic, payload, qos=1)

    def stop(self) -> None:
        """Disconnect."""
        self._client.loop_stop()
        self._client.disconnect()


@pytest.fixture
def observer(broker: Mosquitto) -> Generator[Observer]:
    """Records everything on the broker."""
    obs = Observer(broker)
    yield obs
    obs.stop()


async def wait_for(
    predicate: Callable[[], Any] | Callable[[], Awaitable[Any]],
    within: float = 20.0,
    what: str = "condition",
) -> Any:
    """Poll ``predicate`` until truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
