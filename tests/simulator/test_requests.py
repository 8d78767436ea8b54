"""Request handling of a simulated device: set, refresh, get, control, errors."""

from __future__ import annotations

import json

import pytest

from simulator.catalog import GROUP_KEYS, UPLOAD_GROUPS
from tests.protocol.spec_examples import CUSTOM_GROUPS

from .conftest import Harness, make_device

TOKEN = "3bzJQ200UkLS6061Mhw3muUv73ycUT7J"


def error_of(response: dict[str, object]) -> object:
    """The error code of a response, checking the error shape."""
    assert set(response) == {"client_token", "error", "error_desc"}
    assert isinstance(response["error_desc"], str)
    return response["error"]


# -- the four interval/interest cases (§3.2.1) ---------------------------------------


@pytest.mark.parametrize("group", UPLOAD_GROUPS)
def test_set_interval_only(harness: Harness, group: str) -> None:
    response = harness.ask(f"{group}/set", {"client_token": TOKEN, "interval": 60})
    assert response == {"client_token": TOKEN, "result": {"interval": 60}}
    assert harness.device.groups[group].interval == 60


def test_interval_zero_disables_uploads(harness: Harness) -> None:
    device = harness.device
    device.start(harness.now)
    response = harness.ask("gnss/set", {"client_token": TOKEN, "interval": 0})
    assert response["result"] == {"interval": 0}
    topics = {m.topic for m in device.tick(harness.now + 100)}
    assert device.topic("gnss/info") not in topics
    assert device.topic("obd/info") in topics


def test_set_interest_only_renames_by_alias(harness: Harness) -> None:
    interest = {"obd.mil": "MIL", "obd.dtcs": "dtcNum", "obd.rpm": "engineSpeed"}
    response = harness.ask("obd/set", {"client_token": TOKEN, "interest": interest})
    assert response == {"client_token": TOKEN, "result": {"interest": interest}}
    assert harness.device.groups["obd"].interval == 10
    upload = harness.upload("obd")
    assert set(upload) == {"MIL", "dtcNum", "engineSpeed"}
    assert upload["MIL"] in (0, 1)
    assert isinstance(upload["dtcNum"], int)
    assert isinstance(upload["engineSpeed"], int)


def test_set_interval_and_interest(harness: Harness) -> None:
    interest = {
        "gnss.latitude": "lat",
        "gnss.longitude": "lon",
        "obd.speed": "speed",
        "obd.odo": "",
    }
    body = {"client_token": TOKEN, "interval": 60, "interest": interest}
    response = harness.ask("summary/set", body)
    assert response == {
        "client_token": TOKEN,
        "result": {"interval": 60, "interest": interest},
    }
    assert set(harness.upload("summary")) == {"lat", "lon", "speed", "obd.odo"}
    refreshed = harness.ask("summary/refresh", {"client_token": TOKEN})
    assert set(refreshed["result"]) == {"lat", "lon", "speed", "obd.odo"}


def test_empty_interest_restores_default(harness: Harness) -> None:
    harness.ask("gnss/set", {"client_token": TOKEN, "interest": {"gnss.fix": ""}})
    assert set(harness.upload("gnss")) == {"gnss.fix"}
    harness.ask("gnss/set", {"client_token": TOKEN, "interest": {}})
    assert "gnss.latitude" in harness.upload("gnss")


def test_interest_keeps_value_types(harness: Harness) -> None:
    interest = {"io.AI1": "ai1", "io.DI1": "di1", "io.ts": ""}
    harness.ask("io/set", {"client_token": TOKEN, "interest": interest})
    upload = harness.upload("io")
    assert isinstance(upload["ai1"], float)
    assert upload["di1"] == 0
    assert upload["io.ts"] == int(harness.now)


