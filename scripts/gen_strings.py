"""Generate the entity part of strings.json, translations/en.json and icons.json.

Entity names and enum states come from the parameter catalog, so every
parameter has exactly one English name. Run after changing the catalog:

    .venv/bin/python scripts/gen_strings.py          # rewrite the files
    .venv/bin/python scripts/gen_strings.py --check  # exit 1 if out of date
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.flexapi.protocol.catalog import CATALOG, Platform  # noqa: E402

INTEGRATION = ROOT / "custom_components" / "flexapi"

OPTION_LABELS = {
    "no_fix": "No fix",
    "dr_only": "Dead reckoning only",
    "fix_2d": "2D fix",
    "fix_3d": "3D fix",
    "gnss_dr": "GNSS and dead reckoning",
    "time_only": "Time only",
    "none": "None",
    "2g": "2G",
    "3g": "3G",
    "4g": "4G",
    "5g": "5G",
    "not_registered": "Not registered",
    "home": "Registered, home network",
    "searching": "Searching",
    "denied": "Registration denied",
    "registration_unknown": "Unknown (e.g. out of coverage)",
    "roaming": "Registered, roaming",
    "destroyed": "Destroyed",
    "created": "Created",
    "down": "Down",
    "up": "Up",
    "connected": "Connected",
    "disconnected": "Disconnected",
    "temperature": "Temperature",
    "rom_code": "ROM code",
    "temperature_rom_code": "Temperature and ROM code",
    "not_completed": "Not completed",
    "completed": "Completed",
    "ap": "Access point",
    "sta": "Station (client)",
    "not_available": "Not available",
}

#: Entities that are not one catalog parameter each.
EXTRA_NAMES: dict[str, dict[str, Any]] = {
    "sensor": {
        "gnss_datetime": {"name": "GNSS time"},
        "userdata": {"name": "User data {key}"},
        "one_wire_temperature": {"name": "Temperature {name}"},
        "last_trip_distance": {"name": "Last trip distance"},
        "last_trip_duration": {"name": "Last trip duration"},
        "trips_today": {"name": "Trips today"},
        "distance_driven": {"name": "Distance driven"},
    },
    "binary_sensor": {
        "one_wire_connected": {"name": "1-Wire bus"},
        "trip_in_progress": {"name": "Trip in progress"},
    },
    "switch": {"ext_do": {"name": "Output {output}"}},
    "device_tracker": {"location": {"name": "Location"}},
    "event": {
        "notice": {
            "name": "Notice",
            "state_attributes": {
                "event_type": {
                    "state": {
                        "di_chg_raise": "Digital input changed",
                        "di_chg_clear": "Digital input change cleared",
                        "other_raise": "Event raised",
                        "other_clear": "Event cleared",
                    }
                }
            },
        },
        "trip": {
            "name": "Trip",
            "state_attributes": {
                "event_type": {
                    "state": {
                        "trip_started": "Trip started",
                        "trip_ended": "Trip ended",
                    }
                }
            },
        },
    },
}

#: State attributes of catalog entities (the switches' pending change).
_PENDING = {
    "pending": {"name": "Change pending", "state": {"true": "Yes", "false": "No"}}
}
STATE_ATTRIBUTES: dict[str, dict[str, dict[str, Any]]] = {
    "switch": {
        "digital_output": _PENDING,
        "digital_output_pullup": _PENDING,
        "digital_input_pullup": _PENDING,
    }
}

#: Icons of the actions (services).
SERVICE_ICONS: dict[str, dict[str, str]] = {
    "set_group_settings": {"service": "mdi:tune-variant"},
    "set_custom_groups": {"service": "mdi:folder-plus-outline"},
    "get_custom_groups": {"service": "mdi:folder-search-outline"},
    "remove_custom_groups": {"service": "mdi:folder-remove-outline"},
    "refresh": {"service": "mdi:refresh"},
    "userdata_insert": {"service": "mdi:text-box-plus-outline"},
    "userdata_update": {"service": "mdi:text-box-edit-outline"},
    "userdata_delete": {"service": "mdi:text-box-remove-outline"},
    "userdata_set_interest": {"service": "mdi:text-box-check-outline"},
    "userdata_get": {"service": "mdi:text-box-search-outline"},
}

ICONS: dict[str, dict[str, Any]] = {
    "sensor": {
        "gnss_speed": {"default": "mdi:speedometer"},
        "gnss_heading": {"default": "mdi:compass-outline"},
        "gnss_fix": {"default": "mdi:crosshairs-gps"},
        "gnss_num_sv": {"default": "mdi:satellite-variant"},
        "gnss_hdop": {"default": "mdi:crosshairs-question"},
        "gnss_pdop": {"default": "mdi:crosshairs-question"},
        "motion_roll": {"default": "mdi:rotate-3d-variant"},
        "motion_pitch": {"default": "mdi:rotate-3d-variant"},
        "motion_yaw": {"default": "mdi:rotate-3d-variant"},
        "analog_input": {"default": "mdi:sine-wave"},
        "obd_rpm": {"default": "mdi:engine"},
        "obd_e_load": {"default": "mdi:engine-outline"},
        "obd_f_lvl": {"default": "mdi:gas-station"},
        "obd_f_rate": {"default": "mdi:gas-station-outline"},
        "obd_odo": {"default": "mdi:counter"},
        "obd_t_dist": {"default": "mdi:map-marker-distance"},
        "obd_dtcs": {"default": "mdi:car-wrench"},
        "obd_t_pos": {"default": "mdi:gauge"},
        "obd_a_pos": {"default": "mdi:gauge"},
        "obd_vin": {"default": "mdi:car-info"},
        "modem1_signal_lvl": {"default": "mdi:signal"},
        "modem1_operator": {"default": "mdi:radio-tower"},
        "modem1_network": {"default": "mdi:signal-cellular-3"},
        "modem1_active_sim": {"default": "mdi:sim"},
        "cellular1_status": {"default": "mdi:lan-connect"},
        "cellular1_tx_bytes": {"default": "mdi:upload-network"},
        "cellular1_rx_bytes": {"default": "mdi:download-network"},
        "sysinfo_firmware_version": {"default": "mdi:chip"},
        "userdata": {"default": "mdi:text-box-outline"},
        "one_wire_rom_code": {"default": "mdi:barcode"},
        "last_trip_distance": {"default": "mdi:map-marker-distance"},
        "last_trip_duration": {"default": "mdi:timer-outline"},
        "trips_today": {"default": "mdi:counter"},
        "distance_driven": {"default": "mdi:road-variant"},
    },
    "binary_sensor": {
        "digital_input": {
            "default": "mdi:electric-switch",
            "state": {"on": "mdi:electric-switch-closed"},
        },
        "obd_brake": {"default": "mdi:car-brake-alert"},
        "obd_parking": {"default": "mdi:car-brake-parking"},
        "io_igt_status": {"default": "mdi:key-variant"},
        "trip_in_progress": {"default": "mdi:car-off", "state": {"on": "mdi:car"}},
    },
    "device_tracker": {"location": {"default": "mdi:car-connected"}},
    "event": {
        "notice": {"default": "mdi:bell-alert-outline"},
        "trip": {"default": "mdi:map-marker-path"},
    },
    "select": {
        "app_wifi_mode_2g": {"default": "mdi:wifi-cog"},
        "app_wifi_mode_5g": {"default": "mdi:wifi-cog"},
    },
    "switch": {
        "digital_output": {
            "default": "mdi:electric-switch",
            "state": {"on": "mdi:electric-switch-closed"},
        },
        "digital_output_pullup": {"default": "mdi:resistor"},
        "digital_input_pullup": {"default": "mdi:resistor"},
        "ext_do": {
            "default": "mdi:electric-switch",
            "state": {"on": "mdi:electric-switch-closed"},
        },
    },
}


#: Icons of sensors that neither ICONS nor a device class gives one, by the
#: first words of their translation key (longest match first).
ICON_BY_PREFIX: dict[str, str] = {
    "1_wire": "mdi:thermometer-lines",
    "one_wire": "mdi:identifier",
    "cellular1": "mdi:ip-network-outline",
    "forward": "mdi:code-json",
    "gnss_latitude": "mdi:latitude",
    "gnss_longitude": "mdi:longitude",
    "gnss_acc_heading": "mdi:compass-outline",
    "gnss": "mdi:crosshairs-gps",
    "modem1_submode": "mdi:signal-cellular-3",
    "modem1_cell_id": "mdi:radio-tower",
    "modem1_lac": "mdi:radio-tower",
    "modem1_phone_num": "mdi:phone",
    "modem1": "mdi:sim",
    "motion_a": "mdi:axis-arrow",
    "motion_g": "mdi:rotate-orbit",
    "obd_s_w_angle": "mdi:steering",
    "obd_d_e_f_vol": "mdi:car-coolant-level",
    "obd_f_econ": "mdi:gas-station",
    "obd": "mdi:engine",
    "sysinfo_timezone": "mdi:map-clock-outline",
    "sysinfo_language": "mdi:translate",
    "sysinfo": "mdi:information-outline",
}
EXTRA_ICONS: dict[str, dict[str, Any]] = {
    "sensor": {"userdata": {"default": "mdi:database-outline"}},
}


def entity_icons() -> dict[str, dict[str, Any]]:
    """ICONS, plus one for every sensor without its own or a device class's."""
    icons = {platform: dict(keys) for platform, keys in ICONS.items()}
    for platform, extra in EXTRA_ICONS.items():
        icons.setdefault(platform, {}).update(extra)
    sensors = icons.setdefault("sensor", {})
    prefixes = sorted(ICON_BY_PREFIX, key=len, reverse=True)
    for param in CATALOG.values():
        key = param.translation_key
        if (
            param.platform is not Platform.SENSOR
            or param.device_class
            or key in sensors
        ):
            continue
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is not None:
            sensors[key] = {"default": ICON_BY_PREFIX[prefix]}
    return {
        platform: dict(sorted(keys.items())) for platform, keys in sorted(icons.items())
    }


