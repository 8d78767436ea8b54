"""What the suite expects differently on the Home Assistant versions it runs on.

The suite runs on Home Assistant 2025.4 (``.venv``, the oldest supported
release) and 2026.10 (``.venv-next``, the newest the test plugin pins).
Where Home Assistant itself changed its output, a test branches explicitly on
``homeassistant.const.__version__`` through one of these flags; each names the
change and the release that made it (read from Home Assistant's code).
"""

from __future__ import annotations

from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

HA = AwesomeVersion(HA_VERSION)


def since(release: str) -> bool:
    """Whether the running Home Assistant is ``release`` or newer."""
    return AwesomeVersion(HA_VERSION) >= AwesomeVersion(release)


#: 2025.6: a sensor with a device class and no suggested precision gets a
#: default display precision in its registry options, and a converted value is
#: no longer rounded in the state (``1010.0`` hPa, not ``1010``).
SENSOR_DEFAULT_PRECISION = since("2025.6.0")

#: 2025.12: ``mqtt.async_on_subscribe_done`` tells when a subscription is live.
MQTT_SUBSCRIBE_DONE = since("2025.12.0")

#: 2026.8: a device belongs to one config entry (``DeviceEntry.config_entry_id``);
#: ``config_entries``, ``async_get_device`` and ``devices`` as a mapping are
#: deprecated (reported as errors in tests).
SINGLE_CONFIG_ENTRY_DEVICES = hasattr(dr.DeviceRegistry, "async_get_devices")

#: The running release, e.g. ``2026.10``.
HA_RELEASE = f"{HA.major}.{HA.minor}"
#: Snapshot directory, next to the test file, of the running release: the
#: registry entries and states HA serialises differ between releases (2026.2
#: entries have ``object_id_base`` and ``suggested_object_id``; 2025.6 added
#: default display precisions).
#: Not the plugin's default ``snapshots``: syrupy's --snapshot-update would
#: delete another release's snapshots there as unused.
SNAPSHOT_DIR = f"snapshots-ha{HA_RELEASE}"


def device_by_identifier(
    hass: HomeAssistant, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """The device with ``identifier``, through the API of the running release.

    2026.8 deprecated ``async_get_device`` (identifiers are unique per config
    entry only) for ``async_get_devices``.
    """
    registry = dr.async_get(hass)
    if SINGLE_CONFIG_ENTRY_DEVICES:
        found: list[dr.DeviceEntry] = registry.async_get_devices(
            identifiers={identifier}
        )
        assert len(found) <= 1, found
        return found[0] if found else None
    return registry.async_get_device(identifiers={identifier})


def all_devices(hass: HomeAssistant) -> list[dr.DeviceEntry]:
    """Every device in the registry (2026.8 deprecated ``devices`` as a mapping)."""
    devices: Any = dr.async_get(hass).devices
    if SINGLE_CONFIG_ENTRY_DEVICES:
        return list(devices)
    return list(devices.values())


def device_subentry_ids(device: dr.DeviceEntry) -> dict[str, set[str | None]]:
    """Config entry → subentries of ``device`` (2026.8: ``config_subentry_id``)."""
    entry_id: Any = getattr(device, "config_entry_id", None)
    if isinstance(entry_id, str):
        return {entry_id: {device.config_subentry_id}}  # type: ignore[attr-defined]
    return {key: set(value) for key, value in device.config_entries_subentries.items()}


async def process_repairs_platforms(hass: HomeAssistant) -> None:
    """Load the repairs platforms (2026.x loads them lazily, on first use)."""
    try:
        from homeassistant.components.repairs.issue_handler import (
            async_process_repairs_platforms,
        )
    except ImportError:
        await hass.async_block_till_done()
        return
    await async_process_repairs_platforms(hass)


async def remove_device(client: Any, device_id: str, entry_id: str) -> Any:
    """Remove a device over the websocket (2026.x: one config entry, no entry id)."""
    if SINGLE_CONFIG_ENTRY_DEVICES:
        return await client.remove_device(device_id)
    return await client.remove_device(device_id, entry_id)
