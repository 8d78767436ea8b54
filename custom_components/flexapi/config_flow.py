"""Config flow for FlexAPI: MQTT discovery, a listening user step, manual entry."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import (
    SOURCE_MQTT,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import voluptuous as vol

from . import const
from .bimetri import FlexApiOrBimetriEntry, is_bimetri_entry
from .bimetri_config_flow import BimetriConfigFlowMixin, BimetriOptionsFlow
from .client import FlexApiClient
from .const import (
    CONF_CLIENT_ID,
    CONF_GNSS_SPEED_UNIT,
    CONF_PREFIX,
    CONF_STALE_MULTIPLIER,
    CONF_TRIP_END_DELAY,
    CONF_TRIP_MIN_DISTANCE,
    DEFAULT_STALE_MULTIPLIER,
    DOMAIN,
    KIND_BIMETRI,
    SPEED_KMH,
    SPEED_KNOTS,
)
from .helpers import update_entry_and_abort
from .protocol import messages as msgs
from .protocol.errors import (
    ErrorCode,
    FlexApiError,
    FlexApiResponseError,
    FlexApiValueError,
)
from .protocol.topics import Topics, normalize_prefix, split_topic, validate_client_id
from .protocol.trips import DEFAULT_END_DELAY, DEFAULT_MIN_DISTANCE

_LOGGER = logging.getLogger(__name__)

MANUAL = "manual"
#: Topic filters the user step listens on: no prefix, and a one-level prefix.
LISTEN_FILTERS = ("v1/+/+/info", "+/v1/+/+/info")


async def async_probe(hass: HomeAssistant, topics: Topics) -> dict[str, Any]:
    """Ask a device for its system info; ``{}`` if it does not answer."""
    client = FlexApiClient(hass, topics, timeout=const.FLOW_REQUEST_TIMEOUT)
    try:
        await client.async_start()
        result = await client.async_request(
            topics.refresh("sysinfo"), msgs.build_refresh(msgs.new_token())
        )
    except FlexApiResponseError as err:
        # auth_failed: the gateway refuses our requests until the user acts
        # (its entry would get no device details, and its actions would fail).
        level = logging.WARNING if err.code == ErrorCode.AUTH_FAILED else logging.DEBUG
        _LOGGER.log(level, "%s gave no system info: %s", topics.client_id, err)
        return {}
    except FlexApiError as err:
        _LOGGER.debug("%s gave no system info: %s", topics.client_id, err)
        return {}
    finally:
        client.async_stop()
    return result if isinstance(result, dict) else {}


async def async_listen(hass: HomeAssistant, seconds: float) -> dict[str, str]:
    """Client ids (with their prefix) heard on FlexAPI info topics."""
    heard: dict[str, str] = {}

    @callback
    def _message(msg: mqtt.ReceiveMessage) -> None:
        if (split := split_topic(msg.topic)) is not None:
            prefix, client_id, _ = split
            heard.setdefault(client_id, prefix)

    unsubscribes = [
        await mqtt.async_subscribe(hass, topic, _message, qos=0, encoding=None)
        for topic in LISTEN_FILTERS
    ]
    try:
        await asyncio.sleep(seconds)
    finally:
        for unsubscribe in unsubscribes:
            unsubscribe()
    return heard


def _title(client_id: str, sysinfo: dict[str, Any]) -> str:
    """``VG710 fleet-7``; just the client_id when it already names the model."""
    model = sysinfo.get("sysinfo.model_name")
    if not isinstance(model, str) or not model or model.lower() in client_id.lower():
        return client_id
    return f"{model} {client_id}"


class FlexApiConfigFlow(BimetriConfigFlowMixin, ConfigFlow, domain=DOMAIN):
    """Handle a FlexAPI config flow."""

    VERSION = 1

    def __init__(self) -> None:
        """Start empty."""
        self._client_id = ""
        self._prefix = ""
        self._sysinfo: dict[str, Any] = {}
        self._heard: dict[str, str] = {}
        self._listen_task: asyncio.Task[dict[str, str]] | None = None

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: FlexApiOrBimetriEntry,
    ) -> OptionsFlow:
        """Options: GNSS speed unit and staleness multiplier."""
        if is_bimetri_entry(config_entry):
            return BimetriOptionsFlow()
        return FlexApiOptionsFlow()

    # -- discovery ---------------------------------------------------------

    async def async_step_mqtt(
        self, discovery_info: MqttServiceInfo
    ) -> ConfigFlowResult:
        """A FlexAPI info topic was seen by MQTT discovery.

        An empty payload is a cleared retained message, not a gateway that
        speaks: abort without probing, and without following it anywhere.
        """
        if (
            not discovery_info.payload
            or (split := split_topic(discovery_info.topic)) is None
        ):
            return self.async_abort(reason="invalid_discovery_info")
        prefix, client_id, _ = split
        await self.async_set_unique_id(client_id)
        # A configured gateway heard on another prefix moved there: follow it.
        # The entry's update listener reloads it (HA 2026.12 refuses a reload
        # from here for an entry with an update listener).
        self._abort_if_unique_id_configured(
            updates={CONF_PREFIX: prefix}, reload_on_update=False
        )
        self._client_id, self._prefix = client_id, prefix
        self.context["title_placeholders"] = {"name": client_id}
        self._sysinfo = await async_probe(self.hass, Topics(client_id, prefix))
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a discovered device."""
        if user_input is not None:
            return self._create_entry()
        self._set_confirm_only()
        info = self._sysinfo
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "client_id": self._client_id,
                "model": str(info.get("sysinfo.model_name") or "-"),
                "serial": str(info.get("sysinfo.serial_number") or "-"),
                "firmware": str(info.get("sysinfo.firmware_version") or "-"),
            },
        )

    # -- user ----------------------------------------------------------------

    def _mqtt_abort(self) -> ConfigFlowResult | None:
        try:
            connected = mqtt.is_connected(self.hass)
        except KeyError:
            return self.async_abort(reason="mqtt_not_configured")
        return None if connected else self.async_abort(reason="mqtt_not_connected")

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose what to add: a FlexAPI gateway or a Bimetri application."""
        if (abort := self._mqtt_abort()) is not None:
            return abort
        return self.async_show_menu(
            step_id="user", menu_options=["gateway", KIND_BIMETRI]
        )

    async def async_step_gateway(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Listen for gateways on the broker for a while, showing progress.

        The window covers one default upload interval (10 s), so every
        uploading gateway is heard at least once.
        """
        if (abort := self._mqtt_abort()) is not None:
            return abort
        if self._listen_task is None:
            self._listen_task = self.hass.async_create_task(
                async_listen(self.hass, const.LISTEN_SECONDS),
                "flexapi listen for gateways",
                eager_start=False,
            )
        if not self._listen_task.done():
            return self.async_show_progress(
                step_id="gateway",
                progress_action="listen",
                progress_task=self._listen_task,
                description_placeholders={"seconds": f"{const.LISTEN_SECONDS:g}"},
            )
        return self.async_show_progress_done(next_step_id="pick")

    async def async_step_pick(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick a gateway heard on the broker, or enter one by hand."""
        if user_input is None:
            heard: dict[str, str] = {}
            task = self._listen_task
            if task is not None and not task.cancelled() and not task.exception():
                heard = dict(task.result())
            for flow in self._async_in_progress(include_uninitialized=True):
                if flow["context"].get("source") == SOURCE_MQTT and (
                    uid := flow["context"].get("unique_id")
                ):
                    heard.setdefault(uid, "")
            configured = self._async_current_ids(include_ignore=False)
            self._heard = {
                cid: prefix for cid, prefix in heard.items() if cid not in configured
            }
            if not self._heard:
                return await self.async_step_manual()
            options = [
                SelectOptionDict(value=cid, label=f"{prefix}{cid}" if prefix else cid)
                for cid, prefix in sorted(self._heard.items())
            ]
            options.append(SelectOptionDict(value=MANUAL, label=MANUAL))
            return self.async_show_form(
                step_id="pick",
                data_schema=vol.Schema(
                    {
                        vol.Required(CONF_CLIENT_ID): SelectSelector(
                            SelectSelectorConfig(
                                options=options,
                                mode=SelectSelectorMode.LIST,
                                translation_key="device",
                            )
                        )
                    }
                ),
            )
        choice = user_input[CONF_CLIENT_ID]
        if choice not in self._heard:  # MANUAL (a gateway named so wins)
            return await self.async_step_manual()
        return await self._async_configure(choice, self._heard[choice])

    async def async_step_manual(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter a client_id and an optional custom topic prefix."""
        errors: dict[str, str] = {}
        if user_input is not None:
            client_id = str(user_input[CONF_CLIENT_ID]).strip()
            try:
                validate_client_id(client_id)
            except FlexApiValueError:
                errors[CONF_CLIENT_ID] = "invalid_client_id"
            try:
                prefix = normalize_prefix(user_input.get(CONF_PREFIX, ""))
            except FlexApiValueError:
                errors[CONF_PREFIX] = "invalid_prefix"
            if not errors:
                return await self._async_configure(client_id, prefix)
        return self.async_show_form(
            step_id="manual",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_CLIENT_ID): str,
                        vol.Optional(CONF_PREFIX, default=""): str,
                    }
                ),
                user_input,
            ),
            errors=errors,
        )

    async def _async_configure(self, client_id: str, prefix: str) -> ConfigFlowResult:
        await self.async_set_unique_id(client_id, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        self._client_id, self._prefix = client_id, prefix
        self._sysinfo = await async_probe(self.hass, Topics(client_id, prefix))
        return self._create_entry()

    # -- reconfigure ------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the custom topic prefix of a configured device."""
        entry = self._get_reconfigure_entry()
        if is_bimetri_entry(entry):
            return await self.async_step_bimetri_reconfigure(user_input)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                prefix = normalize_prefix(user_input.get(CONF_PREFIX, ""))
            except FlexApiValueError:
                errors[CONF_PREFIX] = "invalid_prefix"
            else:
                return update_entry_and_abort(
                    self,
                    entry,
                    "reconfigure_successful",
                    data={**entry.data, CONF_PREFIX: prefix},
                )
        # A suggested value, not a default: the frontend leaves an emptied
        # optional field out, and a default would put the old prefix back.
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Optional(CONF_PREFIX): str}),
                user_input or {CONF_PREFIX: entry.data.get(CONF_PREFIX, "")},
            ),
            description_placeholders={"client_id": entry.data[CONF_CLIENT_ID]},
            errors=errors,
        )

    def _create_entry(self) -> ConfigFlowResult:
        return self.async_create_entry(
            title=_title(self._client_id, self._sysinfo),
            data={CONF_CLIENT_ID: self._client_id, CONF_PREFIX: self._prefix},
        )


class FlexApiOptionsFlow(OptionsFlow):
    """Per-device options."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_GNSS_SPEED_UNIT,
                        default=options.get(CONF_GNSS_SPEED_UNIT, SPEED_KMH),
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=[SPEED_KMH, SPEED_KNOTS],
                            translation_key=CONF_GNSS_SPEED_UNIT,
                        )
                    ),
                    vol.Required(
                        CONF_STALE_MULTIPLIER,
                        default=options.get(
                            CONF_STALE_MULTIPLIER, DEFAULT_STALE_MULTIPLIER
                        ),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=1.5, max=20, step=0.5, mode=NumberSelectorMode.BOX
                        )
                    ),
                    vol.Required(
                        CONF_TRIP_END_DELAY,
                        default=options.get(CONF_TRIP_END_DELAY, DEFAULT_END_DELAY),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=30,
                            max=3600,
                            step=10,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                    vol.Required(
                        CONF_TRIP_MIN_DISTANCE,
                        default=options.get(
                            CONF_TRIP_MIN_DISTANCE, DEFAULT_MIN_DISTANCE
                        ),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=0,
                            max=10000,
                            step=10,
                            unit_of_measurement="m",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                }
            ),
        )
