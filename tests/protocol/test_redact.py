"""Masking personal values in payload text (HA's MQTT debug lines)."""

from __future__ import annotations

import json

import pytest

from custom_components.flexapi.protocol.redact import MASK, is_harmless, mask_payload

IMEI = "862104021247207"


def test_personal_values_are_masked_and_plain_data_stays() -> None:
    payload = json.dumps(
        {
            "modem1.imei": IMEI,
            "modem1.imsi": "460013231603009",
            "modem1.iccid": "89860118802836799717",
            "modem1.phone_num": "+8613812345678",
            "gnss.latitude": 40.232213,
            "gnss.longitude": 116.34366,
            "userdata.token": "abc",
            "obd.speed": 42,
            "modem1.signal_lvl": 20,
            "client_token": "t-1",
        }
    )
    masked = json.loads(mask_payload(payload))
    for key in (
        "modem1.imei",
        "modem1.imsi",
        "modem1.iccid",
        "modem1.phone_num",
        "gnss.latitude",
        "gnss.longitude",
        "userdata.token",
    ):
        assert masked[key] == json.loads(MASK), key
    assert masked["obd.speed"] == 42
    assert masked["modem1.signal_lvl"] == 20
    assert masked["client_token"] == "t-1"


@pytest.mark.parametrize(
    "text",
    [
        '{"gnss.latitude": 40.232213, "gnss.longitude":',  # truncated
        '{"gnss.latitude":40.232213',
        '{"modem1.imei": "8621040212',  # cut inside the string
        '{"result": {"nested": {"modem1.imei": "' + IMEI + '"}}}',
        '{"error": "not_found", "error_desc": "no modem ' + IMEI + '"}',
        '{"alias_set_by_another_tool": "' + IMEI + '"}',
        '{"modem1.imei": "\\"' + IMEI + '\\""}',  # escaped quotes
        '{"payload": {"type": "DI_CHG", "gnss.latitude": 40.232213}}',
    ],
)
def test_malformed_nested_and_unknown_are_masked(text: str) -> None:
    masked = mask_payload(text)
    assert IMEI not in masked
    assert "40.232213" not in masked
    assert "8621040212" not in masked


def test_a_jwt_anywhere_is_masked() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
    masked = mask_payload(f'["{token}", "x {token} y"]')
    assert token not in masked
    assert "c2lnbmF0dXJl" not in masked


def test_which_keys_are_harmless() -> None:
    assert is_harmless("obd.speed")
    assert is_harmless("client_token")
    assert not is_harmless("modem1.imei")
    assert not is_harmless("userdata.anything")
    assert not is_harmless("gnss.latitude")
    assert not is_harmless("unknown.key")
