"""Actions: group settings, custom groups, userdata and refresh of one gateway.

Every action targets one gateway by ``device_id``. Input is checked before
anything is sent (each failure a translated ServiceValidationError naming
the field); gateway errors become translated HomeAssistantErrors in
:mod:`.helpers`. Actions that change the gateway's configuration are for
administrators only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import Unauthorized, UnknownUser
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from .compat import device_config_entry_ids
from .const import DOMAIN
from .helpers import async_call, invalid, invalid_value
from .protocol import messages as msgs
from .protocol.catalog import canonical_key, lookup
from .protocol.errors import FlexApiValueError
from .protocol.limits import MAX_CUSTOM_GROUPS, MAX_INTERVAL, MIN_INTERVAL
from .protocol.topics import REFRESH_GROUPS, RESERVED_GROUPS, validate_group_name
from .runtime import FlexApiRuntime

ATTR_DEVICE_ID: Final = "device_id"
ATTR_GROUP: Final = "group"
ATTR_GROUPS: Final = "groups"
ATTR_GROUP_NAME: Final = "group_name"
ATTR_INTERVAL: Final = "interval"
ATTR_INTEREST: Final = "interest"
ATTR_NAMES: Final = "names"
ATTR_DATA: Final = "data"
ATTR_KEYS: Final = "keys"

SERVICE_SET_GROUP_SETTINGS: Final = "set_group_settings"
SERVICE_SET_CUSTOM_GROUPS: Final = "set_custom_groups"
SERVICE_GET_CUSTOM_GROUPS: Final = "get_custom_groups"
SERVICE_REMOVE_CUSTOM_GROUPS: Final = "remove_custom_groups"
SERVICE_REFRESH: Final = "refresh"
SERVICE_USERDATA_INSERT: Final = "userdata_insert"
SERVICE_USERDATA_UPDATE: Final = "userdata_update"
SERVICE_USERDATA_DELETE: Final = "userdata_delete"
SERVICE_USERDATA_SET_INTEREST: Final = "userdata_set_interest"
SERVICE_USERDATA_GET: Final = "userdata_get"

#: Reserved groups with settings (userdata has its own action).
SETTINGS_GROUPS: Final = tuple(g for g in RESERVED_GROUPS if g != "userdata")
#: Groups whose interest may name any key (§3.2.1, §4.1).
ANY_KEY_GROUPS: Final = frozenset({"summary"})

#: Checked (and refused with a translated error) by ``_interval``.
_ANY_NUMBER = vol.Any(int, float, str)
_INTEREST = vol.Schema({cv.string: vol.Any(None, cv.string)})
_DEVICE: dict[vol.Marker, Any] = {vol.Required(ATTR_DEVICE_ID): cv.string}

SET_GROUP_SETTINGS_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_GROUP): cv.string,
        vol.Optional(ATTR_INTERVAL): _ANY_NUMBER,
        vol.Optional(ATTR_INTEREST): _INTEREST,
    }
)
SET_CUSTOM_GROUPS_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_GROUPS): vol.All(
            cv.ensure_list,
            [
                vol.Schema(
                    {
                        vol.Required(ATTR_GROUP_NAME): cv.string,
                        vol.Optional(ATTR_INTERVAL): _ANY_NUMBER,
                        vol.Optional(ATTR_INTEREST): _INTEREST,
                    }
                )
            ],
        ),
    }
)
DEVICE_SCHEMA: Final = vol.Schema(_DEVICE)
REMOVE_CUSTOM_GROUPS_SCHEMA: Final = vol.Schema(
    {**_DEVICE, vol.Required(ATTR_NAMES): vol.All(cv.ensure_list, [cv.string])}
)
REFRESH_SCHEMA: Final = vol.Schema({**_DEVICE, vol.Required(ATTR_GROUP): cv.string})
USERDATA_VALUES_SCHEMA: Final = vol.Schema(
    {**_DEVICE, vol.Required(ATTR_DATA): vol.Schema({cv.string: cv.string})}
)
USERDATA_DELETE_SCHEMA: Final = vol.Schema(
    {**_DEVICE, vol.Required(ATTR_KEYS): vol.All(cv.ensure_list, [cv.string])}
)
USERDATA_SET_INTEREST_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Optional(ATTR_INTERVAL): _ANY_NUMBER,
        vol.Optional(ATTR_INTEREST): _INTEREST,
    }
)


# -- resolution and permissions -------------------------------------------------


def _runtime(call: ServiceCall) -> FlexApiRuntime:
    """The runtime of the loaded gateway entry behind ``device_id``."""
    hass = call.hass
    device_id: str = call.data[ATTR_DEVICE_ID]
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise invalid("device_not_found", ATTR_DEVICE_ID, device_id=device_id)
    ours = [
        entry
        for entry_id in device_config_entry_ids(device)
        if (entry := hass.config_entries.async_get_entry(entry_id)) is not None
        and entry.domain == DOMAIN
    ]
    if not ours:
        raise invalid("device_not_found", ATTR_DEVICE_ID, device_id=device_id)
    for entry in ours:
        if entry.state is ConfigEntryState.LOADED and isinstance(
            getattr(entry, "runtime_data", None), FlexApiRuntime
        ):
            runtime: FlexApiRuntime = entry.runtime_data
            return runtime
    name = device.name_by_user or device.name or device_id
    if all(entry.state is ConfigEntryState.LOADED for entry in ours):
        raise invalid("device_not_gateway", ATTR_DEVICE_ID, device=name)
    raise invalid("device_not_loaded", ATTR_DEVICE_ID, device=name)


async def _require_admin(call: ServiceCall) -> None:
    """Configuration changes are for administrators (automations may)."""
    if not (user_id := call.context.user_id):
        return
    user = await call.hass.auth.async_get_user(user_id)
    if user is None:
        raise UnknownUser(context=call.context, permission=POLICY_CONTROL)
    if not user.is_admin:
        raise Unauthorized(context=call.context, permission=POLICY_CONTROL)


# -- validation -------------------------------------------------------------------


def _whole_number(value: Any) -> int | None:
    """``value`` as an int if it is a whole number (10, 10.0, "10"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value)
    return None


