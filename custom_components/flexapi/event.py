"""An event entity for the rev 1.0.9 event service (``event/notice``)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import (
    FlexApiEntity,
    FlexApiEntityDescription,
    async_setup_dynamic_entities,
    utc_from_timestamp,
)
from .protocol.messages import FlexEvent
from .protocol.trips import EVENT_ENDED, EVENT_STARTED, TripEvent
from .runtime import FlexApiConfigEntry, FlexApiRuntime
from .trips import TRIPS_KEY, is_trip_key

#: Read-only and pushed over MQTT: nothing to update, nothing to limit.
PARALLEL_UPDATES = 0

#: ``DI_CHG`` is the only type rev 1.0.9 defines; others are reported as-is.
EVENT_TYPES = ["di_chg_raise", "di_chg_clear", "other_raise", "other_clear"]
TRIP_EVENT_TYPES = [EVENT_STARTED, EVENT_ENDED]


@dataclass(frozen=True, kw_only=True)
class FlexApiEventEntityDescription(FlexApiEntityDescription, EventEntityDescription):
    """The notice event description."""


DESCRIPTION = FlexApiEventEntityDescription(
    key="event.notice",
    group="event",
    keys=(),
    translation_key="notice",
)


TRIP = FlexApiEventEntityDescription(
    key=f"{TRIPS_KEY}.trip",
    group=TRIPS_KEY,
    keys=(),
    translation_key="trip",
)


def _iso(timestamp: int | None) -> str | None:
    return moment.isoformat() if (moment := utc_from_timestamp(timestamp)) else None


class FlexApiEventEntity(FlexApiEntity, EventEntity):
    """Raise/clear notices from the gateway."""

    _attr_event_types = EVENT_TYPES
    entity_description: FlexApiEventEntityDescription

    def __init__(self, runtime: FlexApiRuntime) -> None:
        """Bind to the runtime."""
        super().__init__(runtime, DESCRIPTION)

    async def async_added_to_hass(self) -> None:
        """Listen for events."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_add_event_listener(self._handle_event))

    @property
    def available(self) -> bool:
        """Events have no upload interval: available while MQTT is connected."""
        return self.runtime.mqtt_connected

    @callback
    def _handle_event(self, event: FlexEvent) -> None:
        prefix = "di_chg" if event.type == "DI_CHG" else "other"
        self._trigger_event(
            f"{prefix}_{event.status}",
            {
                "type": event.type,
                "level": event.level,
                "level_name": event.level_name,
                "starts_at": _iso(event.starts_at),
                "ends_at": _iso(event.ends_at),
                "values": event.data,
            },
        )
        self.async_write_ha_state()


class FlexApiTripEventEntity(FlexApiEntity, EventEntity):
    """Trips starting and ending; the data is the trip's."""

    _attr_event_types = TRIP_EVENT_TYPES
    entity_description: FlexApiEventEntityDescription

    def __init__(self, runtime: FlexApiRuntime) -> None:
        """Bind to the runtime."""
        super().__init__(runtime, TRIP)

    async def async_added_to_hass(self) -> None:
        """Listen for trips."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.trips.async_add_listener(self._handle_trip))

    @property
    def available(self) -> bool:
        """Available while MQTT is connected, however long the vehicle is parked."""
        return self.runtime.mqtt_connected

    @callback
    def _handle_trip(self, event: TripEvent) -> None:
        self._trigger_event(event.type, event.data)
        self.async_write_ha_state()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlexApiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the notice and trip event entities."""
    runtime = entry.runtime_data
    async_add_entities([FlexApiEventEntity(runtime)])

    def describe(key: str) -> list[FlexApiEntity]:
        return [FlexApiTripEventEntity(runtime)] if key == TRIP.key else []

    async_setup_dynamic_entities(
        entry,
        async_add_entities,
        describe,
        initial=(TRIP.key,),
        initial_when=is_trip_key,
    )
