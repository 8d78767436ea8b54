"""The protocol layer is pure: no Home Assistant instance per test.

tests/conftest.py makes every test start Home Assistant (autouse fixtures that
need ``hass``). These tests never touch it, so the fixtures are replaced here
by no-ops, which keeps the whole suite well under a second.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No Home Assistant, so no custom integrations to enable."""


@pytest.fixture(autouse=True)
def auto_mock_hass_config() -> None:
    """No Home Assistant, so no configuration.yaml to mock."""


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """No event loop: every test here is synchronous."""


@pytest.fixture(autouse=True)
def verify_cleanup() -> None:
    """Nothing to clean up: no loop, no tasks, no threads, no Home Assistant."""


@pytest.fixture(autouse=True, scope="module")
def garbage_collection() -> None:
    """No asyncio objects to collect between modules."""
