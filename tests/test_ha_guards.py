"""Guards against what newer Home Assistant releases (up to 2026.12) reject.

Read from Home Assistant's code (2026.3-2026.11 need Python 3.14 and do not run
here), checked on every release the suite runs on: mostly by reading the
integration's source, since the older releases accept the old way. Each
checker is also run on small samples, so that it is seen to catch the old way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
import logging
from pathlib import Path
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, selector, service
from homeassistant.util.yaml import parse_yaml
import pytest
import voluptuous as vol

from custom_components.flexapi.const import DOMAIN
from custom_components.flexapi.device_tracker import FlexApiTracker
from tests.compat import SINGLE_CONFIG_ENTRY_DEVICES
from tests.conftest import device_ownership_problems
from tests.deprecations import deprecation_reports
from tests.helpers import make_entry

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "flexapi"


def package_sources() -> dict[str, str]:
    """Every module of the integration: path relative to the repo -> source."""
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(INTEGRATION.rglob("*.py"))
    }


def calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    """Calls of a function or method called ``name``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else None
            if isinstance(func, ast.Name):
                called = func.id
            if called == name:
                yield node


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    """The keyword argument ``name`` of ``call``, if given."""
    return next((kw for kw in call.keywords if kw.arg == name), None)


def where(path: str, node: ast.AST) -> str:
    """``path:line``."""
    return f"{path}:{getattr(node, 'lineno', '?')}"


# -- 2026.12: no flow reloads an entry that has an update listener -------------


def flow_reload_violations(sources: dict[str, str]) -> list[str]:
    """Flow reloads that HA 2026.12 refuses, while the package has an update listener.

    HA logs "has an update listener and should use it for scheduling a reload"
    from 2026.3 (``breaks_in_ha_version="2026.12.0"``) for
    ``async_update_reload_and_abort`` and for ``_abort_if_unique_id_configured``
    with ``updates`` (``reload_on_update`` defaults to True). A subentry flow's
    ``async_update_reload_and_abort`` and ``OptionsFlowWithReload`` raise with an
    update listener already.
    """
    trees = {path: ast.parse(source, path) for path, source in sources.items()}
    if not any(any(calls(tree, "add_update_listener")) for tree in trees.values()):
        return []
    found = []
    for path, tree in trees.items():
        found += [
            f"{where(path, call)}: async_update_reload_and_abort"
            for call in calls(tree, "async_update_reload_and_abort")
        ]
        for call in calls(tree, "_abort_if_unique_id_configured"):
            reload_kw = keyword(call, "reload_on_update")
            has_updates = bool(call.args) or keyword(call, "updates") is not None
            reload_off = (len(call.args) > 1 and _is_false(call.args[1])) or (
                reload_kw is not None and _is_false(reload_kw.value)
            )
            if has_updates and not reload_off:
                found.append(
                    f"{where(path, call)}: _abort_if_unique_id_configured(updates=...)"
                    " without reload_on_update=False"
                )
        found += [
            f"{where(path, node)}: OptionsFlowWithReload"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "OptionsFlowWithReload"
        ]
    return found


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


LISTENER = "entry.async_on_unload(entry.add_update_listener(_updated))\n"


@pytest.mark.parametrize(
    ("source", "violations"),
    [
        (LISTENER + "self.async_update_reload_and_abort(entry, data_updates={})", 1),
        (LISTENER + "self._abort_if_unique_id_configured(updates={'a': 1})", 1),
        (LISTENER + "self._abort_if_unique_id_configured({'a': 1}, True)", 1),
        (LISTENER + "class F(OptionsFlowWithReload): pass", 1),
        (
            LISTENER + "self._abort_if_unique_id_configured("
            "updates={'a': 1}, reload_on_update=False)",
            0,
        ),
        (LISTENER + "self._abort_if_unique_id_configured({'a': 1}, False)", 0),
        (LISTENER + "self._abort_if_unique_id_configured()", 0),
        (LISTENER + "hass.config_entries.async_update_entry(entry, data={})", 0),
        # Without an update listener, the flow may reload.
        ("self.async_update_reload_and_abort(entry, data_updates={})", 0),
    ],
)
def test_flow_reload_checker(source: str, violations: int) -> None:
    assert len(flow_reload_violations({"sample.py": source})) == violations


def test_no_flow_reloads_an_entry_with_an_update_listener() -> None:
    """Flows update the entry; the update listener reloads it (HA 2026.12)."""
    assert flow_reload_violations(package_sources()) == []


# -- 2026.11: every flow result names its step ---------------------------------

