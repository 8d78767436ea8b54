"""Timer triggered uploads: topics, schedule, payload shapes and options."""

from __future__ import annotations

from datetime import UTC, datetime
import itertools
import math
import re

import pytest

from simulator import Device
from simulator.catalog import (
    GROUP_KEYS,
    SUMMARY_PARTS,
    TS_KEYS,
    UPLOAD_GROUPS,
    canonical_key,
    spell_key,
)
from simulator.telemetry import BUILDERS
from simulator.vehicle import Mode, haversine_m

from .conftest import CLIENT_ID, NOW, Harness, make_device


def topics_at(device: Device, now: float) -> list[str]:
    """Topics of everything ``tick`` publishes at ``now``."""
    return [message.topic for message in device.tick(now)]


def test_every_group_uploads_once_after_start() -> None:
    device = make_device()
    assert topics_at(device, NOW) == []  # nothing before (re)connecting
    device.start(NOW)
    topics = topics_at(device, NOW)
    expected = [f"v1/{CLIENT_ID}/{group}/info" for group in UPLOAD_GROUPS]
    assert [t for t in topics if t in expected] == expected
    assert not [t for t in topics_at(device, NOW + 0.5) if t in expected]


def test_a_delayed_start_uploads_later_then_on_the_interval() -> None:
    """A staggered fleet: the device's first uploads come ``delay`` late."""
    device = make_device()
    device.start(NOW, 4.0)
    gnss = device.topic("gnss/info")
    assert gnss not in topics_at(device, NOW)
    assert gnss not in topics_at(device, NOW + 3.9)
    assert gnss in topics_at(device, NOW + 4.0)
    assert gnss not in topics_at(device, NOW + 13.9)
    assert gnss in topics_at(device, NOW + 14.0)


def test_default_intervals() -> None:
    device = make_device()
    device.start(NOW)
    device.tick(NOW)
    cellular = device.topic("cellular1/info")
    gnss = device.topic("gnss/info")
    counts = {gnss: 0, cellular: 0}
    for second in range(1, 61):
        for topic in topics_at(device, NOW + second):
            if topic in counts:
                counts[topic] += 1
    assert counts == {gnss: 6, cellular: 2}


def test_time_scale_multiplies_intervals() -> None:
    device = make_device(time_scale=0.1)
    device.start(NOW)
    device.tick(NOW)
    gnss = device.topic("gnss/info")
    assert gnss not in topics_at(device, NOW + 0.9)
    assert gnss in topics_at(device, NOW + 1.0)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("", "v1/"), ("fleet/", "fleet/v1/"), ("fleet", "fleet/v1/"), ("a/b", "a/b/v1/")],
)
def test_prefix(prefix: str, expected: str) -> None:
    device = make_device(prefix=prefix)
    assert device.topic("summary/info") == f"{expected}{CLIENT_ID}/summary/info"
    assert device.subscriptions()[0] == f"{expected}{CLIENT_ID}/+/set"


@pytest.mark.parametrize("client_id", ["", "a/b", "a+", "#", "x" * 129])
def test_invalid_client_ids(client_id: str) -> None:
    with pytest.raises(ValueError, match="client id"):
        Device(client_id)


def test_invalid_time_scale() -> None:
    with pytest.raises(ValueError, match="time_scale"):
        Device("dev", time_scale=0)


@pytest.mark.parametrize(
    "group", ["gnss", "obd", "motion", "io", "cellular1", "1-wire"]
)
def test_uploads_carry_group_timestamps(harness: Harness, group: str) -> None:
    upload = harness.upload(group)
    for key in TS_KEYS[group]:
        assert upload[key] == int(harness.now)
    assert set(upload) <= set(GROUP_KEYS[group])


def test_summary_contains_all_parts(harness: Harness) -> None:
    upload = harness.upload("summary")
    for part in SUMMARY_PARTS:
        assert upload[f"{part}.ts"] == int(harness.now)
        part_keys = {key for key in upload if key.startswith(f"{part}.")}
        assert part_keys == set(harness.upload(part, gap=0.0))
    assert next(iter(upload)) == "gnss.ts"


def test_userdata_upload_matches_example(harness: Harness) -> None:
    assert harness.upload("userdata") == {
        "userdata.custom_key": "custom_value",
        "userdata.serial_number": "SN0125",
    }


def test_onewire_upload_shape(harness: Harness) -> None:
    upload = harness.upload("1-wire")
    assert upload["1-wire.status"] == "Connected"
    assert upload["1-wire.type"] == "Temperature & ROM Code"
    assert (upload["1-wire.temp_num"], upload["1-wire.rom_num"]) == (2, 1)
    assert upload["1-wire.temp1_id"] == "aa012029901e7928"
    assert (upload["1-wire.temp1_name"], upload["1-wire.temp2_name"]) == (
        "Inside",
        "Outside",
    )
    assert upload["1-wire.rom_code1"] == "cc00001b559ae001"
    for key in ("1-wire.temp1_data", "1-wire.temp2_data"):
        assert -40 < upload[key] < 85
        assert (upload[key] * 16) % 1 < 0.2 or (upload[key] * 16) % 1 > 0.8


