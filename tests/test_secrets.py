"""Secrets: no JWT, IMEI, IMSI, ICCID, phone number or position in logs or diagnostics.

One run of representative scenarios with every logger at debug level: a
gateway reporting its modem identities and position, events, userdata
holding a JWT-shaped value, refresh and settings actions with errors,
malformed and foreign payloads, discovery of a second gateway, a Bimetri
command cycle with a real-looking JWT (sent, refused, unauthorized), and
the diagnostics of both entry kinds. A scanner, itself tested, then looks
for every planted secret in every log record and every diagnostics output.

Home Assistant itself, at debug level, echoes what it handles. Its MQTT
client logs each payload it receives or transmits ("Received message on
...", "Transmitting message on ..."): the integration masks the gateways'
personal values there (``logmask``) and the Bimetri JWT, so those lines are
scanned like the integration's own. HA's core logs each state change
("Bus:Handling ..."), where the location tracker's position and a userdata
sensor's value are the entities' states by design: what a gateway publishes
is left out of the scan of those lines, and only there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import json
import logging
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt import DOMAIN as MQTT_DOMAIN
from homeassistant.config_entries import SOURCE_MQTT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi import logmask
from custom_components.flexapi.const import DOMAIN, REQUEST_TIMEOUT
from custom_components.flexapi.diagnostics import async_get_config_entry_diagnostics
from tests.compat import device_by_identifier

from .bimetri_helpers import (
    BimetriPlatformMock,
    make_bimetri_entry,
    make_jwt,
    tick,
    turns,
)
from .helpers import REQUEST_SPACING, answer, make_entry, start

pytestmark = pytest.mark.usefixtures("collect_started_tasks", "no_initial_requests")

BASE = "v1/VG1/"
#: The Bimetri entry's token and a userdata value shaped like one.
BIMETRI_SIGNATURE = "c2VjcmV0LXNpZ25hdHVyZS1vZi10aGUtYmltZXRyaS10b2tlbi0wMTIzNDU2Nzg5"
USERDATA_SIGNATURE = "dXNlcmRhdGEtdG9rZW4tc2lnbmF0dXJlLW5ldmVyLWxvZy1pdC05ODc2NTQzMjE"
#: Fixed expiries (2100 and 2096): test ids must not change between workers.
BIMETRI_JWT = make_jwt(4_102_444_800, signature=BIMETRI_SIGNATURE)
USERDATA_JWT = make_jwt(3_976_214_400, signature=USERDATA_SIGNATURE)
IMEI = "862104021247207"
IMSI = "460013231603009"
ICCID = "89860118802836799717"
PHONE = "+8613812345678"
LATITUDE = 40.232213
LONGITUDE = 116.34366
#: A second gateway, only ever seen through discovery.
IMEI_2 = "356938035643809"
LATITUDE_2 = 48.858370
LONGITUDE_2 = 2.294481

#: Any JWT: three base64url parts, the first two JSON objects ("eyJ").
JWT_PATTERN = re.compile(r"eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]{16,}")
#: Home Assistant echoing state changes at debug level (its MQTT client's
#: echoes of wire traffic are scanned in full).
HA_ECHOES = {"homeassistant.core": ("Bus:Handling",)}
#: HA's MQTT client echoing wire traffic.
MQTT_CLIENT = "homeassistant.components.mqtt.client"


@dataclass(frozen=True)
class Secret:
    """A value that must not appear, and the spellings it may take."""

    kind: str
    spellings: tuple[str, ...]
    #: Published by a gateway itself: Home Assistant's echoes may show it.
    device_data: bool = True


def _jwt(kind: str, token: str) -> Secret:
    _header, payload, signature = token.split(".")
    return Secret(kind, (token, f"{payload}.{signature}", signature), False)


def _number(kind: str, value: float) -> Secret:
    return Secret(kind, (str(value), json.dumps(value), f"{value:.5f}"))


SECRETS = (
    _jwt("Bimetri JWT", BIMETRI_JWT),
    Secret("userdata JWT", _jwt("", USERDATA_JWT).spellings),
    Secret("IMEI", (IMEI, IMEI_2)),
    Secret("IMSI", (IMSI,)),
    Secret("ICCID", (ICCID,)),
    Secret("phone number", (PHONE, PHONE.lstrip("+"))),
    _number("latitude", LATITUDE),
    _number("longitude", LONGITUDE),
    _number("latitude", LATITUDE_2),
    _number("longitude", LONGITUDE_2),
)


def find_secrets(
    text: str, secrets: Iterable[Secret] = SECRETS, *, ha_echo: bool = False
) -> list[str]:
    """Kinds of secret ``text`` holds (any JWT-looking string is one too).

    ``ha_echo``: the text is Home Assistant's echo of a state change; what
    gateways publish does not count there.
    """
    found = [
        f"{secret.kind} ({spelling[:12]}…)"
        for secret in secrets
        if not (ha_echo and secret.device_data)
        for spelling in secret.spellings
        if spelling in text
    ]
    if not ha_echo:
        found += [f"JWT-shaped ({m[:12]}…)" for m in JWT_PATTERN.findall(text)]
    return found


MOCK_STORAGE_LOGGER = "pytest_homeassistant_custom_component.common"


def log_leaks(records: Iterable[logging.LogRecord]) -> list[str]:
    """Every log record holding a secret: logger, level, what."""
    leaks = []
    for record in records:
        text = record.getMessage()
        if record.name == MOCK_STORAGE_LOGGER and text.startswith("Writing data to "):
            # The test plugin's stand-in for Home Assistant's storage echoes
            # what is written; the real storage logs no content. The entry's
            # store keeps a trip in progress, with its positions, on purpose.
            continue
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]!r}"
        if record.exc_text:
            text += " " + record.exc_text
        ha_echo = text.startswith(HA_ECHOES.get(record.name, ("\0",)))
        if found := find_secrets(text, ha_echo=ha_echo):
            leaks.append(f"{record.name} {record.levelname}: {found}: {text[:160]}")
    return leaks


def diagnostics_leaks(diagnostics: Mapping[str, Any]) -> list[str]:
    """Secrets in a diagnostics output (as it would be downloaded)."""
    return find_secrets(json.dumps(diagnostics, default=str))


# -- the scanner finds what is planted ------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [s for secret in SECRETS for s in secret.spellings],
    ids=[
        f"{secret.kind}-{n}"
        for secret in SECRETS
        for n, _ in enumerate(secret.spellings)
    ],
)
def test_the_scanner_finds_every_planted_secret(secret: str) -> None:
    """In a log line, in a nested diagnostics value, and mid-sentence."""
    assert find_secrets(f"value {secret}, more")
    assert diagnostics_leaks({"a": [{"b": f"x{secret}y"}]})
    record = logging.LogRecord(
        "custom_components.flexapi", 10, "", 0, "%s", (secret,), None
    )
    assert log_leaks([record])


def test_the_scanner_finds_any_jwt_and_passes_clean_text() -> None:
    """A JWT it was never told about; redacted forms and plain data pass."""
    other = make_jwt(1e9, signature="b3RoZXItc2lnbmF0dXJlLTEyMzQ1Njc4OTAxMjM0")
    assert find_secrets(f"token={other}") == [f"JWT-shaped ({other[:12]}…)"]
    assert find_secrets("eyJhbG…(redacted) 40.2 IMEI **REDACTED** 8621040") == []
    state = logging.LogRecord(
        "homeassistant.core",
        10,
        "",
        0,
        "Bus:Handling <Event state_changed[L]: %s>",
        (f'new_state=<state sensor.vg1_imei={IMEI}; t="{BIMETRI_JWT}">',),
        None,
    )
    (leak,) = log_leaks([state])  # the JWT counts in HA's echo; the IMEI not
    assert "Bimetri JWT" in leak
    assert "IMEI" not in leak.split(":")[1]
    received = logging.LogRecord(
        MQTT_CLIENT,
        10,
        "",
        0,
        "Received%s message on %s (qos=%s): %s",
        ("", "v1/VG1/cellular1/info", 1, f'{{"modem1.imei":"{IMEI}"}}'.encode()),
        None,
    )
    (leak,) = log_leaks([received])  # HA's MQTT client: device data counts too
    assert "IMEI" in leak


# -- the run ----------------------------------------------------------------------


class Gateway:
    """The gateway VG1, without waiting for calls in progress."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        """Bind to HA and the frozen clock."""
        self.hass = hass
        self.freezer = freezer

    async def send(self, topic: str, payload: Any) -> None:
        """Publish on ``v1/VG1/{topic}`` (JSON unless a str)."""
        if not isinstance(payload, str):
            payload = json.dumps(payload)
        async_fire_mqtt_message(self.hass, BASE + topic, payload)
        await turns(self.hass)

    async def info(self, group: str, data: dict[str, Any]) -> None:
        """A timed upload."""
        await self.send(f"{group}/info", data)

    async def advance(self, seconds: float) -> None:
        """Let time pass (a call waiting for an answer keeps waiting)."""
        await tick(self.hass, self.freezer, seconds)


async def _flexapi_scenarios(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    gateway: Gateway,
    spec_examples: dict[str, dict[str, Any]],
) -> None:
    cellular = {
        **spec_examples["cellular1"],
        "modem1.imei": IMEI,
        "modem1.imsi": IMSI,
        "modem1.iccid": ICCID,
        "modem1.phone_num": PHONE,
    }
    summary = {
        **spec_examples["summary"],
        "gnss.latitude": LATITUDE,
        "gnss.longitude": LONGITUDE,
    }
    await gateway.info("cellular1", cellular)
    await gateway.info("summary", summary)
    await gateway.info("userdata", {"userdata.token": USERDATA_JWT, "userdata.x": "1"})
    await gateway.info("sysinfo", spec_examples["sysinfo"])
    # Malformed, foreign, old and repeated payloads that carry the secrets.
    await gateway.send("gnss/info", f'{{"gnss.latitude": {LATITUDE}, "gnss.longitude":')
    await gateway.send("summary/info", {**summary, "gnss.ts": 1})
    await gateway.info("summary", summary)
    await gateway.send(
        "gnss/refresh/resp",
        {"client_token": "foreign", "result": {"gnss.latitude": LATITUDE}},
    )
    await gateway.send("userdata/info", {"userdata.token": {"nested": USERDATA_JWT}})
    # Events: a position in a valid one and in a malformed one.
    event = {"type": "DI_CHG", "status": "raise", "starts_at": 1700000000, "level": 1}
    await gateway.send(
        "event/notice",
        {
            "topic": BASE + "event/notice",
            "payload": {**event, "gnss.latitude": LATITUDE},
        },
    )
    await gateway.send(
        "event/notice", {"status": 5, "gnss.longitude": LONGITUDE, "imei": IMEI}
    )
    # Actions: a refresh answered with the position, one answered with an
    # error, a settings change, a userdata write of the token, a bad call.
    device = device_by_identifier(hass, (DOMAIN, "VG1"))
    assert device is not None

    async def call(service: str, data: dict[str, Any], reply: Any) -> Any:
        future = start(
            hass.services.async_call(
                DOMAIN,
                service,
                {"device_id": device.id, **data},
                blocking=True,
                return_response=True,
            )
        )
        await gateway.advance(REQUEST_SPACING)
        reply()
        await turns(hass)
        assert future.done()
        return future

    ok = await call(
        "refresh",
        {"group": "gnss"},
        lambda: answer(
            hass,
            mqtt_mock,
            BASE + "gnss/refresh",
            {"gnss.latitude": LATITUDE, "gnss.longitude": LONGITUDE},
        ),
    )
    assert ok.result()["data"]["gnss.latitude"] == LATITUDE
    failed = await call(
        "refresh",
        {"group": "cellular1"},
        lambda: answer(
            hass,
            mqtt_mock,
            BASE + "cellular1/refresh",
            error="not_found",
            error_desc=f"no modem {IMEI}",
        ),
    )
    assert isinstance(failed.exception(), HomeAssistantError)
    written = await call(
        "userdata_update",
        {"data": {"userdata.token": USERDATA_JWT}},
        lambda: answer(
            hass,
            mqtt_mock,
            BASE + "userdata/set",
            {"updated": {"userdata.token": USERDATA_JWT}},
        ),
    )
    assert written.exception() is None
    timed_out = start(
        hass.services.async_call(
            DOMAIN,
            "userdata_get",
            {"device_id": device.id},
            blocking=True,
            return_response=True,
        )
    )
    await gateway.advance(REQUEST_SPACING)
    await gateway.advance(REQUEST_TIMEOUT + 1)
    assert isinstance(timed_out.exception(), HomeAssistantError)
    # Discovery of a second gateway reporting its identity and position.
    discovery = start(
        hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_MQTT},
            data=MqttServiceInfo(
                topic="v1/VG2/cellular1/info",
                payload=json.dumps(
                    {
                        "modem1.imei": IMEI_2,
                        "gnss.latitude": LATITUDE_2,
                        "gnss.longitude": LONGITUDE_2,
                    }
                ),
                qos=0,
                retain=False,
                subscribed_topic="v1/+/cellular1/info",
                timestamp=0,
            ),
        )
    )
    for _ in range(4):  # the flow asks VG2 for its sysinfo; nobody answers
        await gateway.advance(REQUEST_TIMEOUT)
    assert discovery.done()
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])


async def _bimetri_scenarios(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> MockConfigEntry:
    entry = make_bimetri_entry(jwt=BIMETRI_JWT)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    platform = BimetriPlatformMock(hass, mqtt_mock)

    async def switch(service: str) -> Any:
        future = start(
            hass.services.async_call(
                "switch",
                service,
                {"entity_id": "switch.boiler_output_4"},
                blocking=True,
            )
        )
        await turns(hass)
        return future

    on = await switch("turn_on")
    await platform.respond()
    await platform.notify(command=platform.last)
    assert on.exception() is None
    refused = await switch("turn_off")
    await platform.respond("failed", f"Bad token {BIMETRI_JWT}")
    assert isinstance(refused.exception(), HomeAssistantError)
    unauthorized = await switch("turn_off")
    await platform.respond("unauthorized", "Token expired")
    assert isinstance(unauthorized.exception(), HomeAssistantError)
    # A notification of another app, an echo of the token, junk.
    await platform.send(
        {**platform.notification(app_id="other.1"), "jwtToken": BIMETRI_JWT}
    )
    async_fire_mqtt_message(hass, "application/third-party/flexyWattApp/1", b"\xff{")
    await turns(hass)
    return entry


async def test_no_secret_in_any_log_or_diagnostics(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    flexapi_entry: MockConfigEntry,
    spec_examples: dict[str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every logger at debug level, every diagnostics output: nothing leaks."""
    caplog.set_level(logging.DEBUG)
    for name in (
        "custom_components.flexapi",
        "homeassistant.components.mqtt",
        "homeassistant.core",
    ):
        caplog.set_level(logging.DEBUG, logger=name)  # restored afterwards
    await _flexapi_scenarios(hass, mqtt_mock, Gateway(hass, freezer), spec_examples)
    bimetri_entry = await _bimetri_scenarios(hass, mqtt_mock)
    diagnostics = {
        "flexapi": await async_get_config_entry_diagnostics(hass, flexapi_entry),
        "bimetri": await async_get_config_entry_diagnostics(hass, bimetri_entry),
    }
    assert await hass.config_entries.async_unload(bimetri_entry.entry_id)
    await hass.async_block_till_done()

    # The run did reach the places a leak would be.
    messages = [record.getMessage() for record in caplog.records]
    # HA's MQTT client echoed the uploads and the requests, masked.
    echoes = [r.getMessage() for r in caplog.records if r.name == MQTT_CLIENT]
    assert any(
        "Received message on v1/VG1/cellular1/info" in m
        and '"modem1.imei": "**REDACTED**"' in m
        for m in echoes
    )
    assert any(
        "Transmitting message on v1/VG1/userdata/set" in m and "REDACTED" in m
        for m in echoes
    )
    assert any("setExtDO" in m for m in messages)
    assert any("redacted" in m for m in messages)  # the masked command echo
    assert diagnostics["flexapi"]["values"]
    assert diagnostics["bimetri"]["outputs"]
    assert log_leaks(caplog.records) == []
    assert {name: diagnostics_leaks(d) for name, d in diagnostics.items()} == {
        "flexapi": [],
        "bimetri": [],
    }
    assert MQTT_DOMAIN in hass.config.components


