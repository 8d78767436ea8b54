"""Shared Home Assistant glue.

The one place where protocol errors become translated Home Assistant
errors, and the one way a config flow changes a configured entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
import re
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .protocol.errors import (
    ErrorCode,
    FlexApiError,
    FlexApiNotAppliedError,
    FlexApiNotConnectedError,
    FlexApiNotSentError,
    FlexApiQueueFullError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiTimeoutError,
    FlexApiUnknownOutcomeError,
    FlexApiValueError,
)

#: Keys of digital-input pull-ups, settable on rev 1.0.9 firmware only.
_DI_PULLUP = re.compile(r"^io\.DI\d+_pullup$")
_CODES = frozenset(ErrorCode)
_UNSUPPORTED = frozenset({ErrorCode.INVALID_PARAMETER, ErrorCode.NOT_SUPPORT})


def home_assistant_error(
    err: FlexApiError, keys: Iterable[str] = ()
) -> HomeAssistantError:
    """The translated error for a protocol error (``keys``: what was changed)."""
    if isinstance(err, FlexApiResponseError):
        if err.code in _UNSUPPORTED and any(_DI_PULLUP.match(key) for key in keys):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="di_pullup_not_supported",
                translation_placeholders={"code": err.code},
            )
        if err.code in _CODES:
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=f"gateway_{err.code}",
                translation_placeholders={"code": err.code},
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="gateway_error",
            translation_placeholders={"code": err.code[:64]},
        )
    if isinstance(err, FlexApiNotAppliedError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="not_applied",
            translation_placeholders={"keys": ", ".join(err.keys)},
        )
    if isinstance(err, FlexApiNotConnectedError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="mqtt_not_connected"
        )
    if isinstance(err, FlexApiStoppedError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key=err.translation_key
        )
    if isinstance(err, FlexApiTimeoutError):
        # Sent: the gateway may still carry it out. Never "failed".
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="no_response",
            translation_placeholders={"seconds": f"{err.seconds:g}"},
        )
    if isinstance(err, FlexApiUnknownOutcomeError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="outcome_unknown",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, FlexApiNotSentError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_not_sent",
            translation_placeholders={"seconds": f"{err.seconds:g}"},
        )
    if isinstance(err, FlexApiQueueFullError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_queue_full",
            translation_placeholders={"limit": str(err.limit)},
        )
    if isinstance(err, FlexApiValueError):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_request",
            translation_placeholders={"error": str(err)},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="request_failed",
        translation_placeholders={"error": str(err)},
    )


async def async_call[T](awaitable: Awaitable[T], keys: Iterable[str] = ()) -> T:
    """Await a gateway request; its protocol errors become translated ones."""
    try:
        return await awaitable
    except FlexApiError as err:
        raise home_assistant_error(err, keys) from err


def invalid(
    translation_key: str, field: str, /, **placeholders: str
) -> ServiceValidationError:
    """A translated validation error that names the field at fault."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders={"field": field, **placeholders},
    )


def invalid_value(err: FlexApiValueError, field: str) -> ServiceValidationError:
    """The translated error for a rule of the protocol layer, naming ``field``.

    The rule's ``reason`` is the translation key; a rule without one is
    shown with the protocol layer's message.
    """
    if err.reason is None:
        return invalid("invalid_request", field, error=str(err))
    return invalid(err.reason, field, **err.placeholders)


def update_entry_and_abort(
    flow: ConfigFlow, entry: ConfigEntry, reason: str, **changes: Any
) -> ConfigFlowResult:
    """Change a configured entry from a flow, then end the flow.

    A loaded entry's update listener decides about the reload: Home
    Assistant 2026.12 refuses a flow that reloads an entry with an update
    listener. An entry that is not loaded (its setup failed, e.g. on a
    refused token) has no listener, so the flow reloads it itself.
    """
    hass = flow.hass
    listening = bool(entry.update_listeners)
    if hass.config_entries.async_update_entry(entry, **changes) and not listening:
        hass.config_entries.async_schedule_reload(entry.entry_id)
    return flow.async_abort(reason=reason)
