"""One simulated FlexAPI gateway: uploads, requests, rate limits and events.

``Device`` is pure logic: it never touches the network. Callers pass the time
(``now``, UNIX seconds) and publish the ``Message`` objects it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
import json
import logging
import random
import re
import time
from typing import Final

from .catalog import (
    APP,
    CELLULAR,
    GROUP,
    IO,
    OBD,
    ONEWIRE,
    REFRESH_GROUPS,
    REFRESH_OMITS_TS,
    SYSINFO,
    TS_KEYS,
    UPLOAD_GROUPS,
    USERDATA,
    canonical_key,
    source_group,
    spell_key,
)
from .protocol import (
    CELLULAR_DEFAULT_INTERVAL_S,
    CONTROL_MIN_GAP_S,
    DEFAULT_INTERVAL_S,
    MAX_CLIENT_ID_BYTES,
    MAX_CUSTOM_GROUPS,
    MAX_ITEMS_PER_GROUP,
    MAX_TOKEN_BYTES,
    RATE_SLACK_S,
    SETTINGS_MIN_GAP_S,
    ErrorCode,
    JsonObject,
    JsonScalar,
    JsonValue,
    Message,
    RequestError,
    error_response,
    has_forbidden_topic_chars,
    ok_response,
)
from .settings import (
    APP_CONTROL_KEYS,
    GroupSettings,
    invalid,
    is_io_control_key,
    parse_group_name,
    parse_interest,
    parse_interval,
    parse_switch,
    parse_userdata_items,
)
from .telemetry import DeviceState, Values

_LOGGER = logging.getLogger(__name__)

ACTIONS: Final = frozenset(("set", "refresh", "get", "control"))
EVENT_LEVEL_NOTICE: Final = 1
FORWARD_MEAN_INTERVAL_S: Final = 120.0
_IO_KEY: Final = re.compile(r"^io\.(DI|DO)(\d)(_pullup)?$")
_USERDATA_RESULTS: Final = {
    "insert": "inserted",
    "update": "updated",
    "delete": "deleted",
}


def normalize_prefix(prefix: str) -> str:
    """Make a custom topic prefix end with ``/`` (an empty prefix stays empty)."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def validate_client_id(client_id: str) -> str:
    """Check a client id can be used as one topic level (≤ 128 UTF-8 bytes)."""
    if not client_id or len(client_id.encode()) > MAX_CLIENT_ID_BYTES:
        raise ValueError("client id must be 1..128 UTF-8 bytes")
    if has_forbidden_topic_chars(client_id):
        raise ValueError("client id may not contain + # /")
    return client_id


class RateLimiter:
    """Refuse requests that come sooner than ``min_gap`` after the last accepted one."""

    def __init__(self, min_gap: float, slack: float = RATE_SLACK_S) -> None:
        """Create a lane allowing one request per ``min_gap`` seconds."""
        self.min_gap = min_gap
        self.slack = slack
        self.last: float | None = None

    def allow(self, now: float) -> bool:
        """Accept (and remember) a request at ``now``, or refuse it."""
        if self.last is not None and now - self.last < self.min_gap - self.slack:
            return False
        self.last = now
        return True


