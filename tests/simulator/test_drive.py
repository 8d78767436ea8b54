"""The deterministic drive scenarios (simulator/drive.py) the trip tests use."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from simulator.drive import (
    START,
    DriveScenario,
    Upload,
    drive_uploads,
    parked_jitter_uploads,
)
from simulator.vehicle import DEFAULT_ROUTE, Route, Waypoint, haversine_m

SQUARE = Route(
    (
        Waypoint(52.0, 5.0, 50.0),
        Waypoint(52.009, 5.0, 50.0),
        Waypoint(52.009, 5.0146, 50.0),
        Waypoint(52.0, 5.0146, 50.0),
    )
)
"""A square of about 1 km a side, without a tunnel."""


def valid_fixes(uploads: list[Upload]) -> list[Upload]:
    """GNSS uploads with a position (fix 2D or better)."""
    return [
        upload
        for upload in uploads
        if upload.payload["gnss.fix"] in (2, 3) and "gnss.latitude" in upload.payload
    ]


def position(upload: Upload) -> tuple[float, float]:
    latitude, longitude = (
        upload.payload["gnss.latitude"],
        upload.payload["gnss.longitude"],
    )
    assert isinstance(latitude, float)
    assert isinstance(longitude, float)
    return latitude, longitude


def hacc(upload: Upload) -> float:
    value = upload.payload["gnss.hacc"]
    assert isinstance(value, float)
    return value


def track_m(fixes: list[Upload]) -> float:
    """Sum of steps from the last counted fix, once beyond both fixes' accuracy."""
    total, anchor = 0.0, None
    for fix in fixes:
        if anchor is None:
            anchor = fix
            continue
        step = haversine_m(*position(anchor), *position(fix))
        if step > hacc(anchor) + hacc(fix):
            total, anchor = total + step, fix
    return total


def between(
    scenario: DriveScenario, group: str, start: float, end: float
) -> list[Upload]:
    return [u for u in scenario.of_group(group) if start <= u.t <= end]


@pytest.fixture(scope="module")
def scenario() -> DriveScenario:
    return drive_uploads()


def test_uploads_are_the_gateways_own(scenario: DriveScenario) -> None:
    """Ordered gnss/obd/io uploads every 10 s, each with its ``<group>.ts``."""
    times = [upload.t for upload in scenario.uploads]
    assert times == sorted(times)
    assert {upload.group for upload in scenario.uploads} == {"gnss", "obd", "io"}
    for upload in scenario.uploads:
        assert upload.payload[f"{upload.group}.ts"] == int(START + upload.t)
        assert upload.t % 10 == 0
    t, topic, payload = next(scenario.messages())
    assert (t, topic) == (0.0, "v1/VG1/gnss/info")
    assert payload is scenario.uploads[0].payload
    assert 0 <= scenario.end_s - scenario.uploads[-1].t < 10


def test_phases(scenario: DriveScenario) -> None:
    """Parked, ignition on, idle, drive with a 40 s light, idle, off, parked > 2 min."""
    assert scenario.ignition_on_s == 180
    assert scenario.moving_s == pytest.approx(scenario.ignition_on_s + 20, abs=2)
    assert scenario.light_stop_s is not None
    stopped, going = scenario.light_stop_s
    assert going - stopped == pytest.approx(40, abs=2)
    assert scenario.arrived_s is not None
    assert scenario.ignition_off_s == scenario.arrived_s + 10
    assert scenario.end_s - scenario.ignition_off_s == 300
    assert scenario.idle_s == pytest.approx(20 + 40 + 10, abs=4)
    assert 50 < scenario.max_speed_kmh < 90

    ignition = [(u.t, u.payload["io.igt_status"]) for u in scenario.of_group("io")]
    on = [t for t, value in ignition if value == 1]
    assert on == [
        t for t, _ in ignition if scenario.ignition_on_s <= t < scenario.ignition_off_s
    ]
    assert len(on) > 50  # one run of "on", no gap at the light

    # At the light: engine running, speed 0, for several uploads in a row.
    at_light = between(scenario, "obd", stopped + 1, going - 1)
    assert len(at_light) >= 3
    for upload in at_light:
        assert upload.payload["obd.speed"] == 0
        assert upload.payload["obd.rpm"] > 0
    for upload in between(scenario, "gnss", stopped + 1, going - 1):
        assert upload.payload["gnss.speed"] == 0


def test_the_track_is_one_lap(scenario: DriveScenario) -> None:
    """The GNSS track of the trip is within 1 % of the route's length."""
    assert scenario.route_length_m == DEFAULT_ROUTE.length
    assert scenario.ignition_on_s is not None
    assert scenario.ignition_off_s is not None
    fixes = valid_fixes(
        between(scenario, "gnss", scenario.ignition_on_s, scenario.ignition_off_s)
    )
    assert track_m(fixes) == pytest.approx(scenario.route_length_m, rel=0.01)
    # The tunnel: some uploads on the way have no fix (and no position).
    lost = [u for u in scenario.of_group("gnss") if u.payload["gnss.fix"] == 0]
    assert lost
    assert all("gnss.latitude" not in u.payload for u in lost)
    # Back where it started.
    first, last = fixes[0], fixes[-1]
    assert haversine_m(*position(first), *position(last)) < 2.0


