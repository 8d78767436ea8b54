"""Diagnostics: what they hold, and that personal data is redacted."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flexapi.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import FlexApiDevice

REDACTED = "**REDACTED**"


async def test_diagnostics_redact_identifiers_and_location(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    await gateway.info_all(spec_examples)
    await gateway.info(
        "cellular1", {"modem1.phone_num": "+8613800000000", "modem1.rsrp": -95}
    )
    await gateway.info("obd", {"obd.vin": "LSGJA52U57S123456"})
    await gateway.send(
        "event/notice",
        {
            "starts_at": 1700000000,
            "status": "raise",
            "type": "DI_CHG",
            "level": 1,
            "io.DI2": 1,
            "gnss.latitude": 40.1,
            "gnss.longitude": 116.2,
        },
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, flexapi_entry)
    values = diagnostics["values"]
    for key in (
        "modem1.imei",
        "modem1.imsi",
        "modem1.iccid",
        "modem1.phone_num",
        "gnss.latitude",
        "gnss.longitude",
        "gnss.altitude",
        "obd.vin",
        "cellular1.ip",
    ):
        assert values[key] == REDACTED, key
    event = diagnostics["recent_events"][0]
    assert event["data"]["gnss.latitude"] == REDACTED
    assert event["data"]["io.DI2"] == 1
    # Nothing personal survives anywhere in the document.
    text = json.dumps(diagnostics)
    for secret in ("862104021247207", "460013231603009", "8613800000000", "40.2322"):
        assert secret not in text
    # Useful values stay readable.
    assert values["obd.rpm"] == 1234.0
    assert values["io.DO1"] is False
    assert values["modem1.rsrp"] == -95
    # The summary example spells outputs io.D01..: remembered for io control.
    assert diagnostics["digit_zero_outputs"] == sorted(
        [f"io.DO{n}" for n in range(1, 5)] + [f"io.DO{n}_pullup" for n in range(1, 5)]
    )
    assert diagnostics["entry"]["data"] == {"client_id": "VG1", "prefix": ""}
    assert diagnostics["mqtt_connected"] is True
    assert diagnostics["stale_groups"] == []
    assert diagnostics["intervals"]["cellular1"] == 30
    assert diagnostics["queued_requests"] == {"request": 0, "io": 0}


async def test_diagnostics_list_unmapped_keys_without_values(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """An alias set by another tool may hide an IMEI: keys only, no values."""
    await gateway.info("mygroup", {"imei": "862104021247207", "lat": 40.1})
    await gateway.info("sysinfo", spec_examples["sysinfo"])
    diagnostics = await async_get_config_entry_diagnostics(hass, flexapi_entry)
    assert diagnostics["unmapped_keys"] == ["imei", "lat"]
    text = json.dumps(diagnostics)
    assert "862104021247207" not in text
    assert "00:18:05:10:99:66" not in text
    assert diagnostics["values"]["sysinfo.lan_mac"] == REDACTED
    assert diagnostics["values"]["sysinfo.model_name"] == "VG710"


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJmbGVldC03IiwiaWF0IjoxNzAwMDAwMDAwfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


async def test_diagnostics_leak_no_userdata_jwt_or_position(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
) -> None:
    """Userdata values, positions (also aliased or unknown) never appear."""
    runtime = flexapi_entry.runtime_data
    # Start-up: sysinfo, app, then a custom group that aliases a position
    # and a userdata key (§4.1.2).
    await gateway.answer("sysinfo/refresh", {})
    await gateway.advance(1.2)
    await gateway.answer("app/refresh", {})
    await gateway.advance(1.2)
    await gateway.answer(
        "group/get",
        [
            {
                "group_name": "trip",
                "interval": 10,
                "interest": {
                    "gnss.latitude": "la",
                    "gnss.longitude": "lo",
                    "userdata.jwt": "tok",
                },
            }
        ],
    )
    await gateway.info("userdata", {"userdata.jwt": JWT, "userdata.driver": "Ann"})
    await gateway.info("trip", {"la": 48.858370, "lo": 2.294481, "tok": JWT})
    await gateway.info(
        "cellular1",
        {
            "modem1.imei": "862104021247207",
            "modem1.imsi": "460013231603009",
            "modem1.iccid": "89860117851014783461",
            "modem1.phone_num": "+33612345678",
            "modem1.lac": "5A2F",
            "modem1.cell_id": "0C1D2E3F",
        },
    )
    await gateway.send(
        "event/notice",
        {
            "starts_at": 1700000000,
            "status": "raise",
            "type": "GEOFENCE",
            "level": 2,
            "gnss.latitude": 48.858371,
            "gnss.longitude": 2.294482,
            "gnss.altitude": 35.5,
            "position": "48.858372,2.294483",  # a key no catalog row explains
            "userdata.jwt": JWT,
        },
    )
    assert runtime.store.get("userdata.jwt") == JWT  # it was stored

    diagnostics = await async_get_config_entry_diagnostics(hass, flexapi_entry)
    text = json.dumps(diagnostics)
    for part in JWT.split("."):
        assert part not in text
    for secret in (
        "Ann",
        "48.8583",
        "2.29448",
        "862104021247207",
        "460013231603009",
        "89860117851014783461",
        "33612345678",
        "5A2F",
        "0C1D2E3F",
    ):
        assert secret not in text, secret
    values = diagnostics["values"]
    assert values["userdata.jwt"] == values["userdata.driver"] == REDACTED
    assert values["gnss.latitude"] == values["gnss.longitude"] == REDACTED
    event = diagnostics["recent_events"][0]
    assert event["type"] == "GEOFENCE"
    assert set(event["data"].values()) == {REDACTED}
    # The alias map stays readable: it names keys, never values.
    assert diagnostics["custom_groups"]["trip"]["interest"]["userdata.jwt"] == "tok"


async def test_diagnostics_stay_bounded_when_a_gateway_invents_keys(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    gateway: FlexApiDevice,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    """20 uploads of 500 new ``gnss.k*`` keys: none stored, 256 listed at most."""
    await gateway.info("summary", spec_examples["summary"])
    known = len(
        (await async_get_config_entry_diagnostics(hass, flexapi_entry))["values"]
    )
    for upload in range(20):
        await gateway.info(
            "gnss", {f"gnss.k{upload}_{n}": n for n in range(500)} | {"gnss.fix": 2}
        )
    diagnostics = await async_get_config_entry_diagnostics(hass, flexapi_entry)
    assert len(diagnostics["values"]) == known
    assert not [key for key in diagnostics["values"] if key.startswith("gnss.k")]
    assert len(diagnostics["unmapped_keys"]) == 256
