"""Tests of protocol/trips.py: trip detection, distance sources and noise."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from custom_components.flexapi.protocol.store import ParameterStore
from custom_components.flexapi.protocol.trips import (
    EVENT_ENDED,
    EVENT_STARTED,
    KNOT_KMH,
    TripEvent,
    TripSettings,
    TripTracker,
    haversine_m,
    iso_utc,
)

from .trip_drive import HACC, HOME, T0, Drive, offset, standard_drive


class Feeder:
    """A store and a tracker fed as the runtime feeds them."""

    def __init__(self, tracker: TripTracker | None = None) -> None:
        """Start with an empty store."""
        self.store = ParameterStore()
        self.tracker = tracker or TripTracker()
        self.events: list[TripEvent] = []

    def upload(self, t: float, data: dict[str, Any], group: str = "summary") -> None:
        """One upload received at ``t``."""
        result = self.store.ingest(group, data)
        stamps = {g: data.get(f"{g}.ts") for g in result.groups}
        self.events += self.tracker.update(
            self.store.values, result.groups, received=t, stamps=stamps
        )

    def run(self, drive: Drive) -> None:
        """Every upload of a drive."""
        for t, data in drive.uploads:
            self.upload(t, data)

    def types(self) -> list[str]:
        """Event types so far."""
        return [event.type for event in self.events]


def ended(feeder: Feeder) -> dict[str, Any]:
    """The one trip_ended data."""
    data = [e.data for e in feeder.events if e.type == EVENT_ENDED]
    assert len(data) == 1, feeder.types()
    return data[0]


@pytest.mark.parametrize(
    ("obd", "ignition", "source"),
    [
        (True, True, "odometer"),
        (False, True, "gnss"),
        (True, False, "odometer"),
        (False, False, "gnss"),
    ],
)
def test_a_drive_is_one_trip_of_its_length(
    obd: bool, ignition: bool, source: str
) -> None:
    """Ignition, a red light and every distance source: one trip, within 2 %."""
    drive = standard_drive(obd=obd, ignition=ignition)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    data = ended(feeder)
    assert data["distance_source"] == source
    assert data["distance_km"] == pytest.approx(drive.driven_m / 1000, rel=0.02)
    # The GNSS odometer counts the track whatever the trip's source.
    assert feeder.tracker.distance_driven_km == pytest.approx(
        drive.driven_m / 1000, rel=0.02
    )
    assert not feeder.tracker.in_progress
    assert data["max_speed_kmh"] == pytest.approx(50, abs=1)
    assert 25 <= data["average_speed_kmh"] <= 45
    assert ("fuel_change_pct" in data) is obd
    if obd:
        assert data["fuel_change_pct"] == pytest.approx(-0.2, abs=0.1)
    # Idle: the 40 s light, the 20 s before the key went off, the 30 s warm-up
    # (with ignition or engine; a GNSS-only trip starts moving).
    if ignition or obd:
        assert 60 <= data["idle_s"] <= 100
    started = feeder.events[0].data
    assert set(started) == {"start_time", "start_latitude", "start_longitude"}
    assert (
        haversine_m(started["start_latitude"], started["start_longitude"], *HOME)
        < 2 * HACC
    )
    assert set(data) >= {
        "start_time",
        "end_time",
        "duration_s",
        "idle_s",
        "distance_km",
        "distance_source",
        "max_speed_kmh",
        "average_speed_kmh",
        "start_latitude",
        "start_longitude",
        "end_latitude",
        "end_longitude",
    }
    assert data["start_time"] == started["start_time"]


def test_trip_times_with_ignition() -> None:
    """Start at the key, end at the key off: not at the end delay."""
    drive = standard_drive()
    feeder = Feeder()
    feeder.run(drive)
    data = ended(feeder)
    assert data["start_time"] == "2026-06-01T08:05:10+00:00"  # T0 + 310
    key_off = next(
        t for t, d in drive.uploads if t > T0 + 400 and d["io.igt_status"] == 0
    )
    assert data["duration_s"] == key_off - (T0 + 310)
    assert isinstance(data["distance_km"], float)


def test_parked_jitter_is_no_distance_and_no_trip() -> None:
    """Fixes wandering within hacc, for an hour: nothing at all."""
    for obd, ignition in ((True, True), (False, False)):
        drive = Drive(obd=obd, ignition=ignition).park(3600)
        feeder = Feeder()
        feeder.run(drive)
        assert feeder.events == []
        assert feeder.tracker.distance_driven_km == 0


def test_jitter_inside_a_trip_adds_nothing() -> None:
    """Idling an hour with the key on: a trip of no distance, not reported."""
    drive = Drive().ignition_on().park(3600).ignition_off().park(200)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED]  # too short: discarded
    assert feeder.tracker.distance_driven_km == 0
    assert not feeder.tracker.in_progress
    assert feeder.tracker.last_trip is None
    assert feeder.tracker.trips_on("2026-06-01") == 0


def test_ignition_blip_within_the_end_delay_keeps_the_trip() -> None:
    """Key off for 60 s (a stall) and on again: one trip."""
    drive = Drive().ignition_on().drive(1000, 40)
    drive.ignition_off().park(60).ignition_on().drive(1000, 40)
    drive.ignition_off().park(200)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(2.0, rel=0.02)


def test_key_off_longer_than_the_end_delay_splits() -> None:
    """Key off for 3 min: two trips."""
    drive = Drive().ignition_on().drive(1000, 40)
    drive.ignition_off().park(180).ignition_on().drive(1000, 40)
    drive.ignition_off().park(200)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED] * 2
    assert feeder.tracker.trips_on("2026-06-01") == 2


def test_a_long_red_light_with_the_key_on_never_ends_the_trip() -> None:
    """Ignition on, speed 0 for 10 minutes: still one trip."""
    drive = Drive(obd=False).ignition_on().drive(1000, 40).park(600)
    drive.drive(1000, 40).ignition_off().park(200)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]


def test_stop_and_go_without_ignition_or_obd() -> None:
    """GNSS only: stops shorter than the delay do not split; a longer one does."""
    drive = Drive(obd=False, ignition=False).park(30).drive(1000, 40).park(60)
    drive.drive(1000, 40).park(100).drive(1000, 40).park(300)
    drive.drive(1000, 40).park(300)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED] * 2
    first = next(e.data for e in feeder.events if e.type == EVENT_ENDED)
    assert first["distance_km"] == pytest.approx(3.0, rel=0.02)


def test_gnss_start_needs_two_moving_fixes() -> None:
    """One fast fix (a jump) starts nothing."""
    feeder = Feeder()
    fix = {"gnss.latitude": HOME[0], "gnss.longitude": HOME[1], "gnss.fix": 3}
    feeder.upload(T0, {**fix, "gnss.ts": T0, "gnss.speed": 30.0})
    feeder.upload(T0 + 10, {**fix, "gnss.ts": T0 + 10, "gnss.speed": 0.0})
    feeder.upload(T0 + 20, {**fix, "gnss.ts": T0 + 20, "gnss.speed": 30.0})
    assert feeder.events == []
    feeder.upload(T0 + 30, {**fix, "gnss.ts": T0 + 30, "gnss.speed": 30.0})
    assert feeder.types() == [EVENT_STARTED]


def test_engine_running_starts_a_trip_without_ignition() -> None:
    """``obd.rpm`` > 0 on a gateway without ignition wiring."""
    feeder = Feeder()
    feeder.upload(T0, {"obd.ts": T0, "obd.rpm": 0})
    assert feeder.events == []
    feeder.upload(T0 + 10, {"obd.ts": T0 + 10, "obd.rpm": 900})
    assert feeder.types() == [EVENT_STARTED]
    # The start position is unknown without GNSS.
    assert feeder.events[0].data["start_latitude"] is None


def test_minimum_distance_option() -> None:
    """A 300 m trip: reported by default, not with a 500 m minimum."""
    for minimum, expected in ((100.0, 1), (500.0, 0)):
        drive = Drive().ignition_on().drive(300, 20).ignition_off().park(200)
        feeder = Feeder(TripTracker(TripSettings(min_distance_m=minimum)))
        feeder.run(drive)
        assert feeder.types().count(EVENT_ENDED) == expected
        assert not feeder.tracker.in_progress


def test_end_delay_option() -> None:
    """A 3 min stop splits with the default delay, not with a 5 min one."""
    drive = Drive().ignition_on().drive(1000, 40).ignition_off().park(180)
    drive.ignition_on().drive(1000, 40).ignition_off().park(400)
    feeder = Feeder(TripTracker(TripSettings(end_delay=300)))
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]


def test_odometer_then_trip_distance_then_gnss() -> None:
    """Without odometer, ``obd.t_dist`` (restarting at 0) is the source."""
    feeder = Feeder()
    base = {"io.igt_status": 1, "obd.rpm": 800}
    feeder.upload(T0, {**base, "io.ts": T0, "obd.ts": T0, "obd.t_dist": 10.0})
    feeder.upload(
        T0 + 60, {**base, "io.ts": T0 + 60, "obd.ts": T0 + 60, "obd.t_dist": 10.7}
    )
    feeder.upload(
        T0 + 120, {**base, "io.ts": T0 + 120, "obd.ts": T0 + 120, "obd.t_dist": 0.3}
    )
    feeder.upload(T0 + 130, {"io.ts": T0 + 130, "io.igt_status": 0})
    feeder.upload(T0 + 300, {"io.ts": T0 + 300, "io.igt_status": 0})
    data = ended(feeder)
    assert data["distance_source"] == "trip_distance"
    assert data["distance_km"] == pytest.approx(1.0)
    assert "fuel_change_pct" not in data
    assert data["start_latitude"] is None


def test_bad_fixes_are_skipped() -> None:
    """No fix, dead reckoning, time only, 0,0 and a 1000 km jump add nothing."""
    drive = Drive(obd=False).ignition_on().drive(2000, 36)
    t, last = drive.uploads[-1]
    bad: list[dict[str, Any]] = [
        {"gnss.fix": 0},
        {"gnss.fix": 1},
        {"gnss.fix": 5},
        {"gnss.latitude": 0.0, "gnss.longitude": 0.0},
        {"gnss.latitude": last["gnss.latitude"] + 9.0},
        {"gnss.hacc": 5000.0, "gnss.latitude": last["gnss.latitude"] + 0.01},
    ]
    feeder = Feeder()
    feeder.run(drive)
    before = feeder.tracker.distance_driven_km
    for n, change in enumerate(bad, start=1):
        feeder.upload(t + n, {**last, "gnss.ts": t + n, "io.ts": t + n, **change})
    assert feeder.tracker.distance_driven_km == before
    assert before == pytest.approx(2.0, rel=0.02)


def test_slow_driving_still_counts() -> None:
    """2 km/h, steps shorter than the accuracy: counted from the last point."""
    drive = Drive(obd=False, interval=1).ignition_on().drive(200, 2.0)
    drive.ignition_off().park(200)
    feeder = Feeder()
    feeder.run(drive)
    assert ended(feeder)["distance_km"] == pytest.approx(0.2, abs=0.02)


def test_knots() -> None:
    """With the 1.0.9 unit, 4 knots (7.4 km/h) is moving."""
    feeder = Feeder(TripTracker(TripSettings(gnss_speed_factor=KNOT_KMH)))
    for n in range(2):
        lat, lon = offset(HOME, 20.0 * n, 0)
        feeder.upload(
            T0 + n,
            {
                "gnss.ts": T0 + n,
                "gnss.latitude": lat,
                "gnss.longitude": lon,
                "gnss.speed": 4.0,
            },
        )
    assert feeder.types() == [EVENT_STARTED]


def test_replays_change_nothing() -> None:
    """Every upload again (older ``<group>.ts``), mid-trip and after: no effect."""
    drive = standard_drive()
    half = len(drive.uploads) // 2
    feeder = Feeder()
    for t, data in drive.uploads[:half]:
        feeder.upload(t, data)
    state = json.dumps(feeder.tracker.as_dict(), sort_keys=True)
    # Replayed on another topic (the store takes them; the tracker must not).
    for _t, data in drive.uploads[: half - 1]:
        feeder.upload(drive.uploads[half][0], data, group="gnss")
    # A repeat of the newest upload.
    feeder.upload(drive.uploads[half][0], drive.uploads[half - 1][1])
    assert json.dumps(feeder.tracker.as_dict(), sort_keys=True) == state
    for t, data in drive.uploads[half:]:
        feeder.upload(t, data)
    for _t, data in drive.uploads:
        feeder.upload(drive.uploads[-1][0] + 5, data)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(
        drive.driven_m / 1000, rel=0.02
    )


def test_silence_ends_the_trip_at_the_last_data() -> None:
    """The gateway goes quiet mid-trip: ended once the delay has passed."""
    drive = Drive().ignition_on().drive(1000, 40)
    feeder = Feeder()
    feeder.run(drive)
    last = drive.uploads[-1][0]
    assert feeder.tracker.deadline() == last + 120
    assert feeder.tracker.expire(last + 119) == []
    assert feeder.tracker.in_progress
    events = feeder.tracker.expire(last + 120)
    assert [e.type for e in events] == [EVENT_ENDED]
    assert events[0].data["end_time"] == iso_utc(last)  # the last data
    assert feeder.tracker.deadline() is None


def test_data_back_within_the_delay_continues() -> None:
    """A 100 s gap (coverage) keeps the trip; a 150 s one ends it first."""
    for gap, types in (
        (100, [EVENT_STARTED, EVENT_ENDED]),
        (150, [EVENT_STARTED, EVENT_ENDED] * 2),
    ):
        drive = Drive().ignition_on().drive(1000, 40)
        drive.uploads = drive.uploads[:-1]
        drive.t += gap - drive.interval
        drive.drive(1000, 40).ignition_off().park(200)
        feeder = Feeder()
        feeder.run(drive)
        assert feeder.types() == types, gap


def test_key_off_and_silence_ends_at_the_key_off() -> None:
    """A parked gateway stops uploading: the trip ends when the key went off."""
    drive = Drive().ignition_on().drive(1000, 40).ignition_off().park(10)
    feeder = Feeder()
    feeder.run(drive)
    off = drive.uploads[-2][0]
    assert feeder.tracker.deadline() == off + 120
    (event,) = feeder.tracker.expire(off + 500)
    assert event.data["duration_s"] == off - T0 - 10
    assert event.data["end_time"] == iso_utc(off)


def test_serialization_round_trip_mid_trip() -> None:
    """Saved mid-trip and restored: the same trip, the same figures."""
    drive = standard_drive()
    half = len(drive.uploads) // 2
    whole = Feeder()
    whole.run(drive)
    restarted = Feeder()
    for t, data in drive.uploads[:half]:
        restarted.upload(t, data)
    saved = json.loads(json.dumps(restarted.tracker.as_dict()))
    restored = Feeder(TripTracker.from_dict(saved))
    assert restored.tracker.in_progress
    assert restored.tracker.as_dict() == saved
    restored.store = restarted.store
    for t, data in drive.uploads[half:]:
        restored.upload(t, data)
    assert restored.types() == [EVENT_ENDED]
    assert restored.events[0].data == ended(whole)
    assert restored.tracker.distance_driven_km == whole.tracker.distance_driven_km


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "x",
        {"version": 99},
        {"version": 1, "trip": {"start_time": "x"}},
        {
            "version": 1,
            "trip": {"start_time": 5.0, "start_fix": [1, 2]},
            "stamps": 3,
            "trips_today": -1,
            "distance_driven_m": "far",
            "last_fix": {"latitude": 1},
        },
    ],
)
def test_bad_saved_state_never_crashes(data: Any) -> None:
    """Whatever was stored, a usable tracker comes back."""
    tracker = TripTracker.from_dict(data)
    assert tracker.distance_driven_km >= 0
    tracker.expire(T0)
    feeder = Feeder(tracker)
    feeder.run(standard_drive())
    assert EVENT_ENDED in feeder.types()


def test_trips_today_counts_per_day() -> None:
    """The day of a trip is the day it ended (as ``day`` names it)."""
    tracker = TripTracker(day=lambda t: "A" if t < T0 + 300 else "B")
    feeder = Feeder(tracker)
    drive = Drive().ignition_on().drive(1000, 40).ignition_off().park(200)
    drive.ignition_on().drive(1000, 40).ignition_off().park(200)
    feeder.run(drive)
    assert tracker.trips_on("B") == 1
    assert tracker.trips_on("A") == 0  # a new day, a new count
    assert tracker.last_trip is not None


def test_time_is_the_receive_clock_whatever_the_gateway_clock() -> None:
    """A gateway clock years behind: times are Home Assistant's, data orders."""
    feeder = Feeder()
    behind = 6 * 365 * 86400
    feeder.upload(T0, {"io.ts": T0 - behind, "io.igt_status": 1})
    assert feeder.types() == [EVENT_STARTED]
    assert feeder.events[0].data["start_time"] == iso_utc(T0)
    feeder.upload(T0 + 5, {"obd.t_dist": 1.0})  # no .ts
    feeder.upload(T0 + 10, {"obd.t_dist": 2.0})
    assert feeder.tracker.in_progress
    assert feeder.tracker.last_time == T0 + 10
    feeder.upload(T0 + 20, {"io.ts": T0 - behind + 20, "io.igt_status": 0})
    feeder.upload(T0 + 200, {"io.ts": T0 - behind + 200, "io.igt_status": 0})
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["duration_s"] == 20
    assert ended(feeder)["end_time"] == iso_utc(T0 + 20)
    # Counted on Home Assistant's day, not the gateway's.
    assert feeder.tracker.trips_on("2026-06-01") == 1


