"""The FlexAPI parameter catalog: Appendix A.1-A.8 of rev 1.0.8 plus rev 1.0.9.

Each :class:`Parameter` holds the protocol facts (canonical key, group, type,
unit, range, enum meanings) and plain-string hints for Home Assistant entity
platforms (device class, state class, entity category, enabled by default).
The hints are plain strings so this module stays free of ``homeassistant``
imports; they equal the values of HA's enums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import math
import re
from typing import Any, Final


class ValueType(StrEnum):
    """Wire type of a parameter, after the errata (strings may stand in)."""

    INT = "int"
    FLOAT = "float"
    #: Appendix A's "number": an int when integral, else a float (-95.5 dBm).
    NUMBER = "number"
    BOOL = "bool"
    STR = "str"
    #: UNIX timestamp in seconds.
    TIMESTAMP = "timestamp"


class Platform(StrEnum):
    """Which entity platform represents a parameter."""

    SENSOR = "sensor"
    BINARY_SENSOR = "binary_sensor"
    SWITCH = "switch"
    SELECT = "select"
    #: Stored and shown in diagnostics, but no entity (timestamps, names).
    NONE = "none"


_MISSING: Final = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One FlexAPI parameter."""

    key: str
    #: Data group whose freshness this value follows (``cellular1`` for
    #: ``modem1.*`` keys too).
    group: str
    name: str
    vtype: ValueType
    unit: str | None = None
    value_range: tuple[float, float] | None = None
    #: Raw (coerced) value -> option slug, for enumerations.
    options: Mapping[int | str, str] | None = None
    since: str = "1.0.8"
    removed: str | None = None
    #: Number in an indexed family (``io.AI3`` -> 3, ``1-wire.temp2_data`` -> 2).
    index: int | None = None
    translation_key: str = ""
    platform: Platform = Platform.SENSOR
    device_class: str | None = None
    state_class: str | None = None
    entity_category: str | None = None
    enabled_default: bool = True
    precision: int | None = None
    suggested_unit: str | None = None
    #: Personal or identifying data, redacted in diagnostics.
    sensitive: bool = False
    icon_key: str | None = field(default=None, repr=False)

    def coerce(self, raw: Any) -> Any:
        """Return the typed value of ``raw``, or ``None`` if it is invalid.

        ``null`` means "invalid data" (Appendix A), never 0. Strings are
        accepted for numbers and booleans (the alias example reports
        ``"MIL": "1"``). Out-of-range readings are kept: ranges validate what
        we send, not what the device reports.
        """
        return _COERCERS[self.vtype](raw)

    def option(self, value: Any) -> str | None:
        """Option slug of a coerced value, ``None`` if undefined."""
        if self.options is None or value is None:
            return None
        return self.options.get(value)


#: Integers beyond ±2**53 are no exact device reading (and a float like
#: 1e300 would become a 301-digit int no state or JSON encoder accepts).
MAX_EXACT_INT: Final = 2**53


def _to_int(raw: Any) -> int | None:
    kind = type(raw)
    if kind is int:
        return raw if -MAX_EXACT_INT <= raw <= MAX_EXACT_INT else None
    if kind is bool:
        return int(raw)
    if kind is float:
        if not (math.isfinite(raw) and -MAX_EXACT_INT <= raw <= MAX_EXACT_INT):
            return None
        return int(raw) if raw == int(raw) else None
    if kind is str:
        text = raw.strip()
        if len(text) > 32:
            return None
        try:
            return _to_int(int(text))
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return _to_int(number)
    return None


