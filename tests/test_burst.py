"""Bursts: 100 action calls and switch toggles within one second.

A scripted gateway answers every request the moment it is published. The
calls (digital-output toggles, refresh and get actions, set actions, Wi-Fi
mode changes and a few invalid calls) all start within one second of frozen
time; then time runs on until every call has its outcome. What reaches the
wire is recorded with the loop time of each publish:

- settings/refresh/get requests are at least 1 s apart, io control requests
  at least 5 s apart (§2.3, plus the integration's margin);
- every call completes, or fails with a translated error;
- nothing is dropped: every caller's outcome is accounted for, and callers
  merged into one request all got that request's answer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
import itertools
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import DOMAIN
from custom_components.flexapi.protocol.limits import (
    MIN_IO_CONTROL_SPACING,
    MIN_REQUEST_SPACING,
)
from custom_components.flexapi.runtime import FlexApiRuntime
from tests.compat import device_by_identifier

from .helpers import start

pytestmark = pytest.mark.usefixtures("collect_started_tasks", "no_initial_requests")

BASE = "v1/VG1/"
CALLS = 100
DO = "switch.vg1_digital_output_{}"
WIFI = ("select.vg1_2_4_ghz_wi_fi_mode", "select.vg1_5_ghz_wi_fi_mode")
#: Groups the gateway refuses to set: a gateway error for the caller.
REFUSED_GROUP = "motion"


@dataclass
class Gateway:
    """Answers every request as soon as it is published; records the wire."""

    hass: HomeAssistant
    #: (loop time, topic, payload) of every publish, in order.
    wire: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    #: The first io/control is answered ``device_busy`` (a retryable error).
    busy_sent: bool = False

    def install(self, mqtt_mock: MqttMockHAClient) -> None:
        """Wrap HA's (mocked) MQTT publish."""
        real = mqtt_mock.return_value.async_publish

        async def _publish(
            topic: str, payload: Any, qos: int, retain: bool, **kwargs: Any
        ) -> None:
            # kwargs: what newer releases pass on (message_expiry_interval, 2026.x)
            body = json.loads(payload)
            self.wire.append((self.hass.loop.time(), topic, body))
            await real(topic, payload, qos, retain, **kwargs)
            self.hass.loop.call_soon(self._answer, topic, body)

        mqtt_mock.async_publish.side_effect = _publish

    def _answer(self, topic: str, body: dict[str, Any]) -> None:
        body = dict(body)
        token = body.pop("client_token")
        serial = len(self.wire)
        response: dict[str, Any] = {"client_token": token}
        if topic.endswith("/refresh"):
            group = topic.removeprefix(BASE).removesuffix("/refresh")
            result: Any = {"request": serial}
            if group == "app":
                result |= {"app.wifi_mode_2g": 0, "app.wifi_mode_5g": 0}
            response["result"] = result
        elif topic == BASE + "group/get":
            response["result"] = []
        elif topic == BASE + "io/control" and not self.busy_sent:
            self.busy_sent = True  # retried by the integration, 5 s later
            response["error"] = "device_busy"
        elif topic == f"{BASE}{REFUSED_GROUP}/set":
            response["error"] = "not_support"
        elif topic == BASE + "userdata/set":
            response["result"] = {"updated": body["update"]}
        else:  # group settings, io/control and app/control: an echo
            response["result"] = body
        async_fire_mqtt_message(self.hass, topic + "/resp", json.dumps(response))

    def sent(self, accept: Callable[[str], bool]) -> list[tuple[float, str]]:
        """(time, topic) of the requests whose topic ``accept`` takes."""
        return [(at, topic) for at, topic, _ in self.wire if accept(topic)]


async def turns(count: int = 30) -> None:
    """Let ready callbacks run (calls still wait: no block_till_done)."""
    for _ in range(count):
        await asyncio.sleep(0)


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, s: float) -> None:
    """Let ``s`` seconds of frozen time pass."""
    freezer.tick(s)
    async_fire_time_changed_exact(hass)
    await turns()


