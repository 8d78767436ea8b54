"""Helpers shared by the FlexAPI integration tests (MQTT wire and time)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
import json
from typing import Any
from unittest.mock import Mock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import (
    CONF_CLIENT_ID,
    CONF_PREFIX,
    DOMAIN,
    SPACING_MARGIN,
)
from custom_components.flexapi.protocol.limits import (
    MIN_IO_CONTROL_SPACING,
    MIN_REQUEST_SPACING,
)

#: Seconds between two requests of the settings/refresh/get lane.
REQUEST_SPACING = MIN_REQUEST_SPACING + SPACING_MARGIN
#: Seconds between two io/control requests.
IO_SPACING = MIN_IO_CONTROL_SPACING + SPACING_MARGIN

_UNSET: Any = object()
_SETTLE_TURNS = 10
_STARTED: list[asyncio.Future[Any]] = []


def start(coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
    """Run a request (or flow step) as a task; the future holds its outcome.

    The ``collect_started_tasks`` fixture retrieves what is left at teardown.
    """
    future = asyncio.ensure_future(coro)
    _STARTED.append(future)
    return future


async def collect_started() -> None:
    """Retrieve the outcome of every task ``start`` made.

    Requests still pending when their client stops fail; retrieving their
    exceptions keeps asyncio from reporting them as never retrieved.
    """
    for _ in range(3):
        await asyncio.sleep(0)
    for future in _STARTED:
        if future.done() and not future.cancelled():
            future.exception()
    _STARTED.clear()


def published(mqtt_mock: MqttMockHAClient, topic: str | None = None) -> list[Any]:
    """Calls of ``async_publish`` (all, or those on one topic)."""
    return [
        call
        for call in mqtt_mock.async_publish.call_args_list
        if topic is None or call.args[0] == topic
    ]


def published_topics(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Topics published so far, in order."""
    return [call.args[0] for call in mqtt_mock.async_publish.call_args_list]


def payloads(mqtt_mock: MqttMockHAClient, topic: str) -> list[dict[str, Any]]:
    """Decoded JSON payloads published on ``topic``, in order."""
    return [json.loads(call.args[1]) for call in published(mqtt_mock, topic)]


def last_payload(mqtt_mock: MqttMockHAClient, topic: str) -> dict[str, Any]:
    """The last JSON payload published on ``topic`` (it must exist)."""
    sent = payloads(mqtt_mock, topic)
    assert sent, f"nothing was published on {topic}"
    return sent[-1]


def fire_json(hass: HomeAssistant, topic: str, payload: Any) -> None:
    """Deliver a JSON message as if the device had published it."""
    async_fire_mqtt_message(hass, topic, json.dumps(payload))


def respond(
    hass: HomeAssistant,
    request_topic: str,
    token: str | None,
    result: Any = _UNSET,
    *,
    error: str | None = None,
    error_desc: str | None = None,
) -> None:
    """Fire the response to a request: success ``result`` or ``error``.

    ``token=None`` sends a bare §3.3.10 response: ``result`` itself, unwrapped.
    """
    body: dict[str, Any] = {}
    if token is None:
        assert error is None
        body = dict(result)
    else:
        body["client_token"] = token
        if error is not None:
            body["error"] = error
            if error_desc is not None:
                body["error_desc"] = error_desc
        else:
            body["result"] = {} if result is _UNSET else result
    fire_json(hass, f"{request_topic}/resp", body)


def answer(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    request_topic: str,
    result: Any = _UNSET,
    *,
    error: str | None = None,
    error_desc: str | None = None,
) -> dict[str, Any]:
    """Answer the last request published on ``request_topic``; return it."""
    request = last_payload(mqtt_mock, request_topic)
    respond(
        hass,
        request_topic,
        request["client_token"],
        result,
        error=error,
        error_desc=error_desc,
    )
    return request


async def settle(hass: HomeAssistant) -> None:
    """Run the loop until work that needs no time to pass is done.

    Request lanes are background tasks that ``async_block_till_done`` does not
    wait for; a publish needs a few loop turns for its (mocked) ACK.
    """
    for _ in range(_SETTLE_TURNS):
        await asyncio.sleep(0)
    await hass.async_block_till_done()


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move frozen time (wall clock and loop clock) on and run what is due."""
    freezer.tick(seconds)
    async_fire_time_changed_exact(hass)
    await settle(hass)


def subscribed_topics(mqtt_mock: MqttMockHAClient) -> set[str]:
    """Topic filters HA's MQTT client currently holds subscriptions for."""
    real_client = mqtt_mock.return_value  # the wrapped homeassistant MQTT client
    return {subscription.topic for subscription in real_client.subscriptions}


def make_entry(
    client_id: str = "VG1",
    prefix: str = "",
    options: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> MockConfigEntry:
    """A FlexAPI config entry (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=client_id,
        title=client_id,
        data={CONF_CLIENT_ID: client_id, CONF_PREFIX: prefix},
        options=dict(options or {}),
        **kwargs,
    )


async def start_user(hass: HomeAssistant) -> Any:
    """Start a user flow, pick "gateway" and wait out its listening step."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    if result["type"] is FlowResultType.ABORT:
        return result  # e.g. MQTT missing: before the menu
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["gateway", "bimetri"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "gateway"}
    )
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        assert result["step_id"] == "gateway"
        assert result["progress_action"] == "listen"
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    return result


def fake_subscribe_done(
    acknowledge: bool, stops: list[Mock]
) -> Any:  # the hook's signature, on every HA release
    """An ``mqtt.async_on_subscribe_done`` that acknowledges at once, or never."""

    def hook(
        hass: HomeAssistant, topic: str, qos: int, on_done: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        assert qos == 1
        if acknowledge:
            hass.loop.call_soon(on_done)
        stops.append(Mock())
        return stops[-1]

    return hook
