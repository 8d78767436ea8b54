"""Reliability: MQTT outages, duplicates, ordering, foreign answers, unload hygiene."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
import functools
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import DOMAIN, SUBSCRIBE_DONE_TIMEOUT
from custom_components.flexapi.entity import FlexApiEntity
from custom_components.flexapi.protocol.errors import (
    FlexApiError,
    FlexApiNotConnectedError,
)
from custom_components.flexapi.protocol.topics import prefix_subscriptions
from custom_components.flexapi.runtime import FlexApiRuntime
from tests.compat import device_by_identifier

from .helpers import (
    REQUEST_SPACING,
    advance,
    fake_subscribe_done,
    last_payload,
    make_entry,
    payloads,
    published,
    published_topics,
    respond,
    settle,
    start,
    subscribed_topics,
)

pytestmark = pytest.mark.usefixtures("collect_started_tasks")

BASE = "v1/VG1/"
SETTLE = 1.5
SPEED = "sensor.vg1_vehicle_speed"
SUMMARY_REFRESH = BASE + "summary/refresh"


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Entity ids of every state write of a FlexAPI entity, in order."""
    calls: list[str] = []
    original = FlexApiEntity.async_write_ha_state

    def spy(self: FlexApiEntity) -> None:
        calls.append(self.entity_id)
        original(self)

    monkeypatch.setattr(FlexApiEntity, "async_write_ha_state", spy)
    return calls


@pytest.fixture
def subscribe_settle() -> Generator[None]:
    """The real settle time before requests (unit tests default to none).

    Where HA reports live subscriptions (2025.12+), the mocked broker
    acknowledges them at once, as a real one does.
    """
    with (
        patch("custom_components.flexapi.const.SUBSCRIBE_SETTLE", SETTLE),
        patch.object(
            mqtt, "async_on_subscribe_done", fake_subscribe_done(True, []), create=True
        ),
    ):
        yield


@pytest.fixture
async def runtime(
    no_initial_requests: None, flexapi_entry: MockConfigEntry
) -> FlexApiRuntime:
    """The runtime of a loaded ``VG1`` entry that sent no start-up requests."""
    return flexapi_entry.runtime_data


def set_broker(hass: HomeAssistant, connected: bool) -> None:
    """Make HA's MQTT client lose or regain its broker, as paho reports it."""
    hass.data[DATA_MQTT].client.connected = connected
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, connected)


def fire(hass: HomeAssistant, topic: str, payload: Any) -> None:
    """Deliver one QoS 1 message."""
    async_fire_mqtt_message(hass, topic, json.dumps(payload), qos=1)


# -- broker outage ----------------------------------------------------------------


