"""Fixtures for the simulator tests: a device driven by an injected clock, a broker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import importlib.util
import json
from typing import Any

import pytest

from simulator import Device, Message
from simulator.broker import Mosquitto, find_mosquitto

NOW = 1_700_000_000.0
CLIENT_ID = "VG7102021092401"

if importlib.util.find_spec("pytest_socket") is None:  # pragma: no cover
    # pytest-socket (pulled in by the Home Assistant test plugin) provides
    # `socket_enabled`; without it no socket is blocked and there is nothing to do.

    @pytest.fixture
    def socket_enabled() -> None:
        """No socket blocking plugin is loaded: nothing to enable."""


def make_device(**kwargs: Any) -> Device:
    """A seeded device at a fixed time, with random digital inputs switched off."""
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("now", NOW)
    device = Device(kwargs.pop("client_id", CLIENT_ID), **kwargs)
    device.state.io.auto_di = False
    return device


@dataclass
class Harness:
    """Send requests to a device with a clock that advances between requests."""

    device: Device
    now: float = NOW
    sent: list[Message] = field(default_factory=list)

    def raw(self, suffix: str, body: Any, *, gap: float = 10.0) -> list[Message]:
        """Send ``body`` (bytes, or JSON encoded) on ``suffix``; return all replies."""
        self.now += gap
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.device.handle_request(suffix, payload, self.now)

    def ask(self, suffix: str, body: Any, *, gap: float = 10.0) -> dict[str, Any]:
        """Send a request and return the one response, checking its topic."""
        replies = self.raw(suffix, body, gap=gap)
        assert len(replies) == 1
        topic, payload = replies[0]
        assert topic == self.device.topic(f"{suffix}/resp")
        return payload

    def upload(self, group: str, *, gap: float = 1.0) -> dict[str, Any]:
        """Build the ``{group}/info`` upload a moment later."""
        self.now += gap
        message = self.device.build_upload(group, self.now)
        assert message is not None
        assert message.topic == self.device.topic(f"{group}/info")
        return message.payload


@pytest.fixture
def harness() -> Harness:
    """A default device behind a request harness."""
    return Harness(make_device())


@pytest.fixture
def mosquitto(socket_enabled: None) -> Iterator[int]:
    """Run a private Mosquitto on a free 127.0.0.1 port; yield the port."""
    if find_mosquitto() is None:
        pytest.fail("mosquitto is not installed; scripts/test installs it")
    with Mosquitto() as broker:
        yield broker.port
