"""Config flow: MQTT discovery, listening user step, manual entry, reconfigure."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_MQTT,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi import const
from custom_components.flexapi.config_flow import (
    LISTEN_FILTERS,
    MANUAL,
    async_listen,
    async_probe,
)
from custom_components.flexapi.const import (
    CONF_CLIENT_ID,
    CONF_GNSS_SPEED_UNIT,
    CONF_PREFIX,
    CONF_STALE_MULTIPLIER,
    CONF_TRIP_END_DELAY,
    CONF_TRIP_MIN_DISTANCE,
    DOMAIN,
    SPEED_KMH,
    SPEED_KNOTS,
)
from custom_components.flexapi.protocol.topics import Topics

from .helpers import (
    advance,
    answer,
    fire_json,
    make_entry,
    settle,
    start,
    start_user,
    subscribed_topics,
)

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

SYSINFO = {
    "sysinfo.model_name": "VG710",
    "sysinfo.serial_number": "VG7102019052101",
    "sysinfo.firmware_version": "1.0.0.r13083",
    "sysinfo.oem_name": "inhand",
}


#: The topic filters manifest.json subscribes discovery to.
MANIFEST_MQTT: list[str] = json.loads(
    (Path(__file__).parents[1] / "custom_components/flexapi/manifest.json").read_text()
)["mqtt"]
CELLULAR_INFO = "v1/VG1/cellular1/info"
USERDATA_INFO = "v1/VG1/userdata/info"


def discovery(
    topic: str = CELLULAR_INFO, payload: str | bytes = '{"modem1.rssi": -95}'
) -> MqttServiceInfo:
    """What MQTT discovery hands the flow for a message on ``topic``."""
    [subscribed] = [f for f in MANIFEST_MQTT if mqtt_util_matches(f, topic)] or [
        "v1/+/cellular1/info"
    ]
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=0,
        retain=False,
        subscribed_topic=subscribed,
        timestamp=0,
    )


def mqtt_util_matches(topic_filter: str, topic: str) -> bool:
    """Whether ``topic`` matches a one-level-wildcard ``topic_filter``."""
    levels, parts = topic_filter.split("/"), topic.split("/")
    return len(levels) == len(parts) and all(
        level in ("+", part) for level, part in zip(levels, parts, strict=True)
    )


@pytest.fixture
def probe() -> Generator[AsyncMock]:
    """The sysinfo probe, answering ``SYSINFO``."""
    with patch(
        "custom_components.flexapi.config_flow.async_probe",
        AsyncMock(return_value=dict(SYSINFO)),
    ) as mock:
        yield mock


@pytest.fixture
def listen() -> Generator[AsyncMock]:
    """The listening window, hearing nothing unless told otherwise."""
    with patch(
        "custom_components.flexapi.config_flow.async_listen",
        AsyncMock(return_value={}),
    ) as mock:
        yield mock


@pytest.fixture
def setup_entry() -> Generator[AsyncMock]:
    """Entry setup, so that created entries do not start a runtime."""
    with patch(
        "custom_components.flexapi.async_setup_entry", AsyncMock(return_value=True)
    ) as mock:
        yield mock


async def start_discovery(
    hass: HomeAssistant,
    topic: str = CELLULAR_INFO,
    payload: str | bytes = '{"modem1.rssi": -95}',
):
    """Start an MQTT discovery flow."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(topic, payload)
    )


