"""Synthetic drives for the trip tests: summary uploads in the gateway's shape.

A vehicle drives along a polyline of known length at a steady speed with
stops; every upload carries a GNSS fix jittered within its ``gnss.hacc``,
OBD values (optional) and the ignition (optional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import random
from typing import Any

from custom_components.flexapi.protocol.trips import EARTH_RADIUS_M

#: 2026-06-01T08:00:00Z
T0 = 1780300800
HOME = (48.137, 11.575)
HACC = 4.0


def offset(
    point: tuple[float, float], north_m: float, east_m: float
) -> tuple[float, float]:
    """A point moved by metres north and east (small distances)."""
    lat, lon = point
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


@dataclass
class Drive:
    """Uploads ``(t, payload)`` of one summary topic, in order."""

    obd: bool = True
    ignition: bool = True
    seed: int = 1
    interval: int = 10
    t: int = T0
    position: tuple[float, float] = HOME
    odo: float = 12345.0
    fuel: float = 60.0
    on: bool = False
    uploads: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    driven_m: float = 0.0

    def __post_init__(self) -> None:
        """Seed the jitter."""
        self.rng = random.Random(self.seed)

    def _upload(self, speed_kmh: float, *, fix: int = 3) -> None:
        north, east = (self.rng.uniform(-0.6, 0.6) * HACC for _ in range(2))
        lat, lon = offset(self.position, north, east)
        data: dict[str, Any] = {
            "gnss.ts": self.t,
            "gnss.latitude": round(lat, 7),
            "gnss.longitude": round(lon, 7),
            "gnss.speed": round(
                speed_kmh
                + (self.rng.uniform(0, 0.8) if speed_kmh else self.rng.uniform(0, 0.9)),
                1,
            ),
            "gnss.hacc": HACC,
            "gnss.fix": fix,
        }
        if self.obd:
            data |= {
                "obd.ts": self.t,
                "obd.rpm": (1800 if speed_kmh else 800) if self.on else 0,
                "obd.speed": round(speed_kmh),
                "obd.odo": round(self.odo, 1),
                "obd.f_lvl": round(self.fuel, 1),
            }
        if self.ignition:
            data |= {"io.ts": self.t, "io.igt_status": int(self.on)}
        self.uploads.append((self.t, data))

    def park(self, seconds: int) -> Drive:
        """Stand still (ignition as it is) for ``seconds``."""
        for _ in range(seconds // self.interval):
            self.t += self.interval
            self._upload(0.0)
        return self

    def ignition_on(self) -> Drive:
        """Turn the key (the engine starts): one upload, standing."""
        self.on = True
        self.t += self.interval
        self._upload(0.0)
        return self

    def ignition_off(self) -> Drive:
        """Turn the key off: one upload."""
        self.on = False
        self.t += self.interval
        self._upload(0.0)
        return self

    def drive(
        self, metres: float, speed_kmh: float, heading_deg: float = 90.0
    ) -> Drive:
        """Drive ``metres`` straight at ``speed_kmh``."""
        step = speed_kmh / 3.6 * self.interval
        heading = math.radians(heading_deg)
        left = metres
        while left > 1e-6:
            d = min(step, left)
            self.position = offset(
                self.position, d * math.cos(heading), d * math.sin(heading)
            )
            left -= d
            self.driven_m += d
            self.odo += d / 1000
            self.fuel -= d / 1000 * 0.07
            self.t += self.interval
            self._upload(speed_kmh)
        return self


def standard_drive(*, obd: bool = True, ignition: bool = True, seed: int = 1) -> Drive:
    """Parked with jitter, a 3 km drive with a 40 s red light, parked again."""
    drive = Drive(obd=obd, ignition=ignition, seed=seed)
    drive.park(300).ignition_on().park(30)
    drive.drive(1500, 40.0, 90.0).park(40)  # the traffic light
    drive.drive(1000, 50.0, 0.0).drive(500, 30.0, 270.0).park(20)
    return drive.ignition_off().park(400)