def test_new_interval_reschedules(harness: Harness) -> None:
    device = harness.device
    device.start(harness.now)
    device.tick(harness.now)
    harness.ask("io/set", {"client_token": TOKEN, "interval": 30})
    info = device.topic("io/info")
    assert info not in {m.topic for m in device.tick(harness.now + 29)}
    assert info in {m.topic for m in device.tick(harness.now + 30)}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"client_token": TOKEN}, "invalid_parameter"),
        ({"client_token": TOKEN, "interval": "60"}, "invalid_parameter"),
        ({"client_token": TOKEN, "interval": 60.5}, "invalid_parameter"),
        ({"client_token": TOKEN, "interval": True}, "invalid_parameter"),
        ({"client_token": TOKEN, "interval": 3601}, "interval_invalid"),
        ({"client_token": TOKEN, "interval": -1}, "interval_invalid"),
        ({"client_token": TOKEN, "interest": None}, "invalid_parameter"),
        ({"client_token": TOKEN, "interest": ["gnss.fix"]}, "invalid_parameter"),
        ({"client_token": TOKEN, "interest": {"gnss.fix": 1}}, "invalid_parameter"),
        ({"client_token": TOKEN, "interest": {"obd.rpm": ""}}, "invalid_parameter"),
        ({"client_token": TOKEN, "interest": {"gnss.nope": ""}}, "invalid_parameter"),
        (
            {"client_token": TOKEN, "interest": {"gnss.fix": "x", "gnss.ts": "x"}},
            "invalid_parameter",
        ),
        (
            {
                "client_token": TOKEN,
                "interest": {f"gnss.k{n}": "" for n in range(257)},
            },
            "over_data_num",
        ),
    ],
)
def test_set_errors(harness: Harness, body: dict[str, object], error: str) -> None:
    response = harness.ask("gnss/set", body)
    assert response["client_token"] == TOKEN
    assert error_of(response) == error
    assert harness.device.groups["gnss"].interval == 10
    assert harness.device.groups["gnss"].interest is None


def test_failed_set_changes_nothing(harness: Harness) -> None:
    body = {"client_token": TOKEN, "interval": 60, "interest": {"bad.key": ""}}
    assert error_of(harness.ask("obd/set", body)) == "invalid_parameter"
    assert harness.device.groups["obd"].interval == 10


def test_summary_interest_accepts_part_keys_only(harness: Harness) -> None:
    ok = {"client_token": TOKEN, "interest": {"motion.yaw": "", "io.D01": "do1"}}
    assert "result" in harness.ask("summary/set", ok)
    bad = {"client_token": TOKEN, "interest": {"modem1.imei": ""}}
    assert error_of(harness.ask("summary/set", bad)) == "invalid_parameter"


@pytest.mark.parametrize(
    ("group", "error"), [("sysinfo", "not_support"), ("nope", "not_found")]
)
def test_set_unknown_group(harness: Harness, group: str, error: str) -> None:
    response = harness.ask(f"{group}/set", {"client_token": TOKEN, "interval": 5})
    assert error_of(response) == error


# -- refresh --------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["summary", "gnss", "motion", "io", "obd"])
def test_refresh_omits_group_ts(harness: Harness, group: str) -> None:
    response = harness.ask(f"{group}/refresh", {"client_token": TOKEN})
    assert response["client_token"] == TOKEN
    result = response["result"]
    assert not [key for key in result if key.endswith(".ts")]
    assert result
    assert set(result) <= set(GROUP_KEYS[group])


def test_refresh_cellular_keeps_timestamps(harness: Harness) -> None:
    result = harness.ask("cellular1/refresh", {"client_token": TOKEN})["result"]
    assert result["modem1.ts"] == int(harness.now)
    assert result["cellular1.ts"] == int(harness.now)
    assert result["modem1.network"] in (3, 4)
    assert ("modem1.submode" in result) == (result["modem1.network"] == 4)


