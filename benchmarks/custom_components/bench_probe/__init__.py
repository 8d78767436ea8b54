"""Benchmark probe: Home Assistant's own floor, and a window into the process.

Only the benchmarks in ``benchmarks/`` install this component, into a
throw-away configuration. It is never part of the FlexAPI integration.

* The floor: ``floor/receive`` is subscribed with a callback that does
  nothing, ``floor/decode`` with one that only ``json.loads`` the payload,
  both at QoS 1 like the integration (HA acknowledges each message).
  Their CPU per message is what any MQTT consumer in HA costs at least.
* State writes are counted (a wrapper around ``StateMachine.async_set_internal``
  that adds one integer increment per write, in every scenario alike).
* Commands on ``bench/probe/cmd`` (JSON ``{"cmd": ...}``), answers on
  ``bench/probe/reply``:

  - ``stats``: state writes so far, entities, FlexAPI entries loaded, and
    FlexAPI messages handled (once ``count`` ran);
  - ``count``: start counting the uploads each FlexAPI runtime handles
    (wraps the client's per-instance callbacks, no reload);
  - ``write_cost``: CPU time of one state write, measured here on entities
    whose value changes on every write: a bare sensor written outside any
    platform, and the typed, registered, translated sensors of
    ``sensor.py``, which have what an integration's entity has.
"""

from __future__ import annotations

import json
import time
from typing import Any

from homeassistant.components import mqtt, zone
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, Platform
from homeassistant.core import Event, HomeAssistant, StateMachine, callback
from homeassistant.helpers.discovery import async_load_platform
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"
READY_TOPIC = "bench/probe/ready"
CMD_TOPIC = "bench/probe/cmd"
REPLY_TOPIC = "bench/probe/reply"


