"""The FlexAPI integration: InHand Networks gateways over FlexAPI MQTT."""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from . import bimetri
from .bimetri import FlexApiOrBimetriEntry, is_bimetri_entry
from .const import CONF_CLIENT_ID, DOMAIN
from .runtime import FlexApiConfigEntry, FlexApiRuntime
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration: its actions are registered here."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FlexApiOrBimetriEntry) -> bool:
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
        # HA runs the on-unload callbacks and cancels the entry's background
        # tasks only when setup raises ConfigEntryError, ConfigEntryAuthFailed
        # or ConfigEntryNotReady, not for any other exception. So stop here,
        # whatever was raised (the stop also cancels the start-up task), and
        # register the stop as an on-unload callback only once setup
        # succeeded: it then runs exactly once in either case.
        runtime.async_stop()
        raise
    entry.async_on_unload(runtime.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def _async_options_updated(
    hass: HomeAssistant, entry: FlexApiConfigEntry
) -> None:
    """Reload when the data (topic prefix) or the options (units, staleness) changed.

    Every reload after a change goes through here: the reconfigure step, MQTT
    discovery (a gateway heard on another prefix) and the options flow only
    update the entry, as Home Assistant 2026.12 refuses a flow that reloads an
    entry with an update listener. Entries are also updated for other reasons,
    e.g. MQTT discovery adding a discovery key when it sees a configured
    gateway: those must not reload.
    """
    runtime = entry.runtime_data
    if dict(entry.data) != runtime.data or dict(entry.options) != runtime.options:
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: FlexApiOrBimetriEntry) -> None:
    """Delete the gateway's stored settings with its entry."""
    if is_bimetri_entry(entry):
        await bimetri.async_remove_entry(hass, entry)
        return
    await FlexApiRuntime.async_remove_storage(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant,
    entry: FlexApiOrBimetriEntry,
    device_entry: dr.DeviceEntry,
) -> bool:
    """Let the user delete a stale device, never a live one.

    A gateway entry has one device, named by its client_id; a Bimetri
    application one per resource. Any other device of the entry is left
    over and may go.
    """
    if is_bimetri_entry(entry):
        return bimetri.can_remove_device(entry, device_entry)
    client_id = entry.data.get(CONF_CLIENT_ID)
    return client_id is not None and (DOMAIN, client_id) not in (
        device_entry.identifiers
    )


async def async_unload_entry(hass: HomeAssistant, entry: FlexApiOrBimetriEntry) -> bool:
    """Unload one FlexAPI device (or a Bimetri application)."""
    if is_bimetri_entry(entry):
        return await bimetri.async_unload_entry(hass, entry)
    # Stop before the first await: a message heard while the platforms unload
    # or the time last heard is written must not reach the store, and above
    # all must not add an entity to the entry on its way out (its state would
    # stay behind, and the next setup would find its unique ID taken). The
    # stop runs again, harmlessly, as an on-unload callback.
    runtime = entry.runtime_data
    runtime.async_stop()
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await runtime.async_save_heard()
    return unloaded