def _restamped(drive: Drive, stamp: Any) -> Drive:
    """The drive with every ``<group>.ts`` replaced by ``stamp(t, index)``."""
    for index, (t, data) in enumerate(drive.uploads):
        for key in [k for k in data if k.endswith(".ts")]:
            data[key] = stamp(t, index)
    return drive


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(lambda t, _i: t * 1000, id="milliseconds"),
        pytest.param(lambda t, _i: t * 1_000_000, id="microseconds"),
        pytest.param(
            lambda t, i: t + 3 * 86400 if i == 60 else t, id="one-stamp-days-ahead"
        ),
        pytest.param(
            lambda t, i: t - 8 * 86400 if i >= 60 else t, id="clock-reset-8-days-back"
        ),
    ],
)
def test_bad_timestamps_never_freeze_or_crash_a_trip(stamp: Any) -> None:
    """Milliseconds, a stamp days ahead, a clock reset: the same one trip."""
    drive = _restamped(standard_drive(), stamp)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    data = ended(feeder)
    assert data["distance_km"] == pytest.approx(drive.driven_m / 1000, rel=0.02)
    assert data["distance_source"] == "odometer"
    assert not feeder.tracker.in_progress


def test_time_names_are_total() -> None:
    """Any number names a time (clamped), never raises."""
    assert iso_utc(1.78e12).startswith("9999-12-31")
    assert iso_utc(-5) == "1970-01-01T00:00:00+00:00"
    assert iso_utc(float("nan")) == "1970-01-01T00:00:00+00:00"


