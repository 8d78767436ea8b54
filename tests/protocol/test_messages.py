"""Tests of protocol/messages.py against the example payloads of §3 and §4."""

from __future__ import annotations

import re
from typing import Any

import pytest

from custom_components.flexapi.protocol import messages
from custom_components.flexapi.protocol.errors import (
    ErrorCode,
    FlexApiResponseError,
    FlexApiValueError,
)
from custom_components.flexapi.protocol.messages import (
    CustomGroup,
    FlexEvent,
    Response,
    build_app_control,
    build_custom_group_remove,
    build_custom_group_set,
    build_group_get,
    build_group_settings,
    build_io_control,
    build_refresh,
    build_userdata_delete,
    build_userdata_insert,
    build_userdata_update,
    decode_object,
    encode,
    new_token,
    parse_custom_groups,
    parse_event,
    parse_response,
    validate_token,
)

from .spec_examples import CUSTOM_GROUPS, ONE_WIRE_REFRESH_RESP, TOKEN

#: §3.2.1 cases 3 and 4, §3.2.2: the interest used by the general examples.
GENERAL_INTEREST = {
    "gnss.latitude": "lat",
    "gnss.longitude": "lon",
    "obd.speed": "speed",
    "obd.odo": "",
}
#: §3.4.1: every digital output and pull-up, with the digit-zero spelling.
IO_CONTROL_EXAMPLE = {
    "client_token": TOKEN,
    **{key: 0 for n in range(1, 5) for key in (f"io.D0{n}", f"io.D0{n}_pullup")},
}
CANONICAL_OUTPUTS = [
    key for n in range(1, 5) for key in (f"io.DO{n}", f"io.DO{n}_pullup")
]


def _interest(count: int) -> dict[str, str]:
    return {f"userdata.k{n}": "" for n in range(count)}


def _groups(count: int) -> list[CustomGroup]:
    return [CustomGroup(f"group{n}", interval=60) for n in range(count)]


# ---------------------------------------------------------------------------
# Settings (§3.2)


@pytest.mark.parametrize(
    ("interval", "interest", "expected"),
    [
        # §3.2.1 case 1: disable uploading
        (0, None, {"client_token": TOKEN, "interval": 0}),
        # §3.2.1 case 2: only the interval
        (60, None, {"client_token": TOKEN, "interval": 60}),
        # §3.2.1 case 3: only the interest
        (None, GENERAL_INTEREST, {"client_token": TOKEN, "interest": GENERAL_INTEREST}),
        # §3.2.1 case 4 and §3.2.2 summary: both
        (
            60,
            GENERAL_INTEREST,
            {"client_token": TOKEN, "interval": 60, "interest": GENERAL_INTEREST},
        ),
        # §3.2.3 OBD
        (
            60,
            {"obd.mil": "MIL", "obd.dtcs": "dtcNum", "obd.rpm": "engineSpeed"},
            {
                "client_token": TOKEN,
                "interval": 60,
                "interest": {
                    "obd.mil": "MIL",
                    "obd.dtcs": "dtcNum",
                    "obd.rpm": "engineSpeed",
                },
            },
        ),
        # §3.2.4 GNSS
        (
            60,
            {"gnss.latitude": "lat", "gnss.longitude": "lon", "gnss.altitude": "alt"},
            {
                "client_token": TOKEN,
                "interval": 60,
                "interest": {
                    "gnss.latitude": "lat",
                    "gnss.longitude": "lon",
                    "gnss.altitude": "alt",
                },
            },
        ),
        # §3.2.5 Motion
        (
            60,
            {
                "motion.ax": "acceleration_x",
                "motion.ay": "acceleration_y",
                "motion.az": "acceleration_z",
            },
            {
                "client_token": TOKEN,
                "interval": 60,
                "interest": {
                    "motion.ax": "acceleration_x",
                    "motion.ay": "acceleration_y",
                    "motion.az": "acceleration_z",
                },
            },
        ),
        # §3.2.6 IO
        (
            60,
            {"io.AI1": "ai1", "io.AI2": "ai2", "io.AI3": "ai3"},
            {
                "client_token": TOKEN,
                "interval": 60,
                "interest": {"io.AI1": "ai1", "io.AI2": "ai2", "io.AI3": "ai3"},
            },
        ),
        # §3.2.7 Cellular1
        (
            60,
            {
                "modem1.active_sim": "active_sim",
                "modem1.signal_lvl": "signal_lvl",
                "cellular1.status": "status",
            },
            {
                "client_token": TOKEN,
                "interval": 60,
                "interest": {
                    "modem1.active_sim": "active_sim",
                    "modem1.signal_lvl": "signal_lvl",
                    "cellular1.status": "status",
                },
            },
        ),
        # §3.2.8.3 user data interest
        (
            60,
            {
                "userdata.custom_key": "custom_key",
                "userdata.serial_number": "serial_number",
            },
            {
                "client_token": TOKEN,
                "interval": 60,
                "interest": {
                    "userdata.custom_key": "custom_key",
                    "userdata.serial_number": "serial_number",
                },
            },
        ),
        # §3.2.9 1-Wire
        (
            20,
            {
                "1-wire.temp1_data": "data1",
                "1-wire.temp1_id": "ID1",
                "1-wire.temp1_name": "name1",
            },
            {
                "client_token": TOKEN,
                "interval": 20,
                "interest": {
                    "1-wire.temp1_data": "data1",
                    "1-wire.temp1_id": "ID1",
                    "1-wire.temp1_name": "name1",
                },
            },
        ),
        # Limits: 3600 s and 256 items are allowed.
        (
            3600,
            _interest(256),
            {"client_token": TOKEN, "interval": 3600, "interest": _interest(256)},
        ),
    ],
)
def test_group_settings_match_spec(
    interval: int | None, interest: dict[str, str] | None, expected: dict[str, Any]
) -> None:
    assert build_group_settings(TOKEN, interval=interval, interest=interest) == expected


