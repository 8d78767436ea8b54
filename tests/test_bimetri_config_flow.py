"""Config flow of Bimetri applications: menu, form, reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import Generator
import time
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.flexapi.const import (
    CONF_APP_NAME,
    CONF_BRAND,
    CONF_INSTANCE_ID,
    CONF_JWT,
    CONF_KIND,
    CONF_NOTIFICATION_TIMEOUT,
    CONF_ORGANIZATION_ID,
    CONF_OUTPUTS,
    CONF_RESOURCE_ID,
    CONF_USER_ID,
    DOMAIN,
    KIND_BIMETRI,
    SUBENTRY_RESOURCE,
)

from .bimetri_helpers import DAY, make_bimetri_entry, make_jwt
from .helpers import make_entry

JWT = make_jwt(time.time() + 365 * DAY)
FORM = {
    CONF_APP_NAME: "flexyWattApp",
    CONF_INSTANCE_ID: "1",
    CONF_BRAND: "Bimetri",
    CONF_JWT: JWT,
    CONF_USER_ID: 12345,
    CONF_ORGANIZATION_ID: 23456,
}


@pytest.fixture(autouse=True)
def setup_entry() -> Generator[AsyncMock]:
    """Created or reloaded entries do not start a runtime."""
    with (
        patch(
            "custom_components.flexapi.async_setup_entry", AsyncMock(return_value=True)
        ) as mock,
        patch(
            "custom_components.flexapi.async_unload_entry",
            AsyncMock(return_value=True),
        ),
    ):
        yield mock


async def start_bimetri(hass: HomeAssistant) -> dict[str, Any]:
    """Open the user menu and choose "Bimetri application"."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["gateway", "bimetri"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bimetri"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bimetri"
    return result


async def test_user_menu_needs_mqtt(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_bimetri_application_is_created(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await start_bimetri(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**FORM, CONF_APP_NAME: " flexyWattApp ", CONF_JWT: f" {JWT} "},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bimetri flexyWattApp.1"
    assert result["data"] == {CONF_KIND: KIND_BIMETRI, **FORM}
    entry = result["result"]
    assert entry.unique_id == "flexyWattApp.1"
    assert entry.supported_subentry_types == {
        SUBENTRY_RESOURCE: {"supports_reconfigure": True}
    }


async def test_brand_defaults_to_bimetri(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await start_bimetri(hass)
    form = {k: v for k, v in FORM.items() if k != CONF_BRAND}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["data"][CONF_BRAND] == "Bimetri"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_APP_NAME: ""}, {CONF_APP_NAME: "invalid_app_name"}),
        ({CONF_APP_NAME: "app/x"}, {CONF_APP_NAME: "invalid_app_name"}),
        ({CONF_APP_NAME: "app+"}, {CONF_APP_NAME: "invalid_app_name"}),
        ({CONF_APP_NAME: "a\x01"}, {CONF_APP_NAME: "invalid_app_name"}),
        ({CONF_INSTANCE_ID: "#"}, {CONF_INSTANCE_ID: "invalid_instance_id"}),
        ({CONF_INSTANCE_ID: "1.2"}, {CONF_INSTANCE_ID: "invalid_instance_id"}),
        ({CONF_INSTANCE_ID: " "}, {CONF_INSTANCE_ID: "invalid_instance_id"}),
        ({CONF_JWT: "two words"}, {CONF_JWT: "invalid_jwt"}),
        ({CONF_JWT: " "}, {CONF_JWT: "invalid_jwt"}),
        ({CONF_JWT: make_jwt(time.time() - 10)}, {CONF_JWT: "jwt_expired"}),
    ],
)
async def test_bimetri_form_rejects(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await start_bimetri(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**FORM, **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # The token is never echoed back into the form.
    assert JWT not in repr(result)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], FORM)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_app_name_with_a_dot_is_fine(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await start_bimetri(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**FORM, CONF_APP_NAME: "my.app"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "my.app.1"


async def test_same_app_twice_aborts(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    make_bimetri_entry().add_to_hass(hass)
    result = await start_bimetri(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], FORM)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_gateway_has_no_resources(hass: HomeAssistant) -> None:
    entry = make_entry()
    entry.add_to_hass(hass)
    assert entry.supported_subentry_types == {}


async def test_reauth_replaces_the_token(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    old = dict(entry.data)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["app_id"] == "flexyWattApp.1"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_JWT: make_jwt(time.time() - 5)}
    )
    assert result["errors"] == {CONF_JWT: "jwt_expired"}
    new_jwt = make_jwt(time.time() + 30 * DAY, signature="bmV3")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_JWT: new_jwt}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {**old, CONF_JWT: new_jwt}


