"""Setup, unload and reload of a FlexAPI entry."""

from __future__ import annotations

import json

from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import CONF_CLIENT_ID, CONF_PREFIX, DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr


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
    calls = [c for c in mqtt_mock.async_publish.call_args_list if c.args[0] == "v1/VG1/sysinfo/refresh"]
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
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VG1")})
    assert device is not None
    assert device.manufacturer == "InHand Networks"
    assert device.model == "VG710"
    assert device.serial_number == "VG7102019052101"
    assert device.sw_version == "1.0.0.r13083"
    assert (dr.CONNECTION_NETWORK_MAC, "00:18:05:10:99:66") in device.connections
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
