"""A Bimetri application entry and a scripted Bimetri platform over mocked MQTT."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import (
    CONF_APP_NAME,
    CONF_BRAND,
    CONF_INSTANCE_ID,
    CONF_JWT,
    CONF_KIND,
    CONF_ORGANIZATION_ID,
    CONF_OUTPUTS,
    CONF_RESOURCE_ID,
    CONF_USER_ID,
    DOMAIN,
    KIND_BIMETRI,
    SUBENTRY_RESOURCE,
)

from .helpers import fire_json, payloads

TURNS = 30


async def turns(hass: HomeAssistant, count: int = TURNS) -> None:
    """Let callbacks and ready tasks run.

    Not ``async_block_till_done``: it would wait for a switch service call
    that is still waiting for its commandResponse.
    """
    del hass
    for _ in range(count):
        await asyncio.sleep(0)


async def tick(hass: HomeAssistant, freezer: Any, seconds: float) -> None:
    """Let ``seconds`` pass on the frozen clock, even while a call waits."""
    freezer.tick(seconds)
    async_fire_time_changed_exact(hass)
    await turns(hass)


APP_ID = "flexyWattApp.1"
TOPIC = "application/third-party/flexyWattApp/1"
COMMAND_TOPIC = "resource/commands"
#: A signature long and distinctive enough that any leak of a part shows.
SIGNATURE = "Qk1tLXNpZ25hdHVyZS1kby1ub3QtbG9nLXRoaXMtMDEyMzQ1Njc4OWFiY2RlZg"
DAY = 86400.0


def make_jwt(exp: float | None = None, signature: str = SIGNATURE) -> str:
    """A JWT with an optional ``exp`` claim (seconds since the epoch)."""

    def part(obj: Any) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims: dict[str, Any] = {"sub": "12345", "iat": 1700000000}
    if exp is not None:
        claims["exp"] = int(exp)
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{signature}"


def entry_data(jwt: str | None = None) -> dict[str, Any]:
    """Data of the test application's entry."""
    return {
        CONF_KIND: KIND_BIMETRI,
        CONF_APP_NAME: "flexyWattApp",
        CONF_INSTANCE_ID: "1",
        CONF_BRAND: "Bimetri",
        CONF_JWT: jwt if jwt is not None else make_jwt(time.time() + 365 * DAY),
        CONF_USER_ID: 12345,
        CONF_ORGANIZATION_ID: 23456,
    }


def resource_subentry(
    resource_id: int = 101,
    outputs: list[int] | None = None,
    title: str = "Boiler",
) -> dict[str, Any]:
    """A ``resource`` subentry's stored data."""
    return {
        "data": {CONF_RESOURCE_ID: resource_id, CONF_OUTPUTS: outputs or [4, 0]},
        "subentry_id": f"sub{resource_id}",
        "subentry_type": SUBENTRY_RESOURCE,
        "title": title,
        "unique_id": str(resource_id),
    }


def make_bimetri_entry(
    jwt: str | None = None,
    subentries: list[dict[str, Any]] | None = None,
    options: dict[str, Any] | None = None,
    entry_id: str | None = None,
) -> MockConfigEntry:
    """A Bimetri application entry (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        unique_id=APP_ID,
        title=f"Bimetri {APP_ID}",
        data=entry_data(jwt),
        options=options or {},
        subentries_data=[resource_subentry()] if subentries is None else subentries,
    )


class BimetriPlatformMock:
    """Answers the integration's commands as the Bimetri platform would."""

    def __init__(self, hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
        """Bind to Home Assistant and the MQTT mock."""
        self.hass = hass
        self.mqtt_mock = mqtt_mock

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Every commandMessage published so far."""
        return payloads(self.mqtt_mock, COMMAND_TOPIC)

    @property
    def last(self) -> dict[str, Any]:
        """The last commandMessage."""
        assert self.commands, "no command was published"
        return self.commands[-1]

    async def send(self, message: dict[str, Any], topic: str = TOPIC) -> None:
        """Publish a message on the application's topic."""
        fire_json(self.hass, topic, message)
        await turns(self.hass)

    async def respond(
        self,
        result: str = "sent",
        reason: str = "Command Queued",
        *,
        command: dict[str, Any] | None = None,
        correlation_id: Any = None,
    ) -> None:
        """Answer a command (the last one by default)."""
        command = command or self.last
        resource = command["parameters"]["resourceId"]
        data: dict[str, Any] = {"command": "setExtDO", "resourceId": resource}
        if result == "sent":
            data |= {
                "brand": "Bimetri",
                "model": "BMM620",
                "networkId": "26:AA:E0:23:23:5E",
            }
        await self.send(
            {
                "messageType": "commandResponse",
                "correlationId": correlation_id
                if correlation_id is not None
                else command["correlationId"],
                "result": result,
                "reason": reason,
                "data": data,
            }
        )

    def notification(
        self,
        *,
        command: dict[str, Any] | None = None,
        resource_id: int = 101,
        output: int = 4,
        status: int = 1,
        correlation_id: Any = None,
        user_name: str = "Flexywatt User",
        app_id: str = APP_ID,
    ) -> dict[str, Any]:
        """An extDOStateChanged notification (for ``command`` if given)."""
        if command is not None:
            params = command["parameters"]
            resource_id, output, status = (
                params["resourceId"],
                params["output"],
                params["status"],
            )
            correlation_id = command["correlationId"]
        message: dict[str, Any] = {
            "messageType": "notification",
            "appId": app_id,
            "command": "setExtDO",
            "notificationType": "extDOStateChanged",
            "userName": user_name,
            "userId": 12345,
            "parameters": {
                "resourceId": resource_id,
                "brand": "Bimetri",
                "model": "BMM620",
                "networkId": "26:AA:E0:23:23:5E",
                "organizationId": 23456,
                "output": output,
                "status": status,
            },
        }
        if correlation_id is not None:
            message["correlationId"] = correlation_id
        return message

    async def notify(self, **kwargs: Any) -> dict[str, Any]:
        """Send a notification; return it."""
        message = self.notification(**kwargs)
        await self.send(message)
        return message