def _split(drive: Drive, at: int) -> tuple[Drive, Drive]:
    first = Drive()
    first.uploads = drive.uploads[:at]
    rest = Drive()
    rest.uploads = drive.uploads[at:]
    return first, rest


@pytest.mark.parametrize("obd", [True, False])
def test_a_restart_longer_than_the_end_delay_continues_the_trip(obd: bool) -> None:
    """HA down 5 min mid-drive (key on): one trip, the gap's distance in it."""
    drive = Drive(obd=obd).park(60).ignition_on().drive(2000, 40)
    half = len(drive.uploads)
    drive.drive(3300, 40).drive(2000, 40).ignition_off().park(300)
    # Nothing heard during the 5 minutes (3.3 km of driving).
    gap = [t for t, _ in drive.uploads[half : half + 30]]
    assert gap[-1] - gap[0] >= 290
    before = Feeder()
    for t, data in drive.uploads[:half]:
        before.upload(t, data)
    saved = json.loads(json.dumps(before.tracker.as_dict()))
    after = Feeder(TripTracker.from_dict(saved))
    after.store = before.store
    for t, data in drive.uploads[half + 30 :]:
        after.upload(t, data)
    assert after.types() == [EVENT_ENDED]
    data = ended(after)
    # The odometer covers the gap; without it, one long GNSS step across it.
    assert data["distance_km"] == pytest.approx(7.3, rel=0.02)
    assert data["start_time"] == before.events[0].data["start_time"]


