"""Actions: exact wire payloads (the spec's examples), responses, every error path."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi import services
from custom_components.flexapi.const import DOMAIN, REQUEST_TIMEOUT
from custom_components.flexapi.helpers import home_assistant_error
from custom_components.flexapi.protocol.errors import ErrorCode, FlexApiStoppedError
from tests.compat import device_by_identifier

from .conftest import FlexApiDevice
from .helpers import REQUEST_SPACING, payloads, published_topics, respond, start
from .protocol.spec_examples import CUSTOM_GROUPS

pytestmark = pytest.mark.usefixtures("collect_started_tasks", "no_initial_requests")

BASE = "v1/VG1/"
INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN
TOKEN = "3bzJQ200UkLS6061Mhw3muUv73ycUT7J"

#: §4.1.1 / §4.1.2: two custom groups with aliases (digit-zero DO keys).
SPEC_GROUPS = CUSTOM_GROUPS


async def settle(hass: HomeAssistant) -> None:
    """Run the loop a while (an action waiting for the gateway never ends)."""
    for _ in range(30):
        await asyncio.sleep(0)


def body(payload: dict[str, Any]) -> dict[str, Any]:
    """A request without its token."""
    return {key: value for key, value in payload.items() if key != "client_token"}


@pytest.fixture
def device_id(hass: HomeAssistant, flexapi_entry: MockConfigEntry) -> str:
    """The gateway's device."""
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    return device.id


async def call(
    hass: HomeAssistant,
    service: str,
    data: dict[str, Any],
    *,
    response: bool = True,
    context: Context | None = None,
) -> Any:
    """Start an action (as a task) and let its request reach the wire."""
    future = start(
        hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            return_response=response,
            context=context,
        )
    )
    await settle(hass)
    return future


def reply(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    topic: str,
    result: Any = None,
    **kw: Any,
) -> dict[str, Any]:
    """Answer the last request on ``topic``; return that request."""
    request = payloads(mqtt_mock, BASE + topic)[-1]
    respond(hass, BASE + topic, request["client_token"], result, **kw)
    return request


async def outcome(hass: HomeAssistant, future: Any) -> Any:
    await settle(hass)
    assert future.done()
    return future.result()


# -- wire payloads and responses ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "wire"),
    [
        ({"interval": 0}, {"interval": 0}),  # case 1: disable uploads
        ({"interval": 60}, {"interval": 60}),  # case 2: interval only
        (  # case 3: interest only (with and without aliases)
            {"interest": {"obd.mil": "MIL", "obd.dtcs": "dtcNum"}},
            {"interest": {"obd.mil": "MIL", "obd.dtcs": "dtcNum"}},
        ),
        (  # case 4: both; an empty alias keeps the key
            {"interval": 60, "interest": {"obd.mil": "", "obd.dtcs": None}},
            {"interval": 60, "interest": {"obd.mil": "", "obd.dtcs": ""}},
        ),
        ({"interval": 60.0}, {"interval": 60}),  # a whole number, as YAML may give it
        ({"interval": "60"}, {"interval": 60}),
    ],
    ids=["disable", "interval", "interest", "both", "whole-float", "text"],
)
async def test_set_group_settings(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    data: dict[str, Any],
    wire: dict[str, Any],
) -> None:
    """§3.2.1: the four cases."""
    future = await call(
        hass, "set_group_settings", {"device_id": device_id, "group": "obd", **data}
    )
    request = reply(hass, mqtt_mock, "obd/set", wire)
    assert request == {"client_token": request["client_token"], **wire}
    assert await outcome(hass, future) == {"result": wire}


async def test_set_group_settings_response_is_optional(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_id: str
) -> None:
    future = await call(
        hass,
        "set_group_settings",
        {"device_id": device_id, "group": "gnss", "interval": 30},
        response=False,
    )
    reply(hass, mqtt_mock, "gnss/set", {"interval": 30})
    assert await outcome(hass, future) is None