def test_gnss_formats(harness: Harness) -> None:
    upload = harness.upload("gnss")
    moment = datetime.fromtimestamp(harness.now, UTC)
    assert upload["gnss.date"] == f"{moment.year}-{moment.month}-{moment.day}"
    assert re.fullmatch(r"\d{4}-[1-9]\d?-[1-9]\d?", upload["gnss.date"])
    assert re.fullmatch(r"\d\d:\d\d:\d\d", upload["gnss.time"])
    assert upload["gnss.fix"] == 3
    assert 6 <= upload["gnss.num_sv"] <= 12
    assert 0 <= upload["gnss.heading"] < 360
    assert upload["gnss.type"] == "GPS+Glonass"


def test_cellular_upload(harness: Harness) -> None:
    first = harness.upload("cellular1")
    second = harness.upload("cellular1", gap=30.0)
    assert first["modem1.active_sim"] == 1
    assert re.fullmatch(r"\d{15}", first["modem1.imei"])
    assert first["modem1.operator"] == "46001"
    assert first["modem1.reg_status"] == 1
    assert 0 <= first["modem1.signal_lvl"] <= 31
    assert re.fullmatch(r"[0-9A-F]+", first["modem1.lac"])
    assert re.fullmatch(r"[0-9A-F]+", first["modem1.cell_id"])
    assert first["cellular1.status"] == 3
    assert first["cellular1.down_at"] == 0
    assert first["cellular1.up_at"] < NOW
    assert second["cellular1.tx_bytes"] > first["cellular1.tx_bytes"]
    assert second["cellular1.rx_bytes"] > first["cellular1.rx_bytes"]
    assert second["cellular1.traffic_ts"] == int(harness.now)


def test_io_upload_keys(harness: Harness) -> None:
    upload = harness.upload("io")
    assert "io.AI5" not in upload  # not wired: invalid, left out by default
    assert 0 <= upload["io.AI1"] <= 36
    assert upload["io.DO1"] == 0
    assert upload["io.DO1_pullup"] == 0
    assert upload["io.igt_status"] == 1
    assert 12.0 < upload["io.power_input"] < 15.0


def test_include_invalid_sends_nulls() -> None:
    harness = Harness(make_device(include_invalid=True))
    io = harness.upload("io")
    assert io["io.AI5"] is None
    assert io["io.AI6"] is None
    obd = harness.upload("obd")
    assert obd["obd.d_e_f_vol"] is None
    assert obd["obd.brake_prim_press"] is None
    assert obd["obd.dpf_mon"] is None
    plain = Harness(make_device()).upload("obd")
    assert "obd.d_e_f_vol" not in plain
    assert "obd.dpf_mon" not in plain


def test_include_invalid_applies_to_interest() -> None:
    for include, expected in ((True, {"ai5": None}), (False, {})):
        harness = Harness(make_device(include_invalid=include))
        harness.ask(
            "io/set", {"client_token": "t", "interest": {"io.AI5": "ai5", "io.ts": "t"}}
        )
        upload = harness.upload("io")
        assert upload.pop("t") == int(harness.now)
        assert upload == expected


def test_no_fix_makes_position_invalid() -> None:
    harness = Harness(make_device(include_invalid=True))
    harness.device.state.gnss.blocked = True
    upload = harness.upload("gnss", gap=0.0)
    assert upload["gnss.fix"] == 0
    assert upload["gnss.latitude"] is None
    assert upload["gnss.longitude"] is None
    plain = Harness(make_device())
    plain.device.state.gnss.blocked = True
    assert "gnss.latitude" not in plain.upload("gnss", gap=0.0)


def test_tunnel_loses_fix() -> None:
    harness = Harness(make_device())
    vehicle = harness.device.state.vehicle
    fixes = set()
    for _ in range(3000):
        harness.now += 1
        harness.device.advance(harness.now)
        fixes.add((vehicle.in_tunnel, harness.device.state.gnss.fix))
    assert (True, 0) in fixes
    assert (False, 3) in fixes


def test_digit_zero_spelling() -> None:
    harness = Harness(make_device(digit_zero_do=True))
    for group in ("io", "summary"):
        upload = harness.upload(group)
        assert [key for key in upload if key.startswith("io.D0")] == [
            "io.D01",
            "io.D01_pullup",
            "io.D02",
            "io.D02_pullup",
            "io.D03",
            "io.D03_pullup",
            "io.D04",
            "io.D04_pullup",
        ]
        assert not [key for key in upload if key.startswith("io.DO")]
    harness.ask(
        "io/set", {"client_token": "t", "interest": {"io.DO1": "", "io.D02": "x"}}
    )
    assert set(harness.upload("io")) == {"io.D01", "x"}


def test_spelling_helpers() -> None:
    assert canonical_key("io.D01") == "io.DO1"
    assert canonical_key("io.D04_pullup") == "io.DO4_pullup"
    assert canonical_key("io.DI1") == "io.DI1"
    assert spell_key("io.DO3_pullup", True) == "io.D03_pullup"
    assert spell_key("io.DO3_pullup", False) == "io.DO3_pullup"
    assert spell_key("io.DI3", True) == "io.DI3"


