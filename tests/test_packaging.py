"""The project stands alone, and its manifest and quality scale tell the truth."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
import yaml

from custom_components import flexapi
from custom_components.flexapi.const import DOMAIN

ROOT = Path(__file__).parents[1]
INTEGRATION = ROOT / "custom_components" / "flexapi"
#: Everything a user or contributor reads.
DOCUMENTS = [
    ROOT / "README.md",
    *(ROOT / "docs").glob("*.md"),
    *(ROOT / "benchmarks").glob("*.md"),
    *INTEGRATION.rglob("*.py"),
    *(ROOT / "simulator").rglob("*.py"),
    *(
        p
        for p in (ROOT / "scripts").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ),
    *(ROOT / "tests").rglob("*.py"),
]


def quality_scale() -> dict[str, dict[str, str]]:
    """Rule -> {status, comment}."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    return {
        name: rule if isinstance(rule, dict) else {"status": rule}
        for name, rule in rules.items()
    }


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_outside_the_project(path: Path) -> None:
    """Users have no ../shared: the project's own docs explain the protocol."""
    text = path.read_text(encoding="utf-8")
    forbidden = ("../shared", "/work/shared", "PROTOCOL" + "_NOTES", "HA" + "_NOTES")
    if path.name == Path(__file__).name:
        return  # the list above
    for needle in forbidden:
        assert needle not in text, f"{path}: {needle}"


def test_readme_links_the_protocol_notes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/protocol.md)" in readme
    notes = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    for subject in ("io.D01", "null", "client_token", "Custom topic prefix", "5G"):
        assert subject.lower() in notes.lower(), subject


def test_manifest_lists_no_own_loggers() -> None:
    """``loggers`` is for the loggers of requirements; we have none."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    assert "loggers" not in manifest
    assert manifest["requirements"] == []


def test_quality_scale_exemptions_say_why() -> None:
    for name, rule in quality_scale().items():
        if rule["status"] == "exempt":
            assert rule.get("comment"), name


def test_quality_scale_claims_only_what_the_code_does() -> None:
    rules = quality_scale()
    # An offline gateway is added anyway: nothing is tested before configuring.
    assert rules["test-before-configure"]["status"] == "exempt"
    # Bimetri resources (subentries) add their devices at once.
    assert rules["dynamic-devices"]["status"] == "done"
    # Discovery hears unprefixed topics only: it cannot learn a prefix.
    assert rules["discovery-update-info"]["status"] != "done"
    assert "empty prefix" in rules["discovery-update-info"]["comment"]
    # Device removal exists, and is what stale-devices asks for.
    assert rules["stale-devices"]["status"] == "done"
    assert callable(getattr(flexapi, "async_remove_config_entry_device", None))
    # The 2026 Bronze rules: exempt while the integration has no trigger or
    # condition platform of its own.
    for name, platforms in (
        ("docs-triggers", ("device_trigger.py", "trigger.py")),
        ("docs-conditions", ("device_condition.py", "condition.py")),
    ):
        own = any((INTEGRATION / platform).exists() for platform in platforms)
        assert rules[name]["status"] == ("done" if own else "exempt"), name
    # Without actions, every action rule is exempt, not todo or done.
    has_actions = (INTEGRATION / "services.yaml").exists()
    for name in ("action-setup", "action-exceptions", "docs-actions"):
        expected = {"done"} if has_actions else {"exempt"}
        assert rules[name]["status"] in expected, name


async def test_actions_are_registered_without_any_entry(hass: HomeAssistant) -> None:
    """action-setup: ``async_setup`` registers every described action.

    They exist with no entry at all (an automation that names a gateway
    not set up yet gets a clear error, not "action not found").
    """
    assert "actions" in (flexapi.async_setup.__doc__ or "")
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert not hass.config_entries.async_entries(DOMAIN)
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert set(registered) == set(described)
