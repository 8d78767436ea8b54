"""Command line: ``python -m simulator --broker HOST:PORT --client-id ID ...``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import logging
import signal
import threading
from types import FrameType

from .mqtt import Simulator, SimulatorConfig

_LOGGER = logging.getLogger(__name__)
DEFAULT_PORT = 1883


def parse_broker(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[v6addr]:PORT`` for IPv6; port defaults to 1883)."""
    host, port = text, DEFAULT_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise argparse.ArgumentTypeError(f"invalid broker {text!r}")
            port = _port(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text)
    if not host:
        raise argparse.ArgumentTypeError(f"invalid broker {text!r}")
    return host, port


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}")
    return port


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the simulator."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Simulate InHand VG710 gateways speaking FlexAPI over MQTT.",
    )
    parser.add_argument(
        "--broker",
        required=True,
        type=parse_broker,
        metavar="HOST:PORT",
        help="MQTT broker",
    )
    parser.add_argument(
        "--client-id",
        required=True,
        metavar="ID",
        help="FlexAPI client id (fleet: ID-1..ID-N)",
    )
    parser.add_argument(
        "--prefix",
        default="",
        metavar="P",
        help="custom topic prefix placed before v1/",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=1,
        metavar="N",
        help="number of devices (default 1)",
    )
    parser.add_argument(
        "--stagger",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="spread the devices' uploads evenly over this many seconds instead"
        " of sending every device's at the same instant (e.g. 10 with --count)",
    )
    parser.add_argument(
        "--digit-zero-do",
        action="store_true",
        help="report digital outputs as io.D01 (digit zero, as the 1.0.8 examples)",
    )
    parser.add_argument(
        "--include-invalid",
        action="store_true",
        help='"Include Invalid Data": send null for invalid values',
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="random seed (reproducible runs)",
    )
    parser.add_argument(
        "--time-scale",
        type=_positive_float,
        default=1.0,
        metavar="X",
        help="multiply every upload interval by X (e.g. 0.1 for fast tests)",
    )
    parser.add_argument("--username", default=None, help="MQTT username")
    parser.add_argument("--password", default=None, help="MQTT password")
    parser.add_argument(
        "--qos",
        type=int,
        choices=(0, 1),
        default=1,
        help="QoS of publications (default 1)",
    )
    parser.add_argument(
        "--no-obd",
        action="store_true",
        help="no OBD adapter: no obd data (in obd/info, summary, refresh)",
    )
    parser.add_argument(
        "--no-ignition",
        action="store_true",
        help="no ignition wiring: io.igt_status is never reported",
    )
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="do not enforce the §2.3 request intervals",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
        metavar="L",
        help="DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The simulator configuration the parsed arguments describe.

    Raises ValueError for settings no device could run with.
    """
    host, port = args.broker
    return SimulatorConfig(
        host=host,
        port=port,
        client_id=args.client_id,
        prefix=args.prefix,
        count=args.count,
        stagger=args.stagger,
        digit_zero_do=args.digit_zero_do,
        include_invalid=args.include_invalid,
        seed=args.seed,
        time_scale=args.time_scale,
        username=args.username,
        password=args.password,
        qos=args.qos,
        rate_limit=not args.no_rate_limit,
        obd=not args.no_obd,
        ignition=not args.no_ignition,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until Ctrl-C or SIGTERM; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = config_from_args(args)
    except ValueError as err:
        parser.error(str(err))
    host, port = config.host, config.port
    stop = threading.Event()

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        del frame
        _LOGGER.info("received signal %d, stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    simulator = Simulator(config)
    _LOGGER.info(
        "simulating %s on %s:%d",
        ", ".join(config.device_ids()[:3]) + (" ..." if config.count > 3 else ""),
        host,
        port,
    )
    simulator.start(timeout=None)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        simulator.stop()
    _LOGGER.info("stopped")
    return 0
