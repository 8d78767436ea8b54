"""Setup, unload and reload of a FlexAPI entry."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from unittest.mock import AsyncMock, Mock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import (
    CONF_CLIENT_ID,
    CONF_PREFIX,
    CONF_STALE_MULTIPLIER,
    DOMAIN,
)
from custom_components.flexapi.protocol.errors import FlexApiStoppedError
from custom_components.flexapi.runtime import FlexApiRuntime
from tests.compat import device_by_identifier

from .helpers import (
    advance,
    answer,
    fire_json,
    make_entry,
    published,
    published_topics,
    settle,
    start,
    subscribed_topics,
)

pytestmark = pytest.mark.usefixtures("collect_started_tasks")


async def test_setup_sends_sysinfo_refresh_and_fills_device(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="VG1",
        title="VG1",
        data={CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    calls = [
        c
        for c in mqtt_mock.async_publish.call_args_list
        if c.args[0] == "v1/VG1/sysinfo/refresh"
    ]
    assert len(calls) == 1
    token = json.loads(calls[0].args[1])["client_token"]
    async_fire_mqtt_message(
        hass,
        "v1/VG1/sysinfo/refresh/resp",
        json.dumps(
            {
                "client_token": token,
                "result": {
                    "sysinfo.model_name": "VG710",
                    "sysinfo.oem_name": "inhand",
                    "sysinfo.serial_number": "VG7102019052101",
                    "sysinfo.firmware_version": "1.0.0.r13083",
                    "sysinfo.lan_mac": "00:18:05:10:99:66",
                },
            }
        ),
    )
    await hass.async_block_till_done()
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    assert device.manufacturer == "InHand Networks"
    assert device.model == "VG710"
    assert device.serial_number == "VG7102019052101"
    assert device.sw_version == "1.0.0.r13083"
    assert (dr.CONNECTION_NETWORK_MAC, "00:18:05:10:99:66") in device.connections
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_setup_retries_while_mqtt_is_unavailable(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_config_entry: MockConfigEntry,
) -> None:
    with patch(
        "custom_components.flexapi.mqtt.async_wait_for_mqtt_client",
        AsyncMock(return_value=False),
    ):
        assert not await hass.config_entries.async_setup(flexapi_config_entry.entry_id)
        await hass.async_block_till_done()
    assert flexapi_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "MQTT integration is not available" in (flexapi_config_entry.reason or "")
    assert not {t for t in subscribed_topics(mqtt_mock) if "VG1" in t}
    assert not published(mqtt_mock)


async def test_unload_leaves_nothing_behind_and_reload_works(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    ours = {"v1/+/+/info", "v1/+/+/+/resp", "v1/+/event/notice"}
    assert ours <= subscribed_topics(mqtt_mock)
    runtime = flexapi_entry.runtime_data
    listener = Mock()
    runtime.async_add_listener(listener, ["gnss.fix"], ["gnss", "obd"])
    pending = start(runtime.async_refresh("gnss"))
    await settle(hass)

    assert await hass.config_entries.async_unload(flexapi_entry.entry_id)
    await settle(hass)
    assert flexapi_entry.state is ConfigEntryState.NOT_LOADED
    assert not ours & subscribed_topics(mqtt_mock)
    with pytest.raises(FlexApiStoppedError, match="unloading"):
        pending.result()

    # Nothing reaches the old runtime: no data, no staleness, no MQTT status.
    fire_json(hass, "v1/VG1/gnss/info", {"gnss.fix": 3})
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await advance(hass, freezer, 60)
    assert "gnss.fix" not in runtime.store.values
    listener.assert_not_called()

    assert await hass.config_entries.async_setup(flexapi_entry.entry_id)
    await settle(hass)
    assert flexapi_entry.state is ConfigEntryState.LOADED
    assert ours <= subscribed_topics(mqtt_mock)
    fire_json(hass, "v1/VG1/gnss/info", {"gnss.fix": 3})
    await settle(hass)
    assert flexapi_entry.runtime_data.store.values["gnss.fix"] == 3


async def test_unload_stops_the_start_up_requests(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sysinfo refresh is on the wire; app and group/get must not follow."""
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    assert published(mqtt_mock, "v1/VG1/sysinfo/refresh")
    queued = start(runtime.async_refresh("gnss"))
    await settle(hass)
    assert await hass.config_entries.async_unload(flexapi_entry.entry_id)
    await settle(hass)
    with pytest.raises(FlexApiStoppedError):
        queued.result()
    with pytest.raises(FlexApiStoppedError):
        await runtime.async_refresh("io")
    count = len(published(mqtt_mock))
    await advance(hass, freezer, 30)
    assert len(published(mqtt_mock)) == count
    assert not published(mqtt_mock, "v1/VG1/app/refresh")
    assert not published(mqtt_mock, "v1/VG1/gnss/refresh")


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (RuntimeError("boom"), ConfigEntryState.SETUP_ERROR),
        (ConfigEntryNotReady("later"), ConfigEntryState.SETUP_RETRY),
        (ConfigEntryError("broken"), ConfigEntryState.SETUP_ERROR),
    ],
    ids=["other-exception", "not-ready", "config-entry-error"],
)
async def test_a_failed_setup_stops_once_and_sends_nothing_more(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    error: Exception,
    state: ConfigEntryState,
) -> None:
    """With the start-up requests on: nothing follows the failure.

    HA runs the on-unload callbacks and cancels background tasks for
    ConfigEntryNotReady and ConfigEntryError only; the stop must happen
    exactly once either way.
    """
    entry = make_entry()
    entry.add_to_hass(hass)
    real_stop = FlexApiRuntime.async_stop
    with (
        patch.object(
            hass.config_entries,
            "async_forward_entry_setups",
            AsyncMock(side_effect=error),
        ),
        patch.object(
            FlexApiRuntime, "async_stop", autospec=True, side_effect=real_stop
        ) as stop,
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
        await settle(hass)
        assert entry.state is state
        assert stop.call_count == 1
    assert published_topics(mqtt_mock) == ["v1/VG1/sysinfo/refresh"]
    assert not {"v1/+/+/info", "v1/+/+/+/resp"} & subscribed_topics(mqtt_mock)
    # No setup retry (it would start over); an unload does not cancel tasks.
    assert await hass.config_entries.async_unload(entry.entry_id)
    # Not the start-up task, not its app/refresh or group/get: nothing more.
    await advance(hass, freezer, 60)
    fire_json(hass, "v1/VG1/gnss/info", {"gnss.fix": 3})
    await advance(hass, freezer, 60)
    assert published_topics(mqtt_mock) == ["v1/VG1/sysinfo/refresh"]


async def test_option_change_reloads(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
) -> None:
    runtime = flexapi_entry.runtime_data
    hass.config_entries.async_update_entry(
        flexapi_entry, options={CONF_STALE_MULTIPLIER: 5.0}
    )
    await settle(hass)
    assert flexapi_entry.state is ConfigEntryState.LOADED
    assert flexapi_entry.runtime_data is not runtime
    assert flexapi_entry.runtime_data.freshness.multiplier == 5.0


async def test_data_change_reloads(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
) -> None:
    """A new prefix in the data (reconfigure, discovery) reloads through the listener."""
    runtime = flexapi_entry.runtime_data
    hass.config_entries.async_update_entry(
        flexapi_entry, data={**flexapi_entry.data, CONF_PREFIX: "fleet/"}
    )
    await settle(hass)
    assert flexapi_entry.state is ConfigEntryState.LOADED
    assert flexapi_entry.runtime_data is not runtime
    assert flexapi_entry.runtime_data.topics.base == "fleet/v1/VG1/"


async def test_other_entry_updates_do_not_reload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
) -> None:
    runtime = flexapi_entry.runtime_data
    hass.config_entries.async_update_entry(flexapi_entry, title="Truck 7")
    # MQTT discovery of the configured gateway records a discovery key.
    fire_json(hass, "v1/VG1/summary/info", {"gnss.fix": 3})
    await settle(hass)
    assert flexapi_entry.runtime_data is runtime
    assert runtime.store.values["gnss.fix"] == 3
    assert not hass.config_entries.flow.async_progress()