async def test_set_custom_groups_feed_the_entities(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    gateway: FlexApiDevice,
) -> None:
    """§4.1.1's example on the wire; the group's aliased data reaches entities."""
    future = await call(
        hass, "set_custom_groups", {"device_id": device_id, "groups": SPEC_GROUPS}
    )
    request = reply(hass, mqtt_mock, "group/set", SPEC_GROUPS)
    assert request == {"client_token": request["client_token"], "settings": SPEC_GROUPS}
    assert await outcome(hass, future) == {"result": SPEC_GROUPS}
    await gateway.info("group2", {"DI1": 1, "D01": 1, "D02": 0})
    binary = hass.states.get("binary_sensor.vg1_digital_input_1")
    assert binary is not None
    assert binary.state == "on"
    do1 = hass.states.get("switch.vg1_digital_output_1")
    assert do1 is not None
    assert do1.state == "on"
    do2 = hass.states.get("switch.vg1_digital_output_2")
    assert do2 is not None
    assert do2.state == "off"


async def test_get_custom_groups(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    gateway: FlexApiDevice,
) -> None:
    """§4.1.2: the groups come back; read-back aliases feed entities too."""
    future = await call(hass, "get_custom_groups", {"device_id": device_id})
    request = reply(hass, mqtt_mock, "group/get", SPEC_GROUPS)
    assert body(request) == {}
    assert await outcome(hass, future) == {"groups": SPEC_GROUPS}
    await gateway.info("group1", {"speed": 42.0, "lat": 31.2, "lon": 121.4})
    speed = hass.states.get("sensor.vg1_vehicle_speed")
    assert speed is not None
    assert float(speed.state) == 42.0


async def test_get_custom_groups_when_there_are_none(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_id: str
) -> None:
    future = await call(hass, "get_custom_groups", {"device_id": device_id})
    reply(hass, mqtt_mock, "group/get", error="data_empty")
    assert await outcome(hass, future) == {"groups": []}


async def test_remove_custom_groups(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_id: str
) -> None:
    """§4.1.3: interest null removes."""
    wire = [
        {"group_name": "group1", "interest": None},
        {"group_name": "group2", "interest": None},
    ]
    future = await call(
        hass,
        "remove_custom_groups",
        {"device_id": device_id, "names": ["group1", "group2"]},
    )
    request = reply(hass, mqtt_mock, "group/set", wire)
    assert body(request) == {"settings": wire}
    assert await outcome(hass, future) == {"result": wire}


@pytest.mark.parametrize(
    ("group", "result", "entity_id", "expected"),
    [
        ("io", {"io.D02": 1, "io.DI1": 0}, "switch.vg1_digital_output_2", "on"),
        ("app", {"app.wifi_mode_2g": 1}, "select.vg1_2_4_ghz_wi_fi_mode", "sta"),
        ("sysinfo", {"sysinfo.hostname": "truck7"}, "sensor.vg1_hostname", "truck7"),
    ],
)
async def test_refresh_returns_data_and_updates_entities(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    group: str,
    result: dict[str, Any],
    entity_id: str,
    expected: str,
) -> None:
    future = await call(hass, "refresh", {"device_id": device_id, "group": group})
    request = reply(hass, mqtt_mock, f"{group}/refresh", result)
    assert body(request) == {}
    assert await outcome(hass, future) == {"group": group, "data": result}
    await hass.async_block_till_done()
    current = hass.states.get(entity_id)
    assert current is not None
    assert current.state == expected


async def test_refresh_of_a_custom_group(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_id: str
) -> None:
    future = await call(hass, "refresh", {"device_id": device_id, "group": "trip"})
    reply(hass, mqtt_mock, "trip/refresh", {"speed": 1.0})
    assert await outcome(hass, future) == {"group": "trip", "data": {"speed": 1.0}}


@pytest.mark.parametrize(
    ("service", "data", "wire", "result"),
    [
        (  # §3.2.8.1
            "userdata_insert",
            {
                "data": {
                    "custom_key": "custom_value",
                    "userdata.serial_number": "SN0125",
                }
            },
            {
                "insert": {
                    "userdata.custom_key": "custom_value",
                    "userdata.serial_number": "SN0125",
                }
            },
            {
                "inserted": {
                    "userdata.custom_key": "custom_value",
                    "userdata.serial_number": "SN0125",
                }
            },
        ),
        (  # §3.2.8.2
            "userdata_update",
            {"data": {"userdata.serial_number": "SN0232"}},
            {"update": {"userdata.serial_number": "SN0232"}},
            {"updated": {"userdata.serial_number": "SN0232"}},
        ),
        (  # §3.2.8.3
            "userdata_set_interest",
            {
                "interval": 60,
                "interest": {
                    "userdata.custom_key": "custom_key",
                    "userdata.serial_number": "serial_number",
                },
            },
            {
                "interval": 60,
                "interest": {
                    "userdata.custom_key": "custom_key",
                    "userdata.serial_number": "serial_number",
                },
            },
            {
                "interval": 60,
                "interest": {
                    "userdata.custom_key": "custom_key",
                    "userdata.serial_number": "serial_number",
                },
            },
        ),
        (  # §3.2.8.4
            "userdata_delete",
            {"keys": ["serial_number"]},
            {"delete": {"userdata.serial_number": "serial_number"}},
            {"deleted": {"userdata.serial_number": "serial_number"}},
        ),
    ],
)
async def test_userdata_writes(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    service: str,
    data: dict[str, Any],
    wire: dict[str, Any],
    result: dict[str, Any],
) -> None:
    future = await call(hass, service, {"device_id": device_id, **data})
    request = reply(hass, mqtt_mock, "userdata/set", result)
    assert body(request) == wire
    assert await outcome(hass, future) == {"result": result}


