"""Every platform's entities and both entry kinds' diagnostics, as snapshots.

The gateway reports the spec's example payloads, answers the start-up
requests (system info, Wi-Fi modes, custom groups) and sends a ``DI_CHG``
event; each platform is then loaded alone and snapshotted with the test
plugin's ``snapshot_platform``, as core integrations do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from tests.bimetri_helpers import (
    BimetriPlatformMock,
    make_bimetri_entry,
    make_jwt,
    turns,
)
from tests.conftest import FlexApiDevice
from tests.protocol.spec_examples import CUSTOM_GROUPS

#: A fixed clock: event and timestamp states are part of the snapshots.
NOW = "2026-06-01T12:00:00+00:00"
#: 2027-06-01, a year ahead of NOW: no repair issue.
JWT_EXP = 1811851200
DI_CHG = {
    "starts_at": 1780315200,
    "status": "raise",
    "type": "DI_CHG",
    "level": 1,
    "io.DI2": 1,
}


@pytest.fixture
def fixed_clock(mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory) -> None:
    """Move the clock to ``NOW`` (after MQTT's set-up, which needs real time)."""
    freezer.move_to(NOW)


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms to load; parametrize to change them."""
    return list(Platform)


@pytest.fixture
def only_platforms(platforms: list[Platform]) -> Generator[None]:
    """Load only ``platforms`` (both entry kinds)."""
    with (
        patch(
            "custom_components.flexapi.PLATFORMS",
            [p for p in platforms if p in _GATEWAY_PLATFORMS],
        ),
        patch(
            "custom_components.flexapi.bimetri.PLATFORMS",
            [p for p in platforms if p is Platform.SWITCH],
        ),
    ):
        yield


_GATEWAY_PLATFORMS = (
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
)


async def _report_spec_examples(
    gateway: FlexApiDevice, spec_examples: dict[str, dict[str, Any]]
) -> None:
    """Everything a gateway says in the spec's examples, start-up answers too."""
    await gateway.answer("sysinfo/refresh", spec_examples["sysinfo"])
    await gateway.advance(1.2)
    await gateway.answer("app/refresh", {"app.wifi_mode_2g": 0, "app.wifi_mode_5g": 1})
    await gateway.advance(1.2)
    await gateway.answer("group/get", CUSTOM_GROUPS)
    await gateway.info_all(spec_examples)
    await gateway.info("group2", {"DI1": 1})
    await gateway.send("event/notice", DI_CHG)


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "only_platforms")
@pytest.mark.parametrize(
    "platforms", [[platform] for platform in _GATEWAY_PLATFORMS], ids="-".join
)
async def test_gateway_platform(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
    fixed_clock: None,
    spec_examples: dict[str, dict[str, Any]],
    snapshot: SnapshotAssertion,
) -> None:
    """Registry entries and states of one platform after the spec's examples."""
    entry = await setup_flexapi()
    await _report_spec_examples(gateway, spec_examples)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_gateway_entity_count(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
    fixed_clock: None,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """No platform is left out of the snapshots above."""
    entry = await setup_flexapi()
    await _report_spec_examples(gateway, spec_examples)
    domains: dict[str, int] = {}
    for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        domains[entity.domain] = domains.get(entity.domain, 0) + 1
    assert set(domains) == {str(platform) for platform in _GATEWAY_PLATFORMS}


@pytest.fixture
async def bimetri_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, fixed_clock: None
) -> Any:
    """A loaded Bimetri application whose resource 101 output 4 was switched."""
    # A fixed entry_id: device and unique ids are built from it.
    entry = make_bimetri_entry(
        jwt=make_jwt(JWT_EXP), entry_id="01JBIMETRIAPP000000000000001"
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    platform = BimetriPlatformMock(hass, mqtt_mock)
    await platform.notify(status=1, correlation_id="their-42", user_name="Alice")
    await turns(hass)
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


@pytest.mark.usefixtures("only_platforms")
@pytest.mark.parametrize("platforms", [[Platform.SWITCH]], ids="-".join)
async def test_bimetri_platform(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    bimetri_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """A Bimetri resource's output switches."""
    await snapshot_platform(hass, entity_registry, snapshot, bimetri_entry.entry_id)


async def test_gateway_diagnostics(
    hass: HomeAssistant,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
    fixed_clock: None,
    hass_client: ClientSessionGenerator,
    spec_examples: dict[str, dict[str, Any]],
    snapshot: SnapshotAssertion,
) -> None:
    """The gateway's diagnostics through Home Assistant's diagnostics API."""
    entry = await setup_flexapi()
    await _report_spec_examples(gateway, spec_examples)
    assert await get_diagnostics_for_config_entry(hass, hass_client, entry) == snapshot(
        exclude=props("created_at", "modified_at", "entry_id")
    )


async def test_bimetri_diagnostics(
    hass: HomeAssistant,
    bimetri_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """A Bimetri application's diagnostics through the diagnostics API."""
    assert await get_diagnostics_for_config_entry(
        hass, hass_client, bimetri_entry
    ) == snapshot(exclude=props("created_at", "modified_at", "entry_id"))
