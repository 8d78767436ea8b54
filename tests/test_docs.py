"""The documentation is current, complete and its links lead somewhere."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import re
import sys
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
INTEGRATION = ROOT / "custom_components" / "flexapi"
PAGES = sorted(DOCS.glob("*.md"))
#: Pages the README's table of contents must link.
REQUIRED_PAGES = (
    "installation.md",
    "gateway-setup.md",
    "configuration.md",
    "entities.md",
    "actions.md",
    "automations.md",
    "bimetri.md",
    "trips.md",
    "troubleshooting.md",
    "protocol.md",
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def gen_docs() -> ModuleType:
    """scripts/gen_docs.py as a module."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(
            "gen_docs", ROOT / "scripts" / "gen_docs.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["gen_docs"] = module  # its dataclass looks itself up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return module


def test_entities_page_is_current(gen_docs: ModuleType) -> None:
    current = (DOCS / "entities.md").read_text(encoding="utf-8")
    assert current == gen_docs.render(), "run scripts/gen_docs.py"


def test_entities_page_lists_every_catalog_entity(gen_docs: ModuleType) -> None:
    """A parameter with an entity is a row, with its enabled-by-default flag."""
    from custom_components.flexapi.protocol.catalog import CATALOG, Platform

    page = (DOCS / "entities.md").read_text(encoding="utf-8")
    rows: dict[str, list[list[str]]] = {}
    for line in page.splitlines():
        if line.startswith("| `"):
            cells = line.split(" | ")
            rows.setdefault(cells[0].removeprefix("| `").removesuffix("`"), []).append(
                cells
            )
    for param in CATALOG.values():
        if param.platform is Platform.NONE:
            assert param.key not in rows, param.key
            continue
        enabled = "yes" if param.enabled_default else "**no**"
        assert [str(param.platform), enabled] in [
            cells[2:4] for cells in rows[param.key]
        ], param.key


@pytest.mark.parametrize(
    "path", [ROOT / "README.md", *PAGES], ids=lambda p: str(p.relative_to(ROOT))
)
def test_relative_links_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve()
        assert resolved.exists(), f"{path.name}: {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{path.name}: {target}"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown page."""
    anchors = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^#+ (.+)$", line):
            title = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower())
            anchors.add(title.replace(" ", "-"))
    return anchors


def test_readme_starts_with_the_two_commands_and_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "scripts/demo" in first_block
    assert "scripts/test" in first_block
    assert readme.index("scripts/demo") < readme.index("\n## ", readme.index("```"))
    for page in REQUIRED_PAGES:
        assert f"](docs/{page}" in readme, page
    for section in ("Blueprints", "Screenshots", "Performance", "Reliability"):
        assert f"\n## {section}\n" in readme, section
    assert "\n## Development" in readme


def test_every_action_is_documented_with_an_example() -> None:
    actions = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    page = (DOCS / "actions.md").read_text(encoding="utf-8")
    for action in actions:
        assert f"## `flexapi.{action}`" in page, action
        assert f"action: flexapi.{action}\n" in page, action


def test_every_option_is_documented() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    page += (DOCS / "bimetri.md").read_text(encoding="utf-8")
    page += (DOCS / "trips.md").read_text(encoding="utf-8")
    for step in strings["options"]["step"].values():
        for label in step["data"].values():
            assert label in page, label
    for field in strings["config"]["step"]["bimetri"]["data"].values():
        assert field in page, field


def test_every_troubleshooting_subject_has_a_section() -> None:
    page = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    for subject in ("device_busy", "not_found", "unauthorized", "Known limitations"):
        assert re.search(rf"^##+ .*{re.escape(subject)}", page, re.M), subject


def test_trips_page_cards() -> None:
    """The dashboard examples of docs/trips.md use the trip entities as named."""
    page = (DOCS / "trips.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", page, re.S)]
    cards = {block["type"]: block for block in blocks if "type" in block}
    statistics = cards["statistics-graph"]
    assert statistics["entities"] == ["sensor.vg1_distance_driven"]
    assert statistics["period"] == "day"
    assert statistics["stat_types"] == ["change"]
    assert "sensor.vg1_distance_driven" in cards["history-graph"]["entities"]
    for entity in ("event.vg1_trip", "binary_sensor.vg1_trip_in_progress"):
        assert f"`{entity}`" in page, entity
