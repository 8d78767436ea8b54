"""The MQTT client: correlation, errors, retries, timeouts, spacing, merging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import logging
from typing import Any
from unittest.mock import Mock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi import client as client_module
from custom_components.flexapi.client import FlexApiClient
from custom_components.flexapi.const import (
    REQUEST_QUEUE_TIMEOUT,
    REQUEST_RETRIES,
    REQUEST_TIMEOUT,
    SUBSCRIBE_DONE_TIMEOUT,
)
from custom_components.flexapi.helpers import home_assistant_error
from custom_components.flexapi.protocol import messages as msgs
from custom_components.flexapi.protocol.errors import (
    FlexApiError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiTimeoutError,
)
from custom_components.flexapi.protocol.topics import (
    MAX_TOPIC_GROUPS,
    Topics,
    prefix_subscriptions,
)

from .compat import MQTT_SUBSCRIBE_DONE
from .helpers import (
    IO_SPACING,
    REQUEST_SPACING,
    advance,
    answer,
    fake_subscribe_done,
    fire_json,
    last_payload,
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
#: Slack around a spacing boundary, far above float and clock resolution.
EPS = 0.01


@pytest.fixture
def on_data() -> Mock:
    """Receives ``(group, data)`` for info messages and refresh results."""
    return Mock()


@pytest.fixture
def on_event() -> Mock:
    """Receives parsed events."""
    return Mock()


@pytest.fixture
async def client(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    on_data: Mock,
    on_event: Mock,
) -> AsyncGenerator[FlexApiClient]:
    """A started client for ``VG1`` on a frozen clock; stopped at teardown.

    The clock freezes after MQTT is set up (importing MQTT under freezegun fails).
    """
    client = FlexApiClient(hass, Topics("VG1"), on_data=on_data, on_event=on_event)
    await client.async_start()
    await advance(hass, freezer, 1.0)  # HA's MQTT sends its debounced SUBSCRIBE
    yield client
    await stop(hass, freezer, client)


async def stop(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, client: FlexApiClient
) -> None:
    """Stop a client and let HA's debounced MQTT (un)subscribe go out."""
    client.async_stop()
    await advance(hass, freezer, 1.0)


def refresh(
    client: FlexApiClient, group: str, merge_key: str | None = None
) -> asyncio.Future[Any]:
    """Start a refresh request of ``group``; the future holds its outcome."""
    return start(
        client.async_request(
            client.topics.refresh(group),
            msgs.build_refresh(msgs.new_token()),
            merge_key=merge_key,
        )
    )


def io_control(
    client: FlexApiClient, values: dict[str, int], merge_key: str | None = "io_control"
) -> asyncio.Future[Any]:
    """Start an io/control request."""
    return start(
        client.async_request(
            client.topics.io_control,
            msgs.build_io_control(msgs.new_token(), values),
            lane="io",
            merge_key=merge_key,
        )
    )


# -- correlation ---------------------------------------------------------------


