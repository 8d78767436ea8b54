"""Config flow steps of Bimetri applications, their options and resources.

``config_flow.FlexApiConfigFlow`` inherits :class:`BimetriConfigFlowMixin`:
its user menu leads to the ``bimetri`` step, and it delegates the
reconfigure step of a Bimetri entry to ``bimetri_reconfigure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .bimetri import BimetriRuntime, app_id_of, is_bimetri_entry, resource_ids
from .const import (
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
    DEFAULT_NOTIFICATION_TIMEOUT,
    KIND_BIMETRI,
    SUBENTRY_RESOURCE,
)
from .helpers import update_entry_and_abort
from .protocol import bimetri as proto
from .protocol.errors import FlexApiValueError

#: Outputs offered when adding a resource, besides those heard.
OFFERED_OUTPUTS = range(9)
MAX_OUTPUTS = 64
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_ID = vol.All(vol.Coerce(int), vol.Range(min=0))


def _integer(value: Any) -> int:
    """A non-negative integer from a number box or a typed value; -1 if none."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        number = int(str(value).strip())
    except ValueError:
        return -1
    return number if number >= 0 else -1


def _validate_jwt(value: Any) -> tuple[str, str | None]:
    """The token, stripped, and an error key if it is unusable."""
    token = str(value or "").strip()
    if not token or any(char.isspace() for char in token):
        return token, "invalid_jwt"
    expiry = proto.jwt_expiry(token)
    if expiry is not None and expiry <= dt_util.utcnow():
        return token, "jwt_expired"
    return token, None


