"""Selects: the Wi-Fi modes (access point or station) of 2.4 GHz and 5 GHz.

There is no ``app/info``: the modes are read at setup, after every change,
every 5 minutes and by the ``refresh`` action. ``-1`` (N/A) is no option.
While the gateway answers ``not_found`` (its WiFiControl app is not running)
the selects are unavailable and the reads come less often.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .control import WIFI_MODE_VALUES
from .entity import (
    FlexApiEntity,
    FlexApiEntityDescription,
    async_setup_dynamic_entities,
    describe_catalog_key,
    description_kwargs,
)
from .helpers import async_call
from .protocol.catalog import Parameter, Platform
from .protocol.store import ParameterStore
from .runtime import FlexApiConfigEntry, FlexApiRuntime

#: 0, not 1: Wi-Fi mode changes queue and merge in the app control lane,
#: which keeps the device's spacing; HA must not serialise them first.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FlexApiSelectEntityDescription(FlexApiEntityDescription, SelectEntityDescription):
    """A FlexAPI select: how to read its option and how to choose one."""

    value_fn: Callable[[ParameterStore], str | None]
    select_fn: Callable[[FlexApiRuntime, str], Awaitable[Any]]


def describe_parameter(param: Parameter) -> FlexApiSelectEntityDescription:
    """The select description of a Wi-Fi mode catalog parameter."""
    key = param.key
    options = list(WIFI_MODE_VALUES)

    def value(store: ParameterStore) -> str | None:
        option = param.option(store.get(key))
        return option if option in WIFI_MODE_VALUES else None

    return FlexApiSelectEntityDescription(
        **description_kwargs(param),
        options=options,
        value_fn=value,
        select_fn=lambda runtime, option: runtime.async_app_control(
            {key: WIFI_MODE_VALUES[option]}
        ),
    )


class FlexApiSelect(FlexApiEntity, SelectEntity):
    """A Wi-Fi mode of the gateway."""

    entity_description: FlexApiSelectEntityDescription

    @property
    def available(self) -> bool:
        """Unavailable while the gateway's WiFiControl app does not answer."""
        return super().available and not self.runtime.control.app_missing

    @property
    def current_option(self) -> str | None:
        """The confirmed mode; none for N/A (-1) or unknown."""
        return self.entity_description.value_fn(self._store)

    async def async_select_option(self, option: str) -> None:
        """Change the mode and wait for the gateway's answer."""
        description = self.entity_description
        await async_call(description.select_fn(self.runtime, option), description.keys)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlexApiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the Wi-Fi mode selects once the modes are read; poll them."""
    runtime: object = entry.runtime_data
    if not isinstance(runtime, FlexApiRuntime):
        return
    async_setup_dynamic_entities(
        entry,
        async_add_entities,
        lambda key: describe_catalog_key(
            key,
            Platform.SELECT,
            lambda param: FlexApiSelect(runtime, describe_parameter(param)),
        ),
    )
    runtime.control.async_start_app_poll()