class Probe:
    """Counters of one Home Assistant process."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Wrap the state machine's write."""
        self.hass = hass
        self.writes = 0
        self.flexapi_messages = 0
        self.decoded = 0
        self.writes_per_message = 0
        self.zone_lookups_per_message = 0
        self._breakdown: dict[str, Any] = {}
        self._write_calls = 0
        self._handlers: list[tuple[list[Any], list[Any]]] = []
        self._write: Any = None
        original = StateMachine.async_set_internal

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.writes += 1
            return original(*args, **kwargs)

        # StateMachine has __slots__: wrap the method on the class.
        StateMachine.async_set_internal = counting  # type: ignore[method-assign]

    @callback
    def receive(self, msg: mqtt.ReceiveMessage) -> None:
        """The floor: receive only."""

    @callback
    def decode(self, msg: mqtt.ReceiveMessage) -> None:
        """The floor: receive and decode."""
        json.loads(msg.payload)

    @callback
    def decode_write(self, msg: mqtt.ReceiveMessage) -> None:
        """The floor with writes: receive, decode, write ``writes_per_message``.

        The probe's registered sensors get a new value each, in the stream,
        as an integration's entities do: a write priced in a tight loop of
        its own runs on warm caches and is cheaper than one among messages.
        """
        data = json.loads(msg.payload)
        sensors = self.hass.data.get(DOMAIN + "_sensors", [])
        value = float(len(data) + self.decoded)
        self.decoded += 1
        for sensor in sensors[: self.writes_per_message]:
            sensor._attr_native_value = value
            sensor.async_write_ha_state()
        if self.zone_lookups_per_message:
            # A device tracker's write also looks up the zone of its new
            # position; the probe has no tracker entity, so it pays that part
            # of such a write here (the rest is priced by a sensor write).
            latitude = data.get("gnss.latitude")
            longitude = data.get("gnss.longitude")
            if isinstance(latitude, float) and isinstance(longitude, float):
                for _ in range(self.zone_lookups_per_message):
                    zone.async_active_zone(self.hass, latitude, longitude, 5)

    def _runtimes(self) -> list[Any]:
        return [
            entry.runtime_data
            for entry in self.hass.config_entries.async_entries("flexapi")
            if getattr(entry, "runtime_data", None) is not None
        ]

    def count(self) -> int:
        """Count the uploads every FlexAPI runtime handles from now on."""
        wrapped = 0
        for runtime in self._runtimes():
            client = runtime.client
            for name in ("_on_info", "_on_repeat"):
                inner = getattr(client, name, None)
                if inner is None or getattr(inner, "bench_counted", False):
                    continue

                def counted(*args: Any, _inner: Any = inner) -> Any:
                    self.flexapi_messages += 1
                    return _inner(*args)

                counted.bench_counted = True  # type: ignore[attr-defined]
                setattr(client, name, counted)
                wrapped += 1
        return wrapped

    def breakdown(self, start: bool) -> dict[str, Any]:
        """Time the integration's message handling and its state writes.

        ``start``: wrap every FlexAPI client's message handler (through the
        shared per-prefix subscriptions, whose handler lists are plain data)
        and ``Entity.async_write_ha_state`` with ``time.thread_time`` clocks.
        Stopping restores both and returns the totals: the handler time
        includes the writes; what is left is the integration's own code.
        Only the integration should get messages meanwhile.
        """
        if start:
            self._breakdown = {"messages": 0, "handler": 0.0, "writes": 0.0}
            self._write_calls = 0
            totals = self._breakdown
            shared = self.hass.data.get("flexapi_subscriptions", {})
            self._handlers = []
            for subscription in shared.values():
                for handlers in subscription.handlers.values():
                    self._handlers.append((handlers, list(handlers)))
                    for index, inner in enumerate(handlers):

                        def timed(msg: Any, _inner: Any = inner) -> None:
                            started = time.thread_time()
                            _inner(msg)
                            totals["handler"] += time.thread_time() - started
                            totals["messages"] += 1

                        handlers[index] = timed
            original = Entity.async_write_ha_state
            self._write = original

            by_domain = totals["by_domain"] = {}

            def timed_write(entity: Entity) -> None:
                started = time.thread_time()
                original(entity)
                spent = time.thread_time() - started
                totals["writes"] += spent
                self._write_calls += 1
                domain = entity.entity_id.partition(".")[0]
                seconds, calls = by_domain.get(domain, (0.0, 0))
                by_domain[domain] = (seconds + spent, calls + 1)

            Entity.async_write_ha_state = timed_write  # type: ignore[method-assign]
            return {"wrapped": len(self._handlers)}
        Entity.async_write_ha_state = self._write  # type: ignore[method-assign]
        for handlers, originals in self._handlers:
            handlers[:] = originals
        return {
            **self._breakdown,
            "write_calls": self._write_calls,
            "clock_overhead": self._clock_overhead(),
        }

    @staticmethod
    def _clock_overhead(count: int = 20000) -> float:
        """Seconds one timed write's clock and bookkeeping add outside it.

        The handler's time includes them; the caller subtracts them so that
        what is left is the integration's own code.
        """
        by_domain: dict[str, tuple[float, int]] = {}
        totals = {"writes": 0.0}
        started = time.thread_time()
        for _ in range(count):
            inner = time.thread_time()
            spent = time.thread_time() - inner
            totals["writes"] += spent
            seconds, calls = by_domain.get("sensor", (0.0, 0))
            by_domain["sensor"] = (seconds + spent, calls + 1)
        return (time.thread_time() - started) / count

    def stats(self) -> dict[str, Any]:
        """What the runner asks for between phases."""
        entries = self.hass.config_entries.async_entries("flexapi")
        return {
            "writes": self.writes,
            "entities": len(self.hass.states.async_all()),
            "flexapi_entries": len(entries),
            "flexapi_loaded": sum(e.state is ConfigEntryState.LOADED for e in entries),
            "flexapi_messages": self.flexapi_messages,
            "monotonic": time.monotonic(),
        }

    def write_cost(self, count: int = 2000) -> dict[str, float]:
        """CPU seconds of one state write: the state machine's, and an entity's.

        ``state_machine``: ``hass.states.async_set`` with a new state.
        ``entity``: ``async_write_ha_state`` of a bare sensor entity (unit,
        device class, state class) outside any platform: the cheapest write.
        ``registered``: the same for the probe's platform sensors, which are
        registered, named through translations and typed like an
        integration's entities (``sensor.py``); 0 if they are not loaded.
        """
        states = self.hass.states
        started = time.process_time()
        for n in range(count):
            states.async_set(
                "sensor.bench_probe_write", str(n), {"unit_of_measurement": "x"}
            )
        machine = (time.process_time() - started) / count
        entity = SensorEntity()
        entity.hass = self.hass
        entity.entity_id = "sensor.bench_probe_entity"
        entity._attr_name = "Bench probe"
        entity._attr_device_class = SensorDeviceClass.VOLTAGE
        entity._attr_state_class = SensorStateClass.MEASUREMENT
        entity._attr_native_unit_of_measurement = "V"
        started = time.process_time()
        for n in range(count):
            entity._attr_native_value = 12.0 + n * 0.001
            entity.async_write_ha_state()
        written = (time.process_time() - started) / count
        registered = self.hass.data.get(DOMAIN + "_sensors", [])
        typed = 0.0
        if registered:
            started = time.process_time()
            for n in range(count):
                probe = registered[n % len(registered)]
                probe._attr_native_value = 12.0 + n * 0.001
                probe.async_write_ha_state()
            typed = (time.process_time() - started) / count
        return {"state_machine": machine, "entity": written, "registered": typed}


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Subscribe the floor and the command topic; announce readiness."""
    probe = Probe(hass)
    hass.data[DOMAIN] = probe
    # QoS 1 like the integration's subscriptions: HA acknowledges (PUBACK)
    # every message the gateway sends at QoS 1, which is part of receiving it.
    await mqtt.async_subscribe(
        hass, "floor/receive", probe.receive, qos=1, encoding=None
    )
    await mqtt.async_subscribe(hass, "floor/decode", probe.decode, qos=1, encoding=None)
    await mqtt.async_subscribe(
        hass, "floor/write", probe.decode_write, qos=1, encoding=None
    )

    async def command(msg: mqtt.ReceiveMessage) -> None:
        request = json.loads(msg.payload)
        cmd = request.get("cmd")
        reply: dict[str, Any] = {"cmd": cmd}
        if cmd == "count":
            reply["wrapped"] = probe.count()
        elif cmd == "writes_per_message":
            probe.writes_per_message = int(request["n"])
            probe.zone_lookups_per_message = int(request.get("zones", 0))
        elif cmd == "breakdown":
            reply["breakdown"] = probe.breakdown(bool(request.get("start")))
        elif cmd == "write_cost":
            reply["seconds"] = probe.write_cost(int(request.get("n", 2000)))
        reply.update(probe.stats())
        await mqtt.async_publish(hass, REPLY_TOPIC, json.dumps(reply), qos=1)

    await mqtt.async_subscribe(hass, CMD_TOPIC, command, qos=1)

    async def started(_event: Event) -> None:
        await mqtt.async_publish(
            hass, READY_TOPIC, json.dumps(probe.stats()), qos=1, retain=True
        )

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, started)
    hass.async_create_task(
        async_load_platform(hass, Platform.SENSOR, DOMAIN, {}, config),
        eager_start=True,
    )
    return True