@pytest.mark.parametrize("builder", [build_refresh, build_group_get])
def test_refresh_and_group_get(builder: Any) -> None:
    # §3.3.x, §4.1.2, §4.3: only the token.
    assert builder(TOKEN) == {"client_token": TOKEN}


@pytest.mark.parametrize("interval", [-1, 3601, "60", True, False, 60.0, 1e9], ids=repr)
def test_invalid_interval(interval: Any) -> None:
    with pytest.raises(FlexApiValueError, match="interval"):
        build_group_settings(TOKEN, interval=interval)


@pytest.mark.parametrize(
    "interest",
    [
        {},
        _interest(257),
        {"obd.mil": 1},
        {"obd.mil": None},
        {"obd.mil": "x", "obd.dtcs": "x"},  # duplicate alias
        {"obd.mil": "obd.dtcs", "obd.dtcs": ""},  # alias shadows another key
        {"lat": ""},  # not a parameter key
        {"": ""},
        {1: "a"},
        ["obd.mil"],
        "obd.mil",
    ],
    ids=repr,
)
def test_invalid_interest(interest: Any) -> None:
    with pytest.raises(FlexApiValueError):
        build_group_settings(TOKEN, interest=interest)


def test_settings_need_interval_or_interest() -> None:
    with pytest.raises(FlexApiValueError):
        build_group_settings(TOKEN)


def test_alias_equal_to_its_key_and_empty_aliases_are_fine() -> None:
    interest = {"obd.mil": "obd.mil", "obd.dtcs": "", "obd.rpm": ""}
    assert build_group_settings(TOKEN, interest=interest)["interest"] == interest


# ---------------------------------------------------------------------------
# Tokens


@pytest.mark.parametrize(
    "token",
    ["", "a" * 257, "é" * 129, None, 123, b"token"],  # "é" * 129: 129 chars, 258 bytes
    ids=repr,
)
def test_invalid_tokens(token: Any) -> None:
    with pytest.raises(FlexApiValueError):
        validate_token(token)
    with pytest.raises(FlexApiValueError):
        build_refresh(token)


@pytest.mark.parametrize("token", ["a", "a" * 256, "é" * 128, TOKEN])
def test_valid_tokens(token: str) -> None:
    assert validate_token(token) == token
    assert build_refresh(token) == {"client_token": token}


