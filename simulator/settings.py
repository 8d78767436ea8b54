"""Group settings (interval and interest) and the validation of request fields."""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

from .catalog import (
    RESERVED_NAMES,
    canonical_key,
    interest_key_allowed,
    is_userdata_key,
)
from .protocol import (
    INTERVAL_MAX_S,
    INTERVAL_MIN_S,
    MAX_GROUP_NAME_BYTES,
    MAX_ITEMS_PER_GROUP,
    ErrorCode,
    JsonScalar,
    JsonValue,
    RequestError,
    has_forbidden_topic_chars,
)

_DO_CONTROL: Final = re.compile(r"^io\.DO[1-4](_pullup)?$")
_DI_PULLUP_CONTROL: Final = re.compile(r"^io\.DI[1-6]_pullup$")
APP_CONTROL_KEYS: Final = frozenset(("app.wifi_mode_2g", "app.wifi_mode_5g"))


@dataclass(slots=True)
class GroupSettings:
    """Upload settings of one group.

    ``interest`` maps keys (as the user sent them) to aliases; None means the
    group's default interest (every key it carries). ``next_due`` is the time of
    the next timer upload, None while uploads are not scheduled.
    """

    interval: int
    interest: dict[str, str] | None = None
    next_due: float | None = None


def invalid(detail: str) -> RequestError:
    """Shorthand for an ``invalid_parameter`` error."""
    return RequestError(ErrorCode.INVALID_PARAMETER, detail)


def parse_interval(value: JsonValue) -> int:
    """Validate an upload interval: an int in 0..3600 seconds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"interval must be an integer, got {value!r}")
    if not INTERVAL_MIN_S <= value <= INTERVAL_MAX_S:
        raise RequestError(ErrorCode.INTERVAL_INVALID, f"interval {value} out of range")
    return value


def parse_interest(
    group: str, value: JsonValue, *, allow_empty: bool
) -> dict[str, str]:
    """Validate an interest map for ``group``; return a copy.

    Aliases must be strings; two entries may not report under the same name.
    """
    if not isinstance(value, dict):
        raise invalid("interest must be an object")
    if len(value) > MAX_ITEMS_PER_GROUP:
        raise RequestError(ErrorCode.OVER_DATA_NUM, f"{len(value)} interest items")
    if not value and not allow_empty:
        raise invalid("empty interest")
    interest: dict[str, str] = {}
    reported: set[str] = set()
    for key, alias in value.items():
        if not isinstance(alias, str):
            raise invalid(f"alias of {key!r} must be a string")
        if not interest_key_allowed(group, key):
            raise invalid(f"{key!r} is not a parameter of group {group!r}")
        name = alias or canonical_key(key)
        if name in reported:
            raise invalid(f"{name!r} reported twice")
        reported.add(name)
        interest[key] = alias
    return interest


def parse_group_name(value: JsonValue) -> str:
    """Validate a custom group name (1..128 bytes, no + # /, not reserved)."""
    if not isinstance(value, str):
        raise invalid("group_name must be a string")
    if not 1 <= len(value.encode()) <= MAX_GROUP_NAME_BYTES:
        raise invalid("group_name must be 1..128 bytes")
    if has_forbidden_topic_chars(value):
        raise invalid("group_name may not contain + # /")
    if value in RESERVED_NAMES:
        raise invalid(f"{value!r} is a reserved group")
    return value


def parse_userdata_items(
    value: JsonValue, *, need_values: bool
) -> dict[str, JsonScalar]:
    """Validate the object of a userdata insert/update/delete operation."""
    if not isinstance(value, dict) or not value:
        raise invalid("userdata operation needs a non-empty object")
    items: dict[str, JsonScalar] = {}
    for key, item in value.items():
        if not is_userdata_key(key):
            raise invalid(f"{key!r} is not a userdata key")
        if isinstance(item, dict | list) or (need_values and item is None):
            raise invalid(f"value of {key!r} must be a scalar")
        items[key] = item
    return items


def parse_switch(value: JsonValue) -> int:
    """Validate an on/off control value: the integer 0 or 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1):
        raise invalid(f"{value!r} is not 0 or 1")
    return value


def is_io_control_key(key: str) -> bool:
    """True for ``io.DO{n}``, ``io.DO{n}_pullup`` (either spelling), ``io.DI{n}_pullup``."""
    canonical = canonical_key(key)
    return bool(_DO_CONTROL.match(canonical) or _DI_PULLUP_CONTROL.match(canonical))
