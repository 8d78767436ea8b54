"""Tests of protocol/bimetri.py against the Bimetri setExtDO API page."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.flexapi.protocol.bimetri import (
    COMMAND_QOS,
    COMMAND_TOPIC,
    RESULTS,
    CommandResponse,
    ExtDoState,
    build_set_ext_do,
    new_correlation_id,
    parse_message,
    redact_jwt,
    response_topic,
    validate_app_id,
)
from custom_components.flexapi.protocol.errors import FlexApiValueError

#: The document's setExtDO request.
REQUEST: dict[str, Any] = {
    "messageType": "commandMessage",
    "appId": "flexyWattApp.1",
    "brand": "Bimetri",
    "jwtToken": "replace-with-your-token",
    "userId": 12345,
    "organizationId": 23456,
    "command": "setExtDO",
    "correlationId": "100",
    "parameters": {"resourceId": 101, "output": 4, "status": 0},
}
REQUEST_ARGS: dict[str, Any] = {
    "app_id": "flexyWattApp.1",
    "jwt": "replace-with-your-token",
    "user_id": 12345,
    "organization_id": 23456,
    "resource_id": 101,
    "output": 4,
    "status": 0,
    "correlation_id": "100",
}
IMMEDIATE_RESPONSE: dict[str, Any] = {
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
ERROR_RESPONSE: dict[str, Any] = {
    "messageType": "commandResponse",
    "correlationId": "100",
    "result": "not_send",
    "reason": "The user does not have access rights to the resource!",
    "data": {"command": "setExtDO", "resourceId": 101, "userId": 12345},
}
NOTIFICATION: dict[str, Any] = {
    "messageType": "notification",
    "appId": "flexyWattApp.1",
    "correlationId": "100",
    "command": "setExtDO",
    "notificationType": "extDOStateChanged",
    "userName": "Flexywatt User",
    "userId": 12345,
    "parameters": {
        "resourceId": 101,
        "brand": "Bimetri",
        "model": "BMM620",
        "networkId": "26:AA:E0:23:23:5E",
        "organizationId": 23456,
        "output": 4,
        "status": 1,
    },
}


def test_transport() -> None:
    assert (COMMAND_TOPIC, COMMAND_QOS) == ("resource/commands", 2)


def test_set_ext_do_matches_the_example() -> None:
    assert build_set_ext_do(**REQUEST_ARGS) == REQUEST


@pytest.mark.parametrize(("status", "wire"), [(True, 1), (False, 0), (1, 1), (0, 0)])
def test_set_ext_do_status(status: bool | int, wire: int) -> None:
    payload = build_set_ext_do(**{**REQUEST_ARGS, "status": status})
    assert payload["parameters"]["status"] == wire
    assert type(payload["parameters"]["status"]) is int


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("app_id", "flexyWattApp"),
        ("app_id", ""),
        ("app_id", "a/b.1"),
        ("jwt", ""),
        ("jwt", None),
        ("user_id", "12345"),
        ("user_id", True),
        ("organization_id", 1.5),
        ("resource_id", None),
        ("output", 0),
        ("output", -1),
        ("output", "4"),
        ("output", True),
        ("status", 2),
        ("status", -1),
        ("status", "1"),
        ("status", None),
        ("correlation_id", ""),
        ("correlation_id", None),
        ("correlation_id", 100),  # responses carry strings; an int never matches
    ],
)
def test_set_ext_do_rejects(field: str, value: Any) -> None:
    with pytest.raises(FlexApiValueError):
        build_set_ext_do(**{**REQUEST_ARGS, field: value})


@pytest.mark.parametrize(
    ("app_id", "topic"),
    [
        ("flexyWattApp.1", "application/third-party/flexyWattApp/1"),
        ("app.instance-7", "application/third-party/app/instance-7"),
    ],
)
def test_response_topic(app_id: str, topic: str) -> None:
    assert response_topic(app_id) == topic


@pytest.mark.parametrize(
    "app_id",
    [
        "flexyWattApp",
        ".1",
        "app.",
        "",
        ".",
        "a/b.1",
        "a.1/2",
        "a+.1",
        "a.#",
        "a\x00.1",
        "a.1\n",
        None,
        5,
    ],
    ids=repr,
)
def test_invalid_app_ids(app_id: Any) -> None:
    with pytest.raises(FlexApiValueError):
        validate_app_id(app_id)
    with pytest.raises(FlexApiValueError):
        response_topic(app_id)


def test_parse_immediate_response() -> None:
    response = parse_message(IMMEDIATE_RESPONSE)
    assert response == CommandResponse(
        correlation_id="100",
        result="sent",
        reason="Command Queued",
        data=IMMEDIATE_RESPONSE["data"],
    )
    assert response.ok


def test_parse_error_response() -> None:
    response = parse_message(ERROR_RESPONSE)
    assert isinstance(response, CommandResponse)
    assert not response.ok
    assert response.result == "not_send"
    assert response.reason == "The user does not have access rights to the resource!"


@pytest.mark.parametrize("result", [r for r in RESULTS if r != "sent"])
def test_only_sent_is_ok(result: str) -> None:
    response = parse_message({**IMMEDIATE_RESPONSE, "result": result})
    assert isinstance(response, CommandResponse)
    assert not response.ok


def test_response_with_odd_reason_and_data() -> None:
    response = parse_message({**IMMEDIATE_RESPONSE, "reason": None, "data": [1]})
    assert response == CommandResponse("100", "sent", "", {})


def test_parse_state_change_notification() -> None:
    assert parse_message(NOTIFICATION) == ExtDoState(
        correlation_id="100",
        resource_id=101,
        output=4,
        status=True,
        model="BMM620",
        network_id="26:AA:E0:23:23:5E",
    )


def test_notification_without_correlation_id() -> None:
    message = {
        key: value for key, value in NOTIFICATION.items() if key != "correlationId"
    }
    message["parameters"] = {"resourceId": 101, "output": 4, "status": 0}
    assert parse_message(message) == ExtDoState(None, 101, 4, False)


@pytest.mark.parametrize(
    "message",
    [
        {},
        REQUEST,  # our own command, should it echo
        {**IMMEDIATE_RESPONSE, "correlationId": 100},
        {**IMMEDIATE_RESPONSE, "result": None},
        {**NOTIFICATION, "notificationType": "somethingElse"},
        {**NOTIFICATION, "parameters": None},
        {**NOTIFICATION, "parameters": {**NOTIFICATION["parameters"], "status": 2}},
        {**NOTIFICATION, "parameters": {**NOTIFICATION["parameters"], "output": "4"}},
        {
            **NOTIFICATION,
            "parameters": {**NOTIFICATION["parameters"], "resourceId": None},
        },
        {"messageType": "somethingElse"},
    ],
    ids=repr,
)
def test_parse_ignores_what_it_does_not_understand(message: dict[str, Any]) -> None:
    assert parse_message(message) is None


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv"
    "aG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize("length", [1, 5, 6, 7, 12, 40, len(JWT)])
def test_redact_jwt_never_returns_the_token(length: int) -> None:
    token = JWT[:length]
    redacted = redact_jwt(token)
    revealed = redacted.removesuffix("…(redacted)")
    assert revealed != redacted  # always marked as redacted
    assert token.startswith(revealed)
    assert len(revealed) <= 6
    assert len(revealed) < len(token)
    if length > 6:
        assert token not in redacted


@pytest.mark.parametrize("token", [None, ""])
def test_redact_nothing(token: str | None) -> None:
    assert redact_jwt(token) == ""


def test_new_correlation_id() -> None:
    ids = {new_correlation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(isinstance(cid, str) and cid for cid in ids)
    # A generated id goes out and is matched on the way back.
    cid = ids.pop()
    sent = build_set_ext_do(**{**REQUEST_ARGS, "correlation_id": cid})
    echo = parse_message({**IMMEDIATE_RESPONSE, "correlationId": sent["correlationId"]})
    assert isinstance(echo, CommandResponse)
    assert echo.correlation_id == cid
