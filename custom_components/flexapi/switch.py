"""Switches: a gateway's digital outputs and DO/DI pull-ups, and Bimetri ExtDO.

The state is what the gateway confirmed (io/info, summary, io/refresh and
the control response's ``result``), never what was asked for. While a
change waits for its request (io control requests are 5 s apart) or for the
answer, the switch keeps its confirmed state and says so in ``pending``.

``async_setup_entry`` dispatches on the entry kind; the Bimetri entities live
in ``bimetri_switch.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .bimetri import FlexApiOrBimetriEntry, is_bimetri_entry
from .bimetri_switch import async_setup_bimetri_entry
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
from .runtime import FlexApiRuntime

#: 0, not 1: a second switch change must reach the io queue while the first
#: waits its 5 s slot, so that both merge into one request (§2.3).
PARALLEL_UPDATES = 0
ATTR_PENDING = "pending"


@dataclass(frozen=True, kw_only=True)
class FlexApiSwitchEntityDescription(FlexApiEntityDescription, SwitchEntityDescription):
    """A FlexAPI switch: how to read its state and how to set it."""

    is_on_fn: Callable[[ParameterStore], bool | None]
    set_fn: Callable[[FlexApiRuntime, bool], Awaitable[Any]]
    pending_fn: Callable[[FlexApiRuntime], int | None]


def describe_parameter(param: Parameter) -> FlexApiSwitchEntityDescription:
    """The switch description of a controllable io catalog parameter."""
    key = param.key
    return FlexApiSwitchEntityDescription(
        **description_kwargs(param),
        is_on_fn=lambda store: store.get(key),
        set_fn=lambda runtime, on: runtime.async_io_control({key: int(on)}),
        pending_fn=lambda runtime: runtime.control.io.pending(key),
    )


class FlexApiSwitch(FlexApiEntity, SwitchEntity):
    """A digital output or pull-up of the gateway."""

    entity_description: FlexApiSwitchEntityDescription
    # Transient: not worth a row in the recorder each time a command waits.
    _unrecorded_attributes = frozenset({ATTR_PENDING})

    @property
    def is_on(self) -> bool | None:
        """The confirmed state."""
        return self.entity_description.is_on_fn(self._store)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Whether a change waits for the gateway's confirmation."""
        return {
            ATTR_PENDING: self.entity_description.pending_fn(self.runtime) is not None
        }

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on (1, high) and wait for the gateway's confirmation."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off (0, low) and wait for the gateway's confirmation."""
        await self._async_set(False)

    async def _async_set(self, on: bool) -> None:
        description = self.entity_description
        await async_call(description.set_fn(self.runtime, on), description.keys)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlexApiOrBimetriEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a gateway's switches as its outputs are first reported.

    A Bimetri application's entry gets its ExtDO switches instead.
    """
    if is_bimetri_entry(entry):
        await async_setup_bimetri_entry(hass, entry, async_add_entities)
        return
    runtime = entry.runtime_data
    async_setup_dynamic_entities(
        entry,
        async_add_entities,
        lambda key: describe_catalog_key(
            key,
            Platform.SWITCH,
            lambda param: FlexApiSwitch(runtime, describe_parameter(param)),
        ),
    )