def _interval(value: Any, field: str) -> int | None:
    """A whole number of seconds in range; 1.5 is refused, never truncated."""
    if value is None:
        return None
    number = _whole_number(value)
    if number is None or not MIN_INTERVAL <= number <= MAX_INTERVAL:
        raise invalid(
            "invalid_interval",
            field,
            min=str(MIN_INTERVAL),
            max=str(MAX_INTERVAL),
            value=str(value)[:64],
        )
    return number


def _interest(
    interest: Mapping[str, str | None] | None, group: str | None, field: str
) -> dict[str, str] | None:
    """A checked ``key: alias`` map; ``group`` None takes any known key."""
    if interest is None:
        return None
    try:
        checked = msgs.validate_interest(
            {key: alias or "" for key, alias in interest.items()}
        )
    except FlexApiValueError as err:
        raise invalid_value(err, field) from err
    for key in checked:
        param = lookup(canonical_key(key)[0])
        if param is None:
            raise invalid("unknown_interest_key", field, key=key[:64])
        if group is not None and param.group != group:
            raise invalid("interest_key_not_in_group", field, key=key, group=group)
    return checked


def _settings(
    interval: int | None, interest: dict[str, str] | None, field: str
) -> None:
    if interval is None and interest is None:
        raise invalid("nothing_to_set", field)


def _group_name(name: str, field: str) -> str:
    try:
        return validate_group_name(name)
    except FlexApiValueError as err:
        raise invalid("invalid_group_name", field, name=name[:64]) from err


def _userdata_keys(keys: list[str], field: str) -> list[str]:
    """Full userdata keys, each once."""
    try:
        return msgs.validate_userdata_keys(keys)
    except FlexApiValueError as err:
        raise invalid_value(err, field) from err


def _userdata_values(data: Mapping[str, str], field: str) -> dict[str, str]:
    """Values by full userdata key; a key given twice is refused."""
    try:
        return msgs.validate_userdata_values(data)
    except FlexApiValueError as err:
        raise invalid_value(err, field) from err


def _refresh_group(group: str) -> str:
    if group in REFRESH_GROUPS:
        return group
    return _group_name(group, ATTR_GROUP)


# -- handlers -----------------------------------------------------------------------


async def _set_group_settings(call: ServiceCall) -> ServiceResponse:
    await _require_admin(call)
    runtime = _runtime(call)
    group: str = call.data[ATTR_GROUP]
    if group not in SETTINGS_GROUPS:
        raise invalid("invalid_group", ATTR_GROUP, group=group[:64])
    interval = _interval(call.data.get(ATTR_INTERVAL), ATTR_INTERVAL)
    interest = _interest(
        call.data.get(ATTR_INTEREST),
        None if group in ANY_KEY_GROUPS else group,
        ATTR_INTEREST,
    )
    _settings(interval, interest, ATTR_INTERVAL)
    result = await async_call(runtime.async_set_group(group, interval, interest))
    return {"result": result}


async def _set_custom_groups(call: ServiceCall) -> ServiceResponse:
    await _require_admin(call)
    runtime = _runtime(call)
    entries: list[dict[str, Any]] = call.data[ATTR_GROUPS]
    if not entries:
        raise invalid("no_groups", ATTR_GROUPS)
    groups: list[msgs.CustomGroup] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        field = f"{ATTR_GROUPS}[{index}]"
        name = _group_name(entry[ATTR_GROUP_NAME], f"{field}.{ATTR_GROUP_NAME}")
        if name in names:
            raise invalid("duplicate_group", f"{field}.{ATTR_GROUP_NAME}", name=name)
        names.add(name)
        interval = _interval(entry.get(ATTR_INTERVAL), f"{field}.{ATTR_INTERVAL}")
        interest = _interest(entry.get(ATTR_INTEREST), None, f"{field}.{ATTR_INTEREST}")
        if interest is None and name not in runtime.custom_groups:
            raise invalid("new_group_needs_interest", f"{field}.{ATTR_INTEREST}")
        _settings(interval, interest, f"{field}.{ATTR_INTERVAL}")
        groups.append(msgs.CustomGroup(name, interval, interest))
    if (total := len(names | set(runtime.custom_groups))) > MAX_CUSTOM_GROUPS:
        raise invalid(
            "too_many_groups", ATTR_GROUPS, count=str(total), max=str(MAX_CUSTOM_GROUPS)
        )
    result = await async_call(runtime.async_set_custom_groups(groups))
    return {"result": result}


