"""Bimetri third-party command API envelopes (``setExtDO``).

Commands go to ``resource/commands`` at QoS 2; responses and notifications
come on ``application/third-party/{appName}/{instanceId}``. The appId in the
payloads is ``appName.instanceId``; the instance id holds no dot, so the appId
splits back at its last dot.

Nothing here logs; a JWT is only ever shown through :func:`redact_jwt`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import secrets
from typing import Any, Final
import unicodedata

from .errors import FlexApiValueError
from .messages import decode_object

COMMAND_TOPIC: Final = "resource/commands"
COMMAND_QOS: Final = 2
BRAND: Final = "Bimetri"
SET_EXT_DO: Final = "setExtDO"
EXT_DO_STATE_CHANGED: Final = "extDOStateChanged"
#: ``result`` values of a commandResponse; only "sent" is a success.
RESULT_SENT: Final = "sent"
RESULT_UNAUTHORIZED: Final = "unauthorized"
RESULTS: Final = ("sent", "not_send", "failed", "send_no_ack", "unauthorized")
#: Longest app name or instance id accepted (one topic level each).
MAX_PART_LENGTH: Final = 128
#: A notification's ``userName`` comes from the network: at most this long.
MAX_USER_NAME_LENGTH: Final = 64


def validate_part(value: Any, *, instance: bool = False) -> str:
    """An app name or instance id: one non-empty, safe topic level.

    No MQTT wildcards, no ``/``, no control characters (C0 and C1) and no
    lone surrogates (they cannot be sent as UTF-8); an instance id also
    holds no dot, so ``appName.instanceId`` splits back unambiguously.
    """
    if not isinstance(value, str) or not value:
        raise FlexApiValueError("must be a non-empty string")
    if len(value) > MAX_PART_LENGTH:
        raise FlexApiValueError(f"at most {MAX_PART_LENGTH} characters")
    for char in value:
        if char in "+#/" or unicodedata.category(char) in ("Cc", "Cs"):
            raise FlexApiValueError(
                "must not contain '+', '#', '/', control characters or lone surrogates"
            )
    if instance and "." in value:
        raise FlexApiValueError("an instance id must not contain '.'")
    return value


def make_app_id(app_name: str, instance_id: str) -> str:
    """``appName.instanceId`` from its validated parts."""
    return f"{validate_part(app_name)}.{validate_part(instance_id, instance=True)}"


def validate_app_id(app_id: Any) -> tuple[str, str]:
    """Split ``appName.instanceId`` (at the last dot); each part a safe level."""
    if not isinstance(app_id, str):
        raise FlexApiValueError("appId must look like 'appName.instanceId'")
    name, sep, instance = app_id.rpartition(".")
    if not sep or not name or not instance:
        raise FlexApiValueError("appId must look like 'appName.instanceId'")
    try:
        return validate_part(name), validate_part(instance, instance=True)
    except FlexApiValueError as err:
        raise FlexApiValueError(f"invalid appId: {err}") from None


def response_topic(app_id: str) -> str:
    """Topic that carries responses and notifications for an appId."""
    name, instance = validate_app_id(app_id)
    return f"application/third-party/{name}/{instance}"


def redact_jwt(token: str | None) -> str:
    """A JWT safe to log: its first 6 characters at most."""
    if not token:
        return ""
    return f"{token[:6]}…(redacted)" if len(token) > 6 else "…(redacted)"


def _b64url_json(part: str) -> dict[str, Any] | None:
    """A base64url JSON object (a JWT part); ``None`` for anything else.

    The token is typed in by the user: nothing in it may raise, a part
    nested too deep for the JSON parser included.
    """
    padded = part + "=" * (-len(part) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (ValueError, binascii.Error):
        return None
    return decode_object(raw)


def jwt_expiry(token: Any) -> datetime | None:
    """The ``exp`` claim of a JWT as UTC, read without any signature check.

    ``None`` when the token is not a JWT or has no usable ``exp``.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    claims = _b64url_json(token.split(".")[1])
    if not isinstance(claims, dict):
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def new_correlation_id() -> str:
    """A fresh correlationId."""
    return secrets.token_hex(8)


def _is_int(value: Any) -> bool:
    return type(value) is int


