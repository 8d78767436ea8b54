"""Digital-output switches and Wi-Fi mode selects: wire, pacing, confirmation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import itertools
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.select import (
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi import select as select_platform
from custom_components.flexapi.const import REQUEST_RETRIES, REQUEST_TIMEOUT
from custom_components.flexapi.control import APP_POLL_INTERVAL, IO_GATHER, IO_SPACING
from custom_components.flexapi.helpers import home_assistant_error
from custom_components.flexapi.protocol.errors import (
    RETRYABLE_CODES,
    FlexApiError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiTimeoutError,
    FlexApiValueError,
)
from custom_components.flexapi.runtime import FlexApiRuntime

from .conftest import FlexApiDevice
from .helpers import REQUEST_SPACING, make_entry, payloads, respond, start

pytestmark = pytest.mark.usefixtures("collect_started_tasks", "no_initial_requests")
_TURNS = 30

BASE = "v1/VG1/"
IO = BASE + "io/control"
APP = BASE + "app/control"
APP_REFRESH = BASE + "app/refresh"
DO = "switch.vg1_digital_output_{}"
WIFI_2G = "select.vg1_2_4_ghz_wi_fi_mode"
WIFI_5G = "select.vg1_5_ghz_wi_fi_mode"

#: §3.4.1: the request example (all eight keys, digit-zero spelling).
SPEC_IO_EXAMPLE_KEYS = [
    "io.D01",
    "io.D01_pullup",
    "io.D02",
    "io.D02_pullup",
    "io.D03",
    "io.D03_pullup",
    "io.D04",
    "io.D04_pullup",
]


async def settle(hass: HomeAssistant) -> None:
    """Run the loop a while without waiting for entity calls.

    An entity action waiting for the gateway is a task Home Assistant tracks,
    so ``async_block_till_done`` would wait for the answer that never comes.
    """
    for _ in range(_TURNS):
        await asyncio.sleep(0)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let ``seconds`` pass and run what came due (without blocking)."""
    freezer.tick(seconds)
    async_fire_time_changed_exact(hass)
    await settle(hass)


async def begin(hass: HomeAssistant, coro: Any) -> Any:
    """Start an action as a task and let it reach the control queue."""
    future = start(coro)
    await settle(hass)
    return future


def body(payload: dict[str, Any]) -> dict[str, Any]:
    """A request without its token."""
    return {key: value for key, value in payload.items() if key != "client_token"}


def spelled(spelling: str) -> Callable[[str], str]:
    """``io.DO1`` in the device's spelling (``DO`` or ``D0``)."""
    return lambda key: key.replace("io.DO", f"io.{spelling}")


@pytest.fixture(params=["DO", "D0"], ids=["letter-O", "digit-zero"])
def spelling(request: pytest.FixtureRequest) -> str:
    """How the gateway spells its outputs (Appendix A / the 1.0.8 examples)."""
    return str(request.param)


@pytest.fixture
async def outputs(
    flexapi_entry: MockConfigEntry, gateway: FlexApiDevice, spelling: str
) -> FlexApiDevice:
    """A gateway that reported its four outputs and pull-ups, all 0."""
    spell = spelled(spelling)
    await gateway.info(
        "io",
        {
            spell(f"io.DO{n}{suffix}"): 0
            for n in range(1, 5)
            for suffix in ("", "_pullup")
        },
    )
    return gateway


async def switch(hass: HomeAssistant, on: bool, *numbers: int) -> Any:
    """Turn outputs on/off through the switch entities (as a task)."""
    return await begin(
        hass,
        hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: [DO.format(n) for n in numbers]},
            blocking=True,
        ),
    )


def answer_io(hass: HomeAssistant, mqtt_mock: MqttMockHAClient, **kw: Any) -> None:
    """Answer the last io/control request, echoing it unless told otherwise."""
    request = payloads(mqtt_mock, IO)[-1]
    result = kw.pop("result", body(request))
    respond(hass, IO, request["client_token"], result, **kw)


def state(hass: HomeAssistant, entity_id: str) -> Any:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current