def test_new_token() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert validate_token(token) == token
        assert len(token.encode()) <= 256
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)


# ---------------------------------------------------------------------------
# Custom groups (§4.1)


def test_create_two_custom_groups() -> None:
    # §4.1.1
    groups = [
        CustomGroup(g["group_name"], g["interval"], g["interest"])
        for g in CUSTOM_GROUPS
    ]
    assert build_custom_group_set(TOKEN, groups) == {
        "client_token": TOKEN,
        "settings": CUSTOM_GROUPS,
    }


def test_custom_group_settings_cases() -> None:
    groups = [
        CustomGroup("off", interval=0),
        CustomGroup("only_interest", interest={"obd.odo": ""}),
    ]
    assert build_custom_group_set(TOKEN, groups)["settings"] == [
        {"group_name": "off", "interval": 0},
        {"group_name": "only_interest", "interest": {"obd.odo": ""}},
    ]


def test_remove_two_custom_groups() -> None:
    # §4.1.3
    assert build_custom_group_remove(TOKEN, ["group1", "group2"]) == {
        "client_token": TOKEN,
        "settings": [
            {"group_name": "group1", "interest": None},
            {"group_name": "group2", "interest": None},
        ],
    }


def test_remove_names_each_group_once() -> None:
    payload = build_custom_group_remove(TOKEN, ["group1", "group1"])
    assert payload["settings"] == [{"group_name": "group1", "interest": None}]


def test_sixteen_groups_allowed() -> None:
    assert len(build_custom_group_set(TOKEN, _groups(16))["settings"]) == 16
    names = [f"group{n}" for n in range(16)]
    assert len(build_custom_group_remove(TOKEN, names)["settings"]) == 16


@pytest.mark.parametrize(
    "groups",
    [
        [],
        _groups(17),
        [CustomGroup("group1", 60), CustomGroup("group1", 30)],
        [CustomGroup("group1")],  # neither interval nor interest
        [CustomGroup("group1", -1)],
        [CustomGroup("group1", interest={})],
        *[
            [CustomGroup(name, 60)]
            for name in (
                "summary",
                "group",
                "1-wire",
                "event",
                "a/b",
                "+",
                "#",
                "",
                "a\x00",
            )
        ],
    ],
    ids=repr,
)
def test_invalid_custom_group_set(groups: list[CustomGroup]) -> None:
    with pytest.raises(FlexApiValueError):
        build_custom_group_set(TOKEN, groups)


@pytest.mark.parametrize(
    "names",
    [[], [f"group{n}" for n in range(17)], ["gnss"], ["a/b"], [""], [None], "group1"],
    ids=repr,
)
def test_invalid_custom_group_remove(names: Any) -> None:
    # A bare string is not a list of names (it would remove "g", "r", ...).
    with pytest.raises(FlexApiValueError):
        build_custom_group_remove(TOKEN, names)


def test_parse_custom_groups_from_get() -> None:
    # §4.1.2: the result echoes the §4.1.1 settings.
    result = parse_response({"client_token": TOKEN, "result": CUSTOM_GROUPS})
    assert result is not None
    assert parse_custom_groups(result.raise_for_error()) == [
        CustomGroup(g["group_name"], g["interval"], g["interest"])
        for g in CUSTOM_GROUPS
    ]


def test_parse_custom_groups_round_trip() -> None:
    groups = parse_custom_groups(CUSTOM_GROUPS)
    assert groups is not None
    assert build_custom_group_set(TOKEN, groups)["settings"] == CUSTOM_GROUPS


def test_parse_custom_groups_from_remove() -> None:
    # §4.1.3 result: interest null, no interval.
    result = [
        {"group_name": "group1", "interest": None},
        {"group_name": "group2", "interest": None},
    ]
    assert parse_custom_groups(result) == [CustomGroup("group1"), CustomGroup("group2")]


