"""CPU cost of ingesting FlexAPI summary messages: the integration vs MQTT YAML.

Run from the repository root::

    .venv/bin/python benchmarks/ingest.py            # the table
    .venv/bin/python benchmarks/ingest.py --profile  # plus a cProfile

One Home Assistant test instance (pytest-homeassistant-custom-component, with
the MQTT client mocked) holds both consumers of the same stream of rev 1.0.8
summary payloads (the §3.1.1 example, 45 keys):

* the integration: a FlexAPI entry for ``BENCH001``, fed on
  ``v1/BENCH001/summary/info``. HA's MQTT discovery also listens there (the
  manifest lists ``v1/+/summary/info``), so every new payload starts and aborts
  a discovery config flow: a cost users pay, kept in;
* what users write today: one ``mqtt: sensor:`` per key with
  ``value_template: "{{ value_json['gnss.latitude'] }}"`` and a ``unique_id``,
  fed on ``yaml/summary/info``.

Each message is fired with ``async_fire_mqtt_message`` and followed by
``await hass.async_block_till_done()``, for both paths alike. CPU time is
``time.process_time()`` around the message loop, after a warm-up, with every
payload string built beforehand. It is a benchmark, not a test: nothing is
asserted about timing, only that the entities really update.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
import gc
import json
import logging
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

PROFILE_ENV = "FLEXAPI_BENCH_PROFILE"


def main(argv: Sequence[str]) -> int | pytest.ExitCode:
    """Run this file through pytest (with the Home Assistant plugin)."""
    if "--profile" in argv:
        os.environ[PROFILE_ENV] = "1"
    return pytest.main(
        [
            __file__,
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
            "-o",
            "testpaths=",
            "-W",
            "ignore::DeprecationWarning",
        ]
    )


if __name__ == "__main__":
    # Before Home Assistant is imported: the plugin must be loaded first.
    sys.exit(main(sys.argv[1:]))

from homeassistant.components import mqtt  # noqa: E402
from homeassistant.components.mqtt.models import DATA_MQTT  # noqa: E402
from homeassistant.const import EVENT_STATE_CHANGED, __version__ as HA_VERSION  # noqa: E402
from homeassistant.core import (  # noqa: E402
    CALLBACK_TYPE,
    Event,
    HomeAssistant,
    StateMachine,
    callback,
)
from homeassistant.helpers import entity_registry as er  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient  # noqa: E402

from custom_components.flexapi.const import CONF_CLIENT_ID, CONF_PREFIX, DOMAIN  # noqa: E402
from custom_components.flexapi.protocol.catalog import canonical_key, lookup  # noqa: E402

_EXAMPLES: dict[str, Any] = json.loads(
    (ROOT / "tests" / "fixtures" / "spec_examples.json").read_text(encoding="utf-8")
)
#: The §3.1.1 summary example (45 keys).
SUMMARY: dict[str, Any] = _EXAMPLES["summary"]
SYSINFO: dict[str, Any] = _EXAMPLES["sysinfo"]

CLIENT_ID = "BENCH001"
INTEGRATION_TOPIC = f"v1/{CLIENT_ID}/summary/info"
YAML_TOPIC = "yaml/summary/info"
YAML_TYPED_TOPIC = "yaml_typed/summary/info"
FLOOR_TOPIC = "nobody/listens/here"

#: Single-device cases: messages per case, timed in interleaved rounds.
MESSAGES = 2000
ROUNDS = 4
WARMUP = 200
#: Fleet case.
FLEET_DEVICES = 200
FLEET_ROUNDS = 30  # messages = FLEET_DEVICES × FLEET_ROUNDS
FLEET_WINDOWS = 3  # timed windows the rounds are split into
FLEET_INTERVAL = 10.0  # seconds between summaries of one device
FLEET_MSG_PER_S = FLEET_DEVICES / FLEET_INTERVAL
IDLE_SECONDS = 5.0
#: Seconds after the fleet's entities appear before the idle window: the
#: entity and device registries save 10 s after their last change.
SETTLE_SECONDS = 15.0
#: Discovery on/off comparison: interleaved rounds of each.
AB_ROUNDS = 3
AB_MESSAGES = 300
AB_FLEET_ROUNDS = 3  # × FLEET_DEVICES messages
#: Targets from the issue: how many times cheaper than YAML.
TARGET_CHANGING = 4.0
TARGET_IDENTICAL = 20.0
PROFILE_MESSAGES = 1000
PROFILE_TOP = 25
#: Where the time goes, by cumulative time: the integration's entry points,
#: HA's state writes, the discovery flow, template rendering, the harness.
PROFILE_SELECTED = (
    r"flexapi/(client|runtime).py.*\((_handle_message|handle_data)\)"
    r"|store.py.*\(ingest\)|messages.py.*\(decode_object\)"
    r"|entity.py.*\(async_write_ha_state\)|config_entries.py.*\(async_init\)"
    r"|mqtt/client.py.*\(_async_mqtt_on_message\)"
    r"|template.py.*\(async_render_with_possible_json_value\)"
    r"|core.py.*\(async_block_till_done\)|common.py.*\(async_fire_mqtt_message\)"
)

INTEGRATION = "integration"
YAML = "YAML sensors"
YAML_TYPED = "YAML, typed"
CHANGING = "changing values"
IDENTICAL = "identical messages"
#: Key of HA's MQTT discovery subscription for the manifest's summary topic.
DISCOVERY_TOPIC = "v1/+/summary/info"
MANIFEST_MQTT: list[str] = json.loads(
    (ROOT / "custom_components" / "flexapi" / "manifest.json").read_text()
)["mqtt"]
DISCOVERY_KEY = f"{DOMAIN}_{DISCOVERY_TOPIC}"


# -- payloads -------------------------------------------------------------------


def _clock(seconds: int) -> str:
    seconds %= 86400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def summary_values(step: int, device: int = 0) -> dict[str, Any]:
    """The 45-key summary of one device at ``step``.

    Every value differs from the one at ``step - 1``: positions drift,
    counters count, DI/DO/pull-ups toggle, date and time strings move.
    """
    ts = 1592820539 + 10 * step
    toggle = step % 2
    values: dict[str, Any] = {
        "gnss.ts": ts,
        "gnss.latitude": round(40.232213 + 0.01 * device + 0.00001 * step, 6),
        "gnss.longitude": round(116.34366 + 0.01 * device + 0.00002 * step, 6),
        "gnss.altitude": 346.0 + 0.5 * (step % 50),
        "gnss.speed": round(60.0 + 0.7 * (step % 40), 1),
        "gnss.heading": float(7 * step % 360),
        "gnss.hdop": round(0.8 + 0.1 * (step % 9), 1),
        "gnss.pdop": round(1.5 + 0.1 * (step % 7), 1),
        "gnss.hacc": float(1 + step % 5),
        "gnss.fix": 2 + toggle,
        "gnss.num_sv": 6 + step % 6,
        "gnss.date": f"2020-4-{1 + step % 28}",
        "gnss.time": _clock(36981 + 10 * step),
        "obd.ts": ts,
        "obd.rpm": 800 + 37 * step % 3000,
        "obd.speed": 3 * step % 120,
        "obd.odo": 1400 + step,
        "obd.up_time": 3600 + 10 * step,
        "io.ts": ts,
    }
    for index in range(1, 7):
        values[f"io.AI{index}"] = round(0.05 * ((step + 13 * index) % 200), 2)
    for index in range(1, 7):
        values[f"io.DI{index}"] = toggle
        values[f"io.DI{index}_pullup"] = 1 - toggle
    for index in range(1, 5):
        # The example spells the outputs with a digit zero: io.D01.
        values[f"io.D0{index}"] = 1 - toggle
        values[f"io.D0{index}_pullup"] = toggle
    assert set(values) == set(SUMMARY), set(values) ^ set(SUMMARY)
    return {key: values[key] for key in SUMMARY}


def summary_payload(step: int, device: int = 0) -> str:
    """One summary message as it comes off the wire."""
    return json.dumps(summary_values(step, device), separators=(",", ":"))


# -- YAML sensors -------------------------------------------------------------------


def _yaml_unique_id(key: str) -> str:
    return f"yaml_summary_{key}"


def yaml_sensors() -> list[dict[str, Any]]:
    """One hand-written MQTT sensor per summary key, as users write them.

    Two sets on two topics: the literal form of the issue (name, state_topic,
    value_template), and the same sensors "typed" with the unit, device class
    and state class the integration's entity for that key has, which is what
    a user writes to get graphs and long-term statistics from them.
    """
    bare = [
        {
            "name": f"Summary {key}",
            "unique_id": _yaml_unique_id(key),
            "state_topic": YAML_TOPIC,
            "value_template": f"{{{{ value_json['{key}'] }}}}",
        }
        for key in SUMMARY
    ]
    typed = []
    for key in SUMMARY:
        sensor: dict[str, Any] = {
            "name": f"Typed {key}",
            "unique_id": f"yaml_typed_{key}",
            "state_topic": YAML_TYPED_TOPIC,
            "value_template": f"{{{{ value_json['{key}'] }}}}",
        }
        param = lookup(canonical_key(key)[0])
        if param is not None and param.unit and param.device_class != "enum":
            sensor["unit_of_measurement"] = param.unit
            if param.device_class:
                sensor["device_class"] = param.device_class
            if param.state_class:
                sensor["state_class"] = param.state_class
        typed.append(sensor)
    return bare + typed


@pytest.fixture
def hass_config() -> dict[str, Any]:
    """configuration.yaml for mock_hass_config: the hand-written sensors."""
    return {"mqtt": {"sensor": yaml_sensors()}}


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Keep asyncio's debug mode off, as in production.

    The plugin's fixture of this name turns it on for tests; it records a
    stack trace for every callback and task and would distort the figures.
    """