# -- switches: wire format and confirmation --------------------------------------


async def test_a_switch_sends_only_its_key_in_the_device_spelling(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    spelling: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    call = await switch(hass, True, 2)
    await settle(hass)
    assert payloads(mqtt_mock, IO) == []  # gathering changes for one request
    await advance(hass, freezer, IO_GATHER)
    (request,) = payloads(mqtt_mock, IO)
    assert body(request) == {spelled(spelling)("io.DO2"): 1}
    # Confirmed, not optimistic: still off, but pending.
    assert state(hass, DO.format(2)).state == STATE_OFF
    assert state(hass, DO.format(2)).attributes["pending"] is True
    assert state(hass, DO.format(1)).attributes["pending"] is False
    answer_io(hass, mqtt_mock)
    await settle(hass)
    assert call.result() is None
    assert state(hass, DO.format(2)).state == STATE_ON
    assert state(hass, DO.format(2)).attributes["pending"] is False


async def test_io_info_confirms_too(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, outputs: FlexApiDevice
) -> None:
    """The state follows what the gateway reports, whatever we asked."""
    await outputs.info("io", {"io.DO3": 1})
    assert state(hass, DO.format(3)).state == STATE_ON
    await outputs.info("summary", {"io.DO3": 0})
    assert state(hass, DO.format(3)).state == STATE_OFF


async def test_two_outputs_within_a_second_go_in_one_request(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    spelling: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    spell = spelled(spelling)
    first = await switch(hass, True, 1)
    await advance(hass, freezer, 0.5)
    second = await switch(hass, True, 2)
    await advance(hass, freezer, IO_GATHER - 0.5)
    (request,) = payloads(mqtt_mock, IO)
    assert body(request) == {spell("io.DO1"): 1, spell("io.DO2"): 1}
    answer_io(hass, mqtt_mock)
    await settle(hass)
    assert first.result() is None
    assert second.result() is None
    assert state(hass, DO.format(1)).state == STATE_ON
    assert state(hass, DO.format(2)).state == STATE_ON


async def test_changes_inside_the_window_merge_into_the_next_request(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
    spelling: str,
) -> None:
    """5 s between requests; the last wish per output; every caller answered."""
    spell = spelled(spelling)
    first = await switch(hass, True, 1)
    await advance(hass, freezer, IO_GATHER)  # t=1.0: the first request
    answer_io(hass, mqtt_mock)
    await settle(hass)
    on3 = await switch(hass, True, 3)
    await advance(hass, freezer, 1.0)
    off3 = await switch(hass, False, 3)
    await advance(hass, freezer, 1.0)
    on4 = await switch(hass, True, 4)
    await advance(hass, freezer, IO_SPACING - 2.0 - 0.05)
    assert len(payloads(mqtt_mock, IO)) == 1  # not before 5.1 s
    assert state(hass, DO.format(3)).attributes["pending"] is True
    await advance(hass, freezer, 0.05)
    sent = payloads(mqtt_mock, IO)
    assert len(sent) == 2
    assert body(sent[1]) == {spell("io.DO3"): 0, spell("io.DO4"): 1}
    assert sent[1]["client_token"] != sent[0]["client_token"]
    answer_io(hass, mqtt_mock)
    await settle(hass)
    for call in (first, on3, off3, on4):
        assert call.result() is None
    assert state(hass, DO.format(3)).state == STATE_OFF
    assert state(hass, DO.format(4)).state == STATE_ON
    await advance(hass, freezer, 60)
    assert len(payloads(mqtt_mock, IO)) == 2  # nothing else was sent


async def test_a_burst_never_breaks_the_spacing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    flexapi_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Twenty changes over 20 s: requests 5.1 s apart, every caller answered."""
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    calls = []
    sent_at: list[float] = []
    seen = 0
    for step in range(40):
        if step % 2 == 0:
            wish = {f"io.DO{step // 2 % 4 + 1}": step // 2 % 2}
            calls.append(await begin(hass, runtime.async_io_control(wish)))
        await advance(hass, freezer, 0.5)
        sent = payloads(mqtt_mock, IO)
        if len(sent) > seen:
            seen = len(sent)
            sent_at.append(step * 0.5 + 0.5)
            answer_io(hass, mqtt_mock)
            await settle(hass)
    await advance(hass, freezer, IO_SPACING)
    if len(payloads(mqtt_mock, IO)) > seen:
        answer_io(hass, mqtt_mock)
        await settle(hass)
        sent_at.append(sent_at[-1] + IO_SPACING)
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert len(sent_at) == 5
    assert all(gap >= IO_SPACING - 0.5 for gap in gaps), gaps
    assert all(call.done() and call.exception() is None for call in calls)


async def test_a_rejected_partial_body_is_resent_in_full(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    spelling: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    """invalid_parameter for a partial body: once more, as the §3.4.1 example."""
    await outputs.info("io", {spelled(spelling)("io.DO3_pullup"): 1})
    call = await switch(hass, True, 2)
    await advance(hass, freezer, IO_GATHER)
    answer_io(hass, mqtt_mock, error="invalid_parameter")
    await advance(hass, freezer, IO_SPACING - 0.1)
    assert len(payloads(mqtt_mock, IO)) == 1
    await advance(hass, freezer, 0.1)
    partial, full = payloads(mqtt_mock, IO)
    assert body(partial) == {spelled(spelling)("io.DO2"): 1}
    expected = dict.fromkeys(SPEC_IO_EXAMPLE_KEYS, 0)
    expected["io.D02"] = 1
    expected["io.D03_pullup"] = 1
    if spelling == "DO":
        expected = {key.replace("io.D0", "io.DO"): v for key, v in expected.items()}
    assert list(body(full)) == list(expected)
    assert body(full) == expected
    assert full["client_token"] != partial["client_token"]
    answer_io(hass, mqtt_mock)
    await settle(hass)
    assert call.result() is None
    assert state(hass, DO.format(2)).state == STATE_ON


async def test_a_full_body_rejected_too_raises(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    call = await switch(hass, True, 1)
    await advance(hass, freezer, IO_GATHER)
    answer_io(hass, mqtt_mock, error="invalid_parameter")
    await advance(hass, freezer, IO_SPACING)
    answer_io(hass, mqtt_mock, error="invalid_parameter")
    await settle(hass)
    assert len(payloads(mqtt_mock, IO)) == 2  # resent once, not again
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "gateway_invalid_parameter"
    assert state(hass, DO.format(1)).state == STATE_OFF
    assert state(hass, DO.format(1)).attributes["pending"] is False


async def test_an_echo_that_does_not_confirm_leaves_the_state(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each caller learns about its own keys: DO2 applied, DO1 not."""
    do1 = await switch(hass, True, 1)
    do2 = await switch(hass, True, 2)
    await advance(hass, freezer, IO_GATHER)
    answer_io(hass, mqtt_mock, result={"io.DO1": 0, "io.DO2": 1})
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        do1.result()
    assert err.value.translation_key == "not_applied"
    assert err.value.translation_placeholders == {"keys": "io.DO1"}
    assert do2.result() is None
    assert state(hass, DO.format(1)).state == STATE_OFF
    assert state(hass, DO.format(2)).state == STATE_ON


@pytest.mark.parametrize(
    ("error", "translation_key"),
    [
        ("device_error", "gateway_device_error"),
        ("not_support", "gateway_not_support"),
        ("something_new", "gateway_error"),
        (None, "no_response"),
    ],
)
async def test_gateway_errors_are_translated(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    error: str | None,
    translation_key: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    call = await switch(hass, True, 4)
    await advance(hass, freezer, IO_GATHER)
    # §2.1.2: device_error is retried, each attempt with a new token, in the
    # io lane's spacing; the caller hears the last attempt's answer.
    attempts = 1 + (REQUEST_RETRIES if error in RETRYABLE_CODES else 0)
    for attempt in range(attempts):
        if attempt:
            await advance(hass, freezer, IO_SPACING)
        if error is None:
            await advance(hass, freezer, REQUEST_TIMEOUT)
        else:
            answer_io(hass, mqtt_mock, error=error)
            await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == translation_key
    sent = payloads(mqtt_mock, IO)
    assert len(sent) == attempts
    assert len({request["client_token"] for request in sent}) == attempts
    assert state(hass, DO.format(4)).state == STATE_OFF


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("error", ["invalid_parameter", "not_support"])
async def test_di_pullups_on_old_firmware(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    error: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    """DI pull-ups need rev 1.0.9: a clear error when the gateway refuses."""
    await outputs.info("io", {"io.DI1_pullup": 0})
    call = await begin(
        hass,
        hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_ON,
            {ATTR_ENTITY_ID: "switch.vg1_digital_input_1_pull_up"},
            blocking=True,
        ),
    )
    await advance(hass, freezer, IO_GATHER)
    assert body(payloads(mqtt_mock, IO)[0]) == {"io.DI1_pullup": 1}
    answer_io(hass, mqtt_mock, error=error)
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "di_pullup_not_supported"
    assert state(hass, "switch.vg1_digital_input_1_pull_up").state == STATE_OFF
    await advance(hass, freezer, 60)
    assert len(payloads(mqtt_mock, IO)) == 1  # never resent as a full body


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("together", [False, True], ids=["two-calls", "one-call"])
async def test_a_di_pullup_never_rides_with_an_output(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    flexapi_entry: MockConfigEntry,
    spelling: str,
    together: bool,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Rev 1.0.8 refuses DI pull-ups: the output changed meanwhile still works."""
    spell = spelled(spelling)
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    await outputs.info("io", {"io.DI1_pullup": 0})
    if together:
        both = await begin(
            hass, runtime.async_io_control({"io.DO1": 1, "io.DI1_pullup": 1})
        )
        calls = [both]
    else:
        output = await switch(hass, True, 1)
        pullup = await begin(
            hass,
            hass.services.async_call(
                SWITCH_DOMAIN,
                SERVICE_TURN_ON,
                {ATTR_ENTITY_ID: "switch.vg1_digital_input_1_pull_up"},
                blocking=True,
            ),
        )
        calls = [output, pullup]
    await advance(hass, freezer, IO_GATHER)
    (first,) = payloads(mqtt_mock, IO)
    assert body(first) == {spell("io.DO1"): 1}
    answer_io(hass, mqtt_mock)
    await settle(hass)
    assert state(hass, DO.format(1)).state == STATE_ON
    if not together:
        assert calls[0].result() is None
    assert not calls[-1].done()  # its pull-up is still to go
    await advance(hass, freezer, IO_SPACING - 0.1)
    assert len(payloads(mqtt_mock, IO)) == 1  # §2.3: 5 s apart
    await advance(hass, freezer, 0.1)
    second = payloads(mqtt_mock, IO)[1]
    assert body(second) == {"io.DI1_pullup": 1}
    answer_io(hass, mqtt_mock, error="invalid_parameter")
    await settle(hass)
    error = calls[-1].exception()
    if together:  # the runtime's own error, as the entities translate it
        assert isinstance(error, FlexApiResponseError)
        error = home_assistant_error(error, ["io.DO1", "io.DI1_pullup"])
    assert isinstance(error, HomeAssistantError)
    assert error.translation_key == "di_pullup_not_supported"
    assert state(hass, DO.format(1)).state == STATE_ON
    assert state(hass, "switch.vg1_digital_input_1_pull_up").state == STATE_OFF
    await advance(hass, freezer, 60)
    assert len(payloads(mqtt_mock, IO)) == 2  # nothing resent


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_pullup_switches(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
    spelling: str,
) -> None:
    call = await begin(
        hass,
        hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_ON,
            {ATTR_ENTITY_ID: "switch.vg1_digital_output_3_pull_up"},
            blocking=True,
        ),
    )
    await advance(hass, freezer, IO_GATHER)
    assert body(payloads(mqtt_mock, IO)[0]) == {spelled(spelling)("io.DO3_pullup"): 1}
    answer_io(hass, mqtt_mock)
    await settle(hass)
    assert call.result() is None
    assert state(hass, "switch.vg1_digital_output_3_pull_up").state == STATE_ON


async def test_outputs_appear_when_first_reported(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    assert hass.states.get(DO.format(1)) is None
    await gateway.info("io", {"io.D01": None})
    assert state(hass, DO.format(1)).state == STATE_UNKNOWN
    assert hass.states.get(DO.format(2)) is None


async def test_an_unanswered_output_change_says_its_outcome_is_unknown(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Published but unanswered: "unknown", never "failed"; the state follows."""
    call = await switch(hass, True, 4)
    await advance(hass, freezer, IO_GATHER)
    assert len(payloads(mqtt_mock, IO)) == 1
    await advance(hass, freezer, REQUEST_TIMEOUT)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "no_response"
    assert err.value.translation_placeholders == {"seconds": f"{REQUEST_TIMEOUT:g}"}
    message = str(err.value)
    assert "was sent" in message
    assert "outcome is unknown" in message
    assert "failed" not in message
    assert state(hass, DO.format(4)).state == STATE_OFF
    # The gateway did switch it after all: the switch follows what it reports.
    await outputs.info("io", {"io.DO4": 1})
    assert state(hass, DO.format(4)).state == STATE_ON


async def test_a_change_whose_caller_gave_up_is_not_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
    spelling: str,
) -> None:
    """Merged wishes: a cancelled action's output is left out of the request."""
    kept = await switch(hass, True, 1)
    given_up = await switch(hass, True, 2)
    given_up.cancel()
    await settle(hass)
    await advance(hass, freezer, IO_GATHER)
    sent = payloads(mqtt_mock, IO)
    assert len(sent) == 1
    assert body(sent[0]) == {spelled(spelling)("io.DO1"): 1}
    answer_io(hass, mqtt_mock)
    await settle(hass)
    assert kept.result() is None
    assert state(hass, DO.format(2)).state == STATE_OFF

    # A cancelled action alone sends nothing at all.
    alone = await switch(hass, True, 3)
    alone.cancel()
    await settle(hass)
    await advance(hass, freezer, IO_GATHER + IO_SPACING)
    assert len(payloads(mqtt_mock, IO)) == 1


async def test_a_change_while_mqtt_is_disconnected_is_never_sent_later(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    from homeassistant.components.mqtt.models import DATA_MQTT

    client = hass.data[DATA_MQTT].client
    client.connected = False
    call = await switch(hass, True, 4)
    await advance(hass, freezer, IO_GATHER)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "mqtt_not_connected"
    client.connected = True
    await advance(hass, freezer, 60)
    assert not payloads(mqtt_mock, IO)


async def test_unloading_answers_waiting_callers(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    outputs: FlexApiDevice,
    flexapi_entry: MockConfigEntry,
) -> None:
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    waiting = await begin(hass, runtime.async_io_control({"io.DO1": 1}))
    await settle(hass)
    assert await hass.config_entries.async_unload(flexapi_entry.entry_id)
    await settle(hass)
    assert waiting.done()
    assert isinstance(waiting.exception(), FlexApiStoppedError)
    assert payloads(mqtt_mock, IO) == []


# -- selects: Wi-Fi modes ---------------------------------------------------------


async def read_modes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, modes: dict[str, int]
) -> None:
    """Answer the next app/refresh with ``modes``."""
    request = payloads(mqtt_mock, APP_REFRESH)[-1]
    respond(hass, APP_REFRESH, request["client_token"], modes)
    await settle(hass)


@pytest.fixture
async def wifi(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> FlexApiDevice:
    """A gateway whose Wi-Fi modes were read: 2.4 GHz AP, 5 GHz N/A."""
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    read = start(runtime.async_refresh("app"))
    await settle(hass)
    await read_modes(hass, mqtt_mock, {"app.wifi_mode_2g": 0, "app.wifi_mode_5g": -1})
    read.result()
    return gateway


async def test_wifi_modes_are_translated_options(
    hass: HomeAssistant, wifi: FlexApiDevice
) -> None:
    two = state(hass, WIFI_2G)
    assert two.state == "ap"
    assert two.attributes["options"] == ["ap", "sta"]
    assert state(hass, WIFI_5G).state == STATE_UNKNOWN  # -1: no current option


async def select(hass: HomeAssistant, entity_id: str, option: str) -> Any:
    """Choose a select's option (as a task)."""
    return await begin(
        hass,
        hass.services.async_call(
            SELECT_DOMAIN,
            SERVICE_SELECT_OPTION,
            {ATTR_ENTITY_ID: entity_id, "option": option},
            blocking=True,
        ),
    )


async def test_choosing_a_mode_sends_both_keys_and_reads_back(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    wifi: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """§3.4.2 sends both keys: the wanted one and the other at its value."""
    await read_modes_via_refresh(hass, mqtt_mock, freezer, {"app.wifi_mode_5g": 0})
    call = await select(hass, WIFI_2G, "sta")
    await advance(hass, freezer, REQUEST_SPACING)
    (request,) = payloads(mqtt_mock, APP)
    assert body(request) == {"app.wifi_mode_2g": 1, "app.wifi_mode_5g": 0}
    assert state(hass, WIFI_2G).state == "ap"  # not optimistic
    respond(hass, APP, request["client_token"], body(request))
    await settle(hass)
    assert call.result() is None
    assert state(hass, WIFI_2G).state == "sta"
    refreshes = len(payloads(mqtt_mock, APP_REFRESH))
    await advance(hass, freezer, REQUEST_SPACING)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == refreshes + 1  # read back
    await read_modes(hass, mqtt_mock, {"app.wifi_mode_2g": 1, "app.wifi_mode_5g": 1})
    assert state(hass, WIFI_5G).state == "sta"


async def read_modes_via_refresh(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    modes: dict[str, int],
) -> None:
    runtime: FlexApiRuntime = hass.config_entries.async_entries("flexapi")[
        0
    ].runtime_data
    read = start(runtime.async_refresh("app"))
    await advance(hass, freezer, REQUEST_SPACING)
    await read_modes(hass, mqtt_mock, modes)
    read.result()


async def test_never_sends_minus_one(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    wifi: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    call = await select(hass, WIFI_2G, "sta")
    await advance(hass, freezer, REQUEST_SPACING)
    (request,) = payloads(mqtt_mock, APP)
    assert body(request) == {"app.wifi_mode_2g": 1}  # 5 GHz is N/A (-1)
    respond(hass, APP, request["client_token"], {"app.wifi_mode_2g": 0})
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "not_applied"
    assert state(hass, WIFI_2G).state == "ap"


async def test_wifi_control_app_missing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    wifi: FlexApiDevice,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    """not_found: unavailable, logged once, and the poll backs off."""
    caplog.set_level(logging.INFO)
    call = await select(hass, WIFI_2G, "sta")
    await advance(hass, freezer, REQUEST_SPACING)
    request = payloads(mqtt_mock, APP)[-1]
    respond(hass, APP, request["client_token"], error="not_found")
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "gateway_not_found"
    assert state(hass, WIFI_2G).state == STATE_UNAVAILABLE
    assert state(hass, WIFI_5G).state == STATE_UNAVAILABLE
    reads = len(payloads(mqtt_mock, APP_REFRESH))
    # The first poll was due 5 min after setup; it finds the app missing too.
    await advance(hass, freezer, APP_POLL_INTERVAL)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == reads + 1
    request = payloads(mqtt_mock, APP_REFRESH)[-1]
    respond(hass, APP_REFRESH, request["client_token"], error="not_found")
    await settle(hass)
    # Each not_found doubles the pause (600 s, then 1200 s).
    await advance(hass, freezer, APP_POLL_INTERVAL * 4 - 1)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == reads + 1
    await advance(hass, freezer, 1)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == reads + 2
    await read_modes(hass, mqtt_mock, {"app.wifi_mode_2g": 1, "app.wifi_mode_5g": 0})
    assert state(hass, WIFI_2G).state == "sta"
    # Back to every 5 minutes.
    await advance(hass, freezer, APP_POLL_INTERVAL)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == reads + 3
    # Missing again: unavailable again, but not said again.
    request = payloads(mqtt_mock, APP_REFRESH)[-1]
    respond(hass, APP_REFRESH, request["client_token"], error="not_found")
    await settle(hass)
    assert state(hass, WIFI_2G).state == STATE_UNAVAILABLE
    # Many gateways run without the app: information, not a warning.
    said = [
        record.levelno
        for record in caplog.records
        if "WiFiControl" in record.getMessage() and record.levelno >= logging.INFO
    ]
    assert said == [logging.INFO]


async def test_modes_are_polled_every_five_minutes(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    wifi: FlexApiDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    reads = len(payloads(mqtt_mock, APP_REFRESH))
    await advance(hass, freezer, APP_POLL_INTERVAL - 1)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == reads
    await advance(hass, freezer, 1)
    assert len(payloads(mqtt_mock, APP_REFRESH)) == reads + 1
    await read_modes(hass, mqtt_mock, {"app.wifi_mode_2g": 1, "app.wifi_mode_5g": 1})
    assert state(hass, WIFI_2G).state == "sta"
    assert state(hass, WIFI_5G).state == "sta"


# -- error mapping and entry kinds ---------------------------------------------------


@pytest.mark.parametrize(
    ("error", "keys", "kind", "translation_key"),
    [
        (FlexApiValueError("bad"), (), ServiceValidationError, "invalid_request"),
        (FlexApiError("boom"), (), HomeAssistantError, "request_failed"),
        (FlexApiTimeoutError("late"), (), HomeAssistantError, "no_response"),
        (
            FlexApiResponseError("not_support"),
            ("io.DI2_pullup",),
            HomeAssistantError,
            "di_pullup_not_supported",
        ),
        (
            FlexApiResponseError("not_support"),
            ("io.DO2",),
            HomeAssistantError,
            "gateway_not_support",
        ),
    ],
)
def test_protocol_errors_map_to_translated_errors(
    error: Exception, keys: tuple[str, ...], kind: type, translation_key: str
) -> None:
    mapped = home_assistant_error(error, keys)  # type: ignore[arg-type]
    assert type(mapped) is kind
    assert mapped.translation_key == translation_key


async def test_requests_after_unload_fail(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry
) -> None:
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    control = runtime.control
    assert await hass.config_entries.async_unload(flexapi_entry.entry_id)
    with pytest.raises(FlexApiStoppedError):
        await control.io.async_submit({"io.DO1": 1})


async def test_entries_of_other_kinds_get_no_gateway_entities(
    hass: HomeAssistant,
) -> None:
    """A runtime that is no gateway gets no Wi-Fi selects."""
    platform = select_platform
    entry = MockConfigEntry(domain="flexapi")
    entry.runtime_data = object()
    added: list[Any] = []
    await platform.async_setup_entry(hass, entry, added.extend)
    assert added == []


async def test_a_setup_failing_after_the_platforms_stops_the_wifi_poll(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A plain exception after the select platform loaded: no poll is left."""
    caplog.set_level(logging.DEBUG, logger="custom_components.flexapi")
    entry = make_entry()
    entry.add_to_hass(hass)
    forward = hass.config_entries.async_forward_entry_setups

    async def forward_then_fail(*args: Any) -> None:
        await forward(*args)
        raise RuntimeError("boom")

    with patch.object(
        hass.config_entries, "async_forward_entry_setups", forward_then_fail
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    runtime: FlexApiRuntime = entry.runtime_data
    runtime.async_stop()  # idempotent
    caplog.clear()
    await advance(hass, freezer, APP_POLL_INTERVAL * 3)
    await hass.async_block_till_done()
    assert payloads(mqtt_mock, APP_REFRESH) == []
    assert [r for r in caplog.records if "app refresh" in r.getMessage()] == []
    with pytest.raises(FlexApiStoppedError):
        await runtime.control.io.async_submit({"io.DO1": 1})