def test_parse_custom_groups_tolerates_garbage() -> None:
    result = [
        {
            "group_name": "ok",
            "interval": "sixty",
            "interest": {"obd.odo": "", "obd.rpm": 5},
        },
        {"group_name": "typed", "interval": "60", "interest": None},
        {"group_name": "range", "interval": 3601, "interest": ["obd.odo"]},
        {"interval": 60},
        {"group_name": 5},
        "group3",
        None,
    ]
    assert parse_custom_groups(result) == [
        CustomGroup("ok", None, {"obd.odo": ""}),
        CustomGroup("typed", 60, None),
        CustomGroup("range", None, None),
    ]


@pytest.mark.parametrize("result", [None, {}, "x", {"group_name": "g"}])
def test_parse_custom_groups_needs_a_list(result: Any) -> None:
    assert parse_custom_groups(result) is None


# ---------------------------------------------------------------------------
# User data (§3.2.8)

USERDATA_INSERT = {
    "userdata.custom_key": "custom_value",
    "userdata.serial_number": "SN0125",
}


@pytest.mark.parametrize(
    "data", [USERDATA_INSERT, {"custom_key": "custom_value", "serial_number": "SN0125"}]
)
def test_userdata_insert(data: dict[str, str]) -> None:
    # §3.2.8.1; keys may be given without the "userdata." prefix.
    assert build_userdata_insert(TOKEN, data) == {
        "client_token": TOKEN,
        "insert": USERDATA_INSERT,
    }


@pytest.mark.parametrize(
    "data", [{"userdata.serial_number": "SN0232"}, {"serial_number": "SN0232"}]
)
def test_userdata_update(data: dict[str, str]) -> None:
    # §3.2.8.2
    assert build_userdata_update(TOKEN, data) == {
        "client_token": TOKEN,
        "update": {"userdata.serial_number": "SN0232"},
    }


@pytest.mark.parametrize(
    "keys", [["userdata.serial_number"], ["serial_number"], ("serial_number",)]
)
def test_userdata_delete(keys: Any) -> None:
    # §3.2.8.4: the example maps each key to its bare name.
    assert build_userdata_delete(TOKEN, keys) == {
        "client_token": TOKEN,
        "delete": {"userdata.serial_number": "serial_number"},
    }


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"userdata.a": 1},
        {"userdata.a": None},
        {"": "x"},
        {"userdata.": "x"},
        {5: "x"},
        _interest(257),
        ["a"],
    ],
    ids=repr,
)
@pytest.mark.parametrize("builder", [build_userdata_insert, build_userdata_update])
def test_invalid_userdata_values(builder: Any, data: Any) -> None:
    with pytest.raises(FlexApiValueError):
        builder(TOKEN, data)


@pytest.mark.parametrize(
    "keys", [[], [""], ["userdata."], [5], [None], "serial_number"], ids=repr
)
def test_invalid_userdata_delete(keys: Any) -> None:
    with pytest.raises(FlexApiValueError):
        build_userdata_delete(TOKEN, keys)


# ---------------------------------------------------------------------------
# Control (§3.4)


def test_io_control_in_the_devices_digit_zero_spelling() -> None:
    # §3.4.1: the device spoke io.D01..., so we answer io.D01...
    digit_zero = dict.fromkeys(CANONICAL_OUTPUTS, True)
    values = dict.fromkeys(CANONICAL_OUTPUTS, 0)
    assert build_io_control(TOKEN, values, digit_zero) == IO_CONTROL_EXAMPLE


@pytest.mark.parametrize(
    "digit_zero", [None, {}, dict.fromkeys(CANONICAL_OUTPUTS, False)]
)
def test_io_control_defaults_to_letter_o(digit_zero: dict[str, bool] | None) -> None:
    values = dict.fromkeys(CANONICAL_OUTPUTS, 1)
    assert build_io_control(TOKEN, values, digit_zero) == {
        "client_token": TOKEN,
        **dict.fromkeys(CANONICAL_OUTPUTS, 1),
    }


def test_io_control_accepts_digit_zero_input_keys() -> None:
    values = {"io.D01": 1, "io.D02_pullup": 0}
    assert build_io_control(TOKEN, values) == {
        "client_token": TOKEN,
        "io.DO1": 1,
        "io.DO2_pullup": 0,
    }
    assert build_io_control(TOKEN, values, {"io.DO1": True}) == {
        "client_token": TOKEN,
        "io.D01": 1,
        "io.DO2_pullup": 0,
    }