def _validate_app(user_input: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The appId of the form's app name and instance id, or field errors."""
    errors: dict[str, str] = {}
    name = str(user_input.get(CONF_APP_NAME, "")).strip()
    instance = str(user_input.get(CONF_INSTANCE_ID, "")).strip()
    try:
        proto.validate_part(name)
    except FlexApiValueError:
        errors[CONF_APP_NAME] = "invalid_app_name"
    try:
        proto.validate_part(instance, instance=True)
    except FlexApiValueError:
        errors[CONF_INSTANCE_ID] = "invalid_instance_id"
    return ("" if errors else f"{name}.{instance}"), errors


def _app_schema(*, with_jwt: bool) -> vol.Schema:
    fields: dict[Any, Any] = {
        vol.Required(CONF_APP_NAME): str,
        vol.Required(CONF_INSTANCE_ID): str,
        vol.Required(CONF_BRAND, default=proto.BRAND): str,
    }
    if with_jwt:
        fields[vol.Required(CONF_JWT)] = _PASSWORD
    fields[vol.Required(CONF_USER_ID)] = _ID
    fields[vol.Required(CONF_ORGANIZATION_ID)] = _ID
    return vol.Schema(fields)


def _entry_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    return {
        CONF_APP_NAME: str(user_input[CONF_APP_NAME]).strip(),
        CONF_INSTANCE_ID: str(user_input[CONF_INSTANCE_ID]).strip(),
        CONF_BRAND: str(user_input.get(CONF_BRAND) or proto.BRAND).strip()
        or proto.BRAND,
        CONF_USER_ID: int(user_input[CONF_USER_ID]),
        CONF_ORGANIZATION_ID: int(user_input[CONF_ORGANIZATION_ID]),
    }


def _title(data: Mapping[str, Any]) -> str:
    return f"{data[CONF_BRAND]} {app_id_of(data)}"


class BimetriConfigFlowMixin(ConfigFlow):
    """The Bimetri application steps of the integration's config flow."""

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """A Bimetri application has resources; a gateway has none."""
        if is_bimetri_entry(config_entry):
            return {SUBENTRY_RESOURCE: BimetriResourceFlow}
        return {}

    async def async_step_bimetri(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a Bimetri application: its appId, brand, token and user."""
        errors: dict[str, str] = {}
        if user_input is not None:
            app_id, errors = _validate_app(user_input)
            token, jwt_error = _validate_jwt(user_input.get(CONF_JWT))
            if jwt_error:
                errors[CONF_JWT] = jwt_error
            if not errors:
                await self.async_set_unique_id(app_id)
                self._abort_if_unique_id_configured()
                data = {
                    CONF_KIND: KIND_BIMETRI,
                    **_entry_data(user_input),
                    CONF_JWT: token,
                }
                return self.async_create_entry(title=_title(data), data=data)
        suggested = {k: v for k, v in (user_input or {}).items() if k != CONF_JWT}
        return self.async_show_form(
            step_id="bimetri",
            data_schema=self.add_suggested_values_to_schema(
                _app_schema(with_jwt=True), suggested
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The platform refused the token, or it expired."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter a new token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token, error = _validate_jwt(user_input.get(CONF_JWT))
            if error:
                errors[CONF_JWT] = error
            else:
                return update_entry_and_abort(
                    self,
                    entry,
                    "reauth_successful",
                    data={**entry.data, CONF_JWT: token},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_JWT): _PASSWORD}),
            description_placeholders={"app_id": app_id_of(entry.data)},
            errors=errors,
        )

    async def async_step_bimetri_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change everything but the token (reauthentication replaces that)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            app_id, errors = _validate_app(user_input)
            if (
                not errors
                and app_id != entry.unique_id
                and any(
                    other.unique_id == app_id
                    for other in self._async_current_entries(include_ignore=False)
                )
            ):
                errors["base"] = "app_already_configured"
            if not errors:
                data = _entry_data(user_input)
                return update_entry_and_abort(
                    self,
                    entry,
                    "reconfigure_successful",
                    unique_id=app_id,
                    title=_title(data),
                    data={**entry.data, **data},
                )
        return self.async_show_form(
            step_id="bimetri_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _app_schema(with_jwt=False), user_input or dict(entry.data)
            ),
            description_placeholders={"app_id": app_id_of(entry.data)},
            errors=errors,
        )


class BimetriOptionsFlow(OptionsFlow):
    """Options of a Bimetri application."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How long a queued command waits for its notification."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="bimetri",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_NOTIFICATION_TIMEOUT,
                        default=self.config_entry.options.get(
                            CONF_NOTIFICATION_TIMEOUT, DEFAULT_NOTIFICATION_TIMEOUT
                        ),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=5,
                            max=600,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                }
            ),
        )

    async def async_step_bimetri(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The form's step id (the gateway options use ``init``)."""
        return await self.async_step_init(user_input)


class BimetriResourceFlow(ConfigSubentryFlow):
    """Add a resource (a device with ExtDO outputs) to a Bimetri application."""

    def __init__(self) -> None:
        """Start empty."""
        self._resource_id = 0
        self._reconfiguring = False

    def _heard(self) -> dict[int, set[int]]:
        """Resources and outputs heard in notifications but not configured."""
        entry = self._get_entry()
        runtime = getattr(entry, "runtime_data", None)
        if entry.state is ConfigEntryState.LOADED and isinstance(
            runtime, BimetriRuntime
        ):
            return runtime.unconfigured
        return {}

    def _configured(self) -> set[int]:
        return resource_ids(self._get_entry())

    def _suggested(self, heard: list[int]) -> dict[str, Any]:
        """Heard outputs; when reconfiguring, the configured ones and name too."""
        if not self._reconfiguring:
            return {CONF_OUTPUTS: [str(o) for o in heard]}
        subentry = self._get_reconfigure_subentry()
        outputs = sorted(set(subentry.data[CONF_OUTPUTS]) | set(heard))
        return {CONF_OUTPUTS: [str(o) for o in outputs], "name": subentry.title}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The resourceId; resources heard but not configured are offered."""
        errors: dict[str, str] = {}
        configured = self._configured()
        if user_input is not None:
            resource_id = _integer(user_input[CONF_RESOURCE_ID])
            if resource_id < 0:
                errors[CONF_RESOURCE_ID] = "invalid_resource_id"
            elif resource_id in configured:
                return self.async_abort(reason="already_configured")
            else:
                self._resource_id = resource_id
                return await self.async_step_outputs()
        choices = sorted(set(self._heard()) - configured)
        selector: Any
        if choices:
            selector = SelectSelector(
                SelectSelectorConfig(
                    options=[str(choice) for choice in choices],
                    custom_value=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            )
        else:
            selector = NumberSelector(
                NumberSelectorConfig(min=0, step=1, mode=NumberSelectorMode.BOX)
            )
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Required(CONF_RESOURCE_ID): selector}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a resource's outputs or name."""
        subentry = self._get_reconfigure_subentry()
        self._resource_id = int(subentry.data[CONF_RESOURCE_ID])
        self._reconfiguring = True
        return await self.async_step_outputs()

    async def async_step_outputs(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The resource's output numbers and an optional name."""
        errors: dict[str, str] = {}
        heard = sorted(self._heard().get(self._resource_id, ()))
        if user_input is not None:
            outputs: set[int] = set()
            for value in user_input.get(CONF_OUTPUTS) or ():
                if (number := _integer(value)) < 0:
                    errors[CONF_OUTPUTS] = "invalid_outputs"
                outputs.add(number)
            if not errors and not 0 < len(outputs) <= MAX_OUTPUTS:
                errors[CONF_OUTPUTS] = "invalid_outputs"
            if not errors:
                name = str(user_input.get("name") or "").strip()
                if self._reconfiguring:
                    return self.async_update_and_abort(
                        self._get_entry(),
                        self._get_reconfigure_subentry(),
                        title=name or f"Resource {self._resource_id}",
                        data={
                            CONF_RESOURCE_ID: self._resource_id,
                            CONF_OUTPUTS: sorted(outputs),
                        },
                    )
                return self.async_create_entry(
                    title=name or f"Resource {self._resource_id}",
                    data={
                        CONF_RESOURCE_ID: self._resource_id,
                        CONF_OUTPUTS: sorted(outputs),
                    },
                    unique_id=str(self._resource_id),
                )
        options = sorted(set(heard) | set(OFFERED_OUTPUTS))
        return self.async_show_form(
            step_id="outputs",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_OUTPUTS): SelectSelector(
                            SelectSelectorConfig(
                                options=[str(o) for o in options],
                                multiple=True,
                                custom_value=True,
                                mode=SelectSelectorMode.DROPDOWN,
                            )
                        ),
                        vol.Optional("name"): str,
                    }
                ),
                user_input or self._suggested(heard),
            ),
            description_placeholders={"resource_id": str(self._resource_id)},
            errors=errors,
        )