async def test_request_carries_token_and_gets_its_result(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, client: FlexApiClient, on_data
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    [call] = published(mqtt_mock, BASE + "gnss/refresh")
    topic, payload, qos, retain = call.args
    assert (qos, retain) == (1, False)
    body = json.loads(payload)
    assert list(body) == ["client_token"]
    token = body["client_token"]
    assert isinstance(token, str)
    assert len(token) >= 16
    assert not future.done()

    result = {"gnss.latitude": 40.232213, "gnss.fix": 3}
    respond(hass, topic, token, result)
    await settle(hass)
    assert future.result() == result
    on_data.assert_called_once_with("gnss", result)
    assert not client._pending


async def test_tokens_are_unique_and_responses_matched_by_token(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    first = refresh(client, "userdata")
    await settle(hass)
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    second = refresh(client, "userdata")
    await settle(hass)
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    tokens = [p["client_token"] for p in payloads(mqtt_mock, BASE + "userdata/refresh")]
    assert len(tokens) == len(set(tokens)) == 2

    # Answer out of order: each caller still gets its own result.
    respond(hass, BASE + "userdata/refresh", tokens[1], {"userdata.k": "two"})
    respond(hass, BASE + "userdata/refresh", tokens[0], {"userdata.k": "one"})
    await settle(hass)
    assert first.result() == {"userdata.k": "one"}
    assert second.result() == {"userdata.k": "two"}


async def test_unknown_token_and_wrong_topic_are_ignored(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    on_data: Mock,
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    token = payloads(mqtt_mock, BASE + "gnss/refresh")[0]["client_token"]

    respond(hass, BASE + "gnss/refresh", "not-our-token", {"gnss.latitude": 1.0})
    # Right token, but on another group's response topic.
    respond(hass, BASE + "obd/refresh", token, {"obd.rpm": 900})
    await settle(hass)
    assert not future.done()
    assert token in client._pending
    on_data.assert_not_called()

    respond(hass, BASE + "gnss/refresh", token, {"gnss.latitude": 2.0})
    await settle(hass)
    assert future.result() == {"gnss.latitude": 2.0}
    on_data.assert_called_once_with("gnss", {"gnss.latitude": 2.0})


ONE_WIRE = {
    "1-wire.ts": 1644560984,
    "1-wire.status": "Connected",
    "1-wire.type": "Temperature & ROM Code",
    "1-wire.temp_num": 2,
    "1-wire.temp1_data": 24.06,
    "1-wire.rom_code1": "cc00001b559ae001",
}


async def test_bare_response_matches_oldest_pending_on_its_topic(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    on_data: Mock,
) -> None:
    """§3.3.10: the 1-wire success response has no token and no wrapper."""
    gnss = refresh(client, "gnss")
    await settle(hass)
    first = refresh(client, "1-wire")
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    second = refresh(client, "1-wire")
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    assert len(published(mqtt_mock, BASE + "1-wire/refresh")) == 2

    respond(hass, BASE + "1-wire/refresh", None, ONE_WIRE)
    await settle(hass)
    assert first.result() == ONE_WIRE
    assert not second.done()
    assert not gnss.done()  # pending on another topic: untouched
    on_data.assert_called_once_with("1-wire", ONE_WIRE)

    later = {**ONE_WIRE, "1-wire.temp1_data": 25.5}
    respond(hass, BASE + "1-wire/refresh", None, later)
    await settle(hass)
    assert second.result() == later

    # Nothing pending on the topic any more: a bare response is dropped.
    on_data.reset_mock()
    respond(hass, BASE + "1-wire/refresh", None, ONE_WIRE)
    await settle(hass)
    on_data.assert_not_called()
    assert not gnss.done()


async def test_bare_error_response_fails_the_oldest_pending(
    hass: HomeAssistant, client: FlexApiClient
) -> None:
    future = refresh(client, "1-wire")
    await settle(hass)
    fire_json(hass, BASE + "1-wire/refresh/resp", {"error": "not_found"})
    await settle(hass)
    with pytest.raises(FlexApiResponseError) as err:
        future.result()
    assert err.value.code == "not_found"


# -- errors, busy retries, timeouts --------------------------------------------


@pytest.mark.parametrize(
    ("error", "desc", "code"),
    [
        ("invalid_parameter", "Invalid request parameter", "invalid_parameter"),
        ("not_found", None, "not_found"),
        ("invalid_token", "token expired", "invalid_token"),
        ("not_support", None, "not_support"),
        ("brand_new_code", None, "brand_new_code"),
    ],
)
async def test_error_response_raises_with_code(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    on_data: Mock,
    error: str | None,
    desc: str | None,
    code: str,
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    token = payloads(mqtt_mock, BASE + "gnss/refresh")[0]["client_token"]
    body: dict[str, Any] = {"client_token": token, "error": error}
    if desc is not None:
        body["error_desc"] = desc
    fire_json(hass, BASE + "gnss/refresh/resp", body)
    await settle(hass)
    with pytest.raises(FlexApiResponseError) as err:
        future.result()
    assert err.value.code == code
    assert err.value.description == (desc or "")
    on_data.assert_not_called()
    assert not client._pending


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("device_busy", "device_busy"),
        ("device_error", "device_error"),
        ("data_invalid", "data_invalid"),
        (None, "device_error"),  # an error without a code
    ],
)
async def test_retryable_errors_are_retried_with_new_tokens_then_raised(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    error: str | None,
    code: str,
) -> None:
    """§2.1.2: device_busy, device_error and data_invalid say "retry request"."""
    topic = BASE + "gnss/set"
    future = start(
        client.async_request(topic, msgs.build_group_settings("tok-1", interval=60))
    )
    await settle(hass)
    for attempt in range(1, REQUEST_RETRIES + 1):
        assert len(published(mqtt_mock, topic)) == attempt
        token = payloads(mqtt_mock, topic)[-1]["client_token"]
        fire_json(hass, topic + "/resp", {"client_token": token, "error": error})
        await settle(hass)
        assert not future.done()
        # The retry keeps the request spacing...
        await advance(hass, freezer, REQUEST_SPACING - EPS)
        assert len(published(mqtt_mock, topic)) == attempt
        await advance(hass, freezer, 2 * EPS)
    # ...and resends the same request, each time with a new token.
    sent = payloads(mqtt_mock, topic)
    assert len(sent) == REQUEST_RETRIES + 1
    assert [p["interval"] for p in sent] == [60] * len(sent)
    tokens = [p["client_token"] for p in sent]
    assert tokens[0] == "tok-1"
    assert len(set(tokens)) == len(tokens)

    last = {"client_token": tokens[-1], "error": error, "error_desc": "try again"}
    fire_json(hass, topic + "/resp", last)
    await settle(hass)
    with pytest.raises(FlexApiResponseError) as err:
        future.result()
    assert (err.value.code, err.value.description) == (code, "try again")
    assert not client._pending
    await advance(hass, freezer, 2 * REQUEST_SPACING)
    assert len(published(mqtt_mock, topic)) == REQUEST_RETRIES + 1


async def test_late_answer_to_a_retried_attempt_is_ignored(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    on_data: Mock,
) -> None:
    """An answer with the first attempt's token never resolves the retry."""
    topic = BASE + "gnss/refresh"
    future = refresh(client, "gnss")
    await settle(hass)
    first = answer(hass, mqtt_mock, topic, error="device_busy")["client_token"]
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    [_, retry] = payloads(mqtt_mock, topic)
    assert retry["client_token"] != first

    # The first attempt's success arrives after all, late: it matches nothing.
    respond(hass, topic, first, {"gnss.fix": 1})
    await settle(hass)
    assert not future.done()
    on_data.assert_not_called()

    respond(hass, topic, retry["client_token"], {"gnss.fix": 3})
    await settle(hass)
    assert future.result() == {"gnss.fix": 3}
    on_data.assert_called_once_with("gnss", {"gnss.fix": 3})


@pytest.mark.parametrize("error", ["invalid_parameter", "not_found", "data_empty"])
async def test_other_errors_are_not_retried(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    error: str,
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    answer(hass, mqtt_mock, BASE + "gnss/refresh", error=error)
    await advance(hass, freezer, 3 * REQUEST_SPACING)
    with pytest.raises(FlexApiResponseError, match=error):
        future.result()
    assert len(published(mqtt_mock, BASE + "gnss/refresh")) == 1


async def test_busy_retry_goes_before_waiting_requests(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    gnss = refresh(client, "gnss")
    obd = refresh(client, "obd")
    await settle(hass)
    answer(hass, mqtt_mock, BASE + "gnss/refresh", error="device_busy")
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    assert published_topics(mqtt_mock)[-2:] == [BASE + "gnss/refresh"] * 2
    answer(hass, mqtt_mock, BASE + "gnss/refresh", {"gnss.fix": 3})
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    assert published_topics(mqtt_mock)[-1] == BASE + "obd/refresh"
    answer(hass, mqtt_mock, BASE + "obd/refresh", {"obd.rpm": 800})
    await settle(hass)
    assert gnss.result() == {"gnss.fix": 3}
    assert obd.result() == {"obd.rpm": 800}


async def test_busy_io_control_is_retried_on_the_io_lane(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    topic = BASE + "io/control"
    future = io_control(client, {"io.DO1": 1})
    await settle(hass)
    answer(hass, mqtt_mock, topic, error="device_busy")
    await advance(hass, freezer, IO_SPACING - EPS)
    assert len(published(mqtt_mock, topic)) == 1
    await advance(hass, freezer, 2 * EPS)
    assert len(published(mqtt_mock, topic)) == 2
    answer(hass, mqtt_mock, topic, {"io.DO1": 1})
    await settle(hass)
    assert future.result() == {"io.DO1": 1}


async def test_timeout_starts_when_the_request_is_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    on_data: Mock,
) -> None:
    assert client.timeout == REQUEST_TIMEOUT
    first = refresh(client, "gnss")
    second = refresh(client, "obd")  # queued: sent one spacing later
    await settle(hass)
    await advance(hass, freezer, REQUEST_SPACING)
    assert len(published(mqtt_mock)) == 2

    await advance(hass, freezer, REQUEST_TIMEOUT - REQUEST_SPACING - EPS)
    assert not first.done()
    await advance(hass, freezer, 2 * EPS)
    with pytest.raises(FlexApiTimeoutError):
        first.result()
    assert not second.done()  # its clock started 1.1 s later

    await advance(hass, freezer, REQUEST_SPACING)
    with pytest.raises(FlexApiTimeoutError):
        second.result()
    assert not client._pending

    # A late answer finds nothing to match and ingests nothing.
    answer(hass, mqtt_mock, BASE + "gnss/refresh", {"gnss.fix": 3})
    await settle(hass)
    on_data.assert_not_called()


async def test_publish_failure_fails_the_request(
    hass: HomeAssistant, client: FlexApiClient
) -> None:
    with patch(
        "custom_components.flexapi.client.mqtt.async_publish",
        side_effect=HomeAssistantError("not connected"),
    ):
        future = refresh(client, "gnss")
        await settle(hass)
    with pytest.raises(FlexApiError, match="MQTT publish failed: not connected"):
        future.result()
    assert not client._pending
    # Paho keeps a QoS 1 publish it could not send: the user hears "unknown".
    error = user_error(future)
    assert error.translation_key == "outcome_unknown"


async def test_cancelled_caller_is_not_sent_and_late_answer_is_harmless(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    sent = refresh(client, "gnss")
    waiting = refresh(client, "obd")
    await settle(hass)
    sent.cancel()
    waiting.cancel()
    await settle(hass)
    await advance(hass, freezer, 2 * REQUEST_SPACING)
    assert published_topics(mqtt_mock) == [BASE + "gnss/refresh"]
    # The device still answers the request that was on the wire.
    answer(hass, mqtt_mock, BASE + "gnss/refresh", {"gnss.fix": 3})
    await settle(hass)
    assert not client._pending


# -- spacing -----------------------------------------------------------------


async def test_requests_are_spaced_one_second_apart(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    futures = [refresh(client, group) for group in ("gnss", "obd", "io")]
    await settle(hass)
    assert published_topics(mqtt_mock) == [BASE + "gnss/refresh"]
    assert len(client.lanes["request"]) == 2

    await advance(hass, freezer, 1.0)  # the spec's minimum: still too early
    assert len(published(mqtt_mock)) == 1
    await advance(hass, freezer, REQUEST_SPACING - 1.0 + EPS)
    assert published_topics(mqtt_mock) == [BASE + "gnss/refresh", BASE + "obd/refresh"]

    await advance(hass, freezer, REQUEST_SPACING - 2 * EPS)
    assert len(published(mqtt_mock)) == 2
    await advance(hass, freezer, 2 * EPS)
    assert published_topics(mqtt_mock)[-1] == BASE + "io/refresh"
    for group in ("gnss", "obd", "io"):
        answer(hass, mqtt_mock, BASE + f"{group}/refresh", {f"{group}.ts": 1})
    await settle(hass)
    assert [f.result() for f in futures] == [
        {"gnss.ts": 1},
        {"obd.ts": 1},
        {"io.ts": 1},
    ]


async def test_spacing_counts_from_the_last_request_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    refresh(client, "gnss")
    await settle(hass)
    await advance(hass, freezer, 0.5)
    refresh(client, "obd")  # the lane is idle, but only 0.5 s have passed
    await settle(hass)
    assert len(published(mqtt_mock)) == 1
    await advance(hass, freezer, REQUEST_SPACING - 0.5 + EPS)
    assert len(published(mqtt_mock)) == 2
    await advance(hass, freezer, 3 * REQUEST_SPACING)
    refresh(client, "io")  # long idle: sent at once
    await settle(hass)
    assert len(published(mqtt_mock)) == 3


async def test_io_control_is_spaced_five_seconds_on_its_own_lane(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    io_control(client, {"io.DO1": 1}, merge_key=None)
    io_control(client, {"io.DO2": 1}, merge_key=None)
    refresh(client, "gnss")  # the request lane does not wait for io
    await settle(hass)
    assert published_topics(mqtt_mock) == [BASE + "io/control", BASE + "gnss/refresh"]
    await advance(hass, freezer, 5.0)
    assert len(published(mqtt_mock, BASE + "io/control")) == 1
    await advance(hass, freezer, IO_SPACING - 5.0 + EPS)
    assert [p.get("io.DO2") for p in payloads(mqtt_mock, BASE + "io/control")] == [
        None,
        1,
    ]


async def test_burst_of_requests_is_neither_dropped_nor_reordered(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    groups = ["gnss", "obd", "io", "motion", "cellular1", "summary", "userdata"]
    futures = [refresh(client, group) for group in groups]
    await settle(hass)
    for index, group in enumerate(groups):
        assert published_topics(mqtt_mock) == [
            BASE + f"{g}/refresh" for g in groups[: index + 1]
        ]
        answer(hass, mqtt_mock, BASE + f"{group}/refresh", {f"{group}.ts": index})
        await advance(hass, freezer, REQUEST_SPACING + EPS)
    assert [f.result() for f in futures] == [
        {f"{group}.ts": index} for index, group in enumerate(groups)
    ]


# -- queue deadlines and bounds -------------------------------------------------


def user_error(future: asyncio.Future[Any]) -> HomeAssistantError:
    """What a user is told of a failed request (the integration's one mapping)."""
    error = future.exception()
    assert isinstance(error, FlexApiError), error
    return home_assistant_error(error)


async def test_a_request_waiting_past_its_deadline_fails_and_is_never_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The deadline runs from the call, not from the send."""
    lane = client.lanes["request"]
    lane.hold(REQUEST_QUEUE_TIMEOUT + 30)  # the lane cannot send for now
    waiting = refresh(client, "gnss")
    await settle(hass)
    await advance(hass, freezer, REQUEST_QUEUE_TIMEOUT - EPS)
    assert not waiting.done()
    await advance(hass, freezer, 2 * EPS)
    assert waiting.done()
    error = user_error(waiting)
    assert error.translation_key == "request_not_sent"
    assert error.translation_placeholders == {"seconds": f"{REQUEST_QUEUE_TIMEOUT:g}"}

    lane.release()
    await advance(hass, freezer, 10 * REQUEST_SPACING)
    assert not published(mqtt_mock)  # the user was told: never sent later
    assert len(lane) == 0


async def test_a_merged_request_carries_only_the_wishes_of_callers_still_waiting(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    topic = BASE + "io/control"
    lane = client.lanes["io"]
    lane.hold(REQUEST_QUEUE_TIMEOUT + 30)
    early = io_control(client, {"io.DO1": 1})
    await settle(hass)
    await advance(hass, freezer, 20)
    late = io_control(client, {"io.DO2": 1})  # merged into the waiting one
    await settle(hass)
    await advance(hass, freezer, REQUEST_QUEUE_TIMEOUT - 20 + EPS)
    assert user_error(early).translation_key == "request_not_sent"
    assert not late.done()

    lane.release()
    await advance(hass, freezer, EPS)
    # DO1's caller was told it was not sent: only DO2 goes out.
    sent = payloads(mqtt_mock, topic)
    assert len(sent) == 1
    assert {k: v for k, v in sent[0].items() if k != "client_token"} == {"io.DO2": 1}
    answer(hass, mqtt_mock, topic, {"io.DO2": 1})
    await settle(hass)
    assert late.result() == {"io.DO2": 1}


async def test_a_merged_request_whose_callers_all_gave_up_is_never_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    lane = client.lanes["request"]
    lane.hold(REQUEST_QUEUE_TIMEOUT + 30)
    first = refresh(client, "gnss", merge_key="refresh:gnss")
    await settle(hass)
    await advance(hass, freezer, 5)
    second = refresh(client, "gnss", merge_key="refresh:gnss")
    await settle(hass)
    await advance(hass, freezer, REQUEST_QUEUE_TIMEOUT)
    assert user_error(first).translation_key == "request_not_sent"
    assert user_error(second).translation_key == "request_not_sent"
    lane.release()
    await advance(hass, freezer, 10 * REQUEST_SPACING)
    assert not published(mqtt_mock)


@pytest.mark.parametrize(
    ("lane_name", "spacing", "limit"),
    [("request", REQUEST_SPACING, 32), ("io", IO_SPACING, 11)],
)
async def test_a_full_lane_refuses_at_once_and_drops_nothing_it_took(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    lane_name: str,
    spacing: float,
    limit: int,
) -> None:
    """A lane holds what it can send before the deadline at its pace."""
    lane = client.lanes[lane_name]
    assert limit * spacing < REQUEST_QUEUE_TIMEOUT  # all of them can go out

    def make() -> asyncio.Future[Any]:
        if lane_name == "io":
            return io_control(client, {"io.DO1": 1}, merge_key=None)
        return refresh(client, "gnss")

    taken = [make()]  # on the wire at once
    await settle(hass)
    taken += [make() for _ in range(limit)]
    await settle(hass)
    assert len(lane) == limit
    refused = make()
    await settle(hass)
    assert refused.done()  # at once, not after a deadline
    error = user_error(refused)
    assert error.translation_key == "request_queue_full"
    assert error.translation_placeholders == {"limit": str(limit)}

    topic = BASE + ("io/control" if lane_name == "io" else "gnss/refresh")
    for n in range(limit + 1):
        assert len(published(mqtt_mock, topic)) == n + 1
        answer(hass, mqtt_mock, topic, {"n": n})
        await advance(hass, freezer, spacing + EPS)
    assert all(future.result() is not None for future in taken)
    assert len(published(mqtt_mock, topic)) == limit + 1  # not the refused one


def test_subscribe_done_hook_exists_from_2025_12() -> None:
    """The client finds the hook exactly on the releases that have it."""
    assert hasattr(mqtt, "async_on_subscribe_done") is MQTT_SUBSCRIBE_DONE


@pytest.mark.skipif(
    MQTT_SUBSCRIBE_DONE, reason="HA 2025.12+: the client waits for the SUBACK"
)
async def test_subscribe_settle_holds_first_requests(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Requests wait until HA's debounced SUBSCRIBE reached the broker."""
    client = FlexApiClient(hass, Topics("VG2"))
    with patch("custom_components.flexapi.const.SUBSCRIBE_SETTLE", 1.5):
        await client.async_start()
    refresh(client, "gnss")
    io_control(client, {"io.DO1": 0})
    await settle(hass)
    await advance(hass, freezer, 1.5 - EPS)
    assert not published(mqtt_mock)
    await advance(hass, freezer, 2 * EPS)
    # Both lanes end their hold at the same instant; they are independent,
    # so the order of the two publishes is not defined.
    assert sorted(published_topics(mqtt_mock)) == [
        "v1/VG2/gnss/refresh",
        "v1/VG2/io/control",
    ]
    await stop(hass, freezer, client)


async def subscribe_round(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let HA's debounced SUBSCRIBEs go out and their (mocked) SUBACKs come back.

    HA sends one SUBSCRIBE per wildcard filter and awaits each SUBACK: that
    takes loop turns, not time.
    """
    await advance(hass, freezer, 1.0)
    for _ in range(500):
        await asyncio.sleep(0)


@pytest.mark.skipif(
    not MQTT_SUBSCRIBE_DONE, reason="mqtt.async_on_subscribe_done is HA 2025.12+"
)
async def test_start_returns_when_the_subscriptions_are_live(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """HA 2025.12+: no fixed settle; the start waits for the broker's SUBACK."""
    await subscribe_round(hass, freezer)  # MQTT discovery's own SUBSCRIBEs first
    client = FlexApiClient(hass, Topics("VG2"))
    with patch("custom_components.flexapi.const.SUBSCRIBE_SETTLE", 1.5):
        starting = start(client.async_start())
        await settle(hass)
        assert not starting.done()  # HA's MQTT debounces the SUBSCRIBE
        await subscribe_round(hass, freezer)
        assert starting.done()
        assert starting.result() is None
    assert set(client.topics.subscriptions) <= subscribed_topics(mqtt_mock)
    refresh(client, "gnss")
    io_control(client, {"io.DO1": 0})
    await settle(hass)
    # Both lanes end their hold at the same instant; they are independent,
    # so the order of the two publishes is not defined.
    assert sorted(published_topics(mqtt_mock)) == [
        "v1/VG2/gnss/refresh",
        "v1/VG2/io/control",
    ]
    await stop(hass, freezer, client)


async def test_acknowledged_subscriptions_send_at_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """With the hook, requests after the SUBACK wait for no settle time."""
    client = FlexApiClient(hass, Topics("VG2"))
    stops: list[Mock] = []
    with (
        patch("custom_components.flexapi.const.SUBSCRIBE_SETTLE", 1.5),
        patch.object(
            mqtt,
            "async_on_subscribe_done",
            fake_subscribe_done(True, stops),
            create=True,
        ),
    ):
        await client.async_start()
    assert len(stops) == len(set(client.topics.subscriptions))
    assert all(stop.call_count == 1 for stop in stops)
    refresh(client, "gnss")
    await settle(hass)
    assert published_topics(mqtt_mock) == ["v1/VG2/gnss/refresh"]
    await stop(hass, freezer, client)


async def test_unacknowledged_subscriptions_delay_the_start_boundedly(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A SUBACK that never comes holds the start for SUBSCRIBE_DONE_TIMEOUT only."""
    client = FlexApiClient(hass, Topics("VG2"))
    stops: list[Mock] = []
    with (
        patch("custom_components.flexapi.const.SUBSCRIBE_SETTLE", 1.5),
        patch.object(
            mqtt,
            "async_on_subscribe_done",
            fake_subscribe_done(False, stops),
            create=True,
        ),
    ):
        starting = start(client.async_start())
        await settle(hass)
        await advance(hass, freezer, SUBSCRIBE_DONE_TIMEOUT - EPS)
        assert not starting.done()
        await advance(hass, freezer, 2 * EPS)
        assert starting.done()
        assert starting.result() is None
    assert all(stop.call_count == 1 for stop in stops)
    refresh(client, "gnss")
    await settle(hass)
    assert published_topics(mqtt_mock) == ["v1/VG2/gnss/refresh"]
    await stop(hass, freezer, client)


# -- merging -------------------------------------------------------------------


async def test_waiting_io_controls_merge_into_one_payload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    topic = BASE + "io/control"
    in_flight = io_control(client, {"io.DO3": 1})
    await settle(hass)
    do1 = io_control(client, {"io.DO1": 1})
    do2 = io_control(client, {"io.DO2": 0, "io.DO1_pullup": 1})
    await settle(hass)
    assert len(client.lanes["io"]) == 1
    answer(hass, mqtt_mock, topic, {"io.DO3": 1})
    await advance(hass, freezer, IO_SPACING + EPS)

    sent = payloads(mqtt_mock, topic)
    assert len(sent) == 2
    merged = sent[1]
    assert merged.pop("client_token")
    assert merged == {"io.DO1": 1, "io.DO2": 0, "io.DO1_pullup": 1}
    answer(hass, mqtt_mock, topic, {"io.DO1": 1, "io.DO2": 0})
    await settle(hass)
    assert in_flight.result() == {"io.DO3": 1}
    assert do1.result() == do2.result() == {"io.DO1": 1, "io.DO2": 0}
    await advance(hass, freezer, 2 * IO_SPACING)
    assert len(published(mqtt_mock, topic)) == 2


async def test_later_value_wins_when_merging(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    io_control(client, {"io.DO4": 1})
    await settle(hass)
    first = io_control(client, {"io.DO1": 1})
    await settle(hass)
    token = client.lanes["io"]._queue[0].token
    io_control(client, {"io.DO1": 0})
    await advance(hass, freezer, IO_SPACING + EPS)
    assert payloads(mqtt_mock, BASE + "io/control")[1] == {
        "client_token": token,  # the first waiting request's token is kept
        "io.DO1": 0,
    }
    assert not first.done()


async def test_waiting_refreshes_of_one_group_share_a_request(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    topic = BASE + "gnss/refresh"
    first = refresh(client, "gnss", "refresh:gnss")
    await settle(hass)
    # The first is on the wire: these wait, and share one request.
    second = refresh(client, "gnss", "refresh:gnss")
    third = refresh(client, "gnss", "refresh:gnss")
    other = refresh(client, "obd", "refresh:obd")
    await settle(hass)
    assert len(client.lanes["request"]) == 2
    answer(hass, mqtt_mock, topic, {"gnss.fix": 2})
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    answer(hass, mqtt_mock, topic, {"gnss.fix": 3})
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    answer(hass, mqtt_mock, BASE + "obd/refresh", {"obd.rpm": 1})
    await settle(hass)
    assert len(published(mqtt_mock, topic)) == 2
    assert first.result() == {"gnss.fix": 2}
    assert second.result() == third.result() == {"gnss.fix": 3}
    assert other.result() == {"obd.rpm": 1}


async def test_no_merge_into_a_cancelled_waiting_request(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A request merged into a dead one would be silently dropped."""
    topic = BASE + "io/control"
    io_control(client, {"io.DO3": 1})
    await settle(hass)
    abandoned = io_control(client, {"io.DO1": 1})
    await settle(hass)
    abandoned.cancel()
    await settle(hass)
    wanted = io_control(client, {"io.DO2": 1})
    await advance(hass, freezer, IO_SPACING + EPS)
    sent = payloads(mqtt_mock, topic)
    assert len(sent) == 2
    assert "io.DO2" in sent[1]
    answer(hass, mqtt_mock, topic, {"io.DO2": 1})
    await settle(hass)
    assert wanted.result() == {"io.DO2": 1}


async def test_cancelling_one_merged_caller_spares_the_other(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    io_control(client, {"io.DO3": 1})
    await settle(hass)
    kept = io_control(client, {"io.DO1": 1})
    given_up = io_control(client, {"io.DO2": 1})
    await settle(hass)
    given_up.cancel()
    await advance(hass, freezer, IO_SPACING + EPS)
    assert len(published(mqtt_mock, BASE + "io/control")) == 2
    answer(hass, mqtt_mock, BASE + "io/control", {"io.DO1": 1})
    await settle(hass)
    assert kept.result() == {"io.DO1": 1}


# -- incoming messages ---------------------------------------------------------


async def test_info_and_events_reach_the_callbacks(
    hass: HomeAssistant, client: FlexApiClient, on_data: Mock, on_event: Mock
) -> None:
    # (summary/info would also start MQTT discovery of a new gateway.)
    summary = {"gnss.latitude": 40.2, "io.D01": 0}
    fire_json(hass, BASE + "motion/info", summary)
    fire_json(hass, BASE + "group1/info", {"lat": 40.2})
    event = {
        "starts_at": 1700000000,
        "status": "raise",
        "type": "DI_CHG",
        "level": 1,
        "io.DI1": 1,
    }
    fire_json(hass, BASE + "event/notice", event)
    fire_json(
        hass,
        BASE + "event/notice",
        {"topic": BASE + "event/notice", "payload": {**event, "status": "clear"}},
    )
    await settle(hass)
    assert on_data.call_args_list[0].args == ("motion", summary)
    assert on_data.call_args_list[1].args == ("group1", {"lat": 40.2})
    raised, cleared = (call.args[0] for call in on_event.call_args_list)
    assert (raised.type, raised.status, raised.level_name) == (
        "DI_CHG",
        "raise",
        "notice",
    )
    assert raised.data == {"io.DI1": 1}
    assert cleared.status == "clear"


MALFORMED = [
    b"not json",
    b"[1, 2, 3]",
    b"\xff\xfe\x00garbage",
    b"",
    b'"a string"',
    b"null",
    b"42",
    b'{"unterminated": ',
]


@pytest.mark.parametrize("payload", MALFORMED)
@pytest.mark.parametrize("suffix", ["gnss/info", "gnss/refresh/resp", "event/notice"])
async def test_malformed_payloads_are_dropped(
    hass: HomeAssistant,
    client: FlexApiClient,
    on_data: Mock,
    on_event: Mock,
    caplog: pytest.LogCaptureFixture,
    suffix: str,
    payload: bytes,
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    async_fire_mqtt_message(hass, BASE + suffix, payload)
    await settle(hass)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    on_data.assert_not_called()
    on_event.assert_not_called()
    assert not future.done()
    assert len(client._pending) == 1


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("gnss/refresh/resp", {"client_token": 12, "result": {"gnss.fix": 3}}),
        ("gnss/refresh/resp", {"client_token": ["x"], "error": "not_found"}),
        ("event/notice", {"status": "raise", "level": 1}),
        ("event/notice", {"type": "DI_CHG", "level": 1}),
        ("event/notice", {"type": "DI_CHG", "status": "maybe"}),
        ("event/notice", {"type": "", "status": "raise"}),
        ("event/notice", {"topic": "x", "payload": "not an object"}),
        ("gnss/bogus/resp", {"client_token": "x", "result": {}}),
        ("gnss/info/resp", {"client_token": "x", "result": {}}),
    ],
)
async def test_malformed_objects_are_dropped(
    hass: HomeAssistant,
    client: FlexApiClient,
    on_data: Mock,
    on_event: Mock,
    caplog: pytest.LogCaptureFixture,
    suffix: str,
    body: dict[str, Any],
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    fire_json(hass, BASE + suffix, body)
    await settle(hass)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    on_data.assert_not_called()
    on_event.assert_not_called()
    assert not future.done()


async def test_client_without_callbacks_still_answers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """The config flow's probe has no data or event callback."""
    client = FlexApiClient(hass, Topics("VG1"))
    await client.async_start()
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    fire_json(hass, BASE + "event/notice", {"type": "DI_CHG", "status": "raise"})
    future = refresh(client, "sysinfo")
    await settle(hass)
    answer(hass, mqtt_mock, BASE + "sysinfo/refresh", {"sysinfo.model_name": "VG710"})
    await settle(hass)
    assert future.result() == {"sysinfo.model_name": "VG710"}
    await stop(hass, freezer, client)


async def test_non_object_refresh_result_is_returned_not_ingested(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    on_data: Mock,
) -> None:
    future = start(
        client.async_request(client.topics.group_get, msgs.build_group_get("t"))
    )
    await settle(hass)
    groups = [{"group_name": "group1", "interval": 60, "interest": {"io.DI1": "d"}}]
    answer(hass, mqtt_mock, BASE + "group/get", groups)
    await settle(hass)
    assert future.result() == groups
    on_data.assert_not_called()

    future = refresh(client, "gnss")
    await advance(hass, freezer, REQUEST_SPACING)
    answer(hass, mqtt_mock, BASE + "gnss/refresh", ["not", "a", "dict"])
    await settle(hass)
    assert future.result() == ["not", "a", "dict"]
    on_data.assert_not_called()


async def test_prefixed_topics(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    on_data = Mock()
    client = FlexApiClient(hass, Topics("VG7", "fleet/site1"), on_data=on_data)
    await client.async_start()
    assert {
        "fleet/site1/v1/+/+/info",
        "fleet/site1/v1/+/+/+/resp",
        "fleet/site1/v1/+/event/notice",
    } <= subscribed_topics(mqtt_mock)
    future = refresh(client, "io")
    await settle(hass)
    answer(hass, mqtt_mock, "fleet/site1/v1/VG7/io/refresh", {"io.DI1": 1})
    fire_json(hass, "v1/VG7/gnss/info", {"gnss.fix": 0})  # unprefixed: not ours
    await settle(hass)
    assert future.result() == {"io.DI1": 1}
    on_data.assert_called_once_with("io", {"io.DI1": 1})
    await stop(hass, freezer, client)


# -- stop ----------------------------------------------------------------------


async def test_stop_fails_everything_and_unsubscribes(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    on_data: Mock,
) -> None:
    ours = {"v1/+/+/info", "v1/+/+/+/resp", "v1/+/event/notice"}
    assert ours <= subscribed_topics(mqtt_mock)
    obd = refresh(client, "obd")  # on the wire
    io_in_flight = io_control(client, {"io.DO1": 1})  # on the wire
    await settle(hass)
    io_waiting = io_control(client, {"io.DO2": 1})
    sysinfo = refresh(client, "sysinfo")
    await advance(hass, freezer, REQUEST_SPACING)  # sysinfo on the wire
    gnss = refresh(client, "gnss")  # waiting
    app = refresh(client, "app")  # waiting
    await settle(hass)
    assert (len(client.lanes["request"]), len(client._pending)) == (2, 3)
    sysinfo.cancel()  # callers that gave up, one sent, one waiting
    app.cancel()
    await settle(hass)

    client.async_stop()
    await settle(hass)  # no time passes: no timeout is involved
    for future in (obd, io_in_flight, io_waiting, gnss):
        with pytest.raises(FlexApiStoppedError, match="unloading"):
            future.result()
    assert not ours & subscribed_topics(mqtt_mock)
    assert not client._pending

    count = len(published(mqtt_mock))
    fire_json(hass, BASE + "gnss/info", {"gnss.fix": 3})
    await advance(hass, freezer, REQUEST_TIMEOUT + IO_SPACING)
    on_data.assert_not_called()
    assert len(published(mqtt_mock)) == count
    client.async_stop()  # idempotent


async def test_a_stopped_client_fails_new_requests_and_publishes_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    client.async_stop()
    with pytest.raises(FlexApiStoppedError):
        await client.async_request(
            client.topics.refresh("gnss"), msgs.build_refresh(msgs.new_token())
        )
    # The lanes too refuse a job at once (a retry re-submits one this way).
    job_future = hass.loop.create_future()
    job = client_module._Job(BASE + "obd/refresh", {"client_token": "t"}, None, [])
    job.futures.append(job_future)
    for lane in client.lanes.values():
        assert lane.submit(job) is job_future
        assert isinstance(job_future.exception(), FlexApiStoppedError)
        assert lane._task is None
    await advance(hass, freezer, 30)
    assert not published(mqtt_mock)


async def test_a_stop_during_a_busy_retry_sends_no_retry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    future = refresh(client, "gnss")
    await settle(hass)
    answer(hass, mqtt_mock, BASE + "gnss/refresh", error="device_busy")
    await settle(hass)
    client.async_stop()  # the retry waits for its spacing
    await settle(hass)
    with pytest.raises(FlexApiStoppedError):
        future.result()
    await advance(hass, freezer, 30)
    assert len(published(mqtt_mock)) == 1


# -- a failing send ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RuntimeError("boom"), "sending failed: RuntimeError"),
        (TypeError("not serializable"), "sending failed: TypeError"),
        (HomeAssistantError("not connected"), "MQTT publish failed: not connected"),
    ],
)
async def test_a_failing_send_fails_one_request_and_the_lane_keeps_going(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    client: FlexApiClient,
    freezer: FrozenDateTimeFactory,
    error: Exception,
    message: str,
) -> None:
    """A send that raises, even no HomeAssistantError, fails only its request.

    The publish fails before it ever suspends, as it does at once when MQTT
    is down: the requests queued behind it must still go out.
    """
    real_publish = client_module.mqtt.async_publish
    calls = 0

    async def publish(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        await real_publish(*args, **kwargs)

    with patch.object(client_module.mqtt, "async_publish", publish):
        broken = refresh(client, "gnss")
        waiting = refresh(client, "obd")
        await settle(hass)
        # At once, not after the response timeout.
        with pytest.raises(FlexApiError, match=message):
            broken.result()
        assert not client._pending
        await advance(hass, freezer, REQUEST_SPACING + EPS)
        assert published_topics(mqtt_mock) == [BASE + "obd/refresh"]
        answer(hass, mqtt_mock, BASE + "obd/refresh", {"obd.rpm": 800})
        await settle(hass)
        assert waiting.result() == {"obd.rpm": 800}
        later = refresh(client, "io")
        await advance(hass, freezer, REQUEST_SPACING + EPS)
        answer(hass, mqtt_mock, BASE + "io/refresh", {"io.DI1": 1})
        await settle(hass)
        assert later.result() == {"io.DI1": 1}


async def test_a_lane_survives_any_send_that_raises(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The lane itself fails a job whose send raised, and goes on."""
    sent: list[str] = []

    async def send(job: Any) -> None:
        if job.topic == "bad":
            raise ValueError("bug")
        sent.append(job.topic)
        job.resolve(result="ok")

    lane = client_module.RequestLane(hass, "test", REQUEST_SPACING, send)
    futures = [
        lane.submit(
            client_module._Job(
                topic, {"client_token": topic}, None, [hass.loop.create_future()]
            )
        )
        for topic in ("bad", "good")
    ]
    await advance(hass, freezer, REQUEST_SPACING + EPS)
    with pytest.raises(FlexApiError, match="sending failed: ValueError"):
        futures[0].result()
    assert futures[1].result() == "ok"
    assert sent == ["good"]


# -- bounded tables -------------------------------------------------------------


async def test_uploads_on_many_topics_keep_the_repeat_table_bounded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    repeats = Mock()
    on_data = Mock()
    client = FlexApiClient(hass, Topics("VG1"), on_data=on_data, on_repeat=repeats)
    await client.async_start()
    for index in range(5 * MAX_TOPIC_GROUPS):
        fire_json(hass, BASE + f"app{index}/info", {"userdata.x": "1"})
    await settle(hass)
    assert on_data.call_count == 5 * MAX_TOPIC_GROUPS
    assert len(client._last_info) == MAX_TOPIC_GROUPS
    # The newest topics are still recognised as repeats.
    fire_json(hass, BASE + f"app{5 * MAX_TOPIC_GROUPS - 1}/info", {"userdata.x": "1"})
    await settle(hass)
    repeats.assert_called_once_with(f"app{5 * MAX_TOPIC_GROUPS - 1}")
    await stop(hass, freezer, client)


# -- shared subscriptions --------------------------------------------------------


def flexapi_filters(mqtt_mock: MqttMockHAClient) -> list[str]:
    """The topic filters of the integration's subscriptions, with repeats."""
    return sorted(
        subscription.topic
        for subscription in mqtt_mock.return_value.subscriptions
        if "v1/" in subscription.topic
        and "cellular1" not in subscription.topic
        and "userdata" not in subscription.topic
    )


async def test_devices_of_a_prefix_share_their_subscriptions(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A fleet costs three filters per prefix, not per device; each gets its own.

    HA's MQTT client tries every wildcard filter on a message it has not
    cached, so filters per device made each message cost more as the fleet
    grew. The last device of a prefix to stop removes the prefix's filters.
    """
    received: dict[str, Mock] = {}
    clients = []
    for client_id, prefix in (
        ("VG1", ""),
        ("VG2", ""),
        ("VG3", ""),
        ("VG9", "fleet/"),
    ):
        received[client_id] = Mock()
        clients.append(
            FlexApiClient(hass, Topics(client_id, prefix), on_data=received[client_id])
        )
    for client in clients:
        await client.async_start()
    await advance(hass, freezer, 1.0)
    shared = [*prefix_subscriptions(""), *prefix_subscriptions("fleet/")]
    assert flexapi_filters(mqtt_mock) == sorted(shared)

    fire_json(hass, "v1/VG2/gnss/info", {"gnss.fix": 1})
    fire_json(hass, "fleet/v1/VG9/obd/info", {"obd.speed": 3})
    fire_json(hass, "v1/VG9/obd/info", {"obd.speed": 4})  # no such device here
    fire_json(hass, "v1/VG4/obd/info", {"obd.speed": 5})  # not set up
    await settle(hass)
    received["VG2"].assert_called_once_with("gnss", {"gnss.fix": 1})
    received["VG9"].assert_called_once_with("obd", {"obd.speed": 3})
    received["VG1"].assert_not_called()
    received["VG3"].assert_not_called()

    # A response goes to its own device's pending request only.
    vg1, vg2, vg3, _ = clients
    first, second = refresh(vg1, "io"), refresh(vg2, "io")
    await settle(hass)
    token = last_payload(mqtt_mock, "v1/VG1/io/refresh")["client_token"]
    respond(hass, "v1/VG2/io/refresh", token, {"io.DI1": 0})  # VG1's token
    respond(hass, "v1/VG1/io/refresh", token, {"io.DI1": 1})
    await settle(hass)
    assert first.result() == {"io.DI1": 1}
    assert not second.done()

    await stop(hass, freezer, vg1)
    await stop(hass, freezer, vg2)
    assert isinstance(second.exception(), FlexApiStoppedError)
    assert flexapi_filters(mqtt_mock) == sorted(shared)  # VG3 still needs them
    fire_json(hass, "v1/VG3/gnss/info", {"gnss.fix": 2})
    await settle(hass)
    received["VG3"].assert_called_once_with("gnss", {"gnss.fix": 2})

    await stop(hass, freezer, vg3)
    assert flexapi_filters(mqtt_mock) == sorted(prefix_subscriptions("fleet/"))
    await stop(hass, freezer, clients[3])
    assert flexapi_filters(mqtt_mock) == []
    assert not hass.data[client_module.DATA_SHARED]

    # A device starting again subscribes again.
    on_data = Mock()
    again = FlexApiClient(hass, Topics("VG1"), on_data=on_data)
    await again.async_start()
    fire_json(hass, "v1/VG1/gnss/info", {"gnss.fix": 3})
    await settle(hass)
    on_data.assert_called_once_with("gnss", {"gnss.fix": 3})
    await stop(hass, freezer, again)


async def test_a_client_stopped_before_it_started_detaches_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Stopping a client that never started (a failed setup) is harmless."""
    on_data = Mock()
    running = FlexApiClient(hass, Topics("VG1"), on_data=on_data)
    await running.async_start()
    FlexApiClient(hass, Topics("VG1")).async_stop()
    fire_json(hass, "v1/VG1/gnss/info", {"gnss.fix": 1})
    await settle(hass)
    on_data.assert_called_once_with("gnss", {"gnss.fix": 1})
    await stop(hass, freezer, running)
