"""The gateway's own hardware: GNSS receiver, IO board, modem, 1-wire bus, identity."""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import math
import random
from typing import Final

from .catalog import AI_COUNT, DI_COUNT, DO_COUNT
from .noise import chance, clamp, drift

GNSS_CONSTELLATION: Final = "GPS+Glonass"
HACC_PER_HDOP_M: Final = 0.9
"""Horizontal accuracy per unit of HDOP (a good receiver under open sky)."""
HACC_MIN_M: Final = 0.5
ERROR_SHARE_OF_HACC: Final = 0.5
"""The position error never exceeds this share of the reported ``gnss.hacc``."""
ERROR_SPREAD_OF_HACC: Final = 0.2
"""Standard deviation of the position error per axis, as a share of hacc."""
ERROR_TAU_S: Final = 30.0
"""Correlation time of the position error."""
ROUNDING_MARGIN_M: Final = 0.08
"""Room for rounding latitude and longitude to 6 decimals (0.11 m at most)."""


class GnssReceiver:
    """Satellites, fix state and position error; positions come from the vehicle.

    The position error wanders slowly (a mean reverting walk per axis, as a
    real receiver's does) and never exceeds half the horizontal accuracy it
    reports, so two fixes of a vehicle standing still are never further apart
    than the larger of their reported accuracies.
    """

    def __init__(self, rng: random.Random) -> None:
        """Start with a 3D fix and a plausible number of satellites."""
        self._rng = rng
        self.satellites = rng.uniform(7.0, 11.0)
        self.blocked = False
        self.error_east_m = 0.0
        self.error_north_m = 0.0

    @property
    def fix(self) -> int:
        """Fix status: 3 (3D) in the open, 0 (no fix) when the sky is hidden."""
        return 0 if self.blocked or self.num_sv < 4 else 3

    @property
    def num_sv(self) -> int:
        """Number of satellites used."""
        return round(self.satellites)

    @property
    def hdop(self) -> float:
        """Horizontal dilution of precision: worse with fewer satellites."""
        return clamp(0.6 + (12.0 - self.satellites) * 0.12, 0.5, 5.0)

    @property
    def hacc_m(self) -> float:
        """Horizontal accuracy estimate in metres (``gnss.hacc``)."""
        return max(HACC_MIN_M, self.hdop * HACC_PER_HDOP_M)

    @property
    def error_limit_m(self) -> float:
        """Largest position error: half the accuracy, less the rounding margin."""
        return ERROR_SHARE_OF_HACC * self.hacc_m - ROUNDING_MARGIN_M

    def step(self, dt: float, sky_hidden: bool) -> None:
        """Follow the sky: lose satellites in a tunnel, regain them outside."""
        self.blocked = sky_hidden
        if sky_hidden:
            mean, low, tau = 0.5, 0.0, 3.0
        else:
            mean, low, tau = 9.0, 6.0, 20.0
            self.satellites = max(self.satellites, low)
        self.satellites = drift(
            self.satellites,
            self._rng,
            mean=mean,
            sigma=0.4,
            dt=dt,
            tau=tau,
            low=low,
            high=12.0,
        )
        self._wander(dt)

    def _wander(self, dt: float) -> None:
        limit = self.error_limit_m
        spread = ERROR_SPREAD_OF_HACC * self.hacc_m
        sigma = spread * math.sqrt(2.0 / ERROR_TAU_S)
        east, north = (
            drift(
                value,
                self._rng,
                mean=0.0,
                sigma=sigma,
                dt=dt,
                tau=ERROR_TAU_S,
                low=-limit,
                high=limit,
            )
            for value in (self.error_east_m, self.error_north_m)
        )
        radius = math.hypot(east, north)
        if radius > limit:
            east, north = east * limit / radius, north * limit / radius
        self.error_east_m, self.error_north_m = east, north


@dataclass(frozen=True, slots=True)
class DiChange:
    """A digital input changed level at time ``at``."""

    index: int
    value: int
    at: float