def test_mqtt_down_longer_than_the_end_delay_continues_the_trip() -> None:
    """HA stops listening (MQTT down) for 5 min; the gateway drove on."""
    drive = Drive().ignition_on().drive(2000, 40)
    half = len(drive.uploads)
    drive.drive(3300, 40).drive(2000, 40).ignition_off().park(300)
    feeder = Feeder()
    for t, data in drive.uploads[:half]:
        feeder.upload(t, data)
    feeder.tracker.unheard()
    for t, data in drive.uploads[half + 30 :]:
        feeder.upload(t, data)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(7.3, rel=0.02)


def test_a_restart_after_the_key_went_off_ends_at_the_key_off() -> None:
    """Key off, HA down for 10 min, key on again: two trips, split at key-off."""
    drive = Drive().ignition_on().drive(1000, 40).ignition_off()
    off = drive.t
    drive.park(20)
    cut = len(drive.uploads)
    drive.park(600).ignition_on().drive(1000, 40).ignition_off().park(300)
    before = Feeder()
    for t, data in drive.uploads[:cut]:
        before.upload(t, data)
    after = Feeder(TripTracker.from_dict(before.tracker.as_dict()))
    after.store = before.store
    for t, data in drive.uploads[cut + 60 :]:
        after.upload(t, data)
    assert after.types() == [EVENT_ENDED, EVENT_STARTED, EVENT_ENDED]
    assert after.events[0].data["end_time"] == iso_utc(off)