STEP_RESULTS = (
    "async_show_form",
    "async_show_progress",
    "async_show_menu",
    "async_external_step",
)


def missing_step_ids(sources: dict[str, str]) -> list[str]:
    """``async_show_*`` calls without ``step_id`` (reported from HA 2026.11)."""
    found = []
    for path, source in sources.items():
        tree = ast.parse(source, path)
        for name in STEP_RESULTS:
            found += [
                f"{where(path, call)}: {name} without step_id"
                for call in calls(tree, name)
                if keyword(call, "step_id") is None
            ]
    return found


@pytest.mark.parametrize(
    ("source", "violations"),
    [
        ("self.async_show_form(data_schema=SCHEMA)", 1),
        ("self.async_show_menu(menu_options=['a'])", 1),
        ("self.async_show_progress(progress_action='x', progress_task=t)", 1),
        ("self.async_external_step(url=u)", 1),
        ("self.async_show_form(step_id='user', data_schema=SCHEMA)", 0),
        ("self.async_show_menu(step_id='user', menu_options=['a'])", 0),
        ("self.async_show_progress_done(next_step_id='pick')", 0),
    ],
)
def test_step_id_checker(source: str, violations: int) -> None:
    assert len(missing_step_ids({"sample.py": source})) == violations


def test_every_flow_result_passes_its_step_id() -> None:
    assert missing_step_ids(package_sources()) == []


# -- 2026.7: TrackerEntity.location_name is deprecated --------------------------

TRACKER_MEMBERS_NOT_TO_OVERRIDE = (
    "location_name",
    "_attr_location_name",
    "in_zones",
    "_attr_in_zones",
)


def tracker_member_overrides(sources: dict[str, str]) -> list[str]:
    """Definitions or assignments of the members HA's tracker computes itself."""
    found = []
    for path, source in sources.items():
        for node in ast.walk(ast.parse(source, path)):
            name = None
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = node.name
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                name = node.attr
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                name = node.id
            if name in TRACKER_MEMBERS_NOT_TO_OVERRIDE:
                found.append(f"{where(path, node)}: {name}")
    return found


@pytest.mark.parametrize(
    ("source", "violations"),
    [
        ("class T:\n    @property\n    def location_name(self): return 'Home'", 1),
        ("class T:\n    _attr_location_name = 'Home'", 1),
        ("self._attr_location_name = 'Home'", 1),
        ("self._attr_in_zones = ['zone.home']", 1),
        ("self._attr_latitude = 1.0\nself._attr_longitude = 2.0", 0),
        ("name = state.attributes.get('location_name')", 0),
    ],
)
def test_tracker_member_checker(source: str, violations: int) -> None:
    assert len(tracker_member_overrides({"sample.py": source})) == violations


def test_tracker_reports_latitude_and_longitude_only() -> None:
    """No deprecated ``location_name``, no zones: HA derives both from the fix."""
    assert tracker_member_overrides(package_sources()) == []
    own = [
        cls for cls in FlexApiTracker.__mro__ if cls.__module__.startswith("custom_")
    ]
    for cls in own:
        assert not set(vars(cls)) & set(TRACKER_MEMBERS_NOT_TO_OVERRIDE), cls


# -- 2026.11: DeviceInfo is a dataclass; fields by keyword ------------------------


def device_info_violations(sources: dict[str, str]) -> list[str]:
    """``DeviceInfo`` built from a mapping or filled in by key, registry ``**`` calls."""
    found = []
    for path, source in sources.items():
        tree = ast.parse(source, path)
        for call in calls(tree, "DeviceInfo"):
            if call.args or any(kw.arg is None for kw in call.keywords):
                found.append(f"{where(path, call)}: DeviceInfo(not by keyword)")
        for call in calls(tree, "async_get_or_create"):
            if any(kw.arg is None for kw in call.keywords):
                found.append(f"{where(path, call)}: async_get_or_create(**mapping)")
        holders = {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Call)
            and any(node.value is call for call in calls(node, "DeviceInfo"))
            for target in (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in holders
            ):
                found.append(f"{where(path, node)}: {node.value.id}[...] = ...")
    return found


@pytest.mark.parametrize(
    ("source", "violations"),
    [
        ("info = DeviceInfo(identifiers=ids)\ninfo['model'] = model", 1),
        ("DeviceInfo(**fields)", 1),
        ("registry.async_get_or_create(config_entry_id=e, **self.device_info)", 1),
        ("DeviceInfo(identifiers=ids, model=model)", 0),
        ("registry.async_get_or_create(config_entry_id=e, model=UNDEFINED)", 0),
    ],
)
def test_device_info_checker(source: str, violations: int) -> None:
    assert len(device_info_violations({"sample.py": source})) == violations


