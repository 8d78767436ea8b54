"""Generated strings, translations and icons match the catalog and the entities."""

from __future__ import annotations

from collections.abc import Iterator
import importlib.util
import json
from pathlib import Path
import re
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from custom_components.flexapi import binary_sensor, device_tracker, event, sensor
from custom_components.flexapi.protocol.catalog import (
    CATALOG,
    Platform,
    userdata_parameter,
)

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "flexapi"
SCRIPT = ROOT / "scripts" / "gen_strings.py"
#: hassfest's rule for translation keys.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
PLACEHOLDER = re.compile(r"{(\w+)}")


def load(name: str) -> dict[str, Any]:
    """A JSON file of the integration."""
    return json.loads((INTEGRATION / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gen_strings() -> ModuleType:
    """scripts/gen_strings.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_strings", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def entity_strings() -> dict[str, dict[str, Any]]:
    """The ``entity`` section of strings.json."""
    return load("strings.json")["entity"]


def entity_translation_keys() -> dict[str, dict[str, dict[str, str] | None]]:
    """platform -> translation key -> placeholders every entity can use."""
    keys: dict[str, dict[str, dict[str, str] | None]] = {}
    for param in CATALOG.values():
        if param.platform is Platform.SENSOR:
            description = sensor.describe_parameter(param)
        elif param.platform is Platform.BINARY_SENSOR:
            description = binary_sensor.describe_parameter(param)
        else:
            continue
        keys.setdefault(str(param.platform), {})[description.translation_key] = (
            description.placeholders
        )
    userdata = sensor.describe_parameter(userdata_parameter("userdata.x"))
    keys["sensor"][userdata.translation_key] = userdata.placeholders
    # 1-wire probes are named at runtime: {name}, their tempN_name or number.
    keys["sensor"]["one_wire_temperature"] = {"name": "Inside"}
    keys["sensor"][sensor.GNSS_DATETIME.translation_key] = None
    keys["binary_sensor"][binary_sensor.ONE_WIRE_CONNECTED.translation_key] = None
    for trip_sensor in sensor.TRIP_SENSORS.values():
        keys["sensor"][trip_sensor.translation_key] = None
    keys["binary_sensor"][binary_sensor.TRIP_IN_PROGRESS.translation_key] = None
    keys["device_tracker"] = {device_tracker.TRACKER.translation_key: None}
    keys["event"] = {
        event.DESCRIPTION.translation_key: None,
        event.TRIP.translation_key: None,
    }
    return keys


def test_generated_files_are_current(gen_strings: ModuleType) -> None:
    """strings.json, translations/en.json and icons.json are what the script makes."""
    for path, text in gen_strings.render().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run scripts/gen_strings.py"
        )


def test_gen_strings_check_passes() -> None:
    """The script's own --check (as CI runs it) exits 0."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_english_translation_is_strings() -> None:
    """translations/en.json is strings.json."""
    assert load("translations/en.json") == load("strings.json")


def test_every_entity_has_a_name(entity_strings: dict[str, dict[str, Any]]) -> None:
    """Each translation key an entity uses has a name with the right placeholders."""
    problems = []
    for platform, keys in entity_translation_keys().items():
        for key, placeholders in keys.items():
            if not TRANSLATION_KEY.match(key):
                problems.append(f"{platform}.{key}: not a valid translation key")
            entry = entity_strings.get(platform, {}).get(key)
            if entry is None or not entry.get("name"):
                problems.append(f"{platform}.{key}: no name")
                continue
            used = set(PLACEHOLDER.findall(entry["name"]))
            if used != set(placeholders or {}):
                problems.append(
                    f"{platform}.{key}: name uses {used}, entity gives {placeholders}"
                )
    assert not problems, "\n".join(problems)


def test_no_unused_entity_strings(entity_strings: dict[str, dict[str, Any]]) -> None:
    """Sensor and binary sensor strings all belong to an entity (switch/select aside)."""
    used = entity_translation_keys()
    for platform in ("sensor", "binary_sensor", "device_tracker", "event"):
        assert set(entity_strings[platform]) == set(used[platform]), platform


def test_every_enum_option_has_a_state(
    entity_strings: dict[str, dict[str, Any]],
) -> None:
    """Each option of an enum sensor, and each event type, is translated."""
    problems = []
    for param in CATALOG.values():
        if param.options is None or param.platform is Platform.NONE:
            continue
        states = entity_strings[str(param.platform)][param.translation_key].get(
            "state", {}
        )
        for option in set(param.options.values()):
            if not states.get(option):
                problems.append(f"{param.key}: option {option} has no state")
    event_states = entity_strings["event"]["notice"]["state_attributes"]["event_type"][
        "state"
    ]
    assert set(event_states) == set(event.EVENT_TYPES)
    assert not problems, "\n".join(problems)


def test_icons_use_existing_translation_keys(
    entity_strings: dict[str, dict[str, Any]],
) -> None:
    """icons.json is valid JSON whose keys and states exist, with mdi icons."""
    icons = load("icons.json")
    assert set(icons) == {"entity", "services"}
    assert set(icons["services"]) == set(load("strings.json")["services"])
    for platform, keys in icons["entity"].items():
        for key, icon in keys.items():
            assert key in entity_strings.get(platform, {}), f"{platform}.{key}"
            assert icon["default"].startswith("mdi:"), f"{platform}.{key}"
            for state, state_icon in icon.get("state", {}).items():
                assert state_icon.startswith("mdi:"), f"{platform}.{key}.{state}"
                if platform in ("binary_sensor", "switch"):
                    assert state in ("on", "off"), f"{platform}.{key}.{state}"
                else:
                    assert state in entity_strings[platform][key]["state"]


def test_every_entity_has_an_icon(entity_strings: dict[str, dict[str, Any]]) -> None:
    """An icon translation, or a device class that brings its own icon."""
    icons = load("icons.json")["entity"]
    with_device_class = {
        (str(param.platform), param.translation_key)
        for param in CATALOG.values()
        if param.device_class
    } | {
        (platform, str(description.translation_key))
        for platform, description in (
            ("binary_sensor", binary_sensor.ONE_WIRE_CONNECTED),
            ("sensor", sensor.GNSS_DATETIME),
        )
        if description.device_class
    }
    missing = [
        f"{platform}.{key}"
        for platform, keys in entity_strings.items()
        for key in keys
        if key not in icons.get(platform, {})
        and (platform, key) not in with_device_class
    ]
    assert missing == []


def _keys(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """Every key of strings.json below ``path`` with its path."""
    found: list[tuple[tuple[str, ...], str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((path, key))
            found += _keys(value, (*path, key))
    return found


def test_every_translation_key_passes_hassfest() -> None:
    """Selector options, abort/error reasons, steps and exceptions are slugs.

    Field names under ``data``/``data_description`` are schema keys, not
    translation keys, and are left out (as hassfest does).
    """
    bad = [
        (path, key)
        for path, key in _keys(load("strings.json"))
        if path
        and path[-1] not in ("data", "data_description")
        and not (
            len(path) >= 2 and path[-2] in ("step",) and key in ("title", "description")
        )
        and path[-1] in ("options", "abort", "error", "step", "exceptions", "state")
        and not TRANSLATION_KEY.match(key)
    ]
    assert bad == []


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, str):
        yield node


def test_every_placeholder_is_a_plain_argument() -> None:
    """The frontend's ICU parser shows "Translation error" for ``{app name}``."""
    strings = json.loads(
        (ROOT / "custom_components/flexapi/strings.json").read_text(encoding="utf-8")
    )
    bad = [
        text
        for text in _texts(strings)
        for placeholder in re.findall(r"\{([^{}]*)\}", text)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", placeholder)
    ]
    assert bad == []