async def test_reconfigure_changes_the_other_fields(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    token = entry.data[CONF_JWT]
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "bimetri_reconfigure"
    assert CONF_JWT not in result["data_schema"].schema
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_NAME: "otherApp",
            CONF_INSTANCE_ID: "7",
            CONF_BRAND: "Acme",
            CONF_USER_ID: 1,
            CONF_ORGANIZATION_ID: 2,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "otherApp.7"
    assert entry.title == "Acme otherApp.7"
    assert entry.data[CONF_JWT] == token
    assert entry.data[CONF_USER_ID] == 1
    assert entry.data[CONF_KIND] == KIND_BIMETRI


async def test_reconfigure_to_an_app_in_use_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    other = make_bimetri_entry()
    other.add_to_hass(hass)
    hass.config_entries.async_update_entry(other, unique_id="otherApp.7")
    result = await entry.start_reconfigure_flow(hass)
    form = {k: v for k, v in FORM.items() if k != CONF_JWT}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, CONF_APP_NAME: "otherApp", CONF_INSTANCE_ID: "7"}
    )
    assert result["errors"] == {"base": "app_already_configured"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, CONF_INSTANCE_ID: "x/"}
    )
    assert result["errors"] == {CONF_INSTANCE_ID: "invalid_instance_id"}


async def test_gateway_reconfigure_is_unchanged(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = make_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"


async def test_options_set_the_notification_timeout(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = make_bimetri_entry()
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "bimetri"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_NOTIFICATION_TIMEOUT: 45}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_NOTIFICATION_TIMEOUT: 45}


async def test_resource_flow_without_a_loaded_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = make_bimetri_entry(subentries=[])
    entry.add_to_hass(hass)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RESOURCE), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_RESOURCE_ID: 101}
    )
    assert result["step_id"] == "outputs"
    for bad in ([], ["x"], ["-1"]):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_OUTPUTS: bad}
        )
        assert result["errors"] == {CONF_OUTPUTS: "invalid_outputs"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_OUTPUTS: ["4", "0", "4"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = entry.subentries.values()
    assert subentry.title == "Resource 101"
    assert subentry.data == {CONF_RESOURCE_ID: 101, CONF_OUTPUTS: [0, 4]}
    assert subentry.unique_id == "101"

    # The same resource again aborts.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RESOURCE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_RESOURCE_ID: 101}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_application_and_resource_through_the_http_api(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_client: Any
) -> None:
    """What the UI (and scripts/demo) sends: menu, form, then a resource."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    response = await client.post(
        "/api/config/config_entries/flow", json={"handler": DOMAIN}
    )
    flow = await response.json()
    assert flow["type"] == "menu"
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    form = await (await client.post(path, json={"next_step_id": "bimetri"})).json()
    assert form["step_id"] == "bimetri"
    created = await (await client.post(path, json=FORM)).json()
    assert created["type"] == "create_entry"
    assert JWT not in repr(created)
    entry_id = created["result"]["entry_id"]

    response = await client.post(
        "/api/config/config_entries/subentries/flow",
        json={"handler": [entry_id, SUBENTRY_RESOURCE]},
    )
    sub = await response.json()
    assert sub["step_id"] == "user"
    path = f"/api/config/config_entries/subentries/flow/{sub['flow_id']}"
    step = await (await client.post(path, json={CONF_RESOURCE_ID: 101})).json()
    assert step["step_id"] == "outputs"
    done = await (
        await client.post(path, json={CONF_OUTPUTS: ["1", "2"], "name": "Relays"})
    ).json()
    assert done["type"] == "create_entry"
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    (subentry,) = entry.subentries.values()
    assert (subentry.title, dict(subentry.data)) == (
        "Relays",
        {CONF_RESOURCE_ID: 101, CONF_OUTPUTS: [1, 2]},
    )
