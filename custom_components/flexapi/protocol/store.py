"""The canonical parameter store and group freshness, free of Home Assistant.

Data reaches a device's store from every topic (summary, per-group info,
refresh responses, custom groups, events). Keys are resolved back to their
canonical spelling through the interest aliases of the topic they came on,
values are coerced by the catalog, and only real changes are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import Parameter, ValueType, canonical_key, group_of_key, lookup
from .topics import DEFAULT_INTERVALS

#: Data groups the summary group carries (§1, §3.1.1).
SUMMARY_GROUPS = frozenset({"gnss", "obd", "io", "motion"})

_SCALARS = (str, int, float, bool)
#: Wire types that already are the coerced value (JSON has no NaN/inf).
_NATIVE: dict[ValueType, type] = {
    ValueType.FLOAT: float,
    ValueType.INT: int,
    ValueType.BOOL: bool,
    ValueType.STR: str,
}


@dataclass(slots=True)
class Resolved:
    """How a wire key of one topic group maps to the store."""

    key: str
    param: Parameter | None
    group: str | None
    digit_zero: bool
    #: A digital output key, whose spelling we remember for io control.
    is_output: bool
    #: Coercion of raw values (``None``: keep scalars as they are).
    coerce: Callable[[Any], Any] | None = None
    #: Python type of values that need no coercion (the hot path).
    native: type | None = None


@dataclass(slots=True)
class IngestResult:
    """What one message changed."""

    changed: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    invalid: list[str] = field(default_factory=list)


class ParameterStore:
    """Canonical values of one device, with alias resolution."""

    def __init__(self) -> None:
        """Start empty."""
        #: canonical key -> coerced value; ``None`` means unknown/invalid.
        self.values: dict[str, Any] = {}
        #: Keys no alias map or catalog explains (e.g. foreign aliases).
        self.unmapped: dict[str, Any] = {}
        #: Canonical DO keys the device spells with a digit zero.
        self.digit_zero: dict[str, bool] = {}
        #: topic group -> alias -> canonical key.
        self._aliases: dict[str, dict[str, str]] = {}
        #: topic group -> wire key -> resolution.
        self._cache: dict[str | None, dict[str, Resolved]] = {}

    # -- aliases ------------------------------------------------------------

    def set_interest(self, group: str, interest: Mapping[str, str] | None) -> None:
        """Record a topic group's interest (``key: alias``); ``None`` clears it."""
        aliases = {
            alias: key
            for key, alias in (interest or {}).items()
            if alias and alias != key
        }
        if aliases:
            self._aliases[group] = aliases
        else:
            self._aliases.pop(group, None)
        self._cache.clear()

    def aliases(self, group: str) -> dict[str, str]:
        """A copy of a group's alias -> canonical key map."""
        return dict(self._aliases.get(group, {}))

    def resolve(self, group: str | None, wire_key: str) -> Resolved:
        """Resolve a key as sent on a topic group (cached)."""
        cache = self._cache.setdefault(group, {})
        if (hit := cache.get(wire_key)) is None:
            hit = cache[wire_key] = self._resolve(group, wire_key)
        return hit

    def _resolve(self, group: str | None, wire_key: str) -> Resolved:
        key = wire_key
        if group is not None and (aliases := self._aliases.get(group)):
            key = aliases.get(wire_key, wire_key)
        key, digit_zero = canonical_key(key)
        param = lookup(key)
        return Resolved(
            key=key,
            param=param,
            group=param.group if param is not None else group_of_key(key),
            digit_zero=digit_zero,
            is_output=key.startswith("io.DO"),
            coerce=param.coerce if param is not None else None,
            native=_NATIVE.get(param.vtype) if param is not None else None,
        )

    # -- data ---------------------------------------------------------------

    def ingest(self, group: str | None, data: Mapping[str, Any]) -> IngestResult:
        """Merge one message's data; report changed, new and invalid keys.

        This runs for every message of every gateway, so it stays lean: one
        cached resolution per wire key, no coercion call for values that
        already have their type, and one comparison.
        """
        result = IngestResult()
        changed = result.changed
        groups = result.groups
        values = self.values
        cache = self._cache.get(group)
        if cache is None:
            cache = self._cache[group] = {}
        last_group: str | None = None
        for wire_key, raw in data.items():
            res = cache.get(wire_key)
            if res is None:
                res = cache[wire_key] = self._resolve(group, wire_key)
            if (data_group := res.group) is None:
                if raw is None or isinstance(raw, _SCALARS):
                    self.unmapped[wire_key] = raw
                continue
            if data_group is not last_group:
                groups.add(data_group)
                last_group = data_group
            key = res.key
            if raw.__class__ is res.native:
                value = raw
            elif res.coerce is not None:
                value = res.coerce(raw)
                if value is None and raw is not None:
                    result.invalid.append(key)
            else:
                value = raw if isinstance(raw, _SCALARS) else None
            if res.is_output:
                self.digit_zero[key] = res.digit_zero
            old = values.get(key, _ABSENT)
            if old == value and old.__class__ is value.__class__:
                continue
            if old is _ABSENT:
                result.new.append(key)
            values[key] = value
            changed.append(key)
        return result

    def get(self, key: str) -> Any:
        """Current value of a canonical key, ``None`` if unknown."""
        return self.values.get(key)