@pytest.fixture(autouse=True)
def production_logging() -> Iterator[None]:
    """Root logger at WARNING, as Home Assistant sets it when not verbose."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)


# -- measuring ------------------------------------------------------------------


class WriteCounter:
    """State writes (``async_set_internal`` calls) and ``state_changed`` events."""

    def __init__(self) -> None:
        """Start at zero."""
        self.writes = 0
        self.changed = 0

    def reset(self) -> None:
        """Back to zero."""
        self.writes = self.changed = 0

    @callback
    def on_state_changed(self, _event: Event) -> None:
        """Count a state change."""
        self.changed += 1

    @contextmanager
    def installed(self, hass: HomeAssistant) -> Iterator[None]:
        """Count for as long as the context lasts."""
        original = StateMachine.async_set_internal
        counter = self

        def async_set_internal(self: StateMachine, *args: Any, **kwargs: Any) -> None:
            counter.writes += 1
            original(self, *args, **kwargs)

        remove = hass.bus.async_listen(EVENT_STATE_CHANGED, self.on_state_changed)
        try:
            with patch.object(StateMachine, "async_set_internal", async_set_internal):
                yield
        finally:
            remove()


class GcClock:
    """CPU time spent in the cyclic garbage collector."""

    def __init__(self) -> None:
        """Not installed yet."""
        self.total = 0.0
        self.collected = 0
        self._start = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.total += time.process_time() - self._start
            self.collected += info["collected"]

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Clock the collector for as long as the context lasts."""
        gc.callbacks.append(self._callback)
        try:
            yield
        finally:
            gc.callbacks.remove(self._callback)