def test_parking_without_a_fix_ends_a_gnss_only_trip() -> None:
    """No ignition, no OBD: an underground garage (no fix) still ends the trip."""
    drive = Drive(obd=False, ignition=False).park(60).drive(2000, 40)
    for _ in range(30):  # 5 min without a fix, the last speed 40 km/h
        drive.t += drive.interval
        drive._upload(0.0, fix=0)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(2.0, rel=0.02)


def test_an_upload_interval_longer_than_the_end_delay_is_one_trip() -> None:
    """180 s uploads, 120 s end delay: silence waits for the upload window."""
    drive = Drive(interval=180).ignition_on().drive(30000, 50)
    drive.ignition_off().park(900)
    feeder = Feeder()
    feeder.tracker.upload_window = 3 * 180
    for t, data in drive.uploads:
        # the timer looks between uploads
        feeder.events += feeder.tracker.expire(t - 1)
        feeder.upload(t, data)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(30.0, rel=0.02)
    # Still silent for the window: the trip ends at its last data.
    feeder = Feeder()
    feeder.tracker.upload_window = 540
    feeder.run(Drive(interval=180).ignition_on().drive(3000, 50))
    last = feeder.tracker.last_time
    assert last is not None
    assert feeder.tracker.deadline() == last + 540


def test_a_gnss_start_is_not_hours_early() -> None:
    """A fix from hours ago is no origin: the trip starts when it moved."""
    drive = Drive(obd=False, ignition=False).park(10)
    drive.t += 3 * 3600
    moved = drive.t + drive.interval
    drive.drive(2000, 40).park(300)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    data = ended(feeder)
    assert data["start_time"] >= iso_utc(moved - 120)
    assert data["duration_s"] < 3600


