"""A pytest plugin: the run fails when Home Assistant reports a deprecated API of ours.

Loaded with ``-p tests.deprecations`` (pyproject.toml), before the conftest
imports the integration: Home Assistant reports a deprecated alias when it is
imported, which happens at collection, outside any test. Most useful on the
newest release the suite runs on, where the reports of APIs that Home
Assistant will remove appear first.
"""

from __future__ import annotations

from collections.abc import Generator
import logging

import pytest


def deprecation_reports(records: list[logging.LogRecord]) -> list[str]:
    """Home Assistant's reports of a deprecated API used by this integration.

    ``report_usage`` logs "Detected that custom integration 'flexapi' …" (a
    custom integration's use is logged, not raised); the deprecation helpers
    log "The deprecated … was used from flexapi. …".
    """
    found = []
    for record in records:
        message = record.getMessage()
        if record.levelno >= logging.WARNING and (
            "integration 'flexapi'" in message
            or ("deprecated" in message and "from flexapi" in message)
        ):
            found.append(message)
    return found


class DeprecationReports(logging.Handler):
    """Collects the reports from the root logger, for the whole session."""

    def __init__(self) -> None:
        """Collect nothing yet."""
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message of a report about this integration."""
        self.found.extend(deprecation_reports([record]))


REPORTS = DeprecationReports()
logging.getLogger().addHandler(REPORTS)


def _listing(messages: list[str]) -> str:
    return "\n".join(f"  {message}" for message in dict.fromkeys(messages))


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Stop before running anything if importing the integration was reported."""
    if REPORTS.found:
        raise pytest.UsageError(
            "Home Assistant reports a deprecated API used by the integration:\n"
            + _listing(REPORTS.found)
        )


@pytest.fixture(autouse=True)
def no_deprecation_report_from_the_integration() -> Generator[None]:
    """Fail the test during which Home Assistant reported a deprecated API of ours.

    Home Assistant reports each use once per process, so the test that first
    reaches the deprecated code is the one that fails.
    """
    seen = len(REPORTS.found)
    yield
    if new := REPORTS.found[seen:]:
        pytest.fail(
            "Home Assistant reports a deprecated API used by the integration:\n"
            + _listing(new)
        )
