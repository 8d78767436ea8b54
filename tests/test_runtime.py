"""The device runtime: data, events, availability, settings and control."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
import logging
from typing import Any
from unittest.mock import Mock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import (
    CONF_STALE_MULTIPLIER,
    DOMAIN,
    REQUEST_RETRIES,
    REQUEST_TIMEOUT,
    STALE_CHECK_SECONDS,
)
from custom_components.flexapi.protocol.errors import (
    FlexApiNotAppliedError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiValueError,
)
from custom_components.flexapi.protocol.messages import CustomGroup
from custom_components.flexapi.protocol.topics import MAX_TOPIC_GROUPS, RESERVED_GROUPS
from custom_components.flexapi.runtime import FlexApiRuntime
from tests.compat import device_by_identifier

from .helpers import (
    REQUEST_SPACING,
    advance,
    answer,
    fire_json,
    last_payload,
    published,
    respond,
    settle,
    start,
)

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

BASE = "v1/VG1/"
STORAGE_KEY = "flexapi.{}"

#: §4.1.2 example: two custom groups with aliases.
CUSTOM_GROUPS = [
    {
        "group_name": "group1",
        "interval": 60,
        "interest": {
            "gnss.latitude": "lat",
            "gnss.longitude": "lon",
            "obd.speed": "speed",
            "userdata.custom_key": "custom_key",
        },
    },
    {
        "group_name": "group2",
        "interval": 30,
        "interest": {"io.DI1": "DI1", "io.D01": "D01", "io.AI1": ""},
    },
]


@pytest.fixture
async def runtime(
    no_initial_requests: None, flexapi_entry: MockConfigEntry
) -> FlexApiRuntime:
    """The runtime of a loaded ``VG1`` entry that sent no start-up requests."""
    return flexapi_entry.runtime_data


async def run_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass in staleness-check steps, so every check runs."""
    while seconds > 0:
        step = min(seconds, STALE_CHECK_SECONDS)
        await advance(hass, freezer, step)
        seconds -= step


async def request(hass: HomeAssistant, coro: Coroutine[Any, Any, Any]) -> Any:
    """Start a runtime request and let it reach the wire."""
    future = start(coro)
    await settle(hass)
    assert not future.done(), future
    return future


# -- data ---------------------------------------------------------------------


async def test_summary_lands_with_canonical_keys(
    hass: HomeAssistant, runtime: FlexApiRuntime, spec_examples: dict[str, Any]
) -> None:
    fire_json(hass, BASE + "summary/info", spec_examples["summary"])
    await settle(hass)
    values = runtime.store.values
    assert values["gnss.latitude"] == 40.232213
    assert values["gnss.fix"] == 3
    assert values["obd.rpm"] == 1234
    # io.D01 (digit zero, §3.1.1) is stored under the canonical io.DO1.
    assert "io.D01" not in values
    assert values["io.DO1"] is False
    assert runtime.store.digit_zero["io.DO1"] is True
    assert runtime.is_available("gnss")


