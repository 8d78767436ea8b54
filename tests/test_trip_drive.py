"""The simulator's own drive, through Home Assistant: one trip of known length.

``simulator/drive.py`` scripts the vehicle the demo drives: parked with GNSS
jitter, ignition on, one lap of the route with a red light, parked again.
Its uploads go in exactly as the gateway sends them (``gnss``, ``obd`` and
``io`` on their own topics, each with its ``<group>.ts``), on a clock that
follows them. What users see must be one trip of the route's length.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.drive import DriveScenario, drive_uploads, parked_jitter_uploads
from tests.conftest import FlexApiDevice

EVENT = "event.vg1_trip"
IN_PROGRESS = "binary_sensor.vg1_trip_in_progress"
DRIVEN = "sensor.vg1_distance_driven"
TODAY = "sensor.vg1_trips_today"


def trip_events(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Collect what the Trip event entity fires from now on."""
    seen: list[dict[str, Any]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or old is None or old.state == STATE_UNAVAILABLE:
            return
        if new.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            seen.append(dict(new.attributes))

    async_track_state_change_event(hass, [EVENT], _changed)
    return seen


async def play(
    gateway: FlexApiDevice,
    scenario: DriveScenario,
    in_progress: list[str] | None = None,
) -> None:
    """Upload each payload at its time; note "Trip in progress" after each."""
    for upload in scenario.uploads:
        due = scenario.start + upload.t
        if due > (now := time.time()):
            await gateway.advance(due - now)
        await gateway.info(upload.group, dict(upload.payload))
        if in_progress is not None:
            state = gateway.hass.states.get(IN_PROGRESS)
            assert state is not None
            in_progress.append(state.state)


async def start_at(
    scenario: DriveScenario,
    freezer: FrozenDateTimeFactory,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
) -> None:
    """Put the clock at the scenario's start and load the entry."""
    freezer.move_to(datetime.fromtimestamp(scenario.start, UTC))
    await setup_flexapi()


@pytest.mark.parametrize(
    ("obd", "ignition"),
    [(True, True), (True, False), (False, True), (False, False)],
    ids=["obd+ignition", "obd only", "ignition only", "gnss only"],
)
async def test_the_simulated_drive_is_one_trip_of_the_route_length(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    obd: bool,
    ignition: bool,
) -> None:
    """One trip; the red light and the idling do not split it; 2 % of the lap."""
    scenario = drive_uploads(obd=obd, ignition=ignition)
    assert scenario.light_stop_s is not None  # the drive has its red light
    await start_at(scenario, freezer, setup_flexapi)
    events = trip_events(hass)
    in_progress: list[str] = []

    await play(gateway, scenario, in_progress)
    # The parked tail is longer than the end delay: the trip has ended.
    assert [event["event_type"] for event in events] == [
        "trip_started",
        "trip_ended",
    ]
    # On once, off once: nothing in between (the red light) turned it off.
    changes = [
        s for n, s in enumerate(in_progress) if n == 0 or s != in_progress[n - 1]
    ]
    assert changes == [STATE_OFF, STATE_ON, STATE_OFF]

    ended = events[1]
    length_km = scenario.route_length_m / 1000
    assert ended["distance_source"] == ("odometer" if obd else "gnss")
    assert ended["distance_km"] == pytest.approx(length_km, rel=0.02)
    # The GNSS odometer measures the same lap from the track alone.
    assert float(hass.states.get(DRIVEN).state) == pytest.approx(length_km, rel=0.02)
    assert hass.states.get(TODAY).state == "1"
    # Plausible figures: the lap's duration, its top speed, a real idle time.
    moving_s = scenario.moving_s
    assert moving_s is not None
    assert ended["duration_s"] >= moving_s
    assert ended["max_speed_kmh"] == pytest.approx(scenario.max_speed_kmh, abs=8)
    assert 0 < ended["average_speed_kmh"] < ended["max_speed_kmh"]
    if obd or ignition:
        # The engine's running is known: the red light and idling count.
        assert ended["idle_s"] >= 30
    assert ("fuel_change_pct" in ended) is obd
    assert isinstance(ended["end_latitude"], float)


@pytest.mark.parametrize("engine_on", [False, True], ids=["engine off", "idling"])
async def test_the_simulated_parked_vehicle_drives_nowhere(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    engine_on: bool,
) -> None:
    """Half an hour of GNSS jitter: no distance, and no trip is reported."""
    scenario = parked_jitter_uploads(engine_on=engine_on)
    await start_at(scenario, freezer, setup_flexapi)
    events = trip_events(hass)

    await play(gateway, scenario)
    await gateway.advance(600)  # well past the end delay
    assert hass.states.get(DRIVEN).state == "0.0"
    assert "trip_ended" not in [event["event_type"] for event in events]
    assert hass.states.get(TODAY).state == "0"
    assert hass.states.get(IN_PROGRESS).state == STATE_OFF
