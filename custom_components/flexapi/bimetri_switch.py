"""Bimetri ExtDO outputs as switches confirmed by notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .bimetri import BimetriConfigEntry, BimetriRuntime, OutputState, Resource

#: 0: commands to several outputs go out at once; the platform confirms
#: each through its own notification.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class BimetriSwitchEntityDescription(SwitchEntityDescription):
    """An ExtDO output: how its state and attributes are read."""

    is_on_fn: Callable[[OutputState], bool | None]
    attributes_fn: Callable[[OutputState], dict[str, Any]]


ATTR_USER_NAME = "user_name"
ATTR_CORRELATION_ID = "correlation_id"
ATTR_PENDING_CORRELATION_ID = "pending_correlation_id"
ATTR_PENDING_SINCE = "pending_since"
ATTR_LAST_COMMAND_RESULT = "last_command_result"


def _attributes(state: OutputState) -> dict[str, Any]:
    return {
        ATTR_USER_NAME: state.user_name,
        ATTR_CORRELATION_ID: state.correlation_id,
        ATTR_PENDING_CORRELATION_ID: state.pending_correlation_id,
        ATTR_PENDING_SINCE: state.pending_since.isoformat()
        if state.pending_since
        else None,
        ATTR_LAST_COMMAND_RESULT: state.last_command_result,
    }


EXT_DO = BimetriSwitchEntityDescription(
    key="ext_do",
    translation_key="ext_do",
    is_on_fn=lambda state: state.is_on,
    attributes_fn=_attributes,
)


async def async_setup_bimetri_entry(
    hass: HomeAssistant,
    entry: BimetriConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One switch per configured output, added to its resource's subentry."""
    runtime = entry.runtime_data
    expected = {
        runtime.output_unique_id(resource.resource_id, output)
        for resource in runtime.resources.values()
        for output in resource.outputs
    }
    registry = er.async_get(hass)
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        # An output removed from its resource: its switch goes with it.
        if registered.domain == "switch" and registered.unique_id not in expected:
            registry.async_remove(registered.entity_id)
    for resource in runtime.resources.values():
        async_add_entities(
            [BimetriSwitch(runtime, resource, output) for output in resource.outputs],
            config_subentry_id=resource.subentry_id,
        )


class BimetriSwitch(RestoreEntity, SwitchEntity):
    """An external digital output; notifications are the truth."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: BimetriSwitchEntityDescription
    # Transient, one value per command: not worth a recorder row each. Who
    # switched (user_name) is history, and is recorded.
    _unrecorded_attributes = frozenset(
        {
            ATTR_CORRELATION_ID,
            ATTR_PENDING_CORRELATION_ID,
            ATTR_PENDING_SINCE,
            ATTR_LAST_COMMAND_RESULT,
        }
    )

    def __init__(
        self, runtime: BimetriRuntime, resource: Resource, output: int
    ) -> None:
        """Bind the switch to its resource and output."""
        self.runtime = runtime
        self.entity_description = EXT_DO
        self._key = (resource.resource_id, output)
        self._attr_unique_id = runtime.output_unique_id(resource.resource_id, output)
        self._attr_translation_placeholders = {"output": str(output)}
        self._attr_device_info = DeviceInfo(
            identifiers={runtime.device_identifier(resource.resource_id)}
        )

    @property
    def _state(self) -> OutputState:
        return self.runtime.states.get(self._key, OutputState())

    @property
    def available(self) -> bool:
        """MQTT is connected."""
        return self.runtime.mqtt_connected

    @property
    def is_on(self) -> bool | None:
        """The state of the last notification (or the restored one)."""
        return self.entity_description.is_on_fn(self._state)

    @property
    def assumed_state(self) -> bool:
        """Restored after a restart; no notification since."""
        return self._state.assumed

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Who switched it last, and the pending command if any."""
        return self.entity_description.attributes_fn(self._state)

    async def async_added_to_hass(self) -> None:
        """Restore the last confirmed state; follow the runtime."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state in (
            STATE_ON,
            "off",
        ):
            self.runtime.restore(self._key, last.state == STATE_ON)
        self.async_on_remove(
            self.runtime.async_add_listener(self._key, self.async_write_ha_state)
        )

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Ask for the output to close; the notification confirms it."""
        await self.runtime.async_set_output(*self._key, on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Ask for the output to open; the notification confirms it."""
        await self.runtime.async_set_output(*self._key, on=False)
