"""The one catalog of FlexAPI groups and the keys each group carries.

Keys are canonical: digital outputs are spelled ``io.DO{n}`` (letter O) here and
converted to the device's configured spelling only when a payload is built.
"""

from __future__ import annotations

import re
from typing import Final

GNSS: Final = "gnss"
OBD: Final = "obd"
MOTION: Final = "motion"
IO: Final = "io"
CELLULAR: Final = "cellular1"
ONEWIRE: Final = "1-wire"
USERDATA: Final = "userdata"
SUMMARY: Final = "summary"
SYSINFO: Final = "sysinfo"
APP: Final = "app"
GROUP: Final = "group"
EVENT: Final = "event"
FORWARD: Final = "forward"

SUMMARY_PARTS: Final = (GNSS, OBD, IO, MOTION)
"""Groups merged into the summary group, in the order of the §3.1.1 example."""

UPLOAD_GROUPS: Final = (SUMMARY, GNSS, OBD, MOTION, IO, CELLULAR, USERDATA, ONEWIRE)
"""Reserved groups with timer triggered ``{group}/info`` uploads."""

REFRESH_GROUPS: Final = (*UPLOAD_GROUPS, SYSINFO, APP)
"""Reserved groups answering ``{group}/refresh``."""

RESERVED_NAMES: Final = frozenset((*REFRESH_GROUPS, GROUP, EVENT, FORWARD))
"""Names a custom group may not take."""

REFRESH_OMITS_TS: Final = frozenset((SUMMARY, GNSS, OBD, MOTION, IO))
"""Groups whose refresh results leave out ``<group>.ts`` (as the examples do)."""

USERDATA_PREFIX: Final = "userdata."

_GNSS_KEYS: Final = (
    "gnss.ts",
    "gnss.latitude",
    "gnss.longitude",
    "gnss.altitude",
    "gnss.speed",
    "gnss.heading",
    "gnss.hdop",
    "gnss.pdop",
    "gnss.hacc",
    "gnss.fix",
    "gnss.num_sv",
    "gnss.date",
    "gnss.time",
    "gnss.type",
    "gnss.acc_heading",
)

_OBD_PARAMS: Final = [
    "vin",
    "e_load",
    "c_temp",
    "rpm",
    "speed",
    "f_lvl",
    "f_rate",
    "dtcs",
    "mil",
    "b_volt",
    "a_temp",
    "o_temp",
    "up_time",
    "m_dist",
    "d_dist",
    "m_time",
    "d_time",
    "f_press",
    "t_pos",
    "brake",
    "parking",
    "s_w_angle",
    "f_econ",
    "odo",
    "a_pos",
    "t_dist",
    "i_temp",
    "i_press",
    "b_press",
    "f_r_press",
    "r_torque",
    "f_torque",
    "max_avl_torque",
    "a_torque",
    "d_e_f_vol",
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
    "brake_prim_press",
    "brake_sec_press",
]
_OBD_KEYS: Final = ("obd.ts", *(f"obd.{name}" for name in _OBD_PARAMS))

_MOTION_KEYS: Final = (
    "motion.ts",
    *(
        f"motion.{name}"
        for name in ["ax", "ay", "az", "gx", "gy", "gz", "roll", "pitch", "yaw"]
    ),
)

AI_COUNT: Final = 6
DI_COUNT: Final = 6
DO_COUNT: Final = 4

_IO_KEYS: Final = (
    "io.ts",
    *(f"io.AI{n}" for n in range(1, AI_COUNT + 1)),
    *(key for n in range(1, DI_COUNT + 1) for key in (f"io.DI{n}", f"io.DI{n}_pullup")),
    *(key for n in range(1, DO_COUNT + 1) for key in (f"io.DO{n}", f"io.DO{n}_pullup")),
    "io.power_input",
    "io.igt_status",
)

