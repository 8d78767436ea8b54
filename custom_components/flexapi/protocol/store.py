"""The canonical parameter store and group freshness, free of Home Assistant.

Data reaches a device's store from every topic (summary, per-group info,
refresh responses, custom groups, events). Keys are resolved back to their
canonical spelling through the interest aliases of the topic they came on,
values are coerced by the catalog, and only real changes are reported.

Anyone who can publish on the gateway's topics decides which keys arrive, so
the store is bounded: it keeps catalog keys (a fixed set), the keys an
interest names (at most ``MAX_GROUP_ITEMS`` per group), and at most
``MAX_USERDATA_KEYS`` userdata keys. Any other key, even one with a known
group prefix (``gnss.k1``), is not stored: it counts for its group's
freshness, and at most ``MAX_UNMAPPED`` of them are listed for diagnostics.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import (
    CATALOG,
    MAX_EXACT_INT,
    ValueType,
    canonical_key,
    group_of_key,
    lookup,
)
from .limits import MAX_GROUP_ITEMS
from .topics import DEFAULT_INTERVALS, remember

#: Data groups the summary group carries (§1, §3.1.1).
SUMMARY_GROUPS = frozenset({"gnss", "obd", "io", "motion"})

_SCALARS = (str, int, float, bool)
#: How many unexplained (not stored) keys diagnostics keep.
MAX_UNMAPPED = 256
#: How many ``userdata.*`` keys are stored: a group carries at most
#: MAX_GROUP_ITEMS (§2.3), so a real gateway never has more.
MAX_USERDATA_KEYS = MAX_GROUP_ITEMS
_USERDATA_PREFIX = "userdata."
#: Recent gaps between uploads from which an interval is learned.
OBSERVED_GAPS = 4
#: A topic group unheard for this many periods is taken as not uploading.
QUIET_PERIODS = 10
#: ``<group>.ts`` keys of each timed upload (§3.1), for replay detection.
TS_KEYS: dict[str, tuple[str, ...]] = {
    "summary": ("gnss.ts", "obd.ts", "io.ts", "motion.ts"),
    "gnss": ("gnss.ts",),
    "obd": ("obd.ts",),
    "motion": ("motion.ts",),
    "io": ("io.ts",),
    "cellular1": ("cellular1.ts", "modem1.ts"),
    "1-wire": ("1-wire.ts",),
}
#: A timestamp further back than this is a clock reset, not a replay.
REPLAY_HORIZON = 7 * 24 * 3600
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
    group: str | None
    digit_zero: bool
    #: A digital output key, whose spelling we remember for io control.
    is_output: bool
    #: Coercion of raw values (``None``: keep scalars as they are).
    coerce: Callable[[Any], Any] | None = None
    #: Python type of values that need no coercion (the hot path).
    native: type | None = None
    #: Whether the key may be stored: a catalog key, one an interest names,
    #: or a userdata key (those while there is room).
    stored: bool = True
    #: A ``userdata.*`` key outside the catalog (counted against its cap).
    userdata: bool = False


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
        #: Keys no alias map, interest or catalog explains (e.g. foreign
        #: aliases, invented keys): not stored, at most MAX_UNMAPPED listed.
        self.unmapped: dict[str, Any] = {}
        #: Canonical DO keys the device spells with a digit zero.
        self.digit_zero: dict[str, bool] = {}
        #: topic group -> newest ``<group>.ts`` seen in its timed uploads.
        self._latest_ts: dict[str, int] = {}
        #: topic group -> alias -> canonical key.
        self._aliases: dict[str, dict[str, str]] = {}
        #: topic group -> canonical keys its interest names (stored even when
        #: not in the catalog), and the union of them all.
        self._interests: dict[str, frozenset[str]] = {}
        self._interest_keys: frozenset[str] = frozenset()
        #: The userdata keys stored (at most MAX_USERDATA_KEYS).
        self._userdata: set[str] = set()
        #: topic group -> wire key -> resolution (at most MAX_TOPIC_GROUPS).
        self._cache: dict[str | None, dict[str, Resolved]] = {}

    # -- aliases ------------------------------------------------------------

    def set_interest(self, group: str, interest: Mapping[str, str] | None) -> None:
        """Record a topic group's interest (``key: alias``); ``None`` clears it.

        An interest holds at most MAX_GROUP_ITEMS keys (§2.3); a longer one
        (a foreign group/get answer) is not trusted beyond that.
        """
        items = list((interest or {}).items())[:MAX_GROUP_ITEMS]
        aliases = {alias: key for key, alias in items if alias and alias != key}
        if aliases:
            self._aliases[group] = aliases
        else:
            self._aliases.pop(group, None)
        keys = frozenset(
            canonical_key(key)[0] for key, _ in items if isinstance(key, str)
        )
        if keys:
            self._interests[group] = keys
        else:
            self._interests.pop(group, None)
        self._interest_keys = frozenset().union(*self._interests.values())
        self._cache.clear()

    def aliases(self, group: str) -> dict[str, str]:
        """A copy of a group's alias -> canonical key map."""
        return dict(self._aliases.get(group, {}))

    def _resolve(self, group: str | None, wire_key: str) -> Resolved:
        key = wire_key
        if group is not None and (aliases := self._aliases.get(group)):
            key = aliases.get(wire_key, wire_key)
        key, digit_zero = canonical_key(key)
        param = lookup(key)
        data_group = param.group if param is not None else group_of_key(key)
        interest = key in self._interest_keys
        return Resolved(
            key=key,
            group=data_group,
            digit_zero=digit_zero,
            is_output=key.startswith("io.DO"),
            coerce=param.coerce if param is not None else None,
            native=_NATIVE.get(param.vtype) if param is not None else None,
            stored=data_group is not None and (param is not None or interest),
            userdata=key.startswith(_USERDATA_PREFIX)
            and key not in CATALOG
            and not interest,
        )

    def _admit(self, res: Resolved) -> bool:
        """Whether a key not yet resolved on its topic group may be stored."""
        if not res.stored:
            return False
        if not res.userdata or res.key in self._userdata:
            return True
        if len(self._userdata) >= MAX_USERDATA_KEYS:
            return False
        self._userdata.add(res.key)
        return True

    def remove(self, keys: Iterable[str]) -> None:
        """Forget keys the device no longer has (deleted userdata keys)."""
        values = self.values
        for key in keys:
            values.pop(key, None)
            self._userdata.discard(key)
        # Resolutions cached as stored must be counted again on return.
        self._cache.clear()

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
            cache = {}
            remember(self._cache, group, cache)
        last_group: str | None = None
        for wire_key, raw in data.items():
            res = cache.get(wire_key)
            if res is None:
                res = self._resolve(group, wire_key)
                if self._admit(res):
                    cache[wire_key] = res
                else:
                    # Not stored, nor cached: a gateway app that invents keys
                    # (counters, timestamps) must not grow memory. The key
                    # still shows its group is heard.
                    if (data_group := res.group) is not None:
                        groups.add(data_group)
                    unmapped = self.unmapped
                    if (raw is None or isinstance(raw, _SCALARS)) and (
                        wire_key in unmapped or len(unmapped) < MAX_UNMAPPED
                    ):
                        unmapped[wire_key] = raw
                    continue
            data_group = res.group
            if data_group is not last_group and data_group is not None:
                groups.add(data_group)
                last_group = data_group
            key = res.key
            if raw.__class__ is res.native and (
                raw.__class__ is not int or -MAX_EXACT_INT <= raw <= MAX_EXACT_INT
            ):
                value = raw  # as coerce() has it: an int beyond 2**53 is none
            elif res.native is bool and raw.__class__ is int and 0 <= raw <= 1:
                value = raw == 1  # the usual 0/1 of a boolean, as coerce() has it
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

    def is_replay(self, group: str, data: Mapping[str, Any]) -> bool:
        """Whether a timed upload is older than the newest one of its group.

        With "Offline Data Store" the gateway flushes buffered uploads after
        a coverage gap; they must not overwrite what is current. A jump back
        of more than a week is taken as a clock reset and accepted.
        """
        keys = TS_KEYS.get(group)
        if keys is None:
            return False
        stamp = 0
        for key in keys:
            raw = data.get(key)
            # The usual int needs no coercion; anything else is coerced.
            if raw.__class__ is not int and (
                raw is None or (raw := _timestamp(raw)) is None
            ):
                continue
            stamp = max(stamp, raw)
        if not stamp:
            return False
        latest = self._latest_ts.get(group, 0)
        if 0 < latest - stamp <= REPLAY_HORIZON:
            return True
        if stamp != latest:
            self._latest_ts[group] = stamp
        return False

    def get(self, key: str) -> Any:
        """Current value of a canonical key, ``None`` if unknown."""
        return self.values.get(key)