GC_CLOCK = GcClock()


@dataclass
class Result:
    """CPU and state writes of one timed window."""

    messages: int
    cpu: float
    writes: int
    changed: int
    gc: float = 0.0
    #: Objects the cyclic garbage collector freed (garbage in reference cycles).
    garbage: int = 0

    @property
    def us_per_msg(self) -> float:
        """CPU µs per message."""
        return self.cpu * 1e6 / self.messages

    @property
    def writes_per_msg(self) -> float:
        """State writes per message."""
        return self.writes / self.messages

    @property
    def changed_per_msg(self) -> float:
        """state_changed events per message."""
        return self.changed / self.messages

    @property
    def garbage_per_msg(self) -> float:
        """Objects in reference cycles freed by the collector, per message."""
        return self.garbage / self.messages

    @property
    def gc_us_per_msg(self) -> float:
        """Of the CPU µs per message, those spent in the garbage collector."""
        return self.gc * 1e6 / self.messages

    def __add__(self, other: Result) -> Result:
        """Pool two windows."""
        return Result(
            self.messages + other.messages,
            self.cpu + other.cpu,
            self.writes + other.writes,
            self.changed + other.changed,
            self.gc + other.gc,
            self.garbage + other.garbage,
        )


async def pump(hass: HomeAssistant, messages: Sequence[tuple[str, str]]) -> None:
    """Fire each message and let Home Assistant finish with it."""
    for topic, payload in messages:
        async_fire_mqtt_message(hass, topic, payload)
        await hass.async_block_till_done()
    # Discovery flows run as background tasks: their CPU belongs to the window.
    await hass.async_block_till_done(wait_background_tasks=True)