_ABSENT: Any = object()


class Freshness:
    """When each data group was last heard, and how long it may stay silent.

    A group is stale once silent for longer than ``multiplier`` times the
    shortest upload interval among the topic groups that carry it. Groups
    with no timer upload (sysinfo, app) or whose uploads are all disabled
    never go stale.
    """

    def __init__(self, multiplier: float, started: float) -> None:
        """Start with the spec's default intervals."""
        self.multiplier = multiplier
        self.started = started
        self.intervals: dict[str, int] = dict(DEFAULT_INTERVALS)
        #: topic group -> data groups it carries (custom groups).
        self.carriers: dict[str, frozenset[str]] = {}
        self.last_seen: dict[str, float] = {}
        self._windows: dict[str, float | None] = {}

    def _carried(self, topic_group: str) -> frozenset[str]:
        if topic_group == "summary":
            return SUMMARY_GROUPS
        if (custom := self.carriers.get(topic_group)) is not None:
            return custom
        return frozenset({topic_group})

    def set_interval(self, topic_group: str, interval: int) -> None:
        """Record a topic group's upload interval (0 = disabled)."""
        self.intervals[topic_group] = interval
        self._windows.clear()

    def set_custom_group(
        self, name: str, interval: int | None, keys: Iterable[str] | None
    ) -> None:
        """Record a custom group (``keys`` None removes it)."""
        if keys is None:
            self.carriers.pop(name, None)
            self.intervals.pop(name, None)
        else:
            groups = {g for key in keys if (g := group_of_key(canonical_key(key)[0]))}
            self.carriers[name] = frozenset(groups)
            if interval is not None:
                self.intervals[name] = interval
        self._windows.clear()

    def window(self, group: str) -> float | None:
        """Seconds a data group may stay silent; ``None`` = never stale."""
        if group in self._windows:
            return self._windows[group]
        periods = [
            interval
            for topic_group, interval in self.intervals.items()
            if interval > 0 and group in self._carried(topic_group)
        ]
        window = min(periods) * self.multiplier if periods else None
        self._windows[group] = window
        return window

    def seen(self, groups: Iterable[str], now: float) -> None:
        """Mark data groups as heard now."""
        for group in groups:
            self.last_seen[group] = now

    def is_fresh(self, group: str, now: float) -> bool:
        """Whether a data group was heard within its window."""
        if (window := self.window(group)) is None:
            return True
        return now - self.last_seen.get(group, self.started) <= window

    def stale_groups(self, now: float) -> set[str]:
        """Every tracked group currently stale."""
        known = set(self.last_seen) | {
            g for topic_group in self.intervals for g in self._carried(topic_group)
        }
        return {group for group in known if not self.is_fresh(group, now)}