def test_io_control_mixed_spelling_and_di_pullups() -> None:
    # 1.0.9 can set DI pull-ups; those never take the digit-zero spelling.
    digit_zero = {"io.DO2": True, "io.DI3_pullup": True}
    payload = build_io_control(
        TOKEN, {"io.DO1": True, "io.DO2": False, "io.DI3_pullup": True}, digit_zero
    )
    assert payload == {
        "client_token": TOKEN,
        "io.DO1": 1,
        "io.D02": 0,
        "io.DI3_pullup": 1,
    }
    assert all(type(value) is int for value in payload.values() if value != TOKEN)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"io.DO1": 2},
        {"io.DO1": -1},
        {"io.DO1": "1"},
        {"io.DO1": 1.0},
        {"io.DO1": None},
        {"io.DI1": 1},  # inputs cannot be set
        {"io.AI1": 1},
        {"io.DO5": 1},
        {"io.D05": 1},
        {"io.DI7_pullup": 1},
        {"gnss.fix": 1},
        {"DO1": 1},
    ],
    ids=repr,
)
def test_invalid_io_control(values: dict[str, Any]) -> None:
    with pytest.raises(FlexApiValueError):
        build_io_control(TOKEN, values)


def test_app_control() -> None:
    # §3.4.2
    values = {"app.wifi_mode_2g": 0, "app.wifi_mode_5g": 0}
    assert build_app_control(TOKEN, values) == {"client_token": TOKEN, **values}
    assert build_app_control(TOKEN, {"app.wifi_mode_5g": 1}) == {
        "client_token": TOKEN,
        "app.wifi_mode_5g": 1,
    }


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"app.wifi_mode_2g": -1},  # status only
        {"app.wifi_mode_2g": 2},
        {"app.wifi_mode_2g": True},
        {"app.wifi_mode_2g": "0"},
        {"app.wifi_mode_2g": None},
        {"app.other": 0},
    ],
    ids=repr,
)
def test_invalid_app_control(values: dict[str, Any]) -> None:
    with pytest.raises(FlexApiValueError):
        build_app_control(TOKEN, values)


# ---------------------------------------------------------------------------
# Payload encoding


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"a": 1}', {"a": 1}),
        (bytearray(b'{"a": [1, 2]}'), {"a": [1, 2]}),
        ('{"é": null}', {"é": None}),
        (b"", None),
        (b"garbage", None),
        (b"{", None),
        (b"[1, 2]", None),
        (b'"text"', None),
        (b"1", None),
        (b"null", None),
        (b"\xff\xfe", None),
        (None, None),
        (5, None),
    ],
)
def test_decode_object(payload: Any, expected: dict[str, Any] | None) -> None:
    assert decode_object(payload) == expected


def test_encode_is_compact_utf8_and_round_trips() -> None:
    payload = {"client_token": TOKEN, "userdata.name": "café", "interest": None}
    text = encode(payload)
    assert (
        text == f'{{"client_token":"{TOKEN}","userdata.name":"café","interest":null}}'
    )
    assert decode_object(text) == payload
    assert decode_object(text.encode()) == payload


# ---------------------------------------------------------------------------
# Responses (§2.1)

ALL_ERROR_CODES = [
    # rev 1.0.8 §2.1.2
    "auth_failed",
    "invalid_parameter",
    "not_found",
    "device_busy",
    "device_error",
    "data_invalid",
    # rev 1.0.9
    "invalid_token",
    "data_empty",
    "over_group_num",
    "over_data_num",
    "find_same_key",
    "interval_invalid",
    "not_support",
]


def test_parse_success() -> None:
    # §3.2.3 success response
    result = {"interval": 60, "interest": {"obd.mil": "MIL", "obd.dtcs": "dtcNum"}}
    response = parse_response({"client_token": TOKEN, "result": result})
    assert response == Response(TOKEN, result=result)
    assert response.ok
    assert response.raise_for_error() == result