async def measure(
    hass: HomeAssistant, counter: WriteCounter, messages: Sequence[tuple[str, str]]
) -> Result:
    """CPU time and state writes of pushing ``messages``.

    Each window starts with ``gc.collect()``: otherwise a full collection,
    whose cost depends on the whole process heap rather than on the path
    being timed, lands in whichever interleaved window happens to trigger
    it (one such collection costs about 0.2 s here). Collections caused by
    the window's own allocations are timed. In the fleet, where every state
    object lives for 200 messages, full collections do recur within a window.
    """
    gc.collect()
    counter.reset()
    gc_start, garbage_start = GC_CLOCK.total, GC_CLOCK.collected
    start = time.process_time()
    await pump(hass, messages)
    cpu = time.process_time() - start
    return Result(
        len(messages),
        cpu,
        counter.writes,
        counter.changed,
        GC_CLOCK.total - gc_start,
        GC_CLOCK.collected - garbage_start,
    )


class Stream:
    """Consecutive changing payloads of one device, built ahead of time."""

    def __init__(self, device: int = 0) -> None:
        """Start at step 0."""
        self.device = device
        self.step = 0

    def take(self, count: int) -> list[str]:
        """The next ``count`` payloads."""
        payloads = [
            summary_payload(step, self.device)
            for step in range(self.step, self.step + count)
        ]
        self.step += count
        return payloads


def on(topic: str, payloads: Sequence[str]) -> list[tuple[str, str]]:
    """Pair payloads with a topic."""
    return [(topic, payload) for payload in payloads]


async def answer_requests(hass: HomeAssistant) -> list[CALLBACK_TYPE]:
    """Answer what a gateway is asked at setup: sysinfo/app refresh, group/get.

    Without answers, each entry's start-up requests would wait for their
    10 s timeouts in the background, during the timed windows.
    """

    @callback
    def respond(msg: mqtt.ReceiveMessage) -> None:
        try:
            token = json.loads(msg.payload)["client_token"]
        except (ValueError, KeyError, TypeError):
            return
        client_id, group, action = msg.topic.split("/")[1:4]
        result: Any = []
        if action == "refresh":
            result = dict(SYSINFO, **{"sysinfo.serial_number": client_id})
            if group != "sysinfo":
                result = {}
        answer = json.dumps({"client_token": token, "result": result})
        hass.loop.call_soon(async_fire_mqtt_message, hass, f"{msg.topic}/resp", answer)

    return [
        await mqtt.async_subscribe(hass, topic, respond)
        for topic in ("v1/+/+/refresh", "v1/+/group/get")
    ]


@contextmanager
def discovery_off(hass: HomeAssistant, topics: Iterable[str]) -> Iterator[None]:
    """Take HA's discovery subscription on the summary topic out, then back.

    Uses the MQTT client's private subscription tracking: only for the
    on/off comparison, never for the main figures. The client's cache of
    matching subscriptions per topic is cleared by each switch and refilled
    for ``topics`` at once, so no timed window starts with a cold cache.
    """
    topics = list(topics)
    client = hass.data[DATA_MQTT].client
    # The plugin's MQTT client is a MagicMock wrapping the real one.
    client = getattr(client, "_mock_wraps", None) or client
    subscriptions = [
        sub for sub in client._wildcard_subscriptions if sub.topic == DISCOVERY_TOPIC
    ]
    assert len(subscriptions) == 1, [sub.topic for sub in subscriptions]
    client._async_untrack_subscription(subscriptions[0])
    client._matching_subscriptions.cache_clear()
    for topic in topics:
        client._matching_subscriptions(topic)
    try:
        yield
    finally:
        client._async_track_subscription(subscriptions[0])
        client._matching_subscriptions.cache_clear()
        for topic in topics:
            client._matching_subscriptions(topic)


# -- entities ---------------------------------------------------------------------


def flexapi_entities(hass: HomeAssistant, entry_id: str) -> list[er.RegistryEntry]:
    """Registry entries of one FlexAPI config entry."""
    return er.async_entries_for_config_entry(er.async_get(hass), entry_id)


