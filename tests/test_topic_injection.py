"""Topic injection: wildcards, level separators and control characters are refused.

A client_id, prefix or custom group name becomes part of MQTT topic filters;
one containing ``+``, ``#``, ``/`` or a control character would subscribe to
other gateways' data or publish where it must not. The config flow refuses
them, discovery ignores them, and no subscription is ever made with one.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import CONF_CLIENT_ID, CONF_PREFIX, DOMAIN
from custom_components.flexapi.protocol import messages as msgs
from custom_components.flexapi.protocol.errors import FlexApiValueError
from custom_components.flexapi.protocol.topics import Topics

from .helpers import settle, start_user

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

#: What must never reach a topic level.
HOSTILE = ["+", "#", "/", "\x00", "\n", "\x1b", "\x7f", "\x85", "\ud800"]
BAD_IDS = [f"VG{char}1" for char in HOSTILE] + ["#", "+", "VG1/#", "+/+"]
BAD_PREFIXES = [f"fleet{char}x" for char in HOSTILE if char != "/"] + [
    "fleet/#",
    "+/fleet",
    "a//b",
]


@pytest.fixture
def listen() -> Generator[AsyncMock]:
    """The user step hears nobody, so it goes to the manual step."""
    with patch(
        "custom_components.flexapi.config_flow.async_listen",
        AsyncMock(return_value={}),
    ) as mock:
        yield mock


def subscribe_calls(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Every topic filter anything asked HA's MQTT client to subscribe to."""
    return [call.args[0] for call in mqtt_mock.async_subscribe.call_args_list]


@pytest.mark.usefixtures("listen")
@pytest.mark.parametrize(
    ("client_id", "prefix"),
    [(bad, "") for bad in BAD_IDS] + [("VG1", bad) for bad in BAD_PREFIXES],
)
async def test_config_flow_refuses_injection_and_subscribes_to_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, client_id: str, prefix: str
) -> None:
    """The manual step shows an error; no filter holds the hostile value."""
    result = await start_user(hass)
    assert result["step_id"] == "manual"
    before = len(mqtt_mock.async_subscribe.call_args_list)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: client_id, CONF_PREFIX: prefix}
    )
    await settle(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == (
        {CONF_CLIENT_ID: "invalid_client_id"}
        if prefix == ""
        else {CONF_PREFIX: "invalid_prefix"}
    )
    # Nothing subscribed once the value was entered (no probe, no entry).
    assert len(mqtt_mock.async_subscribe.call_args_list) == before
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.parametrize(
    "topic",
    ["v1/VG\x001/summary/info", "v1/VG\x1b1/cellular1/info", "v1/\x7f/userdata/info"],
)
async def test_discovery_of_a_hostile_client_id_aborts(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, topic: str
) -> None:
    """MQTT delivers such topics; discovery starts no flow for them."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": "mqtt"},
        data=MqttServiceInfo(
            topic=topic,
            payload="{}",
            qos=0,
            retain=False,
            subscribed_topic="v1/+/summary/info",
            timestamp=0,
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"
    assert not [t for t in subscribe_calls(mqtt_mock) if "\x00" in t or "\x1b" in t]


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
async def test_reconfigure_refuses_a_hostile_prefix(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    prefix: str,
) -> None:
    """The entry keeps its prefix and is not reloaded with the bad one."""
    before = len(mqtt_mock.async_subscribe.call_args_list)
    result = await flexapi_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: prefix}
    )
    await settle(hass)
    assert result["errors"] == {CONF_PREFIX: "invalid_prefix"}
    assert flexapi_entry.data[CONF_PREFIX] == ""
    assert len(mqtt_mock.async_subscribe.call_args_list) == before


@pytest.mark.parametrize("bad", BAD_IDS)
def test_topics_and_custom_groups_refuse_hostile_names(bad: str) -> None:
    """No Topics object, group topic or group request is built with one."""
    with pytest.raises(FlexApiValueError):
        Topics(bad)
    topics = Topics("VG1")
    for build in (topics.info, topics.set, topics.refresh):
        with pytest.raises(FlexApiValueError):
            build(bad)
    groups: list[Any] = [msgs.CustomGroup(bad, 10, {"gnss.speed": "speed"})]
    with pytest.raises(FlexApiValueError):
        msgs.build_custom_group_set(msgs.new_token(), groups)
    with pytest.raises(FlexApiValueError):
        msgs.build_custom_group_remove(msgs.new_token(), [bad])
