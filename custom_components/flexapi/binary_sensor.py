"""Binary sensors: digital inputs, ignition, OBD flags, 1-wire bus."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import (
    FlexApiEntity,
    FlexApiEntityDescription,
    async_setup_dynamic_entities,
    description_kwargs,
)
from .protocol.catalog import Parameter, Platform, lookup
from .protocol.store import ParameterStore
from .runtime import FlexApiConfigEntry
from .trips import TRIPS_KEY, is_trip_key

#: Read-only and pushed over MQTT: nothing to update, nothing to limit.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FlexApiBinarySensorEntityDescription(
    FlexApiEntityDescription, BinarySensorEntityDescription
):
    """A FlexAPI binary sensor."""

    value_fn: Callable[[ParameterStore], bool | None]


def describe_parameter(param: Parameter) -> FlexApiBinarySensorEntityDescription:
    """The binary sensor description of a boolean catalog parameter."""
    key = param.key
    return FlexApiBinarySensorEntityDescription(
        **description_kwargs(param),
        device_class=BinarySensorDeviceClass(param.device_class)
        if param.device_class
        else None,
        value_fn=lambda store: store.get(key),
    )


ONE_WIRE_CONNECTED = FlexApiBinarySensorEntityDescription(
    key="1-wire.connected",
    group="1-wire",
    keys=("1-wire.status",),
    translation_key="one_wire_connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    # Anything but the two documented values is unknown, like the enum sensor.
    value_fn=lambda store: {"Connected": True, "Disconnected": False}.get(
        store.get("1-wire.status")
    ),
)


TRIP_IN_PROGRESS = FlexApiBinarySensorEntityDescription(
    key=f"{TRIPS_KEY}.trip_in_progress",
    group=TRIPS_KEY,
    keys=(f"{TRIPS_KEY}.trip_in_progress",),
    translation_key="trip_in_progress",
    value_fn=lambda _store: None,  # bound to the gateway's trips at setup
)


class FlexApiBinarySensor(FlexApiEntity, BinarySensorEntity):
    """A FlexAPI binary sensor."""

    entity_description: FlexApiBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """The state, from the store."""
        return self.entity_description.value_fn(self._store)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlexApiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors as their parameters are reported."""
    runtime = entry.runtime_data

    trip_in_progress = replace(
        TRIP_IN_PROGRESS, value_fn=lambda _store: runtime.trips.in_progress
    )

    def describe(key: str) -> Iterable[FlexApiBinarySensor]:
        if key == TRIP_IN_PROGRESS.key:
            return [FlexApiBinarySensor(runtime, trip_in_progress)]
        if key == "1-wire.status":
            return [FlexApiBinarySensor(runtime, ONE_WIRE_CONNECTED)]
        param = lookup(key)
        if param is None or param.platform is not Platform.BINARY_SENSOR:
            return []
        return [FlexApiBinarySensor(runtime, describe_parameter(param))]

    async_setup_dynamic_entities(
        entry,
        async_add_entities,
        describe,
        derived=(ONE_WIRE_CONNECTED,),
        initial=(TRIP_IN_PROGRESS.key,),
        initial_when=is_trip_key,
    )
