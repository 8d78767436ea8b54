"""A simulated Bimetri platform: the third-party command API over MQTT.

``python -m simulator bimetri --broker HOST:PORT --jwt TOKEN ...``

It reads ``commandMessage``s on ``resource/commands`` and answers on
``application/third-party/{appName}/{instanceId}`` as the API page shows:
a ``commandResponse`` at once, then an ``extDOStateChanged`` notification.
Real-world trouble is part of it, deterministic under ``--seed``:
notifications that are late, duplicated (as at QoS 1) or out of order, and
unsolicited ones (another user switching an output).

``BimetriPlatform`` holds the behaviour and needs no broker; its
``handle``/``tick`` return ``(due_at, topic, payload)`` tuples.
"""

from __future__ import annotations

import argparse
import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
import heapq
import itertools
import json
import logging
import random
import signal
import threading
import time
from types import FrameType
from typing import Any, Final

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

_LOGGER = logging.getLogger(__name__)

COMMAND_TOPIC: Final = "resource/commands"
#: Output numbers each model has ("1-based unless otherwise provisioned").
MODEL_OUTPUTS: Final[dict[str, range]] = {
    "BMM620": range(1, 7),
    "BMM410": range(4),
}
NO_ACCESS: Final = "The user does not have access rights to the resource!"

type Outgoing = tuple[float, str, dict[str, Any]]


@dataclass(slots=True)
class SimResource:
    """A field device with external digital outputs."""

    resource_id: int
    model: str = "BMM620"
    network_id: str = "26:AA:E0:23:23:5E"
    #: Offline devices never acknowledge: ``send_no_ack``.
    online: bool = True
    #: Users (userId) allowed to switch it; empty means everyone.
    users: set[int] = field(default_factory=set)
    outputs: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Every output starts open."""
        for output in MODEL_OUTPUTS[self.model]:
            self.outputs.setdefault(output, 0)


@dataclass(slots=True)
class Chaos:
    """Probabilities of the ways notifications go wrong."""

    late: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    #: Seconds between unsolicited switchings by another user (0: never).
    unsolicited_every: float = 0.0
    #: Delay of a normal notification, and of a late one.
    delay: float = 0.2
    late_delay: float = 3.0


def _ok_token(token: Any, accepted: set[str], now: float) -> bool:
    """A listed token; with none listed, any well-formed unexpired JWT."""
    if not isinstance(token, str) or not token:
        return False
    if accepted:
        return token in accepted
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return False
    try:
        claims = json.loads(
            base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        )
    except ValueError:
        return False
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return not isinstance(exp, int | float) or exp > now


def reply_topic(app_id: str) -> str | None:
    """Topic of an appId's responses; ``None`` for a malformed appId."""
    name, sep, instance = app_id.rpartition(".")
    if not sep or not name or not instance:
        return None
    if any(c in "+#/" for c in app_id):
        return None
    return f"application/third-party/{name}/{instance}"


