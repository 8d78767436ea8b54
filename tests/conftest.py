"""Shared fixtures."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import json
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlow
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    MqttMockHAClientGenerator,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from custom_components.flexapi.const import CONF_CLIENT_ID, CONF_PREFIX, DOMAIN

from . import helpers
from .compat import HA_RELEASE, SNAPSHOT_DIR, all_devices, device_subentry_ids
from .helpers import collect_started

pytest_plugins = ["pytest_homeassistant_custom_component"]


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run without pytest's logging plugin, with a clear message.

    The Home Assistant test plugin replaces ``caplog`` by a fixture that asks for
    pytest's own. With ``-p no:logging`` that one is missing, and every test that
    uses ``caplog`` errors with "recursive dependency involving fixture 'caplog'".
    """
    if not config.pluginmanager.has_plugin("logging"):
        raise pytest.UsageError(
            "The tests need pytest's logging plugin (the caplog fixture): drop"
            " '-p no:logging'; use '--show-capture=no' to hide captured logs."
        )


# ---------------------------------------------------------------------------
# Home Assistant versions.


class VersionedSnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot format, one directory per Home Assistant release."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """``snapshots-ha2025.4`` on 2025.4, ``snapshots-ha2026.10`` on 2026.10, …."""
        return str(Path(test_location.filepath).parent / SNAPSHOT_DIR)


@pytest.fixture
def snapshot(
    snapshot: SnapshotAssertion, request: pytest.FixtureRequest
) -> SnapshotAssertion:
    """Snapshots of the running Home Assistant release, without ids and timestamps.

    Home Assistant serialises registry entries and states differently from one
    release to the next, so each release the suite runs on has its own files.
    """
    directory = request.path.parent / SNAPSHOT_DIR
    if not directory.is_dir() and not request.config.option.update_snapshots:
        pytest.fail(
            f"No snapshots for Home Assistant {HA_RELEASE} ({directory} is missing):"
            " run this test once with --snapshot-update on that release"
        )
    return snapshot.use_extension(VersionedSnapshotExtension)


@pytest.fixture(autouse=True)
def one_config_entry_and_subentry_per_device(
    request: pytest.FixtureRequest,
) -> Generator[None]:
    """Check what Home Assistant 2026.8 enforces, on every version the suite runs on.

    From 2026.8 a device belongs to exactly one config entry and one subentry
    (or none); older releases keep sets of both, and split such devices when
    they upgrade. Checked for this integration's devices after every test that
    runs Home Assistant.
    """
    if "hass" not in request.fixturenames:
        yield
        return
    hass: HomeAssistant = request.getfixturevalue("hass")
    yield
    assert device_ownership_problems(hass) == []


def device_ownership_problems(hass: HomeAssistant) -> list[str]:
    """This integration's devices with several config entries or subentries."""
    problems = []
    for device in all_devices(hass):
        if not any(domain == DOMAIN for domain, _ in device.identifiers):
            continue
        owners = device_subentry_ids(device)
        if len(owners) != 1 or any(len(s) != 1 for s in owners.values()):
            problems.append(f"{device.name}: {owners}")
    return problems


