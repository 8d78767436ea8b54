"""End to end: the simulator against a real Mosquitto broker."""

from __future__ import annotations

from collections.abc import Callable
import json
import queue
import time
from typing import Any

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
import pytest

from simulator import Simulator, SimulatorConfig

TIMEOUT_S = 15.0


def wait_for(
    inbox: queue.Queue[tuple[str, dict[str, Any]]],
    match: Callable[[str, dict[str, Any]], bool],
) -> tuple[str, dict[str, Any]]:
    """Return the first received message that ``match``es, or fail on timeout."""
    deadline = time.monotonic() + TIMEOUT_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            topic, payload = inbox.get(timeout=left)
        except queue.Empty:
            break
        if match(topic, payload):
            return topic, payload
    pytest.fail("expected message not received")


@pytest.mark.e2e
def test_summary_and_sysinfo_round_trip(mosquitto: int) -> None:
    config = SimulatorConfig(
        "127.0.0.1", mosquitto, "VG-e2e", prefix="fleet", time_scale=0.1, seed=1
    )
    base = "fleet/v1/VG-e2e/"
    inbox: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    subscribed = queue.Queue[int]()

    observer = Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="observer",
        protocol=MQTTProtocolVersion.MQTTv311,
    )

    def on_message(client: Client, userdata: Any, message: MQTTMessage) -> None:
        inbox.put((message.topic, json.loads(message.payload)))

    observer.on_message = on_message
    observer.on_subscribe = lambda client, userdata, mid, codes, props: subscribed.put(
        mid
    )
    observer.connect("127.0.0.1", mosquitto)
    observer.loop_start()
    simulator = Simulator(config)
    try:
        _, mid = observer.subscribe(base + "#", qos=1)
        assert subscribed.get(timeout=TIMEOUT_S) == mid
        simulator.start(timeout=TIMEOUT_S)
        assert simulator.connected

        _, summary = wait_for(inbox, lambda topic, _: topic == base + "summary/info")
        assert {"gnss.ts", "obd.ts", "io.ts", "motion.ts"} <= set(summary)

        observer.publish(
            base + "sysinfo/refresh", json.dumps({"client_token": "e2e"}), qos=1
        )
        _, response = wait_for(
            inbox, lambda topic, _: topic == base + "sysinfo/refresh/resp"
        )
        assert response["client_token"] == "e2e"
        assert response["result"]["sysinfo.model_name"] == "VG710"

        sent = simulator.publish_now("VG-e2e", "userdata")
        assert sent is not None
        wait_for(
            inbox,
            lambda topic, payload: topic == sent.topic and payload == sent.payload,
        )
    finally:
        simulator.stop()
        observer.loop_stop()
        observer.disconnect()
