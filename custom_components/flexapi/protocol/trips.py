"""Trip detection and a GNSS odometer, free of Home Assistant.

A :class:`TripTracker` is fed the device's canonical values after each
accepted timed upload, with the data groups that upload carried and the
time of its data. It decides when a trip starts and ends and what it
carries (see docs/trips.md):

- With ignition wiring (``io.igt_status`` ever reported on) a trip starts
  when the ignition turns on and ends once it has been off for the end
  delay.
- Without, it starts when the engine runs (``obd.rpm`` > 0) or the vehicle
  moves (GNSS speed above a threshold on two valid fixes in a row), and ends
  once engine and vehicle have stood still for the end delay.
- A gateway silent for the end delay (or for its upload window, when it
  uploads less often) ends the trip at its last data
  (:meth:`TripTracker.expire`); data that comes back sooner continues it.
  A gap Home Assistant did not listen through (a restart, MQTT down) is no
  silence: data after it that shows the trip still going continues it.
- Time is Home Assistant's receive clock. Group data older than (or as old
  as) what the tracker already used is a replay or a repeat: it never
  starts, ends or lengthens a trip. A ``<group>.ts`` ahead of the receive
  time by more than :data:`MAX_CLOCK_AHEAD` is no usable time and is ignored.

Distance comes from the OBD odometer delta, else the ``obd.t_dist`` delta,
else the GNSS track: great-circle steps between valid fixes, from the last
point counted, once longer than the two fixes' accuracies together (so a
parked vehicle's jitter never adds up) and never at an impossible speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
import math
from typing import Any

#: Data groups the tracker reads.
TRIP_GROUPS = frozenset({"gnss", "obd", "io"})
EVENT_STARTED = "trip_started"
EVENT_ENDED = "trip_ended"
SOURCE_ODOMETER = "odometer"
SOURCE_TRIP_DISTANCE = "trip_distance"
SOURCE_GNSS = "gnss"

DEFAULT_END_DELAY = 120.0
DEFAULT_MIN_DISTANCE = 100.0
#: GNSS speed (km/h) above which a vehicle without ignition wiring moves.
DEFAULT_START_SPEED = 5.0
#: A step between fixes implying more than this (km/h) is a bad fix.
MAX_SPEED = 300.0
#: Accuracy (m) assumed for a fix that reports none.
DEFAULT_ACCURACY = 10.0
#: Accuracies beyond this (m) are no real estimate: the fix is not used.
MAX_ACCURACY = 1000.0
#: GNSS speed (km/h) below which a fix stands still: the receiver's
#: Doppler speed is far more precise than its position, so a step between
#: two such fixes is position noise, not movement.
STANDING_SPEED = 1.0
#: After this many impossible jumps in a row the track restarts from the
#: newest fix (the vehicle was carried, or the first point was the bad one).
MAX_REJECTED_JUMPS = 3
#: ``gnss.fix`` values that are no position fix: no fix, dead reckoning
#: only, time only (Appendix A.1).
INVALID_FIXES = frozenset({0, 1, 5})
#: A group timestamp further back than this is a clock reset, not a replay.
REPLAY_HORIZON = 7 * 24 * 3600
#: A group timestamp further ahead of the receive time than this (s) is
#: no usable time (milliseconds, a wrong clock): it is ignored.
MAX_CLOCK_AHEAD = 600.0
#: The largest UNIX time :func:`iso_utc` and :func:`utc_day` name.
MAX_TIMESTAMP = 253_402_300_799.0
EARTH_RADIUS_M = 6_371_008.8
KNOT_KMH = 1.852
STATE_VERSION = 1


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _representable(timestamp: float) -> float:
    """``timestamp`` clamped to what ``datetime`` represents (never raises)."""
    if not math.isfinite(timestamp):
        return 0.0
    return min(max(timestamp, 0.0), MAX_TIMESTAMP)


def iso_utc(timestamp: float) -> str:
    """A UNIX time as ISO 8601 UTC, whole seconds."""
    return datetime.fromtimestamp(round(_representable(timestamp)), UTC).isoformat()


def utc_day(timestamp: float) -> str:
    """The UTC date of a UNIX time (the default day of a trip)."""
    return datetime.fromtimestamp(_representable(timestamp), UTC).date().isoformat()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class TripSettings:
    """Options of the tracker."""

    end_delay: float = DEFAULT_END_DELAY
    min_distance_m: float = DEFAULT_MIN_DISTANCE
    start_speed_kmh: float = DEFAULT_START_SPEED
    #: ``gnss.speed`` in km/h per reported unit (1.852 for knots).
    gnss_speed_factor: float = 1.0


@dataclass(slots=True)
class Fix:
    """A valid GNSS position."""

    latitude: float
    longitude: float
    accuracy: float
    time: float
    #: Its ``gnss.ts`` (gateway clock), when usable: uploads that arrive
    #: in a burst are still seconds apart for the speed check.
    stamp: float | None = None
    #: Its GNSS speed (km/h), when reported.
    speed: float | None = None


@dataclass(slots=True)
class Trip:
    """A trip in progress: what it has gathered so far."""

    start_time: float
    start_fix: Fix | None = None
    end_fix: Fix | None = None
    #: Time of the newest data of the trip.
    last_time: float = 0.0
    gnss_m: float = 0.0
    odo_start: float | None = None
    odo_last: float | None = None
    t_dist_km: float | None = None
    t_dist_last: float | None = None
    fuel_start: float | None = None
    fuel_last: float | None = None
    max_speed: float = 0.0
    idle_s: float = 0.0

    def distance(self, duration: float) -> tuple[float, str]:
        """Metres driven in ``duration`` s and their source, best source first.

        A source is skipped when it implies more than :data:`MAX_SPEED` (a
        bad reading at either end), and when it shows no distance while a
        later source shows some (an odometer counting whole kilometres).
        """
        limit = MAX_SPEED / 3.6 * max(duration, 1.0)
        candidates: list[tuple[float, str]] = []
        if (
            self.odo_start is not None
            and self.odo_last is not None
            and self.odo_last >= self.odo_start
        ):
            candidates.append(
                ((self.odo_last - self.odo_start) * 1000, SOURCE_ODOMETER)
            )
        if self.t_dist_km is not None:
            candidates.append((self.t_dist_km * 1000, SOURCE_TRIP_DISTANCE))
        candidates.append((self.gnss_m, SOURCE_GNSS))
        plausible = [c for c in candidates if c[0] <= limit] or [(0.0, SOURCE_GNSS)]
        for metres, source in plausible:
            if metres > 0:
                return metres, source
        return plausible[0]


@dataclass(slots=True)
class TripEvent:
    """A trip started or ended, with the event data users see."""

    type: str
    data: dict[str, Any]


@dataclass(slots=True)
class _State:
    """Everything that survives a restart."""

    ignition_wired: bool = False
    ignition: bool | None = None
    rpm: float | None = None
    #: Vehicle speed (km/h) from OBD, and when OBD data was last read.
    speed: float | None = None
    obd_time: float | None = None
    #: GNSS speed (km/h) of the last upload; None without a valid fix.
    gnss_speed: float | None = None
    moving_fixes: int = 0
    last_fix: Fix | None = None
    #: The last fix before the vehicle began to move (without ignition).
    origin: Fix | None = None
    #: The last point the GNSS track counted from (a trip's anchor).
    anchor: Fix | None = None
    rejected_jumps: int = 0
    odo: float | None = None
    t_dist: float | None = None
    fuel: float | None = None
    #: Newest timestamp used, per data group (replays and repeats are older).
    stamps: dict[str, float] = field(default_factory=dict)
    last_time: float | None = None
    #: Home Assistant did not listen since ``last_time`` (restarted, MQTT
    #: down): the gap is unknown, not the gateway's silence.
    unheard: bool = False
    trip: Trip | None = None
    #: Since when the end condition holds (ignition off, or standing still),
    #: and the trip as it was then: the trip ends there.
    stop_since: float | None = None
    at_stop: Trip | None = None
    distance_driven_m: float = 0.0
    last_trip: dict[str, Any] | None = None
    trips_day: str | None = None
    trips_today: int = 0


def _fix_from(value: Any) -> Fix | None:
    if not isinstance(value, Mapping):
        return None
    try:
        return Fix(
            float(value["latitude"]),
            float(value["longitude"]),
            float(value["accuracy"]),
            float(value["time"]),
            _number(value.get("stamp")),
            _number(value.get("speed")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _trip_from(value: Any) -> Trip | None:
    if not isinstance(value, Mapping) or _number(value.get("start_time")) is None:
        return None
    kwargs: dict[str, Any] = {}
    for item in fields(Trip):
        raw = value.get(item.name)
        if item.name in ("start_fix", "end_fix"):
            kwargs[item.name] = _fix_from(raw)
        elif (number := _number(raw)) is not None:
            kwargs[item.name] = number
    return Trip(**kwargs)


class TripTracker:
    """Trips of one vehicle, from its gateway's uploads."""

    def __init__(
        self,
        settings: TripSettings | None = None,
        *,
        day: Callable[[float], str] = utc_day,
    ) -> None:
        """Start with no trip; ``day`` names the (local) day of a time."""
        self.settings = settings or TripSettings()
        self._day = day
        self._s = _State()
        #: How long (s) the gateway may stay silent between uploads of trip
        #: data, from its upload intervals (the runtime sets it). Silence
        #: ends a trip after the longer of this and the end delay.
        self.upload_window = 0.0

    # -- what entities show ---------------------------------------------------

    @property
    def in_progress(self) -> bool:
        """Whether a trip is in progress."""
        return self._s.trip is not None

    @property
    def distance_driven_km(self) -> float:
        """The GNSS odometer: metres of GNSS track of every trip, in km."""
        return round(self._s.distance_driven_m / 1000, 3)

    def keep_distance_driven(self, km: float) -> bool:
        """Never show less than ``km`` (what Home Assistant last recorded).

        After an unclean shutdown the saved state can be older than the
        last state recorded; a drop would read as a meter reset. Returns
        whether the odometer grew.
        """
        metres = km * 1000
        if not math.isfinite(metres) or metres <= self._s.distance_driven_m:
            return False
        self._s.distance_driven_m = metres
        return True

    @property
    def last_trip(self) -> dict[str, Any] | None:
        """The ``trip_ended`` data of the last reported trip."""
        return self._s.last_trip

    @property
    def last_time(self) -> float | None:
        """Time of the newest data used."""
        return self._s.last_time

    def trips_on(self, day: str) -> int:
        """Trips reported (ended) on ``day``."""
        return self._s.trips_today if self._s.trips_day == day else 0

    @property
    def silence_limit(self) -> float:
        """Seconds without data after which the gateway is silent."""
        return max(self.settings.end_delay, self.upload_window)

    def deadline(self) -> float | None:
        """Time at which silence ends the trip in progress (else None)."""
        s = self._s
        if s.trip is None or s.last_time is None:
            return None
        limit = s.last_time + self.silence_limit
        if s.stop_since is not None:
            limit = min(limit, s.stop_since + self.settings.end_delay)
        return limit

    # -- input ----------------------------------------------------------------

    def update(
        self,
        values: Mapping[str, Any],
        groups: Iterable[str],
        *,
        received: float,
        stamps: Mapping[str, Any] | None = None,
    ) -> list[TripEvent]:
        """Take one accepted upload; return the trips it started or ended.

        ``values`` are the store's values after it, ``groups`` the data
        groups it carried, ``received`` when it came (UNIX time, Home
        Assistant's clock: the tracker's time) and ``stamps`` the
        ``<group>.ts`` it carried, which only tell replays and repeats.
        """
        s = self._s
        fresh: list[str] = []
        ahead = received + MAX_CLOCK_AHEAD
        gnss_stamp: float | None = None
        for group in groups:
            if group not in TRIP_GROUPS:
                continue
            stamp = _number((stamps or {}).get(group))
            if stamp is not None and 0 < stamp <= ahead:
                last = s.stamps.get(group)
                if last is not None and 0 <= last - stamp <= REPLAY_HORIZON:
                    continue  # a replay or a repeat: it changes nothing
                s.stamps[group] = stamp
                if group == "gnss":
                    gnss_stamp = stamp
            fresh.append(group)
        if not fresh:
            return []
        return self._feed(values, fresh, received, gnss_stamp)

    def heard(self, received: float) -> list[TripEvent]:
        """The gateway repeated its last trip data unchanged at ``received``."""
        if self._s.last_time is None:
            return []
        return self._feed({}, [], received)

    def unheard(self) -> None:
        """Home Assistant stops listening (MQTT down); restored state is too."""
        self._s.unheard = True

    def _feed(
        self,
        values: Mapping[str, Any],
        groups: list[str],
        received: float,
        gnss_stamp: float | None = None,
    ) -> list[TripEvent]:
        s = self._s
        previous = s.last_time
        if previous is not None and previous > received + MAX_CLOCK_AHEAD:
            # Home Assistant's clock went back (or a state saved on the
            # gateway's clock by an older version): start afresh from now.
            previous = s.last_time = None
            s.stop_since = s.at_stop = None
            if s.trip is not None:
                s.trip.start_time = s.trip.last_time = received
        t = received if previous is None else max(received, previous)
        events: list[TripEvent] = []
        # Silence or a standstill longer than the end delay ended the trip
        # before this data (the timer missed it). After a gap nobody
        # listened through, only a standstill reported before it does.
        deadline = self.deadline()
        if (
            deadline is not None
            and t >= deadline
            and (
                not s.unheard
                or (
                    s.stop_since is not None
                    and t >= s.stop_since + self.settings.end_delay
                )
            )
        ):
            events += self._end()
        gap = s.unheard
        s.unheard = False
        self._read(values, groups, t, None if gap else previous, gnss_stamp)
        s.last_time = t
        events += self._decide(t)
        return events

    def expire(self, now: float) -> list[TripEvent]:
        """The gateway is silent until ``now``: end a trip past due."""
        if (deadline := self.deadline()) is not None and now >= deadline:
            return self._end()
        return []

    def _read(
        self,
        values: Mapping[str, Any],
        groups: list[str],
        t: float,
        previous: float | None,
        gnss_stamp: float | None = None,
    ) -> None:
        s = self._s
        trip = s.trip
        # Idle time: the time since the last data, if the engine ran then
        # without the vehicle moving.
        if trip is not None and previous is not None and self._idle(previous):
            trip.idle_s += t - previous
        if "io" in groups:
            ignition = values.get("io.igt_status")
            if isinstance(ignition, bool):
                s.ignition = ignition
                # Wired once it has been on: an input left unconnected
                # reports "off" for ever, and must not stop every trip.
                s.ignition_wired = s.ignition_wired or ignition
        if "obd" in groups:
            s.obd_time = t
            s.rpm = _number(values.get("obd.rpm"))
            odo = _number(values.get("obd.odo"))
            s.odo = odo if odo is not None and odo > 0 else None
            t_dist = _number(values.get("obd.t_dist"))
            if trip is not None and t_dist is not None:
                if trip.t_dist_last is not None:
                    # A drop is the vehicle's trip counter restarting at 0.
                    step = t_dist - trip.t_dist_last
                    trip.t_dist_km = (trip.t_dist_km or 0.0) + (
                        step if step >= 0 else t_dist
                    )
                trip.t_dist_last = t_dist
            s.t_dist = t_dist
            s.fuel = _number(values.get("obd.f_lvl"))
            obd_speed = _number(values.get("obd.speed"))
            # A reading beyond any car's speed (the spec's own 53255) is none.
            s.speed = (
                obd_speed
                if obd_speed is not None and 0 <= obd_speed <= MAX_SPEED
                else None
            )
            if trip is not None:
                if s.odo is not None:
                    if trip.odo_start is None:
                        trip.odo_start = s.odo
                    trip.odo_last = s.odo
                if s.fuel is not None:
                    if trip.fuel_start is None:
                        trip.fuel_start = s.fuel
                    trip.fuel_last = s.fuel
        if "gnss" in groups:
            self._read_gnss(values, t, gnss_stamp)
        if trip is not None:
            trip.last_time = t
            if (speed := self._speed(t)) is not None:
                trip.max_speed = max(trip.max_speed, speed)

    def _read_gnss(
        self, values: Mapping[str, Any], t: float, stamp: float | None
    ) -> None:
        s = self._s
        latitude = _number(values.get("gnss.latitude"))
        longitude = _number(values.get("gnss.longitude"))
        fix = values.get("gnss.fix")
        accuracy = _number(values.get("gnss.hacc"))
        if accuracy is None or accuracy <= 0:
            accuracy = DEFAULT_ACCURACY
        if (
            latitude is None
            or longitude is None
            or fix in INVALID_FIXES
            or (latitude == 0.0 and longitude == 0.0)
            or not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
            or accuracy > MAX_ACCURACY
        ):
            # No position (a garage): no speed known, so not moving.
            s.gnss_speed, s.moving_fixes, s.origin = None, 0, None
            return
        speed = _number(values.get("gnss.speed"))
        if speed is not None:
            speed *= self.settings.gnss_speed_factor
            if not 0 <= speed <= MAX_SPEED:
                speed = None
        point = Fix(latitude, longitude, accuracy, t, stamp, speed)
        s.gnss_speed = speed
        if speed is not None:
            if speed <= self.settings.start_speed_kmh:
                s.moving_fixes, s.origin = 0, None
            else:
                if not s.moving_fixes:
                    # Where it set off: a trip the movement starts begins
                    # here, if that fix is recent (not hours before).
                    last = s.last_fix
                    s.origin = (
                        last
                        if last is not None and t - last.time <= self.silence_limit
                        else None
                    )
                s.moving_fixes += 1
        s.last_fix = point
        trip = s.trip
        if trip is None:
            return
        if trip.start_fix is None:
            trip.start_fix = point
        trip.end_fix = point
        anchor = s.anchor
        if anchor is None:
            s.anchor = point
            return
        if (
            speed is not None
            and speed < STANDING_SPEED
            and anchor.speed is not None
            and anchor.speed < STANDING_SPEED
        ):
            return  # both fixes stand still: any step is noise
        step = haversine_m(anchor.latitude, anchor.longitude, latitude, longitude)
        if step <= anchor.accuracy + accuracy:
            return  # within the fixes' accuracy: no movement shown yet
        elapsed = t - anchor.time
        if stamp is not None and anchor.stamp is not None:
            # Uploads that came in a burst were apart on the gateway's clock.
            elapsed = max(elapsed, stamp - anchor.stamp)
        if elapsed <= 0 or step / elapsed * 3.6 > MAX_SPEED:
            s.rejected_jumps += 1
            if s.rejected_jumps >= MAX_REJECTED_JUMPS:
                s.anchor, s.rejected_jumps = point, 0
            return
        s.rejected_jumps = 0
        s.anchor = point
        trip.gnss_m += step
        s.distance_driven_m += step

    def _obd_fresh(self, t: float) -> bool:
        """Whether OBD data was read lately (a stale rpm or speed is none)."""
        obd_time = self._s.obd_time
        return obd_time is not None and t - obd_time <= self.silence_limit

    def _speed(self, t: float) -> float | None:
        """Speed (km/h): OBD's while fresh, else the GNSS fix's."""
        s = self._s
        if s.speed is not None and self._obd_fresh(t):
            return s.speed
        return s.gnss_speed

    def _moving(self, t: float) -> bool:
        speed = self._speed(t)
        return speed is not None and speed > self.settings.start_speed_kmh

    def _engine_on(self, t: float) -> bool:
        s = self._s
        if s.ignition_wired:
            return s.ignition is True
        return s.rpm is not None and s.rpm > 0 and self._obd_fresh(t)

    def _idle(self, t: float) -> bool:
        return self._engine_on(t) and not self._moving(t)

    def _decide(self, t: float) -> list[TripEvent]:
        s = self._s
        if s.ignition_wired:
            going = s.ignition is True
        else:
            going = (
                self._engine_on(t)
                or s.moving_fixes >= 2
                or (s.trip is not None and self._moving(t))
            )
        if s.trip is None:
            return self._start(t) if going else []
        if going:
            s.stop_since = s.at_stop = None
        elif s.stop_since is None:
            s.stop_since, s.at_stop = t, replace(s.trip)
        elif t - s.stop_since >= self.settings.end_delay:
            return self._end()
        return []

    # -- transitions ----------------------------------------------------------

    def _start(self, t: float) -> list[TripEvent]:
        s = self._s
        begin = s.last_fix
        if not s.ignition_wired and s.moving_fixes >= 2 and s.origin is not None:
            # Started by moving: from where and when it set off.
            begin = s.origin
            t = min(t, begin.time)
        trip = Trip(start_time=t, last_time=t, start_fix=begin, end_fix=s.last_fix)
        trip.odo_start = trip.odo_last = s.odo
        trip.t_dist_last = s.t_dist
        trip.fuel_start = trip.fuel_last = s.fuel
        if (speed := self._speed(t)) is not None and self._moving(t):
            trip.max_speed = speed
        s.trip, s.anchor, s.rejected_jumps = trip, begin, 0
        s.stop_since = s.at_stop = None
        start = trip.start_fix
        return [
            TripEvent(
                EVENT_STARTED,
                {
                    "start_time": iso_utc(t),
                    "start_latitude": start.latitude if start else None,
                    "start_longitude": start.longitude if start else None,
                },
            )
        ]

    def _end(self) -> list[TripEvent]:
        s = self._s
        trip = s.at_stop if s.at_stop is not None else s.trip
        end_time = s.stop_since if s.stop_since is not None else s.last_time
        s.trip = s.at_stop = s.stop_since = s.anchor = None
        s.moving_fixes = 0
        if trip is None or end_time is None:
            return []
        duration = max(0.0, end_time - trip.start_time)
        distance_m, source = trip.distance(duration)
        if distance_m < self.settings.min_distance_m:
            return []  # too short to report
        data: dict[str, Any] = {
            "start_time": iso_utc(trip.start_time),
            "end_time": iso_utc(end_time),
            "duration_s": round(duration),
            "idle_s": round(min(trip.idle_s, duration)),
            "distance_km": round(distance_m / 1000, 3),
            "distance_source": source,
            "max_speed_kmh": round(trip.max_speed, 1),
            "average_speed_kmh": round(distance_m / duration * 3.6, 1)
            if duration > 0
            else 0.0,
        }
        if trip.fuel_start is not None and trip.fuel_last is not None:
            data["fuel_change_pct"] = round(trip.fuel_last - trip.fuel_start, 1)
        start, end = trip.start_fix, trip.end_fix
        data["start_latitude"] = start.latitude if start else None
        data["start_longitude"] = start.longitude if start else None
        data["end_latitude"] = end.latitude if end else None
        data["end_longitude"] = end.longitude if end else None
        s.last_trip = data
        day = self._day(end_time)
        if s.trips_day != day:
            s.trips_day, s.trips_today = day, 0
        s.trips_today += 1
        return [TripEvent(EVENT_ENDED, dict(data))]

    # -- persistence ----------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """The tracker's state as JSON-ready data."""
        data = asdict(self._s)
        del data["unheard"]  # a restored tracker has not listened anyway
        return {"version": STATE_VERSION, **data}

    @classmethod
    def from_dict(
        cls,
        data: Any,
        settings: TripSettings | None = None,
        *,
        day: Callable[[float], str] = utc_day,
    ) -> TripTracker:
        """A tracker in the state :meth:`as_dict` saved; bad data starts afresh."""
        tracker = cls(settings, day=day)
        if not isinstance(data, Mapping) or data.get("version") != STATE_VERSION:
            return tracker
        s = tracker._s
        if isinstance(wired := data.get("ignition_wired"), bool):
            s.ignition_wired = wired
        if isinstance(ignition := data.get("ignition"), bool):
            s.ignition = ignition
        for name in (
            "rpm",
            "speed",
            "obd_time",
            "gnss_speed",
            "odo",
            "t_dist",
            "fuel",
            "last_time",
            "stop_since",
        ):
            setattr(s, name, _number(data.get(name)))
        # Home Assistant did not listen between the save and now.
        s.unheard = True
        if (driven := _number(data.get("distance_driven_m"))) is not None:
            s.distance_driven_m = max(0.0, driven)
        for name in ("moving_fixes", "rejected_jumps", "trips_today"):
            if type(value := data.get(name)) is int and value >= 0:
                setattr(s, name, value)
        s.last_fix = _fix_from(data.get("last_fix"))
        s.anchor = _fix_from(data.get("anchor"))
        s.origin = _fix_from(data.get("origin"))
        if isinstance(stamps := data.get("stamps"), Mapping):
            s.stamps = {
                str(group): number
                for group, value in stamps.items()
                if (number := _number(value)) is not None
            }
        s.trip, s.at_stop = (
            _trip_from(data.get("trip")),
            _trip_from(data.get("at_stop")),
        )
        if s.trip is None:
            s.at_stop = s.stop_since = None
        elif s.stop_since is None:
            s.at_stop = None
        if isinstance(last := data.get("last_trip"), Mapping):
            s.last_trip = dict(last)
        if isinstance(day_name := data.get("trips_day"), str):
            s.trips_day = day_name
        return tracker
