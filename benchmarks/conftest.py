"""Fixtures for the benchmarks: the ones the tests use, from tests/conftest.py."""

from __future__ import annotations

from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.conftest import (  # noqa: E402
    auto_enable_custom_integrations,
    auto_mock_hass_config,
    mqtt_mock,
)

__all__ = ["auto_enable_custom_integrations", "auto_mock_hass_config", "mqtt_mock"]