_ABSENT: Any = object()
_timestamp = CATALOG["gnss.ts"].coerce


class Freshness:
    """When each data group was last heard, and how long it may stay silent.

    A data group is stale once silent for longer than ``multiplier`` times
    the upload period of the topic groups that deliver it (summary delivers
    gnss, obd, io and motion too). A topic group's period is its known
    interval (the spec's default, or what we set), or the interval learned
    from its uploads when that is longer (set on the gateway's web page).
    Only topic groups actually heard lately count, so a summary that never
    comes does not hold gnss to summary's 10 s. Groups without timer upload
    (sysinfo, app) or whose uploads are all disabled never go stale.
    """

    def __init__(self, multiplier: float, started: float) -> None:
        """Start with the spec's default intervals."""
        self.multiplier = multiplier
        self.started = started
        self.intervals: dict[str, int] = dict(DEFAULT_INTERVALS)
        #: topic group -> data groups it carries (custom groups).
        self.carriers: dict[str, frozenset[str]] = {}
        self.last_seen: dict[str, float] = {}
        #: topic group -> shortest recent gap between its uploads, when that
        #: is longer than the interval we know.
        self.observed: dict[str, float] = {}
        self._arrivals: dict[str, float] = {}
        #: topic group -> recent gaps longer than its known interval.
        self._gaps: dict[str, deque[float]] = {}
        #: Topic groups whose last gap matched their known interval.
        self._on_time: set[str] = set()

    def _carried(self, topic_group: str) -> frozenset[str]:
        if topic_group == "summary":
            return SUMMARY_GROUPS
        if (custom := self.carriers.get(topic_group)) is not None:
            return custom
        return frozenset({topic_group})

    def set_interval(self, topic_group: str, interval: int) -> None:
        """Record a topic group's upload interval (0 = disabled)."""
        self.intervals[topic_group] = interval
        self.observed.pop(topic_group, None)
        self._gaps.pop(topic_group, None)

    def set_custom_group(
        self, name: str, interval: int | None, keys: Iterable[str] | None
    ) -> None:
        """Record a custom group (``keys`` None removes it)."""
        if keys is None:
            self.carriers.pop(name, None)
            self.intervals.pop(name, None)
            self._forget_timing(name)
        else:
            groups = {g for key in keys if (g := group_of_key(canonical_key(key)[0]))}
            self.carriers[name] = frozenset(groups)
            if interval is not None:
                self.intervals[name] = interval

    def _forget_timing(self, topic_group: str) -> None:
        self._arrivals.pop(topic_group, None)
        self._gaps.pop(topic_group, None)
        self.observed.pop(topic_group, None)
        self._on_time.discard(topic_group)

    def observe(self, topic_group: str, now: float) -> None:
        """Note a timed upload on a topic group (once per message).

        A gap longer than the known interval is learned as the interval,
        unless the uploads before it were on time: then it is an outage, and
        only a second long gap in a row (the interval really changed) counts.
        The learned interval is the shortest of the recent long gaps.

        Only topic groups with a known interval (reserved groups, custom
        groups we know) are timed: no other upload counts for staleness, and
        uploads on ever new topics must not grow these tables.
        """
        if topic_group not in self.intervals:
            return
        last = self._arrivals.get(topic_group)
        self._arrivals[topic_group] = now
        if last is None or (gap := now - last) <= 0:
            return
        if gap <= self.intervals.get(topic_group, 0) * 1.1:
            # On time for the known interval: the usual case.
            if topic_group in self._gaps:
                del self._gaps[topic_group]
                self.observed.pop(topic_group, None)
            if topic_group not in self._on_time:
                self._on_time.add(topic_group)
            return
        gaps = self._gaps.get(topic_group)
        if gaps is None:
            gaps = self._gaps[topic_group] = deque(maxlen=OBSERVED_GAPS)
            if topic_group in self._on_time:
                self._on_time.discard(topic_group)
                gaps.append(gap)  # an outage, unless the next gap is long too
                return
        gaps.append(gap)
        self.observed[topic_group] = min(gaps)

    def period(self, topic_group: str) -> float:
        """Seconds between a topic group's uploads, as far as we know."""
        return max(
            self.intervals.get(topic_group, 0), self.observed.get(topic_group, 0)
        )

    def window(self, group: str, now: float | None = None) -> float | None:
        """Seconds a data group may stay silent; ``None`` = never stale.

        With ``now``, topic groups heard lately are preferred: one unheard
        for ``QUIET_PERIODS`` of its periods is taken as not uploading.
        """
        enabled = [
            topic_group
            for topic_group, interval in self.intervals.items()
            if interval > 0 and group in self._carried(topic_group)
        ]
        if not enabled:
            return None
        if now is not None:
            arrivals = self._arrivals
            heard = [
                topic_group
                for topic_group in enabled
                if topic_group in arrivals
                and now - arrivals[topic_group]
                <= QUIET_PERIODS * self.period(topic_group)
            ]
            enabled = heard or enabled
        return min(self.period(tg) for tg in enabled) * self.multiplier

    def seen(self, groups: Iterable[str], now: float) -> None:
        """Mark data groups as heard now."""
        for group in groups:
            self.last_seen[group] = now

    def is_fresh(self, group: str, now: float) -> bool:
        """Whether a data group was heard within its window."""
        if (window := self.window(group, now)) is None:
            return True
        return now - self.last_seen.get(group, self.started) <= window

    def stale_groups(self, now: float) -> set[str]:
        """Every tracked group currently stale (checked every few seconds)."""
        known = set(self.last_seen) | {
            g for topic_group in self.intervals for g in self._carried(topic_group)
        }
        return {group for group in known if not self.is_fresh(group, now)}
