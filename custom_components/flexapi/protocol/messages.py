"""FlexAPI request builders and response/event parsing (§3, §4, rev 1.0.9).

Builders return plain dicts ready to serialise; they validate what we send
(ranges, limits, names) and raise :class:`FlexApiValueError` with a clear
message. Parsers never raise on device input: they return ``None`` for what
cannot be understood.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import json
import math
import re
import secrets
from typing import Any

from .catalog import CATALOG, MAX_EXACT_INT, canonical_key
from .errors import FlexApiResponseError, FlexApiValueError
from .limits import (
    MAX_CUSTOM_GROUPS,
    MAX_GROUP_ITEMS,
    MAX_INTERVAL,
    MAX_TOKEN_BYTES,
    MIN_INTERVAL,
)
from .topics import unprintable, validate_group_name

_loads: Callable[[bytes | bytearray | str], Any]
try:  # orjson is much faster and ships with Home Assistant.
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - exercised only without orjson
    _loads = json.loads

TOKEN_KEY = "client_token"


# ---------------------------------------------------------------------------
# Payloads


def _parse_float(text: str) -> float | None:
    # 1e400 parses as inf: no reading, so invalid (None) like null.
    number = float(text)
    return number if math.isfinite(number) else None


def _parse_int(text: str) -> int | float | None:
    # Past 64 bits a JSON integer is no device reading: keep it as a float
    # so that coercion rejects it like any other out-of-range number.
    return int(text) if len(text) <= 19 else _parse_float(text)


def _loads_tolerant(payload: bytes | bytearray | str) -> Any:
    """``json.loads`` for what orjson refuses as a whole (e.g. ``1e400``)."""
    return json.loads(
        payload,
        parse_int=_parse_int,
        parse_float=_parse_float,
        parse_constant=lambda _name: None,
    )


def decode_object(payload: bytes | bytearray | str) -> dict[str, Any] | None:
    """Decode a JSON object; ``None`` for anything else (never raises).

    orjson rejects a whole document for one number it cannot represent; the
    standard parser then keeps every other key, and the odd number becomes
    ``null`` (invalid, so unknown).
    """
    try:
        value = _loads(payload)
    except (ValueError, TypeError):
        try:
            value = _loads_tolerant(payload)
        except (ValueError, TypeError, RecursionError):
            return None
    return value if isinstance(value, dict) else None


def encode(payload: Mapping[str, Any]) -> str:
    """Serialise a request payload compactly."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------
# Tokens


def new_token() -> str:
    """A fresh, unique client_token (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def validate_token(token: str) -> str:
    """Return ``token`` if it is a non-empty string of at most 256 bytes."""
    if not isinstance(token, str) or not token:
        raise FlexApiValueError("client_token must be a non-empty string")
    if len(token.encode()) > MAX_TOKEN_BYTES:
        raise FlexApiValueError(f"client_token must be at most {MAX_TOKEN_BYTES} bytes")
    return token


def _with_token(token: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return {TOKEN_KEY: validate_token(token), **body}


# ---------------------------------------------------------------------------
# Group settings (§3.2.1: four cases, reserved and custom groups alike)


def validate_interval(interval: Any) -> int:
    """Return a valid upload interval (0..3600 s, 0 disables upload)."""
    if type(interval) is not int or not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise FlexApiValueError(
            f"interval must be an integer from {MIN_INTERVAL} to {MAX_INTERVAL} s"
        )
    return interval


def _alias_ok(alias: str) -> bool:
    return (
        not any(char in alias for char in "+#/")
        and alias == alias.strip()
        and not unprintable(alias)
    )


def validate_interest(interest: Mapping[str, str]) -> dict[str, str]:
    """Return a valid ``key: alias`` interest map (alias "" = no alias).

    An alias may not contain an MQTT wildcard or ``/``, nor start or end
    with a blank, and may not repeat another alias or another key's name.
    """
    if not isinstance(interest, Mapping) or not interest:
        raise FlexApiValueError(
            "interest must be a non-empty mapping of key: alias", "empty_interest"
        )
    if len(interest) > MAX_GROUP_ITEMS:
        raise FlexApiValueError(
            f"interest may hold at most {MAX_GROUP_ITEMS} items",
            "too_many_items",
            count=str(len(interest)),
            max=str(MAX_GROUP_ITEMS),
        )
    aliases: set[str] = set()
    result: dict[str, str] = {}
    for key, alias in interest.items():
        if not isinstance(key, str) or not key or "." not in key:
            raise FlexApiValueError(
                f"interest key {key!r} is not a parameter key",
                "unknown_interest_key",
                key=str(key)[:64],
            )
        if not isinstance(alias, str):
            raise FlexApiValueError(
                f"alias of {key} must be a string", "invalid_alias", alias=str(alias)
            )
        if alias:
            if alias in aliases or (alias != key and alias in interest):
                raise FlexApiValueError(
                    f"alias {alias!r} is used twice", "duplicate_alias", alias=alias
                )
            if not _alias_ok(alias):
                raise FlexApiValueError(
                    f"alias {alias!r} may not hold +, # or / or blanks at its ends",
                    "invalid_alias",
                    alias=alias,
                )
            aliases.add(alias)
        result[key] = alias
    return result


def settings_body(
    interval: int | None = None, interest: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The body of a settings request: interval, interest, or both."""
    body: dict[str, Any] = {}
    if interval is not None:
        body["interval"] = validate_interval(interval)
    if interest is not None:
        body["interest"] = validate_interest(interest)
    if not body:
        raise FlexApiValueError("give an interval, an interest, or both")
    return body


