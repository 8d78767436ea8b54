"""A GNSS device tracker that never jumps to 0,0 and survives restarts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.device_tracker.const import SourceType
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .compat import TrackerEntity, TrackerEntityDescription
from .entity import FlexApiEntity, FlexApiEntityDescription, entities_may_be_added
from .runtime import FlexApiConfigEntry, FlexApiRuntime

#: Read-only and pushed over MQTT: nothing to update, nothing to limit.
PARALLEL_UPDATES = 0

ATTR_GPS_ACCURACY = "gps_accuracy"
#: Accuracies beyond this (metres) are no real estimate.
MAX_ACCURACY_M = 1e7
#: Extra attributes: name -> store key.
EXTRA_KEYS = {
    "speed": "gnss.speed",
    "heading": "gnss.heading",
    "altitude": "gnss.altitude",
    "satellites": "gnss.num_sv",
}
POSITION_KEYS = ("gnss.latitude", "gnss.longitude", "gnss.hacc", "gnss.fix")
#: ``gnss.fix`` values that carry no position: 0 "NoFix", 5 "Time Only" (A.1).
NO_POSITION_FIXES = frozenset({0, 5})


@dataclass(frozen=True, kw_only=True)
class FlexApiTrackerEntityDescription(
    FlexApiEntityDescription, TrackerEntityDescription
):
    """The GNSS tracker description."""


TRACKER = FlexApiTrackerEntityDescription(
    key="gnss.location",
    group="gnss",
    keys=(*POSITION_KEYS, *EXTRA_KEYS.values()),
    translation_key="location",
)


def valid_fix(latitude: Any, longitude: Any, fix: Any) -> bool:
    """Whether a report is a real position (a fix with one, not 0,0, in range)."""
    if not isinstance(latitude, float) or not isinstance(longitude, float):
        return False
    if fix in NO_POSITION_FIXES or (latitude == 0.0 and longitude == 0.0):
        return False
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


class FlexApiTracker(FlexApiEntity, TrackerEntity, RestoreEntity):
    """Where the gateway is, from its GNSS data."""

    _attr_source_type = SourceType.GPS
    entity_description: FlexApiTrackerEntityDescription

    def __init__(self, runtime: FlexApiRuntime) -> None:
        """Start with no position."""
        super().__init__(runtime, TRACKER)
        self._attr_latitude: float | None = None
        self._attr_longitude: float | None = None
        self._attr_location_accuracy = 0

    @property
    def available(self) -> bool:
        """Available while MQTT is connected, however long GNSS is silent.

        A parked vehicle's gateway uploads nothing, and its last position is
        exactly what users look for: staleness never hides it.
        """
        return self.runtime.mqtt_connected

    async def async_added_to_hass(self) -> None:
        """Restore the last position, then follow the store."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None:
            latitude = last.attributes.get(ATTR_LATITUDE)
            longitude = last.attributes.get(ATTR_LONGITUDE)
            if valid_fix(latitude, longitude, None):
                self._attr_latitude, self._attr_longitude = latitude, longitude
                accuracy = last.attributes.get(ATTR_GPS_ACCURACY)
                if isinstance(accuracy, int | float):
                    self._attr_location_accuracy = int(accuracy)
        self._update_position()

    def _update_position(self) -> None:
        get = self.store.get
        latitude, longitude = get("gnss.latitude"), get("gnss.longitude")
        if valid_fix(latitude, longitude, get("gnss.fix")):
            self._attr_latitude, self._attr_longitude = latitude, longitude
            accuracy = get("gnss.hacc")
            self._attr_location_accuracy = (
                round(accuracy)
                if isinstance(accuracy, float) and 0 <= accuracy < MAX_ACCURACY_M
                else 0
            )

    @callback
    def _handle_update(self) -> None:
        self._update_position()
        super()._handle_update()

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Speed, heading, altitude and satellites, when known."""
        get = self.store.get
        return {
            name: value
            for name, key in EXTRA_KEYS.items()
            if (value := get(key)) is not None
        }


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlexApiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the tracker now if it existed before (to restore it), else on a fix."""
    runtime = entry.runtime_data
    unique_id = f"{runtime.client_id}_{TRACKER.key}"
    registered = er.async_get(hass).async_get_entity_id(
        "device_tracker", entry.domain, unique_id
    )
    added = False

    @callback
    def _add(keys: list[str]) -> None:
        nonlocal added
        if (
            not added
            and (registered or "gnss.latitude" in keys)
            and entities_may_be_added(entry)
        ):
            added = True
            async_add_entities([FlexApiTracker(runtime)])

    _add(list(runtime.store.values))
    if not added:
        remove = runtime.async_add_new_key_listener(_add)
        entry.async_on_unload(remove)