def test_obd_agrees_with_the_route(scenario: DriveScenario) -> None:
    """The odometer and trip distance grow by the route's length."""
    obd = scenario.of_group("obd")
    odo = [u.payload["obd.odo"] for u in obd]
    assert all(isinstance(value, float) for value in odo)
    assert odo == sorted(odo)
    driven_km = odo[-1] - odo[0]
    assert driven_km == pytest.approx(scenario.route_length_m / 1000, abs=0.11)
    t_dist = max(u.payload["obd.t_dist"] for u in obd)
    assert t_dist == pytest.approx(scenario.route_length_m / 1000, abs=0.01)


@pytest.mark.parametrize(
    ("obd", "ignition"), [(False, True), (True, False), (False, False)]
)
def test_without_obd_or_ignition(obd: bool, ignition: bool) -> None:
    scenario = drive_uploads(obd=obd, ignition=ignition)
    keys = {key for upload in scenario.uploads for key in upload.payload}
    assert any(key.startswith("obd.") for key in keys) is obd
    assert ("obd" in {u.group for u in scenario.uploads}) is obd
    assert ("io.igt_status" in keys) is ignition
    assert scenario.light_stop_s is not None
    assert scenario.ignition_on_s is not None
    assert scenario.ignition_off_s is not None
    fixes = valid_fixes(
        between(scenario, "gnss", scenario.ignition_on_s, scenario.ignition_off_s)
    )
    assert track_m(fixes) == pytest.approx(scenario.route_length_m, rel=0.01)


def test_deterministic_and_seeded() -> None:
    assert drive_uploads(seed=4) == drive_uploads(seed=4)
    assert drive_uploads(seed=4).uploads != drive_uploads(seed=5).uploads


def test_more_laps_another_route_and_interval() -> None:
    two = drive_uploads(laps=2, seed=3)
    assert two.route_length_m == 2 * DEFAULT_ROUTE.length
    assert two.ignition_on_s is not None
    assert two.ignition_off_s is not None
    fixes = valid_fixes(between(two, "gnss", two.ignition_on_s, two.ignition_off_s))
    assert track_m(fixes) == pytest.approx(two.route_length_m, rel=0.01)

    square = drive_uploads(route=SQUARE, interval_s=5, parked_after_s=200)
    assert square.route_length_m == pytest.approx(4000, rel=0.01)
    assert {u.t % 5 for u in square.uploads} == {0}
    assert square.ignition_off_s is not None
    assert square.end_s == square.ignition_off_s + 200
    assert not [u for u in square.of_group("gnss") if u.payload["gnss.fix"] == 0]
    fixes = valid_fixes(square.of_group("gnss"))
    assert track_m(fixes) == pytest.approx(square.route_length_m, rel=0.01)
    with pytest.raises(ValueError, match="laps"):
        drive_uploads(laps=0)


def jitter_checks(scenario: DriveScenario) -> list[dict[str, Any]]:
    fixes = valid_fixes(scenario.of_group("gnss"))
    assert len(fixes) == len(scenario.of_group("gnss"))
    for fix in fixes:
        error = haversine_m(*scenario.position, *position(fix))
        assert error <= hacc(fix) / 2
        assert fix.payload["gnss.speed"] == 0.0
    for first, second in itertools.pairwise(fixes):
        step = haversine_m(*position(first), *position(second))
        assert step <= max(hacc(first), hacc(second))
    assert len({position(fix) for fix in fixes}) > 10  # it does wander
    assert track_m(fixes) == 0.0
    return [fix.payload for fix in fixes]


def test_parked_jitter_only() -> None:
    """Half an hour parked: jitter within hacc, ignition off, no distance."""
    scenario = parked_jitter_uploads()
    assert scenario.route_length_m == 0
    assert scenario.end_s == 1800
    assert len(scenario.of_group("gnss")) == 181
    jitter_checks(scenario)
    assert {u.payload["io.igt_status"] for u in scenario.of_group("io")} == {0}
    assert {u.payload["obd.rpm"] for u in scenario.of_group("obd")} == {0}
    assert {u.payload["obd.speed"] for u in scenario.of_group("obd")} == {0}
    assert scenario.ignition_on_s is None
    assert scenario.light_stop_s is None


def test_parked_jitter_with_the_engine_idling() -> None:
    scenario = parked_jitter_uploads(engine_on=True, duration_s=600, obd=False)
    jitter_checks(scenario)
    assert {u.payload["io.igt_status"] for u in scenario.of_group("io")} == {1}
    assert not scenario.of_group("obd")
    assert scenario.ignition_on_s == 0
    assert scenario.idle_s == 600


def test_parked_before_and_after_the_drive_jitter(scenario: DriveScenario) -> None:
    """The parked phases of the drive are the same jitter, at the start point."""
    assert scenario.ignition_on_s is not None
    assert scenario.ignition_off_s is not None
    for start, end in (
        (0, scenario.ignition_on_s),
        (scenario.ignition_off_s + 10, scenario.end_s),
    ):
        fixes = valid_fixes(between(scenario, "gnss", start, end))
        assert len(fixes) >= 15
        for fix in fixes:
            assert haversine_m(*scenario.position, *position(fix)) <= hacc(fix) / 2
            assert fix.payload["gnss.speed"] == 0.0
        assert track_m(fixes) == 0.0