def test_parse_success_with_null_result() -> None:
    response = parse_response({"client_token": TOKEN, "result": None})
    assert response == Response(TOKEN, result=None)
    assert response.ok


@pytest.mark.parametrize("code", ALL_ERROR_CODES)
def test_parse_failure(code: str) -> None:
    response = parse_response(
        {
            "client_token": TOKEN,
            "error": code,
            "error_desc": "Invalid request parameter",
        }
    )
    assert response == Response(
        TOKEN, error=code, error_desc="Invalid request parameter"
    )
    assert not response.ok
    with pytest.raises(FlexApiResponseError) as caught:
        response.raise_for_error()
    assert caught.value.code == code
    assert caught.value.description == "Invalid request parameter"
    assert caught.value.meaning
    assert code in str(caught.value)


def test_every_error_code_has_a_distinct_meaning() -> None:
    assert {str(code) for code in ErrorCode} == set(ALL_ERROR_CODES)
    meanings = [FlexApiResponseError(code).meaning for code in ALL_ERROR_CODES]
    generic = FlexApiResponseError("no_such_code").meaning
    assert len(set(meanings)) == len(ALL_ERROR_CODES)
    assert generic not in meanings


@pytest.mark.parametrize(
    ("obj", "error", "desc"),
    [
        ({"error": "brand_new_code"}, "brand_new_code", None),
        ({"error": None, "error_desc": "x"}, "device_error", "x"),
        ({"error": 5, "error_desc": 7}, "5", None),
    ],
)
def test_parse_odd_failures(obj: dict[str, Any], error: str, desc: str | None) -> None:
    response = parse_response(obj)
    assert response is not None
    assert (response.token, response.error, response.error_desc) == (None, error, desc)
    with pytest.raises(FlexApiResponseError) as caught:
        response.raise_for_error()
    assert caught.value.code == error
    assert caught.value.meaning


def test_parse_bare_one_wire_response() -> None:
    # §3.3.10: no token, no result wrapper: the object is the result.
    response = parse_response(ONE_WIRE_REFRESH_RESP)
    assert response == Response(None, result=ONE_WIRE_REFRESH_RESP)
    assert response.ok


def test_parse_bare_response_with_token_drops_the_token() -> None:
    response = parse_response({"client_token": TOKEN, "1-wire.temp_num": 2})
    assert response == Response(TOKEN, result={"1-wire.temp_num": 2})


@pytest.mark.parametrize("token", [123, 1.5, True, [], {}, ["x"]], ids=repr)
def test_parse_response_with_non_string_token(token: Any) -> None:
    assert parse_response({"client_token": token, "result": {}}) is None
    assert parse_response({"client_token": token, "error": "device_busy"}) is None


# ---------------------------------------------------------------------------
# Events (rev 1.0.9)

EVENT = {
    "starts_at": 1650000000,
    "status": "raise",
    "type": "DI_CHG",
    "level": 1,
    "io.DI1": 1,
    "gnss.latitude": 40.232213,
    "motion.ax": 0.08,
    "obd.speed": 20,
    "other": "dropped",
    "modem1.rssi": -70,
}
EVENT_DATA = {
    "io.DI1": 1,
    "gnss.latitude": 40.232213,
    "motion.ax": 0.08,
    "obd.speed": 20,
}


@pytest.mark.parametrize(
    "obj",
    [EVENT, {"topic": "v1/dev/event/notice", "payload": EVENT}, {"payload": EVENT}],
    ids=["bare", "wrapped", "payload-only"],
)
def test_parse_event(obj: dict[str, Any]) -> None:
    assert parse_event(obj) == FlexEvent(
        type="DI_CHG",
        status="raise",
        level=1,
        starts_at=1650000000,
        ends_at=None,
        data=EVENT_DATA,
    )


def test_parse_cleared_event() -> None:
    event = parse_event({**EVENT, "status": "clear", "ends_at": "1650000060"})
    assert event is not None
    assert (event.status, event.starts_at, event.ends_at) == (
        "clear",
        1650000000,
        1650000060,
    )