async def test_userdata_get(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_id: str
) -> None:
    future = await call(hass, "userdata_get", {"device_id": device_id})
    data = {"userdata.serial_number": "SN0125"}
    request = reply(hass, mqtt_mock, "userdata/refresh", data)
    assert body(request) == {}
    assert await outcome(hass, future) == {"data": data}
    sensor = hass.states.get("sensor.vg1_user_data_serial_number")
    assert sensor is not None
    assert sensor.state == "SN0125"


async def test_reads_require_a_response(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry
) -> None:
    for name in ("get_custom_groups", "userdata_get"):
        assert hass.services.supports_response(DOMAIN, name) == "only"
    for name in (
        "set_group_settings",
        "set_custom_groups",
        "remove_custom_groups",
        "refresh",
        "userdata_insert",
        "userdata_update",
        "userdata_delete",
        "userdata_set_interest",
    ):
        assert hass.services.supports_response(DOMAIN, name) == "optional"


# -- validation: nothing is sent -----------------------------------------------------

_MANY = {f"obd.k{n}": "" for n in range(257)}


@pytest.mark.parametrize(
    ("service", "data", "translation_key", "field"),
    [
        ("set_group_settings", {"group": "sysinfo", "interval": 1}, "invalid_group", "group"),
        ("set_group_settings", {"group": "obd", "interval": 3601}, "invalid_interval", "interval"),
        ("set_group_settings", {"group": "obd", "interval": -1}, "invalid_interval", "interval"),
        ("set_group_settings", {"group": "obd", "interval": 1.5}, "invalid_interval", "interval"),
        ("set_group_settings", {"group": "obd", "interval": "ten"}, "invalid_interval", "interval"),
        ("set_group_settings", {"group": "obd", "interval": True}, "invalid_interval", "interval"),
        ("set_group_settings", {"group": "obd"}, "nothing_to_set", "interval"),
        ("set_group_settings", {"group": "obd", "interest": {}}, "empty_interest", "interest"),
        ("set_group_settings", {"group": "obd", "interest": {"obd.nope": ""}}, "unknown_interest_key", "interest"),
        ("set_group_settings", {"group": "obd", "interest": {"gnss.speed": ""}}, "interest_key_not_in_group", "interest"),
        ("set_group_settings", {"group": "summary", "interest": _MANY}, "too_many_items", "interest"),
        ("set_group_settings", {"group": "obd", "interest": {"obd.mil": "x", "obd.rpm": "x"}}, "duplicate_alias", "interest"),
        ("set_group_settings", {"group": "obd", "interest": {"obd.mil": "a/b"}}, "invalid_alias", "interest"),
        ("set_custom_groups", {"groups": []}, "no_groups", "groups"),
        ("set_custom_groups", {"groups": [{"group_name": "gnss", "interest": {"gnss.speed": ""}}]}, "invalid_group_name", "groups[0].group_name"),
        ("set_custom_groups", {"groups": [{"group_name": "a+b", "interest": {"gnss.speed": ""}}]}, "invalid_group_name", "groups[0].group_name"),
        ("set_custom_groups", {"groups": [{"group_name": "x", "interest": {"gnss.speed": ""}}, {"group_name": "x", "interval": 5}]}, "duplicate_group", "groups[1].group_name"),
        ("set_custom_groups", {"groups": [{"group_name": "x", "interval": 5000, "interest": {"gnss.speed": ""}}]}, "invalid_interval", "groups[0].interval"),
        ("set_custom_groups", {"groups": [{"group_name": "x", "interval": 5}]}, "new_group_needs_interest", "groups[0].interest"),
        ("set_custom_groups", {"groups": [{"group_name": "x", "interval": 9.5, "interest": {"gnss.speed": ""}}]}, "invalid_interval", "groups[0].interval"),
        ("set_custom_groups", {"groups": [{"group_name": "x", "interest": {"nope.nope": ""}}]}, "unknown_interest_key", "groups[0].interest"),
        ("set_custom_groups", {"groups": [{"group_name": f"g{n}", "interest": {"gnss.speed": ""}} for n in range(17)]}, "too_many_groups", "groups"),
        ("remove_custom_groups", {"names": []}, "no_groups", "names"),
        ("remove_custom_groups", {"names": ["io"]}, "invalid_group_name", "names"),
        ("refresh", {"group": "a/b"}, "invalid_group_name", "group"),
        ("userdata_insert", {"data": {"bad key": "v"}}, "invalid_userdata_key", "data"),
        ("userdata_insert", {"data": {"userdata.": "v"}}, "invalid_userdata_key", "data"),
        ("userdata_insert", {"data": {}}, "no_userdata_keys", "data"),
        ("userdata_insert", {"data": {"a": "1", "userdata.a": "2"}}, "duplicate_userdata_key", "data"),
        ("userdata_update", {"data": {"userdata.a": "1", "a": "2"}}, "duplicate_userdata_key", "data"),
        ("userdata_update", {"data": {"a.b": "v"}}, "invalid_userdata_key", "data"),
        ("userdata_delete", {"keys": ["x#"]}, "invalid_userdata_key", "keys"),
        ("userdata_delete", {"keys": []}, "no_userdata_keys", "keys"),
        ("userdata_delete", {"keys": [f"k{n}" for n in range(257)]}, "too_many_items", "keys"),
        ("remove_custom_groups", {"names": [f"g{n}" for n in range(17)]}, "too_many_groups", "names"),
        ("userdata_set_interest", {}, "nothing_to_set", "interval"),
        ("userdata_set_interest", {"interest": {"obd.mil": ""}}, "interest_key_not_in_group", "interest"),
        ("userdata_set_interest", {"interval": 4000}, "invalid_interval", "interval"),
        ("userdata_set_interest", {"interval": 2.5}, "invalid_interval", "interval"),
        ("userdata_set_interest", {"interest": {"userdata.a b": ""}}, "invalid_userdata_key", "interest"),
    ],
)  # fmt: skip
async def test_invalid_input_is_refused_before_sending(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    service: str,
    data: dict[str, Any],
    translation_key: str,
    field: str,
) -> None:
    before = len(published_topics(mqtt_mock))
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            service,
            {"device_id": device_id, **data},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["field"] == field
    assert len(published_topics(mqtt_mock)) == before