class IoBoard:
    """Analog inputs drifting, digital inputs toggling now and then, outputs held."""

    AI_MEANS: Final = (5.0, 12.0, 2.5, 24.0)
    """Means of the wired analog inputs; AI5 and AI6 are not wired (invalid)."""

    def __init__(self, rng: random.Random) -> None:
        """All digital lines low, analog inputs near their means."""
        self._rng = rng
        self.ai: list[float | None] = [
            rng.uniform(mean * 0.8, mean * 1.2) for mean in self.AI_MEANS
        ]
        self.ai += [None] * (AI_COUNT - len(self.ai))
        self.di = [0] * DI_COUNT
        self.di_pullup = [0] * DI_COUNT
        self.do = [0] * DO_COUNT
        self.do_pullup = [0] * DO_COUNT
        self.auto_di = True
        """When False, digital inputs change only through ``set_di``."""
        self._di_idle_s = [rng.uniform(180.0, 900.0) for _ in range(DI_COUNT - 1)] + [
            0.0
        ]
        self._di_release_at: list[float | None] = [None] * DI_COUNT

    def step(self, dt: float, now: float) -> list[DiChange]:
        """Drift the analog inputs and toggle digital inputs; return DI changes."""
        for index, mean in enumerate(self.AI_MEANS):
            value = self.ai[index]
            if value is not None:
                self.ai[index] = drift(
                    value,
                    self._rng,
                    mean=mean,
                    sigma=0.05,
                    dt=dt,
                    tau=300.0,
                    low=0.0,
                    high=36.0,
                )
        changes: list[DiChange] = []
        if not self.auto_di:
            return changes
        for index in range(DI_COUNT):
            release_at = self._di_release_at[index]
            if self.di[index] == 0 and chance(self._rng, self._di_idle_s[index], dt):
                changes.extend(self.set_di(index + 1, 1, now))
            elif self.di[index] == 1 and release_at is not None and now >= release_at:
                changes.extend(self.set_di(index + 1, 0, now))
        return changes

    def set_di(self, number: int, value: int, now: float) -> list[DiChange]:
        """Drive digital input ``number`` (1-based); return the change, if any."""
        index = number - 1
        if not 0 <= index < DI_COUNT or value not in (0, 1):
            raise ValueError(f"no digital input {number} level {value}")
        if self.di[index] == value:
            return []
        self.di[index] = value
        self._di_release_at[index] = (
            now + self._rng.uniform(5.0, 60.0) if value else None
        )
        return [DiChange(number, value, now)]


class Modem:
    """Cellular modem and the cellular1 interface."""

    def __init__(self, rng: random.Random, now: float) -> None:
        """Register on a network with a random but plausible identity."""
        self._rng = rng
        self.active_sim = 1
        self.imei = _luhn_complete("86" + _digits(rng, 12))
        self.imsi = "46001" + _digits(rng, 10)
        self.iccid = "898601" + _digits(rng, 14)
        self.phone_num = "+8613" + _digits(rng, 9)
        self.operator = "46001"
        self.reg_status = 1
        self.network = 4 if rng.random() < 0.25 else 3
        self.submode: str | None = (
            rng.choice(("NSA", "SA")) if self.network == 4 else None
        )
        self.asu = rng.uniform(18.0, 29.0)
        self.rsrq = rng.uniform(-12.0, -6.0)
        self.sinr = rng.uniform(5.0, 20.0)
        self.lac = f"{rng.randrange(0x1000, 0x10000):04X}"
        self._cell_base = rng.randrange(0x1000000, 0xF000000)
        self.cell_id = f"{self._cell_base:07X}"
        self.status = 3
        self.ip = (
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        )
        self.netmask = "255.255.255.255"
        self.gateway = "10.64.64.64"
        self.dns1 = "119.7.7.7"
        self.dns2 = "119.6.6.6"
        self.up_at = int(now - rng.uniform(60.0, 3600.0))
        self.down_at = 0
        self.tx_bytes = rng.randrange(50_000, 500_000)
        self.rx_bytes = rng.randrange(20_000, 300_000)
        self._tx_rate = rng.uniform(60.0, 400.0)
        self._rx_rate = rng.uniform(30.0, 250.0)
        self._tx_carry = 0.0
        self._rx_carry = 0.0

    @property
    def signal_lvl(self) -> int:
        """Signal level in asu, 0..31."""
        return round(self.asu)

    @property
    def rssi(self) -> int:
        """RSSI in dBm, from the asu level."""
        return -113 + 2 * self.signal_lvl

    @property
    def rsrp(self) -> int:
        """RSRP in dBm, following the signal level."""
        return round(clamp(-128.0 + 2.2 * self.asu, -140.0, -44.0))

    def step(self, dt: float, area: int) -> None:
        """Vary the radio, grow the traffic counters; ``area`` picks the cell."""
        self.asu = drift(
            self.asu,
            self._rng,
            mean=23.0,
            sigma=0.6,
            dt=dt,
            tau=60.0,
            low=0.0,
            high=31.0,
        )
        self.rsrq = drift(
            self.rsrq,
            self._rng,
            mean=-9.0,
            sigma=0.3,
            dt=dt,
            tau=60.0,
            low=-20.0,
            high=-3.0,
        )
        self.sinr = drift(
            self.sinr,
            self._rng,
            mean=13.0,
            sigma=0.6,
            dt=dt,
            tau=60.0,
            low=-5.0,
            high=30.0,
        )
        self.cell_id = f"{self._cell_base + area:07X}"
        self._tx_carry += self._tx_rate * dt * self._rng.uniform(0.5, 1.5)
        self._rx_carry += self._rx_rate * dt * self._rng.uniform(0.5, 1.5)
        self.tx_bytes += int(self._tx_carry)
        self.rx_bytes += int(self._rx_carry)
        self._tx_carry %= 1.0
        self._rx_carry %= 1.0