# -- discovery ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sysinfo", "title", "placeholders"),
    [
        (
            SYSINFO,
            "VG710 VG1",
            {
                "client_id": "VG1",
                "model": "VG710",
                "serial": "VG7102019052101",
                "firmware": "1.0.0.r13083",
            },
        ),
        (
            {},
            "VG1",
            {"client_id": "VG1", "model": "-", "serial": "-", "firmware": "-"},
        ),
    ],
    ids=["answered", "silent"],
)
async def test_discovery_confirm_creates_entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    probe: AsyncMock,
    setup_entry: AsyncMock,
    sysinfo: dict[str, Any],
    title: str,
    placeholders: dict[str, str],
) -> None:
    probe.return_value = sysinfo
    result = await start_discovery(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == placeholders
    [flow] = hass.config_entries.flow.async_progress()
    assert flow["context"]["title_placeholders"] == {"name": "VG1"}
    assert flow["context"]["unique_id"] == "VG1"
    assert probe.call_args.args[1] == Topics("VG1")

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["data"] == {CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""}
    assert result["result"].unique_id == "VG1"
    setup_entry.assert_awaited_once()


def test_discovery_tests_feed_the_manifest_topics() -> None:
    """Discovery only ever sees what manifest.json subscribes to."""
    assert all(
        mqtt_util_matches(f, t)
        for f, t in zip(MANIFEST_MQTT, [CELLULAR_INFO, USERDATA_INFO], strict=True)
    )


@pytest.mark.parametrize("topic", [CELLULAR_INFO, USERDATA_INFO])
async def test_discovery_of_each_manifest_topic_starts_a_flow(
    hass: HomeAssistant, probe: AsyncMock, setup_entry: AsyncMock, topic: str
) -> None:
    result = await start_discovery(hass, topic, '{"userdata.fleet": "north"}')
    assert result["step_id"] == "confirm"
    assert probe.call_args.args[1] == Topics("VG1")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["data"] == {CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""}


@pytest.mark.parametrize("payload", ["", b""])
async def test_discovery_of_an_empty_payload_aborts_without_probing(
    hass: HomeAssistant, probe: AsyncMock, payload: str | bytes
) -> None:
    """A cleared retained message is no gateway speaking."""
    entry = make_entry("VG2", prefix="fleet/")
    entry.add_to_hass(hass)
    for topic in (CELLULAR_INFO, "v1/VG2/userdata/info"):
        result = await start_discovery(hass, topic, payload)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "invalid_discovery_info"
    probe.assert_not_called()
    assert not hass.config_entries.flow.async_progress()
    # Nor does it move a configured gateway's entry.
    assert entry.data[CONF_PREFIX] == "fleet/"


@pytest.mark.parametrize("source", [SOURCE_USER, SOURCE_IGNORE])
async def test_discovery_of_known_or_ignored_gateway_aborts(
    hass: HomeAssistant, probe: AsyncMock, source: str
) -> None:
    make_entry("VG1", source=source).add_to_hass(hass)
    result = await start_discovery(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    probe.assert_not_called()


async def test_second_discovery_of_a_gateway_aborts(
    hass: HomeAssistant, probe: AsyncMock
) -> None:
    """cellular1/info and userdata/info both start discovery."""
    first = await start_discovery(hass, CELLULAR_INFO)
    assert first["type"] is FlowResultType.FORM
    result = await start_discovery(hass, USERDATA_INFO)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"
    assert probe.call_count == 1


@pytest.mark.parametrize(
    "topic",
    ["v1/VG1/cellular1", "foo/bar/baz", "v1//cellular1/info", "v1/VG1/userdata/data"],
)
async def test_discovery_of_invalid_topic_aborts(
    hass: HomeAssistant, probe: AsyncMock, topic: str
) -> None:
    result = await start_discovery(hass, topic)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"
    probe.assert_not_called()


async def test_discovery_probes_the_gateway_over_mqtt(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: AsyncMock
) -> None:
    flow = start(start_discovery(hass))
    await settle(hass)
    request = answer(hass, mqtt_mock, "v1/VG1/sysinfo/refresh", SYSINFO)
    await settle(hass)
    assert list(request) == ["client_token"]
    result = flow.result()
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["model"] == "VG710"
    # The probe's client is gone once the flow shows its form.
    assert not {t for t in subscribed_topics(mqtt_mock) if "VG1" in t}


# -- async_probe / async_listen -----------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"result": SYSINFO}, SYSINFO),
        ({"result": ["not", "a", "dict"]}, {}),
        ({"error": "not_found"}, {}),
    ],
    ids=["sysinfo", "not-a-dict", "error"],
)
async def test_probe(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    response: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    future = start(async_probe(hass, Topics("VG1", "fleet")))
    await settle(hass)
    request = answer(hass, mqtt_mock, "fleet/v1/VG1/sysinfo/refresh", **response)
    await settle(hass)
    assert list(request) == ["client_token"]
    assert future.result() == expected
    assert not {t for t in subscribed_topics(mqtt_mock) if t.startswith("fleet/")}


@pytest.mark.parametrize(
    ("error", "level"),
    [("auth_failed", logging.WARNING), ("not_support", logging.DEBUG)],
)
async def test_probe_warns_when_the_gateway_refuses_requests(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    caplog: pytest.LogCaptureFixture,
    error: str,
    level: int,
) -> None:
    """auth_failed needs the user: a warning; other errors stay at debug."""
    caplog.set_level(logging.DEBUG, "custom_components.flexapi.config_flow")
    future = start(async_probe(hass, Topics("VG1")))
    await settle(hass)
    answer(hass, mqtt_mock, "v1/VG1/sysinfo/refresh", error=error)
    await settle(hass)
    assert future.result() == {}
    [record] = [
        r
        for r in caplog.records
        if r.name == "custom_components.flexapi.config_flow" and error in r.message
    ]
    assert record.levelno == level
    assert record.message.startswith("VG1")


async def test_probe_gives_up_after_flow_timeout(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    with patch.object(const, "FLOW_REQUEST_TIMEOUT", 2.0):
        future = start(async_probe(hass, Topics("VG1")))
        await settle(hass)
    await advance(hass, freezer, 1.9)
    assert not future.done()
    await advance(hass, freezer, 0.2)
    assert future.result() == {}
    assert not {t for t in subscribed_topics(mqtt_mock) if "VG1" in t}


async def test_listen_hears_client_ids_and_prefixes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    future = start(async_listen(hass, 5.0))
    await settle(hass)
    assert set(LISTEN_FILTERS) <= subscribed_topics(mqtt_mock)
    fire_json(hass, "v1/VG8/gnss/info", {})
    fire_json(hass, "v1/VG8/obd/info", {})
    fire_json(hass, "fleet/v1/VG9/gnss/info", {})
    fire_json(hass, "v1/v1/v1/info", {})  # client id "v1", group "v1"
    fire_json(hass, "v1/bad\x07id/gnss/info", {})  # not a valid client id
    await advance(hass, freezer, 4.9)
    assert not future.done()
    await advance(hass, freezer, 0.2)
    assert future.result() == {"VG8": "", "VG9": "fleet/", "v1": ""}
    assert not set(LISTEN_FILTERS) & subscribed_topics(mqtt_mock)
    await advance(hass, freezer, 1.0)


# -- user step ------------------------------------------------------------------


async def test_user_without_mqtt_aborts(hass: HomeAssistant) -> None:
    result = await start_user(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_with_mqtt_disconnected_aborts(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    hass.data[DATA_MQTT].client.connected = False
    try:
        result = await start_user(hass)
    finally:
        hass.data[DATA_MQTT].client.connected = True
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_connected"


async def test_gateway_step_aborts_when_mqtt_went_away(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """MQTT lost between the menu and choosing a gateway: no listening."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    hass.data[DATA_MQTT].client.connected = False
    try:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "gateway"}
        )
    finally:
        hass.data[DATA_MQTT].client.connected = True
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_connected"


def _options(result: dict[str, Any]) -> list[tuple[str, str]]:
    selector = result["data_schema"].schema[CONF_CLIENT_ID]
    return [(o["value"], o["label"]) for o in selector.config["options"]]


async def test_user_lists_heard_and_discovered_gateways(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    probe: AsyncMock,
    listen: AsyncMock,
    setup_entry: AsyncMock,
) -> None:
    make_entry("VG3").add_to_hass(hass)
    make_entry("VG5", source=SOURCE_IGNORE).add_to_hass(hass)
    await start_discovery(hass, "v1/VG4/cellular1/info")  # waits for confirmation
    await start_user(hass)  # another user flow, at its manual step
    listen.return_value = {"VG1": "", "VG2": "fleet/", "VG3": "", "VG5": ""}

    result = await start_user(hass)
    assert listen.call_args.args[1] == const.LISTEN_SECONDS
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick"
    assert _options(result) == [
        ("VG1", "VG1"),
        ("VG2", "fleet/VG2"),
        ("VG4", "VG4"),
        ("VG5", "VG5"),  # ignored gateways can still be added by hand
        (MANUAL, MANUAL),
    ]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "VG2"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "VG710 VG2"
    assert result["data"] == {CONF_CLIENT_ID: "VG2", CONF_PREFIX: "fleet/"}
    assert probe.call_args.args[1] == Topics("VG2", "fleet/")


async def test_user_picks_a_discovered_gateway(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    probe: AsyncMock,
    listen: AsyncMock,
    setup_entry: AsyncMock,
) -> None:
    """Picking a gateway whose discovery waits for confirmation replaces it."""
    await start_discovery(hass, "v1/VG4/cellular1/info")
    result = await start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "VG4"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_CLIENT_ID: "VG4", CONF_PREFIX: ""}
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress()


async def test_user_adds_an_ignored_gateway(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    probe: AsyncMock,
    listen: AsyncMock,
    setup_entry: AsyncMock,
) -> None:
    make_entry("VG5", source=SOURCE_IGNORE).add_to_hass(hass)
    listen.return_value = {"VG5": ""}
    result = await start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "VG5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.source == SOURCE_USER


async def test_user_hears_gateways_on_the_broker(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The real listening window, fed while the progress step shows."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "gateway"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["description_placeholders"] == {"seconds": "11"}
    for _ in range(10):  # let the listening task subscribe
        await asyncio.sleep(0)
    fire_json(hass, "v1/VG8/gnss/info", {"gnss.fix": 3})
    fire_json(hass, "fleet/v1/VG9/gnss/info", {"gnss.fix": 3})
    await advance(hass, freezer, const.LISTEN_SECONDS)
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "pick"
    assert _options(result) == [
        ("VG8", "VG8"),
        ("VG9", "fleet/VG9"),
        (MANUAL, MANUAL),
    ]
    await advance(hass, freezer, 1.0)


async def test_user_hearing_nothing_goes_to_manual(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, listen: AsyncMock
) -> None:
    make_entry("VG3").add_to_hass(hass)
    listen.return_value = {"VG3": ""}  # only configured gateways
    result = await start_user(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    assert result["errors"] == {}


async def test_user_chooses_manual(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, listen: AsyncMock
) -> None:
    listen.return_value = {"VG1": ""}
    result = await start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: MANUAL}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"


# -- manual step ------------------------------------------------------------------


async def _manual_form(hass: HomeAssistant) -> dict[str, Any]:
    result = await start_user(hass)
    assert result["step_id"] == "manual"
    return result


@pytest.mark.parametrize(
    ("client_id", "prefix", "errors"),
    [
        ("a/b", "", {CONF_CLIENT_ID: "invalid_client_id"}),
        ("a+b", "", {CONF_CLIENT_ID: "invalid_client_id"}),
        ("a#b", "", {CONF_CLIENT_ID: "invalid_client_id"}),
        ("a\x00b", "", {CONF_CLIENT_ID: "invalid_client_id"}),
        ("   ", "", {CONF_CLIENT_ID: "invalid_client_id"}),
        ("x" * 129, "", {CONF_CLIENT_ID: "invalid_client_id"}),
        ("é" * 65, "", {CONF_CLIENT_ID: "invalid_client_id"}),  # 130 bytes
        ("VG1", "a/+/b", {CONF_PREFIX: "invalid_prefix"}),
        ("VG1", "a//b", {CONF_PREFIX: "invalid_prefix"}),
        ("VG1", "fleet/#", {CONF_PREFIX: "invalid_prefix"}),
        (
            "a/b",
            "a/+",
            {CONF_CLIENT_ID: "invalid_client_id", CONF_PREFIX: "invalid_prefix"},
        ),
    ],
)
async def test_manual_errors(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    listen: AsyncMock,
    probe: AsyncMock,
    client_id: str,
    prefix: str,
    errors: dict[str, str],
) -> None:
    result = await _manual_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: client_id, CONF_PREFIX: prefix}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    assert result["errors"] == errors
    probe.assert_not_called()


@pytest.mark.parametrize(
    ("client_id", "prefix", "data"),
    [
        ("VG1", "", {CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""}),
        ("VG1", "fleet/", {CONF_CLIENT_ID: "VG1", CONF_PREFIX: "fleet/"}),
        (
            " VG1 ",
            " /fleet/site1/ ",
            {CONF_CLIENT_ID: "VG1", CONF_PREFIX: "fleet/site1/"},
        ),
        ("x" * 128, "", {CONF_CLIENT_ID: "x" * 128, CONF_PREFIX: ""}),
        ("网关-1", "车队", {CONF_CLIENT_ID: "网关-1", CONF_PREFIX: "车队/"}),
    ],
)
async def test_manual_creates_entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    listen: AsyncMock,
    probe: AsyncMock,
    setup_entry: AsyncMock,
    client_id: str,
    prefix: str,
    data: dict[str, str],
) -> None:
    result = await _manual_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: client_id, CONF_PREFIX: prefix}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == data
    assert result["result"].unique_id == data[CONF_CLIENT_ID]
    assert probe.call_args.args[1] == Topics(data[CONF_CLIENT_ID], data[CONF_PREFIX])


async def test_manual_without_prefix_field(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    listen: AsyncMock,
    probe: AsyncMock,
    setup_entry: AsyncMock,
) -> None:
    result = await _manual_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "VG1"}
    )
    assert result["data"] == {CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""}


async def test_manual_for_a_configured_gateway_aborts(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    listen: AsyncMock,
    probe: AsyncMock,
) -> None:
    make_entry("VG1").add_to_hass(hass)
    result = await _manual_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    probe.assert_not_called()


# -- reconfigure and options -------------------------------------------------------


@pytest.fixture
async def loaded_entry(
    no_initial_requests: None, flexapi_entry: MockConfigEntry
) -> MockConfigEntry:
    """A loaded ``VG1`` entry that sent no start-up requests."""
    return flexapi_entry


async def test_reconfigure_changes_prefix_and_reloads(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded_entry: MockConfigEntry
) -> None:
    old_runtime = loaded_entry.runtime_data
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"client_id": "VG1"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "a/+/b"}
    )
    assert result["errors"] == {CONF_PREFIX: "invalid_prefix"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "fleet"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await settle(hass)
    assert loaded_entry.data == {CONF_CLIENT_ID: "VG1", CONF_PREFIX: "fleet/"}
    assert loaded_entry.state is ConfigEntryState.LOADED
    runtime = loaded_entry.runtime_data
    assert runtime is not old_runtime
    assert runtime.topics.base == "fleet/v1/VG1/"
    topics = subscribed_topics(mqtt_mock)
    assert "fleet/v1/+/+/info" in topics
    assert "v1/+/+/info" not in topics

    # The form suggests the current prefix; it is no default.
    result = await loaded_entry.start_reconfigure_flow(hass)
    [field] = result["data_schema"].schema
    assert field.description == {"suggested_value": "fleet/"}
    assert result["data_schema"]({}) == {}


async def test_reconfigure_can_clear_the_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, no_initial_requests: None
) -> None:
    """An emptied optional field is left out by the frontend: that clears it."""
    entry = make_entry("VG1", prefix="fleet/")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await settle(hass)
    assert entry.data == {CONF_CLIENT_ID: "VG1", CONF_PREFIX: ""}
    assert entry.runtime_data.topics.base == "v1/VG1/"
    assert "v1/+/+/info" in subscribed_topics(mqtt_mock)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_reconfigure_without_change_keeps_the_runtime(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded_entry: MockConfigEntry
) -> None:
    """The reload is the update listener's: an unchanged prefix reloads nothing."""
    old_runtime = loaded_entry.runtime_data
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await settle(hass)
    assert loaded_entry.runtime_data is old_runtime
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_options_flow_saves_options(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["data_schema"]({}) == {
        CONF_GNSS_SPEED_UNIT: SPEED_KMH,
        CONF_STALE_MULTIPLIER: 3.0,
        CONF_TRIP_END_DELAY: 120,
        CONF_TRIP_MIN_DISTANCE: 100,
    }
    chosen = {
        CONF_GNSS_SPEED_UNIT: SPEED_KNOTS,
        CONF_STALE_MULTIPLIER: 5,
        CONF_TRIP_END_DELAY: 300,
        CONF_TRIP_MIN_DISTANCE: 500,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], chosen
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == chosen
    await settle(hass)

    # The form now shows the saved values.
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["data_schema"]({}) == chosen


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (CONF_TRIP_END_DELAY, 10),
        (CONF_TRIP_END_DELAY, 7200),
        (CONF_TRIP_MIN_DISTANCE, -1),
        (CONF_TRIP_MIN_DISTANCE, 20000),
    ],
)
async def test_options_flow_rejects_out_of_range_trip_options(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded_entry: MockConfigEntry,
    key: str,
    value: int,
) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {key: value}
        )


@pytest.mark.parametrize("multiplier", [1, 25])
async def test_options_flow_rejects_out_of_range_multiplier(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded_entry: MockConfigEntry,
    multiplier: float,
) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    with pytest.raises(InvalidData, match="stale_multiplier"):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_GNSS_SPEED_UNIT: SPEED_KMH, CONF_STALE_MULTIPLIER: multiplier},
        )


@pytest.mark.parametrize(
    ("client_id", "model", "title"),
    [
        ("VG1", "VG710", "VG710 VG1"),
        ("VG710-DEMO", "VG710", "VG710-DEMO"),
        ("fleet-vg710-7", "VG710", "fleet-vg710-7"),
        ("VG1", "", "VG1"),
        ("VG1", None, "VG1"),
    ],
)
def test_title_names_the_model_once(
    client_id: str, model: str | None, title: str
) -> None:
    """The title (and so entity ids) does not repeat a model the id already names."""
    from custom_components.flexapi.config_flow import _title

    assert _title(client_id, {"sysinfo.model_name": model}) == title


async def test_discovery_follows_a_gateway_to_another_prefix(
    hass: HomeAssistant, probe: AsyncMock
) -> None:
    """Heard without the prefix it was configured with: the entry follows."""
    entry = make_entry("VG1", prefix="fleet/")
    entry.add_to_hass(hass)
    result = await start_discovery(hass, "v1/VG1/cellular1/info")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PREFIX] == ""
    probe.assert_not_called()


async def test_discovery_moves_a_loaded_entry_to_the_new_prefix(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    probe: AsyncMock,
) -> None:
    """A loaded gateway heard on another prefix is reloaded onto it.

    The flow only updates the entry; its update listener reloads it (the
    conftest guard fails the test if the flow reloads it itself).
    """
    entry = make_entry("VG1", prefix="fleet/")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    old_runtime = entry.runtime_data
    result = await start_discovery(hass, "v1/VG1/cellular1/info")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await settle(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not old_runtime
    assert entry.runtime_data.topics.base == "v1/VG1/"
    topics = subscribed_topics(mqtt_mock)
    assert "v1/+/+/info" in topics
    assert "fleet/v1/+/+/info" not in topics
    probe.assert_not_called()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass)


async def test_a_failed_listening_window_falls_back_to_manual(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, listen: AsyncMock
) -> None:
    listen.side_effect = HomeAssistantError("subscribe failed")
    result = await start_user(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
