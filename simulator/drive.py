"""Deterministic drive scenarios for tests: the uploads of one known trip.

Built on the same ``Device``, vehicle and telemetry code that the simulator
publishes, so a test gets exactly the data the demo sends, only scripted:

``drive_uploads()``
    parked with the ignition off (GNSS jitter within ``gnss.hacc``), ignition
    on and a short idle, one lap of the route (or ``laps`` laps) with one
    traffic-light stop (engine running, speed 0), back at the starting point,
    a short idle, ignition off, and parked for longer than the 2 minute end
    delay of a trip.
``parked_jitter_uploads()``
    a vehicle that never moves: only GNSS jitter (engine off by default).

Each upload is ``(t, group, payload)``: ``t`` in seconds since the start of
the scenario, ``group`` one of ``gnss``, ``obd``, ``io``, and ``payload``
the body of ``v1/{client_id}/{group}/info`` exactly as the gateway sends it,
including ``<group>.ts`` (UNIX seconds, ``start + t``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import math
import random
from typing import Final, NamedTuple

from .catalog import GNSS, IO, OBD
from .device import Device
from .protocol import JsonObject
from .vehicle import DEFAULT_ROUTE, Mode, Route, Vehicle

START: Final = 1_700_000_000.0
"""UNIX time of ``t = 0`` unless given."""
CLIENT_ID: Final = "VG1"
UPLOAD_INTERVAL_S: Final = 10
"""The gateway's default upload interval of the gnss, obd and io groups."""
LIGHT_STOP_S: Final = 40.0
MAX_SCENARIO_S: Final = 6 * 3600
"""A scenario that has not ended by then is a bug (the vehicle got stuck)."""
_CRUISE_FACTOR: Final = 0.95


class Upload(NamedTuple):
    """One timed upload: seconds since the start, group, payload as sent."""

    t: float
    group: str
    payload: JsonObject


@dataclass(frozen=True, slots=True)
class DriveScenario:
    """The uploads of a scenario and the truth a test checks them against.

    Times are seconds since the start (``start``, UNIX seconds). The
    ``*_s`` figures of the drive are ``None`` for a scenario without one.
    """

    client_id: str
    start: float
    uploads: tuple[Upload, ...]
    route_length_m: float
    """Distance the vehicle really drove (0 when it never moved)."""
    position: tuple[float, float]
    """Where the vehicle is parked (true position, before GNSS error)."""
    end_s: float
    ignition_on_s: float | None = None
    moving_s: float | None = None
    """When the vehicle first moved."""
    light_stop_s: tuple[float, float] | None = None
    """The traffic-light stop: (stopped at, moving again at)."""
    arrived_s: float | None = None
    """When the vehicle stopped at the end of the drive (engine still on)."""
    ignition_off_s: float | None = None
    idle_s: float = 0.0
    """Seconds with the engine running and the vehicle standing still."""
    max_speed_kmh: float = 0.0
    """Highest true speed of the drive."""

    def topic(self, group: str) -> str:
        """The topic the gateway publishes ``group`` on (no custom prefix)."""
        return f"v1/{self.client_id}/{group}/info"

    def messages(self) -> Iterator[tuple[float, str, JsonObject]]:
        """Each upload as (t, topic, payload), in order."""
        for upload in self.uploads:
            yield upload.t, self.topic(upload.group), upload.payload

    def of_group(self, group: str) -> list[Upload]:
        """The uploads of one group, in order."""
        return [upload for upload in self.uploads if upload.group == group]


