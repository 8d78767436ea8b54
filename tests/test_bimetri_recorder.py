"""What the recorder keeps of a Bimetri ExtDO switch.

A module of its own: the recorder must start before Home Assistant, which
``mock_recorder_before_hass`` arranges for every test here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.const import STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    RecorderInstanceContextManager,
)

from .bimetri_helpers import BimetriPlatformMock, make_bimetri_entry, turns
from .helpers import start

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

SWITCH = "switch.boiler_output_4"
#: One value per command: not worth a recorder row each.
TRANSIENT = {
    "correlation_id",
    "pending_correlation_id",
    "pending_since",
    "last_command_result",
}


@pytest.fixture
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Set up the recorder before Home Assistant."""


@pytest.fixture
async def loaded(
    recorder_mock: Recorder, hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> AsyncGenerator[MockConfigEntry]:
    """The loaded application entry; unloaded before MQTT goes."""
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_transient_attributes_are_not_recorded(
    hass: HomeAssistant, loaded: MockConfigEntry, mqtt_mock: MqttMockHAClient
) -> None:
    """Review of issue 9: each command wrote its correlationId to the database."""
    platform = BimetriPlatformMock(hass, mqtt_mock)
    begin = dt_util.utcnow() - timedelta(seconds=1)

    call = start(
        hass.services.async_call(
            "switch", "turn_on", {"entity_id": SWITCH}, blocking=True
        )
    )
    await turns(hass)
    await platform.respond()
    await call
    state = hass.states.get(SWITCH)
    assert state is not None
    assert state.attributes["pending_correlation_id"] == platform.last["correlationId"]
    await platform.notify(command=platform.last)
    state = hass.states.get(SWITCH)
    assert state is not None
    assert state.attributes["last_command_result"] == "confirmed"

    await async_wait_recording_done(hass)
    history = await hass.async_add_executor_job(
        get_significant_states, hass, begin, None, [SWITCH], None, True, False
    )
    recorded = history[SWITCH]
    # Unknown at setup, still unknown while the command waits, then on.
    assert [s.state for s in recorded] == [STATE_UNKNOWN, STATE_UNKNOWN, STATE_ON]
    for recorded_state in recorded:
        assert not TRANSIENT & set(recorded_state.attributes)
    # Who switched is history, and is kept.
    assert recorded[-1].attributes["user_name"] == "Flexywatt User"