class SubscribeDone:
    """An ``mqtt.async_on_subscribe_done`` whose broker acknowledges on demand."""

    def __init__(self) -> None:
        """Nothing is waited for yet."""
        self.waiting: dict[str, list[CALLBACK_TYPE]] = {}
        self.stopped = 0

    def __call__(
        self, hass: HomeAssistant, topic: str, qos: int, on_done: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Register ``on_done`` for ``topic``; return the stop callback."""
        assert qos == 1
        self.waiting.setdefault(topic, []).append(on_done)

        def stop() -> None:
            self.stopped += 1

        return stop

    def acknowledge(self) -> None:
        """The broker acknowledges every subscription waited for."""
        waiting, self.waiting = self.waiting, {}
        for callbacks in waiting.values():
            for on_done in callbacks:
                on_done()


async def refresh_brings_fresh_data(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    spec_examples: dict[str, Any],
) -> None:
    """The one reconnect refresh is answered; no second one follows."""
    assert len(published(mqtt_mock, SUMMARY_REFRESH)) == 1
    request = last_payload(mqtt_mock, SUMMARY_REFRESH)
    respond(
        hass,
        SUMMARY_REFRESH,
        request["client_token"],
        {**spec_examples["summary"], "obd.speed": 42},
    )
    await settle(hass)
    assert hass.states.get(SPEED).state == "42"
    await advance(hass, freezer, 3 * REQUEST_SPACING)
    assert len(published(mqtt_mock, SUMMARY_REFRESH)) == 1


async def go_unavailable(hass: HomeAssistant, spec_examples: dict[str, Any]) -> None:
    """An upload, then the broker goes away: the entities go unavailable."""
    fire(hass, BASE + "summary/info", spec_examples["summary"])
    await settle(hass)
    assert hass.states.get(SPEED).state != STATE_UNAVAILABLE
    set_broker(hass, False)
    await settle(hass)
    assert hass.states.get(SPEED).state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("subscribe_settle")
async def test_reconnect_refresh_waits_the_settle_on_older_releases(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
    spec_examples: dict[str, Any],
) -> None:
    """Before 2025.12 (no subscribe-done hook): one refresh after the settle."""
    await go_unavailable(hass, spec_examples)
    with patch.object(mqtt, "async_on_subscribe_done", None, create=True):
        # The broker flaps: two reconnects, one refresh.
        set_broker(hass, True)
        set_broker(hass, False)
        set_broker(hass, True)
        await settle(hass)
        assert published(mqtt_mock, SUMMARY_REFRESH) == []  # HA re-subscribes first
        await advance(hass, freezer, SETTLE - 0.01)
        assert published(mqtt_mock, SUMMARY_REFRESH) == []
        await advance(hass, freezer, 0.02)
        await refresh_brings_fresh_data(hass, mqtt_mock, freezer, spec_examples)


@pytest.mark.usefixtures("subscribe_settle")
async def test_reconnect_refresh_goes_out_once_resubscribed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
    spec_examples: dict[str, Any],
) -> None:
    """With the subscribe-done hook: the refresh follows the SUBACKs, no settle."""
    await go_unavailable(hass, spec_examples)
    hook = SubscribeDone()
    with patch.object(mqtt, "async_on_subscribe_done", hook, create=True):
        set_broker(hass, True)
        set_broker(hass, False)
        set_broker(hass, True)
        await settle(hass)
        # One wait for the prefix's three filters, registered after HA has
        # queued its re-subscriptions.
        assert sorted(hook.waiting) == sorted(prefix_subscriptions(""))
        assert all(len(callbacks) == 1 for callbacks in hook.waiting.values())
        await advance(hass, freezer, 0.3)
        assert published(mqtt_mock, SUMMARY_REFRESH) == []  # not subscribed yet
        hook.acknowledge()
        await settle(hass)  # no time passes: well before the 1.5 s settle
        assert hook.stopped == 3
        await refresh_brings_fresh_data(hass, mqtt_mock, freezer, spec_examples)


@pytest.mark.usefixtures("subscribe_settle")
async def test_reconnect_refresh_without_acknowledgement_is_bounded(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
    spec_examples: dict[str, Any],
) -> None:
    """SUBACKs that never come hold the refresh SUBSCRIBE_DONE_TIMEOUT, no longer."""
    await go_unavailable(hass, spec_examples)
    hook = SubscribeDone()
    with patch.object(mqtt, "async_on_subscribe_done", hook, create=True):
        set_broker(hass, True)
        await settle(hass)
        await advance(hass, freezer, SUBSCRIBE_DONE_TIMEOUT - 0.01)
        assert published(mqtt_mock, SUMMARY_REFRESH) == []
        await advance(hass, freezer, 0.02)
        assert hook.stopped == 3
        await refresh_brings_fresh_data(hass, mqtt_mock, freezer, spec_examples)


async def test_no_refresh_without_an_outage(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
) -> None:
    """A connection status that did not change asks for nothing."""
    set_broker(hass, True)
    await advance(hass, freezer, 5)
    assert published(mqtt_mock, SUMMARY_REFRESH) == []


async def test_a_request_during_an_outage_fails_and_is_never_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
) -> None:
    """paho would queue the publish and send it after reconnecting; we refuse it."""
    set_broker(hass, False)
    await settle(hass)
    future = start(runtime.async_refresh("gnss"))
    await settle(hass)
    assert future.done()
    with pytest.raises(FlexApiNotConnectedError, match="MQTT is not connected"):
        future.result()
    set_broker(hass, True)
    await advance(hass, freezer, 30)
    assert BASE + "gnss/refresh" not in published_topics(mqtt_mock)


async def test_a_queued_request_fails_when_the_broker_goes_before_its_turn(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
) -> None:
    """A request waiting for its §2.3 slot fails if MQTT is down at that slot."""
    first = start(runtime.async_refresh("gnss"))
    second = start(runtime.async_refresh("obd"))
    await settle(hass)
    assert published_topics(mqtt_mock).count(BASE + "gnss/refresh") == 1
    set_broker(hass, False)
    await advance(hass, freezer, REQUEST_SPACING)
    assert second.done()
    assert isinstance(second.exception(), FlexApiNotConnectedError)
    assert BASE + "obd/refresh" not in published_topics(mqtt_mock)
    # The request on the wire before the outage times out: a clear error too.
    await advance(hass, freezer, 15)
    assert isinstance(first.exception(), FlexApiError)


# -- duplicates and ordering ----------------------------------------------------------


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_qos1_duplicates_write_nothing_twice(
    hass: HomeAssistant,
    runtime: FlexApiRuntime,
    spec_examples: dict[str, Any],
    writes: list[str],
) -> None:
    """A redelivered upload or event causes no second state write or event."""
    fire(hass, BASE + "summary/info", spec_examples["summary"])
    await settle(hass)
    first = list(writes)
    assert first
    fire(hass, BASE + "summary/info", spec_examples["summary"])
    await settle(hass)
    assert writes == first

    writes.clear()
    event = {"starts_at": 1700000000, "status": "raise", "type": "DI_CHG", "io.DI1": 1}
    fired: list[Any] = []
    hass.bus.async_listen("state_changed", fired.append)
    fire(hass, BASE + "event/notice", event)
    await settle(hass)
    assert writes.count("event.vg1_notice") == 1
    notice = hass.states.get("event.vg1_notice")
    fire(hass, BASE + "event/notice", event)
    await settle(hass)
    assert writes.count("event.vg1_notice") == 1
    assert hass.states.get("event.vg1_notice") == notice
    # The same event later (it cleared, then was raised again) is not a duplicate.
    fire(
        hass, BASE + "event/notice", {**event, "status": "clear", "ends_at": 1700000009}
    )
    fire(hass, BASE + "event/notice", {**event, "starts_at": 1700000010})
    await settle(hass)
    assert writes.count("event.vg1_notice") == 3


async def test_duplicated_response_is_ingested_once(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    writes: list[str],
) -> None:
    """A redelivered refresh answer is matched to nothing the second time."""
    future = start(runtime.async_refresh("obd"))
    await settle(hass)
    token = last_payload(mqtt_mock, BASE + "obd/refresh")["client_token"]
    respond(hass, BASE + "obd/refresh", token, {"obd.speed": 30})
    await settle(hass)
    assert future.result() == {"obd.speed": 30}
    first = list(writes)
    assert SPEED in first
    # The duplicate says something else: it must not win.
    respond(hass, BASE + "obd/refresh", token, {"obd.speed": 99})
    await settle(hass)
    assert writes == first
    assert hass.states.get(SPEED).state == "30"


async def test_an_older_timestamp_never_overwrites_newer_data(
    hass: HomeAssistant, runtime: FlexApiRuntime
) -> None:
    """Per group and through the summary, older uploads are skipped."""
    fire(hass, BASE + "obd/info", {"obd.ts": 1700000600, "obd.speed": 80})
    await settle(hass)
    fire(hass, BASE + "obd/info", {"obd.ts": 1700000599, "obd.speed": 10})
    await settle(hass)
    assert hass.states.get(SPEED).state == "80"
    summary = {
        "gnss.ts": 1700000700,
        "obd.ts": 1700000700,
        "io.ts": 1700000700,
        "motion.ts": 1700000700,
    }
    fire(hass, BASE + "summary/info", {**summary, "obd.speed": 70})
    await settle(hass)
    older = {key: stamp - 100 for key, stamp in summary.items()}
    fire(hass, BASE + "summary/info", {**older, "obd.speed": 5})
    await settle(hass)
    assert hass.states.get(SPEED).state == "70"


async def test_foreign_answers_are_ignored(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    runtime: FlexApiRuntime,
    writes: list[str],
) -> None:
    """A foreign token, or our token for another client_id, answers nothing."""
    future = start(runtime.async_refresh("obd"))
    await settle(hass)
    token = last_payload(mqtt_mock, BASE + "obd/refresh")["client_token"]
    respond(hass, BASE + "obd/refresh", "someone-else", {"obd.speed": 1})
    respond(hass, "v1/VG2/obd/refresh", token, {"obd.speed": 2})
    respond(hass, "fleet/v1/VG1/obd/refresh", token, {"obd.speed": 3})
    respond(hass, BASE + "gnss/refresh", token, {"obd.speed": 4})  # wrong topic
    await settle(hass)
    assert not future.done()
    assert writes == []
    assert runtime.store.get("obd.speed") is None
    respond(hass, BASE + "obd/refresh", token, {"obd.speed": 5})
    await settle(hass)
    assert future.result() == {"obd.speed": 5}
    assert hass.states.get(SPEED).state == "5"


# -- unload hygiene -----------------------------------------------------------------


def _is_ours(obj: Any, depth: int = 0) -> bool:
    """Whether a callback (bound method, partial, HassJob ...) leads to our code."""
    if depth > 4 or obj is None:
        return False
    module = getattr(obj, "__module__", None) or ""
    if isinstance(module, str) and module.startswith("custom_components.flexapi"):
        return True
    if isinstance(obj, functools.partial):
        return _is_ours(obj.func, depth + 1) or any(
            _is_ours(arg, depth + 1) for arg in obj.args
        )
    for attribute in ("__self__", "__func__", "target", "job", "_callback", "action"):
        inner = getattr(obj, attribute, None)
        if inner is not None and inner is not obj and _is_ours(inner, depth + 1):
            return True
    return False


def our_leftovers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> dict[str, list[Any]]:
    """Subscriptions, timers and tasks of the integration that still exist."""
    loop = hass.loop
    timers = [
        handle
        for handle in loop._scheduled  # type: ignore[attr-defined]
        if not handle.cancelled()
        and (_is_ours(handle._callback) or any(_is_ours(a) for a in handle._args))
    ]
    tasks = [
        task
        for task in asyncio.all_tasks(loop)
        if not task.done()
        and (
            "flexapi" in task.get_name()
            or _is_ours(getattr(task.get_coro(), "cr_code", None))
            or "custom_components/flexapi"
            in str(getattr(task.get_coro(), "cr_code", ""))
        )
    ]
    subscriptions = [
        subscription
        # The mock wraps HA's real MQTT client, which holds the subscriptions.
        for subscription in mqtt_mock.return_value.subscriptions
        if _is_ours(subscription.job)
    ]
    return {"timers": timers, "tasks": tasks, "subscriptions": subscriptions}


async def test_nothing_of_ours_remains_after_unload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two busy entries unloaded: no subscription, timer or task of ours is left."""
    entries = [make_entry("VG1"), make_entry("VG2", prefix="fleet/")]
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    # Busy: start-up requests on the wire and queued, a merged refresh, a
    # reconnect refresh waiting out its settle time, and fresh data.
    fire(hass, BASE + "gnss/info", {"gnss.ts": 1700000000, "gnss.speed": 1.0})
    pending = [start(entry.runtime_data.async_refresh("obd")) for entry in entries]
    set_broker(hass, False)
    set_broker(hass, True)
    await settle(hass)
    before = our_leftovers(hass, mqtt_mock)
    assert before["timers"]
    assert before["tasks"]
    assert before["subscriptions"]
    assert {"v1/+/+/info", "fleet/v1/+/+/info"} <= subscribed_topics(mqtt_mock)

    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert entry.state is ConfigEntryState.NOT_LOADED
    await settle(hass)
    assert our_leftovers(hass, mqtt_mock) == {
        "timers": [],
        "tasks": [],
        "subscriptions": [],
    }
    shared = {*prefix_subscriptions(""), *prefix_subscriptions("fleet/")}
    assert not shared & subscribed_topics(mqtt_mock)
    for future in pending:
        assert future.done()
        assert isinstance(future.exception(), FlexApiError)
    # Messages for the unloaded gateways reach nothing.
    sent = len(mqtt_mock.async_publish.call_args_list)
    fire(hass, BASE + "summary/info", {"obd.speed": 5})
    await advance(hass, freezer, 60)
    assert len(mqtt_mock.async_publish.call_args_list) == sent
    assert payloads(mqtt_mock, "v1/VG1/summary/refresh") == []


def test_leftover_finder_sees_our_callbacks() -> None:
    """The finder above must be able to fail: it recognises our code."""
    assert _is_ours(FlexApiRuntime.async_stop)
    assert _is_ours(functools.partial(FlexApiRuntime.handle_data, None))
    assert not _is_ours(json.dumps)
    ours: Callable[[], None] = FlexApiRuntime.async_stop.__get__(object())
    assert _is_ours(ours)


@pytest.mark.usefixtures("subscribe_settle")
async def test_an_unanswered_reconnect_refresh_is_only_logged(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A parked gateway does not answer: no error, the next upload will do."""
    set_broker(hass, False)
    set_broker(hass, True)
    await advance(hass, freezer, SETTLE)
    assert len(published(mqtt_mock, SUMMARY_REFRESH)) == 1
    await advance(hass, freezer, 15)
    assert "summary refresh after reconnect failed" in caplog.text
    assert not [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.flexapi")
        and record.levelname in ("WARNING", "ERROR")
    ]
    assert len(published(mqtt_mock, SUMMARY_REFRESH)) == 1


async def test_an_action_during_an_outage_raises_a_translated_error(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    runtime: FlexApiRuntime,
) -> None:
    """What a user sees: a clear, translated error; nothing is sent later."""
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    set_broker(hass, False)
    await settle(hass)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "refresh",
            {"device_id": device.id, "group": "gnss"},
            blocking=True,
        )
    assert err.value.translation_key == "mqtt_not_connected"
    set_broker(hass, True)
    await advance(hass, freezer, 30)
    assert BASE + "gnss/refresh" not in published_topics(mqtt_mock)
