"""The device's physical state and the values each reserved group reports.

``DeviceState.values`` is the single place that maps state onto FlexAPI keys.
Values are canonical (``io.DO{n}``); ``None`` means "invalid" (JSON null).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import math
import random
from typing import Final

from .catalog import (
    APP,
    CELLULAR,
    GNSS,
    GROUP_KEYS,
    IO,
    MOTION,
    OBD,
    ONEWIRE,
    SUMMARY,
    SUMMARY_PARTS,
    SYSINFO,
    USERDATA,
)
from .noise import clamp
from .peripherals import (
    GNSS_CONSTELLATION,
    AppState,
    DiChange,
    GnssReceiver,
    Identity,
    IoBoard,
    Modem,
    OneWireBus,
)
from .protocol import JsonScalar
from .vehicle import Vehicle

SIM_STEP_S: Final = 1.0
"""Physics resolution: the state advances in whole steps of this size."""
MAX_CATCH_UP_S: Final = 3600.0
"""Longest gap simulated step by step; older time is skipped."""
G: Final = 9.81
METRES_PER_DEG_LAT: Final = 111_320.0

INITIAL_USERDATA: Final[dict[str, JsonScalar]] = {
    "userdata.custom_key": "custom_value",
    "userdata.serial_number": "SN0125",
}

type Values = dict[str, JsonScalar]


@dataclass(slots=True)
class DeviceState:
    """Everything physical about one gateway and the vehicle it rides in."""

    rng: random.Random
    time: float
    vehicle: Vehicle
    gnss: GnssReceiver
    io: IoBoard
    modem: Modem
    onewire: OneWireBus
    identity: Identity
    app: AppState
    userdata: dict[str, JsonScalar]
    obd: bool = True
    """An OBD adapter is connected: without one the obd group has no data."""
    ignition: bool = True
    """The ignition is wired: without it ``io.igt_status`` is never reported."""

    @classmethod
    def create(
        cls,
        client_id: str,
        rng: random.Random,
        now: float,
        *,
        obd: bool = True,
        ignition: bool = True,
    ) -> DeviceState:
        """Build a fresh device state at time ``now``."""
        vehicle = Vehicle(rng, now)
        return cls(
            rng=rng,
            time=now,
            vehicle=vehicle,
            gnss=GnssReceiver(rng),
            io=IoBoard(rng),
            modem=Modem(rng, now),
            onewire=OneWireBus(rng, vehicle.ambient_c),
            identity=Identity.for_client(client_id),
            app=AppState(),
            userdata=dict(INITIAL_USERDATA),
            obd=obd,
            ignition=ignition,
        )

    def advance(self, now: float) -> list[DiChange]:
        """Simulate up to ``now`` in whole steps; return digital input changes."""
        if now - self.time > MAX_CATCH_UP_S:
            self.time = now - MAX_CATCH_UP_S
        changes: list[DiChange] = []
        while now - self.time >= SIM_STEP_S:
            self.time += SIM_STEP_S
            changes.extend(self._step(SIM_STEP_S))
        return changes

    def _step(self, dt: float) -> list[DiChange]:
        vehicle = self.vehicle
        vehicle.step(dt, self.time)
        self.gnss.step(dt, vehicle.in_tunnel)
        self.modem.step(dt, vehicle.segment // 2)
        self.onewire.step(dt, vehicle.ambient_c)
        return self.io.step(dt, self.time)

    def values(self, group: str, now: float) -> Values:
        """Return the current values of a reserved group, in catalog order."""
        if group == SUMMARY:
            merged: Values = {}
            for part in SUMMARY_PARTS:
                merged.update(self.values(part, now))
            return merged
        if group == USERDATA:
            return dict(self.userdata)
        if group == OBD and not self.obd:
            return {}
        raw = BUILDERS[group](self, now)
        if group == IO and not self.ignition:
            del raw["io.igt_status"]
        return {key: raw[key] for key in GROUP_KEYS[group] if key in raw}


def _noise(state: DeviceState, sigma: float) -> float:
    return state.rng.gauss(0.0, sigma)


def _gnss(state: DeviceState, now: float) -> Values:
    vehicle, receiver = state.vehicle, state.gnss
    moment = datetime.fromtimestamp(now, UTC)
    values: Values = {
        "gnss.ts": int(now),
        "gnss.fix": receiver.fix,
        "gnss.num_sv": receiver.num_sv,
        "gnss.date": f"{moment.year}-{moment.month}-{moment.day}",
        "gnss.time": moment.strftime("%H:%M:%S"),
        "gnss.type": GNSS_CONSTELLATION,
    }
    located = ("latitude", "longitude", "altitude", "speed", "heading", "hdop", "pdop")
    if not receiver.fix:
        values.update(
            {f"gnss.{name}": None for name in (*located, "hacc", "acc_heading")}
        )
        return values
    lat, lon = vehicle.position
    hdop = clamp(receiver.hdop + _noise(state, 0.05), 0.5, 5.0)
    moving = vehicle.speed_mps > 0.5
    values.update(
        {
            "gnss.latitude": round(
                lat + receiver.error_north_m / METRES_PER_DEG_LAT, 6
            ),
            "gnss.longitude": round(
                lon
                + receiver.error_east_m
                / (METRES_PER_DEG_LAT * math.cos(math.radians(lat))),
                6,
            ),
            "gnss.altitude": round(vehicle.altitude_m + _noise(state, 0.3), 1),
            # Standing still (parked or at a light) the receiver reports 0.
            "gnss.speed": round(
                max(0.0, vehicle.speed_kmh + _noise(state, 0.2)) if moving else 0.0, 1
            ),
            "gnss.heading": round(vehicle.heading, 1),
            "gnss.hdop": round(hdop, 1),
            "gnss.pdop": round(hdop * 1.6, 1),
            # Rounded up, so the reported accuracy never understates the error.
            "gnss.hacc": math.ceil(receiver.hacc_m * 10.0) / 10.0,
            "gnss.acc_heading": round(
                state.rng.uniform(0.3, 2.0)
                if moving
                else state.rng.uniform(15.0, 30.0),
                1,
            ),
        }
    )
    return values


# Readiness monitors: None = not supported by this (petrol) car, else seconds of
# engine running before the monitor completes in the current driving cycle.
_MONITORS: Final[dict[str, float | None]] = {
    "mf_mon": 0.0,
    "f_s_mon": 0.0,
    "c_c_mon": 0.0,
    "c_mon": 600.0,
    "h_c_mon": None,
    "e_s_mon": 900.0,
    "s_a_s_mon": None,
    "a_s_r_mon": None,
    "e_g_s_mon": 300.0,
    "e_g_s_h_mon": 120.0,
    "e_v_s_mon": 450.0,
    "c_s_a_s_mon": None,
    "b_p_c_s_mon": None,
    "dpf_mon": None,
    "n_c_mon": None,
    "nmhc_mon": None,
    "o_s_mon": 300.0,
    "o_s_h_mon": 120.0,
    "pf_mon": None,
}


def _obd(state: DeviceState, now: float) -> Values:
    car = state.vehicle
    on = car.engine_on
    load = car.engine_load_pct
    up_time = car.up_time_s(now)
    barometric = round(101.3 - car.altitude_m * 0.012)
    values: Values = {
        "obd.ts": int(now),
        "obd.vin": car.vin,
        "obd.e_load": round(
            clamp(load + _noise(state, 0.5), 0.0, 100.0) if on else 0.0, 2
        ),
        "obd.c_temp": round(car.coolant_c),
        "obd.rpm": round(car.rpm + _noise(state, 12.0)) if on else 0,
        "obd.speed": round(car.speed_kmh),
        "obd.f_lvl": round(car.fuel_pct, 2),
        "obd.f_rate": round(car.fuel_rate_lph, 2),
        "obd.dtcs": car.dtcs,
        "obd.mil": int(car.mil),
        "obd.b_volt": round((13.8 if on else 12.5) + _noise(state, 0.05), 2),
        "obd.a_temp": round(car.ambient_c),
        "obd.o_temp": round(car.oil_c),
        "obd.up_time": up_time,
        "obd.m_dist": min(65535, int(car.mil_km)),
        "obd.d_dist": min(65535, int(car.since_clear_km)),
        "obd.m_time": min(65535, int(car.mil_min)),
        "obd.d_time": min(65535, int(car.since_clear_min)),
        "obd.f_press": round(350 + load * 0.8) if on else 0,
        "obd.t_pos": round(car.throttle_pct, 2),
        "obd.brake": int(car.braking),
        "obd.parking": int(car.parking),
        "obd.s_w_angle": round(car.steering_rad, 3),
        "obd.f_econ": round(car.fuel_economy_kmpl, 2),
        "obd.odo": round(car.odo_km, 1),
        "obd.a_pos": round(car.pedal_pct, 2),
        "obd.t_dist": round(car.trip_km, 2),
        "obd.i_temp": round(car.ambient_c + (8.0 + load * 0.1 if on else 0.0)),
        "obd.i_press": round(28 + load * 0.7) if on else barometric,
        "obd.b_press": barometric,
        "obd.f_r_press": round(4000 + load * 80) if on else 0,
        "obd.r_torque": 250,
        "obd.f_torque": round(-6.0 - car.rpm / 1000.0, 2) if on else 0.0,
        "obd.max_avl_torque": 100.0,
        "obd.a_torque": round(load * 0.9, 2),
        "obd.d_e_f_vol": None,
        "obd.brake_prim_press": None,
        "obd.brake_sec_press": None,
    }
    for name, ready_after in _MONITORS.items():
        if ready_after is None:
            values[f"obd.{name}"] = None
        else:
            values[f"obd.{name}"] = int(on and up_time >= ready_after)
    return values


def _motion(state: DeviceState, now: float) -> Values:
    car = state.vehicle
    vibration = 0.01 if car.engine_on else 0.002
    lateral_g = car.speed_mps * math.radians(car.yaw_rate_dps) / G
    longitudinal_g = car.accel_mps2 / G
    pitch = car.pitch_deg
    return {
        "motion.ts": int(now),
        "motion.ax": round(longitudinal_g + _noise(state, vibration), 2),
        "motion.ay": round(lateral_g + _noise(state, vibration), 2),
        "motion.az": round(math.cos(math.radians(pitch)) + _noise(state, vibration), 2),
        "motion.gx": round(_noise(state, 0.15), 2),
        "motion.gy": round(_noise(state, 0.15), 2),
        "motion.gz": round(car.yaw_rate_dps + _noise(state, 0.1), 2),
        "motion.roll": round(lateral_g * 4.0 + _noise(state, 0.2), 2),
        "motion.pitch": round(pitch + longitudinal_g * 2.0 + _noise(state, 0.2), 2),
        "motion.yaw": round(car.heading, 2),
    }


def _io(state: DeviceState, now: float) -> Values:
    board = state.io
    running = state.vehicle.engine_on
    values: Values = {"io.ts": int(now)}
    for index, volts in enumerate(board.ai, start=1):
        values[f"io.AI{index}"] = None if volts is None else round(volts, 2)
    for index, level in enumerate(board.di, start=1):
        values[f"io.DI{index}"] = level
        values[f"io.DI{index}_pullup"] = board.di_pullup[index - 1]
    for index, level in enumerate(board.do, start=1):
        values[f"io.DO{index}"] = level
        values[f"io.DO{index}_pullup"] = board.do_pullup[index - 1]
    values["io.power_input"] = round(
        (13.9 if running else 12.5) + _noise(state, 0.05), 2
    )
    values["io.igt_status"] = int(running)
    return values


def _cellular(state: DeviceState, now: float) -> Values:
    modem = state.modem
    ts = int(now)
    values: Values = {
        "modem1.ts": ts,
        "modem1.active_sim": modem.active_sim,
        "modem1.imei": modem.imei,
        "modem1.imsi": modem.imsi,
        "modem1.iccid": modem.iccid,
        "modem1.phone_num": modem.phone_num,
        "modem1.signal_lvl": modem.signal_lvl,
        "modem1.reg_status": modem.reg_status,
        "modem1.operator": modem.operator,
        "modem1.network": modem.network,
        "modem1.lac": modem.lac,
        "modem1.cell_id": modem.cell_id,
        "modem1.rssi": modem.rssi,
        "modem1.rsrp": modem.rsrp,
        "modem1.rsrq": round(modem.rsrq),
        "modem1.sinr": round(modem.sinr),
        "cellular1.ts": ts,
        "cellular1.status": modem.status,
        "cellular1.ip": modem.ip,
        "cellular1.netmask": modem.netmask,
        "cellular1.gateway": modem.gateway,
        "cellular1.dns1": modem.dns1,
        "cellular1.dns2": modem.dns2,
        "cellular1.up_at": modem.up_at,
        "cellular1.down_at": modem.down_at,
        "cellular1.traffic_ts": ts,
        "cellular1.tx_bytes": modem.tx_bytes,
        "cellular1.rx_bytes": modem.rx_bytes,
    }
    if modem.submode is not None:
        values["modem1.submode"] = modem.submode
    return values


def _onewire(state: DeviceState, now: float) -> Values:
    bus = state.onewire
    values: Values = {
        "1-wire.ts": int(now),
        "1-wire.status": bus.status,
        "1-wire.type": bus.device_type,
        "1-wire.temp_num": len(bus.probes),
        "1-wire.rom_num": len(bus.rom_codes),
    }
    for index, probe in enumerate(bus.probes, start=1):
        # DS18B20 probes resolve 1/16 °C.
        values[f"1-wire.temp{index}_data"] = round(round(probe.celsius * 16) / 16, 2)
        values[f"1-wire.temp{index}_id"] = probe.id
        values[f"1-wire.temp{index}_name"] = probe.name
    for index, code in enumerate(bus.rom_codes, start=1):
        values[f"1-wire.rom_code{index}"] = code
    return values


def _sysinfo(state: DeviceState, now: float) -> Values:
    ident = state.identity
    return {
        "sysinfo.ts": int(now),
        "sysinfo.language": ident.language,
        "sysinfo.hostname": ident.hostname,
        "sysinfo.timezone": ident.timezone,
        "sysinfo.model_name": ident.model_name,
        "sysinfo.oem_name": ident.oem_name,
        "sysinfo.serial_number": ident.serial_number,
        "sysinfo.firmware_version": ident.firmware_version,
        "sysinfo.bootloader_version": ident.bootloader_version,
        "sysinfo.product_number": ident.product_number,
        "sysinfo.description": ident.description,
        "sysinfo.lan_mac": ident.lan_mac,
        "sysinfo.wlan_mac": ident.wlan_mac,
        "sysinfo.wlan_5g_mac": ident.wlan_5g_mac,
        "sysinfo.power_management_version": ident.power_management_version,
    }


def _app(state: DeviceState, now: float) -> Values:
    del now
    return {
        "app.wifi_mode_2g": state.app.wifi_mode_2g,
        "app.wifi_mode_5g": state.app.wifi_mode_5g,
    }


BUILDERS: Final[dict[str, Callable[[DeviceState, float], Values]]] = {
    GNSS: _gnss,
    OBD: _obd,
    MOTION: _motion,
    IO: _io,
    CELLULAR: _cellular,
    ONEWIRE: _onewire,
    SYSINFO: _sysinfo,
    APP: _app,
}
"""Value builders of every reserved group with fixed keys."""
