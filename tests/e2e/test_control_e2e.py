"""Control end to end: a DO switch, a Wi-Fi select and a custom group."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flexapi.const import CONF_CLIENT_ID, CONF_PREFIX, DOMAIN
from simulator import Simulator, SimulatorConfig
from simulator.broker import Mosquitto
from tests.compat import device_by_identifier

from .conftest import CLIENT_ID, Observer, wait_for

BASE = f"v1/{CLIENT_ID}/"


@pytest.fixture(params=[False, True], ids=["io.DO2", "io.D02"])
def spelled_simulator(
    request: pytest.FixtureRequest, broker: Mosquitto
) -> Generator[Simulator]:
    """A simulated gateway spelling its outputs with a letter O or a digit zero."""
    sim = Simulator(
        SimulatorConfig(
            host=broker.host,
            port=broker.port,
            client_id=CLIENT_ID,
            seed=7,
            time_scale=0.2,
            digit_zero_do=request.param,
        )
    )
    sim.start()
    yield sim
    sim.stop()


async def _setup(hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=CLIENT_ID,
        title=CLIENT_ID,
        data={CONF_CLIENT_ID: CLIENT_ID, CONF_PREFIX: ""},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return state.state if state is not None else None


def _last(observer: Observer, topic: str) -> Any:
    messages = observer.on(topic)
    return messages[-1][1] if messages else None


async def test_toggling_do2_is_confirmed_by_io_info(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    spelled_simulator: Simulator,
    observer: Observer,
) -> None:
    simulator = spelled_simulator
    key = "io.D02" if simulator.config.digit_zero_do else "io.DO2"
    await _setup(hass)
    entity_id = "switch.vg_e2e_digital_output_2"
    await wait_for(lambda: _state(hass, entity_id) == "off", what="DO2 off")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": entity_id}, blocking=True
    )
    # The action returned once the gateway's answer confirmed it.
    assert _state(hass, entity_id) == "on"
    ((_, request),) = observer.on(BASE + "io/control")
    assert {k: v for k, v in request.items() if k != "client_token"} == {key: 1}
    sent = len(observer.on(BASE + "io/info"))
    # The gateway's own next upload says the same.
    await wait_for(
        lambda: (
            len(observer.on(BASE + "io/info")) > sent
            and _last(observer, BASE + "io/info").get(key) == 1
        ),
        what="io/info with DO2 on",
    )
    assert simulator.devices[0].state.io.do[1] == 1
    assert _state(hass, entity_id) == "on"


async def test_changing_a_wifi_mode_is_confirmed_by_app_refresh(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    simulator: Simulator,
    observer: Observer,
) -> None:
    await _setup(hass)
    entity_id = "select.vg_e2e_2_4_ghz_wi_fi_mode"
    await wait_for(lambda: _state(hass, entity_id) == "ap", what="2.4 GHz AP")
    refreshes = len(observer.on(BASE + "app/refresh/resp"))
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id, "option": "sta"},
        blocking=True,
    )
    ((_, request),) = observer.on(BASE + "app/control")
    assert {k: v for k, v in request.items() if k != "client_token"} == {
        "app.wifi_mode_2g": 1,
        "app.wifi_mode_5g": 0,
    }
    await wait_for(
        lambda: len(observer.on(BASE + "app/refresh/resp")) > refreshes,
        what="the read-back",
    )
    answer = _last(observer, BASE + "app/refresh/resp")
    assert answer["result"]["app.wifi_mode_2g"] == 1
    assert _state(hass, entity_id) == "sta"


async def test_a_custom_group_with_aliases_feeds_the_entities(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    simulator: Simulator,
    observer: Observer,
) -> None:
    """io and summary uploads off: the DO and AI values come from the group only."""
    await _setup(hass)
    device = device_by_identifier(hass, (DOMAIN, CLIENT_ID))
    assert device is not None
    for group in ("io", "summary"):
        await hass.services.async_call(
            DOMAIN,
            "set_group_settings",
            {"device_id": device.id, "group": group, "interval": 0},
            blocking=True,
        )
    simulator.devices[0].state.io.do[0] = 1  # wired high on the gateway
    response = await hass.services.async_call(
        DOMAIN,
        "set_custom_groups",
        {
            "device_id": device.id,
            "groups": [
                {
                    "group_name": "e2e",
                    "interval": 1,
                    "interest": {"io.DO1": "out1", "io.AI1": "ai1"},
                }
            ],
        },
        blocking=True,
        return_response=True,
    )
    assert response == {
        "result": [
            {
                "group_name": "e2e",
                "interval": 1,
                "interest": {"io.DO1": "out1", "io.AI1": "ai1"},
            }
        ]
    }
    upload = await wait_for(
        lambda: _last(observer, BASE + "e2e/info"), what="an e2e/info upload"
    )
    assert set(upload) == {"out1", "ai1"}

    def matches() -> bool:
        latest = _last(observer, BASE + "e2e/info")
        analog = _state(hass, "sensor.vg_e2e_analog_input_1")
        return (
            _state(hass, "switch.vg_e2e_digital_output_1") == "on"
            and analog not in (None, "unknown", "unavailable")
            and abs(float(analog) - latest["ai1"]) < 0.01
        )

    await wait_for(matches, what="the aliased values on the entities")
    listed = await hass.services.async_call(
        DOMAIN,
        "get_custom_groups",
        {"device_id": device.id},
        blocking=True,
        return_response=True,
    )
    assert listed == {
        "groups": [
            {
                "group_name": "e2e",
                "interval": 1,
                "interest": {"io.DO1": "out1", "io.AI1": "ai1"},
            }
        ]
    }


async def test_a_burst_of_changes_respects_the_gateways_pacing(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    simulator: Simulator,
    observer: Observer,
) -> None:
    """The simulator answers device_busy inside 5 s: it never has to."""
    await _setup(hass)
    do1, do3 = "switch.vg_e2e_digital_output_1", "switch.vg_e2e_digital_output_3"
    await wait_for(lambda: _state(hass, do3) == "off", what="DO3 off")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": do1}, blocking=True
    )
    second = hass.async_create_task(
        hass.services.async_call("switch", "turn_on", {"entity_id": do3}, blocking=True)
    )
    third = hass.async_create_task(
        hass.services.async_call(
            "switch", "turn_off", {"entity_id": do1}, blocking=True
        )
    )
    await second
    await third
    requests = [payload for _, payload in observer.on(BASE + "io/control")]
    assert [
        {k: v for k, v in request.items() if k != "client_token"}
        for request in requests
    ] == [{"io.DO1": 1}, {"io.DO1": 0, "io.DO3": 1}]
    answers = [payload for _, payload in observer.on(BASE + "io/control/resp")]
    assert all("error" not in answer for answer in answers)
    assert _state(hass, do1) == "off"
    assert _state(hass, do3) == "on"