async def test_existing_groups_count_towards_the_limit(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    device_id: str,
    flexapi_entry: MockConfigEntry,
) -> None:
    """15 groups on the gateway: one new is fine, two are too many."""
    existing = [
        {"group_name": f"g{n}", "interval": 10, "interest": {"gnss.speed": ""}}
        for n in range(15)
    ]
    future = await call(hass, "get_custom_groups", {"device_id": device_id})
    reply(hass, mqtt_mock, "group/get", existing)
    await outcome(hass, future)
    new = [{"group_name": n, "interest": {"obd.rpm": ""}} for n in ("a", "b")]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_custom_groups",
            {"device_id": device_id, "groups": new},
            blocking=True,
        )
    assert err.value.translation_key == "too_many_groups"
    assert err.value.translation_placeholders == {
        "field": "groups",
        "count": "17",
        "max": "16",
    }
    # Updating an existing group adds none.
    freezer.tick(REQUEST_SPACING)
    future = await call(
        hass,
        "set_custom_groups",
        {
            "device_id": device_id,
            "groups": [new[0], {"group_name": "g3", "interval": 5}],
        },
    )
    sent = {
        "settings": [
            {"group_name": "a", "interest": {"obd.rpm": ""}},
            {"group_name": "g3", "interval": 5},
        ]
    }
    request = reply(hass, mqtt_mock, "group/set", sent["settings"])
    assert body(request) == sent
    await outcome(hass, future)


