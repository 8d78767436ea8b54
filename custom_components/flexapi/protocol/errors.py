"""Exceptions and error codes of the FlexAPI protocol layer."""

from __future__ import annotations

from enum import StrEnum


class FlexApiError(Exception):
    """Base class of every protocol-layer error."""


class FlexApiValueError(FlexApiError, ValueError):
    """A value we were asked to send is invalid (name, interval, interest...).

    ``reason`` names the rule broken (``duplicate_alias``...) and
    ``placeholders`` what broke it, for callers that explain it in their
    own words (Home Assistant's translated errors).
    """

    def __init__(
        self, message: str, reason: str | None = None, **placeholders: str
    ) -> None:
        """Keep the message, the rule broken and what broke it."""
        self.reason = reason
        self.placeholders = placeholders
        super().__init__(message)


class ErrorCode(StrEnum):
    """Error codes of rev 1.0.8 (§2.1.2) and rev 1.0.9."""

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


#: §2.1.2: codes whose error handling is "retry request".
RETRYABLE_CODES: frozenset[str] = frozenset(
    {ErrorCode.DEVICE_BUSY, ErrorCode.DEVICE_ERROR, ErrorCode.DATA_INVALID}
)


#: What each code means for a user, and what to do about it.
ERROR_MEANINGS: dict[str, str] = {
    ErrorCode.AUTH_FAILED: "authentication failed; check the MQTT credentials",
    ErrorCode.INVALID_PARAMETER: "the gateway rejected a request parameter",
    ErrorCode.NOT_FOUND: (
        "the resource does not exist; make sure the related service is "
        "enabled and running on the gateway"
    ),
    ErrorCode.DEVICE_BUSY: "the gateway is busy; retry later",
    ErrorCode.DEVICE_ERROR: "the gateway reported an internal error; retry later",
    ErrorCode.DATA_INVALID: "the gateway reported the resource as invalid",
    ErrorCode.INVALID_TOKEN: "the client token does not exist or has expired",
    ErrorCode.DATA_EMPTY: "the requested resource is empty",
    ErrorCode.OVER_GROUP_NUM: "too many custom groups (at most 16)",
    ErrorCode.OVER_DATA_NUM: "too many keys of interest (at most 256 per group)",
    ErrorCode.FIND_SAME_KEY: "that key already exists",
    ErrorCode.INTERVAL_INVALID: "the interval is out of range (0-3600 s)",
    ErrorCode.NOT_SUPPORT: "the gateway does not support this operation",
}


class FlexApiResponseError(FlexApiError):
    """The device answered a request with an error."""

    def __init__(self, code: str, description: str | None = None) -> None:
        """Keep the code, the device's description and our meaning."""
        self.code = code
        self.description = description or ""
        self.meaning = ERROR_MEANINGS.get(code, "the gateway reported an error")
        super().__init__(f"{code}: {self.meaning}")


class FlexApiTimeoutError(FlexApiError):
    """The device did not answer a request in time.

    The request was published: the device may still have carried it out, so
    its outcome is unknown. ``seconds`` is how long we waited.
    """

    def __init__(self, message: str = "no response", seconds: float = 0.0) -> None:
        """Keep how long the request waited for its answer."""
        self.seconds = seconds
        super().__init__(message)


class FlexApiUnknownOutcomeError(FlexApiError):
    """Publishing failed after MQTT took the request: it may still go out.

    Paho queues a QoS 1 or 2 publish it cannot send and sends it after
    reconnecting, so a failed publish is not a request that was not sent.
    """


class FlexApiNotSentError(FlexApiError):
    """A request waited past its deadline in its lane: not sent, and never will be.

    ``seconds`` is the deadline, counted from the moment the request was made.
    """

    def __init__(self, seconds: float) -> None:
        """Keep the deadline."""
        self.seconds = seconds
        super().__init__(f"not sent within {seconds:g} s of being made; abandoned")


class FlexApiQueueFullError(FlexApiError):
    """A lane already holds ``limit`` waiting requests: this one was refused."""

    def __init__(self, limit: int) -> None:
        """Keep the lane's limit."""
        self.limit = limit
        super().__init__(f"{limit} requests are already waiting; refused")


class FlexApiNotConnectedError(FlexApiError):
    """The MQTT broker is unreachable: the request was not sent, and never will be."""


class FlexApiNotAppliedError(FlexApiError):
    """The device answered, but its ``result`` echo did not apply every key.

    §2.1.1: callers must check the content of ``result``. ``keys`` names the
    requested keys the echo left out or reported with another value;
    ``result`` is what the device did confirm.
    """

    def __init__(self, keys: list[str], result: object = None) -> None:
        """Keep the keys the device did not apply, and what it confirmed."""
        self.keys = tuple(keys)
        self.result = result
        super().__init__(f"not applied: {', '.join(self.keys)}")


class FlexApiStoppedError(FlexApiError):
    """The device's client was stopped (its entry is unloading or unloaded).

    Every request still queued or on the wire fails with it, and so does
    every request made afterwards: nothing more is published. The error
    mapping shows it with the ``translation_key`` message.
    """

    translation_key = "entry_unloading"

    def __init__(
        self, message: str = "the FlexAPI entry is unloading; request abandoned"
    ) -> None:
        """An error with a fixed, clear default message."""
        super().__init__(message)
