"""Paho MQTT wiring: one connection carries a whole fleet of simulated devices."""

from __future__ import annotations

from dataclasses import dataclass
import json
import logging
import threading
import time
from types import TracebackType
from typing import Any, Final, Self

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .device import Device, normalize_prefix, validate_client_id
from .protocol import Message

_LOGGER = logging.getLogger(__name__)

TICK_S: Final = 0.05
"""How often the scheduler looks for due uploads and events."""
FILTERS_PER_SUBSCRIBE: Final = 100


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How to reach the broker and what fleet to simulate."""

    host: str
    port: int
    client_id: str
    prefix: str = ""
    count: int = 1
    digit_zero_do: bool = False
    include_invalid: bool = False
    seed: int | None = None
    time_scale: float = 1.0
    username: str | None = None
    password: str | None = None
    qos: int = 1
    rate_limit: bool = True
    #: False: no OBD adapter (no obd data).
    obd: bool = True
    #: False: no ignition wiring (no ``io.igt_status``).
    ignition: bool = True
    keepalive: int = 60
    #: Longest pause between reconnection attempts (paho doubles from 1 s).
    max_reconnect_delay: int = 30
    #: Seconds over which the devices' first uploads after each (re)connect are
    #: spread evenly (device k of N starts k/N of it late). 0: all at once,
    #: so every device uploads in the same instant, on every interval.
    stagger: float = 0.0

    def __post_init__(self) -> None:
        """Reject settings no device could run with."""
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid port {self.port}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.stagger < 0:
            raise ValueError("stagger must not be negative")
        if self.qos not in (0, 1):
            raise ValueError("FlexAPI uses QoS 0 or 1")
        for client_id in self.device_ids():
            validate_client_id(client_id)

    def device_ids(self) -> list[str]:
        """Client ids of the fleet: ``ID`` alone, or ``ID-1`` .. ``ID-N``."""
        if self.count == 1:
            return [self.client_id]
        return [f"{self.client_id}-{n}" for n in range(1, self.count + 1)]


class Simulator:
    """Run simulated devices against an MQTT broker in background threads."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Create the fleet (nothing connects before ``start``)."""
        self.config = config
        now = time.time()
        self.devices = [
            Device(
                client_id,
                prefix=config.prefix,
                digit_zero_do=config.digit_zero_do,
                include_invalid=config.include_invalid,
                seed=config.seed,
                time_scale=config.time_scale,
                rate_limit=config.rate_limit,
                obd=config.obd,
                ignition=config.ignition,
                now=now,
            )
            for client_id in config.device_ids()
        ]
        self._by_id = {device.client_id: device for device in self.devices}
        self._root = normalize_prefix(config.prefix) + "v1/"
        self.lock = threading.RLock()
        """Held while devices are touched; take it to modify state from a test."""
        self._client: Client | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._scheduler: threading.Thread | None = None
        self._pending_subscriptions: set[int] = set()
        #: Timed uploads (``.../info``) handed to paho so far (benchmarks count them).
        self.uploads = 0

    def __enter__(self) -> Self:
        """Start on entering a ``with`` block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving a ``with`` block."""
        self.stop()

    @property
    def connected(self) -> bool:
        """True while connected and subscribed."""
        return self._ready.is_set()

    def device(self, client_id: str) -> Device:
        """Return the device with ``client_id`` (KeyError if not in the fleet)."""
        return self._by_id[client_id]

    def start(self, timeout: float | None = 10.0) -> None:
        """Connect and run in the background.

        Waits until connected and subscribed, at most ``timeout`` seconds
        (TimeoutError after stopping again); with None, returns at once and keeps
        trying to connect in the background.
        """
        if self._client is not None:
            raise RuntimeError("simulator already started")
        self._stopping.clear()
        client = Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        if self.config.username is not None:
            client.username_pw_set(self.config.username, self.config.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.reconnect_delay_set(
            min_delay=1, max_delay=max(1, self.config.max_reconnect_delay)
        )
        self._client = client
        client.connect_async(
            self.config.host, self.config.port, keepalive=self.config.keepalive
        )
        client.loop_start()
        self._scheduler = threading.Thread(
            target=self._run_scheduler, name="flexapi-sim", daemon=True
        )
        self._scheduler.start()
        if timeout is not None and not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(
                f"no connection to {self.config.host}:{self.config.port} in {timeout} s"
            )

    def stop(self, drain: float = 0.0) -> None:
        """Disconnect and stop the background threads (safe to call twice).

        With ``drain`` seconds, first wait (at most that long) until the
        broker has acknowledged every message handed to paho, so nothing
        counted in :attr:`uploads` is discarded unsent.
        """
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join()
            self._scheduler = None
        client = self._client
        deadline = time.monotonic() + drain
        # paho has no public length of its outgoing queue.
        while client is not None and client._out_messages:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
        self._ready.clear()

    def publish_now(self, client_id: str, group: str) -> Message | None:
        """Upload ``group`` of device ``client_id`` right away; return what was sent."""
        with self.lock:
            message = self.device(client_id).build_upload(group, time.time())
        if message is not None:
            self._publish(message)
        return message

    # -- paho callbacks (network thread) ---------------------------------------------

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            _LOGGER.error("connection refused: %s", reason_code)
            return
        _LOGGER.info("connected to %s:%s", self.config.host, self.config.port)
        filters = [
            (topic, self.config.qos)
            for device in self.devices
            for topic in device.subscriptions()
        ]
        self._pending_subscriptions.clear()
        for start in range(0, len(filters), FILTERS_PER_SUBSCRIBE):
            _, mid = client.subscribe(filters[start : start + FILTERS_PER_SUBSCRIBE])
            if mid is not None:
                self._pending_subscriptions.add(mid)

    def _on_subscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            _LOGGER.error("subscription %s refused: %s", mid, reason_codes)
        self._pending_subscriptions.discard(mid)
        if self._pending_subscriptions:
            return
        now = time.time()
        spread = self.config.stagger / len(self.devices)
        with self.lock:
            for index, device in enumerate(self.devices):
                device.start(now, index * spread)
        _LOGGER.info("%d device(s) subscribed and running", len(self.devices))
        self._ready.set()

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._ready.clear()
        if not self._stopping.is_set():
            _LOGGER.warning("disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        try:
            device, suffix = self._route(message.topic)
            if device is None:
                return
            with self.lock:
                responses = device.handle_request(suffix, message.payload, time.time())
            for response in responses:
                self._publish(response)
        except Exception:
            _LOGGER.exception("failed to handle message on %s", message.topic)

    # -- internals ----------------------------------------------------------------------

    def _route(self, topic: str) -> tuple[Device | None, str]:
        if not topic.startswith(self._root):
            return None, ""
        client_id, _, suffix = topic[len(self._root) :].partition("/")
        return self._by_id.get(client_id), suffix

    def _publish(self, message: Message) -> None:
        client = self._client
        if client is None:
            return
        payload = json.dumps(message.payload, separators=(",", ":"))
        if message.topic.endswith("/info"):
            self.uploads += 1
        _LOGGER.debug("publish %s %s", message.topic, payload)
        client.publish(message.topic, payload, qos=self.config.qos)

    def _run_scheduler(self) -> None:
        while not self._stopping.wait(TICK_S):
            if not self._ready.is_set():
                continue
            try:
                now = time.time()
                with self.lock:
                    due = [
                        message
                        for device in self.devices
                        for message in device.tick(now)
                    ]
                for message in due:
                    self._publish(message)
            except Exception:
                _LOGGER.exception("scheduler error")