class Device:
    """A FlexAPI device: state, settings, uploads and request handling."""

    def __init__(
        self,
        client_id: str,
        *,
        prefix: str = "",
        digit_zero_do: bool = False,
        include_invalid: bool = False,
        seed: int | None = None,
        time_scale: float = 1.0,
        rate_limit: bool = True,
        obd: bool = True,
        ignition: bool = True,
        now: float | None = None,
    ) -> None:
        """Create a device; ``seed`` makes it deterministic, ``now`` sets its clock.

        ``obd=False`` is a gateway without an OBD adapter (the obd group has no
        data, the summary no obd keys); ``ignition=False`` one without ignition
        wiring (no ``io.igt_status``).
        """
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.client_id = validate_client_id(client_id)
        self.base_topic = f"{normalize_prefix(prefix)}v1/{client_id}/"
        self.digit_zero_do = digit_zero_do
        self.include_invalid = include_invalid
        self.time_scale = time_scale
        self.rate_limit = rate_limit
        start = time.time() if now is None else now
        rng = (
            random.Random(f"{seed}:{client_id}")
            if seed is not None
            else random.Random()
        )
        self.state = DeviceState.create(
            client_id, rng, start, obd=obd, ignition=ignition
        )
        self.groups: dict[str, GroupSettings] = {
            group: GroupSettings(
                CELLULAR_DEFAULT_INTERVAL_S if group == CELLULAR else DEFAULT_INTERVAL_S
            )
            for group in UPLOAD_GROUPS
        }
        self.custom_groups: dict[str, GroupSettings] = {}
        self.settings_lane = RateLimiter(SETTINGS_MIN_GAP_S)
        self.control_lane = RateLimiter(CONTROL_MIN_GAP_S)
        self._pending: list[Message] = []
        self._events_sent = 0
        self._di_raised_at: dict[int, int] = {}
        self._next_forward: float | None = None
        self._forward_seq = 0

    # -- topics -----------------------------------------------------------------

    def topic(self, suffix: str) -> str:
        """Full topic for ``suffix`` (e.g. ``gnss/info``)."""
        return self.base_topic + suffix

    def subscriptions(self) -> list[str]:
        """Topic filters covering every request this device answers."""
        return [
            self.topic(suffix)
            for suffix in (
                "+/set",
                "+/refresh",
                "group/get",
                "io/control",
                "app/control",
            )
        ]

    # -- time ---------------------------------------------------------------------

    def start(self, now: float, delay: float = 0.0) -> None:
        """(Re)connected: upload every enabled group, then on its interval.

        The first uploads go out ``delay`` seconds after ``now`` (at once by
        default): a fleet spreads them, as gateways that booted at different
        times do.
        """
        self.advance(now)
        first = now + max(delay, 0.0)
        for settings in self._all_settings().values():
            settings.next_due = first if settings.interval > 0 else None
        self._next_forward = first + self._forward_gap()

    def advance(self, now: float) -> None:
        """Run the physics up to ``now``; digital input changes queue events."""
        for change in self.state.advance(now):
            self._queue_di_event(change.index, change.value, change.at)

    def tick(self, now: float) -> list[Message]:
        """Return everything due by ``now``: events, timer uploads, forward data."""
        self.advance(now)
        messages, self._pending = self._pending, []
        for group, settings in self._all_settings().items():
            if (
                settings.interval <= 0
                or settings.next_due is None
                or settings.next_due > now
            ):
                continue
            period = settings.interval * self.time_scale
            settings.next_due += period
            if settings.next_due <= now:
                settings.next_due = now + period
            upload = self.build_upload(group, now)
            if upload is not None:
                messages.append(upload)
        if self._next_forward is not None and self._next_forward <= now:
            messages.append(self._forward_message())
            self._next_forward = now + self._forward_gap()
        return messages

    def build_upload(self, group: str, now: float) -> Message | None:
        """Build the ``{group}/info`` upload of a reserved or custom group.

        Returns None when there is nothing to send; raises KeyError for a group
        that does not exist.
        """
        if group not in self.groups and group not in self.custom_groups:
            raise KeyError(group)
        self.advance(now)
        payload = self._group_data(group, now, refresh=False)
        if not payload:
            return None
        return Message(self.topic(f"{group}/info"), payload)

    def set_di(self, number: int, value: int, now: float) -> None:
        """Drive a digital input (as the wiring would); queues a DI_CHG event."""
        self.advance(now)
        for change in self.state.io.set_di(number, value, now):
            self._queue_di_event(change.index, change.value, change.at)

    # -- requests -----------------------------------------------------------------

    def handle_request(self, suffix: str, payload: bytes, now: float) -> list[Message]:
        """Answer a request published on ``{base}{suffix}``; return the responses.

        ``suffix`` is the topic after ``{prefix}v1/{client_id}/``, for example
        ``gnss/set``. Topics that are not requests are ignored.
        """
        group, _, action = suffix.partition("/")
        if not group or action not in ACTIONS:
            _LOGGER.debug("%s: ignoring message on %s", self.client_id, suffix)
            return []
        reply_topic = self.topic(f"{suffix}/resp")
        body, token = _parse_body(payload)
        lane = self.control_lane if suffix == "io/control" else self.settings_lane
        response: JsonObject
        if self.rate_limit and not lane.allow(now):
            response = error_response(token, ErrorCode.DEVICE_BUSY)
        else:
            try:
                if body is None:
                    raise invalid("body is not a JSON object")
                if token is None or not token or len(token.encode()) > MAX_TOKEN_BYTES:
                    raise invalid("missing or invalid client_token")
                self.advance(now)
                response = self._dispatch(group, action, body, token, now)
            except RequestError as err:
                _LOGGER.debug("%s: %s refused: %s", self.client_id, suffix, err)
                response = error_response(token, err.code)
            except Exception:
                _LOGGER.exception("%s: failed to handle %s", self.client_id, suffix)
                response = error_response(token, ErrorCode.DEVICE_ERROR)
        _LOGGER.debug(
            "%s: %s %r -> %s", self.client_id, suffix, payload[:500], response
        )
        return [Message(reply_topic, response)]

    def _dispatch(
        self, group: str, action: str, body: JsonObject, token: str, now: float
    ) -> JsonObject:
        if action == "set":
            return ok_response(token, self._set(group, body, now))
        if action == "refresh":
            if group == OBD and not self.state.obd:
                raise RequestError(ErrorCode.DATA_EMPTY, "no OBD adapter")
            if group == ONEWIRE:
                return self._group_data(group, now, refresh=True)  # bare (§3.3.10)
            if group in REFRESH_GROUPS or group in self.custom_groups:
                return ok_response(token, self._group_data(group, now, refresh=True))
            raise RequestError(ErrorCode.NOT_FOUND, f"no group {group!r}")
        if action == "get":
            if group != GROUP:
                raise RequestError(ErrorCode.NOT_SUPPORT, f"{group}/get")
            return ok_response(token, self._get_custom_groups())
        if group == IO:
            return ok_response(token, self._io_control(body))
        if group == APP:
            return ok_response(token, self._app_control(body))
        raise RequestError(ErrorCode.NOT_SUPPORT, f"{group}/control")

    def _set(self, group: str, body: JsonObject, now: float) -> JsonValue:
        if group == GROUP:
            return self._set_custom_groups(body, now)
        if group == USERDATA:
            return self._set_userdata(body, now)
        settings = self.groups.get(group) or self.custom_groups.get(group)
        if settings is not None:
            return self._set_interval_interest(group, settings, body, now)
        if group in (SYSINFO, APP):
            raise RequestError(ErrorCode.NOT_SUPPORT, f"{group}/set")
        raise RequestError(ErrorCode.NOT_FOUND, f"no group {group!r}")

    def _set_interval_interest(
        self, group: str, settings: GroupSettings, body: JsonObject, now: float
    ) -> JsonObject:
        """The four cases of §3.2.1 for a reserved or existing custom group."""
        if "interval" not in body and "interest" not in body:
            raise invalid("neither interval nor interest given")
        reserved = group in self.groups
        interval = parse_interval(body["interval"]) if "interval" in body else None
        interest = (
            parse_interest(group, body["interest"], allow_empty=reserved)
            if "interest" in body
            else None
        )
        result: JsonObject = {}
        if interval is not None:
            self._apply_interval(settings, interval, now)
            result["interval"] = interval
        if interest is not None:
            settings.interest = interest or None  # {} restores the default interest
            result["interest"] = body["interest"]
        return result

    def _apply_interval(
        self, settings: GroupSettings, interval: int, now: float
    ) -> None:
        settings.interval = interval
        settings.next_due = now + interval * self.time_scale if interval > 0 else None

    def _set_userdata(self, body: JsonObject, now: float) -> JsonObject:
        """Insert/update/delete user data (§3.2.8) and/or set interval/interest."""
        operations = [op for op in _USERDATA_RESULTS if op in body]
        data = dict(self.state.userdata)
        result: JsonObject = {}
        for operation in operations:
            items = parse_userdata_items(
                body[operation], need_values=operation != "delete"
            )
            for key, value in items.items():
                if operation == "insert":
                    if key in data:
                        raise RequestError(ErrorCode.FIND_SAME_KEY, key)
                    data[key] = value
                elif key not in data:
                    raise RequestError(ErrorCode.NOT_FOUND, key)
                elif operation == "update":
                    data[key] = value
                else:
                    del data[key]
            result[_USERDATA_RESULTS[operation]] = body[operation]
        if len(data) > MAX_ITEMS_PER_GROUP:
            raise RequestError(ErrorCode.OVER_DATA_NUM, f"{len(data)} userdata items")
        settings = replace(self.groups[USERDATA])
        if "interval" in body or "interest" in body or not operations:
            result.update(self._set_interval_interest(USERDATA, settings, body, now))
        self.groups[USERDATA] = settings
        self.state.userdata = data
        return result

    def _set_custom_groups(self, body: JsonObject, now: float) -> JsonValue:
        """Create, update and remove custom groups (§4.1.1, §4.1.3), all or nothing."""
        entries = body.get("settings")
        if not isinstance(entries, list) or not entries:
            raise invalid("settings must be a non-empty list")
        groups = {
            name: replace(settings) for name, settings in self.custom_groups.items()
        }
        results: list[JsonValue] = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise invalid("each setting must be an object")
            name = parse_group_name(entry.get("group_name"))
            if "interest" in entry and entry["interest"] is None:
                if groups.pop(name, None) is None:
                    raise RequestError(ErrorCode.NOT_FOUND, f"no group {name!r}")
                results.append({"group_name": name, "interest": None})
                continue
            settings = groups.get(name)
            created = settings is None
            if settings is None:
                if "interest" not in entry:
                    raise invalid(f"new group {name!r} needs an interest")
                settings = groups[name] = GroupSettings(DEFAULT_INTERVAL_S)
            result = self._set_interval_interest(name, settings, entry, now)
            if created:  # a new group uploads at once, then on its interval
                settings.next_due = now if settings.interval > 0 else None
            results.append({"group_name": name, **result})
        if len(groups) > MAX_CUSTOM_GROUPS:
            raise RequestError(ErrorCode.OVER_GROUP_NUM, f"{len(groups)} groups")
        self.custom_groups = groups
        return results

    def _get_custom_groups(self) -> JsonValue:
        if not self.custom_groups:
            raise RequestError(ErrorCode.DATA_EMPTY, "no custom group")
        groups: list[JsonValue] = []
        for name, settings in self.custom_groups.items():
            interest: JsonObject = dict(settings.interest or {})
            groups.append(
                {
                    "group_name": name,
                    "interval": settings.interval,
                    "interest": interest,
                }
            )
        return groups

    def _io_control(self, body: JsonObject) -> JsonObject:
        items = {key: value for key, value in body.items() if key != "client_token"}
        if not items:
            raise invalid("nothing to control")
        switches: dict[str, int] = {}
        for key, value in items.items():
            if not is_io_control_key(key):
                raise invalid(f"{key!r} cannot be controlled")
            switches[canonical_key(key)] = parse_switch(value)
        board = self.state.io
        for key, level in switches.items():
            match = _IO_KEY.match(key)
            assert match is not None
            kind, number, pullup = match.groups()
            lines = {
                ("DO", False): board.do,
                ("DO", True): board.do_pullup,
                ("DI", True): board.di_pullup,
            }[(kind, pullup is not None)]
            lines[int(number) - 1] = level
        return dict(items)

    def _app_control(self, body: JsonObject) -> JsonObject:
        items = {key: value for key, value in body.items() if key != "client_token"}
        if not items:
            raise invalid("nothing to control")
        modes: dict[str, int] = {}
        for key, value in items.items():
            if key not in APP_CONTROL_KEYS:
                raise invalid(f"{key!r} cannot be controlled")
            modes[key] = parse_switch(value)
        app = self.state.app
        app.wifi_mode_2g = modes.get("app.wifi_mode_2g", app.wifi_mode_2g)
        app.wifi_mode_5g = modes.get("app.wifi_mode_5g", app.wifi_mode_5g)
        return dict(items)

    # -- payloads -------------------------------------------------------------------

    def _all_settings(self) -> dict[str, GroupSettings]:
        return {**self.groups, **self.custom_groups}

    def _group_data(self, group: str, now: float, *, refresh: bool) -> JsonObject:
        """Data of a group as uploaded (or refreshed), interest and aliases applied."""
        settings = self.groups.get(group) or self.custom_groups.get(group)
        interest = settings.interest if settings is not None else None
        if interest is None:
            values = self.state.values(group, now)
            if refresh and group in REFRESH_OMITS_TS:
                for key in TS_KEYS[group]:
                    values.pop(key, None)
            return self._render(
                (spell_key(key, self.digit_zero_do), value)
                for key, value in values.items()
            )
        cache: dict[str, Values] = {}
        chosen: list[tuple[str, JsonScalar]] = []
        for key, alias in interest.items():
            canonical = canonical_key(key)
            source = source_group(canonical)
            if source is None:
                continue
            if source not in cache:
                cache[source] = self.state.values(source, now)
            if canonical in cache[source]:
                chosen.append(
                    (
                        alias or spell_key(canonical, self.digit_zero_do),
                        cache[source][canonical],
                    )
                )
        return self._render(chosen)

    def _render(self, items: Iterable[tuple[str, JsonScalar]]) -> JsonObject:
        """Drop invalid (None) values unless "Include Invalid Data" is on."""
        return {
            key: value
            for key, value in items
            if value is not None or self.include_invalid
        }

    def _queue_di_event(self, number: int, level: int, at: float) -> None:
        """Queue a rev 1.0.9 DI_CHG event, alternating bare and wrapped forms."""
        key = f"io.DI{number}"
        ts = int(at)
        body: JsonObject
        if level:
            self._di_raised_at[number] = ts
            body = {
                "starts_at": ts,
                "status": "raise",
                "type": "DI_CHG",
                "level": EVENT_LEVEL_NOTICE,
                key: 1,
            }
        else:
            started = self._di_raised_at.pop(number, ts)
            body = {
                "starts_at": started,
                "ends_at": ts,
                "status": "clear",
                "type": "DI_CHG",
                "level": EVENT_LEVEL_NOTICE,
                key: 0,
            }
        topic = self.topic("event/notice")
        wrapped = self._events_sent % 2 == 1
        self._events_sent += 1
        self._pending.append(
            Message(topic, {"topic": topic, "payload": body} if wrapped else body)
        )

    def _forward_gap(self) -> float:
        return (
            self.state.rng.expovariate(1.0 / FORWARD_MEAN_INTERVAL_S) * self.time_scale
            + 1.0 * self.time_scale
        )

    def _forward_message(self) -> Message:
        """Data an on-device app forwards (rev 1.0.9 forward group)."""
        self._forward_seq += 1
        text = json.dumps(
            {
                "app": "demo_app",
                "seq": self._forward_seq,
                "temp": round(self.state.onewire.probes[0].celsius, 1),
            },
            separators=(",", ":"),
        )
        return Message(self.topic("forward/info"), {"forward.payload": text})


def _parse_body(payload: bytes) -> tuple[JsonObject | None, str | None]:
    """Decode a request body; return (object or None, string token or None)."""
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as err:
        _LOGGER.debug("undecodable request body %r: %s", payload[:200], err)
        return None, None
    if not isinstance(body, dict):
        return None, None
    token = body.get("client_token")
    return body, token if isinstance(token, str) else None