@pytest.mark.parametrize(
    ("group", "data", "expected"),
    [
        ("gnss", {"gnss.speed": 87.6, "gnss.num_sv": "7"}, {"gnss.num_sv": 7}),
        ("cellular1", {"modem1.rssi": None}, {"modem1.rssi": None}),
        ("motion", {"motion.ax": 0.5}, {"motion.ax": 0.5}),
        ("io", {"io.DO2": 1, "io.DI3": "0"}, {"io.DO2": True, "io.DI3": False}),
        ("obd", {"obd.mil": "1", "obd.dtcs": "3"}, {"obd.mil": True, "obd.dtcs": 3}),
    ],
)
async def test_group_info_is_coerced(
    hass: HomeAssistant,
    runtime: FlexApiRuntime,
    group: str,
    data: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    fire_json(hass, BASE + f"{group}/info", data)
    await settle(hass)
    for key, value in expected.items():
        assert key in runtime.store.values
        assert runtime.store.values[key] == value
        assert type(runtime.store.values[key]) is type(value)


async def test_invalid_values_are_unknown(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    fire_json(hass, BASE + "gnss/info", {"gnss.latitude": "north", "gnss.fix": 3})
    await settle(hass)
    assert runtime.store.values["gnss.latitude"] is None
    assert runtime.store.values["gnss.fix"] == 3


async def test_refresh_results_are_ingested(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
    spec_examples: dict[str, Any],
) -> None:
    future = await request(hass, runtime.async_refresh("cellular1"))
    assert last_payload(mqtt_mock, BASE + "cellular1/refresh").keys() == {
        "client_token"
    }
    answer(hass, mqtt_mock, BASE + "cellular1/refresh", spec_examples["cellular1"])
    await settle(hass)
    assert future.result() == spec_examples["cellular1"]
    assert (
        runtime.store.values["modem1.imei"] == spec_examples["cellular1"]["modem1.imei"]
    )

    # §3.3.10: the 1-wire success response is bare.
    future = start(runtime.async_refresh("1-wire"))
    await advance(hass, freezer, REQUEST_SPACING)
    respond(hass, BASE + "1-wire/refresh", None, spec_examples["1-wire"])
    await settle(hass)
    assert future.result() == spec_examples["1-wire"]
    assert (
        runtime.store.values["1-wire.temp1_data"]
        == spec_examples["1-wire"]["1-wire.temp1_data"]
    )
    assert runtime.store.values["1-wire.status"] == "Connected"


async def test_waiting_refreshes_of_a_group_merge(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
) -> None:
    first = start(runtime.async_refresh("gnss"))
    await settle(hass)
    second = start(runtime.async_refresh("gnss"))
    third = start(runtime.async_refresh("gnss"))
    await settle(hass)
    answer(hass, mqtt_mock, BASE + "gnss/refresh", {"gnss.fix": 1})
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "gnss/refresh", {"gnss.fix": 3})
    await advance(hass, freezer, REQUEST_SPACING)
    assert len(published(mqtt_mock, BASE + "gnss/refresh")) == 2
    assert first.result() == {"gnss.fix": 1}
    assert second.result() == third.result() == {"gnss.fix": 3}
    assert runtime.store.values["gnss.fix"] == 3


async def test_custom_groups_learn_aliases(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
) -> None:
    future = await request(hass, runtime.async_get_custom_groups())
    answer(hass, mqtt_mock, BASE + "group/get", CUSTOM_GROUPS)
    await settle(hass)
    assert [group.name for group in future.result()] == ["group1", "group2"]
    assert set(runtime.custom_groups) == {"group1", "group2"}
    assert runtime.interval("group1") == 60

    # §4.2: timer data of custom groups uses the aliases.
    fire_json(
        hass,
        BASE + "group1/info",
        {"lat": 40.232213, "speed": 50, "custom_key": "custom_value"},
    )
    fire_json(hass, BASE + "group2/info", {"DI1": 1, "D01": 1, "io.AI1": 2.5})
    await settle(hass)
    values = runtime.store.values
    assert values["gnss.latitude"] == 40.232213
    assert values["obd.speed"] == 50
    assert values["userdata.custom_key"] == "custom_value"
    assert values["io.DI1"] is True
    assert values["io.DO1"] is True
    assert values["io.AI1"] == 2.5
    assert runtime.store.digit_zero["io.DO1"] is True
    assert not runtime.store.unmapped

    # §4.3: on-demand data of a custom group resolves the same way.
    future = start(runtime.async_refresh("group1"))
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group1/refresh", {"lat": 41.5})
    await settle(hass)
    assert values["gnss.latitude"] == 41.5

    # The device dropped group2: its aliases are forgotten.
    future = start(runtime.async_get_custom_groups())
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/get", CUSTOM_GROUPS[:1])
    await settle(hass)
    assert set(runtime.custom_groups) == {"group1"}
    assert runtime.interval("group2") is None
    fire_json(hass, BASE + "group2/info", {"DI1": 0})
    await settle(hass)
    assert runtime.store.unmapped == {"DI1": 0}
    assert values["io.DI1"] is True


async def test_group_get_with_unusable_result(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, runtime: FlexApiRuntime
) -> None:
    future = await request(hass, runtime.async_get_custom_groups())
    answer(hass, mqtt_mock, BASE + "group/get", {"not": "a list"})
    await settle(hass)
    assert future.result() == []
    assert runtime.custom_groups == {}


async def test_set_and_remove_custom_groups(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    group = CustomGroup("fleet", 30, {"gnss.speed": "spd", "io.DI2": ""})
    other = CustomGroup("other", 10, {"obd.rpm": "r"})
    future = await request(hass, runtime.async_set_custom_groups([group, other]))
    request_body = answer(hass, mqtt_mock, BASE + "group/set", [FLEET_ECHO, OTHER_ECHO])
    await settle(hass)
    assert request_body["settings"] == [
        {
            "group_name": "fleet",
            "interval": 30,
            "interest": {"gnss.speed": "spd", "io.DI2": ""},
        },
        {"group_name": "other", "interval": 10, "interest": {"obd.rpm": "r"}},
    ]
    assert future.result() == [FLEET_ECHO, OTHER_ECHO]
    assert runtime.custom_groups == {"fleet": group, "other": other}
    fire_json(hass, BASE + "fleet/info", {"spd": 12.5})
    await settle(hass)
    assert runtime.store.values["gnss.speed"] == 12.5

    future = start(runtime.async_remove_custom_groups(["fleet", "fleet"]))
    await advance(hass, freezer, REQUEST_SPACING)
    request_body = answer(
        hass,
        mqtt_mock,
        BASE + "group/set",
        [{"group_name": "fleet", "interest": None}],
    )
    await settle(hass)
    assert request_body["settings"] == [{"group_name": "fleet", "interest": None}]
    future.result()
    assert set(runtime.custom_groups) == {"other"}

    await advance(hass, freezer, 1.5)  # the delayed save
    stored = hass_storage[STORAGE_KEY.format(runtime.entry.entry_id)]["data"]
    assert stored["custom_groups"] == {
        "other": {"interval": 10, "interest": {"obd.rpm": "r"}}
    }


FLEET_ECHO = {
    "group_name": "fleet",
    "interval": 30,
    "interest": {"gnss.speed": "spd", "io.DI2": ""},
}
OTHER_ECHO = {"group_name": "other", "interval": 10, "interest": {"obd.rpm": "r"}}


async def learn_group1(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, runtime: FlexApiRuntime
) -> None:
    """group/get: the device has group1 (60 s, aliases lat, lon, ...)."""
    future = await request(hass, runtime.async_get_custom_groups())
    answer(hass, mqtt_mock, BASE + "group/get", CUSTOM_GROUPS[:1])
    await settle(hass)
    future.result()


@pytest.mark.parametrize(
    ("update", "sent", "echo"),
    [
        (CustomGroup("group1", interval=120), {"interval": 120}, {"interval": 120}),
        (
            CustomGroup("group1", interest={"gnss.latitude": "la"}),
            {"interest": {"gnss.latitude": "la"}},
            {"interest": {"gnss.latitude": "la"}},
        ),
    ],
    ids=["interval-only", "interest-only"],
)
async def test_a_partial_custom_group_update_keeps_the_other_setting(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    update: CustomGroup,
    sent: dict[str, Any],
    echo: dict[str, Any],
) -> None:
    """§3.2.1 cases 2 and 3 apply to custom groups; the echo has only what was sent."""
    await learn_group1(hass, mqtt_mock, runtime)
    future = start(runtime.async_set_custom_groups([update]))
    await advance(hass, freezer, REQUEST_SPACING)
    request_body = answer(
        hass, mqtt_mock, BASE + "group/set", [{"group_name": "group1", **echo}]
    )
    await settle(hass)
    future.result()
    assert request_body["settings"] == [{"group_name": "group1", **sent}]

    group1 = runtime.custom_groups["group1"]
    expected_interest = sent.get("interest", CUSTOM_GROUPS[0]["interest"])
    assert group1.interval == sent.get("interval", 60)
    assert group1.interest == expected_interest
    assert runtime.interval("group1") == sent.get("interval", 60)
    # The group's data still lands on its keys, through the kept aliases.
    alias = expected_interest["gnss.latitude"]
    fire_json(hass, BASE + "group1/info", {alias: 40.5})
    await settle(hass)
    assert runtime.store.values["gnss.latitude"] == 40.5
    assert not runtime.store.unmapped
    await advance(hass, freezer, 1.5)  # the delayed save
    stored = hass_storage[STORAGE_KEY.format(runtime.entry.entry_id)]["data"]
    assert stored["custom_groups"]["group1"] == {
        "interval": sent.get("interval", 60),
        "interest": expected_interest,
    }


@pytest.mark.parametrize(
    ("echo", "unapplied", "recorded"),
    [
        # The interest echo lost a key: the device holds what it echoed.
        (
            [{**FLEET_ECHO, "interest": {"gnss.speed": "spd"}}],
            ["fleet/interest"],
            CustomGroup("fleet", 30, {"gnss.speed": "spd"}),
        ),
        ([{"group_name": "fleet", "interval": 30}], ["fleet/interest"], None),
        ([{**FLEET_ECHO, "interval": 60}], ["fleet/interval"], None),
        ([], ["fleet/interval", "fleet/interest"], None),
        ({}, ["fleet/interval", "fleet/interest"], None),
        (None, ["fleet/interval", "fleet/interest"], None),
    ],
    ids=["interest-shrunk", "no-interest", "other-interval", "empty", "object", "null"],
)
async def test_a_custom_group_echo_that_differs_raises_not_applied(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    echo: Any,
    unapplied: list[str],
    recorded: CustomGroup | None,
) -> None:
    """§2.1.1: what the echo confirms is recorded, the rest is an error."""
    group = CustomGroup("fleet", 30, {"gnss.speed": "spd", "io.DI2": ""})
    future = await request(hass, runtime.async_set_custom_groups([group]))
    answer(hass, mqtt_mock, BASE + "group/set", echo)
    await settle(hass)
    with pytest.raises(FlexApiNotAppliedError) as err:
        future.result()
    assert list(err.value.keys) == unapplied
    assert err.value.result == echo
    if recorded is not None:
        assert runtime.custom_groups["fleet"] == recorded
    elif "fleet/interval" in unapplied and "fleet/interest" in unapplied:
        assert "fleet" not in runtime.custom_groups
    else:
        fleet = runtime.custom_groups["fleet"]
        confirmed = {k: v for k, v in echo[0].items() if k != "group_name"}
        assert fleet.interval == confirmed.get("interval")
        assert fleet.interest == confirmed.get("interest")


async def test_an_unconfirmed_removal_keeps_the_group(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
) -> None:
    await learn_group1(hass, mqtt_mock, runtime)
    future = start(runtime.async_remove_custom_groups(["group1"]))
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/set", [{"group_name": "group1"}])
    await settle(hass)
    with pytest.raises(FlexApiNotAppliedError) as err:
        future.result()
    assert err.value.keys == ("group1/interest",)
    assert "group1" in runtime.custom_groups
    fire_json(hass, BASE + "group1/info", {"lat": 1.5})
    await settle(hass)
    assert runtime.store.values["gnss.latitude"] == 1.5


async def test_events_reach_listeners_and_data(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    listener = Mock()
    remove = runtime.async_add_event_listener(listener)
    bare = {
        "starts_at": 1700000000,
        "status": "raise",
        "type": "DI_CHG",
        "level": 1,
        "io.DI1": 1,
        "gnss.latitude": 40.5,
    }
    fire_json(hass, BASE + "event/notice", bare)
    fire_json(
        hass,
        BASE + "event/notice",
        {
            "topic": BASE + "event/notice",
            "payload": {
                **bare,
                "status": "clear",
                "ends_at": 1700000060,
                "io.DI1": 0,
            },
        },
    )
    fire_json(hass, BASE + "event/notice", {"type": "DI_CHG", "status": "raise"})
    await settle(hass)
    raised, cleared, no_data = (call.args[0] for call in listener.call_args_list)
    assert (raised.status, raised.level_name, raised.starts_at) == (
        "raise",
        "notice",
        1700000000,
    )
    assert (cleared.status, cleared.ends_at) == ("clear", 1700000060)
    assert no_data.data == {}
    assert runtime.store.values["io.DI1"] is False
    assert runtime.store.values["gnss.latitude"] == 40.5
    assert runtime.events == [raised, cleared, no_data]

    remove()
    for index in range(25):
        fire_json(
            hass,
            BASE + "event/notice",
            {"type": "DI_CHG", "status": "raise", "starts_at": index},
        )
    await settle(hass)
    assert listener.call_count == 3
    assert len(runtime.events) == 20
    assert runtime.events[-1].starts_at == 24


async def test_key_and_new_key_listeners(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    on_key = Mock()
    on_new = Mock()
    remove_key = runtime.async_add_listener(on_key, ["gnss.fix"], ["gnss"])
    remove_new = runtime.async_add_new_key_listener(on_new)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3, "gnss.hdop": 1.2})
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3, "gnss.hdop": 1.3})
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 2})
    await settle(hass)
    assert on_key.call_count == 2  # unchanged values notify nobody
    on_new.assert_called_once_with(["gnss.fix", "gnss.hdop"])
    remove_key()
    remove_new()
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 1, "gnss.pdop": 2.0})
    await settle(hass)
    assert on_key.call_count == 2
    on_new.assert_called_once()