def test_refresh_sysinfo(harness: Harness) -> None:
    result = harness.ask("sysinfo/refresh", {"client_token": TOKEN})["result"]
    assert result["sysinfo.model_name"] == "VG710"
    assert result["sysinfo.oem_name"] == "inhand"
    assert result["sysinfo.serial_number"].startswith("VG710")
    assert result["sysinfo.lan_mac"].startswith("00:18:05:")
    assert result["sysinfo.power_management_version"]
    assert set(result) == set(GROUP_KEYS["sysinfo"])


def test_sysinfo_identity_unique_and_stable() -> None:
    macs = {make_device(client_id=f"dev-{n}").state.identity.lan_mac for n in range(50)}
    assert len(macs) == 50
    one = make_device(client_id="dev-1", seed=1).state.identity
    assert one == make_device(client_id="dev-1", seed=2).state.identity


def test_refresh_userdata_and_app(harness: Harness) -> None:
    userdata = harness.ask("userdata/refresh", {"client_token": TOKEN})
    assert userdata["result"] == {
        "userdata.custom_key": "custom_value",
        "userdata.serial_number": "SN0125",
    }
    app = harness.ask("app/refresh", {"client_token": TOKEN})
    assert app["result"] == {"app.wifi_mode_2g": 0, "app.wifi_mode_5g": 0}


def test_onewire_refresh_is_bare(harness: Harness) -> None:
    response = harness.ask("1-wire/refresh", {"client_token": TOKEN})
    assert "client_token" not in response
    assert "result" not in response
    assert response["1-wire.ts"] == int(harness.now)
    assert response["1-wire.temp1_name"] == "Inside"
    assert response["1-wire.temp2_id"] == "27012029cf6a8328"


def test_onewire_refresh_failure_has_token(harness: Harness) -> None:
    harness.ask("1-wire/refresh", {"client_token": "first"})
    response = harness.ask("1-wire/refresh", {"client_token": TOKEN}, gap=0.1)
    assert response["client_token"] == TOKEN
    assert error_of(response) == "device_busy"


def test_refresh_unknown_group(harness: Harness) -> None:
    response = harness.ask("nope/refresh", {"client_token": TOKEN})
    assert error_of(response) == "not_found"


# -- tokens and bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 100_000],
)
def test_bad_bodies_get_invalid_parameter(harness: Harness, payload: bytes) -> None:
    response = harness.ask("gnss/refresh", payload)
    assert response == {
        "error": "invalid_parameter",
        "error_desc": "Invalid request parameter",
    }


@pytest.mark.parametrize("token", [None, 5, "", ["x"]])
def test_missing_or_invalid_token(harness: Harness, token: object) -> None:
    body = {} if token is None else {"client_token": token}
    response = harness.ask("gnss/refresh", body)
    assert response["error"] == "invalid_parameter"
    assert response.get("client_token") == (token if token == "" else None)


def test_token_size_limit(harness: Harness) -> None:
    longest = "t" * 256
    assert "result" in harness.ask("gnss/refresh", {"client_token": longest})
    too_long = "é" * 129  # 258 bytes
    response = harness.ask("gnss/refresh", {"client_token": too_long})
    assert response["client_token"] == too_long
    assert error_of(response) == "invalid_parameter"


def test_non_request_topics_are_ignored(harness: Harness) -> None:
    for suffix in ("gnss/info", "gnss/set/resp", "event/notice", "gnss", "x/y/z"):
        assert harness.raw(suffix, {"client_token": TOKEN}) == []


def test_get_and_control_on_wrong_groups(harness: Harness) -> None:
    assert error_of(harness.ask("gnss/get", {"client_token": TOKEN})) == "not_support"
    body = {"client_token": TOKEN, "obd.rpm": 1}
    assert error_of(harness.ask("obd/control", body)) == "not_support"


# -- rate limits (§2.3) ---------------------------------------------------------------