class BimetriPlatform:
    """The platform's behaviour, without a broker."""

    def __init__(
        self,
        resources: Sequence[SimResource],
        *,
        jwts: Sequence[str] = (),
        chaos: Chaos | None = None,
        seed: int | None = None,
        other_user: str = "Other User",
    ) -> None:
        """Devices, accepted tokens and how unreliable notifications are."""
        self.resources = {r.resource_id: r for r in resources}
        self.jwts = set(jwts)
        self.chaos = chaos or Chaos()
        self.random = random.Random(seed)
        self.other_user = other_user
        #: appId -> (userId, organizationId) of apps that sent a valid command.
        self.apps: dict[str, tuple[int, int]] = {}
        self._held: list[Outgoing] = []
        self._next_unsolicited: float | None = None
        self._unsolicited_ids = itertools.count(1)

    def handle(self, payload: bytes | str, now: float) -> list[Outgoing]:
        """Answer one message from ``resource/commands``."""
        try:
            msg = json.loads(payload)
        except ValueError:
            return []
        if not isinstance(msg, dict) or msg.get("messageType") != "commandMessage":
            return []
        app_id = msg.get("appId")
        if not isinstance(app_id, str) or (topic := reply_topic(app_id)) is None:
            return []
        cid = msg.get("correlationId")
        if cid is None:
            return []
        params = msg.get("parameters")
        params = params if isinstance(params, dict) else {}
        resource_id = params.get("resourceId")
        data: dict[str, Any] = {
            "command": msg.get("command"),
            "resourceId": resource_id,
        }

        def respond(result: str, reason: str, **extra: Any) -> list[Outgoing]:
            return [
                (
                    now,
                    topic,
                    {
                        "messageType": "commandResponse",
                        "correlationId": cid,
                        "result": result,
                        "reason": reason,
                        "data": {**data, **extra},
                    },
                )
            ]

        if not _ok_token(msg.get("jwtToken"), self.jwts, now):
            return respond("unauthorized", "Invalid or expired token")
        user_id = msg.get("userId")
        if msg.get("command") != "setExtDO":
            return respond("failed", f"Unknown command {msg.get('command')!r}")
        resource = self.resources.get(resource_id) if type(resource_id) is int else None
        if resource is None or (resource.users and user_id not in resource.users):
            return respond("not_send", NO_ACCESS, userId=user_id)
        output, status = params.get("output"), params.get("status")
        if type(output) is not int or output not in resource.outputs:
            return respond(
                "failed", f"Invalid output {output!r} for model {resource.model}"
            )
        if type(status) is not int or status not in (0, 1):
            return respond("failed", f"Invalid status {status!r}")
        if not resource.online:
            return respond("send_no_ack", "The device did not acknowledge")
        org_id = msg.get("organizationId")
        self.apps[app_id] = (
            user_id if type(user_id) is int else 0,
            org_id if type(org_id) is int else 0,
        )
        resource.outputs[output] = status
        out = respond(
            "sent",
            "Command Queued",
            brand="Bimetri",
            model=resource.model,
            networkId=resource.network_id,
        )
        note = self._notification(
            app_id, cid, resource, output, status, "Flexywatt User", user_id
        )
        out += self._deliver(now, topic, note)
        return out

    def _notification(
        self,
        app_id: str,
        cid: Any,
        resource: SimResource,
        output: int,
        status: int,
        user_name: str,
        user_id: Any,
    ) -> dict[str, Any]:
        note: dict[str, Any] = {
            "messageType": "notification",
            "appId": app_id,
            "command": "setExtDO",
            "notificationType": "extDOStateChanged",
            "userName": user_name,
            "userId": user_id,
            "parameters": {
                "resourceId": resource.resource_id,
                "brand": "Bimetri",
                "model": resource.model,
                "networkId": resource.network_id,
                "organizationId": self.apps.get(app_id, (0, 0))[1],
                "output": output,
                "status": status,
            },
        }
        if cid is not None:
            note["correlationId"] = cid
        return note

    def _deliver(self, now: float, topic: str, note: dict[str, Any]) -> list[Outgoing]:
        """A notification, perhaps late, duplicated or overtaken by the next."""
        chaos, rnd = self.chaos, self.random
        delay = chaos.late_delay if rnd.random() < chaos.late else chaos.delay
        out: list[Outgoing] = []
        if rnd.random() < chaos.reorder:
            # Held back: it goes out after the next notification.
            self._held.append((0.0, topic, note))
        else:
            out.append((now + delay, topic, note))
            for _, held_topic, held in self._held:
                out.append((now + delay + 0.05, held_topic, held))
            self._held.clear()
        if rnd.random() < chaos.duplicate:
            out.append((now + delay + 0.1, topic, note))
        return out

    def switch_by_other_user(
        self, now: float, resource_id: int, output: int, status: int
    ) -> list[Outgoing]:
        """Another user switches an output: every known app is notified."""
        resource = self.resources[resource_id]
        resource.outputs[output] = status
        out: list[Outgoing] = []
        for app_id in self.apps:
            topic = reply_topic(app_id)
            if topic is None:
                continue
            cid = f"other-{next(self._unsolicited_ids)}"
            note = self._notification(
                app_id, cid, resource, output, status, self.other_user, 999
            )
            out += self._deliver(now, topic, note)
        return out

    def tick(self, now: float) -> list[Outgoing]:
        """Unsolicited switchings that came due."""
        every = self.chaos.unsolicited_every
        if every <= 0 or not self.apps or not self.resources:
            return []
        if self._next_unsolicited is None:
            self._next_unsolicited = now + every
            return []
        if now < self._next_unsolicited:
            return []
        self._next_unsolicited = now + every
        resource = self.random.choice(
            sorted(self.resources.values(), key=lambda r: r.resource_id)
        )
        output = self.random.choice(sorted(resource.outputs))
        return self.switch_by_other_user(
            now, resource.resource_id, output, 1 - resource.outputs[output]
        )


