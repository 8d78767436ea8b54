"""Sensors generated from the parameter catalog, fed with the spec's examples."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
import logging
from typing import Any

from homeassistant.components.sensor import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    SensorDeviceClass,
)
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flexapi.const import DOMAIN
from custom_components.flexapi.protocol.catalog import (
    CATALOG,
    Parameter,
    Platform,
    ValueType,
    canonical_key,
    lookup,
)
from tests.compat import SENSOR_DEFAULT_PRECISION
from tests.conftest import CLIENT_ID, FlexApiDevice

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

DIAG = "diagnostic"
MEAS = "measurement"
TOTAL_INC = "total_increasing"
#: Display precision of a sensor whose catalog row suggests none: HA 2025.6+
#: derives a default from the device class (speed in km/h, duration in s: 2).
DEFAULT_PRECISION = 2 if SENSOR_DEFAULT_PRECISION else None
#: 101 kPa shown in hPa: HA 2025.6+ no longer rounds a converted value itself.
PRESSURE_1010_HPA = "1010.0" if SENSOR_DEFAULT_PRECISION else "1010"


def entity_id_of(hass: HomeAssistant, key: str, domain: str = "sensor") -> str | None:
    """Entity id of the entity whose unique id is ``VG1_{key}``."""
    return er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"{CLIENT_ID}_{key}")


# entity_id: (state, unit, device_class, state_class, entity_category, precision)
EXPECTED: dict[
    str, tuple[str, str | None, str | None, str | None, str | None, int | None]
] = {
    "sensor.vg1_latitude": ("40.232213", "°", None, None, None, 6),
    "sensor.vg1_longitude": ("116.34366", "°", None, None, None, 6),
    "sensor.vg1_altitude": ("346.0", "m", "distance", MEAS, None, 1),
    "sensor.vg1_gnss_speed": ("87.6", "km/h", "speed", MEAS, None, 1),
    "sensor.vg1_heading": ("234.0", "°", None, MEAS, None, 0),
    "sensor.vg1_hdop": ("1.2", None, None, MEAS, DIAG, 1),
    "sensor.vg1_pdop": ("2.1", None, None, MEAS, DIAG, 1),
    "sensor.vg1_horizontal_accuracy": ("1.0", "m", "distance", MEAS, DIAG, 1),
    "sensor.vg1_gnss_fix": ("fix_3d", None, "enum", None, DIAG, None),
    "sensor.vg1_satellites_in_use": ("7", None, None, MEAS, DIAG, None),
    "sensor.vg1_gnss_time": (
        "2020-04-17T10:16:21+00:00",
        None,
        "timestamp",
        None,
        DIAG,
        None,
    ),
    "sensor.vg1_engine_speed": ("1234.0", "rpm", None, MEAS, None, 0),
    "sensor.vg1_vehicle_speed": ("20", "km/h", "speed", MEAS, None, DEFAULT_PRECISION),
    "sensor.vg1_odometer": ("1400.0", "km", "distance", TOTAL_INC, None, 1),
    "sensor.vg1_engine_run_time": (
        "3600",
        "s",
        "duration",
        MEAS,
        None,
        DEFAULT_PRECISION,
    ),
    "sensor.vg1_analog_input_1": ("0.0", "V", "voltage", MEAS, None, 2),
    "sensor.vg1_analog_input_6": ("0.0", "V", "voltage", MEAS, None, 2),
    "sensor.vg1_acceleration_x": ("0.08", "g", None, MEAS, None, 2),
    "sensor.vg1_rotation_rate_z": ("-0.47", "°/s", None, MEAS, None, 2),
    "sensor.vg1_roll": ("-0.65", "°", None, MEAS, None, 1),
    "sensor.vg1_pitch": ("1.03", "°", None, MEAS, None, 1),
    "sensor.vg1_yaw": ("302.49", "°", None, MEAS, None, 1),
    "sensor.vg1_active_sim": ("1", None, None, None, DIAG, None),
    "sensor.vg1_imei": ("862104021247207", None, None, None, DIAG, None),
    "sensor.vg1_imsi": ("460013231603009", None, None, None, DIAG, None),
    "sensor.vg1_iccid": ("89860118802836799717", None, None, None, DIAG, None),
    "sensor.vg1_signal_level": ("28", "asu", None, MEAS, None, None),
    "sensor.vg1_registration_status": ("home", None, "enum", None, DIAG, None),
    "sensor.vg1_operator": ("46001", None, None, None, None, None),
    "sensor.vg1_network_type": ("4g", None, "enum", None, None, None),
    "sensor.vg1_location_area_code": ("EA00", None, None, None, DIAG, None),
    "sensor.vg1_cell_id": ("71CF520", None, None, None, DIAG, None),
    "sensor.vg1_cellular_status": ("up", None, "enum", None, None, None),
    "sensor.vg1_ip_address": ("10.210.255.168", None, None, None, DIAG, None),
    "sensor.vg1_primary_dns": ("119.7.7.7", None, None, None, DIAG, None),
    "sensor.vg1_connected_since": (
        "2020-08-26T06:56:25+00:00",
        None,
        "timestamp",
        None,
        DIAG,
        None,
    ),
    # 0 means "never": unknown, not 1970.
    "sensor.vg1_disconnected_at": (STATE_UNKNOWN, None, "timestamp", None, DIAG, None),
    # Bytes on the wire, shown in MB.
    "sensor.vg1_data_sent": ("0.120488", "MB", "data_size", TOTAL_INC, None, 2),
    "sensor.vg1_data_received": ("0.034098", "MB", "data_size", TOTAL_INC, None, 2),
    "sensor.vg1_1_wire_bus_status": ("connected", None, "enum", None, DIAG, None),
    "sensor.vg1_1_wire_device_type": (
        "temperature_rom_code",
        None,
        "enum",
        None,
        DIAG,
        None,
    ),
    "sensor.vg1_1_wire_temperature_probes": ("2", None, None, None, DIAG, None),
    "sensor.vg1_temperature_inside": ("24.56", "°C", "temperature", MEAS, None, 2),
    "sensor.vg1_temperature_outside": ("24.75", "°C", "temperature", MEAS, None, 2),
    "sensor.vg1_temperature_1_probe_id": (
        "aa012029901e7928",
        None,
        None,
        None,
        DIAG,
        None,
    ),
    "sensor.vg1_rom_code_1": ("cc00001b559ae001", None, None, None, DIAG, None),
    "sensor.vg1_user_data_custom_key": ("custom_value", None, None, None, None, None),
    "sensor.vg1_user_data_serial_number": ("SN0125", None, None, None, None, None),
    "sensor.vg1_firmware": ("1.0.0.r13083", None, None, None, DIAG, None),
    "sensor.vg1_hostname": ("VG710", None, None, None, DIAG, None),
    "sensor.vg1_model": ("VG710", None, None, None, DIAG, None),
    "sensor.vg1_lan_mac_address": ("00:18:05:10:99:66", None, None, None, DIAG, None),
}


async def test_spec_example_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """The key sensors of the examples: state, unit, classes, category, precision."""
    await gateway.info_all(spec_examples)
    mismatches = []
    for entity_id, expected in EXPECTED.items():
        state = hass.states.get(entity_id)
        entry = entity_registry.async_get(entity_id)
        assert state is not None, entity_id
        assert entry is not None, entity_id
        actual = (
            state.state,
            state.attributes.get("unit_of_measurement"),
            state.attributes.get("device_class"),
            state.attributes.get("state_class"),
            entry.entity_category,
            entry.options.get("sensor", {}).get("suggested_display_precision"),
        )
        if actual != expected:
            mismatches.append(f"{entity_id}: {actual} != {expected}")
    assert not mismatches, "\n".join(mismatches)


async def test_every_example_value_is_an_entity(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """Each sensor/binary sensor value of every example shows its typed value."""
    await gateway.info_all(spec_examples)
    checked = 0
    for data in spec_examples.values():
        for wire_key, raw in data.items():
            param = lookup(canonical_key(wire_key)[0])
            assert param is not None, wire_key
            if param.platform not in (Platform.SENSOR, Platform.BINARY_SENSOR):
                continue
            entity_id = entity_id_of(hass, param.key, str(param.platform))
            assert entity_id is not None, f"no entity for {wire_key}"
            state = hass.states.get(entity_id)
            assert state is not None, entity_id
            value = param.coerce(raw)
            if param.vtype is ValueType.BOOL:
                assert state.state == ("on" if value else "off"), entity_id
            elif param.options is not None:
                assert state.state == param.option(value), entity_id
            elif param.vtype is ValueType.TIMESTAMP:
                expected = (
                    datetime.fromtimestamp(value, UTC).isoformat()
                    if value
                    else STATE_UNKNOWN
                )
                assert state.state == expected, entity_id
            elif param.vtype is ValueType.STR:
                assert state.state == value, entity_id
            else:
                scale = 1e6 if param.suggested_unit == "MB" else 1
                assert float(state.state) == pytest.approx(value / scale), entity_id
            checked += 1
    assert checked == 79


@pytest.mark.parametrize(
    ("flexapi_options", "unit"),
    [
        ({}, "km/h"),
        ({"gnss_speed_unit": "kmh"}, "km/h"),
        ({"gnss_speed_unit": "knots"}, "kn"),
    ],
)
async def test_gnss_speed_unit_option(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    unit: str,
) -> None:
    """km/h by default (rev 1.0.8); knots when the option says so (rev 1.0.9)."""
    await gateway.info("gnss", {"gnss.speed": 87.6})
    state = hass.states.get("sensor.vg1_gnss_speed")
    assert state is not None
    assert state.state == "87.6"
    assert state.attributes["unit_of_measurement"] == unit
    assert state.attributes["device_class"] == "speed"


@pytest.mark.parametrize(
    ("group", "key", "entity_id", "options", "values"),
    [
        (
            "gnss",
            "gnss.fix",
            "sensor.vg1_gnss_fix",
            ["dr_only", "fix_2d", "fix_3d", "gnss_dr", "no_fix", "time_only"],
            [
                (0, "no_fix"),
                (1, "dr_only"),
                (2, "fix_2d"),
                (3, "fix_3d"),
                (4, "gnss_dr"),
                (5, "time_only"),
                ("3", "fix_3d"),
                (9, STATE_UNKNOWN),
            ],
        ),
        (
            "cellular1",
            "modem1.network",
            "sensor.vg1_network_type",
            ["2g", "3g", "4g", "5g", "none"],
            [
                (0, "none"),
                (1, "2g"),
                (2, "3g"),
                (3, "4g"),
                (4, "5g"),
                (5, STATE_UNKNOWN),
            ],
        ),
        (
            "cellular1",
            "modem1.reg_status",
            "sensor.vg1_registration_status",
            [
                "denied",
                "home",
                "not_registered",
                "registration_unknown",
                "roaming",
                "searching",
            ],
            [
                (0, "not_registered"),
                (1, "home"),
                (2, "searching"),
                (3, "denied"),
                (4, "registration_unknown"),
                (5, "roaming"),
                # In the documented range [0,6] but undefined.
                (6, STATE_UNKNOWN),
                ("1", "home"),
            ],
        ),
        (
            "cellular1",
            "cellular1.status",
            "sensor.vg1_cellular_status",
            ["created", "destroyed", "down", "up"],
            [(0, "destroyed"), (1, "created"), (2, "down"), (3, "up")],
        ),
        (
            "1-wire",
            "1-wire.status",
            "sensor.vg1_1_wire_bus_status",
            ["connected", "disconnected"],
            [
                ("Connected", "connected"),
                ("Disconnected", "disconnected"),
                ("Unplugged", STATE_UNKNOWN),
            ],
        ),
    ],
)
async def test_enum_sensors(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    group: str,
    key: str,
    entity_id: str,
    options: list[str],
    values: list[tuple[Any, str]],
) -> None:
    """Enum sensors list their options; undefined codes are unknown."""
    for raw, expected in values:
        await gateway.info(group, {key: raw})
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == expected, raw
        assert state.attributes["device_class"] == "enum"
        assert state.attributes["options"] == options


@pytest.mark.parametrize(
    ("group", "key", "entity_id", "good", "good_state"),
    [
        ("gnss", "gnss.speed", "sensor.vg1_gnss_speed", 87.6, "87.6"),
        ("obd", "obd.speed", "sensor.vg1_vehicle_speed", "20", "20"),
        ("gnss", "gnss.fix", "sensor.vg1_gnss_fix", 3, "fix_3d"),
        (
            "cellular1",
            "cellular1.up_at",
            "sensor.vg1_connected_since",
            1598424985,
            "2020-08-26T06:56:25+00:00",
        ),
        ("cellular1", "cellular1.tx_bytes", "sensor.vg1_data_sent", 2000000, "2.0"),
    ],
)
async def test_invalid_values_are_unknown(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    group: str,
    key: str,
    entity_id: str,
    good: Any,
    good_state: str,
) -> None:
    """Null and uncoercible values make the state unknown, never stale or an error."""
    for bad in (None, "abc", "", [1], {"a": 1}):
        await gateway.info(group, {key: good})
        assert hass.states.get(entity_id).state == good_state
        await gateway.info(group, {key: bad})
        assert hass.states.get(entity_id).state == STATE_UNKNOWN, bad


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Documented as 1e15, a real firmware glitch: out of datetime's range.
        (10**15, STATE_UNKNOWN),
        (-5, STATE_UNKNOWN),
        (0, STATE_UNKNOWN),
        ("1598424985", "2020-08-26T06:56:25+00:00"),
        (1598424985.0, "2020-08-26T06:56:25+00:00"),
    ],
)
async def test_timestamp_sensor(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    raw: Any,
    expected: str,
) -> None:
    """Timestamps out of range, negative or 0 are unknown, never an exception."""
    await gateway.info("cellular1", {"cellular1.up_at": raw, "cellular1.status": 3})
    assert hass.states.get("sensor.vg1_connected_since").state == expected
    # The same message's other values were not lost to an exception.
    assert hass.states.get("sensor.vg1_cellular_status").state == "up"


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        ("2020-4-17", "10:16:21", "2020-04-17T10:16:21+00:00"),
        ("20-04-17", "10:16:21", "2020-04-17T10:16:21+00:00"),
        ("2020-13-45", "10:16:21", STATE_UNKNOWN),
        ("2020-4", "10:16:21", STATE_UNKNOWN),
        ("2020-4-17", "10:16", STATE_UNKNOWN),
        ("2020-4-17", None, STATE_UNKNOWN),
        (None, "10:16:21", STATE_UNKNOWN),
    ],
)
async def test_gnss_datetime(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    date: str | None,
    time: str | None,
    expected: str,
) -> None:
    """GNSS date and time become one UTC timestamp; malformed ones are unknown."""
    await gateway.info("gnss", {"gnss.date": date, "gnss.time": time})
    assert hass.states.get("sensor.vg1_gnss_time").state == expected


async def test_non_core_obd_sensors(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """OBD parameters outside the spec example get their units and classes."""
    await gateway.info(
        "obd",
        {
            "obd.t_dist": 12.5,
            "obd.f_rate": 3.25,
            "obd.c_temp": 90,
            "obd.b_press": 101,
            "obd.mf_mon": 1,
            "obd.vin": "WDB1234567890",
            "obd.rpm": 34245,  # out of range in the §3.3.2 example: still shown
        },
    )
    expected = {
        "sensor.vg1_trip_distance": ("12.5", "km", "distance", TOTAL_INC),
        "sensor.vg1_fuel_rate": ("3.25", "L/h", None, MEAS),
        "sensor.vg1_coolant_temperature": ("90", "°C", "temperature", MEAS),
        # Shown in the unit system's pressure unit.
        "sensor.vg1_barometric_pressure": (
            PRESSURE_1010_HPA,
            "hPa",
            "atmospheric_pressure",
            MEAS,
        ),
        "sensor.vg1_misfire_monitor": ("completed", None, "enum", None),
        "sensor.vg1_vin": ("WDB1234567890", None, None, None),
        "sensor.vg1_engine_speed": ("34245.0", "rpm", None, MEAS),
    }
    for entity_id, (value, unit, device_class, state_class) in expected.items():
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert (
            state.state,
            state.attributes.get("unit_of_measurement"),
            state.attributes.get("device_class"),
            state.attributes.get("state_class"),
        ) == (value, unit, device_class, state_class), entity_id


async def test_one_wire_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """Probes are named after tempN_name; IDs and ROM codes are diagnostic."""
    await gateway.info("1-wire", spec_examples["1-wire"])
    inside = hass.states.get("sensor.vg1_temperature_inside")
    assert inside.attributes["friendly_name"] == "VG1 Temperature Inside"
    assert hass.states.get("sensor.vg1_temperature_outside").state == "24.75"
    for entity_id, enabled in (
        ("sensor.vg1_temperature_1_probe_id", False),
        ("sensor.vg1_temperature_2_probe_id", False),
        ("sensor.vg1_rom_code_1", True),
    ):
        entry = entity_registry.async_get(entity_id)
        assert entry.entity_category == DIAG, entity_id
        param = lookup(entry.unique_id.removeprefix(f"{CLIENT_ID}_"))
        assert param.enabled_default is enabled, entity_id

    # A probe without a name falls back to its number.
    await gateway.info("1-wire", {"1-wire.temp3_data": 5.5})
    state = hass.states.get("sensor.vg1_temperature_3")
    assert state is not None
    assert state.state == "5.5"


async def test_userdata_one_sensor_per_key(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """Each userdata key is its own sensor, added when first reported."""
    await gateway.info("userdata", spec_examples["userdata"])
    state = hass.states.get("sensor.vg1_user_data_custom_key")
    assert state.state == "custom_value"
    assert state.attributes["friendly_name"] == "VG1 User data custom_key"
    assert hass.states.get("sensor.vg1_user_data_serial_number").state == "SN0125"
    assert hass.states.get("sensor.vg1_user_data_plate") is None

    await gateway.info(
        "userdata", {"userdata.plate": "B-AB 123", "userdata.custom_key": 7}
    )
    assert hass.states.get("sensor.vg1_user_data_plate").state == "B-AB 123"
    assert hass.states.get("sensor.vg1_user_data_custom_key").state == "7"
    assert set(hass.states.async_entity_ids("sensor")) == {
        "sensor.vg1_user_data_custom_key",
        "sensor.vg1_user_data_serial_number",
        "sensor.vg1_user_data_plate",
        # No IO, OBD or GNSS data: no trip sensors.
    }


def userdata_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Entity IDs of the entry's userdata sensors in the entity registry."""
    return [
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if registry_entry.unique_id.startswith(f"{CLIENT_ID}_userdata.")
    ]