def test_settings_lane_is_shared_and_needs_one_second(harness: Harness) -> None:
    assert "result" in harness.ask("gnss/refresh", {"client_token": "a"})
    busy = harness.ask("obd/set", {"client_token": "b", "interval": 5}, gap=0.5)
    assert busy == {
        "client_token": "b",
        "error": "device_busy",
        "error_desc": "device busy",
    }
    assert harness.device.groups["obd"].interval == 10
    # 0.96 s after the last accepted request: inside the 50 ms slack.
    assert "result" in harness.ask(
        "app/control", {"client_token": "c"} | {"app.wifi_mode_2g": 1}, gap=0.46
    )
    for suffix in ("group/get", "group/set", "userdata/set", "sysinfo/refresh"):
        assert (
            harness.ask(suffix, {"client_token": "d"}, gap=0.9)["error"]
            == "device_busy"
        )
        harness.now -= 0.9  # rejected requests do not move the lane


def test_io_control_lane_needs_five_seconds(harness: Harness) -> None:
    body = {"client_token": "a", "io.DO1": 1}
    assert "result" in harness.ask("io/control", body)
    assert (
        harness.ask("io/control", {"client_token": "b", "io.DO1": 0}, gap=4.0)["error"]
        == "device_busy"
    )
    assert harness.device.state.io.do[0] == 1
    # The control lane is independent of the settings lane.
    assert "result" in harness.ask("io/refresh", {"client_token": "c"}, gap=0.0)
    assert "result" in harness.ask(
        "io/control", {"client_token": "d", "io.DO1": 0}, gap=1.0
    )


def test_busy_reply_without_token(harness: Harness) -> None:
    harness.ask("gnss/refresh", {"client_token": "a"})
    assert harness.ask("gnss/refresh", b"junk", gap=0.1) == {
        "error": "device_busy",
        "error_desc": "device busy",
    }


def test_rate_limit_can_be_disabled() -> None:
    harness = Harness(make_device(rate_limit=False))
    for _ in range(3):
        assert "result" in harness.ask("gnss/refresh", {"client_token": "a"}, gap=0.0)


# -- io/control and app/control ---------------------------------------------------------


def test_io_control_accepts_both_spellings(harness: Harness) -> None:
    body = {
        "client_token": TOKEN,
        "io.D01": 1,
        "io.DO2": 1,
        "io.D03_pullup": 1,
        "io.DI2_pullup": 1,
    }
    response = harness.ask("io/control", body)
    assert response == {
        "client_token": TOKEN,
        "result": {"io.D01": 1, "io.DO2": 1, "io.D03_pullup": 1, "io.DI2_pullup": 1},
    }
    io = harness.device.state.io
    assert io.do == [1, 1, 0, 0]
    assert io.do_pullup == [0, 0, 1, 0]
    assert io.di_pullup == [0, 1, 0, 0, 0, 0]
    upload = harness.upload("io")
    assert (upload["io.DO1"], upload["io.DO2"], upload["io.DO3_pullup"]) == (1, 1, 1)
    assert upload["io.DI2_pullup"] == 1
    assert harness.upload("summary")["io.DO1"] == 1


def test_io_control_digit_zero_device_reports_digit_zero() -> None:
    harness = Harness(make_device(digit_zero_do=True))
    harness.ask("io/control", {"client_token": TOKEN, "io.DO4": 1})
    upload = harness.upload("io")
    assert upload["io.D04"] == 1
    assert "io.DO4" not in upload


@pytest.mark.parametrize(
    "items",
    [
        {},
        {"io.DO1": 2},
        {"io.DO1": "1"},
        {"io.DO1": True},
        {"io.DO1": 1.0},
        {"io.DO5": 1},
        {"io.DI1": 1},
        {"io.DI7_pullup": 1},
        {"io.AI1": 1},
        {"io.DO1": 1, "io.DO2": None},
    ],
)
def test_io_control_errors(harness: Harness, items: dict[str, object]) -> None:
    response = harness.ask("io/control", {"client_token": TOKEN, **items})
    assert error_of(response) == "invalid_parameter"
    assert harness.device.state.io.do == [0, 0, 0, 0]


