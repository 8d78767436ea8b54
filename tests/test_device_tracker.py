"""The GNSS device tracker: position, no-fix handling and restore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.const import STATE_NOT_HOME, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.json import json_bytes
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
)

from custom_components.flexapi.const import DOMAIN
from tests.conftest import FlexApiDevice

TRACKER = "device_tracker.vg1_location"
FIX = {
    "gnss.fix": 3,
    "gnss.latitude": 40.232213,
    "gnss.longitude": 116.34366,
    "gnss.hacc": 1.0,
}


def position(hass: HomeAssistant) -> tuple[Any, Any, Any]:
    """The tracker's latitude, longitude and GPS accuracy."""
    state = hass.states.get(TRACKER)
    assert state is not None
    return (
        state.attributes.get("latitude"),
        state.attributes.get("longitude"),
        state.attributes.get("gps_accuracy"),
    )


async def test_position_and_attributes(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """Latitude, longitude and accuracy from GNSS; speed and friends as attributes."""
    await gateway.info("summary", spec_examples["summary"])
    state = hass.states.get(TRACKER)
    assert state is not None
    assert state.state == STATE_NOT_HOME
    assert state.attributes["source_type"] == "gps"
    assert state.attributes["friendly_name"] == "VG1 Location"
    assert position(hass) == (40.232213, 116.34366, 1)
    assert state.attributes["speed"] == 87.6
    assert state.attributes["heading"] == 234.0
    assert state.attributes["altitude"] == 346.0
    assert state.attributes["satellites"] == 7

    await gateway.info("gnss", {"gnss.hacc": 2.6, "gnss.speed": None})
    assert position(hass) == (40.232213, 116.34366, 3)
    assert "speed" not in hass.states.get(TRACKER).attributes


async def test_added_with_the_first_latitude(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """No tracker until the device reports a latitude."""
    await gateway.info("obd", {"obd.speed": 20})
    await gateway.info("gnss", {"gnss.speed": 10.0, "gnss.fix": 0})
    assert hass.states.get(TRACKER) is None
    await gateway.info("gnss", FIX)
    assert position(hass) == (40.232213, 116.34366, 1)


@pytest.mark.parametrize(
    "no_fix",
    [
        {"gnss.fix": 0, "gnss.latitude": 10.0, "gnss.longitude": 20.0},
        # A.1: 5 is "Time Only", a fix without a position.
        {"gnss.fix": 5, "gnss.latitude": 10.0, "gnss.longitude": 20.0},
        {"gnss.fix": "5", "gnss.latitude": 10.0, "gnss.longitude": 20.0},
        {"gnss.fix": 3, "gnss.latitude": 0.0, "gnss.longitude": 0.0},
        {"gnss.latitude": 0, "gnss.longitude": 0},
        {"gnss.latitude": None, "gnss.longitude": None},
        {"gnss.latitude": "abc", "gnss.longitude": 20.0},
        {"gnss.latitude": 95.0, "gnss.longitude": 20.0},
        {"gnss.latitude": 10.0, "gnss.longitude": -181.0},
    ],
    ids=lambda no_fix: ",".join(
        f"{k.removeprefix('gnss.')}={v!r}" for k, v in no_fix.items()
    ),
)
async def test_no_fix_keeps_last_position(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    no_fix: dict[str, Any],
) -> None:
    """A report without a real fix never moves the tracker (never to 0,0)."""
    await gateway.info("gnss", FIX)
    await gateway.info("gnss", {**no_fix, "gnss.hacc": 50.0})
    assert position(hass) == (40.232213, 116.34366, 1)
    await gateway.info(
        "gnss",
        {
            "gnss.fix": 3,
            "gnss.latitude": 41.5,
            "gnss.longitude": 117.5,
            "gnss.hacc": None,
        },
    )
    assert position(hass) == (41.5, 117.5, 0)


def restore(hass: HomeAssistant, entry: MockConfigEntry, **attributes: Any) -> None:
    """Register the tracker and give it a last state, as after a restart."""
    er.async_get(hass).async_get_or_create(
        "device_tracker",
        DOMAIN,
        "VG1_gnss.location",
        config_entry=entry,
        suggested_object_id="vg1_location",
    )
    mock_restore_cache(hass, [State(TRACKER, STATE_NOT_HOME, attributes)])


async def test_restores_last_position(
    hass: HomeAssistant,
    flexapi_config_entry: MockConfigEntry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
) -> None:
    """At startup the registered tracker is back where it was, before any data."""
    restore(
        hass,
        flexapi_config_entry,
        latitude=40.5,
        longitude=116.5,
        gps_accuracy=4,
        source_type="gps",
    )
    await setup_flexapi()
    assert position(hass) == (40.5, 116.5, 4)
    # A no-fix report after the restart keeps the restored position.
    await gateway.info(
        "gnss", {"gnss.fix": 0, "gnss.latitude": 0.0, "gnss.longitude": 0.0}
    )
    assert position(hass) == (40.5, 116.5, 4)
    await gateway.info("gnss", FIX)
    assert position(hass) == (40.232213, 116.34366, 1)


@pytest.mark.parametrize(
    "attributes",
    [
        {"latitude": 0.0, "longitude": 0.0, "gps_accuracy": 4},
        {"latitude": None, "longitude": None},
        {"latitude": "40.5", "longitude": "116.5"},
        {},
    ],
)
async def test_restore_ignores_invalid_last_state(
    hass: HomeAssistant,
    flexapi_config_entry: MockConfigEntry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    attributes: dict[str, Any],
) -> None:
    """A last state without a real position restores no position."""
    restore(hass, flexapi_config_entry, **attributes)
    await setup_flexapi()
    assert hass.states.get(TRACKER).state == STATE_UNKNOWN
    assert position(hass) == (None, None, None)


async def test_restored_accuracy_must_be_a_number(
    hass: HomeAssistant,
    flexapi_config_entry: MockConfigEntry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
) -> None:
    """A malformed restored accuracy falls back to 0."""
    restore(
        hass, flexapi_config_entry, latitude=40.5, longitude=116.5, gps_accuracy="x"
    )
    await setup_flexapi()
    assert position(hass) == (40.5, 116.5, 0)


async def test_position_survives_reload(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """After a reload the tracker is back at once, at its last position."""
    await gateway.info("gnss", FIX)
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    assert position(hass) == (40.232213, 116.34366, 1)
    assert hass.states.async_entity_ids("device_tracker") == [TRACKER]


async def test_absurd_numbers_never_reach_the_state(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """1e300 satellites or metres would make a state no JSON encoder accepts."""
    await gateway.info("summary", spec_examples["summary"])
    await gateway.send(
        "gnss/info",
        '{"gnss.hacc": 1e300, "gnss.num_sv": 1e300, "gnss.altitude": 1e400,'
        ' "gnss.latitude": 40.3}',
    )
    state = hass.states.get(TRACKER)
    assert state is not None
    # The one odd number of the message is dropped, not the message.
    assert state.attributes["latitude"] == 40.3
    assert state.attributes["gps_accuracy"] == 0
    assert "satellites" not in state.attributes
    assert "altitude" not in state.attributes
    json_bytes(state.as_dict())  # what the recorder and restore state do


async def test_parked_vehicle_keeps_its_restored_position_available(
    hass: HomeAssistant,
    flexapi_config_entry: MockConfigEntry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
) -> None:
    """Silence is no reason to hide the last position; only MQTT being down is."""
    restore(hass, flexapi_config_entry, latitude=40.5, longitude=116.5, gps_accuracy=4)
    await setup_flexapi()
    for _ in range(24):  # two minutes of staleness checks, far past the window
        await gateway.advance(5)
    assert flexapi_config_entry.runtime_data.stale >= {"gnss"}
    state = hass.states.get(TRACKER)
    assert state.state == STATE_NOT_HOME
    assert position(hass) == (40.5, 116.5, 4)

    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    assert hass.states.get(TRACKER).state == STATE_UNAVAILABLE
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done()
    assert position(hass) == (40.5, 116.5, 4)
    assert hass.states.get(TRACKER).state == STATE_NOT_HOME


async def test_live_tracker_stays_available_when_gnss_goes_quiet(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """The vehicle parks and its gateway stops uploading: the position stays."""
    await gateway.info("gnss", FIX)
    for _ in range(12):
        await gateway.advance(5)
    assert "gnss" in flexapi_entry.runtime_data.stale
    assert hass.states.get(TRACKER).state == STATE_NOT_HOME
    assert position(hass) == (40.232213, 116.34366, 1)