async def test_failed_setup_leaves_no_subscription_behind(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, no_initial_requests: None
) -> None:
    """A setup that raises releases what it took; a retry does not double it."""
    entry = make_entry()
    entry.add_to_hass(hass)
    with patch.object(
        hass.config_entries,
        "async_forward_entry_setups",
        AsyncMock(side_effect=RuntimeError("boom")),
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert not {"v1/+/+/info", "v1/+/+/+/resp"} & subscribed_topics(mqtt_mock)


async def test_removing_the_entry_deletes_its_storage(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    hass_storage: dict[str, Any],
) -> None:
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    runtime = entry.runtime_data
    pending = start(runtime.async_set_group("gnss", interval=60))
    await settle(hass)
    answer(hass, mqtt_mock, "v1/VG1/gnss/set", {"interval": 60})
    await settle(hass)
    assert pending.result() == {"interval": 60}
    key = f"flexapi.{entry.entry_id}"
    assert hass_storage[key]["data"]["settings"]["gnss"]["interval"] == 60
    assert await hass.config_entries.async_remove(entry.entry_id)
    await settle(hass)
    assert key not in hass_storage


async def test_a_new_key_heard_while_unloading_adds_no_entity(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A message with a new key arriving during the unload's awaits is dropped.

    The unload writes the time last heard; while that write waits, the
    gateway reports a key never heard before. It must not bring an entity
    to the unloading entry (its state would stay behind, and the next setup
    would find its unique ID taken).
    """
    runtime = flexapi_entry.runtime_data
    registry = er.async_get(hass)
    registered = {
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, flexapi_entry.entry_id)
    }
    states = set(hass.states.async_entity_ids())
    writing, release = asyncio.Event(), asyncio.Event()

    async def held_save(_data: Any) -> None:
        writing.set()
        await release.wait()

    with patch.object(runtime._storage, "async_save", side_effect=held_save):
        unload = hass.async_create_task(
            hass.config_entries.async_unload(flexapi_entry.entry_id)
        )
        await writing.wait()
        fire_json(hass, "v1/VG1/obd/info", {"obd.ts": 1592820539, "obd.rpm": 900})
        fire_json(
            hass,
            "v1/VG1/gnss/info",
            {"gnss.ts": 1592820539, "gnss.latitude": 40.2, "gnss.longitude": 116.2},
        )
        for _ in range(10):
            await asyncio.sleep(0)
        release.set()
        assert await unload
    await settle(hass)
    assert flexapi_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("sensor.vg1_engine_speed") is None
    assert set(hass.states.async_entity_ids()) <= states
    assert {
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, flexapi_entry.entry_id)
    } == registered

    assert await hass.config_entries.async_setup(flexapi_entry.entry_id)
    await settle(hass)
    assert "does not generate unique IDs" not in caplog.text
