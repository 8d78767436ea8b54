"""Shared fixtures."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    MqttMockHAClientGenerator,
)

from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.core import HomeAssistant

pytest_plugins = ["pytest_homeassistant_custom_component"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/flexapi in every test."""


@pytest.fixture(autouse=True)
def auto_mock_hass_config(mock_hass_config: None) -> None:
    """Give the MQTT integration an empty configuration.yaml."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
async def mqtt_mock(
    hass: HomeAssistant, mqtt_mock_entry: MqttMockHAClientGenerator
) -> AsyncGenerator[MqttMockHAClient]:
    """MQTT set up with a mock client; unloaded at teardown (no lingering timer)."""
    mock = await mqtt_mock_entry()
    yield mock
    # The mocked socket never closes, so HA's misc loop timer is never
    # cancelled by MQTT itself; cancel exactly that timer.
    if DATA_MQTT in hass.data:
        client = hass.data[DATA_MQTT].client
        if client._misc_timer is not None:
            client._misc_timer.cancel()
            client._misc_timer = None
    for entry in hass.config_entries.async_entries("mqtt"):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
