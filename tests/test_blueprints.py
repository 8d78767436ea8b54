"""The automation blueprints, run through HA's blueprint integration.

Each test copies ``blueprints/automation/flexapi/`` into a fresh config
directory, makes an automation from a blueprint with ``use_blueprint``, drives
the integration's real entities with MQTT messages and checks the
notification action it ran (a mocked ``notify.mock``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
import re
import shutil
from typing import Any
from urllib.parse import parse_qs, urlparse

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
    async_mock_service,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.flexapi.const import REQUEST_TIMEOUT
from custom_components.flexapi.control import IO_GATHER
from tests.compat import device_by_identifier

from .conftest import FlexApiDevice
from .helpers import fire_json, payloads, respond

ROOT = Path(__file__).parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "flexapi"
RAW_BASE = (
    "https://raw.githubusercontent.com/flexapi-ha/flexapi/main/"
    "blueprints/automation/flexapi/"
)
IMPORT_LINK = re.compile(
    r"https://my\.home-assistant\.io/redirect/blueprint_import/\?[^)\s\"'>]+"
)

IGNITION = "binary_sensor.vg1_ignition"
TRACKER = "device_tracker.vg1_location"
NOTICE = "event.vg1_notice"
DO1 = "switch.vg1_digital_output_1"
IO_CONTROL = "v1/VG1/io/control"

#: The notification action the tests give the blueprints.
NOTIFY = [
    {
        "action": "notify.mock",
        "data": {"title": "{{ title }}", "message": "{{ message }}"},
    }
]

DEPOT = {"latitude": 52.0, "longitude": 5.0}
AWAY = {"latitude": 52.1, "longitude": 5.2}
DI_RAISE = {"starts_at": 1700000000, "status": "raise", "type": "DI_CHG", "level": 1}

AutomationFactory = Callable[..., Awaitable[None]]


@pytest.fixture
def notify_calls(hass: HomeAssistant) -> list[ServiceCall]:
    """Calls of the mocked ``notify.mock`` action."""
    return async_mock_service(hass, "notify", "mock")


@pytest.fixture
def blueprint_config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A config directory holding the shipped blueprints as a user has them."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "flexapi")
    return tmp_path


@pytest.fixture
async def make_automation(
    hass: HomeAssistant, blueprint_config_dir: Path
) -> AsyncGenerator[AutomationFactory]:
    """Set up one automation from a shipped blueprint; check it is running.

    At teardown the automation stops, so a failed test cannot leave it
    waiting for the gateway.
    """

    async def _make(blueprint: str, **inputs: Any) -> None:
        assert await async_setup_component(
            hass,
            "automation",
            {
                "automation": {
                    "id": "under_test",
                    "alias": "Under test",
                    "use_blueprint": {
                        "path": f"flexapi/{blueprint}.yaml",
                        "input": inputs,
                    },
                }
            },
        )
        await hass.async_block_till_done()
        state = hass.states.get("automation.under_test")
        assert state is not None
        assert state.state == STATE_ON, state.attributes

    yield _make
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation",
            "turn_off",
            {"entity_id": "all", "stop_actions": True},
            blocking=True,
        )


def sent(calls: list[ServiceCall]) -> list[tuple[str, str]]:
    """(title, message) of each notification."""
    return [(call.data["title"], call.data["message"]) for call in calls]


# -- packaging: files, metadata and import links ------------------------------------


def blueprint_files() -> list[Path]:
    return sorted(BLUEPRINTS.glob("*.yaml"))


def import_urls(text: str) -> set[str]:
    """The blueprint URLs of the import links in a Markdown text."""
    urls = set()
    for link in IMPORT_LINK.findall(text):
        (url,) = parse_qs(urlparse(link).query)["blueprint_url"]
        urls.add(url)
    return urls


def test_five_blueprints_with_their_source() -> None:
    """Each blueprint names the raw URL it is imported from as its source."""
    names = [path.name for path in blueprint_files()]
    assert names == [
        "digital_input.yaml",
        "digital_output.yaml",
        "ignition.yaml",
        "trip_summary.yaml",
        "zone.yaml",
    ]
    for path in blueprint_files():
        data = yaml_util.load_yaml(str(path))
        assert data["blueprint"]["domain"] == "automation"
        assert data["blueprint"]["source_url"] == RAW_BASE + path.name


@pytest.mark.parametrize("doc", ["README.md", "docs/blueprints.md"])
def test_every_blueprint_has_an_import_link(doc: str) -> None:
    """README and docs link each blueprint's import through my.home-assistant.io."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert import_urls(text) == {RAW_BASE + path.name for path in blueprint_files()}