def enabled_entity_ids(hass: HomeAssistant, entry_id: str) -> list[str]:
    """Entities of an entry that are enabled and have a state."""
    return [
        entry.entity_id
        for entry in flexapi_entities(hass, entry_id)
        if not entry.disabled and hass.states.get(entry.entity_id) is not None
    ]


def yaml_entity_id(hass: HomeAssistant, key: str) -> str:
    """Entity id of the hand-written sensor of ``key``."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", "mqtt", _yaml_unique_id(key)
    )
    assert entity_id is not None, key
    return entity_id


def check_yaml(hass: HomeAssistant, payload: str) -> None:
    """Every hand-written sensor shows the value of ``payload``."""
    values = json.loads(payload)
    for key, value in values.items():
        state = hass.states.get(yaml_entity_id(hass, key))
        assert state is not None, key
        assert state.state == str(value), (key, state.state, value)


def check_integration(hass: HomeAssistant, client_id: str, payload: str) -> None:
    """A few integration entities show the value of ``payload``."""
    values = json.loads(payload)
    registry = er.async_get(hass)
    checked = 0
    for key in ("obd.odo", "obd.rpm", "io.AI1", "gnss.num_sv"):
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{client_id}_{key}")
        if entity_id is None or (state := hass.states.get(entity_id)) is None:
            continue
        assert float(state.state) == float(values[key]), (key, state.state)
        checked += 1
    assert checked, "no enabled integration sensor to check"


async def add_device(hass: HomeAssistant, client_id: str) -> MockConfigEntry:
    """Set up one FlexAPI entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=client_id,
        title=client_id,
        data={CONF_CLIENT_ID: client_id, CONF_PREFIX: ""},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    return entry


# -- report -------------------------------------------------------------------------

LINE = "-" * 110


def _row(case: str, path: str, entities: str, result: Result, extra: str = "") -> str:
    return (
        f"{case:<20}{path:<17}{entities:>9}{result.writes_per_msg:>11.1f}"
        f"{result.writes:>8}{result.changed:>9}{result.us_per_msg:>11.1f}"
        f"{result.gc_us_per_msg:>9.1f}{result.garbage_per_msg:>9.1f}{extra:>16}"
    )


def _pool(rounds: Sequence[Result]) -> Result:
    return sum(rounds[1:], rounds[0])


def _spread(rounds: Sequence[Result]) -> str:
    values = [r.us_per_msg for r in rounds]
    return f"{min(values):.0f} – {max(values):.0f}"