# -- availability ---------------------------------------------------------------


async def test_silent_group_goes_stale_and_revives(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    gnss_listener = Mock()
    obd_listener = Mock()
    runtime.async_add_listener(gnss_listener, [], ["gnss"])
    runtime.async_add_listener(obd_listener, [], ["obd"])
    await run_for(hass, freezer, 20)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)

    # Default interval 10 s, multiplier 3: obd (never heard) is stale after 30 s.
    await run_for(hass, freezer, 10)
    assert runtime.is_available("obd")
    await run_for(hass, freezer, 5)
    assert not runtime.is_available("obd")
    assert runtime.is_available("gnss")
    obd_listener.assert_called_once()
    gnss_listener.assert_not_called()

    # gnss was heard at 20 s: still fresh at 50 s, stale by 55 s.
    await run_for(hass, freezer, 15)
    assert runtime.is_available("gnss")
    await run_for(hass, freezer, 5)
    assert not runtime.is_available("gnss")
    gnss_listener.assert_called_once()

    # Data revives a group at once, without waiting for the next check.
    fire_json(hass, BASE + "summary/info", {"gnss.fix": 3, "obd.rpm": 800})
    await settle(hass)
    assert runtime.is_available("gnss")
    assert runtime.is_available("obd")
    assert gnss_listener.call_count == 2
    assert obd_listener.call_count == 2
    # Groups without a timer upload never go stale.
    assert runtime.is_available("sysinfo")


