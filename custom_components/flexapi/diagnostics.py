"""Diagnostics: what the runtime knows, with personal data redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .bimetri import is_bimetri_entry
from .protocol.catalog import CATALOG
from .runtime import FlexApiConfigEntry

#: IMEI, IMSI, ICCID, phone number, location, VIN, IP (from the catalog), the
#: MAC addresses, and every spelling of a Bimetri JWT.
TO_REDACT = {key for key, param in CATALOG.items() if param.sensitive} | {
    "sysinfo.lan_mac",
    "sysinfo.wlan_mac",
    "sysinfo.wlan_5g_mac",
    "jwt",
    "jwt_token",
    "jwtToken",
    "latitude",
    "longitude",
}
#: A Bimetri application: its token, who switched, and device MAC addresses.
BIMETRI_TO_REDACT = {"jwt", "jwtToken", "user_name", "network_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FlexApiConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    if is_bimetri_entry(entry):
        return async_redact_data(entry.runtime_data.diagnostics(), BIMETRI_TO_REDACT)
    runtime = entry.runtime_data
    store = runtime.store
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "mqtt_connected": runtime.mqtt_connected,
            "stale_groups": sorted(runtime.stale),
            "intervals": dict(runtime.freshness.intervals),
            "custom_groups": {
                name: {
                    "interval": group.interval,
                    "interest": dict(group.interest or {}),
                }
                for name, group in runtime.custom_groups.items()
            },
            "digit_zero_outputs": sorted(k for k, v in store.digit_zero.items() if v),
            "values": dict(store.values),
            # Keys only: an alias set by another tool may hide an IMEI.
            "unmapped_keys": sorted(store.unmapped),
            "recent_events": [asdict(event) for event in runtime.events],
            "queued_requests": {
                name: len(lane) for name, lane in runtime.client.lanes.items()
            },
        },
        TO_REDACT,
    )