async def test_import_links_import_and_run(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    aioclient_mock: AiohttpClientMocker,
    hass_config: dict[str, Any],
    blueprint_config_dir: Path,
    notify_calls: list[ServiceCall],
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """What the README links to imports cleanly, saves, and makes a working automation."""
    assert await async_setup_component(hass, "automation", {})
    client = await hass_ws_client(hass)
    urls = sorted(import_urls((ROOT / "README.md").read_text(encoding="utf-8")))
    for url in urls:
        path = BLUEPRINTS / url.rsplit("/", 1)[1]
        aioclient_mock.get(url, text=path.read_text(encoding="utf-8"))
        await client.send_json_auto_id({"type": "blueprint/import", "url": url})
        response = await client.receive_json()
        assert response["success"], response
        result = response["result"]
        assert result["validation_errors"] is None
        assert result["blueprint"]["metadata"]["source_url"] == url
        assert result["suggested_filename"] == f"flexapi-ha/{path.stem}"
        await client.send_json_auto_id(
            {
                "type": "blueprint/save",
                "domain": "automation",
                "path": result["suggested_filename"],
                "yaml": result["raw_data"],
                "source_url": url,
            }
        )
        response = await client.receive_json()
        assert response["success"], response

    await gateway.info("io", {"io.igt_status": 0})
    hass_config["automation"] = {
        "id": "imported",
        "alias": "Imported",
        "use_blueprint": {
            "path": "flexapi-ha/ignition.yaml",
            "input": {"ignition": IGNITION, "notify": NOTIFY},
        },
    }
    await hass.services.async_call("automation", "reload", blocking=True)
    assert hass.states.get("automation.imported").state == STATE_ON
    await gateway.info("io", {"io.igt_status": 1})
    assert [title for title, _ in sent(notify_calls)] == ["VG1 Ignition on"]


# -- ignition -------------------------------------------------------------------


async def test_ignition_on_and_off(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """Each change of io.igt_status is one notification; repeats are none."""
    await gateway.info("io", {"io.igt_status": 0})
    await make_automation("ignition", ignition=IGNITION, notify=NOTIFY)
    await gateway.info("io", {"io.igt_status": 1})
    await gateway.info("io", {"io.igt_status": 1, "io.DI1": 1})
    await gateway.info("io", {"io.igt_status": 0})
    assert [title for title, _ in sent(notify_calls)] == [
        "VG1 Ignition on",
        "VG1 Ignition off",
    ]
    assert notify_calls[0].data["message"].startswith("VG1 Ignition turned on at ")


async def test_ignition_only_on(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    await gateway.info("io", {"io.igt_status": 0})
    await make_automation("ignition", ignition=IGNITION, changes=["on"], notify=NOTIFY)
    for value in (1, 0, 1):
        await gateway.info("io", {"io.igt_status": value})
    assert [title for title, _ in sent(notify_calls)] == ["VG1 Ignition on"] * 2


async def test_ignition_after_the_gateway_slept(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """A long outage then ignition on is a start; a short gap is no change."""

    async def uploads(value: int | None, count: int = 3) -> None:
        for _ in range(count):
            await gateway.advance(10)
            await gateway.info("io", {"io.igt_status": value})

    await gateway.info("io", {"io.igt_status": 1})
    await make_automation("ignition", ignition=IGNITION, notify=NOTIFY)
    # A coverage gap while driving: unavailable for a while, still on.
    await uploads(1)
    await gateway.advance(40)
    assert hass.states.get(IGNITION).state == STATE_UNAVAILABLE
    await gateway.info("io", {"io.igt_status": 1})
    # Invalid data (null) for a moment is no change either.
    await uploads(None, 1)
    await uploads(1, 1)
    assert notify_calls == []
    # Parked: the gateway goes to sleep, then wakes up with the ignition on.
    await uploads(0)
    await gateway.advance(60)
    assert hass.states.get(IGNITION).state == STATE_UNAVAILABLE
    await gateway.advance(10 * 60)
    await gateway.info("io", {"io.igt_status": 1})
    assert [title for title, _ in sent(notify_calls)] == [
        "VG1 Ignition off",
        "VG1 Ignition on",
    ]


async def test_ignition_default_notification(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
) -> None:
    """Without a notification input, a persistent notification is created."""
    created = async_mock_service(hass, "persistent_notification", "create")
    await gateway.info("io", {"io.igt_status": 1})
    await make_automation("ignition", ignition=IGNITION)
    await gateway.info("io", {"io.igt_status": 0})
    assert [call.data["title"] for call in created] == ["VG1 Ignition off"]


# -- zone -------------------------------------------------------------------------


@pytest.fixture
async def depot(
    hass: HomeAssistant, hass_config: dict[str, Any], flexapi_entry: MockConfigEntry
) -> str:
    """A 500 m zone around DEPOT (zone is loaded already: the tracker needs it)."""
    hass_config["zone"] = [{"name": "Depot", "radius": 500, **DEPOT}]
    await hass.services.async_call("zone", "reload", blocking=True)
    assert hass.states.get("zone.depot") is not None
    return "zone.depot"


def fix(position: dict[str, float]) -> dict[str, Any]:
    return {
        "gnss.fix": 3,
        "gnss.latitude": position["latitude"],
        "gnss.longitude": position["longitude"],
        "gnss.hacc": 5.0,
    }


async def test_zone_leave_and_enter_with_the_position(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
    depot: str,
) -> None:
    await gateway.info("gnss", fix(DEPOT))
    await make_automation("zone", tracker=TRACKER, zone=depot, notify=NOTIFY)
    await gateway.info("gnss", fix({"latitude": 52.001, "longitude": 5.001}))
    assert notify_calls == []  # moved inside the zone
    await gateway.info("gnss", fix(AWAY))
    await gateway.info("gnss", fix({"latitude": 52.2, "longitude": 5.3}))
    await gateway.info("gnss", fix(DEPOT))
    (left, entered) = sent(notify_calls)
    assert left[0] == "VG1 Location left Depot"
    assert "Position: 52.1, 5.2 " in left[1]
    assert (
        "https://www.openstreetmap.org/?mlat=52.1&mlon=5.2#map=16/52.1/5.2" in left[1]
    )
    assert entered[0] == "VG1 Location entered Depot"
    assert "Position: 52.0, 5.0 " in entered[1]


async def restart_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up again with the entry's states gone, as after a restart.

    Entities come back from nothing (restored), not from "unavailable".
    """
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for entity_id in (TRACKER, NOTICE):
        hass.states.async_remove(entity_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_zone_only_leave_and_no_noise(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
    depot: str,
) -> None:
    """The tracker's first fix, a reload and a restart are no zone events."""
    await make_automation(
        "zone", tracker=TRACKER, zone=depot, events=["leave", "enter"], notify=NOTIFY
    )
    await gateway.info("gnss", fix(DEPOT))  # the tracker appears, in the zone
    assert hass.states.get(TRACKER).state == "Depot"
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(TRACKER).state == "Depot"
    await restart_entry(hass, flexapi_entry)
    assert hass.states.get(TRACKER).state == "Depot"  # restored
    assert notify_calls == []
    await gateway.info("gnss", fix(AWAY))
    assert [title for title, _ in sent(notify_calls)] == ["VG1 Location left Depot"]


@pytest.mark.parametrize("events", [["leave"], ["enter"]])
async def test_zone_one_direction(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
    depot: str,
    events: list[str],
) -> None:
    await gateway.info("gnss", fix(AWAY))
    await make_automation(
        "zone", tracker=TRACKER, zone=depot, events=events, notify=NOTIFY
    )
    for position in (DEPOT, AWAY, DEPOT):
        await gateway.info("gnss", fix(position))
    word = {"leave": "left", "enter": "entered"}[events[0]]
    assert [title for title, _ in sent(notify_calls)] == [
        f"VG1 Location {word} Depot"
    ] * (1 if word == "left" else 2)


# -- digital input events -------------------------------------------------------------


def local_time(timestamp: int) -> str:
    """A gateway timestamp as the blueprints write it (local time)."""
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).strftime("%H:%M:%S")


async def notice(gateway: FlexApiDevice, payload: dict[str, Any]) -> None:
    """An event a second after the last one (the entity's state is its time)."""
    await gateway.advance(1)
    await gateway.send("event/notice", payload)


async def test_digital_input_event(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """A DI_CHG raise notifies with the input; clear and other types do not."""
    await make_automation("digital_input", event_entity=NOTICE, notify=NOTIFY)
    await notice(gateway, {**DI_RAISE, "io.DI1": 1})
    await notice(gateway, {**DI_RAISE, "status": "clear"})
    await notice(gateway, {**DI_RAISE, "type": "OVERSPEED"})
    assert hass.states.get(NOTICE).attributes["event_type"] == "other_raise"
    assert len(notify_calls) == 1
    title, message = sent(notify_calls)[0]
    assert title == "VG1: digital input changed"
    assert message.startswith("DI1 on (changed at ")
    assert message.endswith(").")


async def test_digital_input_filters_and_wrapped_events(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    await make_automation(
        "digital_input",
        event_entity=NOTICE,
        statuses=["raise", "clear"],
        only_inputs=["2", "3"],
        notify=NOTIFY,
    )
    await notice(gateway, {**DI_RAISE, "io.DI1": 0})
    await notice(gateway, {**DI_RAISE})  # no input reported
    assert notify_calls == []
    await notice(
        gateway,
        {
            "topic": "v1/VG1/event/notice",
            "payload": {**DI_RAISE, "io.DI2": 0, "io.DI3": 1, "gnss.speed": 3.0},
        },
    )
    await notice(
        gateway,
        {**DI_RAISE, "status": "clear", "ends_at": 1700000060, "io.DI3": 0},
    )
    (raised, cleared) = sent(notify_calls)
    assert raised == (
        "VG1: digital input changed",
        f"DI2 off, DI3 on (changed at {local_time(1700000000)}).",
    )
    assert cleared == (
        "VG1: digital input event cleared",
        f"DI3 off (event cleared at {local_time(1700000060)}).",
    )


async def test_digital_input_no_event_on_reload_or_restart(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """A reload or restart restores the last event: that is not a new one."""
    await make_automation("digital_input", event_entity=NOTICE, notify=NOTIFY)
    await notice(gateway, DI_RAISE)
    assert sent(notify_calls)[0][1].startswith("A digital input (changed at ")
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    await restart_entry(hass, flexapi_entry)
    assert hass.states.get(NOTICE).attributes["event_type"] == "di_chg_raise"
    assert len(notify_calls) == 1
    await notice(gateway, DI_RAISE)
    assert len(notify_calls) == 2


# -- digital output with confirmation -------------------------------------------------
#
# The automation waits for the gateway while it runs, so these tests run the
# loop without ``async_block_till_done`` (it would wait for the automation).


async def settle() -> None:
    for _ in range(30):
        await asyncio.sleep(0)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(seconds)
    async_fire_time_changed_exact(hass)
    await settle()


@pytest.fixture
async def output_automation(
    hass: HomeAssistant,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> Callable[[], Awaitable[None]]:
    """DO1 reported off; an automation turns it on on the event ``switch_do1``.

    Returns a function that fires the event and lets the command go out.
    """
    await gateway.info("io", {f"io.DO{n}": 0 for n in range(1, 5)})
    await make_automation(
        "digital_output",
        when=[{"trigger": "event", "event_type": "switch_do1"}],
        output=DO1,
        wanted="on",
        timeout={"seconds": 20},
        on_failure=NOTIFY,
        on_success=[
            {"action": "notify.mock", "data": {"title": "ok", "message": "{{ title }}"}}
        ],
    )

    async def _fire() -> None:
        hass.bus.async_fire("switch_do1")
        await settle()
        await advance(hass, gateway.freezer, IO_GATHER)
        assert payloads(gateway.mqtt_mock, IO_CONTROL)[-1]["io.DO1"] == 1

    return _fire


@pytest.mark.parametrize("initial", [0, 1])
async def test_output_off(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    no_initial_requests: None,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
    initial: int,
) -> None:
    """Switching off sends 0, whatever the output was (no toggling)."""
    await gateway.info("io", {"io.DO1": initial})
    await make_automation(
        "digital_output",
        when=[{"trigger": "event", "event_type": "switch_do1"}],
        output=DO1,
        wanted="off",
        on_failure=NOTIFY,
    )
    hass.bus.async_fire("switch_do1")
    await settle()
    await advance(hass, gateway.freezer, IO_GATHER)
    for request in payloads(mqtt_mock, IO_CONTROL):
        assert request["io.DO1"] == 0
        respond(hass, IO_CONTROL, request["client_token"], {"io.DO1": 0})
    await settle()
    assert hass.states.get(DO1).state == "off"
    assert notify_calls == []
    assert hass.states.get("automation.under_test").attributes["current"] == 0


async def test_output_confirmed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    output_automation: Callable[[], Awaitable[None]],
    notify_calls: list[ServiceCall],
) -> None:
    await output_automation()
    assert hass.states.get(DO1).attributes["pending"] is True
    respond(
        hass,
        IO_CONTROL,
        payloads(mqtt_mock, IO_CONTROL)[-1]["client_token"],
        {"io.DO1": 1},
    )
    await settle()
    assert hass.states.get(DO1).state == STATE_ON
    assert sent(notify_calls) == [("ok", "VG1 Digital output 1 is on")]


@pytest.mark.parametrize("error", [None, "not_support"])
async def test_output_not_confirmed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    output_automation: Callable[[], Awaitable[None]],
    notify_calls: list[ServiceCall],
    error: str | None,
) -> None:
    """No answer, or an error: the switch raises; after the timeout, notify."""
    await output_automation()
    if error is None:
        await advance(hass, freezer, REQUEST_TIMEOUT)  # the command times out
    else:
        respond(
            hass,
            IO_CONTROL,
            payloads(mqtt_mock, IO_CONTROL)[-1]["client_token"],
            error=error,
        )
        await settle()
    assert notify_calls == []  # still waiting for a later confirmation
    await advance(hass, freezer, 19)
    assert notify_calls == []
    await advance(hass, freezer, 1.5)
    assert sent(notify_calls) == [
        (
            "VG1 Digital output 1 did not switch on",
            "The gateway did not confirm VG1 Digital output 1 on; it is off.",
        )
    ]
    assert len(payloads(mqtt_mock, IO_CONTROL)) == 1


async def test_output_confirmed_late_by_an_upload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    gateway: FlexApiDevice,
    output_automation: Callable[[], Awaitable[None]],
    notify_calls: list[ServiceCall],
) -> None:
    """The answer got lost, but the next io upload shows DO1 on: no alarm."""
    await output_automation()
    await advance(hass, freezer, REQUEST_TIMEOUT)
    await advance(hass, freezer, 5)
    fire_json(hass, "v1/VG1/io/info", {"io.DO1": 1})
    await settle()
    await advance(hass, freezer, 30)
    assert sent(notify_calls) == [("ok", "VG1 Digital output 1 is on")]


# -- trip summary -------------------------------------------------------------------
#
# The Trip event entity (``event.<device>_trip``) is played by a state with the
# attributes an event entity has: ``event_types``, ``event_type`` and the data.

TRIP = "event.vg1_trip"
TRIP_ENDED = {
    "start_time": "2026-06-01T06:05:00+00:00",
    "end_time": "2026-06-01T06:32:10+00:00",
    "duration_s": 1630,
    "idle_s": 185,
    "distance_km": 12.346,
    "distance_source": "gnss",
    "max_speed_kmh": 71.4,
    "average_speed_kmh": 27.26,
    "start_latitude": 52.0,
    "start_longitude": 5.0,
    "end_latitude": 52.1,
    "end_longitude": 5.2,
}


async def trip_event(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    event_type: str,
    data: dict[str, Any],
    *,
    entity_id: str = TRIP,
) -> None:
    """The event entity's state after an event: the time, with the event's data."""
    await gateway.advance(1)
    hass.states.async_set(
        entity_id,
        dt_util.utcnow().isoformat(timespec="milliseconds"),
        {
            "event_types": ["trip_started", "trip_ended"],
            "event_type": event_type,
            **data,
            "friendly_name": "VG1 Trip",
        },
    )
    await hass.async_block_till_done()


def clock(iso: str) -> str:
    """A trip time as the blueprint writes it (local time)."""
    moment = dt_util.parse_datetime(iso)
    assert moment is not None
    return dt_util.as_local(moment).strftime("%H:%M")


async def test_trip_summary(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """trip_ended notifies the summary; trip_started does not."""
    await trip_event(hass, gateway, "trip_started", {"start_time": "x"})
    await make_automation("trip_summary", trip_entity=TRIP, notify=NOTIFY)
    await trip_event(
        hass,
        gateway,
        "trip_started",
        {"start_time": TRIP_ENDED["start_time"], "start_latitude": 52.0},
    )
    assert notify_calls == []
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)
    assert sent(notify_calls) == [
        (
            "VG1: trip of 12.3 km",
            f"{clock(TRIP_ENDED['start_time'])}–{clock(TRIP_ENDED['end_time'])}"
            " (27 min): 12.3 km at 27 km/h on average (at most 71 km/h),"
            " idle 3 min.",
        )
    ]


async def test_trip_summary_fuel_hours_and_device_name(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """The device's name (as the user renamed it), hours, and the fuel change."""
    await gateway.info("io", {"io.igt_status": 0})
    device = device_by_identifier(hass, ("flexapi", "VG1"))
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Van")
    trip = entity_registry.async_get_or_create(
        "event", "test", "trip", device_id=device.id, suggested_object_id="van_trip"
    ).entity_id
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED, entity_id=trip)
    await make_automation("trip_summary", trip_entity=trip, notify=NOTIFY)
    await trip_event(
        hass,
        gateway,
        "trip_ended",
        {
            **TRIP_ENDED,
            "duration_s": 3900,
            "idle_s": 30,
            "distance_km": 80.04,
            "fuel_change_pct": -7.6,
        },
        entity_id=trip,
    )
    ((title, message),) = sent(notify_calls)
    assert title == "Van: trip of 80.0 km"
    assert " (1 h 05 min): 80.0 km at 27 km/h" in message
    assert message.endswith("idle 30 s. Fuel -8 %.")


async def test_trip_summary_no_repeat_on_restart_and_minimum(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """The restored last trip is no new one; a short trip can be left out.

    (From *unknown*, before the entity's first event, a trip is a new one.)
    """
    await make_automation(
        "trip_summary", trip_entity=TRIP, min_distance_km=1, notify=NOTIFY
    )
    # The entity appears with its restored last trip (a restart or reload).
    hass.states.async_remove(TRIP)
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)
    # The gateway's MQTT went away and came back: its last trip again.
    hass.states.async_set(TRIP, STATE_UNAVAILABLE)
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)  # restored
    assert notify_calls == []
    await trip_event(hass, gateway, "trip_ended", {**TRIP_ENDED, "distance_km": 0.4})
    assert notify_calls == []
    await trip_event(hass, gateway, "trip_ended", {**TRIP_ENDED, "distance_km": 1.0})
    assert [title for title, _ in sent(notify_calls)] == ["VG1: trip of 1.0 km"]
    hass.states.async_remove(TRIP)
    hass.states.async_set(TRIP, "unknown", {"event_type": None})
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)
    assert len(notify_calls) == 2


async def test_trip_summary_default_notification(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    make_automation: AutomationFactory,
) -> None:
    created = async_mock_service(hass, "persistent_notification", "create")
    await trip_event(hass, gateway, "trip_started", {})
    await make_automation("trip_summary", trip_entity=TRIP)
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)
    assert [call.data["title"] for call in created] == ["VG1: trip of 12.3 km"]


def yaml_blocks(doc: str) -> list[Any]:
    """The YAML examples of a documentation page."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    return [
        yaml_util.parse_yaml(block)
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S)
    ]


async def test_trips_page_automation_example(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """The automation in docs/trips.md runs as written and says what it should."""
    (example,) = [
        block for block in yaml_blocks("docs/trips.md") if "triggers" in block
    ]
    phone = async_mock_service(hass, "notify", "mobile_app_my_phone")
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)
    assert await async_setup_component(
        hass, "automation", {"automation": {"id": "docs", **example}}
    )
    await hass.async_block_till_done()
    hass.states.async_set(TRIP, STATE_UNAVAILABLE)
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)  # restored
    await trip_event(hass, gateway, "trip_started", {})
    assert phone == []
    await trip_event(hass, gateway, "trip_ended", TRIP_ENDED)
    assert [(call.data["title"], call.data["message"]) for call in phone] == [
        ("VG1: trip of 12.3 km", "27 min, average 27 km/h, idle 3 min.")
    ]