def test_device_info_fields_are_passed_by_keyword() -> None:
    assert device_info_violations(package_sources()) == []


# -- 2026.9: voluptuous comes from a compatible replacement ---------------------

#: What ``voluptuous`` offers from HA 2026.9, where probatio 0.13 provides it:
#: voluptuous 0.16's top-level names (``probatio._vol_shim._surface.TOP``).
VOLUPTUOUS_NAMES = frozenset(
    """
    ALLOW_EXTRA All AllInvalid And Any AnyInvalid Boolean BooleanInvalid Capitalize
    Clamp Coerce CoerceInvalid Contains ContainsInvalid Date DateInvalid Datetime
    DatetimeInvalid DefaultTo DictInvalid DirInvalid Email EmailInvalid Equal Error
    ExactSequence ExactSequenceInvalid Exclusive ExclusiveInvalid Extra FalseInvalid
    FileInvalid FqdnUrl In InInvalid Inclusive InclusiveInvalid Invalid IsDir IsFalse
    IsFile IsTrue Length LengthInvalid Literal LiteralInvalid Lower Marker Match
    MatchInvalid Maybe Msg MultipleInvalid NotEnoughValid NotIn NotInInvalid Number
    Object ObjectInvalid Optional Or PREVENT_EXTRA PathExists PathInvalid
    REMOVE_EXTRA Range RangeInvalid Remove Replace Required RequiredFieldInvalid
    ScalarInvalid Schema SchemaError Schemable Self SequenceTypeInvalid Set SetTo
    SomeOf Strip Switch Title TooManyValid TrueInvalid TypeInvalid UNDEFINED Undefined
    Union Unique Unordered Upper Url UrlInvalid ValueInvalid VirtualPathComponent
    __version__ default_factory extra message raises truth validate
    """.split()  # noqa: SIM905 (a list literal would take a hundred lines)
)


def voluptuous_violations(sources: dict[str, str]) -> list[str]:
    """Imports other than ``import voluptuous as vol`` and names it will not have."""
    found = []
    for path, source in sources.items():
        tree = ast.parse(source, path)
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "voluptuous":
                        aliases.add(alias.asname or alias.name)
                    elif alias.name.split(".")[0].startswith("voluptuous"):
                        found.append(f"{where(path, node)}: import {alias.name}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "voluptuous"
            ):
                if node.module != "voluptuous":
                    found.append(f"{where(path, node)}: from {node.module} import")
                    continue
                found += [
                    f"{where(path, node)}: voluptuous.{alias.name}"
                    for alias in node.names
                    if alias.name not in VOLUPTUOUS_NAMES
                ]
        found += [
            f"{where(path, node)}: vol.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in VOLUPTUOUS_NAMES
        ]
    return found


@pytest.mark.parametrize(
    ("source", "violations"),
    [
        ("import voluptuous_serialize", 1),
        ("from voluptuous_serialize import convert", 1),
        ("from voluptuous.humanize import humanize_error", 1),
        ("import voluptuous as vol\nvol.humanize.humanize_error(data, err)", 1),
        (
            "import voluptuous as vol\nvol.Schema({vol.Required('a'): vol.Coerce(int)})",
            0,
        ),
        ("from voluptuous import Invalid", 0),
    ],
)
def test_voluptuous_checker(source: str, violations: int) -> None:
    assert len(voluptuous_violations({"sample.py": source})) == violations


def test_only_voluptuous_itself_is_used() -> None:
    assert voluptuous_violations(package_sources()) == []


# -- 2026.11: HACS, built into HA, reads only known hacs.json keys ----------------

#: The keys HA 2026.11's built-in HACS reads from hacs.json (the rest is ignored).
HACS_KEYS = {
    "content_in_root",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "name",
    "persistent_directory",
    "zip_release",
}


def test_hacs_json_has_only_known_keys() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert {"name", "homeassistant"} <= set(hacs) <= HACS_KEYS
    assert isinstance(hacs["name"], str)
    assert hacs["name"]
    # The oldest release supported, which the suite's primary venv runs.
    assert hacs["homeassistant"] == "2025.4.0"
    assert AwesomeVersion(HA_VERSION) >= AwesomeVersion(hacs["homeassistant"])


# -- services.yaml: selectors validated on load; no device filter in a target ----


