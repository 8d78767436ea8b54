"""FlexAPI protocol constants: JSON types, limits, error codes and responses."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

type JsonScalar = str | int | float | bool | None
type JsonValue = JsonScalar | list[JsonValue] | dict[str, JsonValue]
type JsonObject = dict[str, JsonValue]

# Limits (FlexAPI reference §2.3; see docs/protocol.md).
SETTINGS_MIN_GAP_S: Final = 1.0
CONTROL_MIN_GAP_S: Final = 5.0
RATE_SLACK_S: Final = 0.05
MAX_CLIENT_ID_BYTES: Final = 128
MAX_TOKEN_BYTES: Final = 256
MAX_CUSTOM_GROUPS: Final = 16
MAX_ITEMS_PER_GROUP: Final = 256
MAX_GROUP_NAME_BYTES: Final = 128
INTERVAL_MIN_S: Final = 0
INTERVAL_MAX_S: Final = 3600
DEFAULT_INTERVAL_S: Final = 10
CELLULAR_DEFAULT_INTERVAL_S: Final = 30

TOPIC_FORBIDDEN_CHARS: Final = frozenset("+#/")


class ErrorCode(StrEnum):
    """Error codes of rev 1.0.8 (§2.1.2) and the ones rev 1.0.9 adds."""

    AUTH_FAILED = "auth_failed"
    INVALID_PARAMETER = "invalid_parameter"
    NOT_FOUND = "not_found"
    DEVICE_BUSY = "device_busy"
    DEVICE_ERROR = "device_error"
    DATA_INVALID = "data_invalid"
    INVALID_TOKEN = "invalid_token"
    DATA_EMPTY = "data_empty"
    OVER_GROUP_NUM = "over_group_num"
    OVER_DATA_NUM = "over_data_num"
    FIND_SAME_KEY = "find_same_key"
    INTERVAL_INVALID = "interval_invalid"
    NOT_SUPPORT = "not_support"

    @property
    def description(self) -> str:
        """Return the human readable ``error_desc`` for this code."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: Final[dict[ErrorCode, str]] = {
    ErrorCode.AUTH_FAILED: "authentication failed",
    ErrorCode.INVALID_PARAMETER: "Invalid request parameter",
    ErrorCode.NOT_FOUND: "resource not exist",
    ErrorCode.DEVICE_BUSY: "device busy",
    ErrorCode.DEVICE_ERROR: "device internal error",
    ErrorCode.DATA_INVALID: "resource invalid",
    ErrorCode.INVALID_TOKEN: "token non-existent or expired",
    ErrorCode.DATA_EMPTY: "requested resource is empty",
    ErrorCode.OVER_GROUP_NUM: "too many groups",
    ErrorCode.OVER_DATA_NUM: "too many keys of interest",
    ErrorCode.FIND_SAME_KEY: "cannot insert the same key",
    ErrorCode.INTERVAL_INVALID: "interval out of range",
    ErrorCode.NOT_SUPPORT: "operation not supported",
}


class RequestError(Exception):
    """A request failed; the device answers with ``code``."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        """Create the error; ``detail`` is only logged, never sent."""
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail


class Message(NamedTuple):
    """One MQTT publication: full topic and JSON payload."""

    topic: str
    payload: JsonObject


def ok_response(token: str, result: JsonValue) -> JsonObject:
    """Build a success response body."""
    return {"client_token": token, "result": result}


def error_response(token: str | None, code: ErrorCode) -> JsonObject:
    """Build an error response body; the token is left out when unknown."""
    body: JsonObject = {}
    if token is not None:
        body["client_token"] = token
    body["error"] = code.value
    body["error_desc"] = code.description
    return body


def has_forbidden_topic_chars(text: str) -> bool:
    """Return True when ``text`` cannot be used as one MQTT topic level."""
    return any(char in TOPIC_FORBIDDEN_CHARS for char in text)
