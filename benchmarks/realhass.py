"""A real ``hass -c`` process, a real Mosquitto, and ways to measure them.

Shared by ``fleet.py`` and ``real_process.py``. The configuration is written
straight into a throw-away directory: ``configuration.yaml``, the config
entries in ``.storage/core.config_entries`` (HA's MQTT integration plus one
FlexAPI entry per gateway), and ``custom_components`` with the integration and
the benchmark's probe (``benchmarks/custom_components/bench_probe``), so HA
starts without onboarding, HTTP or any network.

CPU comes from ``/proc/<pid>/stat`` (user + system time of the whole hass
process, all threads) and memory from ``/proc/<pid>/status`` (VmRSS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any
import uuid

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessage, MQTTv311

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulator.broker import Mosquitto  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
sys.path.insert(0, str(ROOT / "scripts"))
from demo import hass_command  # noqa: E402  (FLEXAPI_HASS, as the demo has it)


def _bench_dir() -> Path:
    """Where a run's configuration goes: inside this clone (git-ignored), which
    a Home Assistant run in the chroot of scripts/lib.sh sees at the same path.
    """
    directory = ROOT / ".bench"
    directory.mkdir(exist_ok=True)
    return directory


PROBE = Path(__file__).resolve().parent / "custom_components" / "bench_probe"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _entry(domain: str, title: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "created_at": now,
        "data": data,
        "discovery_keys": {},
        "disabled_by": None,
        "domain": domain,
        "entry_id": uuid.uuid4().hex,
        "minor_version": kw.pop("minor_version", 1),
        "modified_at": now,
        "options": kw.pop("options", {}),
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": title,
        "unique_id": kw.pop("unique_id", None),
        "version": 1,
    }


@dataclass
class HassProcess:
    """One configured Home Assistant, started and stopped by the benchmark."""

    broker: Mosquitto
    client_ids: list[str]
    yaml_sensors: list[dict[str, Any]] = field(default_factory=list)
    log_level: str = "warning"
    directory: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="hass-", dir=_bench_dir()))
    )
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def pid(self) -> int:
        """Process id of hass."""
        assert self.process is not None
        return self.process.pid

    def write_config(self) -> None:
        """configuration.yaml, config entries and custom components."""
        config = self.directory
        (config / ".storage").mkdir(parents=True, exist_ok=True)
        components = config / "custom_components"
        components.mkdir(exist_ok=True)
        for name, source in (
            ("flexapi", ROOT / "custom_components" / "flexapi"),
            ("bench_probe", PROBE),
        ):
            if not (components / name).exists():
                (components / name).symlink_to(source)
        lines = [
            "homeassistant:",
            "  name: FlexAPI benchmark",
            "  unit_system: metric",
            "  time_zone: UTC",
            "  latitude: 40.2",
            "  longitude: 116.3",
            "  elevation: 50",
            "  country: DE",
            f"logger: {json.dumps({'default': self.log_level})}",
            "bench_probe:",
        ]
        if self.yaml_sensors:
            lines.append(f"mqtt: {json.dumps({'sensor': self.yaml_sensors})}")
        (config / "configuration.yaml").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
        entries = [
            _entry(
                "mqtt",
                "Mosquitto",
                {"broker": self.broker.host, "port": self.broker.port},
                minor_version=2,
                options={"discovery": True},
            )
        ] + [
            _entry(
                "flexapi",
                client_id,
                {"client_id": client_id, "prefix": ""},
                unique_id=client_id,
            )
            for client_id in self.client_ids
        ]
        (config / ".storage" / "core.config_entries").write_text(
            json.dumps(
                {
                    "version": 1,
                    "minor_version": 5,
                    "key": "core.config_entries",
                    "data": {"entries": entries},
                }
            ),
            encoding="utf-8",
        )

    def start(self) -> None:
        """Start ``hass -c``."""
        self.write_config()
        log = (self.directory / "hass.log").open("wb")
        self.started_at = time.monotonic()
        # Every step of FLEXAPI_HASS execs: the child's pid is hass's own.
        self.process = subprocess.Popen(
            [*hass_command(), "-c", str(self.directory), "--skip-pip"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def check_alive(self) -> None:
        """Fail loudly if hass died."""
        if self.process is not None and self.process.poll() is not None:
            tail = (self.directory / "hass.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"hass exited with {self.process.returncode}:\n{tail}")

    def stop(self) -> None:
        """Stop hass and remove its configuration."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not os.environ.get("FLEXAPI_BENCH_KEEP"):
            shutil.rmtree(self.directory, ignore_errors=True)

    def errors_logged(self) -> list[str]:
        """ERROR lines of the hass log that concern the integration."""
        text = (self.directory / "hass.log").read_text(errors="replace")
        return [
            line
            for line in text.splitlines()
            if " ERROR " in line and "flexapi" in line.lower()
        ]


