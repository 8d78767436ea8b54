"""Repair issue: a configured gateway silent for more than a day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flexapi.const import DOMAIN
from custom_components.flexapi.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import FlexApiDevice

HOUR = 3600.0
#: The check runs every 10 minutes: an issue may come up to that late.
CHECK = 600.0


def issue_id(entry: MockConfigEntry) -> str:
    """The silent-gateway issue of ``entry``."""
    return f"gateway_silent_{entry.entry_id}"


def stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """What the entry's store holds."""
    data: dict[str, Any] = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    return data


async def test_issue_after_a_day_of_silence_and_gone_when_heard(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    await gateway.info("obd", {"obd.rpm": 1000})
    await gateway.advance(24 * HOUR - CHECK)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry)) is None
    # Another upload restarts the count.
    await gateway.info("obd", {"obd.rpm": 1100})
    await gateway.advance(24 * HOUR - CHECK)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry)) is None

    await gateway.advance(2 * CHECK)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry))
    assert issue is not None
    assert issue.translation_key == "gateway_silent"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["name"] == "VG1"

    # Anything from the gateway clears it at once, here an identical upload.
    await gateway.info("obd", {"obd.rpm": 1100})
    assert issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry)) is None


async def test_a_gateway_never_heard_counts_from_its_first_start(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    await gateway.advance(24 * HOUR - CHECK)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry)) is None
    await gateway.advance(2 * CHECK)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry))
    # An event counts as being heard.
    await gateway.send(
        "event/notice",
        {"starts_at": 1700000000, "status": "raise", "type": "DI_CHG", "io.DI1": 1},
    )
    assert issue_registry.async_get_issue(DOMAIN, issue_id(flexapi_entry)) is None


async def test_silence_is_counted_across_restarts(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    flexapi_config_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """The time last heard is stored; a restart neither resets nor loses it."""
    entry = await setup_flexapi()
    await gateway.info("obd", {"obd.rpm": 1000})
    heard = time.time()
    # Written within the hour, without waiting for an unload.
    await gateway.advance(HOUR + 1)
    assert stored(hass_storage, entry)["last_heard"] == heard

    await gateway.advance(12 * HOUR)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert stored(hass_storage, entry)["last_heard"] == heard
    # Home Assistant is down for another 12 hours: silent for a day on start,
    # raised at the first check (a gateway that reports is heard before it).
    await gateway.advance(12 * HOUR)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry)) is None
    await gateway.advance(CHECK)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(entry))
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["last_heard"].startswith(
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(heard))
    )

    await gateway.info("obd", {"obd.rpm": 1200})
    heard_again = time.time()
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry)) is None
    # Unloading writes the latest time and takes the issue away.
    await gateway.advance(25 * HOUR)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry)) is None
    assert stored(hass_storage, entry)["last_heard"] == heard_again


async def test_stored_settings_survive_next_to_the_time_heard(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    flexapi_config_entry: MockConfigEntry,
) -> None:
    """Storage written before this change (no time heard) counts from now."""
    hass_storage[f"{DOMAIN}.{flexapi_config_entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.{flexapi_config_entry.entry_id}",
        "data": {
            "settings": {"gnss": {"interval": 60}},
            "custom_groups": {},
        },
    }
    entry = await setup_flexapi()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["intervals"]["gnss"] == 60
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry)) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    data = stored(hass_storage, entry)
    assert data["settings"] == {"gnss": {"interval": 60}}
    assert data["last_heard"] == time.time()


async def test_a_gateway_heard_soon_after_a_restart_raises_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    flexapi_config_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """Last heard two days ago (Home Assistant was off): no issue if it reports."""
    key = f"{DOMAIN}.{flexapi_config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {
            "settings": {},
            "custom_groups": {},
            "last_heard": time.time() - 48 * HOUR,
        },
    }
    entry = await setup_flexapi()
    await gateway.advance(60)
    await gateway.info("obd", {"obd.rpm": 1000})
    await gateway.advance(CHECK)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry)) is None
    # A day of silence after it does.
    await gateway.advance(24 * HOUR + CHECK)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry))
