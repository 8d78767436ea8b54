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
  - ``write_cost``: CPU time of one state write, measured here on a dummy
    entity whose state and attributes change on every write.
"""

from __future__ import annotations

import json
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import Event, HomeAssistant, StateMachine, callback
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
        ``entity``: ``async_write_ha_state`` of a typed sensor entity (unit,
        device class, state class) whose value changes, which is what one
        write of an integration's or a YAML sensor costs.
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
        return {"state_machine": machine, "entity": written}


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

    async def command(msg: mqtt.ReceiveMessage) -> None:
        request = json.loads(msg.payload)
        cmd = request.get("cmd")
        reply: dict[str, Any] = {"cmd": cmd}
        if cmd == "count":
            reply["wrapped"] = probe.count()
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
    return True
