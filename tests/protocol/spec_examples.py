"""Example payloads copied from FlexAPI reference rev 1.0.8, shared by tests.

Section numbers refer to the FlexAPI reference, revision 1.0.8.
"""

from __future__ import annotations

from typing import Any

#: The client_token of every example in the reference.
TOKEN = "3bzJQ200UkLS6061Mhw3muUv73ycUT7J"
#: The client_id shown on the device web page (§1.5).
CLIENT_ID = "VG7102021092401"

#: §3.1.1 Summary data (``summary/info``), with the digit-zero DO spelling.
SUMMARY_INFO: dict[str, Any] = {
    "gnss.ts": 1592820539,
    "gnss.latitude": 40.232213,
    "gnss.longitude": 116.34366,
    "gnss.altitude": 346.0,
    "gnss.speed": 87.6,
    "gnss.heading": 234.0,
    "gnss.hdop": 1.2,
    "gnss.pdop": 2.1,
    "gnss.hacc": 1.0,
    "gnss.fix": 3,
    "gnss.num_sv": 7,
    "gnss.date": "2020-4-17",
    "gnss.time": "10:16:21",
    "obd.ts": 1592820539,
    "obd.rpm": 1234,
    "obd.speed": 20,
    "obd.odo": 1400,
    "obd.up_time": 3600,
    "io.ts": 1592820539,
    **{f"io.AI{n}": 0.0 for n in range(1, 7)},
    **{key: 0 for n in range(1, 7) for key in (f"io.DI{n}", f"io.DI{n}_pullup")},
    **{key: 0 for n in range(1, 5) for key in (f"io.D0{n}", f"io.D0{n}_pullup")},
}

#: §3.1.6 Cellular1 data (``cellular1/info``).
CELLULAR1_INFO: dict[str, Any] = {
    "modem1.ts": 1598425365,
    "modem1.active_sim": 1,
    "modem1.imei": "862104021247207",
    "modem1.imsi": "460013231603009",
    "modem1.iccid": "89860118802836799717",
    "modem1.signal_lvl": 28,
    "modem1.reg_status": 1,
    "modem1.operator": "46001",
    "modem1.network": 3,
    "modem1.lac": "EA00",
    "modem1.cell_id": "71CF520",
    "cellular1.ts": 1598425501,
    "cellular1.status": 3,
    "cellular1.ip": "10.210.255.168",
    "cellular1.netmask": "255.255.255.255",
    "cellular1.gateway": "1.1.1.3",
    "cellular1.dns1": "119.7.7.7",
    "cellular1.dns2": "119.6.6.6",
    "cellular1.up_at": 1598424985,
    "cellular1.down_at": 0,
    "cellular1.traffic_ts": 1598425501,
    "cellular1.tx_bytes": 120488,
    "cellular1.rx_bytes": 34098,
}

#: §3.3.10 1-wire refresh success: a bare object, no token, no ``result``.
ONE_WIRE_REFRESH_RESP: dict[str, Any] = {
    "1-wire.ts": 1644560984,
    "1-wire.status": "Connected",
    "1-wire.type": "Temperature & ROM Code",
    "1-wire.temp_num": 2,
    "1-wire.rom_num": 1,
    "1-wire.temp1_data": 24.06,
    "1-wire.temp1_id": "aa012029901e7928",
    "1-wire.temp1_name": "Inside",
    "1-wire.temp2_data": 23.69,
    "1-wire.temp2_id": "27012029cf6a8328",
    "1-wire.temp2_name": "Outside",
    "1-wire.rom_code1": "cc00001b559ae001",
}

#: §4.1.1 / §4.1.2: the two custom groups (request ``settings`` and result).
CUSTOM_GROUPS: list[dict[str, Any]] = [
    {
        "group_name": "group1",
        "interval": 60,
        "interest": {
            "gnss.latitude": "lat",
            "gnss.longitude": "lon",
            "gnss.altitude": "alt",
            "obd.speed": "speed",
            "obd.odo": "odo",
            "userdata.custom_key": "custom_key",
        },
    },
    {
        "group_name": "group2",
        "interval": 30,
        "interest": {
            "io.DI1": "DI1",
            "io.DI2": "DI2",
            "io.DI3": "DI3",
            "io.DI4": "DI4",
            "io.D01": "D01",
            "io.D02": "D02",
            "io.D03": "D03",
        },
    },
]

#: §4.2 Timer triggered custom group data.
CUSTOM_GROUP_INFO: dict[str, Any] = {
    "lat": 40.232213,
    "ai1": 1.0,
    "obd.speed": 50,
    "userdata.custom_key": "custom_value",
}