# -- the filter on HA's MQTT client logger ------------------------------------------


def _our_filters() -> list[logging.Filter]:
    return [
        f
        for f in logging.getLogger(MQTT_CLIENT).filters
        if isinstance(f, logmask.GatewayPayloadFilter)
    ]


async def test_the_mqtt_log_filter_lives_as_long_as_an_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Added with the first entry, kept while one is loaded, gone with the last."""
    assert _our_filters() == []
    entries = [make_entry("VG1"), make_entry("VG2"), make_entry("VG3", prefix="f/")]
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert _our_filters() == [logmask.FILTER]
    assert logmask.FILTER.roots == {"v1/": 1, "f/v1/": 1}
    for entry in entries[:-1]:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    assert _our_filters() == [logmask.FILTER]
    assert logmask.FILTER.roots == {"f/v1/": 1}
    assert await hass.config_entries.async_unload(entries[-1].entry_id)
    await hass.async_block_till_done()
    assert _our_filters() == []
    assert logmask.FILTER.roots == {}


@pytest.mark.parametrize("debug", [False, True])
async def test_the_mqtt_log_filter_runs_only_for_debug_records(
    hass: HomeAssistant,
    flexapi_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    debug: bool,
) -> None:
    """With debug off HA makes no record, so the filter is never called."""
    caplog.set_level(logging.DEBUG if debug else logging.INFO, logger=MQTT_CLIENT)
    with patch.object(logmask.FILTER, "filter", wraps=logmask.FILTER.filter) as calls:
        async_fire_mqtt_message(
            hass, BASE + "cellular1/info", json.dumps({"modem1.imei": IMEI})
        )
        async_fire_mqtt_message(hass, "other/topic", json.dumps({"imei": IMEI}))
        await hass.async_block_till_done()
    if not debug:
        assert calls.call_count == 0
        return
    assert calls.call_count >= 2
    lines = [r.getMessage() for r in caplog.records if r.name == MQTT_CLIENT]
    ours = [line for line in lines if BASE + "cellular1/info" in line]
    assert ours
    assert all(IMEI not in line for line in ours)
    # Only our topics are masked; other integrations' lines are left alone.
    assert any("other/topic" in line and IMEI in line for line in lines)