@pytest.mark.parametrize(
    ("level", "name"),
    [
        (5, "emergency"),
        (4, "alert"),
        (3, "error"),
        (2, "warning"),
        (1, "notice"),
        ("3", "error"),
        (0, None),
        (6, None),
        (None, None),
    ],
)
def test_event_levels(level: Any, name: str | None) -> None:
    event = parse_event({**EVENT, "level": level})
    assert event is not None
    assert event.level_name == name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1650000000.9, 1650000000),
        ("1650000000", 1650000000),
        ("abc", None),
        (True, None),
        ([], None),
        ("inf", None),
        ("1e999", None),
        ("nan", None),
        (None, None),
    ],
    ids=repr,
)
def test_event_numbers_never_raise(raw: Any, expected: int | None) -> None:
    event = parse_event({**EVENT, "starts_at": raw, "ends_at": raw, "level": raw})
    assert event is not None
    assert (event.starts_at, event.ends_at, event.level) == (
        expected,
        expected,
        expected,
    )


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"status": "raise"},
        {"type": "DI_CHG"},
        {"type": "", "status": "raise"},
        {"type": 5, "status": "raise"},
        {"type": "DI_CHG", "status": "open"},
        {"type": "DI_CHG", "status": None},
        {"topic": "v1/dev/event/notice", "payload": "not an object"},
        {"topic": "v1/dev/event/notice", "payload": {"type": "DI_CHG"}},
    ],
    ids=repr,
)
def test_parse_event_rejects_incomplete_events(obj: dict[str, Any]) -> None:
    assert parse_event(obj) is None


def test_decode_keeps_the_good_keys_around_an_unrepresentable_number() -> None:
    """orjson refuses 1e400 for the whole document; we keep the rest."""
    decoded = messages.decode_object(
        b'{"a": 1e400, "b": 2, "c": 123456789012345678901234567890, "d": NaN}'
    )
    assert decoded == {"a": None, "b": 2, "c": 1.2345678901234568e29, "d": None}


@pytest.mark.parametrize("level", ["1e300", 1e300, 2**60, "inf"])
def test_event_level_beyond_exact_integers_is_unknown(level: Any) -> None:
    event = messages.parse_event({"type": "DI_CHG", "status": "raise", "level": level})
    assert event is not None
    assert event.level is None


# ---------------------------------------------------------------------------
# Result echoes (§2.1.1)


@pytest.mark.parametrize(
    ("requested", "result", "unapplied"),
    [
        # §3.2.1 examples: the echo repeats what was sent.
        ({"client_token": TOKEN, "interval": 0}, {"interval": 0}, []),
        ({"interval": 60}, {"interval": 60, "interest": {"a.b": ""}}, []),
        (
            {"interval": 60, "interest": {"obd.mil": "MIL", "obd.dtcs": ""}},
            {"interest": {"obd.dtcs": "", "obd.mil": "MIL"}, "interval": 60},
            [],
        ),
        # Strings for typed values, bools for 0/1, the digit-zero spelling.
        ({"interval": 60}, {"interval": "60"}, []),
        ({"interval": 60}, {"interval": 60.0}, []),
        ({"io.DO1": 1, "io.D02": 0}, {"io.D01": True, "io.DO2": "0"}, []),
        ({"app.wifi_mode_2g": 1}, {"app.wifi_mode_2g": 1}, []),
        ({"interest": None}, {"group_name": "g", "interest": None}, []),
        # What the echo leaves out or reports otherwise.
        (
            {"interval": 60, "interest": {"obd.mil": "M"}},
            {"interval": 60},
            ["interest"],
        ),
        ({"interval": 60}, {"interval": 30}, ["interval"]),
        ({"interval": 60}, {"interval": "sixty"}, ["interval"]),
        ({"interval": 60}, {"interval": None}, ["interval"]),
        ({"interest": {"obd.mil": "M"}}, {"interest": {"obd.mil": ""}}, ["interest"]),
        ({"interest": {"obd.mil": "M"}}, {"interest": {}}, ["interest"]),
        (
            {"interest": {"obd.mil": "M"}},
            {"interest": {"obd.mil": "M", "obd.rpm": ""}},
            ["interest"],
        ),
        ({"interest": {"obd.mil": "M"}}, {"interest": "obd.mil"}, ["interest"]),
        ({"interest": None}, {"group_name": "g"}, ["interest"]),
        ({"interest": None}, {"interest": {}}, ["interest"]),
        ({"io.D01": 1, "io.DO2": 1}, {"io.DO1": 0, "io.DO2": 1}, ["io.DO1"]),
        ({"io.DO1": 1}, {"io.DO1": "on"}, ["io.DO1"]),
        ({"userdata.k": "v"}, {"userdata.k": "w"}, ["userdata.k"]),
        ({"userdata.k": "1"}, {"userdata.k": 1}, ["userdata.k"]),
        # A result that is no object confirms nothing.
        ({"client_token": TOKEN, "a.x": 1, "a.y": 2}, None, ["a.x", "a.y"]),
        ({"a.x": 1}, [{"a.x": 1}], ["a.x"]),
        ({"a.x": 1}, "ok", ["a.x"]),
        ({"a.x": 1}, {}, ["a.x"]),
        ({"client_token": TOKEN}, None, []),
    ],
)
def test_unapplied_keys(
    requested: dict[str, Any], result: Any, unapplied: list[str]
) -> None:
    assert messages.unapplied_keys(requested, result) == unapplied