def test_app_control(harness: Harness) -> None:
    body = {"client_token": TOKEN, "app.wifi_mode_2g": 1, "app.wifi_mode_5g": 0}
    response = harness.ask("app/control", body)
    assert response["result"] == {"app.wifi_mode_2g": 1, "app.wifi_mode_5g": 0}
    assert harness.ask("app/refresh", {"client_token": TOKEN})["result"] == {
        "app.wifi_mode_2g": 1,
        "app.wifi_mode_5g": 0,
    }


@pytest.mark.parametrize(
    "items",
    [{}, {"app.wifi_mode_2g": -1}, {"app.wifi_mode_5g": 2}, {"app.other": 1}],
)
def test_app_control_errors(harness: Harness, items: dict[str, object]) -> None:
    response = harness.ask("app/control", {"client_token": TOKEN, **items})
    assert error_of(response) == "invalid_parameter"


# -- userdata (§3.2.8) -------------------------------------------------------------------


def test_userdata_insert_update_delete(harness: Harness) -> None:
    insert = {"userdata.fleet": "north", "userdata.count": 3}
    response = harness.ask("userdata/set", {"client_token": TOKEN, "insert": insert})
    assert response == {"client_token": TOKEN, "result": {"inserted": insert}}
    update = {"userdata.serial_number": "SN0232"}
    response = harness.ask("userdata/set", {"client_token": TOKEN, "update": update})
    assert response["result"] == {"updated": update}
    delete = {"userdata.serial_number": "serial_number"}
    response = harness.ask("userdata/set", {"client_token": TOKEN, "delete": delete})
    assert response["result"] == {"deleted": delete}
    assert harness.upload("userdata") == {
        "userdata.custom_key": "custom_value",
        "userdata.fleet": "north",
        "userdata.count": 3,
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"insert": {"userdata.custom_key": "again"}}, "find_same_key"),
        ({"update": {"userdata.missing": "x"}}, "not_found"),
        ({"delete": {"userdata.missing": "x"}}, "not_found"),
        ({"insert": {"custom": "x"}}, "invalid_parameter"),
        ({"insert": {"userdata.": "x"}}, "invalid_parameter"),
        ({"insert": {"userdata.obj": {"a": 1}}}, "invalid_parameter"),
        ({"insert": {}}, "invalid_parameter"),
        ({"insert": "x"}, "invalid_parameter"),
        ({"insert": {f"userdata.k{n}": n for n in range(255)}}, "over_data_num"),
        ({"interest": {"obd.rpm": ""}}, "invalid_parameter"),
        ({"interval": 4000}, "interval_invalid"),
        ({}, "invalid_parameter"),
    ],
)
def test_userdata_errors(harness: Harness, body: dict[str, object], error: str) -> None:
    before = dict(harness.device.state.userdata)
    response = harness.ask("userdata/set", {"client_token": TOKEN, **body})
    assert error_of(response) == error
    assert harness.device.state.userdata == before


def test_userdata_failure_is_atomic(harness: Harness) -> None:
    body = {
        "client_token": TOKEN,
        "insert": {"userdata.new": "x"},
        "update": {"userdata.missing": "y"},
    }
    assert error_of(harness.ask("userdata/set", body)) == "not_found"
    assert "userdata.new" not in harness.device.state.userdata


def test_userdata_interest_and_interval(harness: Harness) -> None:
    interest = {
        "userdata.custom_key": "custom_key",
        "userdata.serial_number": "serial_number",
    }
    body = {"client_token": TOKEN, "interval": 60, "interest": interest}
    response = harness.ask("userdata/set", body)
    assert response["result"] == {"interval": 60, "interest": interest}
    assert harness.upload("userdata") == {
        "custom_key": "custom_value",
        "serial_number": "SN0125",
    }
    assert harness.device.groups["userdata"].interval == 60


