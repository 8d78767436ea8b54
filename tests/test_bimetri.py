"""Bimetri applications: commands, responses, notifications, devices, JWT."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
import logging
import time
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.flexapi.bimetri import BimetriRuntime, jwt_issue_id
from custom_components.flexapi.const import (
    CONF_APP_NAME,
    CONF_BRAND,
    CONF_INSTANCE_ID,
    CONF_NOTIFICATION_TIMEOUT,
    CONF_ORGANIZATION_ID,
    CONF_OUTPUTS,
    CONF_RESOURCE_ID,
    CONF_USER_ID,
    DOMAIN,
    SUBENTRY_RESOURCE,
)
from custom_components.flexapi.diagnostics import async_get_config_entry_diagnostics
from tests.compat import (
    device_by_identifier,
    device_subentry_ids,
    process_repairs_platforms,
)

from .bimetri_helpers import (
    APP_ID,
    COMMAND_TOPIC,
    DAY,
    SIGNATURE,
    TOPIC,
    BimetriPlatformMock,
    make_bimetri_entry,
    make_jwt,
    resource_subentry,
    tick,
    turns,
)
from .helpers import advance, published, settle, start, subscribed_topics

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

SWITCH = "switch.boiler_output_4"
SWITCH_0 = "switch.boiler_output_0"


@pytest.fixture
def bimetri_entry(hass: HomeAssistant) -> MockConfigEntry:
    """The application entry with resource 101 (outputs 4 and 0)."""
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def setup_bimetri(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> AsyncGenerator[Callable[[MockConfigEntry], Awaitable[MockConfigEntry]]]:
    """Set up an entry on demand; unload what is loaded before MQTT goes."""
    entries: list[MockConfigEntry] = []

    async def _setup(entry: MockConfigEntry) -> MockConfigEntry:
        if entry.entry_id not in {
            e.entry_id for e in hass.config_entries.async_entries()
        }:
            entry.add_to_hass(hass)
        entries.append(entry)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return entry

    yield _setup
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def loaded(
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    bimetri_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The loaded application entry."""
    return await setup_bimetri(bimetri_entry)


