"""A vehicle driving a loop route: kinematics, engine, fuel and counters.

Everything here is deterministic given the random generator handed in; sensor
noise is added later, when values are reported (see ``telemetry``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from enum import Enum
import math
import random
from typing import Final

from .noise import clamp

EARTH_RADIUS_M: Final = 6_371_000.0
ACCEL_MPS2: Final = 1.6
BRAKE_MPS2: Final = 2.2
CORNER_SPEED_MPS: Final = 20.0 / 3.6
MAX_TURN_RATE_DPS: Final = 30.0
IDLE_RPM: Final = 800.0
TANK_LITRES: Final = 55.0
WHEELBASE_M: Final = 2.7
STEERING_RATIO: Final = 15.0
PARKING_BRAKE_AFTER_S: Final = 20.0
PARK_MIN_S: Final = 150.0
PARK_MAX_S: Final = 420.0
"""A random park (engine off) lasts between these (seconds): always longer
than a trip's default end delay (2 min), so each park ends the trip."""
PARK_SHARE: Final = 0.3
"""Share of the stops that are parks."""
MAX_TRIP_KM: Final = 12.0
"""After this far since the engine started, it parks at the next waypoint."""
# Speed (km/h) per 1000 rpm of each gear, highest gear first.
_GEAR_KMH_PER_KRPM: Final = (42.0, 35.0, 28.0, 21.0, 14.0, 8.0)
_SHIFT_UP_RPM: Final = 1300.0
_VIN_CHARS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees in ``[0, 360)``."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlmb = math.radians(lon2 - lon1)
    x = math.sin(dlmb) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(
        dlmb
    )
    return math.degrees(math.atan2(x, y)) % 360.0


