"""Binary sensors: digital inputs, ignition, OBD flags and the 1-Wire bus."""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import FlexApiDevice

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


async def test_digital_inputs_from_summary(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """DI1-6 of the summary example are binary sensors; they follow the device."""
    await gateway.info("summary", spec_examples["summary"])
    for n in range(1, 7):
        entity_id = f"binary_sensor.vg1_digital_input_{n}"
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state == STATE_OFF
        assert state.attributes["friendly_name"] == f"VG1 Digital input {n}"
        assert entity_registry.async_get(entity_id).translation_key == "digital_input"
    # Pull-ups and outputs are switches, not binary sensors; "Trip in
    # progress" is there from the start.
    assert sorted(hass.states.async_entity_ids("binary_sensor")) == [
        *(f"binary_sensor.vg1_digital_input_{n}" for n in range(1, 7)),
        "binary_sensor.vg1_trip_in_progress",
    ]

    await gateway.info("io", {"io.DI3": 1})
    assert hass.states.get("binary_sensor.vg1_digital_input_3").state == STATE_ON
    assert hass.states.get("binary_sensor.vg1_digital_input_2").state == STATE_OFF


@pytest.mark.parametrize(
    ("group", "key", "entity_id", "device_class", "values"),
    [
        (
            "io",
            "io.DI1",
            "binary_sensor.vg1_digital_input_1",
            None,
            [(1, STATE_ON), (0, STATE_OFF), ("1", STATE_ON), (True, STATE_ON)],
        ),
        (
            "io",
            "io.igt_status",
            "binary_sensor.vg1_ignition",
            "power",
            [(1, STATE_ON), (0, STATE_OFF), ("on", STATE_ON)],
        ),
        (
            "obd",
            "obd.mil",
            "binary_sensor.vg1_malfunction_indicator",
            "problem",
            # The alias example reports {"MIL": "1"}: a string.
            [("1", STATE_ON), ("0", STATE_OFF), (1, STATE_ON), ("false", STATE_OFF)],
        ),
        (
            "obd",
            "obd.brake",
            "binary_sensor.vg1_brake_pedal",
            None,
            [(1, STATE_ON), (0, STATE_OFF)],
        ),
        (
            "obd",
            "obd.parking",
            "binary_sensor.vg1_parking_brake",
            None,
            [(True, STATE_ON), (False, STATE_OFF)],
        ),
        (
            "1-wire",
            "1-wire.status",
            "binary_sensor.vg1_1_wire_bus",
            "connectivity",
            [("Connected", STATE_ON), ("Disconnected", STATE_OFF)],
        ),
    ],
)
async def test_binary_sensor_values(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    group: str,
    key: str,
    entity_id: str,
    device_class: str | None,
    values: list[tuple[Any, str]],
) -> None:
    """Booleans arrive as ints, bools or strings; null and junk are unknown."""
    for raw, expected in [*values, (None, STATE_UNKNOWN), ("abc", STATE_UNKNOWN)]:
        await gateway.info(group, {key: raw})
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state == expected, raw
        assert state.attributes.get("device_class") == device_class
    # 2 is neither on nor off.
    if key != "1-wire.status":
        await gateway.info(group, {key: 1})
        await gateway.info(group, {key: 2})
        assert hass.states.get(entity_id).state == STATE_UNKNOWN


async def test_one_wire_bus_is_diagnostic(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """The 1-Wire bus connectivity sensor is a diagnostic of the 1-wire group."""
    await gateway.info("1-wire", spec_examples["1-wire"])
    entry = entity_registry.async_get("binary_sensor.vg1_1_wire_bus")
    assert entry.unique_id == "VG1_1-wire.connected"
    assert entry.entity_category == "diagnostic"
    assert hass.states.get("binary_sensor.vg1_1_wire_bus").state == STATE_ON
