"""The FlexAPI integration: InHand Networks gateways over FlexAPI MQTT."""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import bimetri
from .bimetri import is_bimetri_entry
from .const import DOMAIN
from .runtime import FlexApiConfigEntry, FlexApiRuntime

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (services are registered here)."""
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FlexApiConfigEntry) -> bool:
    """Set up one FlexAPI device (or a Bimetri application)."""
    if is_bimetri_entry(entry):
        return await bimetri.async_setup_entry(hass, entry)
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_not_available"
        )
    runtime = FlexApiRuntime(hass, entry)
    entry.runtime_data = runtime
    try:
        await runtime.async_start()
        runtime.update_device_registry()
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        # HA runs no on-unload callbacks for a setup that raised: release the
        # subscriptions, timers and tasks here, or a retry would double them.
        runtime.async_stop()
        raise
    entry.async_on_unload(runtime.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def _async_options_updated(
    hass: HomeAssistant, entry: FlexApiConfigEntry
) -> None:
    """Reload when the options (units, staleness) changed.

    Entries are also updated for other reasons, e.g. MQTT discovery adding a
    discovery key when it sees a configured gateway: those must not reload.
    """
    if dict(entry.options) != entry.runtime_data.options:
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: FlexApiConfigEntry) -> None:
    """Delete the gateway's stored settings with its entry."""
    if is_bimetri_entry(entry):
        await bimetri.async_remove_entry(hass, entry)
        return
    await FlexApiRuntime.async_remove_storage(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: FlexApiConfigEntry) -> bool:
    """Unload one FlexAPI device (or a Bimetri application)."""
    if is_bimetri_entry(entry):
        return await bimetri.async_unload_entry(hass, entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
