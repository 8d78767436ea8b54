"""The simulated Bimetri platform: results, notifications and their trouble."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.bimetri import BimetriPlatform, Chaos, SimResource, main, reply_topic

NOW = 1_700_000_000.0
JWT = "aaa.bbb.ccc"
TOPIC = "application/third-party/flexyWattApp/1"


def command(**changes: Any) -> bytes:
    params = {"resourceId": 101, "output": 4, "status": 1}
    params.update(changes.pop("parameters", {}))
    msg = {
        "messageType": "commandMessage",
        "appId": "flexyWattApp.1",
        "brand": "Bimetri",
        "jwtToken": JWT,
        "userId": 12345,
        "organizationId": 23456,
        "command": "setExtDO",
        "correlationId": "100",
        "parameters": params,
        **changes,
    }
    return json.dumps(msg).encode()


def platform(**kwargs: Any) -> BimetriPlatform:
    kwargs.setdefault("jwts", [JWT])
    return BimetriPlatform(
        [
            SimResource(101, "BMM620"),
            SimResource(202, "BMM410"),
            SimResource(303, online=False),
            SimResource(404, users={1}),
        ],
        **kwargs,
    )


def responses(out: list[tuple[float, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [p for _, _, p in out if p["messageType"] == "commandResponse"]


def notifications(
    out: list[tuple[float, str, dict[str, Any]]],
) -> list[tuple[float, dict[str, Any]]]:
    return [(t, p) for t, _, p in out if p["messageType"] == "notification"]


def test_sent_then_notification_as_on_the_api_page() -> None:
    out = platform().handle(command(), NOW)
    assert all(topic == TOPIC for _, topic, _ in out)
    (response,) = responses(out)
    assert response == {
        "messageType": "commandResponse",
        "correlationId": "100",
        "result": "sent",
        "reason": "Command Queued",
        "data": {
            "command": "setExtDO",
            "resourceId": 101,
            "brand": "Bimetri",
            "model": "BMM620",
            "networkId": "26:AA:E0:23:23:5E",
        },
    }
    ((due, note),) = notifications(out)
    assert due > NOW
    assert note["correlationId"] == "100"
    assert note["notificationType"] == "extDOStateChanged"
    assert note["parameters"]["output"] == 4
    assert note["parameters"]["status"] == 1


@pytest.mark.parametrize(
    ("changes", "result"),
    [
        ({"jwtToken": "wrong"}, "unauthorized"),
        ({"jwtToken": None}, "unauthorized"),
        ({"parameters": {"resourceId": 999}}, "not_send"),
        ({"userId": 5, "parameters": {"resourceId": 404}}, "not_send"),
        ({"parameters": {"output": 7}}, "failed"),
        ({"parameters": {"output": 0}}, "failed"),  # BMM620 is 1-based
        ({"parameters": {"status": 2}}, "failed"),
        ({"command": "reboot"}, "failed"),
        ({"parameters": {"resourceId": 303}}, "send_no_ack"),
    ],
)
def test_refusals(changes: dict[str, Any], result: str) -> None:
    out = platform().handle(command(**changes), NOW)
    (response,) = responses(out)
    assert response["result"] == result
    assert response["reason"]
    assert notifications(out) == []


def test_zero_based_model_accepts_output_zero() -> None:
    out = platform().handle(command(parameters={"resourceId": 202, "output": 0}), NOW)
    assert responses(out)[0]["result"] == "sent"
    out = platform().handle(command(parameters={"resourceId": 202, "output": 4}), NOW)
    assert responses(out)[0]["result"] == "failed"


def test_without_listed_tokens_any_unexpired_jwt_is_accepted() -> None:
    import base64

    def jwt(exp: float) -> str:
        claims = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode())
        return f"e30.{claims.decode().rstrip('=')}.sig"

    sim = platform(jwts=[])
    assert (
        responses(sim.handle(command(jwtToken=jwt(NOW + 60)), NOW))[0]["result"]
        == "sent"
    )
    assert (
        responses(sim.handle(command(jwtToken=jwt(NOW - 60)), NOW))[0]["result"]
        == "unauthorized"
    )
    assert (
        responses(sim.handle(command(jwtToken="opaque"), NOW))[0]["result"]
        == "unauthorized"
    )


@pytest.mark.parametrize(
    "payload",
    [b"nope", b"[]", b'{"messageType": "commandResponse"}', command(appId="bad")],
)
def test_garbage_is_ignored(payload: bytes) -> None:
    assert platform().handle(payload, NOW) == []


def test_reply_topic() -> None:
    assert reply_topic("my.app.7") == "application/third-party/my.app/7"
    assert reply_topic("noinstance") is None
    assert reply_topic("a/b.1") is None


def run(seed: int, count: int = 40) -> list[tuple[float, str, dict[str, Any]]]:
    sim = platform(seed=seed, chaos=Chaos(late=0.3, duplicate=0.3, reorder=0.3))
    out = []
    for n in range(count):
        out += sim.handle(
            command(correlationId=str(n), parameters={"status": n % 2}), NOW + n
        )
    return out


def test_chaos_is_deterministic_under_a_seed() -> None:
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_chaos_makes_late_duplicate_and_reordered_notifications() -> None:
    notes = notifications(run(3))
    cids = [note["correlationId"] for _, note in notes]
    assert len(cids) > len(set(cids))  # duplicates
    delays = [due - (NOW + int(note["correlationId"])) for due, note in notes]
    assert max(delays) >= 3.0  # late
    by_due = [int(n["correlationId"]) for _, n in sorted(notes, key=lambda x: x[0])]
    assert by_due != sorted(by_due)  # some arrive out of order
    # Every command's notification is delivered eventually.
    assert set(cids) == {str(n) for n in range(40)}


def test_unsolicited_switching_by_another_user() -> None:
    sim = platform(seed=5, chaos=Chaos(unsolicited_every=10))
    assert sim.tick(NOW) == []  # no app known yet
    sim.handle(command(), NOW)
    assert sim.tick(NOW) == []  # first tick arms the timer
    assert sim.tick(NOW + 5) == []
    out = sim.tick(NOW + 10)
    ((_, note),) = notifications(out)
    assert note["userName"] == "Other User"
    assert note["appId"] == "flexyWattApp.1"
    assert note["correlationId"].startswith("other-")
    params = note["parameters"]
    assert (
        sim.resources[params["resourceId"]].outputs[params["output"]]
        == params["status"]
    )


def test_cli_rejects_an_unknown_model() -> None:
    with pytest.raises(SystemExit):
        main(["--broker", "127.0.0.1:1", "--resource", "5:NOPE"])
