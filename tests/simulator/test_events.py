"""Rev 1.0.9 event service: DI_CHG events on event/notice."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import Device

from .conftest import NOW, make_device


def events(device: Device, now: float) -> list[tuple[str, dict[str, Any]]]:
    """Event messages published by ``tick`` at ``now``."""
    return [m for m in device.tick(now) if m.topic.endswith("/event/notice")]


def test_di_change_raises_and_clears() -> None:
    device = make_device()
    topic = device.topic("event/notice")
    device.set_di(3, 1, NOW + 5)
    assert events(device, NOW + 5) == [
        (
            topic,
            {
                "starts_at": int(NOW + 5),
                "status": "raise",
                "type": "DI_CHG",
                "level": 1,
                "io.DI3": 1,
            },
        )
    ]
    device.set_di(3, 1, NOW + 6)  # no change, no event
    assert events(device, NOW + 6) == []
    device.set_di(3, 0, NOW + 20)
    clear = {
        "starts_at": int(NOW + 5),
        "ends_at": int(NOW + 20),
        "status": "clear",
        "type": "DI_CHG",
        "level": 1,
        "io.DI3": 0,
    }
    # Every other event is wrapped as {"topic": ..., "payload": ...}.
    assert events(device, NOW + 20) == [(topic, {"topic": topic, "payload": clear})]
    assert device.build_upload("io", NOW + 20).payload["io.DI3"] == 0  # type: ignore[union-attr]


def test_di_state_shows_in_uploads() -> None:
    device = make_device()
    device.set_di(1, 1, NOW + 1)
    message = device.build_upload("io", NOW + 1)
    assert message is not None
    assert message.payload["io.DI1"] == 1


def test_random_inputs_produce_paired_events() -> None:
    device = make_device()
    device.state.io.auto_di = True
    device.start(NOW)
    seen: list[dict[str, Any]] = []
    for second in range(1, 3600):
        for _, payload in events(device, NOW + second):
            seen.append(payload.get("payload", payload))
    assert seen
    raised: dict[str, int] = {}
    for event in seen:
        key = next(k for k in event if k.startswith("io.DI"))
        if event["status"] == "raise":
            assert key not in raised
            raised[key] = event["starts_at"]
        else:
            assert event["starts_at"] == raised.pop(key)
            assert event["ends_at"] >= event["starts_at"]


def test_set_di_rejects_bad_lines() -> None:
    device = make_device()
    with pytest.raises(ValueError, match="digital input"):
        device.set_di(7, 1, NOW)
    with pytest.raises(ValueError, match="digital input"):
        device.set_di(1, 2, NOW)
