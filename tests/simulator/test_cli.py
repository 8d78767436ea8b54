"""Command line parsing and simulator configuration."""

from __future__ import annotations

import argparse

import pytest

from simulator import Simulator, SimulatorConfig
from simulator.cli import build_parser, config_from_args, main, parse_broker


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:1883", ("127.0.0.1", 1883)),
        ("broker", ("broker", 1883)),
        ("[::1]:8883", ("::1", 8883)),
        ("[::1]", ("::1", 1883)),
    ],
)
def test_parse_broker(text: str, expected: tuple[str, int]) -> None:
    assert parse_broker(text) == expected


@pytest.mark.parametrize("text", [":1883", "host:0", "host:x", "host:70000", "[::1]x"])
def test_parse_broker_errors(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_broker(text)


def test_parser_defaults_and_flags() -> None:
    args = build_parser().parse_args(
        [
            "--broker",
            "127.0.0.1:1884",
            "--client-id",
            "VG",
            "--prefix",
            "fleet",
            "--count",
            "3",
            "--digit-zero-do",
            "--include-invalid",
            "--seed",
            "4",
            "--time-scale",
            "0.1",
            "--log-level",
            "debug",
        ]
    )
    assert args.broker == ("127.0.0.1", 1884)
    assert (args.prefix, args.count, args.seed, args.time_scale) == ("fleet", 3, 4, 0.1)
    assert args.digit_zero_do
    assert args.include_invalid
    assert args.log_level == "DEBUG"
    defaults = build_parser().parse_args(["--broker", "h", "--client-id", "VG"])
    assert (defaults.count, defaults.time_scale, defaults.qos) == (1, 1.0, 1)
    assert defaults.stagger == 0.0
    assert build_parser().parse_args(
        ["--broker", "h", "--client-id", "VG", "--stagger", "10"]
    ).stagger == pytest.approx(10.0)
    assert not defaults.digit_zero_do


@pytest.mark.parametrize(
    "extra",
    [
        ["--time-scale", "0"],
        ["--count", "0"],
        ["--client-id", "a/b"],
        ["--stagger", "-1"],
    ],
)
def test_main_rejects_bad_settings(extra: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--broker", "127.0.0.1:1883", "--client-id", "VG", *extra])
    assert exc.value.code == 2


def test_fleet_ids() -> None:
    assert SimulatorConfig("h", 1883, "VG").device_ids() == ["VG"]
    assert SimulatorConfig("h", 1883, "VG", count=3).device_ids() == [
        "VG-1",
        "VG-2",
        "VG-3",
    ]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"port": 0}, "port"),
        ({"count": 0}, "count"),
        ({"time_scale": -1.0}, "time_scale"),
        ({"qos": 2}, "QoS"),
        ({"stagger": -1.0}, "stagger"),
        ({"client_id": "x" * 129}, "client id"),
    ],
)
def test_config_validation(kwargs: dict[str, object], problem: str) -> None:
    settings: dict[str, object] = {
        "host": "h",
        "port": 1883,
        "client_id": "VG",
    } | kwargs
    with pytest.raises(ValueError, match=problem):
        SimulatorConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "obd", "ignition"),
    [
        ([], True, True),
        (["--no-obd"], False, True),
        (["--no-ignition"], True, False),
        (["--no-obd", "--no-ignition"], False, False),
    ],
)
def test_no_obd_and_no_ignition_reach_every_device(
    flags: list[str], obd: bool, ignition: bool
) -> None:
    args = build_parser().parse_args(
        ["--broker", "h:1884", "--client-id", "VG", "--count", "2", *flags]
    )
    config = config_from_args(args)
    assert (config.host, config.port, config.count) == ("h", 1884, 2)
    assert (config.obd, config.ignition) == (obd, ignition)
    simulator = Simulator(config)  # nothing connects before start()
    for device in simulator.devices:
        io = device.build_upload("io", device.state.time + 1)
        assert io is not None
        assert ("io.igt_status" in io.payload) is ignition
        assert (device.build_upload("obd", device.state.time + 1) is not None) is obd


def test_a_staggered_fleet_starts_its_devices_evenly_spread() -> None:
    """Device k of N makes its first uploads k/N of the stagger late."""
    simulator = Simulator(SimulatorConfig("h", 1883, "VG", count=4, stagger=8.0))
    simulator._on_subscribe(None, None, 1, [], None)  # type: ignore[arg-type]
    firsts = [device.groups["gnss"].next_due for device in simulator.devices]
    assert all(first is not None for first in firsts)
    start = firsts[0]
    assert start is not None
    assert [round(first - start, 6) for first in firsts if first is not None] == [
        0.0,
        2.0,
        4.0,
        6.0,
    ]
