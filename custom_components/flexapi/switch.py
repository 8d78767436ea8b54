"""Switches: FlexAPI digital outputs, and Bimetri ExtDO outputs.

``async_setup_entry`` dispatches on the entry kind; the Bimetri entities live
in ``bimetri_switch.py``.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .bimetri import is_bimetri_entry
from .bimetri_switch import async_setup_bimetri_entry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the switches of a FlexAPI gateway or a Bimetri application."""
    if is_bimetri_entry(entry):
        await async_setup_bimetri_entry(hass, entry, async_add_entities)
        return
    # FlexAPI gateway digital outputs: see issue 8 (written in this module).