@pytest.mark.parametrize("flexapi_options", [{CONF_STALE_MULTIPLIER: 1.5}])
async def test_stale_multiplier_option(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    assert runtime.freshness.multiplier == 1.5
    await run_for(hass, freezer, 15)
    assert runtime.is_available("gnss")
    await run_for(hass, freezer, 5)
    assert not runtime.is_available("gnss")


async def test_mqtt_disconnect_makes_everything_unavailable(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    listener = Mock()
    runtime.async_add_listener(listener, ["gnss.fix"], ["gnss"])
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    listener.reset_mock()

    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await settle(hass)
    listener.assert_called_once()
    assert not runtime.mqtt_connected
    assert not any(runtime.is_available(group) for group in RESERVED_GROUPS)
    assert not runtime.is_available("sysinfo")

    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await settle(hass)
    assert listener.call_count == 2
    assert runtime.is_available("gnss")


# -- settings -------------------------------------------------------------------


async def test_set_group_interval_changes_staleness(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert runtime.interval("cellular1") == 30
    future = await request(hass, runtime.async_set_group("cellular1", interval=5))
    request_body = answer(hass, mqtt_mock, BASE + "cellular1/set", {"interval": 5})
    await settle(hass)
    assert set(request_body) == {"client_token", "interval"}
    assert request_body["interval"] == 5
    assert future.result() == {"interval": 5}
    assert runtime.interval("cellular1") == 5
    listener = Mock()
    runtime.async_add_listener(listener, [], ["cellular1"])
    # 3 x 5 s instead of 3 x 30 s.
    await run_for(hass, freezer, 15)
    assert runtime.is_available("cellular1")
    await run_for(hass, freezer, 5)
    assert not runtime.is_available("cellular1")
    listener.assert_called_once()

    # Disabling the upload (interval 0) makes silence normal again.
    future = start(runtime.async_set_group("cellular1", interval=0))
    await settle(hass)
    answer(hass, mqtt_mock, BASE + "cellular1/set", {"interval": 0})
    await settle(hass)
    future.result()
    await run_for(hass, freezer, STALE_CHECK_SECONDS)
    assert runtime.is_available("cellular1")
    assert listener.call_count == 2


async def test_disabled_upload_never_goes_stale(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """§3.2.1 case 1: interval 0 disables the timer upload."""
    future = await request(hass, runtime.async_set_group("1-wire", interval=0))
    answer(hass, mqtt_mock, BASE + "1-wire/set", {"interval": 0})
    await settle(hass)
    future.result()
    assert last_payload(mqtt_mock, BASE + "1-wire/set")["interval"] == 0
    await run_for(hass, freezer, 120)
    assert runtime.is_available("1-wire")
    assert not runtime.is_available("userdata")


async def test_set_group_interest_resolves_aliases(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, runtime: FlexApiRuntime
) -> None:
    """§3.2.1: an alias renames the key in reported data."""
    interest = {"obd.mil": "MIL", "obd.dtcs": "dtcNum"}
    confirmed = {"interest": interest, "interval": 60}
    future = await request(
        hass, runtime.async_set_group("obd", interval=60, interest=interest)
    )
    request_body = answer(hass, mqtt_mock, BASE + "obd/set", confirmed)
    await settle(hass)
    assert request_body["interest"] == interest
    assert request_body["interval"] == 60
    assert future.result() == confirmed
    assert runtime.interval("obd") == 60
    assert runtime.store.aliases("obd") == {"MIL": "obd.mil", "dtcNum": "obd.dtcs"}

    fire_json(hass, BASE + "obd/info", {"MIL": "1", "dtcNum": "3"})
    await settle(hass)
    assert runtime.store.values["obd.mil"] is True
    assert runtime.store.values["obd.dtcs"] == 3
    # The alias belongs to obd/info only.
    fire_json(hass, BASE + "gnss/info", {"MIL": "0"})
    await settle(hass)
    assert runtime.store.values["obd.mil"] is True
    assert runtime.store.unmapped == {"MIL": "0"}


@pytest.mark.parametrize(
    ("echo", "unapplied", "interval", "aliases"),
    [
        ({"interval": 60}, ["interest"], 60, {}),
        ({"interest": {"obd.mil": "MIL"}}, ["interval"], 10, {"MIL": "obd.mil"}),
        ({"interval": 30, "interest": {"obd.mil": "MIL"}}, ["interval"], 30, None),
        ({"interval": "60", "interest": {"obd.mil": "MIL"}}, [], 60, None),
        ({}, ["interval", "interest"], 10, {}),
        (None, ["interval", "interest"], 10, {}),
        ([60], ["interval", "interest"], 10, {}),
    ],
    ids=[
        "no-interest",
        "no-interval",
        "other-interval",
        "string-interval",
        "empty",
        "null",
        "list",
    ],
)
async def test_set_group_records_only_what_the_echo_confirms(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    echo: Any,
    unapplied: list[str],
    interval: int,
    aliases: dict[str, str] | None,
) -> None:
    """§2.1.1: check the content of result; name what was not applied."""
    future = await request(
        hass, runtime.async_set_group("obd", interval=60, interest={"obd.mil": "MIL"})
    )
    answer(hass, mqtt_mock, BASE + "obd/set", echo)
    await settle(hass)
    if unapplied:
        with pytest.raises(FlexApiNotAppliedError) as err:
            future.result()
        assert list(err.value.keys) == unapplied
        assert err.value.result == echo
    else:
        assert future.result() == echo
    assert runtime.interval("obd") == interval
    assert runtime.store.aliases("obd") == (
        {"MIL": "obd.mil"} if aliases is None else aliases
    )
    await advance(hass, freezer, 1.5)  # the delayed save, if any
    key = STORAGE_KEY.format(runtime.entry.entry_id)
    if unapplied == ["interval", "interest"]:  # nothing confirmed: nothing saved
        assert key not in hass_storage
    else:
        stored = hass_storage[key]["data"]["settings"]["obd"]
        assert stored.get("interval", 10) == interval


async def test_a_partial_reserved_group_update_keeps_the_other_setting(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """§3.2.1 cases 2 and 3: an interval change keeps the aliases, and back."""
    future = await request(
        hass, runtime.async_set_group("obd", interest={"obd.mil": "MIL"})
    )
    answer(hass, mqtt_mock, BASE + "obd/set", {"interest": {"obd.mil": "MIL"}})
    await settle(hass)
    future.result()
    future = start(runtime.async_set_group("obd", interval=20))
    await advance(hass, freezer, REQUEST_SPACING)
    assert set(answer(hass, mqtt_mock, BASE + "obd/set", {"interval": 20})) == {
        "client_token",
        "interval",
    }
    await settle(hass)
    future.result()
    assert runtime.interval("obd") == 20
    assert runtime.store.aliases("obd") == {"MIL": "obd.mil"}
    future = start(runtime.async_set_group("obd", interest={"obd.rpm": "R"}))
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "obd/set", {"interest": {"obd.rpm": "R"}})
    await settle(hass)
    future.result()
    assert runtime.interval("obd") == 20
    assert runtime.store.aliases("obd") == {"R": "obd.rpm"}


async def test_set_group_error_changes_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    future = await request(hass, runtime.async_set_group("gnss", interval=3600))
    answer(hass, mqtt_mock, BASE + "gnss/set", error="interval_invalid")
    await settle(hass)
    with pytest.raises(FlexApiResponseError) as err:
        future.result()
    assert err.value.code == "interval_invalid"
    assert runtime.interval("gnss") == 10
    await advance(hass, freezer, 2)
    assert STORAGE_KEY.format(runtime.entry.entry_id) not in hass_storage


@pytest.mark.parametrize(
    ("interval", "interest"),
    [(3601, None), (-1, None), (None, None), (None, {"obd.mil": 1})],
)
async def test_set_group_rejects_invalid_settings(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    interval: int | None,
    interest: dict[str, Any] | None,
) -> None:
    with pytest.raises(FlexApiValueError):
        await runtime.async_set_group("gnss", interval, interest)
    assert not published(mqtt_mock, BASE + "gnss/set")


async def test_settings_persist_across_reload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    interest = {"obd.mil": "MIL"}
    future = await request(
        hass, runtime.async_set_group("obd", interval=20, interest=interest)
    )
    answer(hass, mqtt_mock, BASE + "obd/set", {"interval": 20, "interest": interest})
    await settle(hass)
    future.result()
    future = start(runtime.async_get_custom_groups())
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/get", CUSTOM_GROUPS)
    await settle(hass)
    future.result()

    await advance(hass, freezer, 1.5)  # the delayed save
    stored = hass_storage[STORAGE_KEY.format(flexapi_entry.entry_id)]["data"]
    assert stored["settings"] == {"obd": {"interval": 20, "interest": interest}}
    assert set(stored["custom_groups"]) == {"group1", "group2"}

    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await settle(hass)
    reloaded: FlexApiRuntime = flexapi_entry.runtime_data
    assert reloaded is not runtime
    assert reloaded.interval("obd") == 20
    assert reloaded.interval("group2") == 30
    fire_json(hass, BASE + "obd/info", {"MIL": 1})
    fire_json(hass, BASE + "group1/info", {"lat": 12.5})
    await settle(hass)
    assert reloaded.store.values["obd.mil"] is True
    assert reloaded.store.values["gnss.latitude"] == 12.5


async def test_settings_restored_from_storage(
    hass: HomeAssistant,
    no_initial_requests: None,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    flexapi_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    key = STORAGE_KEY.format(flexapi_config_entry.entry_id)
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "settings": {
                "userdata": {
                    "interval": 60,
                    "interest": {"userdata.serial_number": "sn"},
                },
                "io": {"interval": "bogus"},
            },
            "custom_groups": {"trip": {"interval": 5, "interest": {"obd.odo": "km"}}},
        },
    }
    entry = await setup_flexapi()
    runtime: FlexApiRuntime = entry.runtime_data
    assert runtime.interval("userdata") == 60
    assert runtime.interval("io") == 10
    assert runtime.interval("trip") == 5
    fire_json(hass, BASE + "userdata/info", {"sn": "SN0125"})
    fire_json(hass, BASE + "trip/info", {"km": 1400})
    await settle(hass)
    assert runtime.store.values["userdata.serial_number"] == "SN0125"
    assert runtime.store.values["obd.odo"] == 1400


# -- control --------------------------------------------------------------------


# io/control and app/control: tests/test_control.py


@pytest.mark.parametrize(
    ("operation", "data", "wire", "expected"),
    [
        (
            "insert",
            {"custom_key": "custom_value", "userdata.serial_number": "SN0125"},
            {
                "insert": {
                    "userdata.custom_key": "custom_value",
                    "userdata.serial_number": "SN0125",
                }
            },
            {"userdata.custom_key": "custom_value", "userdata.serial_number": "SN0125"},
        ),
        (
            "update",
            {"userdata.serial_number": "SN0232"},
            {"update": {"userdata.serial_number": "SN0232"}},
            {"userdata.serial_number": "SN0232"},
        ),
        (
            "delete",
            ["userdata.serial_number"],
            {"delete": {"userdata.serial_number": "serial_number"}},
            {"userdata.serial_number": None},  # gone
        ),
    ],
)
async def test_userdata_operations(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    operation: str,
    data: Any,
    wire: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """§3.2.8: insert, update and delete userdata keys."""
    fire_json(hass, BASE + "userdata/info", {"userdata.serial_number": "SN0001"})
    await settle(hass)
    future = await request(hass, runtime.async_userdata(operation, data))
    echo = {"insert": "inserted", "update": "updated", "delete": "deleted"}
    request_body = answer(
        hass, mqtt_mock, BASE + "userdata/set", {echo[operation]: wire[operation]}
    )
    await settle(hass)
    assert request_body == {"client_token": request_body["client_token"], **wire}
    future.result()
    for key, value in expected.items():
        if value is None:  # deleted: gone from the store, not unknown
            assert key not in runtime.store.values
        else:
            assert runtime.store.values[key] == value


async def test_userdata_error_leaves_store_alone(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, runtime: FlexApiRuntime
) -> None:
    future = await request(hass, runtime.async_userdata("insert", {"k": "v"}))
    answer(hass, mqtt_mock, BASE + "userdata/set", error="find_same_key")
    await settle(hass)
    with pytest.raises(FlexApiResponseError, match="find_same_key"):
        future.result()
    assert "userdata.k" not in runtime.store.values


# -- start-up and device registry ---------------------------------------------------


async def test_initial_requests_fill_device_and_groups(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    spec_examples: dict[str, Any],
) -> None:
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    answer(hass, mqtt_mock, BASE + "sysinfo/refresh", spec_examples["sysinfo"])
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "app/refresh", {"app.wifi_mode_2g": 0})
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/get", CUSTOM_GROUPS)
    await settle(hass)

    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    sysinfo = spec_examples["sysinfo"]
    assert device.model == sysinfo["sysinfo.model_name"]
    assert device.serial_number == sysinfo["sysinfo.serial_number"]
    assert runtime.store.values["app.wifi_mode_2g"] == 0
    assert set(runtime.custom_groups) == {"group1", "group2"}


async def test_initial_request_failures_are_tolerated(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer(hass, mqtt_mock, BASE + "sysinfo/refresh", error="not_found")
    await advance(hass, freezer, REQUEST_SPACING)
    # app/refresh is never answered: it times out, then group/get goes out.
    assert published(mqtt_mock, BASE + "app/refresh")
    await advance(hass, freezer, REQUEST_TIMEOUT - 0.1)
    assert not published(mqtt_mock, BASE + "group/get")
    await advance(hass, freezer, 0.2)
    answer(hass, mqtt_mock, BASE + "group/get", error="data_empty")
    await settle(hass)
    assert flexapi_entry.runtime_data.custom_groups == {}
    assert "Error doing job" not in caplog.text


@pytest.mark.parametrize(
    ("sysinfo", "expected"),
    [
        (
            {
                "sysinfo.oem_name": "inhand",
                "sysinfo.model_name": "VG710",
                "sysinfo.product_number": "VG710-FQ58",
                "sysinfo.serial_number": "VG7102019052101",
                "sysinfo.firmware_version": "1.0.0.r13083",
                "sysinfo.lan_mac": "00:18:05:10:99:66",
            },
            {
                "manufacturer": "InHand Networks",
                "model": "VG710",
                "model_id": "VG710-FQ58",
                "serial_number": "VG7102019052101",
                "sw_version": "1.0.0.r13083",
                "connections": {(dr.CONNECTION_NETWORK_MAC, "00:18:05:10:99:66")},
            },
        ),
        ({"sysinfo.oem_name": "Acme"}, {"manufacturer": "Acme", "model": None}),
    ],
)
async def test_device_info_from_sysinfo(
    hass: HomeAssistant,
    runtime: FlexApiRuntime,
    sysinfo: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    runtime.handle_data("sysinfo", sysinfo)
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    assert device.name == "VG1"
    for attribute, value in expected.items():
        assert getattr(device, attribute) == value


async def test_a_restart_keeps_the_device_fields_sysinfo_has_not_given_yet(
    hass: HomeAssistant, runtime: FlexApiRuntime, flexapi_entry: MockConfigEntry
) -> None:
    """The device keeps its model etc. while the restarted runtime knows nothing."""
    runtime.handle_data(
        "sysinfo", {"sysinfo.model_name": "VG710", "sysinfo.lan_mac": "001805109966"}
    )
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await settle(hass)
    assert flexapi_entry.runtime_data is not runtime
    assert not flexapi_entry.runtime_data.store.get("sysinfo.model_name")
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    assert device.model == "VG710"
    assert device.connections == {(dr.CONNECTION_NETWORK_MAC, "00:18:05:10:99:66")}


# -- stop ------------------------------------------------------------------------


async def test_stop_fails_every_request_and_publishes_nothing_more(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The start-up requests run (sysinfo on the wire) when the runtime stops."""
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    assert published(mqtt_mock, BASE + "sysinfo/refresh")
    queued = start(runtime.async_refresh("gnss"))
    setting = start(runtime.async_set_group("obd", interval=20))
    await settle(hass)
    count = len(published(mqtt_mock))

    runtime.async_stop()
    await settle(hass)
    # Not even the start-up task goes on with app/refresh and group/get.
    await run_for(hass, freezer, 60)
    assert len(published(mqtt_mock)) == count
    assert not published(mqtt_mock, BASE + "app/refresh")
    assert not published(mqtt_mock, BASE + "group/get")
    # Failed at once, not timed out (their answer would have had 10 s).
    for future in (queued, setting):
        with pytest.raises(FlexApiStoppedError):
            future.result()
    with pytest.raises(FlexApiStoppedError):
        await runtime.async_refresh("io")
    with pytest.raises(FlexApiStoppedError):
        await runtime.async_get_custom_groups()
    # Uploads and a reconnect start nothing either.
    runtime.handle_info("gnss", {"gnss.fix": 3})
    runtime._handle_mqtt_status(False)
    runtime._handle_mqtt_status(True)
    await run_for(hass, freezer, 1000)
    assert len(published(mqtt_mock)) == count
    runtime.async_stop()  # idempotent


async def test_uploads_on_many_topics_keep_runtime_tables_bounded(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    """Per-topic tables stay bounded, as the unknown-key store is."""
    for index in range(5 * MAX_TOPIC_GROUPS):
        fire_json(hass, BASE + f"app{index}/info", {"gnss.fix": index % 4})
    await settle(hass)
    assert runtime.store.values["gnss.fix"] == (5 * MAX_TOPIC_GROUPS - 1) % 4
    assert len(runtime._topic_groups) <= MAX_TOPIC_GROUPS
    assert len(runtime.client._last_info) <= MAX_TOPIC_GROUPS
    assert len(runtime.store._cache) <= MAX_TOPIC_GROUPS
    assert len(runtime.freshness._arrivals) <= MAX_TOPIC_GROUPS
    # The reserved groups still work as before.
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    assert runtime.store.values["gnss.fix"] == 3
    assert "gnss" in runtime.freshness._arrivals


# -- review fixes: retries, learned intervals, replays -------------------------


async def test_unanswered_start_up_requests_are_retried_when_heard_again(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    spec_examples: dict[str, Any],
) -> None:
    """A gateway parked at setup gets its sysinfo asked again once it is back."""
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    # Nothing answers: sysinfo, app and group/get all time out.
    for _ in range(3):
        await advance(hass, freezer, REQUEST_TIMEOUT + REQUEST_SPACING)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == 1
    # Uploads right away do not retry at once (back-off, 60 s).
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == 1
    await run_for(hass, freezer, 60)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 2})
    await settle(hass)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == 2
    answer(hass, mqtt_mock, BASE + "sysinfo/refresh", spec_examples["sysinfo"])
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "app/refresh", {"app.wifi_mode_2g": 0})
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/get", error="data_empty")
    await settle(hass)
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    assert device.model == "VG710"
    # Answered: later uploads ask nothing more.
    await run_for(hass, freezer, 1000)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == 2
    assert runtime.store.values["app.wifi_mode_2g"] == 0


async def test_a_longer_interval_set_elsewhere_is_learned(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    """Uploads every 60 s (set on the web page) do not flap unavailable."""
    for _ in range(3):
        fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
        await settle(hass)
        await run_for(hass, freezer, 60)
    # The first gap taught 60 s: the window is now 180 s, not 30 s.
    assert runtime.freshness.observed["gnss"] == pytest.approx(60, abs=1)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    await run_for(hass, freezer, 170)
    assert runtime.is_available("gnss")
    await run_for(hass, freezer, 15)
    assert not runtime.is_available("gnss")


async def test_an_outage_does_not_stretch_the_learned_interval(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    for seconds in (10, 10, 600, 10):
        fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
        await settle(hass)
        await run_for(hass, freezer, seconds)
    # The shortest recent gap is the default interval: nothing learned.
    assert "gnss" not in runtime.freshness.observed
    assert runtime.freshness.window("gnss") == 30


async def test_replayed_uploads_do_not_overwrite_current_values(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    """Offline Data Store flushes older uploads after a coverage gap."""
    fire_json(hass, BASE + "gnss/info", {"gnss.ts": 1700000600, "gnss.speed": 80.0})
    await settle(hass)
    fire_json(hass, BASE + "gnss/info", {"gnss.ts": 1700000000, "gnss.speed": 10.0})
    await settle(hass)
    assert runtime.store.values["gnss.speed"] == 80.0
    # A clock reset (more than a week back) is accepted, then followed.
    fire_json(hass, BASE + "gnss/info", {"gnss.ts": 1000, "gnss.speed": 20.0})
    await settle(hass)
    assert runtime.store.values["gnss.speed"] == 20.0
    fire_json(hass, BASE + "gnss/info", {"gnss.ts": 1010, "gnss.speed": 30.0})
    await settle(hass)
    assert runtime.store.values["gnss.speed"] == 30.0


async def test_event_snapshots_do_not_revive_a_stale_group(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    await run_for(hass, freezer, 35)
    assert not runtime.is_available("io")
    fire_json(
        hass,
        BASE + "event/notice",
        {"starts_at": 1, "status": "raise", "type": "DI_CHG", "level": 1, "io.DI1": 1},
    )
    await settle(hass)
    assert runtime.store.values["io.DI1"] is True
    assert not runtime.is_available("io")


async def test_an_interval_changed_elsewhere_is_learned_on_its_second_gap(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    """On time at 10 s, then 60 s: the first long gap could be an outage."""

    async def upload_after(seconds: float) -> None:
        await run_for(hass, freezer, seconds)
        fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
        await settle(hass)

    for seconds in (0, 10, 10, 60):
        await upload_after(seconds)
    assert "gnss" not in runtime.freshness.observed
    await upload_after(60)
    assert runtime.freshness.observed["gnss"] == pytest.approx(60, abs=1)


async def test_a_repeated_upload_is_not_decoded_but_keeps_the_group_fresh(
    hass: HomeAssistant, runtime: FlexApiRuntime, freezer: FrozenDateTimeFactory
) -> None:
    upload = {"userdata.serial_number": "SN0125"}
    fire_json(hass, BASE + "userdata/info", upload)
    await settle(hass)
    listener = Mock()
    runtime.async_add_listener(listener, ["userdata.serial_number"], ["userdata"])
    await run_for(hass, freezer, 35)
    assert not runtime.is_available("userdata")
    with patch(
        "custom_components.flexapi.client.msgs.decode_object",
        side_effect=AssertionError("decoded a repeat"),
    ):
        fire_json(hass, BASE + "userdata/info", upload)
        await settle(hass)
    assert runtime.is_available("userdata")
    assert listener.call_count == 2  # went stale, then revived; no value write


async def test_a_repeated_upload_is_decoded_again_after_an_alias_change(
    hass: HomeAssistant, runtime: FlexApiRuntime, mqtt_mock: MqttMockHAClient
) -> None:
    """Same bytes, new meaning: {"lat": ...} once the group's aliases are known."""
    fire_json(hass, BASE + "group1/info", {"lat": 40.5})
    await settle(hass)
    assert "gnss.latitude" not in runtime.store.values
    pending = await request(hass, runtime.async_get_custom_groups())
    answer(hass, mqtt_mock, BASE + "group/get", CUSTOM_GROUPS)
    await settle(hass)
    assert pending.done()
    fire_json(hass, BASE + "group1/info", {"lat": 40.5})
    await settle(hass)
    assert runtime.store.values["gnss.latitude"] == 40.5


def runtime_records(
    caplog: pytest.LogCaptureFixture, level: int
) -> list[logging.LogRecord]:
    """Records of the runtime's logger at exactly ``level``."""
    return [
        record
        for record in caplog.records
        if record.name == "custom_components.flexapi.runtime"
        and record.levelno == level
    ]


async def test_start_up_errors_the_user_must_act_on_are_logged(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """auth_failed: one warning; not_support: info naming the missing feature."""
    caplog.set_level(logging.INFO, "custom_components.flexapi.runtime")
    answer(hass, mqtt_mock, BASE + "sysinfo/refresh", error="auth_failed")
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "app/refresh", error="not_support")
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/get", error="auth_failed")
    await settle(hass)
    [warning] = runtime_records(caplog, logging.WARNING)
    assert warning.getMessage().startswith("VG1 refuses requests (auth_failed:")
    assert "check the MQTT credentials" in warning.getMessage()
    [info] = [
        record
        for record in runtime_records(caplog, logging.INFO)
        if "not_support" in record.getMessage()
    ]
    assert "Wi-Fi mode not available" in info.getMessage()
    # Answered (if with errors): nothing is asked again.
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await run_for(hass, freezer, 1000)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 2})
    await settle(hass)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == 1
    assert len(runtime_records(caplog, logging.WARNING)) == 1


async def test_a_busy_gateway_at_start_up_is_asked_again_quietly(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    spec_examples: dict[str, Any],
) -> None:
    """device_busy is passing: no log above debug, the request is made again."""
    caplog.set_level(logging.INFO, "custom_components.flexapi.runtime")
    # The client retries a busy answer itself; busy each time, it gives up.
    for _ in range(REQUEST_RETRIES + 1):
        answer(hass, mqtt_mock, BASE + "sysinfo/refresh", error="device_busy")
        await advance(hass, freezer, REQUEST_SPACING)
    asked = len(published(mqtt_mock, BASE + "sysinfo/refresh"))
    assert asked == REQUEST_RETRIES + 1
    answer(hass, mqtt_mock, BASE + "app/refresh", {"app.wifi_mode_2g": 0})
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "group/get", error="data_empty")
    await settle(hass)
    assert not runtime_records(caplog, logging.WARNING)
    assert not [
        r for r in runtime_records(caplog, logging.INFO) if "busy" in r.getMessage()
    ]
    await run_for(hass, freezer, 60)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == asked + 1
    answer(hass, mqtt_mock, BASE + "sysinfo/refresh", spec_examples["sysinfo"])
    await settle(hass)
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    assert device.model == "VG710"


async def test_start_up_requests_refused_for_no_mqtt_are_asked_again(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_config_entry: MockConfigEntry,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The broker gone while the start-up requests go out: quiet, asked later."""
    caplog.set_level(logging.INFO, "custom_components.flexapi.runtime")
    with patch(
        "custom_components.flexapi.client.mqtt.is_connected", return_value=False
    ):
        await setup_flexapi()
        for _ in range(3):
            await advance(hass, freezer, REQUEST_SPACING)
    assert not published(mqtt_mock, BASE + "sysinfo/refresh")
    assert not runtime_records(caplog, logging.WARNING)
    await run_for(hass, freezer, 60)
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await settle(hass)
    assert len(published(mqtt_mock, BASE + "sysinfo/refresh")) == 1