class BimetriSimulator:
    """Run a :class:`BimetriPlatform` against a broker (paho, background threads)."""

    def __init__(
        self, platform: BimetriPlatform, host: str, port: int, qos: int = 1
    ) -> None:
        """Nothing connects before :meth:`start`."""
        self.platform = platform
        self.host, self.port, self.qos = host, port, qos
        self.lock = threading.Lock()
        self._queue: list[tuple[float, int, str, dict[str, Any]]] = []
        self._order = itertools.count()
        self._client: Client | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float | None = 10.0) -> None:
        """Connect, subscribe to ``resource/commands`` and run."""
        client = Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id="bimetri-platform-sim",
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        client.on_connect = lambda c, *_: c.subscribe(COMMAND_TOPIC, qos=2)
        client.on_subscribe = lambda *_: self._ready.set()
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client = client
        client.connect_async(self.host, self.port)
        client.loop_start()
        self._thread = threading.Thread(
            target=self._run, name="bimetri-sim", daemon=True
        )
        self._thread.start()
        if timeout is not None and not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"no connection to {self.host}:{self.port}")

    def stop(self) -> None:
        """Disconnect and stop."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()

    def switch_by_other_user(self, resource_id: int, output: int, status: int) -> None:
        """Another user switches an output now."""
        with self.lock:
            self._schedule(
                self.platform.switch_by_other_user(
                    time.time(), resource_id, output, status
                )
            )

    def _schedule(self, outgoing: list[Outgoing]) -> None:
        for due, topic, payload in outgoing:
            heapq.heappush(self._queue, (due, next(self._order), topic, payload))

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        try:
            with self.lock:
                self._schedule(self.platform.handle(message.payload, time.time()))
        except Exception:
            _LOGGER.exception("failed to handle a command")

    def _run(self) -> None:
        while not self._stopping.wait(0.02):
            now = time.time()
            with self.lock:
                self._schedule(self.platform.tick(now))
                due = []
                while self._queue and self._queue[0][0] <= now:
                    due.append(heapq.heappop(self._queue))
            for _, _, topic, payload in due:
                client = self._client
                if client is not None:
                    _LOGGER.debug(
                        "%s %s correlationId %s",
                        topic,
                        payload.get("messageType"),
                        payload.get("correlationId"),
                    )
                    client.publish(topic, json.dumps(payload), qos=self.qos)


def _resource(text: str) -> SimResource:
    """``ID[:MODEL[:offline]]``."""
    parts = text.split(":")
    try:
        resource_id = int(parts[0])
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid resource {text!r}") from None
    model = parts[1] if len(parts) > 1 and parts[1] else "BMM620"
    if model not in MODEL_OUTPUTS:
        raise argparse.ArgumentTypeError(
            f"unknown model {model!r} (known: {', '.join(MODEL_OUTPUTS)})"
        )
    online = not (len(parts) > 2 and parts[2] == "offline")
    mac = f"26:AA:E0:{resource_id >> 16 & 255:02X}:{resource_id >> 8 & 255:02X}:{resource_id & 255:02X}"
    return SimResource(resource_id, model, mac, online)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simulator bimetri ...``: run until Ctrl-C."""
    from .cli import parse_broker  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="python -m simulator bimetri",
        description="Simulate the Bimetri third-party command API (setExtDO).",
    )
    parser.add_argument(
        "--broker", required=True, type=parse_broker, metavar="HOST:PORT"
    )
    parser.add_argument(
        "--resource",
        action="append",
        type=_resource,
        metavar="ID[:MODEL[:offline]]",
        help=f"a device (repeatable; default 101:BMM620; models {', '.join(MODEL_OUTPUTS)})",
    )
    parser.add_argument(
        "--jwt",
        action="append",
        default=[],
        metavar="TOKEN",
        help="accepted token (repeatable); without, any unexpired JWT is accepted",
    )
    parser.add_argument(
        "--late", type=float, default=0.1, help="probability of a late notification"
    )
    parser.add_argument(
        "--duplicate", type=float, default=0.1, help="probability of a duplicate"
    )
    parser.add_argument(
        "--reorder", type=float, default=0.05, help="probability of reordering"
    )
    parser.add_argument(
        "--unsolicited-every",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds between switchings by another user (0: never)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log-level", default="INFO", type=str.upper)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    host, port = args.broker
    platform = BimetriPlatform(
        args.resource or [_resource("101")],
        jwts=args.jwt,
        chaos=Chaos(
            late=args.late,
            duplicate=args.duplicate,
            reorder=args.reorder,
            unsolicited_every=args.unsolicited_every,
        ),
        seed=args.seed,
    )
    stop = threading.Event()

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    sim = BimetriSimulator(platform, host, port)
    _LOGGER.info(
        "simulating the Bimetri platform (resources %s) on %s:%d",
        ", ".join(str(r) for r in platform.resources),
        host,
        port,
    )
    sim.start(timeout=None)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sim.stop()
    _LOGGER.info("stopped")
    return 0
