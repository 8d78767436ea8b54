"""Trips in Home Assistant: entities, events, restarts, replays and silence.

The gateway ``VG1`` uploads a synthetic drive (tests/protocol/trip_drive.py)
through mocked MQTT, on a frozen clock that follows the drive's timestamps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import json
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import CONF_TRIP_END_DELAY, CONF_TRIP_MIN_DISTANCE
from custom_components.flexapi.diagnostics import async_get_config_entry_diagnostics
from custom_components.flexapi.protocol.store import ParameterStore
from custom_components.flexapi.trips import TripRecorder
from tests.conftest import FlexApiDevice
from tests.protocol.trip_drive import T0, Drive, standard_drive

EVENT = "event.vg1_trip"
IN_PROGRESS = "binary_sensor.vg1_trip_in_progress"
LAST_DISTANCE = "sensor.vg1_last_trip_distance"
LAST_DURATION = "sensor.vg1_last_trip_duration"
TODAY = "sensor.vg1_trips_today"
DRIVEN = "sensor.vg1_distance_driven"


@pytest.fixture
def drive_clock(mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory) -> None:
    """The clock at the drive's start (after MQTT's set-up, which needs real time)."""
    freezer.move_to(datetime.fromtimestamp(T0, UTC))


@pytest.fixture
async def trip_entry(
    drive_clock: None, setup_flexapi: Callable[[], Awaitable[MockConfigEntry]]
) -> MockConfigEntry:
    """A loaded gateway entry, on the drive's clock."""
    return await setup_flexapi()