async def test_unknown_device(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "userdata_get",
            {"device_id": "nope"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "device_not_found"
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "userdata_get",
            {"device_id": device.id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "device_not_found"


async def test_device_of_an_unloaded_entry(
    hass: HomeAssistant, device_id: str, flexapi_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_unload(flexapi_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "userdata_get",
            {"device_id": device_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "device_not_loaded"


async def test_device_whose_entry_is_no_gateway(
    hass: HomeAssistant, device_id: str, flexapi_entry: MockConfigEntry
) -> None:
    """Entries of other kinds (Bimetri) have a runtime that is no gateway."""
    runtime = flexapi_entry.runtime_data
    flexapi_entry.runtime_data = object()  # type: ignore[assignment]
    try:
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                "refresh",
                {"device_id": device_id, "group": "io"},
                blocking=True,
            )
    finally:
        flexapi_entry.runtime_data = runtime
    assert err.value.translation_key == "device_not_gateway"


# -- gateway errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "translation_key"),
    [
        ("interval_invalid", "gateway_interval_invalid"),
        ("invalid_parameter", "gateway_invalid_parameter"),
        ("device_busy_forever", "gateway_error"),
        (None, "no_response"),
    ],
)
async def test_gateway_errors(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    device_id: str,
    error: str | None,
    translation_key: str,
) -> None:
    future = await call(
        hass,
        "set_group_settings",
        {"device_id": device_id, "group": "io", "interval": 5},
    )
    if error is None:
        freezer.tick(REQUEST_TIMEOUT)
        async_fire_time_changed_exact(hass)
    else:
        reply(hass, mqtt_mock, "io/set", error=error)
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        future.result()
    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders is not None or error is None


@pytest.mark.parametrize(
    ("service", "data", "topic", "error", "translation_key"),
    [
        ("set_custom_groups", {"groups": [{"group_name": "x", "interest": {"obd.rpm": ""}}]}, "group/set", "over_group_num", "gateway_over_group_num"),
        ("remove_custom_groups", {"names": ["x"]}, "group/set", "not_found", "gateway_not_found"),
        ("userdata_insert", {"data": {"k": "v"}}, "userdata/set", "find_same_key", "gateway_find_same_key"),
        ("userdata_delete", {"keys": ["k"]}, "userdata/set", "not_found", "gateway_not_found"),
        ("refresh", {"group": "trip"}, "trip/refresh", "not_found", "gateway_not_found"),
        ("refresh", {"group": "app"}, "app/refresh", "not_found", "gateway_not_found"),
        ("userdata_get", {}, "userdata/refresh", "auth_failed", "gateway_auth_failed"),
    ],
)  # fmt: skip
async def test_gateway_errors_of_every_action(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    service: str,
    data: dict[str, Any],
    topic: str,
    error: str,
    translation_key: str,
) -> None:
    future = await call(hass, service, {"device_id": device_id, **data})
    reply(hass, mqtt_mock, topic, error=error)
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        future.result()
    assert err.value.translation_key == translation_key


# -- permissions --------------------------------------------------------------------


async def test_configuration_changes_are_for_admins(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_id: str,
    hass_read_only_user: MockUser,
) -> None:
    context = Context(user_id=hass_read_only_user.id)
    before = len(published_topics(mqtt_mock))
    for service, data in (
        ("set_group_settings", {"group": "io", "interval": 5}),
        (
            "set_custom_groups",
            {"groups": [{"group_name": "x", "interest": {"obd.rpm": ""}}]},
        ),
        ("remove_custom_groups", {"names": ["x"]}),
        ("userdata_insert", {"data": {"k": "v"}}),
        ("userdata_update", {"data": {"k": "v"}}),
        ("userdata_delete", {"keys": ["k"]}),
        ("userdata_set_interest", {"interval": 5}),
    ):
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN,
                service,
                {"device_id": device_id, **data},
                blocking=True,
                context=context,
            )
    assert len(published_topics(mqtt_mock)) == before
    # Reads are for everyone.
    future = await call(hass, "userdata_get", {"device_id": device_id}, context=context)
    reply(hass, mqtt_mock, "userdata/refresh", {})
    assert await outcome(hass, future) == {"data": {}}


async def test_a_context_of_an_unknown_user_changes_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_id: str
) -> None:
    before = len(published_topics(mqtt_mock))
    with pytest.raises(UnknownUser):
        await hass.services.async_call(
            DOMAIN,
            "set_group_settings",
            {"device_id": device_id, "group": "io", "interval": 5},
            blocking=True,
            context=Context(user_id="no-such-user"),
        )
    assert len(published_topics(mqtt_mock)) == before


# -- services.yaml and strings ---------------------------------------------------------


def test_services_yaml_matches_the_actions() -> None:
    """Every action has valid selectors, its fields, and translated texts."""
    described = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    strings = load_strings()["services"]
    schemas = {name: schema for name, _h, schema, _r in services._SERVICES}
    assert set(described) == set(schemas) == set(strings)
    for name, spec in described.items():
        fields = spec["fields"]
        schema_keys = {str(key) for key in schemas[name].schema}
        assert set(fields) == schema_keys, name
        assert strings[name]["name"], name
        assert strings[name]["description"], name
        for field, field_spec in fields.items():
            selector.validate_selector(field_spec["selector"])
            if (choice := field_spec["selector"].get("select")) is not None:
                labels = load_strings()["selector"][choice["translation_key"]]
                assert set(choice["options"]) == set(labels["options"]), field
            texts = strings[name]["fields"][field]
            assert texts["name"], f"{name}.{field}"
            assert texts["description"], f"{name}.{field}"
        assert fields["device_id"]["selector"] == {
            "device": {"filter": [{"integration": DOMAIN}]}
        }
        assert fields["device_id"]["required"] is True


def load_strings() -> dict[str, Any]:

    return json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def raised_translation_keys(tree: ast.AST) -> set[str]:
    """Exception translation keys a module uses.

    Exceptions built with ``translation_key=``, ``invalid("key", ...)``,
    protocol rules (``FlexApiValueError(message, "reason")``: the reason is
    the key ``helpers.invalid_value`` raises) and error classes' own
    ``translation_key`` attribute.
    """
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            keywords = {kw.arg: kw.value for kw in node.keywords}
            found: ast.expr | None = None
            if name.endswith(("Error", "Exception", "NotReady", "AuthFailed")):
                found = keywords.get("translation_key")
            if name == "invalid" and node.args:
                found = node.args[0]
            if name == "FlexApiValueError":
                found = node.args[1] if len(node.args) > 1 else keywords.get("reason")
            if (key := _string(found)) is not None:
                used.add(key)
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(
                        isinstance(target, ast.Name) and target.id == "translation_key"
                        for target in item.targets
                    )
                    and (key := _string(item.value)) is not None
                ):
                    used.add(key)
    return used


def test_every_exception_is_translated() -> None:
    """Each translation key any module raises has a message."""

    exceptions = load_strings()["exceptions"]
    used: set[str] = set()
    for module in sorted(INTEGRATION.rglob("*.py")):
        used |= raised_translation_keys(ast.parse(module.read_text(encoding="utf-8")))
    used |= {f"gateway_{code}" for code in ErrorCode}
    # The scan sees every kind of raise (a sample of each, from several modules).
    assert {
        "device_not_found",  # services: invalid()
        "di_pullup_not_supported",  # helpers: HomeAssistantError
        "entry_unloading",  # protocol: an error class's translation_key
        "duplicate_alias",  # protocol: a FlexApiValueError reason
        "bimetri_unloaded",  # bimetri
        "mqtt_not_available",  # __init__: ConfigEntryNotReady
    } <= used
    assert used - set(exceptions) == set()
    for key in used:
        assert exceptions[key]["message"], key


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ('HomeAssistantError(translation_domain=DOMAIN, translation_key="x1")', "x1"),
        ('invalid("x2", "field")', "x2"),
        ('FlexApiValueError("bad", "x3")', "x3"),
        ('FlexApiValueError("bad", reason="x4")', "x4"),
        ('class OddError(Exception):\n    translation_key = "x5"', "x5"),
    ],
)
def test_the_translation_scan_finds_each_kind(source: str, key: str) -> None:
    """The scan above cannot pass by seeing nothing."""
    assert raised_translation_keys(ast.parse(source)) == {key}


def test_an_unloading_entry_maps_to_its_own_message() -> None:
    """helpers.py is the one mapping place: the stopped error keeps its key."""
    error = home_assistant_error(FlexApiStoppedError())
    assert type(error) is HomeAssistantError
    assert error.translation_domain == DOMAIN
    assert error.translation_key == "entry_unloading"
    assert load_strings()["exceptions"]["entry_unloading"]["message"]
