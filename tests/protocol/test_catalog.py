"""Tests of protocol/catalog.py against Appendix A, the errata and rev 1.0.9."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from custom_components.flexapi.protocol.catalog import (
    CATALOG,
    Parameter,
    Platform,
    ValueType,
    canonical_key,
    group_of_key,
    lookup,
)

INT, F, N, B, S, TS = (
    ValueType.INT,
    ValueType.FLOAT,
    ValueType.NUMBER,
    ValueType.BOOL,
    ValueType.STR,
    ValueType.TIMESTAMP,
)
_MONITORS = [
    "mf_mon",
    "f_s_mon",
    "c_c_mon",
    "c_mon",
    "h_c_mon",
    "e_s_mon",
    "s_a_s_mon",
    "a_s_r_mon",
    "e_g_s_mon",
    "e_g_s_h_mon",
    "e_v_s_mon",
    "c_s_a_s_mon",
    "b_p_c_s_mon",
    "dpf_mon",
    "n_c_mon",
    "nmhc_mon",
    "o_s_mon",
    "o_s_h_mon",
    "pf_mon",
]
_SYSINFO = [
    "language",
    "hostname",
    "timezone",
    "model_name",
    "oem_name",
    "serial_number",
    "firmware_version",
    "bootloader_version",
    "product_number",
    "description",
    "lan_mac",
    "wlan_mac",
    "wlan_5g_mac",
]

#: Appendix A.1-A.8 of rev 1.0.8: key -> (type, unit).
#: Units are written as the catalog spells them ("deg" -> "°", "RPM" -> "rpm",
#: "l/h" -> "L/h", "Nm" -> "N·m", "sec" -> "s", "byte" -> "B"); gnss.altitude
#: is in metres per the errata; 0/1 states (DI, DO, pull-ups, mil, brake,
#: parking) are booleans; "<group>.ts" and the *_at keys are timestamps;
#: A.5's "number" is NUMBER (int or float), never a narrower int.
APPENDIX_A: dict[str, tuple[ValueType, str | None]] = {
    # A.1 GNSS
    "gnss.ts": (TS, None),
    "gnss.latitude": (F, "°"),
    "gnss.longitude": (F, "°"),
    "gnss.altitude": (F, "m"),
    "gnss.speed": (F, "km/h"),
    "gnss.heading": (F, "°"),
    "gnss.hdop": (F, None),
    "gnss.pdop": (F, None),
    "gnss.hacc": (F, "m"),
    "gnss.fix": (INT, None),
    "gnss.num_sv": (INT, None),
    "gnss.date": (S, None),
    "gnss.time": (S, None),
    # A.2 Motion
    "motion.ts": (TS, None),
    **{f"motion.a{axis}": (F, "g") for axis in "xyz"},
    **{f"motion.g{axis}": (F, "°/s") for axis in "xyz"},
    **{f"motion.{angle}": (F, "°") for angle in ("roll", "pitch", "yaw")},
    # A.3 IO
    "io.ts": (TS, None),
    **{f"io.AI{n}": (F, "V") for n in range(1, 7)},
    **{f"io.DI{n}{tail}": (B, None) for n in range(1, 7) for tail in ("", "_pullup")},
    **{f"io.DO{n}{tail}": (B, None) for n in range(1, 5) for tail in ("", "_pullup")},
    # A.4 OBD
    "obd.ts": (TS, None),
    "obd.vin": (S, None),
    "obd.e_load": (F, "%"),
    "obd.c_temp": (INT, "°C"),
    "obd.rpm": (F, "rpm"),
    "obd.speed": (INT, "km/h"),
    "obd.f_lvl": (F, "%"),
    "obd.f_rate": (F, "L/h"),
    "obd.dtcs": (INT, None),
    "obd.mil": (B, None),
    "obd.b_volt": (F, "V"),
    "obd.a_temp": (INT, "°C"),
    "obd.o_temp": (INT, "°C"),
    "obd.up_time": (INT, "s"),
    "obd.m_dist": (INT, "km"),
    "obd.d_dist": (INT, "km"),
    "obd.m_time": (INT, "min"),
    "obd.d_time": (INT, "min"),
    "obd.f_press": (INT, "kPa"),
    "obd.t_pos": (F, "%"),
    "obd.brake": (B, None),
    "obd.parking": (B, None),
    "obd.s_w_angle": (F, "rad"),
    "obd.f_econ": (F, "km/L"),
    "obd.odo": (F, "km"),
    "obd.a_pos": (F, "%"),
    "obd.t_dist": (F, "km"),
    "obd.i_temp": (INT, "°C"),
    "obd.i_press": (INT, "kPa"),
    "obd.b_press": (INT, "kPa"),
    "obd.f_r_press": (INT, "kPa"),
    "obd.r_torque": (INT, "N·m"),
    "obd.f_torque": (F, "%"),
    "obd.max_avl_torque": (F, "%"),
    "obd.a_torque": (F, "%"),
    "obd.d_e_f_vol": (F, "%"),
    **{f"obd.{monitor}": (INT, None) for monitor in _MONITORS},
    "obd.brake_prim_press": (F, "kPa"),
    "obd.brake_sec_press": (F, "kPa"),
    # A.5 Cellular
    "modem1.ts": (TS, None),
    "modem1.active_sim": (N, None),
    "modem1.imei": (S, None),
    "modem1.imsi": (S, None),
    "modem1.iccid": (S, None),
    "modem1.phone_num": (S, None),
    "modem1.signal_lvl": (N, "asu"),
    "modem1.reg_status": (N, None),
    "modem1.operator": (S, None),
    "modem1.network": (N, None),
    "modem1.lac": (S, None),
    "modem1.cell_id": (S, None),
    "modem1.rssi": (N, "dBm"),
    "modem1.rsrp": (N, "dBm"),
    "modem1.rsrq": (N, "dB"),
    "modem1.sinr": (N, "dB"),
    "cellular1.ts": (TS, None),
    "cellular1.status": (N, None),
    **{
        f"cellular1.{name}": (S, None)
        for name in ("ip", "netmask", "gateway", "dns1", "dns2")
    },
    "cellular1.up_at": (TS, None),
    "cellular1.down_at": (TS, None),
    "cellular1.traffic_ts": (TS, None),
    "cellular1.tx_bytes": (INT, "B"),
    "cellular1.rx_bytes": (INT, "B"),
    # A.6 System
    "sysinfo.ts": (TS, None),
    **{f"sysinfo.{name}": (S, None) for name in _SYSINFO},
    # A.7 APP
    "app.wifi_mode_2g": (INT, None),
    "app.wifi_mode_5g": (INT, None),
    # A.8 1-Wire (N = 1..4)
    "1-wire.status": (S, None),
    "1-wire.type": (S, None),
    "1-wire.temp_num": (INT, None),
    "1-wire.rom_num": (INT, None),
    **{f"1-wire.temp{n}_data": (F, "°C") for n in range(1, 5)},
    **{f"1-wire.temp{n}_id": (S, None) for n in range(1, 5)},
    **{f"1-wire.temp{n}_name": (S, None) for n in range(1, 5)},
    **{f"1-wire.rom_code{n}": (S, None) for n in range(1, 5)},
}
#: Sent by devices although Appendix A has no row for it (errata).
UNDOCUMENTED = {"1-wire.ts": (TS, None)}
#: Rev 1.0.9 additions.
REV_109: dict[str, tuple[ValueType, str | None]] = {
    "gnss.type": (S, None),
    "gnss.acc_heading": (F, "°"),
    "io.power_input": (F, "V"),
    "io.igt_status": (B, None),
    "modem1.submode": (S, None),
    "sysinfo.power_management_version": (S, None),
    "forward.payload": (S, None),
    "forward.payload_bt": (S, None),
    "forward.payload_can": (S, None),
    "forward.payload_obdcan": (S, None),
}

PARAMS = list(CATALOG.values())
every_param = pytest.mark.parametrize("param", PARAMS, ids=[p.key for p in PARAMS])

#: Python type of a coerced value.
PY_TYPE = {INT: int, F: float, N: int, B: bool, S: str, TS: int}


def _native(param: Parameter) -> tuple[Any, str]:
    """A valid native value of a parameter and how a device may stringify it."""
    if param.options:
        value: Any = next(iter(param.options))
    else:
        value = {INT: 2, F: 24.5, N: 2, B: True, S: "SN0125", TS: 1592820539}[
            param.vtype
        ]
    if param.value_range is not None:
        low, high = param.value_range
        assert low <= value <= high, f"sample {value} outside {param.value_range}"
    text = "1" if value is True else str(value)
    return value, text


def _assert_typed(param: Parameter, raw: Any, expected: Any) -> None:
    value = param.coerce(raw)
    assert value == expected, f"{param.key}: {raw!r} -> {value!r}"
    if expected is not None:
        py_type = float if type(expected) is float else PY_TYPE[param.vtype]
        assert type(value) is py_type, f"{param.key}: {raw!r} -> {value!r}"


# ---------------------------------------------------------------------------
# Contents


@pytest.mark.parametrize(("key", "expected"), APPENDIX_A.items())
def test_appendix_a_parameter(key: str, expected: tuple[ValueType, str | None]) -> None:
    param = CATALOG[key]
    assert (param.vtype, param.unit) == expected
    assert param.since == "1.0.8"


@pytest.mark.parametrize(("key", "expected"), REV_109.items())
def test_rev_109_parameter(key: str, expected: tuple[ValueType, str | None]) -> None:
    param = CATALOG[key]
    assert (param.vtype, param.unit) == expected
    assert param.since == "1.0.9"
    assert param.removed is None


def test_catalog_holds_exactly_the_documented_keys() -> None:
    assert CATALOG.keys() == {*APPENDIX_A, *UNDOCUMENTED, *REV_109}
    assert CATALOG["1-wire.ts"].vtype is TS
    for key, param in CATALOG.items():
        assert param.key == key
        assert lookup(key) is param
        assert group_of_key(key) == param.group


def test_removed_in_109() -> None:
    removed = {key: param.removed for key, param in CATALOG.items() if param.removed}
    assert removed == {"obd.brake_prim_press": "1.0.9", "obd.brake_sec_press": "1.0.9"}


@pytest.mark.parametrize(
    ("key", "value_range"),
    [
        ("gnss.heading", (0, 360)),
        ("gnss.num_sv", (0, 12)),
        ("io.AI1", (0, 36)),
        ("io.AI6", (0, 36)),
        ("io.power_input", (0, 36)),
        ("obd.rpm", (0, 16383.75)),
        ("obd.speed", (0, 255)),
        ("obd.c_temp", (-40, 215)),
        ("obd.odo", (0, 526385151.875)),
        ("obd.s_w_angle", (-31.374, 31.374)),
        ("modem1.active_sim", (1, 2)),
        ("modem1.reg_status", (0, 6)),
        ("modem1.network", (0, 4)),  # 1.0.9 adds 4 = 5G
        ("cellular1.status", (0, 3)),
        ("1-wire.temp_num", (1, 4)),
    ],
)
def test_documented_ranges(key: str, value_range: tuple[float, float]) -> None:
    assert CATALOG[key].value_range == value_range


@pytest.mark.parametrize(
    ("key", "index"),
    [
        ("io.AI3", 3),
        ("io.DI6_pullup", 6),
        ("io.DO4", 4),
        ("1-wire.temp2_data", 2),
        ("1-wire.rom_code4", 4),
        ("gnss.fix", None),
    ],
)
def test_indexed_families(key: str, index: int | None) -> None:
    assert CATALOG[key].index == index


# ---------------------------------------------------------------------------
# Coercion of every entry

#: Garbage that no parameter accepts.
GARBAGE: list[Any] = [[], {}, [1], {"a": 1}, object()]
#: Garbage for every non-string parameter.
GARBAGE_TEXT = ["abc", "", " ", "1,5", "0x1F"]
NON_FINITE: list[Any] = [math.nan, math.inf, -math.inf, "nan", "inf", "-inf", "1e999"]
#: Further (raw, coerced) pairs per type.
VARIANTS: dict[ValueType, list[tuple[Any, Any]]] = {
    INT: [
        ("1.0", 1),
        (" 2 ", 2),
        ("-3", -3),
        (2.0, 2),
        (True, 1),
        (False, 0),
        (2.5, None),
        ("2.5", None),
    ],
    F: [
        (24, 24.0),
        ("24", 24.0),
        (" -1.5e2 ", -150.0),
        (0, 0.0),
        (True, None),  # a boolean is not a reading
    ],
    N: [
        ("1.0", 1),
        (2.0, 2),
        (-95.5, -95.5),
        ("-95.5", -95.5),
        (" -1.5e2 ", -150),
        (True, None),  # a boolean is not a reading
    ],
    B: [
        (1, True),
        (0, False),
        (1.0, True),
        ("0", False),
        (" true ", True),
        ("False", False),
        ("on", True),
        ("off", False),
        ("yes", True),
        ("no", False),
        (False, False),
        (2, None),
        (-1, None),
        (0.5, None),
        ("2", None),
    ],
    S: [(5, "5"), (24.5, "24.5"), ("", ""), (" x ", " x ")],
    TS: [
        (0, 0),
        ("0", 0),
        (1592820539.7, 1592820539),
        ("1592820539.7", 1592820539),
        (-1, None),
        ("-5", None),
    ],
}


@every_param
def test_coerce(param: Parameter) -> None:
    value, text = _native(param)
    _assert_typed(param, value, value)
    _assert_typed(param, text, value)  # e.g. "1", "24.5"
    assert param.coerce(None) is None  # null means invalid, never 0
    garbage = GARBAGE if param.vtype is S else [*GARBAGE, *GARBAGE_TEXT, *NON_FINITE]
    for raw in garbage:
        assert param.coerce(raw) is None, f"{param.key}: {raw!r}"
    for raw, expected in VARIANTS[param.vtype]:
        _assert_typed(param, raw, expected)


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        # §3.3.2 reports values outside the documented ranges: keep them.
        ("obd.rpm", 34245, 34245.0),
        ("obd.speed", 53255, 53255),
        ("gnss.num_sv", 40, 40),
        ("io.AI1", 50.5, 50.5),
        ("obd.c_temp", -100, -100),
        ("modem1.reg_status", 6, 6),
        ("modem1.network", 9, 9),
    ],
)
def test_out_of_range_values_are_kept(key: str, raw: Any, expected: Any) -> None:
    _assert_typed(CATALOG[key], raw, expected)


# ---------------------------------------------------------------------------
# Enumerations


@pytest.mark.parametrize(
    ("key", "mapping"),
    [
        (
            "gnss.fix",
            {
                0: "no_fix",
                1: "dr_only",
                2: "fix_2d",
                3: "fix_3d",
                4: "gnss_dr",
                5: "time_only",
                6: None,
            },
        ),
        ("modem1.network", {0: "none", 1: "2g", 2: "3g", 3: "4g", 4: "5g", 5: None}),
        (
            "modem1.reg_status",
            {
                0: "not_registered",
                1: "home",
                2: "searching",
                3: "denied",
                4: "registration_unknown",
                5: "roaming",
                6: None,  # in the documented range, but undefined
            },
        ),
        (
            "cellular1.status",
            {0: "destroyed", 1: "created", 2: "down", 3: "up", 4: None},
        ),
        (
            "1-wire.status",
            {
                "Connected": "connected",
                "Disconnected": "disconnected",
                "connected": None,
            },
        ),
        (
            "1-wire.type",
            {
                "Temperature": "temperature",
                "ROM Code": "rom_code",
                "Temperature & ROM Code": "temperature_rom_code",
                "Other": None,
            },
        ),
        ("app.wifi_mode_2g", {0: "ap", 1: "sta", -1: "not_available", 2: None}),
        ("app.wifi_mode_5g", {0: "ap", 1: "sta", -1: "not_available", 2: None}),
        *[
            (f"obd.{m}", {0: "not_completed", 1: "completed", 2: None})
            for m in _MONITORS
        ],
    ],
)
def test_option_mappings(key: str, mapping: dict[Any, str | None]) -> None:
    param = CATALOG[key]
    for raw, slug in mapping.items():
        assert param.option(raw) == slug, raw
        # The device may send enum values as strings.
        assert param.option(param.coerce(str(raw))) == slug, raw
    assert param.option(None) is None
    assert {slug for slug in mapping.values() if slug} == set(param.options.values())  # type: ignore[union-attr]


def test_option_of_a_parameter_without_options() -> None:
    assert CATALOG["obd.rpm"].option(1234.0) is None


# ---------------------------------------------------------------------------
# Home Assistant hints

#: Home Assistant's translation key rule: lowercase, digits, "-" and "_",
#: no leading/trailing or doubled separator.
TRANSLATION_KEY = re.compile(r"^(?!.*[_-]{2})(?![_-])[a-z0-9_-]+(?<![_-])$")
OPTION_SLUG = re.compile(r"^[a-z0-9_-]+$")


@every_param
def test_entry_hints(param: Parameter) -> None:
    assert TRANSLATION_KEY.match(param.translation_key), param.translation_key
    assert TRANSLATION_KEY.match(param.platform.value), param.platform
    for slug in (param.options or {}).values():
        assert OPTION_SLUG.match(slug), slug
    # Enum sensors carry their options, and sensors with options are enums.
    if param.device_class == "enum":
        assert param.options
    if param.options and param.platform is Platform.SENSOR:
        assert param.device_class == "enum"


def test_entity_translation_keys_are_unique() -> None:
    seen: dict[tuple[str, str, int | None], str] = {}
    for param in PARAMS:
        if param.platform is Platform.NONE:
            continue
        ident = (param.platform.value, param.translation_key, param.index)
        assert ident not in seen, f"{param.key} and {seen[ident]} share {ident}"
        seen[ident] = param.key


# ---------------------------------------------------------------------------
# Keys


@pytest.mark.parametrize("n", range(1, 5))
@pytest.mark.parametrize("tail", ["", "_pullup"])
def test_canonical_key_digit_zero_outputs(n: int, tail: str) -> None:
    assert canonical_key(f"io.D0{n}{tail}") == (f"io.DO{n}{tail}", True)
    assert canonical_key(f"io.DO{n}{tail}") == (f"io.DO{n}{tail}", False)
    assert f"io.DO{n}{tail}" in CATALOG
    assert f"io.D0{n}{tail}" not in CATALOG


@pytest.mark.parametrize(
    "key",
    [
        "io.DI1",
        "io.DI1_pullup",
        "io.D1",
        "io.D010",
        "io.D01_pull",
        "gnss.D01",
        "D01",
        "io.AI1",
    ],
)
def test_canonical_key_leaves_other_keys(key: str) -> None:
    assert canonical_key(key) == (key, False)


@pytest.mark.parametrize(
    ("key", "group"),
    [
        *[(f"{g}.ts", g) for g in ("gnss", "motion", "io", "obd", "sysinfo", "1-wire")],
        ("modem1.ts", "cellular1"),
        ("cellular1.ts", "cellular1"),
        ("cellular1.traffic_ts", "cellular1"),
        # 1.0.9 upload timestamps, not in the table
        *[
            (f"{g}.ul_ts", g)
            for g in ("gnss", "motion", "io", "obd", "1-wire", "cellular1")
        ],
        ("modem1.ul_ts", "cellular1"),
    ],
)
def test_lookup_timestamps(key: str, group: str) -> None:
    param = lookup(key)
    assert param is not None
    assert (param.key, param.group, param.vtype, param.platform) == (
        key,
        group,
        TS,
        Platform.NONE,
    )
    assert param.coerce("1644560984") == 1644560984


@pytest.mark.parametrize(
    "key", ["userdata.custom_key", "userdata.serial_number", "userdata.a.b"]
)
def test_lookup_userdata(key: str) -> None:
    param = lookup(key)
    assert param is not None
    assert (param.key, param.group, param.vtype) == (key, "userdata", S)
    assert param.name == key.removeprefix("userdata.")
    assert param.coerce("SN0125") == "SN0125"
    assert param.coerce(None) is None


@pytest.mark.parametrize(
    "key",
    [
        "userdata.",
        "userdata",
        "lat",
        "foo.ts",
        "gnss.unknown",
        "io.D01",
        "gnss.ts.x",
        "",
        ".ts",
    ],
)
def test_lookup_unknown(key: str) -> None:
    assert lookup(key) is None


@pytest.mark.parametrize(
    ("key", "group"),
    [
        ("modem1.imei", "cellular1"),
        ("modem1.anything", "cellular1"),
        ("cellular1.ip", "cellular1"),
        ("gnss.latitude", "gnss"),
        ("motion.ax", "motion"),
        ("io.D01", "io"),
        ("obd.future_key", "obd"),
        ("sysinfo.hostname", "sysinfo"),
        ("app.wifi_mode_2g", "app"),
        ("1-wire.temp1_data", "1-wire"),
        ("userdata.custom_key", "userdata"),
        ("forward.payload", "forward"),
        ("lat", None),
        ("summary.ts", None),
        ("unknown.key", None),
        ("", None),
    ],
)
def test_group_of_key(key: str, group: str | None) -> None:
    assert group_of_key(key) == group


@pytest.mark.parametrize("raw", [1e300, -1e300, 2.0**60, "9" * 40, 2**60, "1e300"])
def test_integers_beyond_exact_range_are_invalid(raw: Any) -> None:
    """A 301-digit int would be a state no JSON encoder or recorder accepts."""
    assert CATALOG["gnss.num_sv"].coerce(raw) is None
    assert CATALOG["cellular1.up_at"].coerce(raw) is None


def test_integers_within_exact_range_are_kept() -> None:
    assert CATALOG["cellular1.tx_bytes"].coerce(2**53) == 2**53
    assert CATALOG["cellular1.tx_bytes"].coerce(float(2**40)) == 2**40
