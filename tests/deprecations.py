"""A pytest plugin: the run fails when Home Assistant reports a deprecated API of ours.

Loaded with ``-p tests.deprecations`` (pyproject.toml), before the conftest
imports the integration: Home Assistant reports a deprecated alias when it is
imported, which happens at collection, outside any test. Most useful on the
newest release the suite runs on, where the reports of APIs that Home
Assistant will remove appear first.
"""

from __future__ import annotations

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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when Home Assistant reported a deprecated API of ours."""
    if not REPORTS.found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for message in dict.fromkeys(REPORTS.found):
        if reporter is not None:
            reporter.write_line(f"DEPRECATED API IN USE: {message}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
