"""Trips of one gateway: the pure tracker, its timers and its listeners.

The runtime feeds :meth:`TripRecorder.feed` with each accepted timed upload
(replays never get here, and the tracker drops any older group data too)
and :meth:`TripRecorder.heard` with each unchanged repeat. The recorder
keeps the silent-gateway timer (a trip whose gateway says nothing for the
end delay, or its upload window if longer, ends at its last data; the timer
pauses while MQTT is down), resets "trips today" at local midnight, asks
the runtime to save the tracker when a trip starts or ends (and every minute
or so while one is in progress), holds trip events until the event entity
listens, and tells the trip entities what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set
from datetime import datetime
import time
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.util import dt as dt_util

from .const import (
    CONF_GNSS_SPEED_UNIT,
    CONF_TRIP_END_DELAY,
    CONF_TRIP_MIN_DISTANCE,
    SPEED_KNOTS,
)
from .protocol.catalog import CATALOG, group_of_key
from .protocol.trips import (
    DEFAULT_END_DELAY,
    DEFAULT_MIN_DISTANCE,
    KNOT_KMH,
    TRIP_GROUPS,
    TripEvent,
    TripSettings,
    TripTracker,
)

#: The group of the trip entities; each listens on its own key (no gateway
#: key starts so), so that only the entities whose value changed write.
TRIPS_KEY = "trips"
KEY_IN_PROGRESS = f"{TRIPS_KEY}.trip_in_progress"
KEY_DISTANCE_DRIVEN = f"{TRIPS_KEY}.distance_driven"
KEY_TRIPS_TODAY = f"{TRIPS_KEY}.trips_today"
#: What a reported (or discarded) trip changes.
KEYS_LAST_TRIP = (
    f"{TRIPS_KEY}.last_trip_distance",
    f"{TRIPS_KEY}.last_trip_duration",
    KEY_TRIPS_TODAY,
)
#: The shortest pause before the silence timer looks again.
MIN_TIMER_DELAY = 1.0
#: Trip events held for the event entity (it attaches after the first data).
MAX_PENDING_EVENTS = 10
#: Seconds between reads of the upload window during a trip: the intervals
#: behind it change rarely, and reading them costs more than the rest of
#: the tracker's work on an upload.
UPLOAD_WINDOW_REFRESH = 30.0
_timestamp = CATALOG["gnss.ts"].coerce


def is_trip_key(key: str) -> bool:
    """Whether a store key is trip data: the trip entities come with it."""
    return group_of_key(key) in TRIP_GROUPS


def local_day(timestamp: float) -> str:
    """The local (Home Assistant time zone) date of a UNIX time."""
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).date().isoformat()


def settings_from_options(options: Mapping[str, Any]) -> TripSettings:
    """The tracker's settings from an entry's options."""
    return TripSettings(
        end_delay=float(options.get(CONF_TRIP_END_DELAY, DEFAULT_END_DELAY)),
        min_distance_m=float(options.get(CONF_TRIP_MIN_DISTANCE, DEFAULT_MIN_DISTANCE)),
        gnss_speed_factor=KNOT_KMH
        if options.get(CONF_GNSS_SPEED_UNIT) == SPEED_KNOTS
        else 1.0,
    )


class TripRecorder:
    """The trip tracker of one gateway entry, with its timers."""

    def __init__(
        self,
        hass: HomeAssistant,
        options: Mapping[str, Any],
        *,
        notify: Callable[[Iterable[str]], None],
        save: Callable[[], None],
        save_later: Callable[[], None] = lambda: None,
        upload_window: Callable[[], float] = lambda: 0.0,
    ) -> None:
        """Start with no trip.

        ``notify`` wakes the trip entities of the keys given, ``save`` soon,
        ``save_later`` within a minute or so (a trip's progress), and
        ``upload_window`` tells how long the gateway may stay silent between
        uploads of trip data.
        """
        self.hass = hass
        self.settings = settings_from_options(options)
        self.tracker = TripTracker(self.settings, day=local_day)
        self._notify = notify
        self._save = save
        self._save_later = save_later
        self._upload_window = upload_window
        self._upload_window_at = -UPLOAD_WINDOW_REFRESH
        self._listeners: list[Callable[[TripEvent], None]] = []
        #: Events that came before the event entity listened.
        self._pending: list[TripEvent] = []
        self._listening = True
        self._timer: CALLBACK_TYPE | None = None
        self._midnight: CALLBACK_TYPE | None = None
        #: Monotonic time the tracker's newest data was fed (or the start).
        self._fed_at = time.monotonic()
        self._shown = self._state()

    # -- lifecycle ------------------------------------------------------------

    def restore(self, data: Any) -> None:
        """Continue from what :meth:`as_dict` saved (before the start)."""
        self.tracker = TripTracker.from_dict(data, self.settings, day=local_day)
        self._shown = self._state()

    @callback
    def keep_distance_driven(self, km: float) -> None:
        """The distance driven sensor's last recorded state: never show less."""
        if self.tracker.keep_distance_driven(km):
            self._shown = self._state()
            self._notify((KEY_DISTANCE_DRIVEN,))
            self._save()

    def as_dict(self) -> dict[str, Any]:
        """What the entry's store keeps."""
        return self.tracker.as_dict()

    @callback
    def async_start(self) -> None:
        """Start the timers; a restored trip gets a full end delay to hear data."""
        self._fed_at = time.monotonic()
        self.tracker.upload_window = self._upload_window()
        self._midnight = async_track_time_change(
            self.hass, self._at_midnight, hour=0, minute=0, second=0
        )
        self._schedule()

    @callback
    def async_stop(self) -> None:
        """Cancel the timers (the trip stays in progress, to be restored)."""
        for cancel in (self._timer, self._midnight):
            if cancel is not None:
                cancel()
        self._timer = self._midnight = None

    # -- what entities read ---------------------------------------------------

    @callback
    def async_add_listener(
        self, listener: Callable[[TripEvent], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with every trip event."""
        self._listeners.append(listener)
        pending, self._pending = self._pending, []
        for event in pending:
            listener(event)
        return lambda: self._listeners.remove(listener)

    @property
    def in_progress(self) -> bool:
        """Whether a trip is in progress."""
        return self.tracker.in_progress

    @property
    def distance_driven_km(self) -> float:
        """The GNSS odometer."""
        return self.tracker.distance_driven_km

    @property
    def last_trip(self) -> dict[str, Any] | None:
        """The data of the last reported trip."""
        return self.tracker.last_trip

    @property
    def trips_today(self) -> int:
        """Trips ended today (local time)."""
        return self.tracker.trips_on(dt_util.now().date().isoformat())

    # -- input ----------------------------------------------------------------

    @callback
    def feed(
        self, groups: Set[str], data: Mapping[str, Any], values: Mapping[str, Any]
    ) -> None:
        """One accepted timed upload: its data groups, wire data, the store."""
        if groups.isdisjoint(TRIP_GROUPS):
            return
        tracker = self.tracker
        before = tracker.last_time
        stamps: dict[str, Any] = {}
        for group in groups & TRIP_GROUPS:
            raw = data.get(f"{group}.ts")
            # As the store coerces it (a string of digits, fractions).
            stamps[group] = (
                raw if raw is None or raw.__class__ is int else _timestamp(raw)
            )
        events = tracker.update(values, groups, received=time.time(), stamps=stamps)
        if tracker.in_progress and (
            (now := time.monotonic()) - self._upload_window_at >= UPLOAD_WINDOW_REFRESH
        ):
            # For the next data and the silence timer: the upload intervals
            # as learned up to now.
            tracker.upload_window = self._upload_window()
            self._upload_window_at = now
        if tracker.last_time != before:
            self._fed_at = time.monotonic()
        self._after(events)

    @callback
    def heard(self, groups: Set[str] | None) -> None:
        """An upload identical to the last one on a topic carrying ``groups``."""
        if not groups or groups.isdisjoint(TRIP_GROUPS):
            return
        before = self.tracker.last_time
        events = self.tracker.heard(time.time())
        if self.tracker.last_time != before:
            self._fed_at = time.monotonic()
        self._after(events)

    @callback
    def set_listening(self, listening: bool) -> None:
        """MQTT went down (a gap nobody hears: no silence) or came back."""
        if listening == self._listening:
            return
        self._listening = listening
        if not listening:
            self.tracker.unheard()
            if self._timer is not None:
                self._timer()
                self._timer = None
            return
        # A full silence limit of listening before a silent gateway counts.
        self._fed_at = time.monotonic()
        self._schedule()

    def _state(self) -> tuple[Any, ...]:
        tracker = self.tracker
        return (
            tracker.in_progress,
            tracker.distance_driven_km,
            id(tracker.last_trip),
        )

    @callback
    def _after(self, events: list[TripEvent]) -> None:
        for event in events:
            if not self._listeners:
                self._pending.append(event)
                del self._pending[:-MAX_PENDING_EVENTS]
            for listener in tuple(self._listeners):
                listener(event)
        state = self._state()
        shown = self._shown
        if state != shown:
            keys: list[str] = []
            if state[0] != shown[0]:
                self._save()  # started, ended or discarded: keep it now
                keys.append(KEY_IN_PROGRESS)
            elif state[0]:
                self._save_later()  # the trip's distance so far
            if state[1] != shown[1]:
                keys.append(KEY_DISTANCE_DRIVEN)
            if state[2] != shown[2]:
                keys += KEYS_LAST_TRIP
            self._shown = state
            self._notify(keys)
        self._schedule()

    # -- timers ---------------------------------------------------------------

    @callback
    def _schedule(self) -> None:
        tracker = self.tracker
        if (
            self._timer is not None
            or not self._listening
            or (deadline := tracker.deadline()) is None
        ):
            return
        last = tracker.last_time or deadline
        elapsed = time.monotonic() - self._fed_at
        self._timer = async_call_later(
            self.hass, max(MIN_TIMER_DELAY, deadline - last - elapsed), self._expire
        )

    @callback
    def _expire(self, _now: datetime) -> None:
        """The end delay may have passed in silence: end the trip if so."""
        self._timer = None
        if (last := self.tracker.last_time) is None:
            return
        self._after(self.tracker.expire(last + time.monotonic() - self._fed_at))

    @callback
    def _at_midnight(self, _now: datetime) -> None:
        self._notify((KEY_TRIPS_TODAY,))