def test_stale_obd_keeps_no_trip_going() -> None:
    """No ignition: OBD goes quiet with rpm > 0 last; GNSS then decides."""
    drive = Drive(ignition=False)
    drive.on = True  # the engine runs: rpm > 0
    drive.park(60).drive(2000, 40)
    drive.obd = False
    drive.park(400)  # GNSS only, standing
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(2.0, rel=0.02)


def test_implausible_obd_readings_are_not_figures() -> None:
    """An OBD speed of 53255, a zeroed odometer, whole-km odometer steps."""
    drive = Drive().ignition_on().drive(2000, 40)
    drive.uploads[5][1]["obd.speed"] = 53255
    drive.uploads[-1][1]["obd.odo"] = 0  # a sentinel at the end
    drive.ignition_off().park(300)
    feeder = Feeder()
    feeder.run(drive)
    data = ended(feeder)
    assert data["max_speed_kmh"] < 60
    assert data["distance_km"] == pytest.approx(2.0, rel=0.02)
    # A bad odometer at the start: a delta far beyond MAX_SPEED.
    drive = Drive().ignition_on().drive(2000, 40).ignition_off().park(300)
    drive.uploads[0][1]["obd.odo"] = 1.0
    feeder = Feeder()
    feeder.run(drive)
    data = ended(feeder)
    assert data["distance_km"] == pytest.approx(2.0, rel=0.02)
    assert data["distance_source"] != "odometer"
    # An odometer in whole kilometres: 900 m show no step; GNSS measured it.
    drive = Drive().ignition_on().drive(900, 40).ignition_off().park(300)
    for _t, upload in drive.uploads:
        upload["obd.odo"] = 12345
    feeder = Feeder()
    feeder.run(drive)
    data = ended(feeder)
    assert data["distance_source"] == "gnss"
    assert data["distance_km"] == pytest.approx(0.9, rel=0.05)


