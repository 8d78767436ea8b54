"""Diagnostics: what the runtime knows, with personal data redacted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .bimetri import FlexApiOrBimetriEntry, is_bimetri_entry
from .protocol.catalog import CATALOG, canonical_key, lookup
from .protocol.messages import USERDATA_PREFIX

#: Catalog keys whose values identify the device, its user or its place:
#: IMEI, IMSI, ICCID, phone number, VIN, IP, position (latitude, longitude,
#: altitude, and the cell's LAC and ID), plus the MAC addresses.
SENSITIVE_KEYS = frozenset(
    {key for key, param in CATALOG.items() if param.sensitive}
    | {"sysinfo.lan_mac", "sysinfo.wlan_mac", "sysinfo.wlan_5g_mac"}
)
#: Entry data and options: every spelling of a Bimetri JWT, and any of the
#: above should an entry ever hold one.
TO_REDACT = {
    *SENSITIVE_KEYS,
    "jwt",
    "jwt_token",
    "jwtToken",
    "latitude",
    "longitude",
}
#: Trip state: every position (fixes and trip start/end points).
TRIP_TO_REDACT = {
    "start_fix",
    "end_fix",
    "last_fix",
    "anchor",
    "origin",
    "start_latitude",
    "start_longitude",
    "end_latitude",
    "end_longitude",
}
#: A Bimetri application: its token, who switched, and device MAC addresses.
BIMETRI_TO_REDACT = {"jwt", "jwtToken", "user_name", "network_id"}


def _shown(key: str) -> bool:
    """Whether a data value may appear: a known, non-personal parameter.

    Everything else is redacted: every ``userdata.*`` value (users keep
    tokens there), personal catalog keys, and keys no catalog row explains
    (an alias set by another tool may hide an IMEI or a position).
    """
    canonical = canonical_key(key)[0]
    if canonical in SENSITIVE_KEYS or canonical.startswith(USERDATA_PREFIX):
        return False
    param = lookup(canonical)
    return param is not None and not param.sensitive


def redact_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Data with every value that is not plainly harmless redacted.

    ``None`` (unknown) stays: it reveals nothing and tells a null from a value.
    """
    return {
        key: value if value is None or _shown(key) else REDACTED
        for key, value in data.items()
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FlexApiOrBimetriEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    if is_bimetri_entry(entry):
        return async_redact_data(entry.runtime_data.diagnostics(), BIMETRI_TO_REDACT)
    runtime = entry.runtime_data
    store = runtime.store
    return {
        "entry": async_redact_data(
            {"data": dict(entry.data), "options": dict(entry.options)}, TO_REDACT
        ),
        "mqtt_connected": runtime.mqtt_connected,
        "stale_groups": sorted(runtime.stale),
        "intervals": dict(runtime.freshness.intervals),
        # Interest maps name keys and their aliases, never values.
        "custom_groups": {
            name: {
                "interval": group.interval,
                "interest": dict(group.interest or {}),
            }
            for name, group in runtime.custom_groups.items()
        },
        "digit_zero_outputs": sorted(k for k, v in store.digit_zero.items() if v),
        "values": redact_values(store.values),
        # Keys only: an alias set by another tool may hide an IMEI.
        "unmapped_keys": sorted(store.unmapped),
        "recent_events": [
            {**asdict(event), "data": redact_values(event.data)}
            for event in runtime.events
        ],
        "queued_requests": {
            name: len(lane) for name, lane in runtime.client.lanes.items()
        },
        "trips": async_redact_data(runtime.trips.as_dict(), TRIP_TO_REDACT),
    }