@dataclass(slots=True)
class TempProbe:
    """A 1-wire temperature sensor."""

    id: str
    name: str
    celsius: float


class OneWireBus:
    """A 1-wire bus with two temperature probes and one ROM code device."""

    def __init__(self, rng: random.Random, ambient_c: float) -> None:
        """Plug in the probes of the §3.1.8 example."""
        self._rng = rng
        self.status = "Connected"
        self.probes = [
            TempProbe("aa012029901e7928", "Inside", rng.uniform(21.0, 25.0)),
            TempProbe("27012029cf6a8328", "Outside", ambient_c),
        ]
        self.rom_codes = ["cc00001b559ae001"]

    @property
    def device_type(self) -> str:
        """What kind of devices are on the bus."""
        if self.probes and self.rom_codes:
            return "Temperature & ROM Code"
        return "Temperature" if self.probes else "ROM Code"

    def step(self, dt: float, ambient_c: float) -> None:
        """Cabin temperature wanders near 23 °C; outside follows the ambient air."""
        inside, outside = self.probes[0], self.probes[1]
        inside.celsius = drift(
            inside.celsius,
            self._rng,
            mean=23.0,
            sigma=0.03,
            dt=dt,
            tau=600.0,
            low=-40.0,
            high=85.0,
        )
        outside.celsius = drift(
            outside.celsius,
            self._rng,
            mean=ambient_c,
            sigma=0.03,
            dt=dt,
            tau=300.0,
            low=-40.0,
            high=85.0,
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Static system information (the sysinfo group), derived from the client id."""

    serial_number: str
    lan_mac: str
    wlan_mac: str
    wlan_5g_mac: str
    language: str = "English"
    hostname: str = "VG710"
    timezone: str = "UTC-8"
    model_name: str = "VG710"
    oem_name: str = "inhand"
    firmware_version: str = "2.1.0.r15244"
    bootloader_version: str = "2012.07.r235"
    product_number: str = "TL01"
    description: str = "www.inhand.com.cn"
    power_management_version: str = "1.0.6"

    @classmethod
    def for_client(cls, client_id: str) -> Identity:
        """Derive a stable serial number and MAC addresses from ``client_id``."""
        digest = hashlib.sha256(client_id.encode()).digest()
        serial = "VG710" + f"{int.from_bytes(digest[:8]) % 10**10:010d}"
        lan = int.from_bytes(digest[8:11])
        wlan = int.from_bytes(digest[11:14]) & 0xFFFFFE
        return cls(
            serial_number=serial,
            lan_mac=_mac(lan),
            wlan_mac=_mac(wlan),
            wlan_5g_mac=_mac(wlan + 1),
        )


@dataclass(slots=True)
class AppState:
    """Wi-Fi modes controlled through the WiFiControl app (0 AP, 1 STA, -1 N/A)."""

    wifi_mode_2g: int = 0
    wifi_mode_5g: int = 0


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _luhn_complete(number: str) -> str:
    """Append the Luhn check digit (as IMEIs carry)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return number + str((10 - total % 10) % 10)


def _mac(value: int) -> str:
    """Format an InHand MAC (OUI 00:18:05) with a 24-bit device part."""
    tail = value & 0xFFFFFF
    return "00:18:05:" + ":".join(
        f"{(tail >> shift) & 0xFF:02X}" for shift in (16, 8, 0)
    )