def build_set_ext_do(
    *,
    app_id: str,
    jwt: str,
    user_id: int,
    organization_id: int,
    resource_id: int,
    output: int,
    status: bool | int,
    correlation_id: str,
    brand: str = BRAND,
) -> dict[str, Any]:
    """A ``setExtDO`` commandMessage.

    Outputs are "1-based unless otherwise provisioned", so 0 is sent too; the
    platform answers an output its model does not have with an error.
    """
    validate_app_id(app_id)
    if not isinstance(jwt, str) or not jwt:
        raise FlexApiValueError("a JWT is required")
    if not isinstance(brand, str) or not brand:
        raise FlexApiValueError("a brand is required")
    for label, value in (
        ("userId", user_id),
        ("organizationId", organization_id),
        ("resourceId", resource_id),
    ):
        if not _is_int(value):
            raise FlexApiValueError(f"{label} must be an integer")
    if not _is_int(output) or output < 0:
        raise FlexApiValueError("output must be a non-negative integer")
    if status not in (0, 1) or not isinstance(status, int):
        raise FlexApiValueError("status must be 0 (off) or 1 (on)")
    if not isinstance(correlation_id, str) or not correlation_id:
        raise FlexApiValueError("correlationId must be a non-empty string")
    return {
        "messageType": "commandMessage",
        "appId": app_id,
        "brand": brand,
        "jwtToken": jwt,
        "userId": user_id,
        "organizationId": organization_id,
        "command": SET_EXT_DO,
        "correlationId": correlation_id,
        "parameters": {
            "resourceId": resource_id,
            "output": output,
            "status": int(status),
        },
    }


def _correlation_id(value: Any) -> str | None:
    """A correlationId as text: strings as they are, integers (``100``) too."""
    if isinstance(value, str) and value:
        return value
    if _is_int(value):
        return str(value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _user_name(value: Any) -> str | None:
    """Who switched, cut to :data:`MAX_USER_NAME_LENGTH` characters."""
    text = _text(value)
    return text[:MAX_USER_NAME_LENGTH] if text is not None else None


@dataclass(frozen=True, slots=True)
class DeviceData:
    """What a response or notification tells about the resource's device."""

    brand: str | None = None
    model: str | None = None
    network_id: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DeviceData:
        """Take brand, model and networkId where they are strings."""
        return cls(
            _text(data.get("brand")),
            _text(data.get("model")),
            _text(data.get("networkId")),
        )


@dataclass(frozen=True, slots=True)
class CommandResponse:
    """An immediate ``commandResponse``."""

    correlation_id: str
    result: str
    reason: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the command was queued."""
        return self.result == RESULT_SENT

    @property
    def resource_id(self) -> int | None:
        """The resource the response is about, when it says."""
        value = self.data.get("resourceId")
        return value if _is_int(value) else None

    @property
    def device(self) -> DeviceData:
        """Brand, model and networkId of the resource, when it says."""
        return DeviceData.from_mapping(self.data)


@dataclass(frozen=True, slots=True)
class ExtDoState:
    """An ``extDOStateChanged`` notification: the source of truth."""

    correlation_id: str | None
    resource_id: int
    output: int
    status: bool
    model: str | None = None
    network_id: str | None = None
    app_id: str | None = None
    user_name: str | None = None
    user_id: int | None = None
    brand: str | None = None

    @property
    def device(self) -> DeviceData:
        """Brand, model and networkId of the resource."""
        return DeviceData(self.brand, self.model, self.network_id)

    @property
    def dedup_key(self) -> tuple[int, int, str | None]:
        """(resourceId, output, correlationId), as the API page advises."""
        return (self.resource_id, self.output, self.correlation_id)


def parse_message(obj: Mapping[str, Any]) -> CommandResponse | ExtDoState | None:
    """Parse a message from the response topic; ``None`` if not understood."""
    kind = obj.get("messageType")
    if kind == "commandResponse":
        cid = _correlation_id(obj.get("correlationId"))
        result = obj.get("result")
        if cid is None or not isinstance(result, str):
            return None
        reason = obj.get("reason")
        data = obj.get("data")
        return CommandResponse(
            correlation_id=cid,
            result=result,
            reason=reason if isinstance(reason, str) else "",
            data=data if isinstance(data, dict) else {},
        )
    if kind == "notification" and obj.get("notificationType") == EXT_DO_STATE_CHANGED:
        params = obj.get("parameters")
        if not isinstance(params, dict):
            return None
        resource, output, status = (
            params.get("resourceId"),
            params.get("output"),
            params.get("status"),
        )
        if (
            type(resource) is not int
            or type(output) is not int
            or type(status) is not int
            or status not in (0, 1)
        ):
            return None
        user_id = obj.get("userId")
        return ExtDoState(
            correlation_id=_correlation_id(obj.get("correlationId")),
            resource_id=resource,
            output=output,
            status=bool(status),
            model=_text(params.get("model")),
            network_id=_text(params.get("networkId")),
            app_id=_text(obj.get("appId")),
            user_name=_user_name(obj.get("userName")),
            user_id=user_id if _is_int(user_id) else None,
            brand=_text(params.get("brand")),
        )
    return None
