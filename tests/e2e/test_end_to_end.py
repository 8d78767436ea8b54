"""The integration against a real Mosquitto and the simulated gateway."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.config_entries import SOURCE_MQTT, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flexapi.const import CONF_CLIENT_ID, CONF_PREFIX, DOMAIN
from custom_components.flexapi.protocol.catalog import canonical_key, lookup
from custom_components.flexapi.runtime import FlexApiRuntime
from simulator import Simulator
from simulator.broker import Mosquitto
from tests.compat import device_by_identifier

from .conftest import CLIENT_ID, Observer, wait_for

REQUEST = f"v1/{CLIENT_ID}"


async def _setup_entry(hass: HomeAssistant) -> FlexApiRuntime:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=CLIENT_ID,
        title=CLIENT_ID,
        data={CONF_CLIENT_ID: CLIENT_ID, CONF_PREFIX: ""},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    runtime: FlexApiRuntime = entry.runtime_data
    return runtime


async def test_discovery_creates_entry_and_device_with_sysinfo(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, simulator: Simulator
) -> None:
    """Discovery starts a flow; confirming it creates a device from sysinfo."""

    def flexapi_flow() -> dict[str, Any] | None:
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        return next(
            (f for f in flows if f["context"].get("source") == SOURCE_MQTT), None
        )

    flow = await wait_for(flexapi_flow, what="a discovery flow")
    assert flow["context"]["unique_id"] == CLIENT_ID
    # The flow's probe asked the simulator for its system info.
    form = await wait_for(
        lambda: (f := flexapi_flow()) and f["step_id"] == "confirm" and f,
        what="the confirm step",
    )
    # Showing the step again returns the form with its placeholders.
    shown = await hass.config_entries.flow.async_configure(form["flow_id"])
    assert shown["description_placeholders"]["model"] == "VG710"
    assert shown["description_placeholders"]["serial"] != "-"

    result = await hass.config_entries.flow.async_configure(form["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_CLIENT_ID: CLIENT_ID, CONF_PREFIX: ""}
    assert result["title"] == f"VG710 {CLIENT_ID}"

    def device() -> dr.DeviceEntry | None:
        found = device_by_identifier(hass, (DOMAIN, CLIENT_ID))
        return found if found is not None and found.serial_number else None

    entry_device = await wait_for(device, what="the device's sysinfo")
    sysinfo = simulator.devices[0]
    assert entry_device.model == "VG710"
    assert entry_device.manufacturer == "InHand Networks"
    assert entry_device.sw_version
    assert entry_device.serial_number == shown["description_placeholders"]["serial"]
    assert any(
        kind == dr.CONNECTION_NETWORK_MAC for kind, _ in entry_device.connections
    )
    assert sysinfo.client_id == CLIENT_ID


async def test_telemetry_reaches_the_store(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, simulator: Simulator
) -> None:
    """Every reserved group's uploads land in the store with canonical keys."""
    runtime = await _setup_entry(hass)
    for key in (
        "gnss.latitude",
        "obd.speed",
        "io.AI1",
        "io.DO1",
        "motion.roll",
        "modem1.signal_lvl",
        "cellular1.tx_bytes",
        "1-wire.temp1_data",
        "userdata.serial_number",
    ):
        await wait_for(lambda k=key: runtime.store.get(k) is not None, what=key)
    assert isinstance(runtime.store.get("gnss.latitude"), float)
    assert isinstance(runtime.store.get("io.DO1"), bool)
    state = hass.states.get("sensor.vg_e2e_vehicle_speed")
    assert state is not None
    assert state.state not in ("unknown", "unavailable")


async def test_refresh_and_settings_round_trip_with_matching_tokens(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    simulator: Simulator,
    observer: Observer,
) -> None:
    """A refresh and a settings request each get the answer for their token."""
    runtime = await _setup_entry(hass)
    result = await runtime.async_refresh("gnss")
    assert "gnss.latitude" in result
    settings = await runtime.async_set_group("gnss", interval=5)
    assert settings["interval"] == 5
    assert runtime.interval("gnss") == 5

    await wait_for(lambda: observer.on(f"{REQUEST}/gnss/set/resp"), what="set/resp")
    for request_topic in (f"{REQUEST}/gnss/refresh", f"{REQUEST}/gnss/set"):
        requests = observer.on(request_topic)
        responses = observer.on(f"{request_topic}/resp")
        assert requests, request_topic
        request_tokens = {p["client_token"] for _, p in requests}
        response_tokens = {p["client_token"] for _, p in responses}
        assert response_tokens == request_tokens
        assert all("error" not in p for _, p in responses)


async def test_requests_sent_too_fast_are_queued_not_rejected(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    simulator: Simulator,
    observer: Observer,
) -> None:
    """A burst of requests is spaced by the integration; the device never says busy."""
    runtime = await _setup_entry(hass)
    groups = ["gnss", "obd", "io", "motion", "cellular1"]
    results = await asyncio.gather(*(runtime.async_refresh(g) for g in groups))
    assert all(isinstance(result, dict) and result for result in results)
    busy = [
        payload
        for _, topic, payload in observer.messages
        if topic.endswith("/resp")
        and isinstance(payload, dict)
        and payload.get("error") == "device_busy"
    ]
    assert busy == []
    for group in groups:
        assert len(observer.on(f"{REQUEST}/{group}/refresh")) == 1


async def test_simulator_payloads_validate_against_the_catalog(
    broker: Mosquitto, simulator: Simulator, observer: Observer
) -> None:
    """Every key the simulator uploads is a catalog parameter with a valid value."""
    groups = [
        "summary",
        "gnss",
        "obd",
        "motion",
        "io",
        "cellular1",
        "userdata",
        "1-wire",
    ]
    await wait_for(
        lambda: all(observer.on(f"{REQUEST}/{g}/info") for g in groups),
        what="an upload of every group",
    )
    checked = 0
    for group in groups:
        for _, payload in observer.on(f"{REQUEST}/{group}/info"):
            assert isinstance(payload, dict)
            for key, value in payload.items():
                param = lookup(canonical_key(key)[0])
                assert param is not None, f"{group}: {key} is not in the catalog"
                if value is not None:
                    assert param.coerce(value) is not None, f"{key}={value!r}"
                checked += 1
    assert checked > 100
