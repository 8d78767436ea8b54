"""Topic injection: wildcards, level separators and control characters are refused.

A client_id, prefix or custom group name becomes part of MQTT topic filters;
one containing ``+``, ``#``, ``/`` or a control character would subscribe to
other gateways' data or publish where it must not. The config flow refuses
them, discovery ignores them, and no subscription is ever made with one.
"""

from __future__ import annotations

from collections.abc import Generator
import time
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import (
    CONF_APP_NAME,
    CONF_BRAND,
    CONF_CLIENT_ID,
    CONF_INSTANCE_ID,
    CONF_JWT,
    CONF_ORGANIZATION_ID,
    CONF_PREFIX,
    CONF_USER_ID,
    DOMAIN,
)
from custom_components.flexapi.protocol import messages as msgs
from custom_components.flexapi.protocol.errors import FlexApiValueError
from custom_components.flexapi.protocol.topics import Topics
from tests.compat import device_by_identifier

from .bimetri_helpers import DAY, make_bimetri_entry, make_jwt
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


# -- actions ------------------------------------------------------------------------

#: (action, data with ``{bad}`` where the hostile value goes, translation key).
ACTION_CASES = [
    (
        "set_custom_groups",
        {"groups": [{"group_name": "g{bad}1", "interest": {"gnss.speed": "s"}}]},
        "invalid_group_name",
    ),
    ("remove_custom_groups", {"names": ["g{bad}1"]}, "invalid_group_name"),
    ("refresh", {"group": "g{bad}1"}, "invalid_group_name"),
    ("userdata_update", {"data": {"userdata.k{bad}1": "v"}}, "invalid_userdata_key"),
    ("userdata_insert", {"data": {"k{bad}1": "v"}}, "invalid_userdata_key"),
    ("userdata_delete", {"keys": ["userdata.k{bad}1"]}, "invalid_userdata_key"),
    (
        "userdata_set_interest",
        {"interest": {"userdata.k{bad}1": "k"}},
        "invalid_userdata_key",
    ),
    (
        "set_group_settings",
        {"group": "gnss", "interest": {"gnss.speed": "sp{bad}d"}},
        "invalid_alias",
    ),
    (
        "set_custom_groups",
        {"groups": [{"group_name": "g1", "interest": {"gnss.speed": "s{bad}"}}]},
        "invalid_alias",
    ),
]


def _fill(value: Any, bad: str) -> Any:
    if isinstance(value, str):
        return value.replace("{bad}", bad)
    if isinstance(value, list):
        return [_fill(item, bad) for item in value]
    if isinstance(value, dict):
        return {_fill(k, bad): _fill(v, bad) for k, v in value.items()}
    return value


@pytest.mark.parametrize("bad", HOSTILE, ids=repr)
@pytest.mark.parametrize(
    ("action", "data", "key"),
    ACTION_CASES,
    ids=[f"{action}-{key}" for action, _, key in ACTION_CASES],
)
async def test_actions_refuse_injection_and_send_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
    bad: str,
) -> None:
    """A translated validation error; nothing subscribed, nothing published."""
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    subscribed = len(mqtt_mock.async_subscribe.call_args_list)
    publishes = len(mqtt_mock.async_publish.call_args_list)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            action,
            {"device_id": device.id, **_fill(data, bad)},
            blocking=True,
            return_response=action == "refresh",
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    await settle(hass)
    assert len(mqtt_mock.async_subscribe.call_args_list) == subscribed
    assert len(mqtt_mock.async_publish.call_args_list) == publishes


# -- the Bimetri config flow -----------------------------------------------------------

BIMETRI_FORM = {
    CONF_APP_NAME: "flexyWattApp",
    CONF_INSTANCE_ID: "1",
    CONF_BRAND: "Bimetri",
    CONF_JWT: make_jwt(time.time() + 365 * DAY),
    CONF_USER_ID: 12345,
    CONF_ORGANIZATION_ID: 23456,
}
BIMETRI_CASES = (
    [(CONF_APP_NAME, f"flexy{char}App", "invalid_app_name") for char in HOSTILE]
    + [
        (CONF_INSTANCE_ID, f"1{char}2", "invalid_instance_id")
        for char in [*HOSTILE, "."]
    ]
    + [
        (CONF_APP_NAME, "#", "invalid_app_name"),
        (CONF_INSTANCE_ID, "+", "invalid_instance_id"),
    ]
)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    BIMETRI_CASES,
    ids=[f"{field}-{value!r}" for field, value, _ in BIMETRI_CASES],
)
async def test_bimetri_flow_refuses_injection_and_subscribes_to_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    field: str,
    value: str,
    error: str,
) -> None:
    """The form shows the field's error; no entry, no subscription with it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bimetri"}
    )
    assert result["step_id"] == "bimetri"
    before = len(mqtt_mock.async_subscribe.call_args_list)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**BIMETRI_FORM, field: value}
    )
    await settle(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert len(mqtt_mock.async_subscribe.call_args_list) == before
    assert not [t for t in subscribe_calls(mqtt_mock) if t.startswith("application/")]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    BIMETRI_CASES,
    ids=[f"{field}-{value!r}" for field, value, _ in BIMETRI_CASES],
)
async def test_bimetri_reconfigure_refuses_injection(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    field: str,
    value: str,
    error: str,
) -> None:
    """A loaded application keeps its topic; nothing subscribes with the value."""
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    before = len(mqtt_mock.async_subscribe.call_args_list)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    form = {k: v for k, v in BIMETRI_FORM.items() if k != CONF_JWT}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, field: value}
    )
    await settle(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert entry.data[field] == BIMETRI_FORM[field]
    assert len(mqtt_mock.async_subscribe.call_args_list) == before
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
