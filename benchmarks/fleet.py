"""Fleet scale: N simulated gateways under one real Home Assistant process.

Run from the repository root::

    .venv/bin/python benchmarks/fleet.py                      # 10, 100 and 500
    .venv/bin/python benchmarks/fleet.py --counts 10 --window 20 --warmup 10

For each N: a fresh Mosquitto, a fresh ``hass -c`` with one FlexAPI entry per
gateway (``FLEET-1`` .. ``FLEET-N``), then the simulator's fleet (the same as
``python -m simulator --count N --stagger 10``, at the default upload
intervals), started once every entry is loaded. The gateways' uploads are
spread evenly over the 10 s interval (``--stagger``), as in a real fleet
whose gateways booted at different times; ``--stagger 0`` sends every
gateway's uploads in the same instant, every interval: the worst case (a
broker restart comes close once: every gateway reconnects and uploads all
its groups at once). ``--broker KEY=VALUE`` adds a Mosquitto setting (e.g.
``max_queued_messages=10000``); the benchmark's broker always publishes its
``$SYS`` counters every second. Reported:

* setup: seconds from starting hass until every entry is loaded;
* memory per gateway: RSS growth over a hass with no gateway, divided by N,
  once every gateway's entities exist;
* CPU share of one core in steady state (after the warm-up);
* CPU per message: that CPU minus the idle CPU of a hass with no gateway,
  divided by the uploads the integration handled in the window;
* messages lost: uploads the simulator published minus uploads the
  integration handled (counted by the benchmark probe), over the whole run;
  the simulator first sends what its paho still queues (it lags on a busy
  machine), so an upload counted as published did reach the broker;
* broker drops: Mosquitto's own count of messages it dropped
  (``$SYS/broker/publish/messages/dropped``: a client's queue of
  ``max_queued_messages``, 1000 by default, overflowed), read at the end,
  and how many of them in the warm-up and in the window;
* the broker's peak backlog (``$SYS/broker/store/messages/count``: messages
  queued for or in flight to a subscriber, about 50 retained ``$SYS``
  messages included) and when it occurred, and hass's CPU share during the
  warm-up.

Nothing is asserted about timing; the goal (CPU per message at 500 within
1.2× of the figure at 10, nothing lost) is printed next to the figures.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
import sys
import threading
import time
from typing import Any

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessage, MQTTv311
from realhass import ROOT, HassProcess, Wire, cpu_seconds, idle_rate, rss_bytes

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulator import Simulator, SimulatorConfig
from simulator.broker import Mosquitto

PREFIX = "FLEET"


@dataclass
class Baseline:
    """A hass with no gateway."""

    rss: int
    idle: float


@dataclass
class FleetResult:
    """The figures of one fleet size."""

    count: int
    setup_s: float
    rss_per_gateway: float
    cpu_share: float
    us_per_msg: float
    msgs_per_s: float
    handled: int
    published: int
    entities: int
    errors: int
    broker_dropped: int = -1
    #: Dropped by the broker during the warm-up / the measured window.
    dropped_warmup: int = -1
    dropped_window: int = -1
    #: Most messages the broker held (HA's backlog), and when (s after start).
    peak_backlog: int = 0
    peak_at: float = 0.0
    #: CPU share of one core during the warm-up (first uploads, entity creation).
    warmup_cpu: float = 0.0

    @property
    def lost(self) -> int:
        """Uploads published but not handled."""
        return self.published - self.handled


class BrokerDrops:
    """Mosquitto's own counters, from its ``$SYS`` topics.

    The benchmark's broker publishes them every second (``sys_interval 1``):
    the messages it dropped, and the messages it holds (queued for or in
    flight to a subscriber; the other clients here hold next to none), whose
    peak is HA's backlog.
    """

    DROPPED = "$SYS/broker/publish/messages/dropped"
    STORED = "$SYS/broker/store/messages/count"

    def __init__(self, broker: Mosquitto) -> None:
        """Subscribe to the counters."""
        self.value = -1
        self.stored = 0
        self.peak = 0
        self.peak_at = 0.0
        self.since = time.monotonic()
        self.updated = threading.Event()
        self.client = Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id="bench-sys",
            protocol=MQTTv311,
        )
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe([(self.DROPPED, 0), (self.STORED, 0)])
        self.client.loop_start()

    def _on_message(self, _client: Client, _userdata: Any, msg: MQTTMessage) -> None:
        try:
            value = int(msg.payload)
        except ValueError:
            return
        if msg.topic == self.STORED:
            self.stored = value
            if value > self.peak:
                self.peak, self.peak_at = value, time.monotonic() - self.since
            return
        self.value = value
        self.updated.set()

    def reset_peak(self) -> None:
        """Measure the peak from now on (Mosquitto publishes changes only)."""
        self.peak, self.peak_at, self.since = self.stored, 0.0, time.monotonic()

    def latest(self, timeout: float = 12.0) -> int:
        """Wait for the next publication of the drop counter; return it."""
        self.updated.clear()
        self.updated.wait(timeout)
        return self.value

    def stop(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def baseline(idle_seconds: float) -> Baseline:
    """RSS and idle CPU of hass with the probe and MQTT but no gateway."""
    with Mosquitto() as broker:
        hass = HassProcess(broker, [])
        wire = Wire(broker)
        try:
            hass.start()
            wire.wait_ready(hass)
            time.sleep(15)  # registries and storage settle
            return Baseline(rss_bytes(hass.pid), idle_rate(hass.pid, idle_seconds))
        finally:
            wire.stop()
            hass.stop()


def run_fleet(
    count: int,
    base: Baseline,
    warmup: float,
    window: float,
    stagger: float = 10.0,
    broker_settings: dict[str, str] | None = None,
) -> FleetResult:
    """Start hass with ``count`` entries, then the fleet; measure."""
    with Mosquitto(settings={"sys_interval": 1, **(broker_settings or {})}) as broker:
        ids = [f"{PREFIX}-{n}" for n in range(1, count + 1)]
        hass = HassProcess(broker, ids)
        wire = Wire(broker)
        drops = BrokerDrops(broker)
        simulator = Simulator(
            SimulatorConfig(
                host=broker.host,
                port=broker.port,
                client_id=PREFIX,
                count=count,
                seed=1,
                stagger=stagger,
            )
        )
        try:
            hass.start()
            wire.wait_ready(hass)
            setup = wire.wait_loaded(hass, count)
            wire.ask("count")
            before = wire.ask("stats")
            dropped0 = drops.latest()
            cpu_w, wall_w = cpu_seconds(hass.pid), time.monotonic()
            drops.reset_peak()
            simulator.start(timeout=60)
            time.sleep(warmup)  # first uploads create the entities
            warmup_cpu = (cpu_seconds(hass.pid) - cpu_w) / (time.monotonic() - wall_w)
            dropped1 = drops.latest()
            handled0 = wire.ask("stats")["flexapi_messages"]
            cpu0, wall0 = cpu_seconds(hass.pid), time.monotonic()
            time.sleep(window)
            cpu = cpu_seconds(hass.pid) - cpu0
            wall = time.monotonic() - wall0
            dropped2 = drops.latest()
            stats = wire.ask("stats")
            handled = stats["flexapi_messages"] - handled0
            rss = rss_bytes(hass.pid)
            # Uploads still queued in the simulator's paho (it lags on a busy
            # machine) are sent, not discarded, before the count.
            simulator.stop(drain=60)
            time.sleep(3)  # what is in flight arrives
            final = wire.ask("stats")
            dropped = drops.latest()
            return FleetResult(
                count=count,
                setup_s=setup,
                rss_per_gateway=(rss - base.rss) / count,
                cpu_share=cpu / wall,
                us_per_msg=1e6 * (cpu - base.idle * wall) / max(handled, 1),
                msgs_per_s=handled / wall,
                handled=final["flexapi_messages"] - before["flexapi_messages"],
                published=simulator.uploads,
                entities=final["entities"],
                errors=len(hass.errors_logged()),
                broker_dropped=dropped,
                dropped_warmup=dropped1 - dropped0,
                dropped_window=dropped2 - dropped1,
                peak_backlog=drops.peak,
                peak_at=drops.peak_at,
                warmup_cpu=warmup_cpu,
            )
        finally:
            drops.stop()
            simulator.stop()
            wire.stop()
            hass.stop()


def report(base: Baseline, results: Sequence[FleetResult]) -> None:
    """Print the table and the goal."""
    print()
    print(
        f"baseline hass (no gateway): RSS {base.rss / 2**20:.0f} MiB,"
        f" idle CPU {100 * base.idle:.2f} % of a core"
    )
    header = (
        f"{'gateways':>8} {'setup s':>8} {'KiB/gw':>8} {'CPU %':>7} {'msg/s':>7}"
        f" {'µs/msg':>8} {'lost':>6} {'published':>9} {'entities':>8} {'errors':>6}"
        f" {'broker drops':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.count:>8} {r.setup_s:>8.1f} {r.rss_per_gateway / 1024:>8.0f}"
            f" {100 * r.cpu_share:>7.1f} {r.msgs_per_s:>7.1f} {r.us_per_msg:>8.0f}"
            f" {r.lost:>6} {r.published:>9} {r.entities:>8} {r.errors:>6}"
            f" {r.broker_dropped:>12}"
        )
    for r in results:
        print(
            f"{r.count:>8} gateways: warm-up CPU {100 * r.warmup_cpu:.0f} % of a core;"
            f" broker dropped {r.dropped_warmup} in the warm-up,"
            f" {r.dropped_window} in the window; its peak backlog"
            f" {r.peak_backlog} messages, {r.peak_at:.0f} s after the fleet started"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio = last.us_per_msg / first.us_per_msg
        verdict = "met" if ratio <= 1.2 else "NOT met"
        print(
            f"CPU per message at {last.count} vs {first.count}: {ratio:.2f}×"
            f" (goal ≤ 1.2×: {verdict})"
        )
    lost = sum(r.lost for r in results)
    print(f"messages lost: {lost} (goal 0)")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run every fleet size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--warmup", type=float, default=40.0, help="seconds")
    parser.add_argument("--window", type=float, default=120.0, help="seconds")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds")
    parser.add_argument(
        "--stagger",
        type=float,
        default=10.0,
        help="seconds over which the gateways' uploads are spread (0: all at once)",
    )
    parser.add_argument(
        "--broker",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a mosquitto.conf setting, e.g. max_queued_messages=10000",
    )
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.broker)
    print(
        f"uploads spread over {args.stagger:g} s; broker settings:"
        f" {settings or 'Mosquitto defaults'}",
        flush=True,
    )
    base = baseline(args.idle)
    results = []
    for count in args.counts:
        print(f"== {count} gateways", flush=True)
        results.append(
            run_fleet(count, base, args.warmup, args.window, args.stagger, settings)
        )
        report(base, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
