"""The notice event entity (rev 1.0.9 ``event/notice``)."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.const import STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import FlexApiDevice

NOTICE = "event.vg1_notice"
RAISE = {"starts_at": 1700000000, "status": "raise", "type": "DI_CHG", "level": 1}
CLEAR = {**RAISE, "status": "clear", "ends_at": 1700000060}


def wrapped(payload: dict[str, Any]) -> dict[str, Any]:
    """The event as the rev 1.0.9 example shows it."""
    return {"topic": "v1/VG1/event/notice", "payload": payload}


async def test_event_entity_before_any_event(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry
) -> None:
    """The entity exists from the start and lists its event types."""
    state = hass.states.get(NOTICE)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == [
        "di_chg_raise",
        "di_chg_clear",
        "other_raise",
        "other_clear",
    ]


@pytest.mark.parametrize(
    ("payload", "attributes"),
    [
        (
            {**RAISE, "io.DI1": 1},
            {
                "event_type": "di_chg_raise",
                "type": "DI_CHG",
                "level": 1,
                "level_name": "notice",
                "starts_at": "2023-11-14T22:13:20+00:00",
                "ends_at": None,
                "values": {"io.DI1": 1},
            },
        ),
        (
            wrapped({**RAISE, "io.DI1": 1}),
            {"event_type": "di_chg_raise", "level_name": "notice", "ends_at": None},
        ),
        (
            CLEAR,
            {
                "event_type": "di_chg_clear",
                "starts_at": "2023-11-14T22:13:20+00:00",
                "ends_at": "2023-11-14T22:14:20+00:00",
                "values": {},
            },
        ),
        (wrapped(CLEAR), {"event_type": "di_chg_clear", "level": 1}),
        (
            {**RAISE, "type": "OVERSPEED", "level": 3},
            {"event_type": "other_raise", "type": "OVERSPEED", "level_name": "error"},
        ),
        (
            {**CLEAR, "type": "GEOFENCE", "level": "5"},
            {"event_type": "other_clear", "level": 5, "level_name": "emergency"},
        ),
        (
            # Odd fields do not stop the event: they are unknown.
            {"type": "DI_CHG", "status": "raise", "level": "x", "starts_at": 10**15},
            {"event_type": "di_chg_raise", "level": None, "level_name": None},
        ),
    ],
)
async def test_notice_events(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    payload: dict[str, Any],
    attributes: dict[str, Any],
) -> None:
    """Raise and clear notices, bare or wrapped, trigger typed events."""
    await gateway.send("event/notice", payload)
    state = hass.states.get(NOTICE)
    assert state.state != STATE_UNKNOWN
    for name, value in attributes.items():
        assert state.attributes[name] == value, name


async def test_event_values_reach_their_entities(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """The io/gnss/obd values an event carries update the device's entities."""
    await gateway.send("event/notice", wrapped({**RAISE, "io.DI1": 1}))
    assert hass.states.get("binary_sensor.vg1_digital_input_1").state == STATE_ON


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        {"status": "raise", "level": 1},
        {**RAISE, "status": "bogus"},
        {**RAISE, "type": ""},
        {**RAISE, "type": 5},
        {"topic": "v1/VG1/event/notice", "payload": "DI_CHG"},
        wrapped({"status": "raise"}),
    ],
)
async def test_malformed_events_are_ignored(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    caplog: pytest.LogCaptureFixture,
    payload: Any,
) -> None:
    """Malformed notices trigger nothing and log no error."""
    await gateway.send("event/notice", payload)
    assert hass.states.get(NOTICE).state == STATE_UNKNOWN
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name != "asyncio"
    ]
    # The entity still works afterwards.
    await gateway.send("event/notice", RAISE)
    assert hass.states.get(NOTICE).attributes["event_type"] == "di_chg_raise"