class Wire:
    """A paho client of the benchmark: publishes streams, talks to the probe."""

    def __init__(self, broker: Mosquitto, name: str = "bench-wire") -> None:
        """Connect and subscribe to the probe's topics."""
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.ready: queue.Queue[dict[str, Any]] = queue.Queue()
        self._subscribed = threading.Event()
        self.client = Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=name,
            protocol=MQTTv311,
        )
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.subscribe([("bench/probe/reply", 1), ("bench/probe/ready", 1)])
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("benchmark client did not subscribe")

    def _on_message(self, _client: Client, _userdata: Any, msg: MQTTMessage) -> None:
        target = self.ready if msg.topic.endswith("ready") else self.replies
        target.put(json.loads(msg.payload))

    def wait_ready(self, hass: HassProcess, timeout: float = 240) -> dict[str, Any]:
        """Wait for the probe's "Home Assistant started" message."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hass.check_alive()
            try:
                return self.ready.get(timeout=1)
            except queue.Empty:
                continue
        raise TimeoutError("Home Assistant did not start")

    def ask(self, cmd: str, timeout: float = 120, **kw: Any) -> dict[str, Any]:
        """Send a probe command and wait for its answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while not self.replies.empty():
                self.replies.get_nowait()
            # HA subscribes with a debounce (and again after its birth
            # message): a command sent before that reaches nobody, so repeat.
            self.client.publish(
                "bench/probe/cmd", json.dumps({"cmd": cmd, **kw}), qos=1
            ).wait_for_publish(10)
            try:
                reply = self.replies.get(timeout=5 if cmd == "stats" else timeout)
            except queue.Empty:
                continue
            if reply.get("cmd") != cmd:
                raise RuntimeError(f"unexpected probe reply {reply}")
            return reply
        raise TimeoutError(f"the probe did not answer {cmd}")

    def wait_loaded(self, hass: HassProcess, count: int, timeout: float = 900) -> float:
        """Wait until ``count`` FlexAPI entries are loaded; return the time it took."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hass.check_alive()
            stats = self.ask("stats")
            if stats["flexapi_loaded"] >= count:
                return time.monotonic() - hass.started_at
            time.sleep(0.5)
        raise TimeoutError(f"only {stats['flexapi_loaded']} of {count} entries loaded")

    def stream(
        self, items: Iterable[tuple[str, str]], rate: float, qos: int = 1
    ) -> tuple[int, float]:
        """Publish ``(topic, payload)`` at ``rate`` messages/s; return count, seconds."""
        started = time.monotonic()
        sent = 0
        infos = []
        for topic, payload in items:
            due = started + sent / rate
            if (delay := due - time.monotonic()) > 0:
                time.sleep(delay)
            infos.append(self.client.publish(topic, payload, qos=qos))
            sent += 1
        for info in infos:
            info.wait_for_publish(30)
        return sent, time.monotonic() - started

    def stop(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


def measure_cpu(
    pid: int, run: Callable[[], Any], settle: float = 1.0
) -> tuple[float, float, Any]:
    """CPU seconds and wall seconds of ``pid`` while ``run`` runs (plus a settle)."""
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    result = run()
    time.sleep(settle)  # let hass finish what is queued
    return cpu_seconds(pid) - cpu0, time.monotonic() - wall0, result


def idle_rate(pid: int, seconds: float) -> float:
    """CPU seconds per wall second of an idle process."""
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0)
