"""The vehicle model: a coherent drive around the loop route."""

from __future__ import annotations

import random
from typing import Any

import pytest

from simulator.vehicle import (
    DEFAULT_ROUTE,
    IDLE_RPM,
    Mode,
    Route,
    Vehicle,
    Waypoint,
    bearing_deg,
    haversine_m,
    heading_delta,
)

from .conftest import NOW, Harness, make_device


def drive(seconds: int, seed: int = 1) -> list[tuple[float, Vehicle, dict[str, Any]]]:
    """Run a vehicle second by second; sample a few quantities each step."""
    vehicle = Vehicle(random.Random(seed), NOW)
    samples = []
    for second in range(1, seconds + 1):
        before = vehicle.route.position(vehicle.s)
        odo = vehicle.odo_km
        vehicle.step(1.0, NOW + second)
        after = vehicle.position
        samples.append(
            (
                NOW + second,
                vehicle,
                {
                    "moved_m": haversine_m(*before, *after),
                    "odo_m": (vehicle.odo_km - odo) * 1000,
                    "speed": vehicle.speed_kmh,
                    "rpm": vehicle.rpm,
                    "mode": vehicle.mode.value,
                },
            )
        )
    return samples


def test_geometry_helpers() -> None:
    assert haversine_m(40.0, 116.0, 40.0, 116.0) == 0
    assert haversine_m(40.0, 116.0, 41.0, 116.0) == pytest.approx(111_195, rel=1e-3)
    assert bearing_deg(40.0, 116.0, 41.0, 116.0) == pytest.approx(0.0, abs=1e-6)
    assert bearing_deg(40.0, 116.0, 40.0, 117.0) == pytest.approx(90.0, abs=0.5)
    assert heading_delta(350.0, 10.0) == pytest.approx(20.0)
    assert heading_delta(10.0, 350.0) == pytest.approx(-20.0)


def test_route_basics() -> None:
    route = DEFAULT_ROUTE
    assert 5_000 < route.length < 15_000
    assert route.segment_at(0.0) == (0, 0.0)
    assert route.segment_at(route.length + 1.0)[0] == 0
    assert route.position(route.segment_start(2)) == pytest.approx(
        (route.waypoints[2].lat, route.waypoints[2].lon)
    )
    altitudes = [route.altitude(s) for s in range(0, int(route.length), 50)]
    assert max(altitudes) - min(altitudes) < 40
    with pytest.raises(ValueError, match="three"):
        Route((Waypoint(0, 0, 50), Waypoint(0, 1, 50)))


def test_distance_speed_and_odometer_agree() -> None:
    samples = drive(1500)
    moving = [s for _, _, s in samples if s["speed"] > 10]
    assert moving
    for sample in moving:
        # Straight-line distance between two positions never exceeds the driven
        # distance, and matches it except when cutting a corner.
        assert sample["moved_m"] <= sample["odo_m"] + 0.5
        assert sample["odo_m"] == pytest.approx(sample["speed"] / 3.6, rel=0.3, abs=2.0)
    total_odo = sum(s["odo_m"] for _, _, s in samples)
    mean_speed = sum(s["speed"] for _, _, s in samples) / len(samples) / 3.6
    assert total_odo == pytest.approx(mean_speed * len(samples), rel=0.05)


def test_stops_idle_and_parks() -> None:
    samples = drive(4000, seed=2)
    modes = {s["mode"] for _, _, s in samples}
    assert {"driving", "stopped"} <= modes
    for _, _, sample in samples:
        if sample["mode"] == "stopped":
            assert sample["speed"] == 0
            assert sample["rpm"] == IDLE_RPM
        if sample["mode"] == "parked":
            assert sample["rpm"] == 0