def test_a_repeated_upload_is_heard() -> None:
    """A long red light with a byte-identical payload is no silence."""
    drive = Drive().ignition_on().drive(1000, 40).park(10)
    feeder = Feeder()
    feeder.run(drive)
    last = drive.t
    for t in range(last + 10, last + 600, 10):
        feeder.events += feeder.tracker.expire(t - 1)
        feeder.events += feeder.tracker.heard(t)
    assert feeder.types() == [EVENT_STARTED]
    assert feeder.tracker.in_progress
    assert feeder.tracker.deadline() == last + 590 + 120
    # A repeated key-off ends it after the end delay, at the key-off.
    drive.ignition_off()
    feeder.upload(last + 600, drive.uploads[-1][1] | {"io.ts": last + 600})
    for t in range(last + 610, last + 800, 10):
        feeder.events += feeder.tracker.heard(t)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["end_time"] == iso_utc(last + 600)


def test_an_ignition_input_that_never_turns_on_is_no_wiring() -> None:
    """``io.igt_status`` always 0 (nothing connected): the fallbacks decide."""
    drive = Drive(obd=False).park(60).drive(2000, 40).park(300)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(2.0, rel=0.02)
    # Once it has been on, the key decides: standing with it on is no end.
    drive = Drive(obd=False).ignition_on().drive(1000, 40).park(600)
    feeder = Feeder()
    feeder.run(drive)
    assert feeder.types() == [EVENT_STARTED]


def test_a_burst_of_uploads_still_counts_the_track() -> None:
    """Uploads queued and delivered at once: their ``gnss.ts`` time the steps."""
    drive = Drive(obd=False).ignition_on().drive(1000, 40)
    burst = Drive(obd=False, t=drive.t, position=drive.position, on=True)
    burst.drive(2000, 40).ignition_off().park(200)
    feeder = Feeder()
    feeder.run(drive)
    # MQTT down for 150 s; the broker delivers what it queued on reconnect.
    feeder.tracker.unheard()
    arrived = burst.uploads[14][0]
    for _t, data in burst.uploads[:15]:  # all delivered at once
        feeder.upload(arrived, data)
    for t, data in burst.uploads[15:]:
        feeder.upload(max(t, arrived), data)
    assert feeder.types() == [EVENT_STARTED, EVENT_ENDED]
    assert ended(feeder)["distance_km"] == pytest.approx(3.0, rel=0.02)


def test_gaussian_jitter_with_outliers_idling_adds_almost_nothing() -> None:
    """An hour idling, key on: Gaussian fixes (sigma = hacc), some 3-5 hacc off."""
    rng = random.Random(7)
    feeder = Feeder()
    feeder.upload(T0, {"io.ts": T0, "io.igt_status": 1})
    for n in range(1, 361):
        t = T0 + 10 * n
        sigma = HACC * (rng.uniform(3, 5) if n % 40 == 0 else 1.0)
        lat, lon = offset(HOME, rng.gauss(0, sigma), rng.gauss(0, sigma))
        feeder.upload(
            t,
            {
                "gnss.ts": t,
                "gnss.latitude": round(lat, 7),
                "gnss.longitude": round(lon, 7),
                "gnss.speed": round(abs(rng.gauss(0, 0.3)), 1),
                "gnss.hacc": HACC,
                "gnss.fix": 3,
                "io.ts": t,
                "io.igt_status": 1,
            },
        )
    assert feeder.tracker.in_progress
    assert feeder.tracker.distance_driven_km * 1000 < 50


def test_a_saved_time_far_ahead_is_no_frozen_clock() -> None:
    """A state saved a day ahead (a clock that went back): trips still work."""
    ahead = Feeder()
    ahead.run(Drive(t=T0 + 86400).ignition_on().drive(1000, 40))
    tracker = TripTracker.from_dict(ahead.tracker.as_dict())
    assert tracker.in_progress
    feeder = Feeder(tracker)
    feeder.store = ahead.store
    # The gateway's clock goes on from where it was; Home Assistant's is back.
    drive = Drive(seed=3).ignition_on().drive(1000, 40).ignition_off().park(300)
    feeder.run(_restamped(drive, lambda t, _i: t + 86400 + 1000))
    assert feeder.types() == [EVENT_ENDED]
    assert not feeder.tracker.in_progress
    data = ended_last(feeder)
    assert data["end_time"] == iso_utc(drive.uploads[-31][0])
    assert data["duration_s"] < 600


def ended_last(feeder: Feeder) -> dict[str, Any]:
    """The last trip_ended data."""
    return [e.data for e in feeder.events if e.type == EVENT_ENDED][-1]