async def _get_custom_groups(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    groups = await async_call(runtime.async_get_custom_groups())
    return {
        "groups": [
            {
                ATTR_GROUP_NAME: group.name,
                ATTR_INTERVAL: group.interval,
                ATTR_INTEREST: dict(group.interest or {}),
            }
            for group in groups
        ]
    }


async def _remove_custom_groups(call: ServiceCall) -> ServiceResponse:
    await _require_admin(call)
    runtime = _runtime(call)
    names: list[str] = call.data[ATTR_NAMES]
    if not names:
        raise invalid("no_groups", ATTR_NAMES)
    unique = list(dict.fromkeys(_group_name(name, ATTR_NAMES) for name in names))
    if len(unique) > MAX_CUSTOM_GROUPS:
        raise invalid(
            "too_many_groups",
            ATTR_NAMES,
            count=str(len(unique)),
            max=str(MAX_CUSTOM_GROUPS),
        )
    result = await async_call(runtime.async_remove_custom_groups(unique))
    return {"result": result}


async def _refresh(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    group = _refresh_group(call.data[ATTR_GROUP])
    if group == "app":
        data = await async_call(runtime.control.async_read_app())
    else:
        data = await async_call(runtime.async_refresh(group))
    return {ATTR_GROUP: group, ATTR_DATA: data}


async def _userdata_write(call: ServiceCall, operation: str) -> ServiceResponse:
    await _require_admin(call)
    runtime = _runtime(call)
    values = _userdata_values(call.data[ATTR_DATA], ATTR_DATA)
    result = await async_call(runtime.async_userdata(operation, values))
    return {"result": result}


async def _userdata_insert(call: ServiceCall) -> ServiceResponse:
    return await _userdata_write(call, "insert")


async def _userdata_update(call: ServiceCall) -> ServiceResponse:
    return await _userdata_write(call, "update")


async def _userdata_delete(call: ServiceCall) -> ServiceResponse:
    await _require_admin(call)
    runtime = _runtime(call)
    keys = _userdata_keys(call.data[ATTR_KEYS], ATTR_KEYS)
    result = await async_call(runtime.async_userdata("delete", keys))
    return {"result": result}


async def _userdata_set_interest(call: ServiceCall) -> ServiceResponse:
    await _require_admin(call)
    runtime = _runtime(call)
    interval = _interval(call.data.get(ATTR_INTERVAL), ATTR_INTERVAL)
    interest = _interest(call.data.get(ATTR_INTEREST), "userdata", ATTR_INTEREST)
    if interest is not None:
        _userdata_keys(list(interest), ATTR_INTEREST)
    _settings(interval, interest, ATTR_INTERVAL)
    result = await async_call(runtime.async_set_group("userdata", interval, interest))
    return {"result": result}


async def _userdata_get(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    data = await async_call(runtime.async_refresh("userdata"))
    return {ATTR_DATA: data}


_SERVICES: Final[
    tuple[
        tuple[
            str,
            Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
            vol.Schema,
            SupportsResponse,
        ],
        ...,
    ]
] = (
    (
        SERVICE_SET_GROUP_SETTINGS,
        _set_group_settings,
        SET_GROUP_SETTINGS_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_SET_CUSTOM_GROUPS,
        _set_custom_groups,
        SET_CUSTOM_GROUPS_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_GET_CUSTOM_GROUPS,
        _get_custom_groups,
        DEVICE_SCHEMA,
        SupportsResponse.ONLY,
    ),
    (
        SERVICE_REMOVE_CUSTOM_GROUPS,
        _remove_custom_groups,
        REMOVE_CUSTOM_GROUPS_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    # A refresh is run for its effect on the entities as much as for its data.
    (SERVICE_REFRESH, _refresh, REFRESH_SCHEMA, SupportsResponse.OPTIONAL),
    (
        SERVICE_USERDATA_INSERT,
        _userdata_insert,
        USERDATA_VALUES_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_USERDATA_UPDATE,
        _userdata_update,
        USERDATA_VALUES_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_USERDATA_DELETE,
        _userdata_delete,
        USERDATA_DELETE_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_USERDATA_SET_INTEREST,
        _userdata_set_interest,
        USERDATA_SET_INTEREST_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (SERVICE_USERDATA_GET, _userdata_get, DEVICE_SCHEMA, SupportsResponse.ONLY),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, in ``async_setup``)."""
    for name, handler, schema, supports_response in _SERVICES:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