def test_unapplied_keys_compare_big_integers_exactly() -> None:
    big = 2**60
    assert messages.unapplied_keys({"a.x": big}, {"a.x": big}) == []
    assert messages.unapplied_keys({"a.x": big}, {"a.x": big + 1}) == ["a.x"]


@pytest.mark.parametrize(
    ("requested", "result", "confirmed"),
    [
        (
            {"client_token": TOKEN, "interval": 60, "interest": {"obd.mil": "M"}},
            {"interval": 60, "interest": {"obd.mil": "M"}},
            {"interval": 60, "interest": {"obd.mil": "M"}},
        ),
        # Only what was sent is taken from the echo.
        (
            {"interval": 60},
            {"interval": 60, "interest": {"obd.mil": "M"}},
            {"interval": 60},
        ),
        ({"interest": {"obd.mil": "M"}}, {"interval": 5}, {}),
        # The device's value, valid, even where it differs from the request.
        ({"interval": 60}, {"interval": "30"}, {"interval": 30}),
        (
            {"interest": {"obd.mil": "M", "obd.rpm": "R"}},
            {"interest": {"obd.mil": "M", "obd.rpm": 5}},
            {"interest": {"obd.mil": "M"}},
        ),
        ({"interval": 60}, {"interval": 3601}, {}),
        ({"interval": 60}, {"interval": 1.5}, {}),
        ({"interval": 60}, {"interval": True}, {}),
        ({"interest": {"obd.mil": "M"}}, {"interest": None}, {}),
        ({"interval": 60}, None, {}),
        ({"interval": 60}, [60], {}),
    ],
)
def test_confirmed_settings(
    requested: dict[str, Any], result: Any, confirmed: dict[str, Any]
) -> None:
    assert messages.confirmed_settings(requested, result) == confirmed


def test_group_set_echoes_by_name() -> None:
    assert messages.group_set_echoes(CUSTOM_GROUPS) == {
        group["group_name"]: group for group in CUSTOM_GROUPS
    }
    garbage = [{"interval": 5}, {"group_name": 3}, "x", None, {"group_name": "g"}]
    assert messages.group_set_echoes(garbage) == {"g": {"group_name": "g"}}
    for result in (None, {}, {"group_name": "g"}, "g"):
        assert messages.group_set_echoes(result) == {}


@pytest.mark.parametrize(
    ("value", "interval"),
    [
        (0, 0),
        (3600, 3600),
        ("60", 60),
        (60.0, 60),
        (-1, None),
        (3601, None),
        (1.5, None),
        (True, None),
        (None, None),
        ("x", None),
        ("inf", None),
        ([1], None),
    ],
)
def test_parse_interval(value: Any, interval: int | None) -> None:
    assert messages.parse_interval(value) == interval