@pytest.fixture
def platform(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> BimetriPlatformMock:
    """The scripted Bimetri platform."""
    return BimetriPlatformMock(hass, mqtt_mock)


async def switch(hass: HomeAssistant, service: str, entity_id: str = SWITCH):
    """Call a switch service as a task; the future holds its outcome."""
    future = start(
        hass.services.async_call(
            "switch", service, {"entity_id": entity_id}, blocking=True
        )
    )
    await turns(hass)
    return future


def attrs(hass: HomeAssistant, entity_id: str = SWITCH) -> dict[str, Any]:
    state = hass.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


def state_of(hass: HomeAssistant, entity_id: str = SWITCH) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


# -- setup -------------------------------------------------------------------------


async def test_setup_subscribes_and_creates_devices(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    assert TOPIC in subscribed_topics(mqtt_mock)
    assert isinstance(loaded.runtime_data, BimetriRuntime)
    device = device_by_identifier(hass, (DOMAIN, f"{loaded.entry_id}_101"))
    assert device is not None
    assert device.name == "Boiler"
    assert device.manufacturer == "Bimetri"
    assert device_subentry_ids(device) == {loaded.entry_id: {"sub101"}}
    entities = er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    assert {e.entity_id for e in entities} == {SWITCH, SWITCH_0}
    assert all(e.config_subentry_id == "sub101" for e in entities)
    assert all(e.device_id == device.id for e in entities)
    assert state_of(hass) == STATE_UNKNOWN
    assert state_of(hass, SWITCH_0) == STATE_UNKNOWN


# -- a full command cycle -------------------------------------------------------------


async def test_setup_retries_while_mqtt_is_unavailable(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, bimetri_entry: MockConfigEntry
) -> None:
    with patch(
        "custom_components.flexapi.bimetri.mqtt.async_wait_for_mqtt_client",
        AsyncMock(return_value=False),
    ):
        assert not await hass.config_entries.async_setup(bimetri_entry.entry_id)
        await hass.async_block_till_done()
    assert bimetri_entry.state is ConfigEntryState.SETUP_RETRY
    assert "MQTT integration is not available" in (bimetri_entry.reason or "")
    assert TOPIC not in subscribed_topics(mqtt_mock)


async def test_failed_setup_leaves_no_subscription_behind(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, bimetri_entry: MockConfigEntry
) -> None:
    with patch.object(
        hass.config_entries,
        "async_forward_entry_setups",
        AsyncMock(side_effect=RuntimeError("boom")),
    ):
        assert not await hass.config_entries.async_setup(bimetri_entry.entry_id)
    await settle(hass)
    assert bimetri_entry.state is ConfigEntryState.SETUP_ERROR
    assert TOPIC not in subscribed_topics(mqtt_mock)


async def test_turn_on_is_confirmed_by_the_notification(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
) -> None:
    call = await switch(hass, "turn_on")
    assert not call.done()
    (publish,) = published(mqtt_mock, COMMAND_TOPIC)
    assert publish.args[2:] == (2, False)  # QoS 2, not retained
    command = platform.last
    cid = command["correlationId"]
    assert isinstance(cid, str)
    assert cid
    assert command == {
        "messageType": "commandMessage",
        "appId": APP_ID,
        "brand": "Bimetri",
        "jwtToken": loaded.data["jwt"],
        "userId": 12345,
        "organizationId": 23456,
        "command": "setExtDO",
        "correlationId": cid,
        "parameters": {"resourceId": 101, "output": 4, "status": 1},
    }

    await platform.respond()
    await call  # "sent": the call returns
    # Queued, not confirmed: the switch keeps its state and shows the command.
    assert state_of(hass) == STATE_UNKNOWN
    pending = attrs(hass)
    assert pending["pending_correlation_id"] == cid
    assert pending["pending_since"] is not None
    assert pending["last_command_result"] == "sent"
    device = device_by_identifier(hass, (DOMAIN, f"{loaded.entry_id}_101"))
    assert device is not None
    assert device.model == "BMM620"
    assert (dr.CONNECTION_NETWORK_MAC, "26:aa:e0:23:23:5e") in device.connections

    await platform.notify(command=command)
    assert state_of(hass) == STATE_ON
    confirmed = attrs(hass)
    assert confirmed["pending_correlation_id"] is None
    assert confirmed["pending_since"] is None
    assert confirmed["last_command_result"] == "confirmed"
    assert confirmed["user_name"] == "Flexywatt User"
    assert confirmed["correlation_id"] == cid
    assert not confirmed.get("assumed_state")

    call = await switch(hass, "turn_off")
    assert platform.last["parameters"] == {"resourceId": 101, "output": 4, "status": 0}
    assert platform.last["correlationId"] != cid
    await platform.respond()
    await call
    await platform.notify(command=platform.last)
    assert state_of(hass) == STATE_OFF


async def test_output_zero_is_switched(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    """Issue 7: output numbers are not forced to be 1-based."""
    call = await switch(hass, "turn_on", SWITCH_0)
    assert platform.last["parameters"]["output"] == 0
    await platform.respond()
    await call
    await platform.notify(command=platform.last)
    assert state_of(hass, SWITCH_0) == STATE_ON
    assert state_of(hass) == STATE_UNKNOWN


async def test_numeric_correlation_id_is_matched(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    """Issue 7: ``"correlationId": 100`` answers the "100" we sent."""
    with patch(
        "custom_components.flexapi.protocol.bimetri.new_correlation_id",
        return_value="100",
    ):
        call = await switch(hass, "turn_on")
    assert platform.last["correlationId"] == "100"
    await platform.respond(correlation_id=100)
    await call
    assert attrs(hass)["pending_correlation_id"] == "100"
    await platform.notify(status=1, correlation_id=100)
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["last_command_result"] == "confirmed"


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ("not_send", "The user does not have access rights to the resource!"),
        ("failed", "Invalid output 4 for model BMM620"),
        ("send_no_ack", "The device did not acknowledge"),
    ],
)
async def test_refused_commands_raise_with_the_reason(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    result: str,
    reason: str,
) -> None:
    call = await switch(hass, "turn_on")
    await platform.respond(result, reason)
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "bimetri_command_failed"
    assert err.value.translation_placeholders["reason"] == reason
    assert err.value.translation_placeholders["result"] == result
    assert reason in str(err.value)
    assert state_of(hass) == STATE_UNKNOWN
    assert attrs(hass)["last_command_result"] == result
    assert attrs(hass)["pending_correlation_id"] is None
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_unauthorized_raises_and_starts_reauth(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    call = await switch(hass, "turn_on")
    await platform.respond("unauthorized", "Invalid token")
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "bimetri_unauthorized"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, loaded.entry_id)
    ]
    assert flows[0]["step_id"] == "reauth_confirm"


async def test_no_response_says_the_outcome_is_unknown_and_the_switch_follows(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Published but unanswered: never "failed", and what comes later counts."""
    await platform.notify(status=0)
    call = await switch(hass, "turn_on")
    command = platform.last
    await tick(hass, freezer, 9)
    assert not call.done()
    await tick(hass, freezer, 1.5)
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "bimetri_outcome_unknown"
    assert err.value.translation_placeholders == {
        "correlation_id": command["correlationId"],
        "seconds": "10",
    }
    assert "has not confirmed it within 10 s" in str(err.value)
    assert "the switch will follow what the platform reports" in str(err.value)
    assert state_of(hass) == STATE_OFF
    assert attrs(hass)["pending_correlation_id"] == command["correlationId"]
    assert attrs(hass)["last_command_result"] == "no_response"

    # The platform answers late: the command is queued, still pending.
    await platform.respond(command=command)
    assert attrs(hass)["last_command_result"] == "sent"
    assert attrs(hass)["pending_correlation_id"] == command["correlationId"]
    # Its notification is the truth.
    await platform.notify(command=command)
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["last_command_result"] == "confirmed"
    assert attrs(hass)["pending_correlation_id"] is None


async def test_a_late_refusal_ends_the_unknown_command(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    call = await switch(hass, "turn_on")
    command = platform.last
    await tick(hass, freezer, 10.5)
    with pytest.raises(HomeAssistantError):
        await call
    await platform.respond("not_send", "Device offline", command=command)
    assert attrs(hass)["last_command_result"] == "not_send"
    assert attrs(hass)["pending_correlation_id"] is None
    assert state_of(hass) == STATE_UNKNOWN


async def test_a_command_the_broker_does_not_acknowledge_is_unknown_within_10_s(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A broker that stops answering: HA's publish waits for its PUBACK/PUBCOMP.

    The answer comes after the response timeout, not after it plus the
    publish's own wait, and says the command may still be carried out.
    """
    acknowledged = hass.loop.create_future()

    async def no_ack(*_args: Any, **_kwargs: Any) -> None:
        await acknowledged

    with patch(
        "custom_components.flexapi.bimetri.mqtt.async_publish", side_effect=no_ack
    ):
        call = await switch(hass, "turn_on")
        try:
            await tick(hass, freezer, 9)
            assert not call.done()
            await tick(hass, freezer, 1.5)
            assert call.done()
        finally:
            if not call.done():
                call.cancel()
                await turns(hass)
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "bimetri_outcome_unknown"
    assert attrs(hass)["last_command_result"] == "no_response"


async def test_a_publish_error_says_the_command_may_still_go_out(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    """Paho queues a QoS 2 publish it cannot send: not "failed", unknown."""
    with patch(
        "custom_components.flexapi.bimetri.mqtt.async_publish",
        side_effect=HomeAssistantError("The client is not currently connected."),
    ):
        call = await switch(hass, "turn_on")
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "bimetri_publish_unknown"
    assert "may still be sent" in str(err.value)
    assert attrs(hass)["pending_correlation_id"] is not None


async def test_a_command_while_mqtt_is_disconnected_is_refused_and_never_sent(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Disconnected before HA told the switch: nothing is handed to paho."""
    from homeassistant.components.mqtt.models import DATA_MQTT
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    client = hass.data[DATA_MQTT].client
    client.connected = False
    call = await switch(hass, "turn_on")
    await tick(hass, freezer, 0.1)
    assert call.done()  # at once, not after a timeout
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "mqtt_not_connected"
    assert "was not sent" in str(err.value)
    assert attrs(hass)["last_command_result"] == "not_sent"
    assert attrs(hass)["pending_correlation_id"] is None

    client.connected = True
    async_dispatcher_send(hass, "mqtt_connection_state", True)
    await tick(hass, freezer, 60)
    assert not published(mqtt_mock, COMMAND_TOPIC)


@pytest.mark.parametrize(
    ("options", "seconds"), [({}, 30.0), ({CONF_NOTIFICATION_TIMEOUT: 5}, 5.0)]
)
async def test_no_notification_in_time_records_timed_out(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    platform: BimetriPlatformMock,
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
    seconds: float,
) -> None:
    await setup_bimetri(make_bimetri_entry(options=options))
    await platform.notify(status=0)  # known state: off
    call = await switch(hass, "turn_on")
    await platform.respond()
    await call
    await advance(hass, freezer, seconds - 1)
    assert attrs(hass)["pending_correlation_id"] == platform.last["correlationId"]
    await advance(hass, freezer, 1.5)
    after = attrs(hass)
    assert after["pending_correlation_id"] is None
    assert after["pending_since"] is None
    assert after["last_command_result"] == "timed_out"
    assert state_of(hass) == STATE_OFF  # never flipped without a notification

    # The user retries; this time the notification comes.
    call = await switch(hass, "turn_on")
    await platform.respond()
    await call
    await platform.notify(command=platform.last)
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["last_command_result"] == "confirmed"


async def test_late_notification_after_the_timeout_is_still_the_truth(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    call = await switch(hass, "turn_on")
    await platform.respond()
    await call
    command = platform.last
    await advance(hass, freezer, 31)
    assert attrs(hass)["last_command_result"] == "timed_out"
    await platform.notify(command=command)
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["last_command_result"] == "timed_out"


async def test_notification_before_its_response(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    """A notification that overtakes its response leaves nothing pending."""
    call = await switch(hass, "turn_on")
    await platform.notify(command=platform.last)
    await platform.respond()
    await call
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["pending_correlation_id"] is None
    assert attrs(hass)["last_command_result"] == "confirmed"


# -- notifications ---------------------------------------------------------------------


async def test_duplicate_notification_changes_nothing(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    call = await switch(hass, "turn_on")
    await platform.respond()
    await call
    note = platform.notification(command=platform.last)
    await platform.send(note)
    assert state_of(hass) == STATE_ON
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    await platform.send(note)  # a QoS 1 duplicate
    await platform.send({**note, "correlationId": note["correlationId"]})
    assert events == []
    # Even a duplicate with another status (a replay) is dropped.
    await platform.send({**note, "parameters": {**note["parameters"], "status": 0}})
    assert state_of(hass) == STATE_ON
    assert events == []


async def test_repeated_unsolicited_notification_writes_no_state(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    await platform.notify(status=1, user_name="Someone")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    await platform.notify(status=1, user_name="Someone")
    assert events == []


async def test_older_notification_never_overrides_a_newer_one(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    first = await switch(hass, "turn_on")
    await platform.respond()
    await first
    on_command = platform.last
    second = await switch(hass, "turn_off")
    await platform.respond()
    await second
    off_command = platform.last
    # The device did on, then off; the notifications arrive out of order.
    await platform.notify(command=off_command)
    assert state_of(hass) == STATE_OFF
    await platform.notify(command=on_command)
    assert state_of(hass) == STATE_OFF
    assert attrs(hass)["correlation_id"] == off_command["correlationId"]
    assert attrs(hass)["pending_correlation_id"] is None


async def test_another_user_switching_is_shown(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    await platform.notify(status=1, correlation_id="their-42", user_name="Alice")
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["user_name"] == "Alice"
    await platform.notify(status=0, user_name="Bob")  # no correlationId at all
    assert state_of(hass) == STATE_OFF
    assert attrs(hass)["user_name"] == "Bob"
    assert attrs(hass)["correlation_id"] is None


async def test_notification_of_another_app_is_ignored(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    """Issue 7: an ``appName/#`` subscription sees other instances' traffic."""
    await platform.notify(status=1, app_id="flexyWattApp.2")
    assert state_of(hass) == STATE_UNKNOWN
    await platform.notify(status=1, app_id=APP_ID)
    assert state_of(hass) == STATE_ON


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b"\xff\xfe",
        b'{"messageType": "notification", "notificationType": "extDOStateChanged"}',
        b'{"messageType": "commandResponse", "correlationId": {}}',
    ],
)
async def test_malformed_messages_are_dropped(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    payload: bytes,
) -> None:
    from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

    async_fire_mqtt_message(hass, TOPIC, payload)
    await settle(hass)
    await platform.notify(status=1)
    assert state_of(hass) == STATE_ON


@pytest.mark.parametrize(
    "payload",
    [b"[" * 100_000, b'{"messageType": ' + b"[" * 100_000],
    ids=["nested-array", "nested-in-object"],
)
async def test_deeply_nested_payload_is_dropped_quietly(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    caplog: pytest.LogCaptureFixture,
    payload: bytes,
) -> None:
    """Review of issue 9: a RecursionError escaped and HA logged the payload."""
    from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

    caplog.set_level(logging.DEBUG)
    async_fire_mqtt_message(hass, TOPIC, payload)
    await settle(hass)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "dropping a non-JSON-object payload" in caplog.text
    await platform.notify(status=1)
    assert state_of(hass) == STATE_ON


async def test_unconfigured_resource_is_remembered_and_logged_once(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "custom_components.flexapi")
    for status in (1, 0, 1):
        await platform.notify(resource_id=202, output=3, status=status)
    await platform.notify(resource_id=101, output=7, status=1)
    runtime: BimetriRuntime = loaded.runtime_data
    assert runtime.unconfigured == {202: {3}, 101: {7}}
    lines = [r.getMessage() for r in caplog.records if "not configured" in r.message]
    assert len(lines) == 2
    assert "resource 202 output 3" in lines[0]
    assert hass.states.get("switch.boiler_output_7") is None


async def test_negative_ids_are_not_remembered(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Review of issue 9: the add-resource form offered what it then refused."""
    caplog.set_level(logging.INFO, "custom_components.flexapi")
    await platform.notify(resource_id=-5, output=2, status=1)
    await platform.notify(resource_id=303, output=-1, status=1)
    await platform.notify(resource_id=101, output=-4, status=1)
    assert loaded.runtime_data.unconfigured == {}
    assert "not configured" not in caplog.text
    result = await hass.config_entries.subentries.async_init(
        (loaded.entry_id, SUBENTRY_RESOURCE), context={"source": "user"}
    )
    # Nothing heard to offer: a plain number box.
    assert "options" not in result["data_schema"].schema[CONF_RESOURCE_ID].config
    hass.config_entries.subentries.async_abort(result["flow_id"])


# -- restart -------------------------------------------------------------------------


async def test_restored_state_is_assumed_until_a_notification(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    platform: BimetriPlatformMock,
) -> None:
    mock_restore_cache(hass, [State(SWITCH, STATE_ON), State(SWITCH_0, "unavailable")])
    await setup_bimetri(make_bimetri_entry())
    assert state_of(hass) == STATE_ON
    assert attrs(hass)["assumed_state"] is True
    assert state_of(hass, SWITCH_0) == STATE_UNKNOWN
    await platform.notify(status=0)
    assert state_of(hass) == STATE_OFF
    assert "assumed_state" not in attrs(hass)


async def test_unavailable_while_mqtt_is_disconnected(
    hass: HomeAssistant, loaded: MockConfigEntry, mqtt_mock: MqttMockHAClient
) -> None:
    from homeassistant.components.mqtt.models import DATA_MQTT

    client = hass.data[DATA_MQTT].client
    client.connected = False
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    async_dispatcher_send(hass, "mqtt_connection_state", False)
    await hass.async_block_till_done()
    assert state_of(hass) == "unavailable"
    client.connected = True
    async_dispatcher_send(hass, "mqtt_connection_state", True)
    await hass.async_block_till_done()
    assert state_of(hass) == STATE_UNKNOWN


# -- resources (subentries) -----------------------------------------------------------


async def test_adding_and_removing_a_resource(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    await platform.notify(status=1)  # resource 101 output 4 is on
    await platform.notify(resource_id=202, output=2, status=1)
    result = await hass.config_entries.subentries.async_init(
        (loaded.entry_id, SUBENTRY_RESOURCE), context={"source": "user"}
    )
    assert result["step_id"] == "user"
    # The resource heard in a notification is offered.
    schema = result["data_schema"].schema
    selector = schema[CONF_RESOURCE_ID]
    assert selector.config["options"] == ["202"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_RESOURCE_ID: "no number"}
    )
    assert result["errors"] == {CONF_RESOURCE_ID: "invalid_resource_id"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_RESOURCE_ID: "202"}
    )
    assert result["step_id"] == "outputs"
    assert result["description_placeholders"] == {"resource_id": "202"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_OUTPUTS: ["2", "5"], "name": "Pump"}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
    (subentry,) = (s for s in loaded.subentries.values() if s.unique_id == "202")
    assert subentry.data == {CONF_RESOURCE_ID: 202, CONF_OUTPUTS: [2, 5]}
    assert subentry.title == "Pump"

    device = device_by_identifier(hass, (DOMAIN, f"{loaded.entry_id}_202"))
    assert device is not None
    assert device.name == "Pump"
    # Both resources report one module's MAC: a connection is unique within an
    # entry (2026.8 refuses a second device with it), so the first keeps it.
    assert not device.connections
    assert device_subentry_ids(device) == {loaded.entry_id: {subentry.subentry_id}}
    for entity_id in ("switch.pump_output_2", "switch.pump_output_5"):
        registry_entry = entity_registry.async_get(entity_id)
        assert registry_entry is not None
        assert registry_entry.config_subentry_id == subentry.subentry_id
        assert registry_entry.device_id == device.id
    # The reload kept what the notification confirmed (not merely assumed).
    assert state_of(hass) == STATE_ON
    assert "assumed_state" not in attrs(hass)
    # Remembered outputs of a resource that is now configured are forgotten.
    assert 202 not in loaded.runtime_data.unconfigured
    await platform.notify(resource_id=202, output=2, status=1)
    assert state_of(hass, "switch.pump_output_2") == STATE_ON

    assert hass.config_entries.async_remove_subentry(loaded, subentry.subentry_id)
    await hass.async_block_till_done()
    assert device_by_identifier(hass, (DOMAIN, f"{loaded.entry_id}_202")) is None
    assert entity_registry.async_get("switch.pump_output_2") is None
    assert hass.states.get("switch.pump_output_2") is None
    # The other resource is untouched.
    assert device_by_identifier(hass, (DOMAIN, f"{loaded.entry_id}_101"))
    assert entity_registry.async_get(SWITCH) is not None
    assert loaded.state is ConfigEntryState.LOADED


async def test_two_resources_are_two_devices(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    platform: BimetriPlatformMock,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry = await setup_bimetri(
        make_bimetri_entry(
            subentries=[resource_subentry(), resource_subentry(303, [1], "Gate")]
        )
    )
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert sorted(d.name for d in devices) == ["Boiler", "Gate"]
    await platform.notify(resource_id=303, output=1, status=1)
    assert state_of(hass, "switch.gate_output_1") == STATE_ON
    assert state_of(hass) == STATE_UNKNOWN


# -- the JWT ----------------------------------------------------------------------------


async def test_no_log_line_holds_the_token(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every record of a full command cycle, from every logger, at debug level."""
    caplog.set_level(logging.DEBUG)
    call = await switch(hass, "turn_on")
    cid = platform.last["correlationId"]
    await platform.respond()
    await call
    await platform.notify(command=platform.last)
    call = await switch(hass, "turn_off")
    await platform.respond("unauthorized", "Invalid token")
    with pytest.raises(HomeAssistantError):
        await call
    call = await switch(hass, "turn_off")
    await tick(hass, freezer, 11)
    with pytest.raises(HomeAssistantError):
        await call
    await hass.async_block_till_done()
    text = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
    )
    # HA's MQTT client logged the command payloads, with the token masked.
    assert "Transmitting message on resource/commands" in text
    token = loaded.data["jwt"]
    assert token not in text
    for start_at in range(len(SIGNATURE) - 8 + 1):
        assert SIGNATURE[start_at : start_at + 8] not in text
    # The correlationId is traced on publish and on receive.
    assert sum(cid in record.getMessage() for record in caplog.records) >= 2


async def test_diagnostics_redact_the_token(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    call = await switch(hass, "turn_on")
    await platform.respond()
    await call
    await platform.notify(command=platform.last)
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    text = repr(diagnostics)
    assert SIGNATURE not in text
    assert loaded.data["jwt"] not in text
    assert diagnostics["entry"]["data"]["jwt"] == "**REDACTED**"
    assert diagnostics["app_id"] == APP_ID
    assert diagnostics["outputs"]["101/4"]["is_on"] is True
    assert diagnostics["outputs"]["101/4"]["user_name"] == "**REDACTED**"
    assert diagnostics["devices"]["101"]["model"] == "BMM620"
    assert diagnostics["devices"]["101"]["network_id"] == "**REDACTED**"
    assert diagnostics["jwt_expires"] is not None


async def test_token_expiring_within_7_days_raises_a_repair(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await setup_bimetri(make_bimetri_entry(make_jwt(time.time() + 3 * DAY)))
    issue = issue_registry.async_get_issue(DOMAIN, jwt_issue_id(entry))
    assert issue is not None
    assert issue.translation_key == "jwt_expiring"
    assert issue.is_fixable
    assert issue.translation_placeholders["app_id"] == APP_ID
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_token_expiry_repair_then_reauth(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await setup_bimetri(make_bimetri_entry(make_jwt(time.time() + 10 * DAY)))
    issue_id = jwt_issue_id(entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await advance(hass, freezer, 2 * DAY)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await advance(hass, freezer, 1.1 * DAY)  # 6.9 days left
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await advance(hass, freezer, 7 * DAY)  # expired
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]

    # A new token: the entry reloads and the issue is gone.
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"jwt": make_jwt(time.time() + 365 * DAY)}
    )
    assert result["type"] == "abort"
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_expired_token_at_setup_starts_reauth(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
) -> None:
    entry = await setup_bimetri(make_bimetri_entry(make_jwt(time.time() - 60)))
    assert entry.state is ConfigEntryState.LOADED
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_token_without_exp_raises_nothing(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await setup_bimetri(make_bimetri_entry("opaque-token-without-dots"))
    assert issue_registry.async_get_issue(DOMAIN, jwt_issue_id(entry)) is None
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_repair_fix_flow_starts_reauth(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
) -> None:
    from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN

    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    entry = await setup_bimetri(make_bimetri_entry(make_jwt(time.time() + 2 * DAY)))
    await process_repairs_platforms(hass)
    manager = hass.data[REPAIRS_DOMAIN]["flow_manager"]
    result = await manager.async_init(DOMAIN, data={"issue_id": jwt_issue_id(entry)})
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["app_id"] == APP_ID
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_unload_releases_the_subscription(
    hass: HomeAssistant, loaded: MockConfigEntry, mqtt_mock: MqttMockHAClient
) -> None:
    call = await switch(hass, "turn_on")
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await settle(hass)
    assert TOPIC not in subscribed_topics(mqtt_mock)
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "bimetri_unloaded"


async def test_removing_the_entry_removes_its_repair(
    hass: HomeAssistant,
    setup_bimetri: Callable[[MockConfigEntry], Awaitable[MockConfigEntry]],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await setup_bimetri(make_bimetri_entry(make_jwt(time.time() + DAY)))
    assert issue_registry.async_get_issue(DOMAIN, jwt_issue_id(entry)) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, jwt_issue_id(entry)) is None


async def test_bounded_tables(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: BimetriPlatformMock
) -> None:
    """Correlation ids seen, commands sent and unknown resources stay bounded."""
    from custom_components.flexapi import bimetri

    runtime: BimetriRuntime = loaded.runtime_data
    for n in range(bimetri.MAX_SEEN + 10):
        await platform.notify(status=n % 2, correlation_id=f"c{n}")
    assert len(runtime._seen) == bimetri.MAX_SEEN
    assert state_of(hass) == (STATE_ON if (bimetri.MAX_SEEN + 9) % 2 else STATE_OFF)
    for n in range(bimetri.MAX_UNCONFIGURED_RESOURCES + 5):
        await platform.notify(resource_id=1000 + n, output=1, status=1)
    assert len(runtime.unconfigured) == bimetri.MAX_UNCONFIGURED_RESOURCES
    with patch.object(bimetri, "MAX_COMMANDS", 2):
        for service in ("turn_on", "turn_off", "turn_on"):
            call = await switch(hass, service)
            await platform.respond()
            await call
    assert len(runtime._commands) == 2


def test_log_mask_counts_entries_and_masks_every_argument_shape() -> None:
    from custom_components.flexapi.bimetri import _mask_secret

    token = make_jwt(signature="c2VjcmV0LXNpZ25hdHVyZQ")
    logger = logging.getLogger("homeassistant.components.mqtt.client")
    first, second = _mask_secret(token), _mask_secret(token)
    records = [
        logging.LogRecord(logger.name, logging.DEBUG, "", 0, f"msg {token}", (), None),
        logging.LogRecord(
            logger.name, logging.DEBUG, "", 0, "%s", (token.encode(),), None
        ),
        logging.LogRecord(
            logger.name, logging.DEBUG, "", 0, "%(t)s", ({"t": token},), None
        ),
        logging.LogRecord(logger.name, logging.DEBUG, "", 0, "%s", (b"\xff",), None),
    ]
    first()
    for record in records:
        for log_filter in logger.filters:
            log_filter.filter(record)
        assert "c2VjcmV0" not in record.getMessage()
    assert records[3].args == (b"\xff",)  # untouched
    second()
    assert not logger.filters


async def test_reconfiguring_a_resource_changes_its_switches(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    entity_registry: er.EntityRegistry,
) -> None:
    await platform.notify(resource_id=101, output=7, status=1)  # heard, not configured
    result = await hass.config_entries.subentries.async_init(
        (loaded.entry_id, SUBENTRY_RESOURCE),
        context={"source": "reconfigure", "subentry_id": "sub101"},
    )
    assert result["step_id"] == "outputs"
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested == {CONF_OUTPUTS: ["0", "4", "7"], "name": "Boiler"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_OUTPUTS: ["4", "7"], "name": "Boiler"}
    )
    assert result["type"] == "abort"
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded.subentries["sub101"].data[CONF_OUTPUTS] == [4, 7]
    assert entity_registry.async_get(SWITCH_0) is None
    assert hass.states.get(SWITCH_0) is None
    assert entity_registry.async_get("switch.boiler_output_7") is not None
    assert loaded.runtime_data.unconfigured == {}
    await platform.notify(resource_id=101, output=7, status=1)
    assert state_of(hass, "switch.boiler_output_7") == STATE_ON


async def test_reconfigure_keeps_devices_entities_and_state(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: BimetriPlatformMock,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Review of issue 9: a new appId orphaned devices and replaced switches."""
    await platform.notify(status=1)
    devices = {
        d.id
        for d in dr.async_entries_for_config_entry(device_registry, loaded.entry_id)
    }
    entities = {
        e.entity_id: e.id
        for e in er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    }
    assert len(devices) == 1
    assert set(entities) == {SWITCH, SWITCH_0}

    result = await loaded.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_NAME: "otherApp",
            CONF_INSTANCE_ID: "7",
            CONF_BRAND: "Bimetri",
            CONF_USER_ID: 12345,
            CONF_ORGANIZATION_ID: 23456,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
    assert loaded.runtime_data.app_id == "otherApp.7"

    assert {
        d.id
        for d in dr.async_entries_for_config_entry(device_registry, loaded.entry_id)
    } == devices
    assert {
        e.entity_id: e.id
        for e in er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    } == entities
    assert state_of(hass) == STATE_ON
    # The new application's notifications drive the same switch.
    await platform.send(
        platform.notification(status=0, app_id="otherApp.7"),
        topic="application/third-party/otherApp/7",
    )
    assert state_of(hass) == STATE_OFF


async def test_only_a_left_over_device_may_be_deleted(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Review of issue 9: no Bimetri device could be deleted, stale or not."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    (live,) = dr.async_entries_for_config_entry(device_registry, loaded.entry_id)
    stale = device_registry.async_get_or_create(
        config_entry_id=loaded.entry_id,
        identifiers={(DOMAIN, "oldApp.1_101")},  # e.g. of an earlier build
        name="Old boiler",
    )

    async def remove(device_id: str) -> dict[str, Any]:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": loaded.entry_id,
                "device_id": device_id,
            }
        )
        response: dict[str, Any] = await client.receive_json()
        return response

    response = await remove(live.id)
    assert not response["success"]
    assert device_registry.async_get(live.id) is not None
    assert entity_registry.async_get(SWITCH) is not None

    response = await remove(stale.id)
    assert response["success"]
    assert device_registry.async_get(stale.id) is None
    assert device_registry.async_get(live.id) is not None
