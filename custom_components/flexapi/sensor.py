"""Sensors for every FlexAPI data group, generated from the parameter catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
import logging
import re
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfLength, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import CONF_GNSS_SPEED_UNIT, SPEED_KMH, SPEED_UNITS
from .entity import (
    FlexApiEntity,
    FlexApiEntityDescription,
    async_setup_dynamic_entities,
    description_kwargs,
    utc_from_timestamp,
)
from .protocol.catalog import Parameter, Platform, ValueType, lookup
from .protocol.store import ParameterStore
from .runtime import FlexApiConfigEntry, FlexApiRuntime
from .trips import TRIPS_KEY, TripRecorder, is_trip_key

_LOGGER = logging.getLogger(__name__)
#: Read-only and pushed over MQTT: nothing to update, nothing to limit.
PARALLEL_UPDATES = 0
ONE_WIRE_TEMPERATURE = re.compile(r"^1-wire\.temp\d+_data$")
MAX_STATE_LENGTH = 255
#: Userdata sensors per gateway. Userdata keys are whatever an app or a user
#: on the gateway writes (at most 256 of them, §2.3); each sensor costs about
#: 12 kB and a place in every entity list. 64 covers real use (asset tags,
#: driver, plate) with room to spare; more keys stay readable in diagnostics
#: and through the userdata action. Sensors already registered (made before
#: the cap, or by an earlier release) are kept whatever their number.
MAX_USERDATA_ENTITIES = 64
_USERDATA_PREFIX = "userdata."

type SensorValue = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class FlexApiSensorEntityDescription(FlexApiEntityDescription, SensorEntityDescription):
    """A FlexAPI sensor: which store keys it reads and how."""

    value_fn: Callable[[ParameterStore], SensorValue]


def _text(value: Any) -> str | None:
    return value[:MAX_STATE_LENGTH] if isinstance(value, str) else None


def _value_fn(param: Parameter) -> Callable[[ParameterStore], SensorValue]:
    key = param.key
    if param.options is not None:
        return lambda store: param.option(store.get(key))
    if param.vtype is ValueType.TIMESTAMP:
        # 0 means "never" (cellular1.down_at: 0).
        return lambda store: utc_from_timestamp(store.get(key))
    if param.vtype is ValueType.STR:
        return lambda store: _text(store.get(key))
    return lambda store: store.get(key)


def _gnss_datetime(store: ParameterStore) -> datetime | None:
    """GNSS date and time as one UTC timestamp.

    Documented as ``yy-mm-dd`` but sent as ``2020-4-17``: accept both.
    """
    date, clock = store.get("gnss.date"), store.get("gnss.time")
    if not isinstance(date, str) or not isinstance(clock, str):
        return None
    try:
        year, month, day = (int(part) for part in date.split("-"))
        hour, minute, second = (int(part) for part in clock.split(":"))
        if year < 100:
            year += 2000
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        _LOGGER.debug("Unparseable GNSS date/time %r %r", date, clock)
        return None


GNSS_DATETIME = FlexApiSensorEntityDescription(
    key="gnss.datetime",
    group="gnss",
    keys=("gnss.date", "gnss.time"),
    translation_key="gnss_datetime",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    value_fn=_gnss_datetime,
)


@dataclass(frozen=True, kw_only=True)
class FlexApiTripSensorEntityDescription(FlexApiSensorEntityDescription):
    """A trip sensor: its value comes from the gateway's trip recorder."""

    trip_fn: Callable[[TripRecorder], SensorValue]
    value_fn: Callable[[ParameterStore], SensorValue] = lambda _store: None


def _last_trip(field: str, scale: float = 1.0) -> Callable[[TripRecorder], SensorValue]:
    def value(trips: TripRecorder) -> SensorValue:
        last = trips.last_trip
        number = last.get(field) if last is not None else None
        if not isinstance(number, int | float):
            return None
        return round(number / scale, 1) if scale != 1.0 else number

    return value


def _trip_sensor(key: str, **kwargs: Any) -> FlexApiTripSensorEntityDescription:
    return FlexApiTripSensorEntityDescription(
        key=f"{TRIPS_KEY}.{key}",
        group=TRIPS_KEY,
        keys=(f"{TRIPS_KEY}.{key}",),
        translation_key=key,
        **kwargs,
    )


TRIP_SENSORS = {
    description.key: description
    for description in (
        _trip_sensor(
            "last_trip_distance",
            device_class=SensorDeviceClass.DISTANCE,
            native_unit_of_measurement=UnitOfLength.KILOMETERS,
            suggested_display_precision=1,
            trip_fn=_last_trip("distance_km"),
        ),
        _trip_sensor(
            "last_trip_duration",
            device_class=SensorDeviceClass.DURATION,
            native_unit_of_measurement=UnitOfTime.MINUTES,
            suggested_display_precision=0,
            trip_fn=_last_trip("duration_s", 60.0),
        ),
        _trip_sensor(
            "trips_today",
            state_class=SensorStateClass.TOTAL_INCREASING,
            trip_fn=lambda trips: trips.trips_today,
        ),
        _trip_sensor(
            "distance_driven",
            device_class=SensorDeviceClass.DISTANCE,
            state_class=SensorStateClass.TOTAL_INCREASING,
            native_unit_of_measurement=UnitOfLength.KILOMETERS,
            suggested_display_precision=1,
            trip_fn=lambda trips: trips.distance_driven_km,
        ),
    )
}


DISTANCE_DRIVEN = f"{TRIPS_KEY}.distance_driven"