def heading_delta(current: float, target: float) -> float:
    """Signed smallest rotation (degrees) from ``current`` to ``target``."""
    return (target - current + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A route corner; ``limit_kmh`` applies to the segment that starts here."""

    lat: float
    lon: float
    limit_kmh: float


class Route:
    """A closed polygon of waypoints driven in order, forever."""

    def __init__(
        self,
        waypoints: tuple[Waypoint, ...],
        *,
        base_altitude_m: float = 50.0,
        tunnel: tuple[int, float, float] | None = None,
    ) -> None:
        """Build the route; ``tunnel`` is (segment, start fraction, end fraction)."""
        if len(waypoints) < 3:
            raise ValueError("a route needs at least three waypoints")
        self.waypoints = waypoints
        self.base_altitude_m = base_altitude_m
        self._tunnel = tunnel
        count = len(waypoints)
        pairs = [(waypoints[i], waypoints[(i + 1) % count]) for i in range(count)]
        self._lengths = [haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in pairs]
        self._bearings = [bearing_deg(a.lat, a.lon, b.lat, b.lon) for a, b in pairs]
        self._starts: list[float] = []
        total = 0.0
        for length in self._lengths:
            self._starts.append(total)
            total += length
        self.length = total

    @property
    def segment_count(self) -> int:
        """Number of segments (equal to the number of waypoints)."""
        return len(self.waypoints)

    def wrap(self, s: float) -> float:
        """Bring a distance along the route into ``[0, length)``."""
        return s % self.length

    def segment_at(self, s: float) -> tuple[int, float]:
        """Return (segment index, metres into that segment) for distance ``s``."""
        s = self.wrap(s)
        index = bisect.bisect_right(self._starts, s) - 1
        return index, s - self._starts[index]

    def segment_start(self, index: int) -> float:
        """Distance along the route where segment ``index`` starts."""
        return self._starts[index % self.segment_count]

    def segment_length(self, index: int) -> float:
        """Length of segment ``index`` in metres."""
        return self._lengths[index % self.segment_count]

    def bearing(self, index: int) -> float:
        """Direction of travel on segment ``index``."""
        return self._bearings[index % self.segment_count]

    def limit_kmh(self, index: int) -> float:
        """Speed limit on segment ``index``."""
        return self.waypoints[index % self.segment_count].limit_kmh

    def position(self, s: float) -> tuple[float, float]:
        """Latitude and longitude at distance ``s``."""
        index, into = self.segment_at(s)
        start = self.waypoints[index]
        end = self.waypoints[(index + 1) % self.segment_count]
        fraction = into / self._lengths[index] if self._lengths[index] else 0.0
        return (
            start.lat + (end.lat - start.lat) * fraction,
            start.lon + (end.lon - start.lon) * fraction,
        )

    def altitude(self, s: float) -> float:
        """Gently rolling terrain: altitude in metres at distance ``s``."""
        phase = 2 * math.pi * self.wrap(s) / self.length
        return (
            self.base_altitude_m
            + 12.0 * math.sin(phase)
            + 4.0 * math.sin(3 * phase + 1)
        )

    def grade(self, s: float) -> float:
        """Slope (rise over run) at distance ``s``."""
        phase = 2 * math.pi * self.wrap(s) / self.length
        scale = 2 * math.pi / self.length
        return scale * (12.0 * math.cos(phase) + 12.0 * math.cos(3 * phase + 1))

    def in_tunnel(self, s: float) -> bool:
        """True where the sky is hidden and GNSS loses its fix."""
        if self._tunnel is None:
            return False
        index, into = self.segment_at(s)
        segment, start, end = self._tunnel
        if index != segment:
            return False
        fraction = into / self._lengths[index]
        return start <= fraction < end


DEFAULT_ROUTE: Final = Route(
    (
        Waypoint(40.232213, 116.343660, 50.0),
        Waypoint(40.239000, 116.344000, 60.0),
        Waypoint(40.245500, 116.350000, 70.0),
        Waypoint(40.246000, 116.362000, 60.0),
        Waypoint(40.240000, 116.370000, 80.0),
        Waypoint(40.233000, 116.369000, 60.0),
        Waypoint(40.227000, 116.362000, 50.0),
        Waypoint(40.225000, 116.353000, 40.0),
        Waypoint(40.228000, 116.345000, 40.0),
    ),
    base_altitude_m=46.0,
    tunnel=(5, 0.45, 0.6),
)
"""A ~9 km loop in Changping, Beijing, near the coordinates of the examples."""


class Mode(Enum):
    """What the vehicle is doing."""

    DRIVING = "driving"
    STOPPED = "stopped"  # engine idling, e.g. at a junction
    PARKED = "parked"  # engine off


class Vehicle:
    """Kinematics and engine state of the simulated vehicle."""

    def __init__(
        self, rng: random.Random, now: float, route: Route = DEFAULT_ROUTE
    ) -> None:
        """Place the vehicle somewhere on ``route`` with a freshly started engine."""
        self.route = route
        self._rng = rng
        self.vin = "LFV" + "".join(rng.choice(_VIN_CHARS) for _ in range(14))
        self.s = rng.uniform(0.0, route.length)
        self.segment = route.segment_at(self.s)[0]
        self.mode = Mode.STOPPED
        self.stop_remaining_s = rng.uniform(3.0, 10.0)
        self.stopped_for_s = 0.0
        self.speed_mps = 0.0
        self.accel_mps2 = 0.0
        self.heading = route.bearing(self.segment)
        self.yaw_rate_dps = 0.0
        self.cruise_factor = rng.uniform(0.85, 1.02)
        self.stop_at_next = False
        self.park_at_next = False
        self.trip_km = 0.0
        self._plan_next_stop()
        self.engine_on = True
        self.engine_started_at = now
        self.ambient_c = rng.uniform(12.0, 28.0)
        self.coolant_c = self.ambient_c + rng.uniform(0.0, 8.0)
        self.oil_c = self.coolant_c
        self.fuel_pct = rng.uniform(35.0, 95.0)
        self.odo_km = rng.uniform(5_000.0, 120_000.0)
        self.trip_km = 0.0
        self.dtcs = rng.choices((0, 1, 2), weights=(0.75, 0.17, 0.08))[0]
        self.since_clear_km = rng.uniform(100.0, 3_000.0)
        self.since_clear_min = self.since_clear_km * 1.6
        self.mil_km = self.since_clear_km * 0.3 if self.dtcs else 0.0
        self.mil_min = self.mil_km * 1.6

    # -- derived quantities ---------------------------------------------------

    @property
    def speed_kmh(self) -> float:
        """Speed in km/h."""
        return self.speed_mps * 3.6

    @property
    def mil(self) -> bool:
        """Malfunction indicator lamp: lit whenever trouble codes are stored."""
        return self.dtcs > 0

    @property
    def position(self) -> tuple[float, float]:
        """Current latitude and longitude."""
        return self.route.position(self.s)

    @property
    def altitude_m(self) -> float:
        """Current altitude in metres."""
        return self.route.altitude(self.s)

    @property
    def pitch_deg(self) -> float:
        """Body pitch from the road slope, degrees."""
        return math.degrees(math.atan(self.route.grade(self.s)))

    @property
    def in_tunnel(self) -> bool:
        """True while the sky is hidden."""
        return self.route.in_tunnel(self.s)

    @property
    def rpm(self) -> float:
        """Engine speed: idle when stopped, in the gear that keeps it above 1300."""
        if not self.engine_on:
            return 0.0
        rpm = IDLE_RPM
        for ratio in _GEAR_KMH_PER_KRPM:
            rpm = self.speed_kmh / ratio * 1000.0
            if rpm >= _SHIFT_UP_RPM:
                break
        rpm += max(0.0, self.accel_mps2) * 250.0
        return max(IDLE_RPM, rpm)

    @property
    def _effort(self) -> float:
        """Share of the available acceleration in use, 0..1."""
        return clamp(self.accel_mps2 / ACCEL_MPS2, 0.0, 1.0)

    @property
    def engine_load_pct(self) -> float:
        """Calculated engine load (0 when the engine is stopped)."""
        if not self.engine_on:
            return 0.0
        return clamp(18.0 + 0.3 * self.speed_kmh + 45.0 * self._effort, 0.0, 100.0)

    @property
    def throttle_pct(self) -> float:
        """Throttle plate position."""
        if not self.engine_on:
            return 0.0
        return clamp(13.0 + 0.25 * self.speed_kmh + 35.0 * self._effort, 0.0, 100.0)

    @property
    def pedal_pct(self) -> float:
        """Accelerator pedal position (released while braking or idling)."""
        if not self.engine_on or self.speed_mps < 0.1 or self.accel_mps2 < -0.05:
            return 0.0
        return clamp(0.35 * self.speed_kmh + 40.0 * self._effort, 0.0, 100.0)

    @property
    def fuel_rate_lph(self) -> float:
        """Fuel consumption in litres per hour."""
        if not self.engine_on:
            return 0.0
        return 0.8 + 0.045 * self.speed_kmh + 3.5 * max(0.0, self.accel_mps2)

    @property
    def fuel_economy_kmpl(self) -> float:
        """Instantaneous fuel economy, km per litre (0 when not moving)."""
        rate = self.fuel_rate_lph
        if self.speed_kmh < 1.0 or rate <= 0:
            return 0.0
        return min(125.5, self.speed_kmh / rate)

    @property
    def braking(self) -> bool:
        """Brake pedal depressed: slowing down or holding the car at a stop."""
        return self.accel_mps2 < -0.3 or (
            self.mode is Mode.STOPPED and not self.parking
        )

    @property
    def parking(self) -> bool:
        """Parking brake set: parked, or stopped for a while."""
        if self.mode is Mode.PARKED:
            return True
        return self.mode is Mode.STOPPED and self.stopped_for_s >= PARKING_BRAKE_AFTER_S

    @property
    def steering_rad(self) -> float:
        """Steering wheel angle derived from the yaw rate (bicycle model)."""
        yaw_rad = math.radians(self.yaw_rate_dps)
        angle = yaw_rad * WHEELBASE_M * STEERING_RATIO / max(self.speed_mps, 2.0)
        return clamp(angle, -31.374, 31.374)

    def up_time_s(self, now: float) -> int:
        """Seconds since the engine started (0 while off), capped at 65535."""
        if not self.engine_on:
            return 0
        return int(clamp(now - self.engine_started_at, 0.0, 65535.0))

    # -- simulation -----------------------------------------------------------

    def step(self, dt: float, now: float) -> None:
        """Advance the simulation by ``dt`` seconds ending at time ``now``."""
        if dt <= 0:
            return
        if self.mode is Mode.DRIVING:
            self._drive(dt)
        else:
            self._wait(dt, now)
        self._turn(dt)
        self._engine(dt)

    def plan_stop(self, segment: int) -> tuple[bool, bool]:
        """Decide, on entering ``segment``, whether to stop and park at its end.

        Returns (stop, park). The default plan is random: a stop at about one
        waypoint in three, and three stops in ten of those are parks; after
        ``MAX_TRIP_KM`` since the engine started, the next waypoint is a park.
        """
        del segment
        stop = self._rng.random() < 0.3
        park = stop and self._rng.random() < PARK_SHARE
        if self.trip_km >= MAX_TRIP_KM:
            return True, True
        return stop, park

    def stop_duration_s(self, *, park: bool) -> float:
        """How long the stop that has just begun lasts (random by default)."""
        if park:
            return self._rng.uniform(PARK_MIN_S, PARK_MAX_S)
        return self._rng.uniform(5.0, 45.0)

    def _plan_next_stop(self) -> None:
        self.stop_at_next, self.park_at_next = self.plan_stop(self.segment)

    def _wait(self, dt: float, now: float) -> None:
        self.speed_mps = 0.0
        self.accel_mps2 = 0.0
        self.stopped_for_s += dt
        self.stop_remaining_s -= dt
        if self.stop_remaining_s > 0:
            return
        if self.mode is Mode.PARKED:
            self.engine_on = True
            self.engine_started_at = now
            self.trip_km = 0.0
            self.mode = Mode.STOPPED
            self.stopped_for_s = 0.0
            self.stop_remaining_s = self._rng.uniform(4.0, 12.0)
            return
        self.mode = Mode.DRIVING
        self.cruise_factor = self._rng.uniform(0.85, 1.02)

    def _drive(self, dt: float) -> None:
        index, into = self.route.segment_at(self.s)
        to_next = self.route.segment_length(index) - into
        target = self.route.limit_kmh(index) / 3.6 * self.cruise_factor
        if self.stop_at_next:
            target = min(target, math.sqrt(2 * BRAKE_MPS2 * max(to_next - 0.5, 0.0)))
        else:
            target = min(
                target, math.sqrt(CORNER_SPEED_MPS**2 + 2 * BRAKE_MPS2 * to_next)
            )
        dv = clamp(target - self.speed_mps, -BRAKE_MPS2 * dt, ACCEL_MPS2 * dt)
        new_speed = max(0.0, self.speed_mps + dv)
        distance = (self.speed_mps + new_speed) / 2 * dt
        arrived = self.stop_at_next and (
            distance >= to_next or (new_speed < 0.5 and to_next < 2.0)
        )
        if arrived:
            distance, new_speed = to_next, 0.0
        self.accel_mps2 = (new_speed - self.speed_mps) / dt
        self.speed_mps = new_speed
        self._advance(distance)
        if arrived:
            self.s = self.route.segment_start(index + 1)
            self.segment = (index + 1) % self.route.segment_count
            self._arrive()

    def _advance(self, distance: float) -> None:
        self.s = self.route.wrap(self.s + distance)
        km = distance / 1000.0
        self.odo_km += km
        self.trip_km += km
        self.since_clear_km += km
        if self.mil:
            self.mil_km += km
        index = self.route.segment_at(self.s)[0]
        if index != self.segment:
            self.segment = index
            self._plan_next_stop()

    def _arrive(self) -> None:
        self.stopped_for_s = 0.0
        self.accel_mps2 = 0.0
        if self.park_at_next:
            self.mode = Mode.PARKED
            self.engine_on = False
            self.stop_remaining_s = self.stop_duration_s(park=True)
            if self.fuel_pct < 20.0:
                self.fuel_pct = self._rng.uniform(92.0, 100.0)
        else:
            self.mode = Mode.STOPPED
            self.stop_remaining_s = self.stop_duration_s(park=False)
        self._plan_next_stop()

    def _turn(self, dt: float) -> None:
        if self.speed_mps < 0.5:
            self.yaw_rate_dps = 0.0
            return
        delta = heading_delta(self.heading, self.route.bearing(self.segment))
        turn = clamp(delta, -MAX_TURN_RATE_DPS * dt, MAX_TURN_RATE_DPS * dt)
        self.heading = (self.heading + turn) % 360.0
        self.yaw_rate_dps = turn / dt

    def _engine(self, dt: float) -> None:
        if self.engine_on:
            coolant_target = 89.0 + 4.0 * self.engine_load_pct / 100.0
            self.coolant_c += (coolant_target - self.coolant_c) * min(1.0, dt / 150.0)
            self.oil_c += (self.coolant_c + 4.0 - self.oil_c) * min(1.0, dt / 400.0)
            self.since_clear_min += dt / 60.0
            if self.mil:
                self.mil_min += dt / 60.0
        else:
            self.coolant_c += (self.ambient_c - self.coolant_c) * min(1.0, dt / 1200.0)
            self.oil_c += (self.ambient_c - self.oil_c) * min(1.0, dt / 2000.0)
        burnt_pct = self.fuel_rate_lph * dt / 3600.0 / TANK_LITRES * 100.0
        self.fuel_pct = max(0.0, self.fuel_pct - burnt_pct)
        if self.fuel_pct < 8.0 and self.mode is not Mode.DRIVING:
            self.fuel_pct = self._rng.uniform(92.0, 100.0)  # a quick refuel
