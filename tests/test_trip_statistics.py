"""Distance driven in Home Assistant's long-term statistics.

A module of its own: the recorder must start before Home Assistant, which
``mock_recorder_before_hass`` arranges for every test here. The simulator's
drive (``simulator/drive.py``) goes in on a frozen clock; the recorder then
compiles the five-minute statistics of each period, as it does every five
minutes in a running Home Assistant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceContextManager

from simulator.drive import drive_uploads
from tests.conftest import FlexApiDevice
from tests.test_trip_drive import play

DRIVEN = "sensor.vg1_distance_driven"
#: A five-minute boundary, so each compiled period is a whole one.
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Set up the recorder before Home Assistant."""


async def test_distance_driven_grows_in_long_term_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
) -> None:
    """Each five-minute period of the drive adds its distance to the sum."""
    # Parked for the whole first period, then the lap.
    scenario = drive_uploads(
        obd=False, ignition=False, parked_before_s=320, start=START.timestamp()
    )
    freezer.move_to(START)
    await setup_flexapi()
    await play(gateway, scenario)
    end = datetime.fromtimestamp(scenario.start + scenario.end_s, UTC)
    freezer.move_to(end + timedelta(minutes=6))
    await async_wait_recording_done(hass)

    period = START
    while period < end:
        do_adhoc_statistics(hass, start=period)
        period += timedelta(minutes=5)
    await async_wait_recording_done(hass)

    ids = await recorder_mock.async_add_executor_job(list_statistic_ids, hass)
    driven = next(item for item in ids if item["statistic_id"] == DRIVEN)
    assert driven["statistics_unit_of_measurement"] == "km"
    assert driven["has_sum"]

    rows = (
        await recorder_mock.async_add_executor_job(
            statistics_during_period,
            hass,
            START,
            end + timedelta(minutes=5),
            {DRIVEN},
            "5minute",
            None,
            {"sum", "state"},
        )
    )[DRIVEN]
    sums = [row["sum"] for row in rows]
    assert sums == sorted(sums)  # it only grows
    assert sums[0] == pytest.approx(0.0, abs=0.01)  # parked at first
    assert len({round(value, 3) for value in sums}) >= 3  # it grew in steps
    length_km = scenario.route_length_m / 1000
    assert sums[-1] == pytest.approx(length_km, rel=0.02)
    assert rows[-1]["state"] == pytest.approx(length_km, rel=0.02)