def _fields(fields: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field, including those inside sections."""
    for name, field in (fields or {}).items():
        if isinstance(field, dict) and "fields" in field:  # a section
            yield from _fields(field["fields"])
        elif isinstance(field, dict):
            yield name, field


def services_yaml_problems(text: str) -> list[str]:
    """What newer HA (selectors validated on load) or hassfest refuses."""
    data = parse_yaml(text)
    problems = []
    try:
        service._SERVICES_SCHEMA(data)
    except vol.Invalid as err:
        problems.append(f"services.yaml: {err}")
    if not isinstance(data, dict):
        return [*problems, "services.yaml: not a mapping of actions"]
    for action, description in data.items():
        if not isinstance(description, dict):
            continue
        target = description.get("target")
        if isinstance(target, dict) and "device" in target:
            problems.append(f"{action}: device filter inside its target")
        for name, field in _fields(description.get("fields") or {}):
            if "selector" not in field:
                continue
            config = field["selector"]
            try:
                selector.validate_selector(config)
            except (vol.Invalid, KeyError, TypeError, ValueError) as err:
                problems.append(f"{action}.{name}: invalid selector: {err}")
                continue
            inner = config.get("target") if isinstance(config, dict) else None
            if isinstance(inner, dict) and "device" in inner:
                problems.append(f"{action}.{name}: device filter inside a target")
    return problems


GOOD_SERVICES = """
set_output:
  target:
    entity:
      integration: flexapi
      domain: switch
  fields:
    duration:
      required: true
      selector:
        number:
          min: 1
          max: 3600
          unit_of_measurement: s
    advanced:
      collapsed: true
      fields:
        mode:
          selector:
            select:
              options: [pulse, hold]
    gateway:
      selector:
        device:
          integration: flexapi
"""


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (GOOD_SERVICES, True),
        ("act:\n  target:\n    device:\n      integration: flexapi\n", False),
        (
            "act:\n  fields:\n    where:\n      selector:\n        target:\n"
            "          device:\n            integration: flexapi\n",
            False,
        ),
        (
            "act:\n  fields:\n    x:\n      selector:\n        no_such_selector:\n",
            False,
        ),
        (
            "act:\n  fields:\n    x:\n      selector:\n        number:\n"
            "          min: high\n",
            False,
        ),
    ],
)
def test_services_yaml_checker(text: str, valid: bool) -> None:
    """(Newer HA's own loader reports a bad selector too: counts differ.)"""
    assert (services_yaml_problems(text) == []) is valid


def test_services_yaml_selectors_are_valid() -> None:
    path = INTEGRATION / "services.yaml"
    if not path.exists():
        pytest.skip("the integration has no services.yaml")
    assert services_yaml_problems(path.read_text(encoding="utf-8")) == []


# -- 2026.8: a device has one config entry and at most one subentry --------------


@pytest.mark.skipif(
    SINGLE_CONFIG_ENTRY_DEVICES,
    reason="2026.8+ gives a device one config entry: HA itself enforces it",
)
async def test_device_ownership_checker(hass: HomeAssistant) -> None:
    """The conftest check (run after every test) sees a device of two entries."""
    first, second = make_entry("VG1"), make_entry("VG2")
    first.add_to_hass(hass)
    second.add_to_hass(hass)
    registry = dr.async_get(hass)
    for entry in (first, second):
        device = registry.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, "VG1")}
        )
    assert device.config_entries == {first.entry_id, second.entry_id}  # 2025.4
    assert len(device_ownership_problems(hass)) == 1
    registry.async_update_device(device.id, remove_config_entry_id=second.entry_id)
    assert device_ownership_problems(hass) == []


@pytest.mark.parametrize(
    ("message", "reported"),
    [
        (
            "Detected that custom integration 'flexapi' accesses"
            " `DeviceEntry.config_entries`, which is deprecated at"
            " custom_components/flexapi/services.py, line 125: device.config_entries."
            " This will stop working in Home Assistant 2027.10.0, please report it",
            True,
        ),
        (
            "TrackerEntity was used from flexapi, this is a deprecated alias which"
            " will be removed in HA Core 2027.6. Use TrackerEntity instead",
            True,
        ),
        ("Detected that custom integration 'other' calls a deprecated API", False),
        ("VG1: the gateway answered auth_failed", False),
    ],
)
def test_deprecation_report_checker(message: str, reported: bool) -> None:
    """The session's check (tests/deprecations.py) sees HA's reports about us only."""
    record = logging.LogRecord(
        "homeassistant.helpers.frame", logging.WARNING, __file__, 1, message, (), None
    )
    assert (deprecation_reports([record]) != []) is reported