@dataclass
class Report:
    """Everything the table shows."""

    floor: Result | None = None
    rounds: dict[tuple[str, str], list[Result]] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    platforms: str = ""
    discovery_active: bool = False
    fleet_windows: list[Result] = field(default_factory=list)
    fleet_entities: int = 0
    fleet_setup_s: float = 0.0
    fleet_first_s: float = 0.0
    idle_share: float = 0.0
    idle_loop_share: float = 0.0
    #: name -> (rounds with discovery, rounds without)
    discovery: dict[str, tuple[list[Result], list[Result]]] = field(
        default_factory=dict
    )

    def total(self, case: str, path: str) -> Result:
        """All rounds of a case pooled."""
        return _pool(self.rounds[case, path])

    def print(self) -> None:
        """Print the table."""
        assert self.floor is not None
        print()
        print(LINE)
        print(
            f"FlexAPI summary ingest: HA {HA_VERSION}, Python"
            f" {platform.python_version()}, {os.cpu_count()} CPUs,"
            " asyncio debug off, root logger WARNING"
        )
        print(
            f"payload: §3.1.1 summary, {len(SUMMARY)} keys; {MESSAGES} timed messages"
            f" per case in {ROUNDS} interleaved rounds after {WARMUP} warm-up;"
            " CPU = time.process_time()"
        )
        print(
            "writes = state writes (StateMachine.async_set_internal calls),"
            " changed = state_changed events, both in the timed windows;"
        )
        print(
            "of it GC = CPU µs in the cyclic garbage collector; cyc/msg = objects"
            " it freed (garbage in reference cycles) per message"
        )
        print(LINE)
        print(
            f"{'case':<20}{'path':<17}{'entities':>9}{'writes/msg':>11}"
            f"{'writes':>8}{'changed':>9}{'µs CPU/msg':>11}{'of it GC':>9}"
            f"{'cyc/msg':>9}{'rounds min–max':>16}"
        )
        print(_row("harness floor", "(no subscriber)", "-", self.floor))
        for case, path in self.rounds:
            print(
                _row(
                    case,
                    path,
                    str(self.entities[path]),
                    self.total(case, path),
                    _spread(self.rounds[case, path]),
                )
            )
        print(LINE)
        floor = self.floor.us_per_msg
        for case, target in (
            (CHANGING, TARGET_CHANGING),
            (IDENTICAL, TARGET_IDENTICAL),
        ):
            ours = self.total(case, INTEGRATION).us_per_msg
            for baseline in (YAML, YAML_TYPED):
                yaml = self.total(case, baseline).us_per_msg
                ratio = yaml / ours
                net = (yaml - floor) / (ours - floor)
                verdict = "met" if ratio >= target else "MISSED"
                net_verdict = "met" if net >= target else "MISSED"
                print(
                    f"{case:<19}{baseline:<13} / integration = {ratio:5.2f}×"
                    f"  target ≥{target:g}×: {verdict:<6}"
                    f"  net of the harness floor: {net:5.2f}× ({net_verdict})"
                )
        print(LINE)
        fleet = _pool(self.fleet_windows)
        share = fleet.us_per_msg * FLEET_MSG_PER_S / 1e6
        print(
            f"fleet: {FLEET_DEVICES} devices (BENCH001..BENCH{FLEET_DEVICES:03d}),"
            f" {self.fleet_entities} entities with a state; a summary every"
            f" {FLEET_INTERVAL:g} s = {FLEET_MSG_PER_S:g} msg/s"
        )
        print(
            f"  {fleet.messages} timed messages, round-robin, in {FLEET_WINDOWS}"
            f" windows ({_spread(self.fleet_windows)} µs/msg):"
            f" {fleet.us_per_msg:.1f} µs CPU/msg"
            f" (of it GC {fleet.gc_us_per_msg:.1f}, cyc/msg"
            f" {fleet.garbage_per_msg:.1f}),"
            f" {fleet.writes_per_msg:.1f} writes/msg"
            f" ({fleet.writes} writes, {fleet.changed} state_changed)"
        )
        print(
            f"  share of one core = {fleet.us_per_msg:.1f} µs ×"
            f" {FLEET_MSG_PER_S:g} msg/s / 1e6 = {share:.4f} ({share:.2%})"
        )
        print(
            f"  idle, no messages ({IDLE_SECONDS:g} s window, after the registries"
            f" saved): {self.idle_share:.2%} of one core (event loop thread"
            f" {self.idle_loop_share:.2%}: staleness timers)"
        )
        print(
            f"  wall time: setting up {FLEET_DEVICES - 1} more entries"
            f" {self.fleet_setup_s:.1f} s; their first summaries (entity creation)"
            f" {self.fleet_first_s:.1f} s"
        )
        print(LINE)
        print(
            f"integration entities per device: {self.platforms} (enabled by default"
            " as shipped)"
        )
        if not self.discovery_active:
            print(
                "HA MQTT discovery does not listen on summary/info (manifest:"
                f" {', '.join(MANIFEST_MQTT)}): summaries start no config flow."
            )
            return
        print(
            "HA MQTT discovery listening on v1/+/summary/info (manifest):"
            " each new payload starts and aborts a config flow, included above."
            f" Interleaved rounds with it switched off ({AB_ROUNDS} × each):"
        )
        for name, (with_, without) in self.discovery.items():
            on_, off = _pool(with_), _pool(without)
            cost = on_.us_per_msg - off.us_per_msg
            gc_cost = on_.gc_us_per_msg - off.gc_us_per_msg
            print(
                f"  {name:<41} with {on_.us_per_msg:6.1f} (GC {on_.gc_us_per_msg:5.1f}),"
                f" without {off.us_per_msg:6.1f} (GC {off.gc_us_per_msg:5.1f}) µs/msg:"
                f" discovery {cost:+6.1f} µs ({cost / on_.us_per_msg:+.0%}),"
                f" excluding GC {cost - gc_cost:+6.1f} µs"
            )
        print(LINE)


def print_profile(title: str, profile: Any) -> None:
    """Top functions by own time."""
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(PROFILE_TOP)
    print(f"cProfile: {title}; top {PROFILE_TOP} by own time")
    print(out.getvalue())
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(PROFILE_SELECTED)
    print(f"cProfile: {title}; selected, by cumulative time")
    print(out.getvalue())