def entity_strings() -> dict[str, dict[str, Any]]:
    """The ``entity`` section: one name per translation key, enum states."""
    out: dict[str, dict[str, Any]] = {}
    for param in CATALOG.values():
        if param.platform is Platform.NONE:
            continue
        name = param.name
        if param.index is not None:
            name = name.replace(str(param.index), "{index}", 1)
        entry: dict[str, Any] = {"name": name}
        if param.options:
            entry["state"] = {
                slug: OPTION_LABELS[slug]
                for slug in sorted(set(param.options.values()))
            }
        out.setdefault(str(param.platform), {})[param.translation_key] = entry
    for platform, extra in EXTRA_NAMES.items():
        out.setdefault(platform, {}).update(extra)
    for platform, attributes in STATE_ATTRIBUTES.items():
        for translation_key, attribute in attributes.items():
            out[platform][translation_key]["state_attributes"] = attribute
    return {
        platform: dict(sorted(keys.items())) for platform, keys in sorted(out.items())
    }


def render() -> dict[Path, str]:
    """Every generated file and its content."""
    strings_path = INTEGRATION / "strings.json"
    strings = json.loads(strings_path.read_text(encoding="utf-8"))
    strings["entity"] = entity_strings()
    text = json.dumps(strings, indent=2, ensure_ascii=False) + "\n"
    icons = (
        json.dumps(
            {"entity": entity_icons(), "services": SERVICE_ICONS},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return {
        strings_path: text,
        INTEGRATION / "translations" / "en.json": text,
        INTEGRATION / "icons.json": icons,
    }


def main() -> int:
    """Write the files, or with --check report whether they are current."""
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in render().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path.relative_to(ROOT))
            if not check:
                path.write_text(text, encoding="utf-8")
    if check and stale:
        print("Out of date (run scripts/gen_strings.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