def build_group_settings(
    token: str,
    interval: int | None = None,
    interest: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``{group}/set``: disable (interval 0), interval, interest, or both."""
    return _with_token(token, settings_body(interval, interest))


def build_refresh(token: str) -> dict[str, Any]:
    """``{group}/refresh`` and ``group/get``: only the token."""
    return _with_token(token, {})


build_group_get = build_refresh


@dataclass(frozen=True, slots=True)
class CustomGroup:
    """Settings of one custom group (§4.1)."""

    name: str
    interval: int | None = None
    interest: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The group's entry in a ``group/set`` request."""
        return {
            "group_name": validate_group_name(self.name),
            **settings_body(self.interval, self.interest),
        }


def _check_group_count(count: int) -> None:
    if not 1 <= count <= MAX_CUSTOM_GROUPS:
        raise FlexApiValueError(
            f"a request may name 1 to {MAX_CUSTOM_GROUPS} custom groups"
        )


def build_custom_group_set(token: str, groups: Iterable[CustomGroup]) -> dict[str, Any]:
    """``group/set`` creating or updating one or more custom groups."""
    settings = [group.to_json() for group in groups]
    _check_group_count(len(settings))
    names = [entry["group_name"] for entry in settings]
    if len(set(names)) != len(names):
        raise FlexApiValueError("each custom group may appear once per request")
    return _with_token(token, {"settings": settings})


def build_custom_group_remove(token: str, names: Iterable[str]) -> dict[str, Any]:
    """``group/set`` removing one or more custom groups (interest null)."""
    if isinstance(names, str):
        raise FlexApiValueError("give a list of group names, not one string")
    unique = list(dict.fromkeys(validate_group_name(name) for name in names))
    _check_group_count(len(unique))
    return _with_token(
        token,
        {"settings": [{"group_name": name, "interest": None} for name in unique]},
    )


# ---------------------------------------------------------------------------
# User data (§3.2.8)

USERDATA_PREFIX = "userdata."


#: A userdata key name: no blank, no dot, no MQTT wildcard or level separator.
_USERDATA_NAME = re.compile(r"^[^\s.+#/\"]+$")


def userdata_key(key: Any) -> str:
    """The full key (``userdata.name``) of a userdata key, prefix optional.

    The name may hold no blank, dot, quote, ``+``, ``#`` or ``/``.
    """
    if (
        not isinstance(key, str)
        or not _USERDATA_NAME.match(name := key.removeprefix(USERDATA_PREFIX))
        or unprintable(name)
    ):
        raise FlexApiValueError(
            f"{str(key)[:64]!r} is not a userdata key name",
            "invalid_userdata_key",
            key=str(key)[:64],
        )
    return USERDATA_PREFIX + name


def validate_userdata_keys(keys: Iterable[Any]) -> list[str]:
    """Full userdata keys, each once (``a`` and ``userdata.a`` are one key)."""
    if isinstance(keys, str):
        raise FlexApiValueError("give a list of userdata keys, not one string")
    full = list(dict.fromkeys(userdata_key(key) for key in keys))
    _check_userdata_count(len(full))
    return full


def _check_userdata_count(count: int) -> None:
    if not count:
        raise FlexApiValueError("give at least one userdata key", "no_userdata_keys")
    if count > MAX_GROUP_ITEMS:
        raise FlexApiValueError(
            f"at most {MAX_GROUP_ITEMS} userdata keys",
            "too_many_items",
            count=str(count),
            max=str(MAX_GROUP_ITEMS),
        )


def validate_userdata_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Userdata ``key: value`` strings with full keys.

    A key given twice (``a`` and ``userdata.a``) is refused: which value
    was meant cannot be known.
    """
    if not isinstance(data, Mapping):
        raise FlexApiValueError("give a mapping of userdata key: value")
    _check_userdata_count(len(data))
    out: dict[str, str] = {}
    for key, value in data.items():
        full = userdata_key(key)
        if full in out:
            raise FlexApiValueError(
                f"{full} is given twice", "duplicate_userdata_key", key=full[:64]
            )
        if not isinstance(value, str):
            raise FlexApiValueError(f"value of {full} must be a string")
        out[full] = value
    return out


def build_userdata_insert(token: str, data: Mapping[str, str]) -> dict[str, Any]:
    """Insert new userdata keys (they must not exist yet)."""
    return _with_token(token, {"insert": validate_userdata_values(data)})


def build_userdata_update(token: str, data: Mapping[str, str]) -> dict[str, Any]:
    """Update existing userdata keys."""
    return _with_token(token, {"update": validate_userdata_values(data)})


def build_userdata_delete(token: str, keys: Iterable[str]) -> dict[str, Any]:
    """Delete userdata keys. The spec's example maps each key to its name."""
    body = {
        key: key.removeprefix(USERDATA_PREFIX) for key in validate_userdata_keys(keys)
    }
    return _with_token(token, {"delete": body})


# ---------------------------------------------------------------------------
# Control (§3.4)

_IO_CONTROL_KEYS = frozenset(
    [f"io.DO{n}" for n in range(1, 5)]
    + [f"io.DO{n}_pullup" for n in range(1, 5)]
    + [f"io.DI{n}_pullup" for n in range(1, 7)]
)


def build_io_control(
    token: str,
    values: Mapping[str, bool | int],
    digit_zero: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """``io/control``: set DO states and DO/DI pull-ups.

    ``values`` uses canonical keys (``io.DO1``); ``digit_zero`` says which
    keys the device itself spells ``io.D01``, so we answer in its spelling.
    """
    if not values:
        raise FlexApiValueError("give at least one output to set")
    body: dict[str, int] = {}
    for key, value in values.items():
        canon, _ = canonical_key(key)
        if canon not in _IO_CONTROL_KEYS:
            raise FlexApiValueError(f"{key} is not a controllable IO key")
        if value not in (0, 1) or type(value) not in (bool, int):
            raise FlexApiValueError(f"{key} must be 0 or 1")
        wire = canon
        if digit_zero and digit_zero.get(canon) and canon.startswith("io.DO"):
            wire = "io.D0" + canon.removeprefix("io.DO")
        body[wire] = int(value)
    return _with_token(token, body)


WIFI_MODE_KEYS = ("app.wifi_mode_2g", "app.wifi_mode_5g")


def build_app_control(token: str, values: Mapping[str, int]) -> dict[str, Any]:
    """``app/control``: Wi-Fi mode 0 (AP) or 1 (STA); -1 is status only."""
    if not values:
        raise FlexApiValueError("give at least one Wi-Fi mode to set")
    body: dict[str, int] = {}
    for key, value in values.items():
        if key not in WIFI_MODE_KEYS:
            raise FlexApiValueError(f"{key} is not an APP control key")
        option = CATALOG[key].option(value) if type(value) is int else None
        if option not in ("ap", "sta"):
            raise FlexApiValueError(f"{key} must be 0 (AP) or 1 (STA)")
        body[key] = value
    return _with_token(token, body)


# ---------------------------------------------------------------------------
# Responses


@dataclass(frozen=True, slots=True)
class Response:
    """A parsed response. ``token`` is ``None`` for bare responses."""

    token: str | None
    result: Any = None
    error: str | None = None
    error_desc: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.error is None

    def raise_for_error(self) -> Any:
        """Return the result, or raise :class:`FlexApiResponseError`."""
        if self.error is not None:
            raise FlexApiResponseError(self.error, self.error_desc)
        return self.result


def parse_response(obj: Mapping[str, Any]) -> Response | None:
    """Parse a response object.

    Success carries ``result``; failure ``error`` and ``error_desc``. The
    §3.3.10 success example is a bare data object with neither token nor
    wrapper: it becomes a token-less success whose result is the object.
    """
    token = obj.get(TOKEN_KEY)
    if token is not None and not isinstance(token, str):
        return None
    if "error" in obj:
        error = obj["error"]
        desc = obj.get("error_desc")
        return Response(
            token,
            error=str(error) if error is not None else "device_error",
            error_desc=desc if isinstance(desc, str) else None,
        )
    if "result" in obj:
        return Response(token, result=obj["result"])
    body = {key: value for key, value in obj.items() if key != TOKEN_KEY}
    return Response(token, result=body)


# ---------------------------------------------------------------------------
# Result echoes (§2.1.1: "API callers should check the content of the result")


def _number(value: Any) -> float | None:
    """A JSON number, bool or numeric string as a float; ``None`` otherwise."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _canonical_items(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    return {
        canonical_key(key)[0] if isinstance(key, str) else key: value
        for key, value in mapping.items()
    }


def _same(sent: Any, echoed: Any) -> bool:
    """Whether an echoed value confirms a sent one (strings for typed values too)."""
    if isinstance(sent, Mapping):
        if not isinstance(echoed, Mapping):
            return False
        sent_items, echoed_items = _canonical_items(sent), _canonical_items(echoed)
        return sent_items.keys() == echoed_items.keys() and all(
            _same(value, echoed_items[key]) for key, value in sent_items.items()
        )
    if isinstance(sent, (bool, int, float)):
        if isinstance(sent, int) and type(echoed) is int:
            return sent == echoed  # exact, past float precision too
        return (number := _number(echoed)) is not None and number == float(sent)
    if sent is None:
        return echoed is None
    return bool(sent == echoed)


def unapplied_keys(requested: Mapping[str, Any], result: Any) -> list[str]:
    """The keys of a request that its ``result`` echo does not confirm.

    ``requested`` is the request body (``client_token`` is ignored) and
    ``result`` the response's ``result``. A key is applied when the echo
    holds it with the same value: keys compare in canonical spelling
    (``io.D01`` confirms ``io.DO1``), numbers by value (``1``, ``1.0``,
    ``true`` and ``"1"`` confirm ``1``), mappings key by key, ``None`` only
    by ``null``. A result that is no JSON object confirms nothing. Keys come
    back in the request's order, in canonical spelling.
    """
    echo = _canonical_items(result) if isinstance(result, Mapping) else {}
    missing: list[str] = []
    for key, value in requested.items():
        if key == TOKEN_KEY:
            continue
        canon = canonical_key(key)[0]
        if canon not in echo or not _same(value, echo[canon]):
            missing.append(canon)
    return missing


def parse_interest(value: Any) -> dict[str, str] | None:
    """A ``key: alias`` interest from device input; ``None`` if it is none.

    Entries that are not string to string are left out.
    """
    if not isinstance(value, Mapping):
        return None
    return {
        key: alias
        for key, alias in value.items()
        if isinstance(key, str) and isinstance(alias, str)
    }


def parse_interval(value: Any) -> int | None:
    """An upload interval from device input (0..3600 s); ``None`` if invalid."""
    number = _number(value) if not isinstance(value, bool) else None
    if number is None or not number.is_integer():
        return None
    interval = int(number)
    return interval if MIN_INTERVAL <= interval <= MAX_INTERVAL else None


def confirmed_settings(requested: Mapping[str, Any], result: Any) -> dict[str, Any]:
    """What a settings echo (§3.2.1) says about the settings we sent.

    Of the ``interval`` and ``interest`` keys of ``requested``, those the
    echo reports with a valid value, with the echoed value: what the device
    now holds. A key we did not send is never taken from the echo (the
    result echoes only what was sent).
    """
    echo = result if isinstance(result, Mapping) else {}
    confirmed: dict[str, Any] = {}
    if (
        "interval" in requested
        and (interval := parse_interval(echo.get("interval"))) is not None
    ):
        confirmed["interval"] = interval
    if (
        "interest" in requested
        and (interest := parse_interest(echo.get("interest"))) is not None
    ):
        confirmed["interest"] = interest
    return confirmed


def group_set_echoes(result: Any) -> dict[str, Mapping[str, Any]]:
    """A ``group/set`` result list by group name (entries without one dropped)."""
    if not isinstance(result, list):
        return {}
    return {
        entry["group_name"]: entry
        for entry in result
        if isinstance(entry, Mapping) and isinstance(entry.get("group_name"), str)
    }


# ---------------------------------------------------------------------------
# Events (rev 1.0.9 event service)

EVENT_LEVELS: dict[int, str] = {
    5: "emergency",
    4: "alert",
    3: "error",
    2: "warning",
    1: "notice",
}
_EVENT_FIELDS = frozenset({"starts_at", "ends_at", "status", "type", "level"})
_EVENT_DATA_PREFIXES = ("gnss.", "motion.", "obd.", "io.")


@dataclass(frozen=True, slots=True)
class FlexEvent:
    """One ``event/notice`` message."""

    type: str
    status: str
    level: int | None
    starts_at: int | None
    ends_at: int | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def level_name(self) -> str | None:
        """Emergency, alert, error, warning or notice."""
        return EVENT_LEVELS.get(self.level) if self.level is not None else None


def _int_or_none(value: Any) -> int | None:
    if type(value) is int:
        return value if abs(value) <= MAX_EXACT_INT else None
    if isinstance(value, (float, str)):
        try:
            number = float(value)
        except ValueError:
            return None
        if math.isfinite(number) and abs(number) <= MAX_EXACT_INT:
            return int(number)
    return None


def parse_event(obj: Mapping[str, Any]) -> FlexEvent | None:
    """Parse an event, bare or wrapped as ``{"topic": ..., "payload": {...}}``."""
    payload = obj.get("payload")
    if isinstance(payload, dict) and "type" not in obj:
        obj = payload
    event_type = obj.get("type")
    status = obj.get("status")
    if not isinstance(event_type, str) or not event_type:
        return None
    if status not in ("raise", "clear"):
        return None
    data = {
        key: value
        for key, value in obj.items()
        if key not in _EVENT_FIELDS and key.startswith(_EVENT_DATA_PREFIXES)
    }
    return FlexEvent(
        type=event_type,
        status=status,
        level=_int_or_none(obj.get("level")),
        starts_at=_int_or_none(obj.get("starts_at")),
        ends_at=_int_or_none(obj.get("ends_at")),
        data=data,
    )


def parse_custom_groups(result: Any) -> list[CustomGroup] | None:
    """Parse a ``group/get`` or ``group/set`` result list."""
    if not isinstance(result, list):
        return None
    groups: list[CustomGroup] = []
    for entry in result:
        if not isinstance(entry, dict) or not isinstance(
            name := entry.get("group_name"), str
        ):
            continue
        groups.append(
            CustomGroup(
                name=name,
                interval=parse_interval(entry.get("interval")),
                interest=parse_interest(entry.get("interest")),
            )
        )
    return groups