# -- the benchmark ------------------------------------------------------------------


class Bench:
    """The cases, run against one Home Assistant instance."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing set up yet."""
        self.hass = hass
        self.counter = WriteCounter()
        self.report = Report()
        self.profiles: dict[str, Any] = {}
        self.profiling = bool(os.environ.get(PROFILE_ENV))
        self.entries: list[MockConfigEntry] = []
        self.stream = Stream()
        #: Summary topics of the devices set up so far.
        self.topics = [INTEGRATION_TOPIC]

    async def measure(self, messages: Sequence[tuple[str, str]]) -> Result:
        """CPU time and state writes of pushing ``messages``."""
        return await measure(self.hass, self.counter, messages)

    async def profile(self, title: str, messages: Sequence[tuple[str, str]]) -> None:
        """Profile pushing ``messages`` (untimed), when asked to."""
        if not self.profiling:
            return
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
        await pump(self.hass, messages)
        profile.disable()
        self.profiles[title] = profile

    async def single_device(self) -> None:
        """BENCH001 against the hand-written sensors, on the same stream."""
        hass, report = self.hass, self.report
        entry = await add_device(hass, CLIENT_ID)
        self.entries.append(entry)
        await hass.async_block_till_done()
        warm = self.stream.take(WARMUP)
        for topic in (INTEGRATION_TOPIC, YAML_TOPIC, YAML_TYPED_TOPIC):
            await pump(hass, on(topic, warm))
        # Proof that both consumers really update.
        check_yaml(hass, warm[-1])
        check_integration(hass, CLIENT_ID, warm[-1])
        ours = enabled_entity_ids(hass, entry.entry_id)
        report.entities = {
            INTEGRATION: len(ours),
            YAML: len(SUMMARY),
            YAML_TYPED: len(SUMMARY),
        }
        domains = Counter(entity_id.split(".")[0] for entity_id in ours)
        report.platforms = f"{len(ours)} = " + ", ".join(
            f"{count} {domain}" for domain, count in sorted(domains.items())
        )
        report.floor = await self.measure(on(FLOOR_TOPIC, warm))

        paths = (
            (INTEGRATION, INTEGRATION_TOPIC),
            (YAML, YAML_TOPIC),
            (YAML_TYPED, YAML_TYPED_TOPIC),
        )
        per_round = MESSAGES // ROUNDS
        for _ in range(ROUNDS):
            payloads = self.stream.take(per_round)
            for path, topic in paths:
                result = await self.measure(on(topic, payloads))
                report.rounds.setdefault((CHANGING, path), []).append(result)
        check_yaml(hass, payloads[-1])
        check_integration(hass, CLIENT_ID, payloads[-1])

        same = self.stream.take(1)[0]
        for _, topic in paths:
            await pump(hass, on(topic, [same] * WARMUP))
        for _ in range(ROUNDS):
            for path, topic in paths:
                result = await self.measure(on(topic, [same] * per_round))
                report.rounds.setdefault((IDENTICAL, path), []).append(result)
        check_yaml(hass, same)
        check_integration(hass, CLIENT_ID, same)

        await self.discovery_ab(
            "BENCH001 alone, changing values",
            lambda: on(INTEGRATION_TOPIC, self.stream.take(AB_MESSAGES)),
        )
        same = self.stream.take(1)[0]
        await pump(hass, on(INTEGRATION_TOPIC, [same]))
        await self.discovery_ab(
            "BENCH001 alone, identical messages",
            lambda: on(INTEGRATION_TOPIC, [same] * AB_MESSAGES),
        )

        await self.profile(
            f"{PROFILE_MESSAGES} changing-value messages, integration (BENCH001)",
            on(INTEGRATION_TOPIC, self.stream.take(PROFILE_MESSAGES)),
        )
        same = self.stream.take(1)[0]
        await pump(hass, on(INTEGRATION_TOPIC, [same]))
        await self.profile(
            f"{PROFILE_MESSAGES} identical messages, integration (BENCH001)",
            on(INTEGRATION_TOPIC, [same] * PROFILE_MESSAGES),
        )
        await self.profile(
            f"{PROFILE_MESSAGES} changing-value messages, YAML sensors",
            on(YAML_TOPIC, self.stream.take(PROFILE_MESSAGES)),
        )

    async def fleet(self) -> None:
        """200 devices, each sending a changing summary, round-robin."""
        hass, report = self.hass, self.report
        ids = [f"BENCH{n:03d}" for n in range(1, FLEET_DEVICES + 1)]
        started = time.monotonic()
        for client_id in ids[1:]:
            self.entries.append(await add_device(hass, client_id))
        await hass.async_block_till_done()
        report.fleet_setup_s = time.monotonic() - started
        streams = [self.stream, *(Stream(n) for n in range(1, FLEET_DEVICES))]
        topics = self.topics = [f"v1/{client_id}/summary/info" for client_id in ids]

        def rounds(count: int) -> list[tuple[str, str]]:
            return [
                (topic, stream.take(1)[0])
                for _ in range(count)
                for topic, stream in zip(topics, streams, strict=True)
            ]

        started = time.monotonic()
        await pump(hass, rounds(1))
        report.fleet_first_s = time.monotonic() - started
        settled = time.monotonic() + SETTLE_SECONDS
        await pump(hass, rounds(2))  # warm-up
        for _ in range(FLEET_WINDOWS):
            messages = rounds(FLEET_ROUNDS // FLEET_WINDOWS)
            report.fleet_windows.append(await self.measure(messages))
        last = dict(messages[-FLEET_DEVICES:])
        for client_id, topic in ((ids[0], topics[0]), (ids[-1], topics[-1])):
            check_integration(hass, client_id, last[topic])
        report.fleet_entities = sum(
            len(enabled_entity_ids(hass, entry.entry_id)) for entry in self.entries
        )
        assert report.fleet_entities == FLEET_DEVICES * report.entities[INTEGRATION]
        await self.discovery_ab(
            f"{FLEET_DEVICES} devices round-robin, changing values",
            lambda: rounds(AB_FLEET_ROUNDS),
        )
        await self.profile(
            f"{FLEET_DEVICES * 5} changing-value messages, {FLEET_DEVICES} devices"
            " round-robin",
            rounds(5),
        )

        # Idle, once the registries' delayed saves of the new entities are done.
        await asyncio.sleep(max(0.0, settled - time.monotonic()))
        gc.collect()
        start, loop_start = time.process_time(), time.thread_time()
        await asyncio.sleep(IDLE_SECONDS)
        report.idle_share = (time.process_time() - start) / IDLE_SECONDS
        report.idle_loop_share = (time.thread_time() - loop_start) / IDLE_SECONDS
        if self.profiling:
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
            await asyncio.sleep(IDLE_SECONDS)
            profile.disable()
            self.profiles[f"{IDLE_SECONDS:g} s idle, {FLEET_DEVICES} devices"] = profile

    async def discovery_ab(
        self, name: str, messages: Callable[[], Sequence[tuple[str, str]]]
    ) -> None:
        """Interleaved rounds with and without HA's discovery subscription.

        Only meaningful while the manifest lists the summary topic for MQTT
        discovery; it no longer does, so summaries start no config flow.
        """
        if DISCOVERY_TOPIC not in MANIFEST_MQTT:
            return
        pair = self.report.discovery.setdefault(name, ([], []))
        topics = [*self.topics, YAML_TOPIC, FLOOR_TOPIC]
        for _ in range(AB_ROUNDS):
            pair[0].append(await self.measure(messages()))
            with discovery_off(self.hass, topics):
                pair[1].append(await self.measure(messages()))

    async def unload(self) -> None:
        """Unload every FlexAPI entry."""
        for entry in self.entries:
            assert await self.hass.config_entries.async_unload(entry.entry_id)
        await self.hass.async_block_till_done()


async def test_ingest(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Run every case and print the table (and profiles with --profile)."""
    assert not hass.loop.get_debug()
    bench = Bench(hass)
    bench.report.discovery_active = (
        DISCOVERY_KEY in hass.data[DATA_MQTT].integration_unsubscribe
    )
    unsubscribes = await answer_requests(hass)
    try:
        with bench.counter.installed(hass), GC_CLOCK.installed():
            await bench.single_device()
            await bench.fleet()
    finally:
        await bench.unload()
        for unsubscribe in unsubscribes:
            unsubscribe()
    bench.report.print()
    for title, profile in bench.profiles.items():
        print_profile(title, profile)