def test_parking_brake_after_a_while() -> None:
    vehicle = Vehicle(random.Random(1), NOW)
    vehicle.mode = Mode.STOPPED
    vehicle.stop_remaining_s = 60
    vehicle.stopped_for_s = 0
    vehicle.step(1.0, NOW + 1)
    assert (vehicle.braking, vehicle.parking) == (True, False)
    for second in range(2, 30):
        vehicle.step(1.0, NOW + second)
    assert (vehicle.braking, vehicle.parking) == (False, True)


def test_engine_warms_up_and_counts() -> None:
    samples = drive(900, seed=3)
    vehicle = samples[-1][1]
    assert vehicle.coolant_c > 80
    assert vehicle.trip_km > 0
    assert vehicle.up_time_s(samples[-1][0]) > 0 or vehicle.mode is Mode.PARKED
    assert vehicle.steering_rad == pytest.approx(vehicle.steering_rad)


def test_heading_follows_travel() -> None:
    vehicle = Vehicle(random.Random(4), NOW)
    checked = 0
    for second in range(1, 2000):
        before = vehicle.position
        vehicle.step(1.0, NOW + second)
        if vehicle.speed_kmh > 30 and abs(vehicle.yaw_rate_dps) < 0.01:
            travel = bearing_deg(*before, *vehicle.position)
            assert abs(heading_delta(vehicle.heading, travel)) < 2.0
            checked += 1
    assert checked > 100


def test_obd_coherence_over_a_drive() -> None:
    harness = Harness(make_device(seed=5))
    previous: dict[str, float] | None = None
    for _ in range(120):
        summary = harness.upload("summary", gap=10.0)
        obd_speed = summary["obd.speed"]
        if summary["gnss.fix"] == 3:
            assert abs(obd_speed - summary["gnss.speed"]) <= 2
            assert summary["motion.yaw"] == pytest.approx(
                summary["gnss.heading"], abs=0.1
            )
        assert summary["obd.mil"] == int(summary["obd.dtcs"] > 0)
        assert summary["io.igt_status"] == int(summary["obd.rpm"] > 0)
        if summary["obd.rpm"]:
            assert summary["obd.rpm"] >= IDLE_RPM - 50
            assert 13.0 < summary["obd.b_volt"] < 14.5
        if obd_speed == 0 and summary["obd.rpm"]:
            assert summary["obd.rpm"] < 900
        assert summary["motion.az"] == pytest.approx(1.0, abs=0.1)
        assert 0 <= summary["obd.f_lvl"] <= 100
        if previous is not None:
            assert summary["obd.odo"] >= previous["obd.odo"]
            assert (
                summary["obd.f_lvl"] <= previous["obd.f_lvl"]
                or summary["obd.f_lvl"] > 90
            )
        previous = summary
    assert isinstance(summary["obd.vin"], str)
    assert len(summary["obd.vin"]) == 17


def test_long_gaps_are_bounded() -> None:
    device = make_device()
    device.advance(NOW + 10 * 24 * 3600)
    assert device.state.time == NOW + 10 * 24 * 3600
    device.advance(NOW)  # time going backwards changes nothing
    assert device.state.time == NOW + 10 * 24 * 3600


def test_parks_end_trips() -> None:
    """The demo's vehicle parks, engine off, often and longer than 2 minutes.

    A trip ends after the ignition has been off for 2 minutes (the default end
    delay), so every park must be longer than that for the demo to show trips
    ending, and parks must come often enough to see them: at the latest after
    12 km, about 20 minutes.
    """
    vehicle = Vehicle(random.Random(1), NOW)
    parks: list[float] = []
    drives: list[float] = []
    parked_since: float | None = None
    driving_since = 0.0
    for second in range(1, 4 * 3600):
        vehicle.step(1.0, NOW + second)
        if vehicle.mode is Mode.PARKED:
            assert not vehicle.engine_on
            if parked_since is None:
                parked_since = second
                drives.append(second - driving_since)
        elif parked_since is not None:
            parks.append(second - parked_since)
            parked_since = None
            driving_since = second
    assert len(parks) >= 8
    assert min(parks) > 120 + 20
    assert max(drives) < 25 * 60