class ScriptedVehicle(Vehicle):
    """The simulator's vehicle, following a script instead of chance.

    It starts parked (engine off) at the first waypoint of ``route``. After
    ``switch_on`` it idles for ``idle_start_s``, then drives ``laps`` laps
    with one stop of ``light_stop_s`` at ``light_waypoint`` on the first lap,
    and stops (engine still running) back at the first waypoint, where it
    waits until ``switch_off``.
    """

    def __init__(
        self,
        rng: random.Random,
        now: float,
        route: Route = DEFAULT_ROUTE,
        *,
        laps: int = 1,
        light_waypoint: int | None = None,
        light_stop_s: float = LIGHT_STOP_S,
        idle_start_s: float = 20.0,
    ) -> None:
        """Park the vehicle, engine off, at the route's first waypoint."""
        if laps < 1:
            raise ValueError("laps must be at least 1")
        self.laps = laps
        self.light_waypoint = (
            route.segment_count // 2 if light_waypoint is None else light_waypoint
        )
        self.light_stop_s = light_stop_s
        self.idle_start_s = idle_start_s
        self._odo_at_start: float | None = None
        super().__init__(rng, now, route)
        self.s = 0.0
        self.segment = 0
        self.heading = route.bearing(0)
        self.cruise_factor = _CRUISE_FACTOR
        self._park()

    @property
    def travelled_m(self) -> float:
        """Metres driven since ``switch_on``."""
        if self._odo_at_start is None:
            return 0.0
        return (self.odo_km - self._odo_at_start) * 1000.0

    @property
    def arrived(self) -> bool:
        """Stopped at the end of the drive, engine running."""
        return self.mode is Mode.STOPPED and math.isinf(self.stop_remaining_s)

    def switch_on(self, now: float) -> None:
        """Ignition on: the engine starts; the drive begins after the idle."""
        self.engine_on = True
        self.engine_started_at = now
        self.trip_km = 0.0
        self.mode = Mode.STOPPED
        self.stopped_for_s = 0.0
        self.stop_remaining_s = self.idle_start_s
        self._odo_at_start = self.odo_km
        self.stop_at_next, self.park_at_next = self.plan_stop(self.segment)

    def switch_off(self) -> None:
        """Ignition off: parked, engine off, until the end of the scenario."""
        self._park()

    def _park(self) -> None:
        self.mode = Mode.PARKED
        self.engine_on = False
        self.speed_mps = 0.0
        self.accel_mps2 = 0.0
        self.stop_remaining_s = math.inf
        self.stop_at_next = self.park_at_next = False

    def plan_stop(self, segment: int) -> tuple[bool, bool]:
        """Stop at the traffic light (first lap) and at the end of the last lap."""
        if self._odo_at_start is None:
            return False, False
        route = self.route
        lap = round((self.travelled_m - route.segment_start(segment)) / route.length)
        at_end = lap * route.length + route.segment_start(segment)
        at_end += route.segment_length(segment)
        return self._stop_kind(segment + 1, at_end) is not None, False

    def stop_duration_s(self, *, park: bool) -> float:
        """The light's time, or for ever at the end of the drive."""
        del park
        kind = self._stop_kind(self.segment, self.travelled_m)
        return math.inf if kind == "end" else self.light_stop_s

    def _stop_kind(self, waypoint: int, travelled_m: float) -> str | None:
        """What the stop at ``waypoint``, reached after ``travelled_m``, is."""
        route = self.route
        if travelled_m >= self.laps * route.length - 1.0:
            return "end"
        if travelled_m < route.length and waypoint % route.segment_count == (
            self.light_waypoint % route.segment_count
        ):
            return "light"
        return None


def _device(
    *, client_id: str, obd: bool, ignition: bool, seed: int, start: float
) -> Device:
    device = Device(
        client_id,
        seed=seed,
        now=start,
        obd=obd,
        ignition=ignition,
        rate_limit=False,
    )
    device.state.io.auto_di = False
    return device


def _upload(device: Device, group: str, now: float, start: float) -> Upload | None:
    message = device.build_upload(group, now)
    if message is None:
        return None
    return Upload(now - start, group, message.payload)


