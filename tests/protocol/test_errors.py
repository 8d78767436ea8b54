"""Tests of protocol/errors.py and protocol/limits.py (§2.1.2, §2.3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.flexapi.protocol import limits
from custom_components.flexapi.protocol.errors import (
    ERROR_MEANINGS,
    RETRYABLE_CODES,
    ErrorCode,
    FlexApiError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiTimeoutError,
    FlexApiValueError,
)

STRINGS = Path(__file__).parents[2] / "custom_components" / "flexapi" / "strings.json"


def test_every_code_has_a_meaning() -> None:
    assert ERROR_MEANINGS.keys() == set(ErrorCode)
    assert all(meaning.strip() for meaning in ERROR_MEANINGS.values())


def test_response_error_keeps_code_description_and_meaning() -> None:
    error = FlexApiResponseError("device_busy", "Device is busy")
    assert (error.code, error.description) == ("device_busy", "Device is busy")
    assert error.meaning == ERROR_MEANINGS[ErrorCode.DEVICE_BUSY]
    assert str(error) == f"device_busy: {error.meaning}"


def test_response_error_without_description() -> None:
    error = FlexApiResponseError("not_found")
    assert error.description == ""
    assert "enabled and running" in error.meaning  # §2.1.2 error handling


@pytest.mark.parametrize(
    "error",
    [
        FlexApiValueError("x"),
        FlexApiResponseError("x"),
        FlexApiTimeoutError("x"),
        FlexApiStoppedError(),
    ],
)
def test_hierarchy(error: Exception) -> None:
    assert isinstance(error, FlexApiError)


def test_value_error_is_a_value_error() -> None:
    assert issubclass(FlexApiValueError, ValueError)


def test_limits() -> None:
    # §2.3 and §3.2.1
    assert limits.MIN_REQUEST_SPACING == 1.0
    assert limits.MIN_IO_CONTROL_SPACING == 5.0
    assert limits.MAX_CLIENT_ID_BYTES == 128
    assert limits.MAX_TOKEN_BYTES == 256
    assert limits.MAX_CUSTOM_GROUPS == 16
    assert limits.MAX_GROUP_ITEMS == 256
    assert (limits.MIN_INTERVAL, limits.MAX_INTERVAL) == (0, 3600)


def test_retryable_codes_are_those_the_spec_says_to_retry() -> None:
    # §2.1.2: "retry request".
    assert {"device_busy", "device_error", "data_invalid"} == RETRYABLE_CODES


def test_stopped_error_says_the_entry_is_unloading() -> None:
    error = FlexApiStoppedError()
    assert "unloading" in str(error)
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    assert "unloading" in strings["exceptions"][error.translation_key]["message"]