_CELLULAR_KEYS: Final = (
    "modem1.ts",
    *(
        f"modem1.{name}"
        for name in [
            "active_sim",
            "imei",
            "imsi",
            "iccid",
            "phone_num",
            "signal_lvl",
            "reg_status",
            "operator",
            "network",
            "submode",
            "lac",
            "cell_id",
            "rssi",
            "rsrp",
            "rsrq",
            "sinr",
        ]
    ),
    "cellular1.ts",
    *(
        f"cellular1.{name}"
        for name in [
            "status",
            "ip",
            "netmask",
            "gateway",
            "dns1",
            "dns2",
            "up_at",
            "down_at",
            "traffic_ts",
            "tx_bytes",
            "rx_bytes",
        ]
    ),
)

ONEWIRE_MAX_SENSORS: Final = 4

_ONEWIRE_KEYS: Final = (
    "1-wire.ts",
    "1-wire.status",
    "1-wire.type",
    "1-wire.temp_num",
    "1-wire.rom_num",
    *(
        f"1-wire.temp{n}_{field}"
        for n in range(1, ONEWIRE_MAX_SENSORS + 1)
        for field in ("data", "id", "name")
    ),
    *(f"1-wire.rom_code{n}" for n in range(1, ONEWIRE_MAX_SENSORS + 1)),
)

_SYSINFO_KEYS: Final = tuple(
    f"sysinfo.{name}"
    for name in [
        "ts",
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
        "power_management_version",
    ]
)

_APP_KEYS: Final = ("app.wifi_mode_2g", "app.wifi_mode_5g")

GROUP_KEYS: Final[dict[str, tuple[str, ...]]] = {
    GNSS: _GNSS_KEYS,
    OBD: _OBD_KEYS,
    MOTION: _MOTION_KEYS,
    IO: _IO_KEYS,
    CELLULAR: _CELLULAR_KEYS,
    ONEWIRE: _ONEWIRE_KEYS,
    SYSINFO: _SYSINFO_KEYS,
    APP: _APP_KEYS,
    SUMMARY: (*_GNSS_KEYS, *_OBD_KEYS, *_IO_KEYS, *_MOTION_KEYS),
}
"""Every key a reserved group may carry (userdata keys are user defined).

The summary group carries the keys of ``SUMMARY_PARTS`` in that order.
"""

TS_KEYS: Final[dict[str, tuple[str, ...]]] = {
    group: tuple(key for key in keys if key.endswith(".ts"))
    for group, keys in GROUP_KEYS.items()
}
"""The timestamp keys of each group (cellular1 has two)."""

_KEY_SOURCE: Final[dict[str, str]] = {
    key: group for group, keys in GROUP_KEYS.items() if group != SUMMARY for key in keys
}

_DIGIT_ZERO_DO: Final = re.compile(r"^io\.D0([1-9])(_pullup)?$")
_LETTER_O_DO: Final = re.compile(r"^io\.DO([1-9])(_pullup)?$")


def canonical_key(key: str) -> str:
    """Map the digit-zero spelling ``io.D01`` onto the canonical ``io.DO1``."""
    match = _DIGIT_ZERO_DO.match(key)
    if match is None:
        return key
    return f"io.DO{match.group(1)}{match.group(2) or ''}"


def spell_key(key: str, digit_zero_do: bool) -> str:
    """Spell a canonical key the way the device reports it."""
    if not digit_zero_do:
        return key
    match = _LETTER_O_DO.match(key)
    if match is None:
        return key
    return f"io.D0{match.group(1)}{match.group(2) or ''}"


def is_userdata_key(key: str) -> bool:
    """Return True for a well formed ``userdata.<name>`` key."""
    return key.startswith(USERDATA_PREFIX) and len(key) > len(USERDATA_PREFIX)


def source_group(key: str) -> str | None:
    """Return the reserved group holding a canonical key, or None if unknown."""
    if is_userdata_key(key):
        return USERDATA
    return _KEY_SOURCE.get(key)


def interest_key_allowed(group: str, key: str) -> bool:
    """Tell whether ``key`` (any spelling) may appear in ``group``'s interest.

    Reserved groups accept only their own keys (summary: the keys of its parts);
    custom groups accept every FlexAPI parameter and any userdata key.
    """
    canonical = canonical_key(key)
    if group == USERDATA:
        return is_userdata_key(canonical)
    if group in GROUP_KEYS:
        return canonical in GROUP_KEYS[group]
    return source_group(canonical) is not None
