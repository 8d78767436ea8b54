"""Bimetri third-party command API envelopes (``setExtDO``).

Commands go to ``resource/commands`` at QoS 2; responses and notifications
come on ``application/third-party/{appName}/{instanceId}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import secrets
from typing import Any, Final

from .errors import FlexApiValueError

COMMAND_TOPIC: Final = "resource/commands"
COMMAND_QOS: Final = 2
BRAND: Final = "Bimetri"
SET_EXT_DO: Final = "setExtDO"
EXT_DO_STATE_CHANGED: Final = "extDOStateChanged"
#: ``result`` values of a commandResponse; only "sent" is a success.
RESULTS: Final = ("sent", "not_send", "failed", "send_no_ack", "unauthorized")


def validate_app_id(app_id: str) -> tuple[str, str]:
    """Split ``appName.instanceId``; each part a single safe topic level."""
    name, sep, instance = (
        app_id.partition(".") if isinstance(app_id, str) else ("", "", "")
    )
    if not sep or not name or not instance:
        raise FlexApiValueError("appId must look like 'appName.instanceId'")
    for part in (name, instance):
        if any(char in "+#/" or ord(char) < 32 for char in part):
            raise FlexApiValueError(
                "appId must not contain '+', '#', '/' or control characters"
            )
    return name, instance


def response_topic(app_id: str) -> str:
    """Topic that carries responses and notifications for an appId."""
    name, instance = validate_app_id(app_id)
    return f"application/third-party/{name}/{instance}"


def redact_jwt(token: str | None) -> str:
    """A JWT safe to log: its first 6 characters at most."""
    if not token:
        return ""
    return f"{token[:6]}…(redacted)" if len(token) > 6 else "…(redacted)"


def new_correlation_id() -> str:
    """A fresh correlationId."""
    return secrets.token_hex(8)


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
) -> dict[str, Any]:
    """A ``setExtDO`` commandMessage."""
    validate_app_id(app_id)
    if not isinstance(jwt, str) or not jwt:
        raise FlexApiValueError("a JWT is required")
    for label, value in (
        ("userId", user_id),
        ("organizationId", organization_id),
        ("resourceId", resource_id),
    ):
        if type(value) is not int:
            raise FlexApiValueError(f"{label} must be an integer")
    if type(output) is not int or output < 1:
        raise FlexApiValueError("output must be a positive integer (1-based)")
    if status not in (0, 1):
        raise FlexApiValueError("status must be 0 (off) or 1 (on)")
    if not isinstance(correlation_id, str) or not correlation_id:
        raise FlexApiValueError("correlationId must be a non-empty string")
    return {
        "messageType": "commandMessage",
        "appId": app_id,
        "brand": BRAND,
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
        return self.result == "sent"


@dataclass(frozen=True, slots=True)
class ExtDoState:
    """An ``extDOStateChanged`` notification: the source of truth."""

    correlation_id: str | None
    resource_id: int
    output: int
    status: bool
    model: str | None = None
    network_id: str | None = None


def parse_message(obj: Mapping[str, Any]) -> CommandResponse | ExtDoState | None:
    """Parse a message from the response topic; ``None`` if not understood."""
    kind = obj.get("messageType")
    if kind == "commandResponse":
        cid, result = obj.get("correlationId"), obj.get("result")
        if not isinstance(cid, str) or not isinstance(result, str):
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
        if type(resource) is not int or type(output) is not int or status not in (0, 1):
            return None
        cid = obj.get("correlationId")
        model, network = params.get("model"), params.get("networkId")
        return ExtDoState(
            correlation_id=cid if isinstance(cid, str) else None,
            resource_id=resource,
            output=output,
            status=bool(status),
            model=model if isinstance(model, str) else None,
            network_id=network if isinstance(network, str) else None,
        )
    return None