# -- custom groups (§4.1) --------------------------------------------------------------


#: §4.1.1's first group, as the spec writes it.
GROUP1 = CUSTOM_GROUPS[0]
GROUP2 = {
    "group_name": "group2",
    "interval": 30,
    "interest": {"io.DI1": "DI1", "io.DI2": "DI2", "io.D01": "D01", "io.AI1": ""},
}


def test_custom_group_lifecycle(harness: Harness) -> None:
    device = harness.device
    assert error_of(harness.ask("group/get", {"client_token": TOKEN})) == "data_empty"
    response = harness.ask(
        "group/set", {"client_token": TOKEN, "settings": [GROUP1, GROUP2]}
    )
    assert response == {"client_token": TOKEN, "result": [GROUP1, GROUP2]}
    assert harness.ask("group/get", {"client_token": TOKEN})["result"] == [
        GROUP1,
        GROUP2,
    ]

    assert set(harness.upload("group1")) == {
        "lat",
        "lon",
        "alt",
        "speed",
        "odo",
        "custom_key",
    }
    group2 = harness.upload("group2")
    assert set(group2) == {"DI1", "DI2", "D01", "io.AI1"}
    refreshed = harness.ask("group1/refresh", {"client_token": TOKEN})["result"]
    assert refreshed["custom_key"] == "custom_value"

    # A new group uploads at once, then on its interval.
    topics = [m.topic for m in device.tick(harness.now)]
    assert device.topic("group1/info") in topics
    assert device.topic("group2/info") in topics

    update = {"group_name": "group2", "interval": 5}
    response = harness.ask("group/set", {"client_token": TOKEN, "settings": [update]})
    assert response["result"] == [update]
    assert device.custom_groups["group2"].interval == 5
    assert device.custom_groups["group2"].interest == GROUP2["interest"]
    assert "result" in harness.ask("group2/set", {"client_token": TOKEN, "interval": 7})
    assert device.custom_groups["group2"].interval == 7

    removal = [
        {"group_name": "group1", "interest": None},
        {"group_name": "group2", "interest": None},
    ]
    response = harness.ask("group/set", {"client_token": TOKEN, "settings": removal})
    assert response["result"] == removal
    assert device.custom_groups == {}
    assert (
        error_of(harness.ask("group1/refresh", {"client_token": TOKEN})) == "not_found"
    )
    with pytest.raises(KeyError):
        device.build_upload("group1", harness.now)


def test_custom_group_interest_with_sysinfo_and_cellular(harness: Harness) -> None:
    setting = {
        "group_name": "mix",
        "interest": {
            "modem1.imei": "imei",
            "sysinfo.lan_mac": "",
            "app.wifi_mode_2g": "w",
        },
    }
    assert "result" in harness.ask(
        "group/set", {"client_token": TOKEN, "settings": [setting]}
    )
    assert harness.device.custom_groups["mix"].interval == 10
    assert set(harness.upload("mix")) == {"imei", "sysinfo.lan_mac", "w"}