def _bind_trip_sensor(
    description: FlexApiTripSensorEntityDescription, trips: TripRecorder
) -> FlexApiTripSensorEntityDescription:
    """The description reading one gateway's trips."""
    trip_fn = description.trip_fn
    return replace(description, value_fn=lambda _store: trip_fn(trips))


def describe_parameter(param: Parameter) -> FlexApiSensorEntityDescription:
    """The sensor description of a catalog parameter."""
    kwargs = description_kwargs(param)
    if param.key.startswith("userdata."):
        kwargs["placeholders"] = {"key": param.name}
    return FlexApiSensorEntityDescription(
        **kwargs,
        device_class=SensorDeviceClass(param.device_class)
        if param.device_class
        else None,
        state_class=SensorStateClass(param.state_class) if param.state_class else None,
        native_unit_of_measurement=param.unit,
        suggested_unit_of_measurement=param.suggested_unit,
        suggested_display_precision=param.precision,
        options=sorted(set(param.options.values())) if param.options else None,
        value_fn=_value_fn(param),
    )


def _one_wire_temperature(
    runtime: FlexApiRuntime, description: FlexApiSensorEntityDescription, index: int
) -> FlexApiSensorEntityDescription:
    """Name a 1-wire probe after ``tempN_name`` when the device reports one."""
    name = runtime.store.get(f"1-wire.temp{index}_name")
    return replace(
        description,
        placeholders={"name": name if isinstance(name, str) and name else str(index)},
    )


class FlexApiSensor(FlexApiEntity, SensorEntity):
    """A FlexAPI sensor."""

    entity_description: FlexApiSensorEntityDescription

    @property
    def native_value(self) -> SensorValue:
        """The value, from the store."""
        return self.entity_description.value_fn(self._store)


class FlexApiDistanceDrivenSensor(FlexApiSensor, RestoreSensor):
    """The GNSS odometer: never below the value Home Assistant last recorded.

    The trips are saved every minute or so while driving; after an unclean
    shutdown this keeps ``total_increasing`` statistics from seeing a drop
    (a meter reset, which would count the whole distance again).
    """

    async def async_added_to_hass(self) -> None:
        """Raise the odometer to the restored state, if that is higher."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) is None:
            return
        value = last.native_value
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            self.runtime.trips.keep_distance_driven(float(value))


class _UserdataCap:
    """Which userdata keys have a sensor: at most MAX_USERDATA_ENTITIES.

    Keys whose sensor is in the entity registry keep it, even above the cap.
    The first key refused is logged once per setup, with the number of
    userdata keys the gateway reports.
    """

    def __init__(self, hass: HomeAssistant, entry: FlexApiConfigEntry) -> None:
        runtime = entry.runtime_data
        self._runtime = runtime
        prefix = f"{runtime.client_id}_"
        self._keys: set[str] = {
            key
            for registry_entry in er.async_entries_for_config_entry(
                er.async_get(hass), entry.entry_id
            )
            if registry_entry.domain == "sensor"
            and (key := registry_entry.unique_id.removeprefix(prefix)).startswith(
                _USERDATA_PREFIX
            )
        }
        self._told = False

    def admit(self, key: str) -> bool:
        """Whether ``key`` has (or may now get) a sensor."""
        keys = self._keys
        if key in keys:
            return True
        if len(keys) < MAX_USERDATA_ENTITIES:
            keys.add(key)
            return True
        if not self._told:
            self._told = True
            reported = sum(
                1 for k in self._runtime.store.values if k.startswith(_USERDATA_PREFIX)
            )
            _LOGGER.warning(
                "%s reports %d userdata keys; only %d get a sensor (at most %d per "
                "gateway). The others are not shown; diagnostics list them",
                self._runtime.client_id,
                reported,
                len(keys),
                MAX_USERDATA_ENTITIES,
            )
        return False

    def forget(self, keys: list[str]) -> None:
        """Keys deleted on the device: their sensors are gone, their places free."""
        self._keys.difference_update(keys)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlexApiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors as their parameters are reported."""
    runtime = entry.runtime_data
    speed_unit = SPEED_UNITS.get(
        entry.options.get(CONF_GNSS_SPEED_UNIT, SPEED_KMH), SPEED_UNITS[SPEED_KMH]
    )
    userdata = _UserdataCap(hass, entry)

    def describe(key: str) -> Iterable[FlexApiSensor]:
        if (trip_sensor := TRIP_SENSORS.get(key)) is not None:
            cls = (
                FlexApiDistanceDrivenSensor if key == DISTANCE_DRIVEN else FlexApiSensor
            )
            return [cls(runtime, _bind_trip_sensor(trip_sensor, runtime.trips))]
        if key in ("gnss.date", "gnss.time"):
            return [FlexApiSensor(runtime, GNSS_DATETIME)]
        param = lookup(key)
        if param is None or param.platform is not Platform.SENSOR:
            return []
        if key.startswith(_USERDATA_PREFIX) and not userdata.admit(key):
            return []
        description = describe_parameter(param)
        if key == "gnss.speed":
            description = replace(description, native_unit_of_measurement=speed_unit)
        elif param.translation_key == "one_wire_temperature" and param.index:
            description = _one_wire_temperature(runtime, description, param.index)
        return [FlexApiSensor(runtime, description)]

    entry.async_on_unload(runtime.async_add_removed_key_listener(userdata.forget))
    async_setup_dynamic_entities(
        entry,
        async_add_entities,
        describe,
        # A probe is named from its tempN_name: it waits for data to be named.
        restorable=lambda key: not ONE_WIRE_TEMPERATURE.match(key),
        derived=(GNSS_DATETIME,),
        initial=TRIP_SENSORS,
        initial_when=is_trip_key,
    )
