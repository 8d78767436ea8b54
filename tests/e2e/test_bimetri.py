"""A Bimetri application against a real Mosquitto and the simulated platform."""

from __future__ import annotations

from collections.abc import Generator
import json
import logging
import time

from homeassistant.components import mqtt
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flexapi.const import DOMAIN
from simulator.bimetri import BimetriPlatform, BimetriSimulator, Chaos, SimResource
from simulator.broker import Mosquitto
from tests.bimetri_helpers import DAY, SIGNATURE, TOPIC, make_bimetri_entry, make_jwt
from tests.compat import device_by_identifier

from .conftest import Observer, wait_for

JWT = make_jwt(time.time() + 365 * DAY)
SWITCH = "switch.boiler_output_4"


@pytest.fixture
def platform(broker: Mosquitto) -> Generator[BimetriSimulator]:
    """The simulated Bimetri platform: every notification is duplicated."""
    sim = BimetriSimulator(
        BimetriPlatform(
            [SimResource(101, "BMM620")],
            jwts=[JWT],
            chaos=Chaos(duplicate=1.0, delay=0.1),
            seed=3,
        ),
        broker.host,
        broker.port,
    )
    sim.start()
    yield sim
    sim.stop()


async def _setup(hass: HomeAssistant, observer: Observer, jwt: str) -> MockConfigEntry:
    entry = make_bimetri_entry(jwt)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    # HA subscribes after discovery's wildcard filters, one by one: wait until
    # a probe on the application topic reaches HA through the broker.
    heard: list[str] = []
    unsubscribe = await mqtt.async_subscribe(
        hass, TOPIC, lambda msg: heard.append(msg.topic)
    )

    def probe() -> bool:
        if not heard:
            observer.publish(TOPIC, json.dumps({"messageType": "probe"}))
        return bool(heard)

    await wait_for(probe, what="the application topic's subscription")
    unsubscribe()
    return entry


async def test_switch_confirmed_through_the_platform(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    platform: BimetriSimulator,
    observer: Observer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = await _setup(hass, observer, JWT)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": SWITCH}, blocking=True
    )
    state = await wait_for(
        lambda: (s := hass.states.get(SWITCH)) and s.state == STATE_ON and s,
        what="the notification",
    )
    assert state.attributes["last_command_result"] == "confirmed"
    assert state.attributes["user_name"] == "Flexywatt User"
    # The duplicate arrived too, and changed nothing.
    notes = await wait_for(
        lambda: (
            len(
                [p for _, p in observer.on(TOPIC) if p["messageType"] == "notification"]
            )
            >= 2
            and observer.on(TOPIC)
        ),
        what="the duplicate",
    )
    assert notes
    assert hass.states.get(SWITCH).last_updated == state.last_updated
    device = device_by_identifier(hass, (DOMAIN, f"{entry.entry_id}_101"))
    assert device is not None
    assert device.model == "BMM620"

    # Another user switches it off.
    platform.switch_by_other_user(101, 4, 0)
    state = await wait_for(
        lambda: (s := hass.states.get(SWITCH)) and s.state == STATE_OFF and s,
        what="the other user's switching",
    )
    assert state.attributes["user_name"] == "Other User"

    # On the wire: QoS 2, the token in the command only; in the logs: nowhere.
    ((_, command),) = observer.on("resource/commands")
    assert command["jwtToken"] == JWT
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert command["correlationId"] in text
    for start in range(len(SIGNATURE) - 8 + 1):
        assert SIGNATURE[start : start + 8] not in text


async def test_invalid_token_is_refused_and_reauth_starts(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    platform: BimetriSimulator,
    observer: Observer,
) -> None:
    entry = await _setup(
        hass, observer, make_jwt(time.time() + DAY, signature="d3Jvbmc")
    )
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": SWITCH}, blocking=True
        )
    assert err.value.translation_key == "bimetri_unauthorized"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, entry.entry_id)
    ]


async def test_a_broker_that_stops_answering_gives_unknown_and_the_switch_follows(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Mosquitto,
    platform: BimetriSimulator,
    observer: Observer,
) -> None:
    """The partition of the review: the broker freezes, the connection stays.

    HA still counts MQTT as connected, so the command is handed over; the
    user hears "sent, outcome unknown" within the response timeout (not
    "failed"), and when the broker resumes the command goes out and the
    switch follows the platform's confirmation.
    """
    await _setup(hass, observer, JWT)
    assert hass.states.get(SWITCH).state != STATE_ON
    broker.pause()
    try:
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                "switch", "turn_on", {"entity_id": SWITCH}, blocking=True
            )
        assert err.value.translation_key == "bimetri_outcome_unknown"
        state = hass.states.get(SWITCH)
        assert state.state != STATE_ON
        assert state.attributes["last_command_result"] == "no_response"
        pending = state.attributes["pending_correlation_id"]
        assert pending
    finally:
        broker.resume()
    state = await wait_for(
        lambda: (s := hass.states.get(SWITCH)) and s.state == STATE_ON and s,
        within=30,
        what="the late confirmation",
    )
    assert state.attributes["correlation_id"] == pending
    assert state.attributes["last_command_result"] == "confirmed"
    ((_, command),) = observer.on("resource/commands")
    assert command["correlationId"] == pending
