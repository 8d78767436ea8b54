"""What differs between the Home Assistant releases this integration supports.

The integration supports Home Assistant 2025.4 and newer. Where a newer release
added or replaced an API that the integration uses, the difference is handled
here, once, and the rest of the code calls these helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components import mqtt

# The device tracker's entity classes, from the package: the old home
# (``device_tracker.config_entry``) is a deprecated alias since 2026.x, removed
# in 2027.6. 2025.4 imports them into the package without re-exporting them
# explicitly, which only the type checker minds.
from homeassistant.components.device_tracker import (  # type: ignore[attr-defined]
    TrackerEntity,
    TrackerEntityDescription,
)
from homeassistant.core import CALLBACK_TYPE
from homeassistant.helpers import device_registry as dr

__all__ = [
    "TrackerEntity",
    "TrackerEntityDescription",
    "device_config_entry_ids",
    "on_subscribe_done",
]


def on_subscribe_done() -> Callable[..., CALLBACK_TYPE] | None:
    """``mqtt.async_on_subscribe_done``, or ``None`` before 2025.12.

    It tells when the broker has acknowledged a subscription; older releases
    wait a fixed settle time instead.
    """
    hook: Callable[..., CALLBACK_TYPE] | None = getattr(
        mqtt, "async_on_subscribe_done", None
    )
    return hook


def device_config_entry_ids(device: dr.DeviceEntry) -> set[str]:
    """The config entries that own ``device``.

    Since 2026.8 a device belongs to exactly one config entry
    (``DeviceEntry.config_entry_id``) and the older ``config_entries`` set is
    deprecated; before, a device could belong to several.
    """
    entry_id: Any = getattr(device, "config_entry_id", None)
    if isinstance(entry_id, str):
        return {entry_id}
    return set(device.config_entries)