def cap_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The warnings that a gateway reports more userdata keys than get sensors."""
    return [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "userdata keys" in record.message
    ]


async def test_userdata_sensors_are_capped_and_the_user_told_once(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two uploads of 1,000 new userdata keys: 64 sensors, one warning."""
    for upload in range(2):
        await gateway.info(
            "userdata", {f"userdata.k{upload}_{n:04}": str(n) for n in range(1000)}
        )
    assert len(userdata_sensors(hass, flexapi_entry)) == 64
    assert len(hass.states.async_entity_ids("sensor")) == 64
    [warning] = cap_warnings(caplog)
    assert f"{CLIENT_ID}" in warning.message
    assert "256 userdata keys" in warning.message  # what the store holds
    assert "64" in warning.message
    # The sensors made keep their values.
    assert hass.states.get("sensor.vg1_user_data_k0_0000").state == "0"
    await gateway.info("userdata", {"userdata.k0_0000": "again"})
    assert hass.states.get("sensor.vg1_user_data_k0_0000").state == "again"
    assert len(cap_warnings(caplog)) == 1


async def test_userdata_sensors_from_the_registry_keep_working_above_the_cap(
    hass: HomeAssistant,
    flexapi_config_entry: MockConfigEntry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sensors made before the cap (70 of them) stay; no new one is added."""
    registry = er.async_get(hass)
    for n in range(70):
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{CLIENT_ID}_userdata.old{n}",
            config_entry=flexapi_config_entry,
            suggested_object_id=f"vg1_user_data_old{n}",
        )
    await setup_flexapi()
    await gateway.info(
        "userdata",
        {"userdata.new": "x"} | {f"userdata.old{n}": str(n) for n in range(70)},
    )
    assert len(userdata_sensors(hass, flexapi_config_entry)) == 70
    assert len(hass.states.async_entity_ids("sensor")) == 70
    assert hass.states.get("sensor.vg1_user_data_old69").state == "69"
    assert len(cap_warnings(caplog)) == 1


async def test_long_text_is_truncated(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """Text longer than a state may be is cut to 255 characters."""
    await gateway.info("forward", {"forward.payload": "x" * 1000})
    assert hass.states.get("sensor.vg1_forwarded_payload").state == "x" * 255


def test_catalog_units_fit_device_classes() -> None:
    """Every catalog sensor's unit and state class suit its device class."""
    problems = []
    for param in CATALOG.values():
        if param.platform is not Platform.SENSOR or param.device_class is None:
            continue
        device_class = SensorDeviceClass(param.device_class)
        units = DEVICE_CLASS_UNITS.get(device_class)
        if units is not None and param.unit not in units:
            problems.append(f"{param.key}: {param.unit} not in {units}")
        state_classes = DEVICE_CLASS_STATE_CLASSES[device_class]
        if param.state_class and param.state_class not in state_classes:
            problems.append(f"{param.key}: {param.state_class} not in {state_classes}")
        if device_class is SensorDeviceClass.ENUM and not param.options:
            problems.append(f"{param.key}: an enum without options")
    assert not problems, "\n".join(problems)


def sample(param: Parameter) -> Any:
    """A valid wire value for a parameter."""
    if param.options:
        return next(iter(param.options))
    return {
        ValueType.INT: 1,
        ValueType.FLOAT: 1.5,
        ValueType.NUMBER: 1.5,
        ValueType.BOOL: 1,
        ValueType.STR: "text",
        ValueType.TIMESTAMP: 1600000000,
    }[param.vtype]


async def test_every_catalog_entity_is_accepted(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each sensor and binary sensor of the catalog is created without warnings."""
    params = [
        p
        for p in CATALOG.values()
        if p.platform in (Platform.SENSOR, Platform.BINARY_SENSOR)
    ]
    await gateway.info("summary", {p.key: sample(p) for p in params})
    for param in params:
        entity_id = entity_id_of(hass, param.key, str(param.platform))
        assert entity_id is not None, param.key
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state not in ("unknown", "unavailable"), entity_id
    problems = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name != "asyncio"
    ]
    assert not problems


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    ("key", "entity_id", "raw", "state"),
    [
        ("modem1.rssi", "sensor.vg1_rssi", -95.5, "-95.5"),
        ("modem1.rsrp", "sensor.vg1_rsrp", "-101.5", "-101.5"),
        ("modem1.signal_lvl", "sensor.vg1_signal_level", 21.5, "21.5"),
        ("modem1.active_sim", "sensor.vg1_active_sim", 1.0, "1"),
        ("modem1.rssi", "sensor.vg1_rssi", -95, "-95"),
    ],
)
async def test_a5_numbers_accept_fractions(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    key: str,
    entity_id: str,
    raw: Any,
    state: str,
) -> None:
    """A.5 types these as "number": a fractional reading is no unknown."""
    await gateway.info("cellular1", {key: raw})
    assert hass.states.get(entity_id).state == state