@pytest.mark.parametrize("group", sorted(BUILDERS))
def test_builders_follow_the_catalog(group: str) -> None:
    """Every built key is in the catalog; every catalog key is built (or absent)."""
    device = make_device(include_invalid=True)
    built = set(BUILDERS[group](device.state, NOW))
    assert built <= set(GROUP_KEYS[group])
    optional = {"modem1.submode"} | {
        key for key in GROUP_KEYS[group] if re.search(r"temp[34]_|rom_code[234]", key)
    }
    assert set(GROUP_KEYS[group]) - built <= optional


def test_empty_payloads_are_not_sent(harness: Harness) -> None:
    for key in list(harness.device.state.userdata):
        del harness.device.state.userdata[key]
    assert harness.device.build_upload("userdata", harness.now) is None
    with pytest.raises(KeyError):
        harness.device.build_upload("nope", harness.now)


def test_forward_info_is_published() -> None:
    device = make_device(time_scale=0.01)
    device.start(NOW)
    forwards = [
        message
        for step in range(1, 400)
        for message in device.tick(NOW + step * 0.1)
        if message.topic == device.topic("forward/info")
    ]
    assert forwards
    assert isinstance(forwards[0].payload["forward.payload"], str)


def test_seed_makes_runs_reproducible() -> None:
    first, second = make_device(seed=3), make_device(seed=3)
    assert first.build_upload("summary", NOW + 50) == second.build_upload(
        "summary", NOW + 50
    )


# -- gateways without OBD or ignition wiring ----------------------------------------


def test_no_obd_means_no_obd_data() -> None:
    """``obd=False``: no obd upload, no obd key in the summary or an interest."""
    device = make_device(obd=False)
    device.start(NOW)
    topics = topics_at(device, NOW)
    assert device.topic("obd/info") not in topics
    assert device.topic("gnss/info") in topics
    assert device.build_upload("obd", NOW + 1) is None
    summary = device.build_upload("summary", NOW + 1)
    assert summary is not None
    assert not [key for key in summary.payload if key.startswith("obd.")]
    assert {"gnss.ts", "io.ts", "motion.ts"} <= set(summary.payload)
    harness = Harness(device, now=NOW + 1)
    interest = {"client_token": "t", "interest": {"obd.rpm": "rpm", "gnss.fix": ""}}
    harness.ask("summary/set", interest)
    assert harness.upload("summary") == {"gnss.fix": 3}
    with_obd = Harness(make_device())
    with_obd.ask("summary/set", interest)
    assert set(with_obd.upload("summary")) == {"rpm", "gnss.fix"}


def test_no_ignition_means_no_igt_status() -> None:
    """``ignition=False``: io and summary never carry ``io.igt_status``."""
    harness = Harness(make_device(ignition=False, include_invalid=True))
    io = harness.upload("io")
    assert "io.igt_status" not in io
    assert "io.DI1" in io
    assert "io.igt_status" not in harness.upload("summary")
    assert harness.upload("obd")["obd.rpm"] > 0  # the engine still runs
    assert "io.igt_status" in Harness(make_device()).upload("io")


# -- GNSS error -------------------------------------------------------------------


def test_parked_fixes_jitter_within_their_accuracy() -> None:
    """Parked, the fixes wander, each within half its ``gnss.hacc`` of the truth.

    So two fixes are never further apart than the larger of their accuracies,
    and the reported speed is 0.
    """
    harness = Harness(make_device(seed=11))
    vehicle = harness.device.state.vehicle
    vehicle.mode = Mode.PARKED
    vehicle.engine_on = False
    vehicle.speed_mps = 0.0
    vehicle.stop_remaining_s = math.inf
    truth = vehicle.position
    fixes = [harness.upload("gnss", gap=10.0) for _ in range(360)]  # an hour
    errors = []
    for fix in fixes:
        assert fix["gnss.speed"] == 0.0
        error = haversine_m(*truth, fix["gnss.latitude"], fix["gnss.longitude"])
        assert error <= fix["gnss.hacc"] / 2
        errors.append(error)
    assert vehicle.position == truth
    assert max(errors) > 0.1  # it does jitter
    assert len({(f["gnss.latitude"], f["gnss.longitude"]) for f in fixes}) > 50
    for first, second in itertools.pairwise(fixes):
        step = haversine_m(
            first["gnss.latitude"],
            first["gnss.longitude"],
            second["gnss.latitude"],
            second["gnss.longitude"],
        )
        assert step <= max(first["gnss.hacc"], second["gnss.hacc"])
    assert min(f["gnss.hacc"] for f in fixes) >= 0.5
    assert max(f["gnss.hacc"] for f in fixes) < 3.0


def test_accuracy_follows_the_satellites() -> None:
    receiver = make_device().state.gnss
    receiver.satellites = 12.0
    good = receiver.hacc_m
    receiver.satellites = 5.0
    assert receiver.hacc_m > good
    assert receiver.error_limit_m == pytest.approx(receiver.hacc_m / 2 - 0.08)
