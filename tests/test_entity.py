"""What every FlexAPI entity shares: lifecycle, sources, availability, writes."""

from __future__ import annotations

from typing import Any

from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.flexapi.const import DOMAIN
from custom_components.flexapi.entity import FlexApiEntity
from custom_components.flexapi.protocol.errors import FlexApiNotAppliedError
from custom_components.flexapi.runtime import FlexApiRuntime
from tests.compat import device_by_identifier, remove_device
from tests.conftest import CLIENT_ID, FlexApiDevice
from tests.helpers import settle, start
from tests.protocol.spec_examples import CUSTOM_GROUPS

#: §4.1.2: custom groups and their aliases.
GROUP_GET_RESULT = CUSTOM_GROUPS


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Entity ids the entry has in the entity registry."""
    registry = er.async_get(hass)
    return {
        e.entity_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


def runtime(entry: MockConfigEntry) -> FlexApiRuntime:
    """The entry's runtime."""
    return entry.runtime_data  # type: ignore[no-any-return]


#: Entities every gateway has from the start.
TRIP_ENTITIES = {
    "event.vg1_trip",
    "binary_sensor.vg1_trip_in_progress",
    "sensor.vg1_last_trip_distance",
    "sensor.vg1_last_trip_duration",
    "sensor.vg1_trips_today",
    "sensor.vg1_distance_driven",
}


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Entity ids of every state write of a FlexAPI entity, in order."""
    calls: list[str] = []
    original = FlexApiEntity.async_write_ha_state

    def spy(self: FlexApiEntity) -> None:
        calls.append(self.entity_id)
        original(self)

    monkeypatch.setattr(FlexApiEntity, "async_write_ha_state", spy)
    return calls


async def test_entities_appear_when_first_reported(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """Only the notice event exists until the device reports parameters.

    The trip entities come with the first trip data (OBD here).
    """
    assert entity_ids(hass, flexapi_entry) == {"event.vg1_notice"}
    await gateway.info("obd", {"obd.rpm": 1000, "obd.ts": 1592820539})
    assert entity_ids(hass, flexapi_entry) == {
        "event.vg1_notice",
        *TRIP_ENTITIES,
        "sensor.vg1_engine_speed",
    }
    assert hass.states.get("sensor.vg1_engine_speed").state == "1000.0"
    # Timestamps, unknown keys and new keys without a catalog row add nothing.
    await gateway.info(
        "gnss", {"gnss.ts": 1, "gnss.ul_ts": 2, "gnss.new_key": 3, "foo": 4}
    )
    await gateway.info("summary", {"bar.baz": 5})
    assert len(entity_ids(hass, flexapi_entry)) == 2 + len(TRIP_ENTITIES)
    device_entry = device_by_identifier(hass, (DOMAIN, CLIENT_ID))
    assert device_entry is not None
    entry = entity_registry.async_get("sensor.vg1_engine_speed")
    assert entry.device_id == device_entry.id
    assert entry.unique_id == "VG1_obd.rpm"
    assert entry.has_entity_name


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_one_entity_fed_by_every_topic(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """Summary, gnss info, a refresh answer and an aliased custom group: one entity."""
    latitude = "sensor.vg1_latitude"
    await gateway.info("summary", {"gnss.latitude": 1.0})
    assert hass.states.get(latitude).state == "1.0"

    await gateway.info("gnss", {"gnss.latitude": 2.0})
    assert hass.states.get(latitude).state == "2.0"

    # A background task: block_till_done must not wait for the answer.
    refresh = hass.async_create_background_task(
        runtime(flexapi_entry).async_refresh("gnss"), "refresh"
    )
    await gateway.advance(1.2)  # the §2.3 spacing after the startup request
    await gateway.answer("gnss/refresh", {"gnss.latitude": 3.0})
    assert await refresh == {"gnss.latitude": 3.0}
    assert hass.states.get(latitude).state == "3.0"

    # Startup asks for sysinfo, then app, then the custom groups.
    await gateway.answer("sysinfo/refresh", {"sysinfo.firmware_version": "1.0.0"})
    await gateway.advance(1.2)
    await gateway.answer("app/refresh", {"app.wifi_mode_2g": 0})
    await gateway.advance(1.2)
    await gateway.answer("group/get", GROUP_GET_RESULT)
    await gateway.info("group1", {"lat": 4.0, "odo": 1500, "custom_key": "v"})
    await gateway.info("group2", {"DI1": 1})
    assert hass.states.get(latitude).state == "4.0"
    assert hass.states.get("sensor.vg1_odometer").state == "1500.0"
    assert hass.states.get("sensor.vg1_user_data_custom_key").state == "v"
    assert hass.states.get("binary_sensor.vg1_digital_input_1").state == "on"
    assert hass.states.async_entity_ids("sensor").count(latitude) == 1
    assert not [
        e for e in entity_ids(hass, flexapi_entry) if "lat" in e and e != latitude
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_persist_across_reload(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """A reload keeps every entity id; data brings the same entities back."""
    await gateway.info_all(spec_examples)
    before = entity_ids(hass, flexapi_entry)
    assert len(before) > 80

    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    await gateway.info_all(spec_examples)
    assert entity_ids(hass, flexapi_entry) == before
    for entity_id in before:
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state != STATE_UNAVAILABLE, entity_id


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_every_registered_entity_is_live_again_before_data(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """After a reload (or restart) every entity is back before any data.

    Also those whose unique id names no store key: GNSS date/time
    (``gnss.datetime``) and the 1-Wire bus (``1-wire.connected``). Only the
    1-Wire probes, named from their data, wait for it.
    """
    await gateway.info_all(spec_examples)
    before = entity_ids(hass, flexapi_entry)
    assert {"sensor.vg1_gnss_time", "binary_sensor.vg1_1_wire_bus"} <= before
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    ghosts = {
        entity_id
        for entity_id in before
        if hass.states.get(entity_id).attributes.get("restored")
    }
    assert ghosts == {
        "sensor.vg1_temperature_inside",
        "sensor.vg1_temperature_outside",
    }


ENTITIES_BY_GROUP = {
    "gnss": ["sensor.vg1_gnss_fix"],
    "obd": ["sensor.vg1_vehicle_speed"],
    "io": ["binary_sensor.vg1_digital_input_1"],
    "cellular1": ["sensor.vg1_signal_level"],
    "sysinfo": ["sensor.vg1_firmware"],
    # Available while MQTT is: no upload interval (events) or a last value
    # that stays true while the gateway is parked (the tracker).
    "mqtt": ["event.vg1_notice", "device_tracker.vg1_location"],
}


def available(hass: HomeAssistant) -> dict[str, bool]:
    """Whether the sample entities of each group are available."""
    result = {}
    for group, ids in ENTITIES_BY_GROUP.items():
        states = {
            hass.states.get(entity_id).state != STATE_UNAVAILABLE for entity_id in ids
        }
        assert len(states) == 1, group
        result[group] = states.pop()
    return result


@pytest.mark.parametrize(
    ("flexapi_options", "window"),
    [({}, 30), ({"stale_multiplier": 5}, 50), ({"stale_multiplier": 1.5}, 15)],
)
async def test_silent_groups_become_unavailable(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
    window: int,
) -> None:
    """Silence for more than the multiplier times the interval: unavailable."""
    await gateway.info_all(spec_examples)
    everything = dict.fromkeys(ENTITIES_BY_GROUP, True)
    for _ in range(window // 5):
        await gateway.advance(5)
    assert available(hass) == everything
    await gateway.advance(5)
    # cellular1 uploads every 30 s: its window is longer. The tracker keeps
    # its last position available, as the event entity stays available.
    cellular_ok = window + 5 <= 3 * window
    assert available(hass) == {
        **everything,
        "gnss": False,
        "obd": False,
        "io": False,
        "cellular1": cellular_ok,
    }
    # Data brings a group back; the others stay unavailable.
    await gateway.info("gnss", {"gnss.speed": 50.0})
    assert available(hass) == {
        **everything,
        "obd": False,
        "io": False,
        "cellular1": cellular_ok,
    }
    await gateway.info("summary", spec_examples["summary"])
    assert available(hass) == {**everything, "cellular1": cellular_ok}


async def test_mqtt_disconnect_makes_everything_unavailable(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the broker nothing is known; on reconnect entities come back.

    Each change is logged once, at info level (log-when-unavailable).
    """
    await gateway.info_all(spec_examples)
    everything = dict.fromkeys(ENTITIES_BY_GROUP, True)
    assert available(hass) == everything
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    assert available(hass) == dict.fromkeys(ENTITIES_BY_GROUP, False)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)  # no change
    await hass.async_block_till_done()
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done()
    assert available(hass) == everything
    logged = [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "custom_components.flexapi.runtime"
        and "MQTT" in record.getMessage()
    ]
    assert logged == [
        ("INFO", f"{CLIENT_ID}: MQTT disconnected; entities unavailable"),
        ("INFO", f"{CLIENT_ID}: MQTT connected again"),
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_no_needless_state_writes(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
    writes: list[str],
) -> None:
    """Repeated data writes nothing; one changed value writes its entities only."""
    await gateway.info_all(spec_examples)
    assert writes
    reported = hass.states.get("sensor.vg1_engine_speed").last_reported
    writes.clear()

    await gateway.advance(1)
    await gateway.info_all(spec_examples)
    assert writes == []
    assert hass.states.get("sensor.vg1_engine_speed").last_reported == reported

    await gateway.info("summary", {**spec_examples["summary"], "obd.rpm": 2000})
    assert writes == ["sensor.vg1_engine_speed"]
    writes.clear()

    # An invalid value written once, then not again.
    await gateway.info("obd", {"obd.rpm": "abc"})
    await gateway.info("obd", {"obd.rpm": None})
    assert writes == ["sensor.vg1_engine_speed"]
    writes.clear()

    # The speed is also a tracker attribute.
    await gateway.info("gnss", {"gnss.speed": 10.0})
    assert sorted(writes) == ["device_tracker.vg1_location", "sensor.vg1_gnss_speed"]


@pytest.mark.usefixtures("flexapi_entry")
async def test_disabled_by_default(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """Identifiers, raw diagnostics and non-core OBD values start disabled."""
    await gateway.info_all(spec_examples)
    await gateway.info("obd", {"obd.e_load": 50.0, "obd.t_dist": 5.0, "obd.a_temp": 20})
    disabled = {
        "sensor.vg1_engine_run_time",  # non-core OBD
        "sensor.vg1_trip_distance",
        "sensor.vg1_ambient_air_temperature",
        "sensor.vg1_imei",
        "sensor.vg1_imsi",
        "sensor.vg1_iccid",
        "sensor.vg1_ip_address",
        "sensor.vg1_latitude",
        "sensor.vg1_longitude",
        "sensor.vg1_hdop",
        "sensor.vg1_gnss_speed",  # device_tracker attributes
        "sensor.vg1_altitude",
        "sensor.vg1_heading",
        "sensor.vg1_satellites_in_use",
        "sensor.vg1_horizontal_accuracy",
        "sensor.vg1_yaw",
        "sensor.vg1_gnss_time",
        "sensor.vg1_language",
        "sensor.vg1_temperature_1_probe_id",
        "sensor.vg1_1_wire_device_type",
    }
    enabled = {
        "sensor.vg1_engine_speed",  # core OBD
        "sensor.vg1_vehicle_speed",
        "sensor.vg1_odometer",
        "sensor.vg1_engine_load",
        "sensor.vg1_gnss_fix",
        "sensor.vg1_firmware",
        "sensor.vg1_hostname",
        "sensor.vg1_rom_code_1",
        "sensor.vg1_temperature_inside",
        "sensor.vg1_signal_level",
        "binary_sensor.vg1_digital_input_1",
        "binary_sensor.vg1_1_wire_bus",
        "device_tracker.vg1_location",
    }
    for entity_id in disabled:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, entity_id
        assert hass.states.get(entity_id) is None, entity_id
    for entity_id in enabled:
        assert entity_registry.async_get(entity_id).disabled_by is None, entity_id
        assert hass.states.get(entity_id) is not None, entity_id


async def test_registered_entities_come_back_before_data(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """After a restart, a parked gateway's entities are there, just unknown.

    1-Wire probes are named from their data, so they wait for it.
    """
    await gateway.info("sysinfo", spec_examples["sysinfo"])
    await gateway.info("1-wire", spec_examples["1-wire"])
    assert hass.states.get("sensor.vg1_firmware").state == "1.0.0.r13083"
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()

    firmware = hass.states.get("sensor.vg1_firmware")
    assert firmware is not None
    assert firmware.state == "unknown"
    assert "restored" not in firmware.attributes  # a live entity, not a ghost
    probe = hass.states.get("sensor.vg1_temperature_inside")
    assert probe is not None
    assert probe.attributes.get("restored") is True  # waits for its name
    await gateway.info("1-wire", spec_examples["1-wire"])
    assert hass.states.get("sensor.vg1_temperature_inside").state == "24.56"
    assert "restored" not in hass.states.get("sensor.vg1_temperature_inside").attributes


# -- removal -----------------------------------------------------------------------


USERDATA_SET = "userdata/set"


async def delete_userdata(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    gateway: FlexApiDevice,
    keys: list[str],
    deleted: Any,
) -> Any:
    """Delete userdata keys through the runtime; the gateway answers ``deleted``."""
    future = start(runtime(entry).async_userdata("delete", keys))
    await gateway.advance(1.2)  # past the start-up request's spacing
    await gateway.answer(USERDATA_SET, {"deleted": deleted})
    await settle(hass)
    return future


@pytest.mark.usefixtures("no_initial_requests")
async def test_deleted_userdata_key_leaves_the_entity_registry(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """A key deleted through the integration takes its entity away for good."""
    await gateway.info(
        "userdata", {"userdata.serial_number": "SN0125", "userdata.fleet": "north"}
    )
    serial = "sensor.vg1_user_data_serial_number"
    assert hass.states.get(serial).state == "SN0125"

    future = await delete_userdata(
        hass,
        flexapi_entry,
        gateway,
        ["userdata.serial_number"],
        {"userdata.serial_number": "serial_number"},
    )
    future.result()
    assert entity_registry.async_get(serial) is None
    assert hass.states.get(serial) is None
    assert "userdata.serial_number" not in runtime(flexapi_entry).store.values
    assert hass.states.get("sensor.vg1_user_data_fleet").state == "north"

    # Not recreated at the next setup, and back as a new entity if re-inserted.
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(serial) is None
    assert hass.states.get("sensor.vg1_user_data_fleet") is not None
    await gateway.info("userdata", {"userdata.serial_number": "SN0999"})
    assert hass.states.get(serial).state == "SN0999"


@pytest.mark.usefixtures("no_initial_requests")
async def test_deleting_a_restored_userdata_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """After a restart the entity is back before its key: deletion still works."""
    await gateway.info("userdata", {"userdata.serial_number": "SN0125"})
    assert await hass.config_entries.async_reload(flexapi_entry.entry_id)
    await hass.async_block_till_done()
    serial = "sensor.vg1_user_data_serial_number"
    assert hass.states.get(serial).state == "unknown"
    future = await delete_userdata(
        hass,
        flexapi_entry,
        gateway,
        ["userdata.serial_number"],
        {"userdata.serial_number": "serial_number"},
    )
    future.result()
    assert entity_registry.async_get(serial) is None


@pytest.mark.usefixtures("no_initial_requests")
@pytest.mark.parametrize("deleted", [{}, None, {"userdata.other": "other"}])
async def test_unconfirmed_userdata_deletion_keeps_the_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    deleted: Any,
) -> None:
    """The gateway's ``deleted`` echo decides, not the request."""
    await gateway.info("userdata", {"userdata.serial_number": "SN0125"})
    future = await delete_userdata(
        hass, flexapi_entry, gateway, ["userdata.serial_number"], deleted
    )
    with pytest.raises(FlexApiNotAppliedError) as err:
        future.result()
    assert err.value.keys == ("userdata.serial_number",)
    serial = "sensor.vg1_user_data_serial_number"
    assert entity_registry.async_get(serial) is not None
    assert hass.states.get(serial).state == "SN0125"


@pytest.mark.usefixtures("no_initial_requests")
@pytest.mark.parametrize(
    ("operation", "echo", "stored", "not_applied"),
    [
        ("insert", {"inserted": {"userdata.a": "1", "userdata.b": "2"}}, "12", ()),
        ("insert", {"inserted": {"userdata.a": "1"}}, "1-", ("userdata.b",)),
        (
            "update",
            {"updated": {"userdata.a": "1", "userdata.b": "x"}},
            "1x",
            ("userdata.b",),
        ),
        ("update", {}, "--", ("userdata.a", "userdata.b")),
    ],
)
async def test_userdata_results_decide_what_the_store_keeps(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    operation: str,
    echo: dict[str, Any],
    stored: str,
    not_applied: tuple[str, ...],
) -> None:
    """``inserted`` / ``updated`` echo what the gateway applied: that is kept."""
    future = start(
        runtime(flexapi_entry).async_userdata(operation, {"a": "1", "b": "2"})
    )
    await gateway.advance(1.2)
    await gateway.answer(USERDATA_SET, echo)
    await settle(hass)
    if not_applied:
        with pytest.raises(FlexApiNotAppliedError) as err:
            future.result()
        assert err.value.keys == not_applied
    else:
        future.result()
    values = runtime(flexapi_entry).store.values
    assert "".join(values.get(f"userdata.{k}") or "-" for k in "ab") == stored


async def test_stale_devices_can_be_removed_but_not_the_gateway(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
    flexapi_entry: MockConfigEntry,
) -> None:
    """Quality scale stale-devices: a left-over device goes, the live one stays."""
    assert await async_setup_component(hass, "config", {})
    live = device_by_identifier(hass, (DOMAIN, CLIENT_ID))
    assert live is not None
    stale = device_registry.async_get_or_create(
        config_entry_id=flexapi_entry.entry_id, identifiers={(DOMAIN, "VG-old")}
    )
    client = await hass_ws_client(hass)

    response = await remove_device(client, live.id, flexapi_entry.entry_id)
    assert not response["success"]
    assert device_registry.async_get(live.id) is not None

    response = await remove_device(client, stale.id, flexapi_entry.entry_id)
    assert response["success"]
    assert device_registry.async_get(stale.id) is None


@pytest.mark.usefixtures("no_initial_requests")
async def test_a_deleted_userdata_key_frees_its_place_under_the_cap(
    hass: HomeAssistant, flexapi_entry: MockConfigEntry, gateway: FlexApiDevice
) -> None:
    """64 userdata sensors; one key deleted on the gateway makes room for one."""
    await gateway.info("userdata", {f"userdata.k{n:02}": str(n) for n in range(65)})
    assert hass.states.get("sensor.vg1_user_data_k63") is not None
    assert hass.states.get("sensor.vg1_user_data_k64") is None
    future = await delete_userdata(
        hass, flexapi_entry, gateway, ["userdata.k00"], {"userdata.k00": "k00"}
    )
    future.result()
    assert hass.states.get("sensor.vg1_user_data_k00") is None
    await gateway.info("userdata", {"userdata.new": "x"})
    assert hass.states.get("sensor.vg1_user_data_new").state == "x"