def drive_uploads(
    *,
    obd: bool = True,
    ignition: bool = True,
    seed: int = 1,
    laps: int = 1,
    route: Route = DEFAULT_ROUTE,
    parked_before_s: int = 180,
    idle_start_s: int = 20,
    light_stop_s: int = 40,
    idle_end_s: int = 10,
    parked_after_s: int = 300,
    interval_s: int = UPLOAD_INTERVAL_S,
    client_id: str = CLIENT_ID,
    start: float = START,
) -> DriveScenario:
    """One trip of known length, as the gateway uploads it.

    ``obd=False``: no obd uploads (a gateway without an OBD adapter).
    ``ignition=False``: no ``io.igt_status`` (no ignition wiring). The
    vehicle drives ``laps`` laps of ``route`` (``route_length_m`` is
    ``laps * route.length``); the default route (about 7.3 km) has a
    tunnel where the GNSS fix is lost for a while.
    """
    device = _device(
        client_id=client_id, obd=obd, ignition=ignition, seed=seed, start=start
    )
    vehicle = ScriptedVehicle(
        device.state.rng,
        start,
        route,
        laps=laps,
        light_stop_s=light_stop_s,
        idle_start_s=idle_start_s,
    )
    device.state.vehicle = vehicle
    position = vehicle.position
    groups = (GNSS, OBD, IO) if obd else (GNSS, IO)
    uploads: list[Upload] = []
    moving_s: float | None = None
    light_from: float | None = None
    light_stop: tuple[float, float] | None = None
    arrived_s: float | None = None
    ignition_off_s: float | None = None
    end_s: float | None = None
    idle_s = 0.0
    max_speed = 0.0
    for t in range(MAX_SCENARIO_S):
        now = start + t
        device.advance(now)
        if t == parked_before_s:
            vehicle.switch_on(now)
        if vehicle.engine_on and t > parked_before_s:
            standing = vehicle.speed_mps == 0.0
            idle_s += 1.0 if standing else 0.0
            max_speed = max(max_speed, vehicle.speed_kmh)
            if moving_s is None and not standing:
                moving_s = float(t)
            if moving_s is not None and arrived_s is None:
                if standing and light_from is None and light_stop is None:
                    light_from = float(t)
                elif not standing and light_from is not None:
                    light_stop, light_from = (light_from, float(t)), None
            if arrived_s is None and vehicle.arrived:
                arrived_s = float(t) if light_from is None else light_from
            if arrived_s is not None and t >= arrived_s + idle_end_s:
                vehicle.switch_off()
                ignition_off_s = float(t)
                end_s = float(t + parked_after_s)
        if t % interval_s == 0:
            for group in groups:
                upload = _upload(device, group, now, start)
                if upload is not None:
                    uploads.append(upload)
        if end_s is not None and t >= end_s:
            break
    if end_s is None:  # pragma: no cover - the script always ends
        raise RuntimeError("the drive did not end")
    return DriveScenario(
        client_id=client_id,
        start=start,
        uploads=tuple(uploads),
        route_length_m=laps * route.length,
        position=position,
        end_s=end_s,
        ignition_on_s=float(parked_before_s),
        moving_s=moving_s,
        light_stop_s=light_stop,
        arrived_s=arrived_s,
        ignition_off_s=ignition_off_s,
        idle_s=idle_s,
        max_speed_kmh=max_speed,
    )


def parked_jitter_uploads(
    *,
    duration_s: int = 1800,
    engine_on: bool = False,
    obd: bool = True,
    ignition: bool = True,
    seed: int = 1,
    interval_s: int = UPLOAD_INTERVAL_S,
    client_id: str = CLIENT_ID,
    start: float = START,
) -> DriveScenario:
    """A vehicle standing still for ``duration_s``: nothing but GNSS jitter.

    The engine is off (ignition off) unless ``engine_on``; then it idles from
    the start (a trip starts, but the vehicle never moves).
    """
    device = _device(
        client_id=client_id, obd=obd, ignition=ignition, seed=seed, start=start
    )
    vehicle = ScriptedVehicle(device.state.rng, start, idle_start_s=math.inf)
    device.state.vehicle = vehicle
    if engine_on:
        vehicle.switch_on(start)
    groups = (GNSS, OBD, IO) if obd else (GNSS, IO)
    uploads: list[Upload] = []
    for t in range(0, duration_s + 1, interval_s):
        now = start + t
        for group in groups:
            upload = _upload(device, group, now, start)
            if upload is not None:
                uploads.append(upload)
    return DriveScenario(
        client_id=client_id,
        start=start,
        uploads=tuple(uploads),
        route_length_m=0.0,
        position=vehicle.position,
        end_s=float(duration_s),
        ignition_on_s=0.0 if engine_on else None,
        idle_s=float(duration_s) if engine_on else 0.0,
    )