def _burst(device_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """100 calls: (kind, domain.service, data), interleaved."""
    kinds: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        "switch": [
            (
                "switch",
                f"switch.turn_{'on' if n % 2 else 'off'}",
                {"entity_id": DO.format(n % 4 + 1)},
            )
            for n in range(30)
        ],
        "refresh": [
            (
                "refresh",
                f"{DOMAIN}.refresh",
                {"device_id": device_id, "group": group},
            )
            for group in itertools.islice(
                itertools.cycle(["gnss", "obd", "io", "app", "sysinfo"]), 20
            )
        ],
        "get": [
            ("get", f"{DOMAIN}.{service}", {"device_id": device_id})
            for service in itertools.islice(
                itertools.cycle(["get_custom_groups", "userdata_get"]), 10
            )
        ],
        "set": [
            (
                "set",
                f"{DOMAIN}.set_group_settings",
                {"device_id": device_id, "group": group, "interval": 30 + n},
            )
            for n, group in enumerate(["gnss", "obd", "io", REFUSED_GROUP] * 3)
        ]
        + [
            (
                "set",
                f"{DOMAIN}.userdata_update",
                {"device_id": device_id, "data": {f"userdata.k{n}": str(n)}},
            )
            for n in range(6)
        ],
        "select": [
            (
                "select",
                "select.select_option",
                {"entity_id": WIFI[n % 2], "option": ("ap", "sta")[n // 2 % 2]},
            )
            for n in range(14)
        ],
        "invalid": [
            (
                "invalid",
                f"{DOMAIN}.set_group_settings",
                {"device_id": device_id, "group": "gnss", "interval": 99_999},
            )
            for _ in range(8)
        ],
    }
    calls = [
        call
        for group in itertools.zip_longest(*kinds.values())
        for call in group
        if call is not None
    ]
    assert len(calls) == CALLS
    return calls


async def test_a_burst_of_100_calls_keeps_the_limits_and_loses_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    flexapi_entry: MockConfigEntry,
) -> None:
    """Every call is answered, none faster than §2.3 allows."""
    runtime: FlexApiRuntime = flexapi_entry.runtime_data
    gateway = Gateway(hass)
    gateway.install(mqtt_mock)
    # The gateway reported its outputs and Wi-Fi modes: the entities exist.
    async_fire_mqtt_message(
        hass, BASE + "io/info", json.dumps({f"io.DO{n}": 0 for n in range(1, 5)})
    )
    read = start(runtime.async_refresh("app"))
    await turns()
    assert read.done()
    await tick(hass, freezer, 10)
    for entity_id in (*WIFI, *(DO.format(n) for n in range(1, 5))):
        assert hass.states.get(entity_id) is not None, entity_id
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None
    gateway.wire.clear()

    calls = _burst(device.id)
    futures: list[tuple[str, asyncio.Future[Any]]] = []
    started_at = hass.loop.time()
    for kind, service, data in calls:
        domain, name = service.split(".")
        futures.append(
            (
                kind,
                start(
                    hass.services.async_call(
                        domain,
                        name,
                        data,
                        blocking=True,
                        return_response=kind in ("refresh", "get"),
                    )
                ),
            )
        )
        await tick(hass, freezer, 0.009)
    assert hass.loop.time() - started_at < 1.0  # all 100 within one second

    for _ in range(2000):  # run time on until every caller has its outcome
        if all(future.done() for _, future in futures):
            break
        await tick(hass, freezer, 0.1)
    await tick(hass, freezer, 30)  # and whatever follows (Wi-Fi read-back)

    # -- every call has an outcome: a result or a translated error ----------
    outcomes: Counter[str] = Counter()
    for kind, future in futures:
        assert future.done(), kind
        error = future.exception()
        if error is None:
            outcomes[f"{kind} ok"] += 1
            continue
        assert isinstance(error, HomeAssistantError), (kind, error)
        assert error.translation_domain == DOMAIN, (kind, error)
        assert error.translation_key, (kind, error)
        if kind == "invalid":
            assert isinstance(error, ServiceValidationError)
            assert error.translation_key == "invalid_interval"
        else:  # only the refused group fails, with the gateway's code
            assert kind == "set", (kind, error)
            assert error.translation_key == "gateway_not_support"
        outcomes[f"{kind} {error.translation_key}"] += 1
    assert sum(outcomes.values()) == CALLS
    assert outcomes == {
        "switch ok": 30,
        "refresh ok": 20,
        "get ok": 10,
        "set ok": 15,
        "set gateway_not_support": 3,
        "select ok": 14,
        "invalid invalid_interval": 8,
    }, outcomes

    # -- the wire keeps §2.3 ----------------------------------------------
    requests = gateway.sent(lambda topic: topic != BASE + "io/control")
    io = gateway.sent(lambda topic: topic == BASE + "io/control")
    for lane, spacing in (
        (requests, MIN_REQUEST_SPACING),
        (io, MIN_IO_CONTROL_SPACING),
    ):
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(lane)]
        assert all(gap >= spacing for gap in gaps), (min(gaps), lane)
    tokens = [body["client_token"] for _, _, body in gateway.wire]
    assert len(set(tokens)) == len(tokens)
    assert all(len(token.encode()) <= 256 for token in tokens)

    # -- nothing dropped: every caller is accounted for by a request -------
    by_topic = Counter(topic.removeprefix(BASE) for _, topic in requests)
    # Set actions never merge: one request each (3 + 3 + 3 + 3 + 6).
    assert sum(n for t, n in by_topic.items() if t.endswith("/set")) == 18
    assert by_topic[f"{REFUSED_GROUP}/set"] == 3
    # Refresh callers merged: each got the answer of a request that went out,
    # and every refresh request (but the Wi-Fi read-backs) served one.
    # (userdata_get is a refresh of the userdata group.)
    served: dict[int, int] = Counter()
    readers = 0
    for (kind, future), (_, service, data) in zip(futures, calls, strict=True):
        if kind == "refresh" or service.endswith("userdata_get"):
            readers += 1
            response = future.result()
            assert response.get("group", "userdata") == data.get("group", "userdata")
            served[response["data"]["request"]] += 1
    refresh_requests = {
        n + 1: topic
        for n, (_, topic, _) in enumerate(gateway.wire)
        if topic.endswith("/refresh")
    }
    assert readers == 25
    assert sum(served.values()) == readers
    assert set(served) <= set(refresh_requests)
    for serial in set(refresh_requests) - set(served):
        assert refresh_requests[serial] == BASE + "app/refresh"  # a read-back
    assert len(served) < readers  # some refreshes merged into one request
    # io: 30 toggles of 4 outputs in one second make few requests, each the
    # last wish per output; app: 14 mode changes likewise.
    # (the first answered device_busy, so it went again 5 s later).
    assert len(io) == 2
    first, retry = (body for _, topic, body in gateway.wire if topic == io[0][1])
    assert first["client_token"] != retry["client_token"]
    assert {k: v for k, v in first.items() if k != "client_token"} == {
        k: v for k, v in retry.items() if k != "client_token"
    }
    app = [body for _, topic, body in gateway.wire if topic == BASE + "app/control"]
    assert 1 <= len(app) < 14
    # What the outputs show is the last wish of each (confirmed by the echo).
    for n in range(1, 5):
        last = max(i for i in range(30) if i % 4 + 1 == n)
        state = hass.states.get(DO.format(n))
        assert state is not None
        assert state.state == ("on" if last % 2 else "off"), n
    print(
        f"\nburst: {CALLS} calls -> {len(requests)} requests"
        f" + {len(io)} io/control; outcomes {dict(outcomes)}"
    )