@pytest.fixture
def trip_events(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every event the trip entity fires: its type and data."""
    seen: list[dict[str, Any]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        # A restored entity (after "unavailable" or nothing) fired nothing.
        new, old = event.data["new_state"], event.data["old_state"]
        if (
            new is not None
            and old is not None
            and old.state != STATE_UNAVAILABLE
            and new.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        ):
            attributes = dict(new.attributes)
            for key in ("event_types", "friendly_name", "icon"):
                attributes.pop(key, None)
            seen.append(attributes)

    async_track_state_change_event(hass, [EVENT], _changed)
    return seen


async def play(
    gateway: FlexApiDevice,
    uploads: list[tuple[int, dict[str, Any]]],
    topic: str = "summary",
) -> None:
    """Upload each payload at its time (the clock follows)."""
    for t, data in uploads:
        now = time.time()
        if t > now:
            await gateway.advance(t - now)
        await gateway.info(topic, data)


def types(events: list[dict[str, Any]]) -> list[str]:
    """The event types, in order."""
    return [event["event_type"] for event in events]


def state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state (it must exist)."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


TRIP_ENTITY_IDS = (EVENT, IN_PROGRESS, LAST_DISTANCE, LAST_DURATION, TODAY, DRIVEN)


async def test_trip_entities_come_with_trip_data(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    gateway: FlexApiDevice,
    trip_entry: MockConfigEntry,
) -> None:
    """A router's data brings no trip entities; the first IO data does; kept."""
    await gateway.info("sysinfo", {"sysinfo.serial_number": "SN1"})
    await gateway.info("cellular1", {"cellular1.ts": T0, "cellular1.rssi": -70})
    for entity_id in TRIP_ENTITY_IDS:
        assert hass.states.get(entity_id) is None, entity_id
    await gateway.info("io", {"io.ts": T0, "io.igt_status": 0})
    assert state(hass, EVENT) == STATE_UNKNOWN
    assert hass.states.get(EVENT).attributes["event_types"] == [
        "trip_started",
        "trip_ended",
    ]
    assert hass.states.get(EVENT).attributes["friendly_name"] == "VG1 Trip"
    assert state(hass, IN_PROGRESS) == STATE_OFF
    assert hass.states.get(IN_PROGRESS).attributes["friendly_name"] == (
        "VG1 Trip in progress"
    )
    assert state(hass, LAST_DISTANCE) == STATE_UNKNOWN
    assert state(hass, LAST_DURATION) == STATE_UNKNOWN
    assert state(hass, TODAY) == "0"
    assert state(hass, DRIVEN) == "0.0"
    driven = hass.states.get(DRIVEN).attributes
    assert driven["state_class"] == "total_increasing"
    assert driven["unit_of_measurement"] == "km"
    assert driven["device_class"] == "distance"
    assert hass.states.get(LAST_DURATION).attributes["unit_of_measurement"] == "min"
    for entity_id, key in (
        (EVENT, "trip"),
        (IN_PROGRESS, "trip_in_progress"),
        (LAST_DISTANCE, "last_trip_distance"),
        (LAST_DURATION, "last_trip_duration"),
        (TODAY, "trips_today"),
        (DRIVEN, "distance_driven"),
    ):
        registry_entry = entity_registry.async_get(entity_id)
        assert registry_entry is not None, entity_id
        assert registry_entry.translation_key == key
        assert registry_entry.unique_id == f"VG1_trips.{key}"
    # Back at once after a restart, before any data (from the registry).
    assert await hass.config_entries.async_reload(trip_entry.entry_id)
    await hass.async_block_till_done()
    assert all(state(hass, entity_id) for entity_id in TRIP_ENTITY_IDS)


@pytest.mark.parametrize(("obd", "ignition"), [(True, True), (False, False)])
@pytest.mark.usefixtures("trip_entry")
async def test_a_drive_is_one_trip(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    trip_events: list[dict[str, Any]],
    obd: bool,
    ignition: bool,
) -> None:
    """Parked, a drive with a red light, parked: one trip with its figures."""
    drive = standard_drive(obd=obd, ignition=ignition)
    split = next(n for n, (t, _) in enumerate(drive.uploads) if t > T0 + 400)
    await play(gateway, drive.uploads[:split])
    assert types(trip_events) == ["trip_started"], trip_events
    assert state(hass, IN_PROGRESS) == STATE_ON
    started = trip_events[0]
    assert started["start_time"].startswith("2026-06-01T08:0")
    assert isinstance(started["start_latitude"], float)

    await play(gateway, drive.uploads[split:])
    assert types(trip_events) == ["trip_started", "trip_ended"]
    ended = trip_events[1]
    assert ended["distance_km"] == pytest.approx(3.0, rel=0.02)
    assert ended["distance_source"] == ("odometer" if obd else "gnss")
    assert ended["start_time"] == started["start_time"]
    assert ("fuel_change_pct" in ended) is obd
    assert state(hass, IN_PROGRESS) == STATE_OFF
    assert float(state(hass, LAST_DISTANCE)) == ended["distance_km"]
    assert float(state(hass, LAST_DURATION)) == round(ended["duration_s"] / 60, 1)
    assert state(hass, TODAY) == "1"
    assert float(state(hass, DRIVEN)) == pytest.approx(3.0, rel=0.02)


@pytest.mark.usefixtures("trip_entry")
async def test_parked_jitter_is_no_trip(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """An hour parked with GNSS jitter: no event, no distance."""
    await play(gateway, Drive().park(3600).uploads)
    assert trip_events == []
    assert state(hass, IN_PROGRESS) == STATE_OFF
    assert state(hass, DRIVEN) == "0.0"


async def test_restart_mid_trip_neither_ends_nor_doubles_it(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    trip_entry: MockConfigEntry,
    trip_events: list[dict[str, Any]],
) -> None:
    """Reloaded in the middle of a drive: the same trip goes on."""
    drive = standard_drive()
    half = len(drive.uploads) // 2
    await play(gateway, drive.uploads[:half])
    driven = float(state(hass, DRIVEN))
    assert driven > 0.5
    assert types(trip_events) == ["trip_started"], trip_events

    assert await hass.config_entries.async_reload(trip_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, IN_PROGRESS) == STATE_ON
    assert float(state(hass, DRIVEN)) == driven
    assert types(trip_events) == ["trip_started"], trip_events
    # The restored trip waits a whole end delay for data.
    await gateway.advance(60)
    assert state(hass, IN_PROGRESS) == STATE_ON

    await play(gateway, drive.uploads[half:])
    assert types(trip_events) == ["trip_started", "trip_ended"]
    assert trip_events[1]["distance_km"] == pytest.approx(3.0, rel=0.02)
    assert trip_events[1]["start_time"] == trip_events[0]["start_time"]
    assert state(hass, TODAY) == "1"
    assert float(state(hass, DRIVEN)) == pytest.approx(3.0, rel=0.02)


async def test_last_trip_survives_a_restart(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_entry: MockConfigEntry
) -> None:
    """After a trip and a reload, the sensors show the same."""
    await play(gateway, standard_drive().uploads)
    shown = {e: state(hass, e) for e in (LAST_DISTANCE, LAST_DURATION, TODAY, DRIVEN)}
    assert await hass.config_entries.async_reload(trip_entry.entry_id)
    await hass.async_block_till_done()
    assert {e: state(hass, e) for e in shown} == shown
    assert shown[TODAY] == "1"


@pytest.mark.usefixtures("trip_entry")
async def test_replays_change_nothing(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """The whole drive again, on its topic and on gnss/info: nothing changes."""
    drive = standard_drive()
    await play(gateway, drive.uploads)
    shown = {e: state(hass, e) for e in (IN_PROGRESS, LAST_DISTANCE, TODAY, DRIVEN)}
    assert types(trip_events) == ["trip_started", "trip_ended"]
    # Mid-drive replays too: a second drive, with the first replayed inside.
    later = [
        (t + 3600, {k: v + 3600 if k.endswith(".ts") else v for k, v in d.items()})
        for t, d in standard_drive(seed=2).uploads
    ]
    await play(gateway, [(t, d) for t, d in drive.uploads])
    await play(gateway, [(t, d) for t, d in drive.uploads], topic="gnss")
    assert {e: state(hass, e) for e in shown} == shown
    assert types(trip_events) == ["trip_started", "trip_ended"]
    half = len(later) // 2
    await play(gateway, later[:half])
    mid = {e: state(hass, e) for e in (IN_PROGRESS, DRIVEN)}
    await play(gateway, [(later[half - 1][0], d) for _, d in later[: half - 1]])
    await play(gateway, [(later[half - 1][0], d) for _, d in drive.uploads], "gnss")
    assert {e: state(hass, e) for e in mid} == mid
    await play(gateway, later[half:])
    assert types(trip_events) == ["trip_started", "trip_ended"] * 2
    assert trip_events[3]["distance_km"] == pytest.approx(3.0, rel=0.02)
    assert state(hass, TODAY) == "2"


@pytest.mark.usefixtures("trip_entry")
async def test_a_silent_gateway_ends_the_trip_after_the_delay(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """Data back within the delay continues the trip; then silence ends it."""
    drive = Drive().park(30).ignition_on().drive(1000, 40)
    await play(gateway, drive.uploads)
    last = drive.uploads[-1][0]
    await gateway.advance(100)  # an outage shorter than the delay
    assert state(hass, IN_PROGRESS) == STATE_ON
    drive.uploads.clear()
    drive.t += 100
    drive.drive(1000, 40)
    await play(gateway, drive.uploads)
    last = drive.uploads[-1][0]
    await gateway.advance(119)
    assert types(trip_events) == ["trip_started"], trip_events
    await gateway.advance(2)
    assert types(trip_events) == ["trip_started", "trip_ended"]
    ended = trip_events[1]
    assert ended["end_time"] == datetime.fromtimestamp(last, UTC).isoformat()
    assert ended["distance_km"] == pytest.approx(2.0, rel=0.02)
    assert state(hass, IN_PROGRESS) == STATE_OFF


@pytest.mark.usefixtures("trip_entry")
async def test_key_off_then_silence(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """The usual parked gateway: key off, one upload, then nothing."""
    drive = Drive().ignition_on().drive(1000, 40).ignition_off()
    await play(gateway, drive.uploads)
    await gateway.advance(125)
    assert types(trip_events) == ["trip_started", "trip_ended"]
    assert trip_events[1]["end_time"] == (
        datetime.fromtimestamp(drive.uploads[-1][0], UTC).isoformat()
    )


@pytest.mark.parametrize(
    "flexapi_options", [{CONF_TRIP_MIN_DISTANCE: 5000, CONF_TRIP_END_DELAY: 300}]
)
@pytest.mark.usefixtures("trip_entry")
async def test_trip_options(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """A 4 min stop keeps a 300 s-delay trip; 3 km under a 5 km minimum: unreported."""
    drive = Drive().ignition_on().drive(1500, 40).ignition_off().park(240)
    drive.ignition_on().drive(1500, 40).ignition_off().park(400)
    await play(gateway, drive.uploads)
    assert types(trip_events) == ["trip_started"], trip_events
    assert state(hass, IN_PROGRESS) == STATE_OFF
    assert state(hass, LAST_DISTANCE) == STATE_UNKNOWN
    assert state(hass, TODAY) == "0"
    # The GNSS odometer counts what was driven, reported or not.
    assert float(state(hass, DRIVEN)) == pytest.approx(3.0, rel=0.02)


@pytest.mark.usefixtures("trip_entry")
async def test_trips_today_resets_at_midnight(
    hass: HomeAssistant, gateway: FlexApiDevice, freezer: FrozenDateTimeFactory
) -> None:
    """One trip today; zero after local midnight."""
    await play(gateway, standard_drive().uploads)
    assert state(hass, TODAY) == "1"
    midnight = dt_util.start_of_local_day() + timedelta(days=1)
    await gateway.advance((midnight - dt_util.now()).total_seconds() - 5)
    assert state(hass, TODAY) == "1"
    await gateway.advance(6)
    assert state(hass, TODAY) == "0"


async def test_diagnostics_redact_trip_positions(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_entry: MockConfigEntry
) -> None:
    """Mid-trip and after: the trip state is there, its positions are not."""
    drive = standard_drive()
    await play(gateway, drive.uploads[: len(drive.uploads) // 2])
    diagnostics = await async_get_config_entry_diagnostics(hass, trip_entry)
    trips = diagnostics["trips"]
    assert trips["trip"]["start_fix"] == "**REDACTED**"
    assert trips["last_fix"] == "**REDACTED**"
    assert trips["anchor"] == "**REDACTED**"
    await play(gateway, drive.uploads[len(drive.uploads) // 2 :])
    diagnostics = await async_get_config_entry_diagnostics(hass, trip_entry)
    trips = diagnostics["trips"]
    assert trips["last_trip"]["start_latitude"] == "**REDACTED**"
    assert trips["last_trip"]["end_longitude"] == "**REDACTED**"
    text = json.dumps(diagnostics)
    for _t, data in drive.uploads:
        assert str(data["gnss.latitude"]) not in text
        assert str(data["gnss.longitude"]) not in text


async def test_a_restart_longer_than_the_end_delay_is_one_trip(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    trip_entry: MockConfigEntry,
    trip_events: list[dict[str, Any]],
) -> None:
    """HA down 5 min while driving (key on): one trip, the gap's km in it."""
    drive = Drive().park(30).ignition_on().drive(2000, 40)
    cut = len(drive.uploads)
    drive.drive(3300, 40).drive(2000, 40).ignition_off().park(300)
    await play(gateway, drive.uploads[:cut])
    assert await hass.config_entries.async_unload(trip_entry.entry_id)
    await gateway.advance(300)  # nobody listened
    assert await hass.config_entries.async_setup(trip_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, IN_PROGRESS) == STATE_ON
    await play(gateway, drive.uploads[cut + 30 :])
    assert types(trip_events) == ["trip_started", "trip_ended"], trip_events
    assert trip_events[1]["distance_km"] == pytest.approx(7.3, rel=0.02)
    assert trip_events[1]["start_time"] == trip_events[0]["start_time"]
    assert state(hass, TODAY) == "1"


@pytest.mark.usefixtures("trip_entry")
async def test_mqtt_down_is_no_silence(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """MQTT down 5 min mid-drive: the silence timer waits; the trip goes on."""
    drive = Drive().ignition_on().drive(2000, 40)
    cut = len(drive.uploads)
    drive.drive(3300, 40).drive(2000, 40).ignition_off().park(300)
    await play(gateway, drive.uploads[:cut])
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    await gateway.advance(300)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done()
    await gateway.advance(10)
    assert types(trip_events) == ["trip_started"], trip_events
    assert state(hass, IN_PROGRESS) == STATE_ON
    await play(gateway, drive.uploads[cut + 31 :])
    assert types(trip_events) == ["trip_started", "trip_ended"], trip_events
    assert trip_events[1]["distance_km"] == pytest.approx(7.3, rel=0.02)


@pytest.mark.usefixtures("trip_entry")
async def test_uploads_every_3_minutes_are_one_trip(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """A summary interval longer than the end delay: one trip, not one per upload.

    The interval is learned from the uploads while parked (or read from the
    gateway's settings at start).
    """
    drive = Drive(interval=180).park(540).ignition_on().drive(30000, 50)
    drive.ignition_off().park(900)
    await play(gateway, drive.uploads)
    assert types(trip_events) == ["trip_started", "trip_ended"], trip_events
    assert trip_events[1]["distance_km"] == pytest.approx(30.0, rel=0.02)
    assert state(hass, TODAY) == "1"


@pytest.mark.usefixtures("trip_entry")
async def test_a_repeated_payload_is_no_silence(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """A 5 min red light, the gateway sending the very same payload: no end."""
    drive = Drive().ignition_on().drive(1000, 40).park(10)
    await play(gateway, drive.uploads)
    payload = drive.uploads[-1][1]
    for _ in range(30):
        await gateway.advance(10)
        await gateway.info("summary", payload)
    assert types(trip_events) == ["trip_started"], trip_events
    assert state(hass, IN_PROGRESS) == STATE_ON


@pytest.mark.usefixtures("trip_entry")
async def test_a_trip_in_progress_is_saved_within_a_minute(
    hass: HomeAssistant,
    gateway: FlexApiDevice,
    trip_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """An unclean shutdown mid-trip loses at most a minute of distance driven."""
    drive = Drive().ignition_on().drive(3000, 40)
    await play(gateway, drive.uploads)
    await gateway.advance(61)
    saved = hass_storage[f"flexapi.{trip_entry.entry_id}"]["data"]["trips"]
    assert saved["distance_driven_m"] / 1000 == pytest.approx(
        float(state(hass, DRIVEN)), abs=0.001
    )
    assert saved["distance_driven_m"] > 2900


async def test_trip_events_wait_for_the_event_entity(hass: HomeAssistant) -> None:
    """A trip that ends before the Trip entity listens (start-up) is not lost."""
    recorder = TripRecorder(hass, {}, notify=lambda *_: None, save=lambda: None)
    drive = Drive().ignition_on().drive(1000, 40).ignition_off().park(200)
    store = ParameterStore()
    for t, data in drive.uploads:
        result = store.ingest("summary", data)
        with patch("custom_components.flexapi.trips.time.time", return_value=t):
            recorder.feed(result.groups, data, store.values)
    seen: list[str] = []
    remove = recorder.async_add_listener(lambda event: seen.append(event.type))
    assert seen == ["trip_started", "trip_ended"]
    recorder.async_add_listener(lambda event: seen.append("again"))
    assert seen == ["trip_started", "trip_ended"]  # delivered once
    remove()
    recorder.async_stop()


async def test_distance_driven_never_drops_below_what_was_recorded(
    hass: HomeAssistant,
    drive_clock: None,
    setup_flexapi: Callable[[], Awaitable[MockConfigEntry]],
    gateway: FlexApiDevice,
) -> None:
    """An unclean shutdown: the store is older than the last recorded state."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(DRIVEN, "12.5"),
                {"native_value": 12.5, "native_unit_of_measurement": "km"},
            )
        ],
    )
    await setup_flexapi()
    await gateway.info("io", {"io.ts": T0, "io.igt_status": 0})
    assert state(hass, DRIVEN) == "12.5"
    await play(gateway, Drive().ignition_on().drive(1000, 40).uploads)
    assert float(state(hass, DRIVEN)) == pytest.approx(13.5, rel=0.01)


@pytest.mark.usefixtures("trip_entry")
async def test_a_gnss_step_writes_only_distance_driven(
    hass: HomeAssistant, gateway: FlexApiDevice
) -> None:
    """Driving: distance driven changes; the other trip entities stay unwritten."""
    drive = Drive().ignition_on().drive(500, 40)
    await play(gateway, drive.uploads[:3])
    written: list[str] = []
    trip_entities = {EVENT, IN_PROGRESS, LAST_DISTANCE, LAST_DURATION, TODAY, DRIVEN}

    @callback
    def _written(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    @callback
    def _trip_entity(data: Any) -> bool:
        return data["entity_id"] in trip_entities

    hass.bus.async_listen(EVENT_STATE_REPORTED, _written, event_filter=_trip_entity)
    hass.bus.async_listen(EVENT_STATE_CHANGED, _written, event_filter=_trip_entity)
    await play(gateway, drive.uploads[3:])
    assert set(written) == {DRIVEN}


@pytest.mark.usefixtures("trip_entry")
async def test_millisecond_timestamps_neither_crash_nor_freeze_a_trip(
    hass: HomeAssistant, gateway: FlexApiDevice, trip_events: list[dict[str, Any]]
) -> None:
    """A firmware stamping in milliseconds: the same one trip, on HA's clock."""
    drive = standard_drive()
    uploads = [
        (t, {k: v * 1000 if k.endswith(".ts") else v for k, v in data.items()})
        for t, data in drive.uploads
    ]
    await play(gateway, uploads)
    assert types(trip_events) == ["trip_started", "trip_ended"], trip_events
    assert trip_events[1]["distance_km"] == pytest.approx(3.0, rel=0.02)
    assert trip_events[1]["start_time"].startswith("2026-06-01T08:0")
    assert state(hass, IN_PROGRESS) == STATE_OFF
    assert state(hass, TODAY) == "1"