@pytest.fixture(autouse=True)
def no_flow_reload_of_an_entry_with_update_listener(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fail as Home Assistant 2026.12 will, on every version the suite runs on.

    From 2026.12 a config flow may not reload an entry that has an update
    listener (2026.3-2026.11 log "has an update listener and should use it for
    scheduling a reload"): neither through ``async_update_reload_and_abort`` nor
    through ``_abort_if_unique_id_configured`` with changed ``updates``. The
    flow updates the entry; the listener decides about the reload.
    """
    update_reload_and_abort = ConfigFlow.async_update_reload_and_abort
    abort_if_configured = ConfigFlow._abort_if_unique_id_configured

    def _refuse(flow: ConfigFlow, entry: ConfigEntry, how: str) -> None:
        if entry.update_listeners:
            pytest.fail(
                f"{flow.handler} flow reloads entry {entry.title} with {how} although"
                " it has an update listener: Home Assistant 2026.12 refuses that"
            )

    def _update_reload_and_abort(
        self: ConfigFlow, entry: ConfigEntry, **kwargs: Any
    ) -> Any:
        _refuse(self, entry, "async_update_reload_and_abort")
        return update_reload_and_abort(self, entry, **kwargs)

    def _abort_if_unique_id_configured(
        self: ConfigFlow,
        updates: dict[str, Any] | None = None,
        reload_on_update: bool = True,
        **kwargs: Any,
    ) -> None:
        entry = (
            self.hass.config_entries.async_entry_for_domain_unique_id(
                self.handler, self.unique_id
            )
            if self.unique_id is not None
            else None
        )
        if (
            entry is not None
            and updates is not None
            and reload_on_update
            and entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY)
            and {**entry.data, **updates} != dict(entry.data)
        ):
            _refuse(self, entry, "_abort_if_unique_id_configured(updates=...)")
        abort_if_configured(self, updates, reload_on_update, **kwargs)

    monkeypatch.setattr(
        ConfigFlow, "async_update_reload_and_abort", _update_reload_and_abort
    )
    monkeypatch.setattr(
        ConfigFlow, "_abort_if_unique_id_configured", _abort_if_unique_id_configured
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/flexapi in every test."""


@pytest.fixture(autouse=True)
def no_subscribe_settle() -> Generator[None]:
    """Send requests at once: the mocked MQTT client has no SUBSCRIBE delay.

    End-to-end tests against a real broker keep the real settle time.
    """
    with patch("custom_components.flexapi.const.SUBSCRIBE_SETTLE", 0):
        yield


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


# ---------------------------------------------------------------------------
# Entity platform tests: a loaded entry and a simulated gateway (VG1).

SPEC_EXAMPLES_PATH = Path(__file__).parent / "fixtures" / "spec_examples.json"
CLIENT_ID = "VG1"


class FlexApiDevice:
    """Plays the gateway ``VG1`` against a loaded entry through mocked MQTT."""

    def __init__(
        self,
        hass: HomeAssistant,
        mqtt_mock: MqttMockHAClient,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        """Bind to Home Assistant, the MQTT mock and the frozen clock."""
        self.hass = hass
        self.mqtt_mock = mqtt_mock
        self.freezer = freezer
        self.base = f"v1/{CLIENT_ID}/"

    async def send(self, topic: str, payload: Any) -> None:
        """Publish ``payload`` (JSON-encoded unless a str) on ``v1/VG1/{topic}``."""
        if isinstance(payload, str):
            async_fire_mqtt_message(self.hass, self.base + topic, payload)
        else:
            helpers.fire_json(self.hass, self.base + topic, payload)
        await self.hass.async_block_till_done()

    async def info(self, group: str, data: dict[str, Any]) -> None:
        """Upload ``data`` on ``{group}/info``."""
        await self.send(f"{group}/info", data)

    async def info_all(self, examples: dict[str, dict[str, Any]]) -> None:
        """Upload each group's payload of ``examples`` on its info topic."""
        for group, data in examples.items():
            await self.info(group, data)

    async def answer(self, topic: str, result: Any) -> None:
        """Answer the latest request on ``v1/VG1/{topic}`` with ``result``."""
        helpers.answer(self.hass, self.mqtt_mock, self.base + topic, result)
        await self.hass.async_block_till_done()

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass and run the timers that came due."""
        await helpers.advance(self.hass, self.freezer, seconds)


@pytest.fixture
def spec_examples() -> dict[str, dict[str, Any]]:
    """The spec's example payloads by group (a fresh copy per test)."""
    return json.loads(SPEC_EXAMPLES_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def flexapi_options() -> dict[str, Any]:
    """Options of the ``flexapi_entry``; parametrize to change them."""
    return {}


@pytest.fixture
def flexapi_config_entry(
    hass: HomeAssistant, flexapi_options: dict[str, Any]
) -> MockConfigEntry:
    """A FlexAPI entry for ``VG1``, added to hass but not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=CLIENT_ID,
        title=CLIENT_ID,
        data={CONF_CLIENT_ID: CLIENT_ID, CONF_PREFIX: ""},
        options=flexapi_options,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def setup_flexapi(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    flexapi_config_entry: MockConfigEntry,
) -> AsyncGenerator[Callable[[], Awaitable[MockConfigEntry]]]:
    """Set up ``flexapi_config_entry`` on demand; unload it before MQTT goes.

    The clock is frozen first, so the runtime's staleness clock starts on it.
    """

    async def _setup() -> MockConfigEntry:
        assert await hass.config_entries.async_setup(flexapi_config_entry.entry_id)
        await hass.async_block_till_done()
        return flexapi_config_entry

    yield _setup
    if flexapi_config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(flexapi_config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
async def flexapi_entry(
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
) -> MockConfigEntry:
    """A loaded FlexAPI entry for ``VG1`` with ``flexapi_options``."""
    return await setup_flexapi()


@pytest.fixture
def gateway(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> FlexApiDevice:
    """The simulated gateway ``VG1``."""
    return FlexApiDevice(hass, mqtt_mock, freezer)


# ---------------------------------------------------------------------------
# Client, runtime, config flow and setup tests.


@pytest.fixture
async def collect_started_tasks() -> AsyncGenerator[None]:
    """Retrieve what ``helpers.start`` ran, once the test's entries are gone.

    Use it as ``pytestmark = pytest.mark.usefixtures("collect_started_tasks")``
    so it is set up first and torn down last.
    """
    yield
    await collect_started()


@pytest.fixture
def no_initial_requests() -> Generator[None]:
    """Keep a loading runtime from sending its sysinfo/app/group requests."""
    with patch(
        "custom_components.flexapi.runtime.FlexApiRuntime._async_initial_requests",
        AsyncMock(),
    ):
        yield
