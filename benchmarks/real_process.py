"""Per-message CPU in a real Home Assistant process: integration, YAML, floor.

Run from the repository root::

    .venv/bin/python benchmarks/real_process.py                  # full run
    .venv/bin/python benchmarks/real_process.py --messages 200   # smoke run

One real Mosquitto and one real ``hass -c`` process hold, at the same time:

1. the integration: a FlexAPI entry for ``BENCH1``, fed on
   ``v1/BENCH1/summary/info`` (a simulated gateway, uploading only every
   few hours, answers its start-up requests);
2. the equivalent hand-written MQTT YAML sensors, one per summary key, fed
   on ``yaml/summary/info``;
3. Home Assistant's floor, from the benchmark's probe component: a
   subscription that does nothing (``floor/receive``) and one that only
   ``json.loads`` the payload (``floor/decode``).

Streams are realistic: every upload carries a newer ``<group>.ts``.
"changing" changes every value on every message; "repeat" sends the same
values under a new timestamp (a parked vehicle). Each target gets the same
messages at the same rate, in interleaved rounds. CPU is user + system time
of the hass process from ``/proc/<pid>/stat``, minus its idle CPU over the
same wall time. State writes are counted by the probe; the cost of one state
write is measured by the probe in the same process.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Sequence
import json
import os
from pathlib import Path
import shutil
import signal
from statistics import median
import subprocess
import sys
import time
from typing import Any

from ingest import SUMMARY, summary_values, yaml_sensors
from realhass import HassProcess, Wire, cpu_seconds, idle_rate

from simulator import Simulator, SimulatorConfig
from simulator.broker import Mosquitto

CLIENT_ID = "BENCH1"
TARGETS = {
    "integration": f"v1/{CLIENT_ID}/summary/info",
    "YAML": "yaml/summary/info",
    "floor: receive": "floor/receive",
    "floor: receive + decode": "floor/decode",
    "floor: + its writes": "floor/write",
}
WRITES_FLOOR = "floor: + its writes"
TS_KEYS = [key for key in SUMMARY if key.endswith(".ts")]
CHANGING, REPEAT = "changing", "repeat"


def stream(kind: str, start: int, count: int) -> list[str]:
    """Payloads ``start`` .. ``start + count``: newer timestamps every time."""
    payloads = []
    for step in range(start, start + count):
        values = summary_values(step if kind == CHANGING else 0)
        for key in TS_KEYS:
            values[key] = 1592820539 + 10 * step
        payloads.append(json.dumps(values, separators=(",", ":")))
    return payloads


class Run:
    """Collected figures of one target and stream."""

    def __init__(self) -> None:
        """Empty."""
        self.cpu = 0.0
        self.wall = 0.0
        self.messages = 0
        self.writes = 0

    def add(self, other: Run) -> None:
        """Pool another window's figures into this one."""
        self.cpu += other.cpu
        self.wall += other.wall
        self.messages += other.messages
        self.writes += other.writes

    def us_per_msg(self, idle: float) -> float:
        """CPU per message with the idle CPU of the same wall time removed."""
        return 1e6 * (self.cpu - idle * self.wall) / max(self.messages, 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every target with both streams and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--block", type=int, default=500, help="messages per interleaved block"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="messages/s")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after the rounds, sample the integration's streams with py-spy"
        " (on PATH or $PY_SPY) into DIR and print where its time goes",
    )
    args = parser.parse_args(argv)

    sensors = [s for s in yaml_sensors() if s["state_topic"] == TARGETS["YAML"]]
    results: dict[tuple[str, str], Run] = defaultdict(Run)
    blocks: dict[str, list[dict[str, tuple[float, float]]]] = defaultdict(list)
    costs: list[dict[str, float]] = []
    breakdowns: dict[str, dict[str, Any]] = {}
    with Mosquitto() as broker:
        gateway = Simulator(
            SimulatorConfig(
                host=broker.host,
                port=broker.port,
                client_id=CLIENT_ID,
                seed=1,
                time_scale=1000.0,  # it answers requests; the stream is ours
            )
        )
        hass = HassProcess(broker, [CLIENT_ID], yaml_sensors=sensors)
        wire = Wire(broker)
        try:
            gateway.start(timeout=30)
            hass.start()
            wire.wait_ready(hass)
            wire.wait_loaded(hass, 1)
            # Warm-up: every entity exists, registries have saved.
            step = 1
            for topic in TARGETS.values():
                wire.stream(((topic, p) for p in stream(CHANGING, step, 50)), 100)
            step += 50
            time.sleep(args.settle)
            idle = idle_rate(hass.pid, args.idle)
            print(f"idle hass: {100 * idle:.2f} % of a core", flush=True)
            # How many writes a message of each stream costs the integration:
            # the in-stream floor writes as many probe sensors per message.
            calibration: dict[str, dict[str, int]] = {}
            for kind in (CHANGING, REPEAT):
                # The first messages of a stream change what the previous
                # stream left: counted are the next ones.
                for counted_part in (False, True):
                    payloads = stream(kind, step, 50)
                    step += 50
                    if counted_part:
                        wire.ask("breakdown", start=True)
                    wire.stream(((TARGETS["integration"], p) for p in payloads), 100)
                    time.sleep(1.0)
                counted = wire.ask("breakdown", start=False)["breakdown"]
                trackers = counted["by_domain"].get("device_tracker", (0, 0))[1]
                calibration[kind] = {
                    "n": round(counted["write_calls"] / 50),
                    "zones": round(trackers / 50),
                }
            print(f"state writes per message: {calibration}", flush=True)
            targets = list(TARGETS.items())
            for _round in range(args.rounds):
                for kind in (CHANGING, REPEAT):
                    wire.ask("writes_per_message", **calibration[kind])
                    for block in range(max(args.messages // args.block, 1)):
                        payloads = stream(kind, step, args.block)
                        step += args.block
                        # Interleaved in blocks, in a rotating order, so that a
                        # busy neighbour slows every target alike.
                        shift = block % len(targets)
                        figures: dict[str, tuple[float, float]] = {}
                        for target, topic in targets[shift:] + targets[:shift]:
                            before = wire.ask("stats")["writes"]
                            cpu0, wall0 = cpu_seconds(hass.pid), time.monotonic()
                            sent, _ = wire.stream(
                                ((topic, p) for p in payloads), args.rate
                            )
                            time.sleep(1.0)  # hass finishes what is queued
                            part = Run()
                            part.cpu = cpu_seconds(hass.pid) - cpu0
                            part.wall = time.monotonic() - wall0
                            part.messages = sent
                            # Minus the stats request's own write-free round trip.
                            part.writes = wire.ask("stats")["writes"] - before
                            results[(target, kind)].add(part)
                            figures[target] = (
                                part.us_per_msg(idle),
                                part.writes / max(sent, 1),
                            )
                        blocks[kind].append(figures)
                costs.append(wire.ask("write_cost", n=5000)["seconds"])
            for kind in (CHANGING, REPEAT):
                payloads = stream(kind, step, args.block)
                step += args.block
                wire.ask("breakdown", start=True)
                wire.stream(((TARGETS["integration"], p) for p in payloads), args.rate)
                time.sleep(1.0)
                breakdowns[kind] = wire.ask("breakdown", start=False)["breakdown"]
            if args.profile is not None:
                for kind in (CHANGING, REPEAT):
                    payloads = stream(kind, step, args.messages)
                    step += args.messages
                    profile(hass.pid, wire, payloads, args, kind)
            errors = hass.errors_logged()
        finally:
            wire.stop()
            hass.stop()
            gateway.stop()
    report(results, blocks, idle, costs, errors)
    print_breakdown(breakdowns)
    return 0


def print_breakdown(breakdowns: dict[str, dict[str, Any]]) -> None:
    """Where the integration's handling of one message goes (thread CPU)."""
    print("\nthe integration's handler, timed inside hass (thread CPU, µs/msg):")
    for kind, figures in breakdowns.items():
        messages = max(figures["messages"], 1)
        handler = 1e6 * figures["handler"] / messages
        writes = 1e6 * figures["writes"] / messages
        calls = figures["write_calls"] / messages
        per_write = writes / calls if calls else 0.0
        clocks = 1e6 * figures["clock_overhead"] * calls
        print(
            f"  {kind}: {handler:.0f} in the handler = {writes:.0f} in"
            f" {calls:.1f} state writes ({per_write:.1f} each) + {clocks:.0f}"
            f" of the probe's clocks + {handler - writes - clocks:.0f} of the"
            " integration's own code"
        )
        for domain, (seconds, calls) in sorted(figures["by_domain"].items()):
            print(
                f"    {domain}: {calls / messages:.1f} writes/msg,"
                f" {1e6 * seconds / max(calls, 1):.1f} µs each"
            )


#: Frames (function name, file part) that place a sample, outermost wins.
_PLACES = (
    ("async_write_ha_state", "helpers/entity.py", "entity state writes (HA)"),
    ("async_set_internal", "homeassistant/core.py", "entity state writes (HA)"),
    ("ingest", "flexapi/protocol/store.py", "store.ingest"),
    ("decode_object", "flexapi/protocol/messages.py", "JSON decode"),
    ("is_replay", "flexapi/protocol/store.py", "replay check"),
    ("handle_data", "flexapi/runtime.py", "listeners, freshness"),
    ("handle_info", "flexapi/runtime.py", "upload timing"),
    ("_handle_message", "flexapi/client.py", "flexapi dispatch"),
    ("_async_mqtt_on_message", "mqtt/client.py", "HA MQTT receive"),
)


def profile(
    pid: int, wire: Wire, payloads: list[str], args: argparse.Namespace, kind: str
) -> None:
    """Sample hass with py-spy while the integration gets ``payloads``."""
    py_spy = shutil.which(os.environ.get("PY_SPY", "py-spy"))
    if py_spy is None:
        print("py-spy not found: no profile", flush=True)
        return
    args.profile.mkdir(parents=True, exist_ok=True)
    out = args.profile / f"integration-{kind}.txt"
    command = [py_spy, "record", "--pid", str(pid), "--rate", "250"]
    command += ["--format", "raw", "--nonblocking", "--output", str(out)]
    spy = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.0)  # py-spy attaches
    wire.stream(((TARGETS["integration"], p) for p in payloads), args.rate)
    time.sleep(1.0)
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    if not out.exists():
        print(f"py-spy wrote no profile for {kind}", flush=True)
        return
    summarise(out, kind)


def summarise(path: Path, kind: str) -> None:
    """Print the share of samples by place (innermost of the places listed)."""
    places: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        # A frame is "Class.function (path/file.py:line)", outermost first.
        frames = [frame.partition(" (") for frame in stack.split(";")]
        if frames[-1][0].endswith("select"):
            continue  # the event loop waiting: idle
        count = int(count_text)
        total += count
        place = "elsewhere (event loop, paho, other HA)"
        for function, _, where in frames:
            name = function.rsplit(".", 1)[-1]
            label = next(
                (
                    label
                    for place_name, file_part, label in _PLACES
                    if name == place_name and file_part in where
                ),
                None,
            )
            if label is None:
                continue
            place = label
            if place == "entity state writes (HA)":
                break  # everything below a write is the write
        places[place] += count
        ours = [function for function, _, where in frames if "flexapi/" in where]
        if ours:
            functions[ours[-1]] += count
    print(f"\npy-spy, integration, {kind} stream: {total} samples")
    for place, count in places.most_common():
        print(f"  {100 * count / max(total, 1):5.1f} %  {place}")
    print("  innermost flexapi function of a sample:")
    for name, count in functions.most_common(12):
        print(f"  {100 * count / max(total, 1):5.1f} %    {name}")


def report(
    results: dict[tuple[str, str], Run],
    blocks: dict[str, list[dict[str, tuple[float, float]]]],
    idle: float,
    costs: list[dict[str, float]],
    errors: list[str],
) -> None:
    """The table of the issue, with the floor computed from its parts.

    The pooled figures sum every block; the ratios are also given as the
    median over the interleaved blocks, each block's integration against the
    floor measured next to it, which a busy machine disturbs much less.
    """
    bare = median(cost["entity"] for cost in costs)
    registered = median(cost["registered"] for cost in costs)
    write_costs = {"bare": bare, "registered": registered or bare}
    print()
    print(
        f"one state write (measured in the process, median of {len(costs)}):"
        f" {1e6 * bare:.1f} µs for a bare sensor entity outside any platform,"
        f" {1e6 * registered:.1f} µs for a registered, translated, typed"
        f" sensor, {1e6 * median(c['state_machine'] for c in costs):.1f} µs in"
        " the state machine alone"
    )
    header = f"{'':<26}{'changing µs':>12}{'writes':>8}{'repeat µs':>12}{'writes':>8}"
    print(header)
    print("-" * len(header))
    figures: dict[tuple[str, str], tuple[float, float]] = {}
    for target in TARGETS:
        row = f"{target:<26}"
        for kind in (CHANGING, REPEAT):
            run = results[(target, kind)]
            per_msg = run.us_per_msg(idle)
            writes = run.writes / max(run.messages, 1)
            figures[(target, kind)] = (per_msg, writes)
            row += f"{per_msg:>12.0f}{writes:>8.1f}"
        print(row)
    print()
    for kind in (CHANGING, REPEAT):
        per_msg, writes = figures[("integration", kind)]
        decode = figures[("floor: receive + decode", kind)][0]
        yaml = figures[("YAML", kind)][0]
        print(f"{kind}: YAML {yaml / per_msg:.2f}× the integration (pooled)")
        in_stream = figures[(WRITES_FLOOR, kind)]
        ratios = [
            block["integration"][0] / block[WRITES_FLOOR][0] for block in blocks[kind]
        ]
        print(
            f"  floor measured in the stream (receive + decode +"
            f" {in_stream[1]:.1f} registered sensor writes, the tracker's zone"
            f" lookup) = {in_stream[0]:.0f} µs;"
            f" integration {per_msg / in_stream[0]:.2f}× pooled,"
            f" {median(ratios):.2f}× median of {len(ratios)} blocks"
            f" ({min(ratios):.2f}–{max(ratios):.2f}); goal ≤ 1.2×:"
            f" {'met' if median(ratios) <= 1.2 else 'NOT met'}"
        )
        for name, cost in write_costs.items():
            floor = decode + writes * 1e6 * cost
            ratios = [
                block["integration"][0]
                / (
                    block["floor: receive + decode"][0]
                    + block["integration"][1] * 1e6 * cost
                )
                for block in blocks[kind]
            ]
            typical = median(ratios)
            verdict = "met" if typical <= 1.2 else "NOT met"
            print(
                f"  floor computed ({name} writes priced in a loop) = decode"
                f" {decode:.0f} + {writes:.1f} writes × {1e6 * cost:.1f} µs ="
                f" {floor:.0f} µs; integration {per_msg / floor:.2f}× pooled,"
                f" {typical:.2f}× median ({min(ratios):.2f}–{max(ratios):.2f});"
                f" goal ≤ 1.2×: {verdict}"
            )
    print(f"errors logged by the integration: {len(errors)}")
    for line in errors[:5]:
        print("  " + line[:200])


if __name__ == "__main__":
    sys.exit(main())
