"""Typed, registered probe sensors: what one state write of a real entity costs.

A bare ``SensorEntity`` written outside any platform (no registry entry, no
translated name) is the cheapest possible write. An integration's entity is
registered, named through its platform's translations, and typed (device
class, unit, state class, display precision); HA pays for all of that on
every write. These probe entities have exactly those features, so the
benchmark can price one such write as well. They are never part of the
integration.
"""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import UnitOfElectricPotential
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

DOMAIN = "bench_probe"
#: Enough for the writes of one changing summary message (21).
PROBE_SENSORS = 32


class ProbeSensor(SensorEntity):
    """A registered, translated, typed sensor whose value the probe sets."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "probe"
    _attr_device_class = SensorDeviceClass.VOLTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfElectricPotential.VOLT
    _attr_suggested_display_precision = 2

    def __init__(self, index: int) -> None:
        """Probe sensor number ``index``."""
        self._attr_unique_id = f"bench_probe_{index}"
        self._attr_translation_placeholders = {"index": str(index)}
        self._attr_native_value = 12.0


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the probe sensors; the probe finds them in ``hass.data``."""
    entities = [ProbeSensor(index) for index in range(1, PROBE_SENSORS + 1)]
    hass.data.setdefault(DOMAIN + "_sensors", []).extend(entities)
    async_add_entities(entities)