def test_custom_group_limits(harness: Harness) -> None:
    groups = [{"group_name": f"g{n}", "interest": {"gnss.fix": ""}} for n in range(16)]
    assert "result" in harness.ask(
        "group/set", {"client_token": TOKEN, "settings": groups}
    )
    extra = [{"group_name": "g16", "interest": {"gnss.fix": ""}}]
    response = harness.ask("group/set", {"client_token": TOKEN, "settings": extra})
    assert error_of(response) == "over_group_num"
    assert len(harness.device.custom_groups) == 16
    # Removing and adding in one request stays within the limit.
    swap = [{"group_name": "g0", "interest": None}, *extra]
    assert "result" in harness.ask(
        "group/set", {"client_token": TOKEN, "settings": swap}
    )


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        (None, "invalid_parameter"),
        ([], "invalid_parameter"),
        (["group1"], "invalid_parameter"),
        ([{"interest": {"gnss.fix": ""}}], "invalid_parameter"),
        ([{"group_name": "", "interest": {"gnss.fix": ""}}], "invalid_parameter"),
        ([{"group_name": "a/b", "interest": {"gnss.fix": ""}}], "invalid_parameter"),
        ([{"group_name": "a+", "interest": {"gnss.fix": ""}}], "invalid_parameter"),
        ([{"group_name": "#", "interest": {"gnss.fix": ""}}], "invalid_parameter"),
        (
            [{"group_name": "x" * 129, "interest": {"gnss.fix": ""}}],
            "invalid_parameter",
        ),
        ([{"group_name": "gnss", "interest": {"gnss.fix": ""}}], "invalid_parameter"),
        (
            [{"group_name": "sysinfo", "interest": {"gnss.fix": ""}}],
            "invalid_parameter",
        ),
        ([{"group_name": "new", "interval": 5}], "invalid_parameter"),
        ([{"group_name": "new", "interest": {}}], "invalid_parameter"),
        ([{"group_name": "new", "interest": {"nope.key": ""}}], "invalid_parameter"),
        (
            [{"group_name": "new", "interest": {"gnss.fix": ""}, "interval": 9999}],
            "interval_invalid",
        ),
        (
            [
                {
                    "group_name": "new",
                    "interest": {f"userdata.k{n}": "" for n in range(257)},
                }
            ],
            "over_data_num",
        ),
        ([{"group_name": "ghost", "interest": None}], "not_found"),
        (
            [
                {"group_name": "ok", "interest": {"gnss.fix": ""}},
                {"group_name": "a/b", "interest": {}},
            ],
            "invalid_parameter",
        ),
    ],
)
def test_custom_group_errors(harness: Harness, settings: object, error: str) -> None:
    response = harness.ask("group/set", {"client_token": TOKEN, "settings": settings})
    assert error_of(response) == error
    assert harness.device.custom_groups == {}


def test_custom_group_name_up_to_128_bytes(harness: Harness) -> None:
    name = "é" * 64
    setting = {"group_name": name, "interest": {"gnss.fix": ""}}
    assert "result" in harness.ask(
        "group/set", {"client_token": TOKEN, "settings": [setting]}
    )
    assert name in harness.device.custom_groups


def test_custom_group_interval_zero_never_uploads(harness: Harness) -> None:
    device = harness.device
    setting = {"group_name": "quiet", "interval": 0, "interest": {"gnss.fix": ""}}
    harness.ask("group/set", {"client_token": TOKEN, "settings": [setting]})
    topics = {m.topic for t in range(0, 100, 5) for m in device.tick(harness.now + t)}
    assert device.topic("quiet/info") not in topics


def test_device_error_when_handler_crashes(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(harness.device, "_dispatch", boom)
    assert (
        error_of(harness.ask("gnss/refresh", {"client_token": TOKEN})) == "device_error"
    )


def test_responses_are_json_serialisable(harness: Harness) -> None:
    for suffix in (
        "summary/refresh",
        "cellular1/refresh",
        "1-wire/refresh",
        "group/get",
    ):
        json.dumps(harness.ask(suffix, {"client_token": TOKEN}))


def test_refresh_obd_without_an_adapter() -> None:
    """No OBD adapter: ``obd/refresh`` has no data; its settings still work."""
    harness = Harness(make_device(obd=False))
    response = harness.ask("obd/refresh", {"client_token": TOKEN})
    assert error_of(response) == "data_empty"
    response = harness.ask("obd/set", {"client_token": TOKEN, "interval": 30})
    assert response == {"client_token": TOKEN, "result": {"interval": 30}}
    result = harness.ask("summary/refresh", {"client_token": TOKEN})["result"]
    assert not [key for key in result if key.startswith("obd.")]
