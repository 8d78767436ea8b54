"""Tests of protocol/bimetri.py against the Bimetri setExtDO API page."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.flexapi.protocol.bimetri import (
    COMMAND_QOS,
    COMMAND_TOPIC,
    RESULTS,
    CommandResponse,
    DeviceData,
    ExtDoState,
    build_set_ext_do,
    jwt_expiry,
    make_app_id,
    new_correlation_id,
    parse_message,
    redact_jwt,
    response_topic,
    validate_app_id,
)
from custom_components.flexapi.protocol.errors import FlexApiValueError


def make_jwt(**claims: Any) -> str:
    """An (unsigned) JWT with ``claims``."""

    def part(obj: Any) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


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
        ("output", -1),
        ("output", "4"),
        ("output", True),
        ("status", 2),
        ("status", -1),
        ("status", "1"),
        ("status", None),
        ("correlation_id", ""),
        ("correlation_id", None),
        ("correlation_id", 100),  # we send strings; numeric echoes are matched
        ("brand", ""),
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
        "a.b/c",
        "a.\x7f",
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
        app_id="flexyWattApp.1",
        user_name="Flexywatt User",
        user_id=12345,
        brand="Bimetri",
    )


def test_user_name_is_bounded() -> None:
    """Review of issue 9: the user name comes from the network."""
    note = parse_message({**NOTIFICATION, "userName": "x" * 10_000})
    assert isinstance(note, ExtDoState)
    assert note.user_name == "x" * 64


def test_notification_without_correlation_id() -> None:
    message = {
        key: value for key, value in NOTIFICATION.items() if key != "correlationId"
    }
    message["parameters"] = {"resourceId": 101, "output": 4, "status": 0}
    assert parse_message(message) == ExtDoState(
        None,
        101,
        4,
        False,
        app_id="flexyWattApp.1",
        user_name="Flexywatt User",
        user_id=12345,
    )


@pytest.mark.parametrize(
    "message",
    [
        {},
        REQUEST,  # our own command, should it echo
        {**IMMEDIATE_RESPONSE, "correlationId": None},
        {**IMMEDIATE_RESPONSE, "correlationId": True},
        {**IMMEDIATE_RESPONSE, "correlationId": ""},
        {**IMMEDIATE_RESPONSE, "result": None},
        {**NOTIFICATION, "notificationType": "somethingElse"},
        {**NOTIFICATION, "parameters": None},
        {**NOTIFICATION, "parameters": {**NOTIFICATION["parameters"], "status": 2}},
        {**NOTIFICATION, "parameters": {**NOTIFICATION["parameters"], "status": True}},
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


# -- issue 7 "Bimetri parsing" regressions ----------------------------------------


@pytest.mark.parametrize("cid", [100, 0, 12345678901234567890])
def test_numeric_correlation_id_in_a_response_is_accepted(cid: int) -> None:
    """``"correlationId": 100`` is matched to the "100" we sent, not dropped."""
    response = parse_message({**IMMEDIATE_RESPONSE, "correlationId": cid})
    assert isinstance(response, CommandResponse)
    assert response.correlation_id == str(cid)


def test_numeric_correlation_id_in_a_notification_is_accepted() -> None:
    state = parse_message({**NOTIFICATION, "correlationId": 100})
    assert isinstance(state, ExtDoState)
    assert state.correlation_id == "100"
    assert state.dedup_key == (101, 4, "100")


def test_notification_names_its_app() -> None:
    """The runtime compares this with its own appId (``appName/#`` sees others)."""
    state = parse_message({**NOTIFICATION, "appId": "flexyWattApp.2"})
    assert isinstance(state, ExtDoState)
    assert state.app_id == "flexyWattApp.2"


def test_output_zero_is_sent() -> None:
    """Outputs are 1-based *unless otherwise provisioned*: 0 goes out."""
    payload = build_set_ext_do(**{**REQUEST_ARGS, "output": 0})
    assert payload["parameters"]["output"] == 0


def test_any_port_number_is_left_to_the_platform() -> None:
    payload = build_set_ext_do(**{**REQUEST_ARGS, "output": 4096})
    assert payload["parameters"]["output"] == 4096


def test_notification_for_output_zero() -> None:
    state = parse_message(
        {**NOTIFICATION, "parameters": {**NOTIFICATION["parameters"], "output": 0}}
    )
    assert isinstance(state, ExtDoState)
    assert state.output == 0


# -- app ids, brand, device data, JWT expiry ----------------------------------------


def test_app_id_splits_at_the_last_dot() -> None:
    assert validate_app_id("my.app.7") == ("my.app", "7")
    assert make_app_id("my.app", "7") == "my.app.7"
    assert response_topic(make_app_id("my.app", "7")) == (
        "application/third-party/my.app/7"
    )


@pytest.mark.parametrize(
    ("name", "instance"),
    [
        ("", "1"),
        ("a", ""),
        ("a", "1.2"),
        ("a+", "1"),
        ("a", "#"),
        ("a/b", "1"),
        ("a", "1/2"),
        ("a\t", "1"),
        ("a", "x" * 129),
    ],
    ids=repr,
)
def test_make_app_id_rejects(name: str, instance: str) -> None:
    with pytest.raises(FlexApiValueError):
        make_app_id(name, instance)


def test_brand_is_sent() -> None:
    payload = build_set_ext_do(**{**REQUEST_ARGS, "brand": "Acme"})
    assert payload["brand"] == "Acme"


def test_device_data_of_response_and_notification() -> None:
    response = parse_message(IMMEDIATE_RESPONSE)
    assert isinstance(response, CommandResponse)
    assert response.resource_id == 101
    assert response.device == DeviceData("Bimetri", "BMM620", "26:AA:E0:23:23:5E")
    state = parse_message(NOTIFICATION)
    assert isinstance(state, ExtDoState)
    assert state.device == response.device
    error = parse_message(ERROR_RESPONSE)
    assert isinstance(error, CommandResponse)
    assert error.device == DeviceData()


def test_jwt_expiry() -> None:
    assert jwt_expiry(JWT) is None  # no exp claim
    token = make_jwt(exp=1_900_000_000)
    assert jwt_expiry(token) == datetime.fromtimestamp(1_900_000_000, UTC)


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "abc",
        "a.b",
        "a.b.c",
        "a.!!!.c",
        "eyJ.e30.x",
        make_jwt(exp="soon"),
        make_jwt(exp=True),
        make_jwt(exp=1e30),
    ],
    ids=repr,
)
def test_jwt_expiry_unreadable(token: Any) -> None:
    assert jwt_expiry(token) is None


def _raw_claims_jwt(claims: bytes) -> str:
    part = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{part}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "claims",
    [
        b"[" * 100_000,  # RecursionError from the JSON parser
        b'{"exp": ' + b"[" * 100_000,
        b'{"exp": 1e400}',  # inf
        b'{"exp": NaN}',
        b'{"exp": 123456789012345678901234567890}',
        b"\xff\xfe",
        b"",
    ],
    ids=lambda claims: repr(claims[:16]),
)
def test_jwt_expiry_of_a_hostile_token_never_raises(claims: bytes) -> None:
    """Review of issue 9: the user types the token; nothing in it may raise."""
    assert jwt_expiry(_raw_claims_jwt(claims)) is None


def test_jwt_expiry_of_a_non_ascii_token() -> None:
    assert jwt_expiry("a.\u00e9t\u00e9.c") is None