def _to_float(raw: Any) -> float | None:
    kind = type(raw)
    if kind is float:
        return raw if math.isfinite(raw) else None
    if kind is int:
        return float(raw)
    if kind is str:
        try:
            number = float(raw.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _to_number(raw: Any) -> int | float | None:
    if type(raw) is bool:
        return None  # a boolean is not a reading
    value = _to_int(raw)
    return value if value is not None else _to_float(raw)


_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no"})


def _to_bool(raw: Any) -> bool | None:
    kind = type(raw)
    if kind is bool:
        return raw  # type: ignore[no-any-return]
    if kind is int or kind is float:
        return True if raw == 1 else False if raw == 0 else None
    if kind is str:
        text = raw.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None
    return None


def _to_str(raw: Any) -> str | None:
    kind = type(raw)
    if kind is str:
        return raw  # type: ignore[no-any-return]
    if kind is int or kind is float:
        return str(raw)
    return None


def _to_timestamp(raw: Any) -> int | None:
    value = _to_int(raw)
    if (
        value is None
        and (number := _to_float(raw)) is not None
        and abs(number) <= MAX_EXACT_INT
    ):
        value = int(number)  # fractional seconds
    return value if value is not None and value >= 0 else None


_COERCERS = {
    ValueType.INT: _to_int,
    ValueType.FLOAT: _to_float,
    ValueType.NUMBER: _to_number,
    ValueType.BOOL: _to_bool,
    ValueType.STR: _to_str,
    ValueType.TIMESTAMP: _to_timestamp,
}

# ---------------------------------------------------------------------------
# Catalog construction helpers

DIAG: Final = "diagnostic"
CONFIG: Final = "config"
MEAS: Final = "measurement"
TOTAL_INC: Final = "total_increasing"
COMPLETED = {0: "not_completed", 1: "completed"}


def _slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def _p(key: str, group: str, name: str, vtype: ValueType, **kw: Any) -> Parameter:
    kw.setdefault("translation_key", _slug(key))
    return Parameter(key=key, group=group, name=name, vtype=vtype, **kw)


def _ts(key: str, group: str, name: str) -> Parameter:
    return _p(key, group, name, ValueType.TIMESTAMP, platform=Platform.NONE)


FLT, INT, BOOL, STR = ValueType.FLOAT, ValueType.INT, ValueType.BOOL, ValueType.STR
#: Appendix A's "number" (A.5): fractional values are valid readings.
NUM = ValueType.NUMBER
SENSOR, BINARY = Platform.SENSOR, Platform.BINARY_SENSOR


def _gnss() -> list[Parameter]:
    g = "gnss"
    return [
        _ts("gnss.ts", g, "GNSS update time"),
        _p(
            "gnss.latitude",
            g,
            "Latitude",
            FLT,
            unit="°",
            precision=6,
            enabled_default=False,
            sensitive=True,
        ),
        _p(
            "gnss.longitude",
            g,
            "Longitude",
            FLT,
            unit="°",
            precision=6,
            enabled_default=False,
            sensitive=True,
        ),
        # Documented in "deg": a documentation error, altitude is in metres.
        _p(
            "gnss.altitude",
            g,
            "Altitude",
            FLT,
            unit="m",
            device_class="distance",
            state_class=MEAS,
            precision=1,
            sensitive=True,
            # A device_tracker attribute; as a sensor, opt-in.
            enabled_default=False,
        ),
        # km/h in 1.0.8, knots in 1.0.9: the unit is a per-device option.
        _p(
            "gnss.speed",
            g,
            "GNSS speed",
            FLT,
            unit="km/h",
            device_class="speed",
            state_class=MEAS,
            precision=1,
            # A device_tracker attribute; as a sensor, opt-in.
            enabled_default=False,
        ),
        _p(
            "gnss.heading",
            g,
            "Heading",
            FLT,
            unit="°",
            value_range=(0, 360),
            state_class=MEAS,
            precision=0,
            # Also a device_tracker attribute; as a sensor, opt-in.
            enabled_default=False,
        ),
        _p(
            "gnss.hdop",
            g,
            "HDOP",
            FLT,
            state_class=MEAS,
            precision=1,
            entity_category=DIAG,
            enabled_default=False,
        ),
        _p(
            "gnss.pdop",
            g,
            "PDOP",
            FLT,
            state_class=MEAS,
            precision=1,
            entity_category=DIAG,
            enabled_default=False,
        ),
        _p(
            "gnss.hacc",
            g,
            "Horizontal accuracy",
            FLT,
            unit="m",
            device_class="distance",
            state_class=MEAS,
            precision=1,
            entity_category=DIAG,
            # The tracker's GPS accuracy already; as a sensor, opt-in.
            enabled_default=False,
        ),
        _p(
            "gnss.fix",
            g,
            "GNSS fix",
            INT,
            device_class="enum",
            options={
                0: "no_fix",
                1: "dr_only",
                2: "fix_2d",
                3: "fix_3d",
                4: "gnss_dr",
                5: "time_only",
            },
            entity_category=DIAG,
        ),
        _p(
            "gnss.num_sv",
            g,
            "Satellites in use",
            INT,
            value_range=(0, 12),
            state_class=MEAS,
            entity_category=DIAG,
            # Also a device_tracker attribute; as a sensor, opt-in.
            enabled_default=False,
        ),
        # Documented yy-mm-dd; devices send "2020-4-17".
        _p("gnss.date", g, "GNSS date", STR, platform=Platform.NONE),
        _p("gnss.time", g, "GNSS time", STR, platform=Platform.NONE),
        _p(
            "gnss.type",
            g,
            "GNSS constellation",
            STR,
            since="1.0.9",
            entity_category=DIAG,
            enabled_default=False,
        ),
        _p(
            "gnss.acc_heading",
            g,
            "Heading accuracy",
            FLT,
            unit="°",
            state_class=MEAS,
            precision=1,
            since="1.0.9",
            entity_category=DIAG,
            enabled_default=False,
        ),
    ]


def _motion() -> list[Parameter]:
    g = "motion"
    out = [_ts("motion.ts", g, "Motion update time")]
    for axis in "xyz":
        out.append(
            _p(
                f"motion.a{axis}",
                g,
                f"Acceleration {axis.upper()}",
                FLT,
                unit="g",
                state_class=MEAS,
                precision=2,
                enabled_default=False,
            )
        )
    for axis in "xyz":
        out.append(
            _p(
                f"motion.g{axis}",
                g,
                f"Rotation rate {axis.upper()}",
                FLT,
                unit="°/s",
                state_class=MEAS,
                precision=2,
                enabled_default=False,
            )
        )
    for angle, label in (("roll", "Roll"), ("pitch", "Pitch"), ("yaw", "Yaw")):
        out.append(
            _p(
                f"motion.{angle}",
                g,
                label,
                FLT,
                unit="°",
                state_class=MEAS,
                precision=1,
                enabled_default=angle != "yaw",
            )
        )
    return out


def _io() -> list[Parameter]:
    g = "io"
    out = [_ts("io.ts", g, "IO update time")]
    for n in range(1, 7):
        out.append(
            _p(
                f"io.AI{n}",
                g,
                f"Analog input {n}",
                FLT,
                unit="V",
                value_range=(0, 36),
                device_class="voltage",
                state_class=MEAS,
                precision=2,
                index=n,
                translation_key="analog_input",
            )
        )
    for n in range(1, 7):
        out.append(
            _p(
                f"io.DI{n}",
                g,
                f"Digital input {n}",
                BOOL,
                platform=BINARY,
                index=n,
                translation_key="digital_input",
            )
        )
        out.append(
            _p(
                f"io.DI{n}_pullup",
                g,
                f"Digital input {n} pull-up",
                BOOL,
                platform=Platform.SWITCH,
                entity_category=CONFIG,
                enabled_default=False,
                index=n,
                translation_key="digital_input_pullup",
            )
        )
    for n in range(1, 5):
        out.append(
            _p(
                f"io.DO{n}",
                g,
                f"Digital output {n}",
                BOOL,
                platform=Platform.SWITCH,
                index=n,
                translation_key="digital_output",
            )
        )
        out.append(
            _p(
                f"io.DO{n}_pullup",
                g,
                f"Digital output {n} pull-up",
                BOOL,
                platform=Platform.SWITCH,
                entity_category=CONFIG,
                enabled_default=False,
                index=n,
                translation_key="digital_output_pullup",
            )
        )
    out.append(
        _p(
            "io.power_input",
            g,
            "Supply voltage",
            FLT,
            unit="V",
            value_range=(0, 36),
            device_class="voltage",
            state_class=MEAS,
            precision=2,
            since="1.0.9",
        )
    )
    out.append(
        _p(
            "io.igt_status",
            g,
            "Ignition",
            BOOL,
            platform=BINARY,
            device_class="power",
            since="1.0.9",
        )
    )
    return out


def _obd() -> list[Parameter]:
    g = "obd"

    def num(
        key: str,
        name: str,
        vtype: ValueType,
        rng: tuple[float, float],
        unit: str | None = None,
        dc: str | None = None,
        *,
        core: bool = False,
        sc: str = MEAS,
        prec: int | None = None,
        **kw: Any,
    ) -> Parameter:
        return _p(
            f"obd.{key}",
            g,
            name,
            vtype,
            unit=unit,
            value_range=rng,
            device_class=dc,
            state_class=sc,
            enabled_default=core,
            precision=prec,
            **kw,
        )

    out = [
        _ts("obd.ts", g, "OBD update time"),
        _p(
            "obd.vin",
            g,
            "VIN",
            STR,
            entity_category=DIAG,
            enabled_default=False,
            sensitive=True,
        ),
        num("e_load", "Engine load", FLT, (0, 250), "%", core=True, prec=1),
        num(
            "c_temp",
            "Coolant temperature",
            INT,
            (-40, 215),
            "°C",
            "temperature",
            core=True,
        ),
        num("rpm", "Engine speed", FLT, (0, 16383.75), "rpm", core=True, prec=0),
        num("speed", "Vehicle speed", INT, (0, 255), "km/h", "speed", core=True),
        num("f_lvl", "Fuel level", FLT, (0, 100), "%", core=True, prec=1),
        # No device class: HA 2025.4's volume_flow_rate does not accept L/h.
        num("f_rate", "Fuel rate", FLT, (0, 3276.75), "L/h", prec=2),
        num("dtcs", "DTC count", INT, (0, 250), core=True),
        _p(
            "obd.mil",
            g,
            "Malfunction indicator",
            BOOL,
            platform=BINARY,
            device_class="problem",
        ),
        num(
            "b_volt",
            "Battery voltage",
            FLT,
            (0, 3212.75),
            "V",
            "voltage",
            core=True,
            prec=2,
        ),
        num(
            "a_temp", "Ambient air temperature", INT, (-273, 1734), "°C", "temperature"
        ),
        num("o_temp", "Engine oil temperature", INT, (-273, 1734), "°C", "temperature"),
        num("up_time", "Engine run time", INT, (0, 65535), "s", "duration"),
        num("m_dist", "Distance with MIL on", INT, (0, 65535), "km", "distance"),
        num("d_dist", "Distance since DTCs cleared", INT, (0, 65535), "km", "distance"),
        num("m_time", "Run time with MIL on", INT, (0, 65535), "min", "duration"),
        num(
            "d_time", "Run time since DTCs cleared", INT, (0, 65535), "min", "duration"
        ),
        num("f_press", "Fuel pressure", INT, (0, 6425), "kPa", "pressure"),
        num("t_pos", "Throttle position", FLT, (0, 100), "%", core=True, prec=1),
        _p("obd.brake", g, "Brake pedal", BOOL, platform=BINARY),
        _p("obd.parking", g, "Parking brake", BOOL, platform=BINARY),
        num("s_w_angle", "Steering wheel angle", FLT, (-31.374, 31.374), "rad", prec=3),
        num("f_econ", "Fuel economy", FLT, (0, 125.5), "km/L", prec=1),
        num(
            "odo",
            "Odometer",
            FLT,
            (0, 526385151.875),
            "km",
            "distance",
            core=True,
            sc=TOTAL_INC,
            prec=1,
        ),
        num("a_pos", "Accelerator pedal position", FLT, (0, 100), "%", prec=1),
        num(
            "t_dist",
            "Trip distance",
            FLT,
            (0, 526385151.875),
            "km",
            "distance",
            sc=TOTAL_INC,
            prec=1,
        ),
        num(
            "i_temp",
            "Intake manifold temperature",
            INT,
            (-40, 215),
            "°C",
            "temperature",
        ),
        num("i_press", "Intake manifold pressure", INT, (0, 255), "kPa", "pressure"),
        num(
            "b_press",
            "Barometric pressure",
            INT,
            (0, 255),
            "kPa",
            "atmospheric_pressure",
        ),
        num("f_r_press", "Fuel rail pressure", INT, (0, 65530), "kPa", "pressure"),
        num("r_torque", "Engine reference torque", INT, (0, 64255), "N·m"),
        num("f_torque", "Engine friction torque", FLT, (-125, 125), "%", prec=1),
        num(
            "max_avl_torque",
            "Engine maximum available torque",
            FLT,
            (0, 100),
            "%",
            prec=1,
        ),
        num("a_torque", "Engine actual torque", FLT, (-125, 125), "%", prec=1),
        num("d_e_f_vol", "Diesel exhaust fluid level", FLT, (0, 100), "%", prec=1),
        num(
            "brake_prim_press",
            "Brake primary pressure",
            FLT,
            (0, 1e9),
            "kPa",
            "pressure",
            removed="1.0.9",
        ),
        num(
            "brake_sec_press",
            "Brake secondary pressure",
            FLT,
            (0, 1e9),
            "kPa",
            "pressure",
            removed="1.0.9",
        ),
    ]
    monitors = {
        "mf_mon": "Misfire monitor",
        "f_s_mon": "Fuel system monitor",
        "c_c_mon": "Comprehensive component monitor",
        "c_mon": "Catalyst monitor",
        "h_c_mon": "Heated catalyst monitor",
        "e_s_mon": "Evaporative system monitor",
        "s_a_s_mon": "Secondary air system monitor",
        "a_s_r_mon": "A/C refrigerant monitor",
        "e_g_s_mon": "Exhaust gas sensor monitor",
        "e_g_s_h_mon": "Exhaust gas sensor heater monitor",
        "e_v_s_mon": "EGR/VVT system monitor",
        "c_s_a_s_mon": "Cold start aid system monitor",
        "b_p_c_s_mon": "Boost pressure control system monitor",
        "dpf_mon": "DPF monitor",
        "n_c_mon": "NOx catalyst monitor",
        "nmhc_mon": "NMHC catalyst monitor",
        "o_s_mon": "Oxygen sensor monitor",
        "o_s_h_mon": "Oxygen sensor heater monitor",
        "pf_mon": "PF monitor",
    }
    for key, name in monitors.items():
        out.append(
            _p(
                f"obd.{key}",
                g,
                name,
                INT,
                device_class="enum",
                options=COMPLETED,
                entity_category=DIAG,
                enabled_default=False,
            )
        )
    return out


def _cellular() -> list[Parameter]:
    g = "cellular1"
    diag_off: dict[str, Any] = {"entity_category": DIAG, "enabled_default": False}
    return [
        _ts("modem1.ts", g, "Modem update time"),
        _p(
            "modem1.active_sim",
            g,
            "Active SIM",
            NUM,
            value_range=(1, 2),
            entity_category=DIAG,
        ),
        _p("modem1.imei", g, "IMEI", STR, sensitive=True, **diag_off),
        _p("modem1.imsi", g, "IMSI", STR, sensitive=True, **diag_off),
        _p("modem1.iccid", g, "ICCID", STR, sensitive=True, **diag_off),
        _p("modem1.phone_num", g, "Phone number", STR, sensitive=True, **diag_off),
        _p("modem1.signal_lvl", g, "Signal level", NUM, unit="asu", state_class=MEAS),
        # Range [0,6] is documented but only 0-5 are defined.
        _p(
            "modem1.reg_status",
            g,
            "Registration status",
            NUM,
            device_class="enum",
            value_range=(0, 6),
            options={
                0: "not_registered",
                1: "home",
                2: "searching",
                3: "denied",
                4: "registration_unknown",
                5: "roaming",
            },
            entity_category=DIAG,
        ),
        _p("modem1.operator", g, "Operator", STR),
        # 1.0.9 adds 4 = 5G.
        _p(
            "modem1.network",
            g,
            "Network type",
            NUM,
            device_class="enum",
            value_range=(0, 4),
            options={0: "none", 1: "2g", 2: "3g", 3: "4g", 4: "5g"},
        ),
        _p(
            "modem1.submode",
            g,
            "5G mode",
            STR,
            since="1.0.9",
            entity_category=DIAG,
            enabled_default=False,
        ),
        # The serving cell locates the gateway: personal like a position.
        _p("modem1.lac", g, "Location area code", STR, sensitive=True, **diag_off),
        _p("modem1.cell_id", g, "Cell ID", STR, sensitive=True, **diag_off),
        _p(
            "modem1.rssi",
            g,
            "RSSI",
            NUM,
            unit="dBm",
            device_class="signal_strength",
            state_class=MEAS,
            enabled_default=False,
        ),
        _p(
            "modem1.rsrp",
            g,
            "RSRP",
            NUM,
            unit="dBm",
            device_class="signal_strength",
            state_class=MEAS,
        ),
        _p(
            "modem1.rsrq",
            g,
            "RSRQ",
            NUM,
            unit="dB",
            device_class="signal_strength",
            state_class=MEAS,
            precision=1,
        ),
        _p(
            "modem1.sinr",
            g,
            "SINR",
            NUM,
            unit="dB",
            device_class="signal_strength",
            state_class=MEAS,
            precision=1,
        ),
        _ts("cellular1.ts", g, "Cellular update time"),
        _p(
            "cellular1.status",
            g,
            "Cellular status",
            NUM,
            device_class="enum",
            value_range=(0, 3),
            options={0: "destroyed", 1: "created", 2: "down", 3: "up"},
        ),
        _p("cellular1.ip", g, "IP address", STR, sensitive=True, **diag_off),
        _p("cellular1.netmask", g, "Netmask", STR, **diag_off),
        _p("cellular1.gateway", g, "Gateway", STR, **diag_off),
        _p("cellular1.dns1", g, "Primary DNS", STR, **diag_off),
        _p("cellular1.dns2", g, "Secondary DNS", STR, **diag_off),
        _p(
            "cellular1.up_at",
            g,
            "Connected since",
            ValueType.TIMESTAMP,
            device_class="timestamp",
            entity_category=DIAG,
        ),
        _p(
            "cellular1.down_at",
            g,
            "Disconnected at",
            ValueType.TIMESTAMP,
            device_class="timestamp",
            **diag_off,
        ),
        _ts("cellular1.traffic_ts", g, "Traffic update time"),
        _p(
            "cellular1.tx_bytes",
            g,
            "Data sent",
            INT,
            unit="B",
            device_class="data_size",
            state_class=TOTAL_INC,
            suggested_unit="MB",
            precision=2,
        ),
        _p(
            "cellular1.rx_bytes",
            g,
            "Data received",
            INT,
            unit="B",
            device_class="data_size",
            state_class=TOTAL_INC,
            suggested_unit="MB",
            precision=2,
        ),
    ]


def _sysinfo() -> list[Parameter]:
    g = "sysinfo"
    names = {
        "language": "Language",
        "hostname": "Hostname",
        "timezone": "Time zone",
        "model_name": "Model",
        "oem_name": "OEM name",
        "serial_number": "Serial number",
        "firmware_version": "Firmware",
        "bootloader_version": "Bootloader",
        "product_number": "Product number",
        "description": "Description",
        "lan_mac": "LAN MAC address",
        "wlan_mac": "Wi-Fi MAC address",
        "wlan_5g_mac": "5 GHz Wi-Fi MAC address",
    }
    out = [_ts("sysinfo.ts", g, "System info update time")]
    for key, name in names.items():
        out.append(
            _p(
                f"sysinfo.{key}",
                g,
                name,
                STR,
                entity_category=DIAG,
                enabled_default=key in ("firmware_version", "hostname"),
            )
        )
    out.append(
        _p(
            "sysinfo.power_management_version",
            g,
            "Power management version",
            STR,
            since="1.0.9",
            entity_category=DIAG,
            enabled_default=False,
        )
    )
    return out


def _app() -> list[Parameter]:
    opts = {0: "ap", 1: "sta", -1: "not_available"}
    return [
        _p(
            "app.wifi_mode_2g",
            "app",
            "2.4 GHz Wi-Fi mode",
            INT,
            options=opts,
            platform=Platform.SELECT,
            entity_category=CONFIG,
        ),
        _p(
            "app.wifi_mode_5g",
            "app",
            "5 GHz Wi-Fi mode",
            INT,
            options=opts,
            platform=Platform.SELECT,
            entity_category=CONFIG,
        ),
    ]


def _one_wire() -> list[Parameter]:
    g = "1-wire"
    out = [
        _ts("1-wire.ts", g, "1-Wire update time"),
        _p(
            "1-wire.status",
            g,
            "1-Wire bus status",
            STR,
            device_class="enum",
            options={"Connected": "connected", "Disconnected": "disconnected"},
            entity_category=DIAG,
        ),
        _p(
            "1-wire.type",
            g,
            "1-Wire device type",
            STR,
            device_class="enum",
            options={
                "Temperature": "temperature",
                "ROM Code": "rom_code",
                "Temperature & ROM Code": "temperature_rom_code",
            },
            entity_category=DIAG,
            enabled_default=False,
        ),
        _p(
            "1-wire.temp_num",
            g,
            "1-Wire temperature probes",
            INT,
            value_range=(1, 4),
            entity_category=DIAG,
            enabled_default=False,
        ),
        _p(
            "1-wire.rom_num",
            g,
            "1-Wire ROM code devices",
            INT,
            value_range=(1, 4),
            entity_category=DIAG,
            enabled_default=False,
        ),
    ]
    for n in range(1, 5):
        out.append(
            _p(
                f"1-wire.temp{n}_data",
                g,
                f"Temperature {n}",
                FLT,
                unit="°C",
                device_class="temperature",
                state_class=MEAS,
                precision=2,
                index=n,
                translation_key="one_wire_temperature",
            )
        )
        out.append(
            _p(
                f"1-wire.temp{n}_id",
                g,
                f"Temperature {n} probe ID",
                STR,
                index=n,
                translation_key="one_wire_temperature_id",
                entity_category=DIAG,
                enabled_default=False,
            )
        )
        out.append(
            _p(
                f"1-wire.temp{n}_name",
                g,
                f"Temperature {n} name",
                STR,
                index=n,
                platform=Platform.NONE,
            )
        )
        out.append(
            _p(
                f"1-wire.rom_code{n}",
                g,
                f"ROM code {n}",
                STR,
                index=n,
                translation_key="one_wire_rom_code",
                entity_category=DIAG,
            )
        )
    return out


def _forward() -> list[Parameter]:
    return [
        _p(f"forward.{key}", "forward", name, STR, since="1.0.9", enabled_default=False)
        for key, name in (
            ("payload", "Forwarded payload"),
            ("payload_bt", "Forwarded Bluetooth payload"),
            ("payload_can", "Forwarded CAN payload"),
            ("payload_obdcan", "Forwarded OBD CAN payload"),
        )
    ]


def _build() -> dict[str, Parameter]:
    params = [
        *_gnss(),
        *_motion(),
        *_io(),
        *_obd(),
        *_cellular(),
        *_sysinfo(),
        *_app(),
        *_one_wire(),
        *_forward(),
    ]
    return {param.key: param for param in params}


#: Every known parameter by canonical key.
CATALOG: Final[Mapping[str, Parameter]] = _build()

#: Groups whose keys carry their own prefix (``modem1`` belongs to cellular1).
KEY_PREFIX_GROUP: Final[Mapping[str, str]] = {
    "gnss": "gnss",
    "motion": "motion",
    "io": "io",
    "obd": "obd",
    "modem1": "cellular1",
    "cellular1": "cellular1",
    "sysinfo": "sysinfo",
    "app": "app",
    "1-wire": "1-wire",
    "userdata": "userdata",
    "forward": "forward",
}

_DIGIT_ZERO_DO = re.compile(r"^io\.D0([1-9])(_pullup)?$")


def canonical_key(key: str) -> tuple[str, bool]:
    """Canonical spelling of a key and whether it used the digit-zero DO form.

    The 1.0.8 examples write ``io.D01``; Appendix A and 1.0.9 write
    ``io.DO1``. Both are accepted; ``io.DO{n}`` is canonical.
    """
    if key.startswith("io.D0") and (match := _DIGIT_ZERO_DO.match(key)):
        return f"io.DO{match.group(1)}{match.group(2) or ''}", True
    return key, False


def userdata_parameter(key: str) -> Parameter:
    """A parameter for a user-defined ``userdata.*`` key (free-form string)."""
    return Parameter(
        key=key,
        group="userdata",
        name=key.removeprefix("userdata."),
        vtype=ValueType.STR,
        translation_key="userdata",
    )


def group_ts_parameter(key: str) -> Parameter | None:
    """A parameter for ``<group>.ts`` / ``<group>.ul_ts`` keys not in the table."""
    head, _, tail = key.rpartition(".")
    if tail not in ("ts", "ul_ts") or (group := KEY_PREFIX_GROUP.get(head)) is None:
        return None
    return _ts(key, group, f"{head} {tail}")


def lookup(key: str) -> Parameter | None:
    """Parameter of a canonical key, including dynamic families."""
    if (param := CATALOG.get(key)) is not None:
        return param
    if key.startswith("userdata.") and len(key) > len("userdata."):
        return userdata_parameter(key)
    return group_ts_parameter(key)


def group_of_key(key: str) -> str | None:
    """Data group of any key with a known ``<prefix>.`` (custom keys: None)."""
    head, sep, _ = key.partition(".")
    return KEY_PREFIX_GROUP.get(head) if sep else None
