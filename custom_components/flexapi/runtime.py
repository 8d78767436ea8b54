"""The device runtime: one per config entry, kept in ``entry.runtime_data``.

It owns the MQTT client (subscriptions, request matching, spacing), the
canonical parameter store, group freshness and the listeners that entities
register. Entities never touch MQTT.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Set
import copy
from datetime import timedelta
from functools import partial
import logging
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import UNDEFINED, UndefinedType
from homeassistant.util import dt as dt_util

from .client import FlexApiClient
from .const import (
    CONF_CLIENT_ID,
    CONF_PREFIX,
    CONF_STALE_MULTIPLIER,
    DEFAULT_STALE_MULTIPLIER,
    DOMAIN,
    HEARD_SAVE_DELAY,
    MANUFACTURERS,
    SILENT_CHECK_SECONDS,
    SILENT_ISSUE_SECONDS,
    STALE_CHECK_SECONDS,
)
from .control import DeviceControl, validate_app_values, validate_io_values
from .protocol import messages as msgs
from .protocol.errors import (
    RETRYABLE_CODES,
    ErrorCode,
    FlexApiError,
    FlexApiNotAppliedError,
    FlexApiNotConnectedError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiTimeoutError,
)
from .protocol.store import Freshness, IngestResult, ParameterStore
from .protocol.topics import Topics, remember
from .protocol.trips import TRIP_GROUPS
from .trips import TripRecorder

_LOGGER = logging.getLogger(__name__)

type FlexApiConfigEntry = ConfigEntry[FlexApiRuntime]
type Listener = Callable[[], None]


def silent_issue_id(entry: ConfigEntry) -> str:
    """The repair issue of a gateway silent for more than a day."""
    return f"gateway_silent_{entry.entry_id}"


STORAGE_VERSION = 1
#: Seconds after a trip starts or ends that it is written to storage.
TRIP_SAVE_DELAY = 1.0
#: Seconds within which a trip in progress is written (its distance so far;
#: an unclean shutdown then loses at most this much).
TRIP_PROGRESS_SAVE_DELAY = 60.0
#: Pause before the start-up requests are tried again, doubling up to the max.
INIT_BACKOFF_MIN = 60.0
INIT_BACKOFF_MAX = 900.0
_SYSINFO_DEVICE_KEYS = (
    "sysinfo.oem_name",
    "sysinfo.model_name",
    "sysinfo.serial_number",
    "sysinfo.firmware_version",
    "sysinfo.lan_mac",
    "sysinfo.hostname",
    "sysinfo.product_number",
)


class FlexApiRuntime:
    """Everything one FlexAPI device needs while its entry is loaded."""

    _control: DeviceControl | None = None

    def __init__(self, hass: HomeAssistant, entry: FlexApiConfigEntry) -> None:
        """Create the runtime; :meth:`async_start` subscribes."""
        self.hass = hass
        self.entry = entry
        self.client_id: str = entry.data[CONF_CLIENT_ID]
        #: Data and options this runtime was built with; a change reloads the entry.
        self.data: dict[str, Any] = dict(entry.data)
        self.options: dict[str, Any] = dict(entry.options)
        self.topics = Topics(self.client_id, entry.data.get(CONF_PREFIX, ""))
        self.store = ParameterStore()
        self.freshness = Freshness(
            float(entry.options.get(CONF_STALE_MULTIPLIER, DEFAULT_STALE_MULTIPLIER)),
            started=time.monotonic(),
        )
        self.client = FlexApiClient(
            hass,
            self.topics,
            on_data=self.handle_data,
            on_info=self.handle_info,
            on_repeat=self.handle_repeat,
            on_event=self._handle_event,
        )
        self.mqtt_connected = mqtt.is_connected(hass)
        self.stale: set[str] = set()
        self.events: list[msgs.FlexEvent] = []
        self.custom_groups: dict[str, msgs.CustomGroup] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._saved: dict[str, Any] | None = None
        self._storage: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._key_listeners: dict[str, list[Listener]] = {}
        self._group_listeners: dict[str, list[Listener]] = {}
        self._all_listeners: list[Listener] = []
        self._new_key_listeners: list[Callable[[list[str]], None]] = []
        self._removed_key_listeners: list[Callable[[list[str]], None]] = []
        self._event_listeners: list[Callable[[msgs.FlexEvent], None]] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._init_done = False
        self._stopped = False
        self._init_task: asyncio.Task[None] | None = None
        self._init_retry_at = 0.0
        self._init_backoff = INIT_BACKOFF_MIN
        #: Error codes of start-up answers already logged (each is said once).
        self._start_up_errors: set[str] = set()
        #: topic group -> data groups its last timed upload carried
        #: (at most MAX_TOPIC_GROUPS topic groups).
        self._topic_groups: dict[str, frozenset[str]] = {}
        #: Wall-clock time (epoch seconds) the gateway was last heard from;
        #: stored, so a restart does not restart the count toward the
        #: silent-gateway repair issue. A gateway never heard counts from
        #: its entry's first start.
        self.last_heard = time.time()
        self._heard_save_pending = False
        self._heard_closed = False
        self._silent_issue = False
        self.trips = TripRecorder(
            hass,
            self.options,
            notify=self.async_notify,
            save=self._schedule_trip_save,
            save_later=self._schedule_trip_progress_save,
            upload_window=self._trip_upload_window,
        )
        self._trip_save_pending = False

    # -- lifecycle ----------------------------------------------------------

    async def async_start(self) -> None:
        """Restore settings, subscribe and start the staleness timer."""
        if stored := await self._storage.async_load():
            if isinstance(heard := stored.pop("last_heard", None), (int, float)):
                self.last_heard = min(float(heard), self.last_heard)
            self.trips.restore(stored.pop("trips", None))
            self._saved = copy.deepcopy(stored)
            for group, settings in stored.get("settings", {}).items():
                self._apply_settings(
                    group, settings.get("interval"), settings.get("interest")
                )
            for name, settings in stored.get("custom_groups", {}).items():
                self._apply_custom_group(
                    msgs.CustomGroup(
                        name, settings.get("interval"), settings.get("interest")
                    )
                )
        await self.client.async_start()
        self.trips.async_start()
        self._unsubscribe.append(self.trips.async_stop)
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(self.hass, self._handle_mqtt_status)
        )
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass,
                self._check_stale,
                timedelta(seconds=STALE_CHECK_SECONDS),
                name=f"flexapi {self.client_id} staleness",
            )
        )
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass,
                self._check_silent,
                timedelta(seconds=SILENT_CHECK_SECONDS),
                name=f"flexapi {self.client_id} silence",
            )
        )
        # The first silence check comes one interval after the start: a gateway
        # that reports is heard by then, and raises no issue at each restart.
        self._schedule_heard_save()
        self._schedule_initial_requests()

    @callback
    def async_stop(self) -> None:
        """Release every subscription, timer, task and pending request.

        Idempotent. Afterwards every request fails at once with
        :class:`FlexApiStoppedError` and nothing more is published.
        """
        self._stopped = True
        # Unloaded (disabled, reloaded, removed): its silence is no problem now.
        ir.async_delete_issue(self.hass, DOMAIN, silent_issue_id(self.entry))
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._init_task is not None:
            self._init_task.cancel()
            self._init_task = None
        if self._control is not None:  # its Wi-Fi mode poll, its queues
            self._control.async_shutdown()
        self.client.async_stop()

    @property
    def stopped(self) -> bool:
        """Whether :meth:`async_stop` ran (the entry is unloading or gone)."""
        return self._stopped

    @callback
    def _schedule_initial_requests(self) -> None:
        """Start the start-up requests unless they ran or are running."""
        if (
            self._stopped
            or self._init_done
            or (self._init_task is not None and not self._init_task.done())
        ):
            return
        self._init_task = self.entry.async_create_background_task(
            self.hass, self._async_initial_requests(), f"flexapi {self.client_id} init"
        )

    async def _async_initial_requests(self) -> None:
        """Ask for what no timer uploads: system info, APP state, custom groups.

        A gateway that is off (parked) does not answer; these requests are
        made again, with a growing pause, once it is heard from again, and
        so are those it answered with a passing error (device busy) or that
        could not go out (MQTT disconnected).
        """
        answered = True
        requests: list[tuple[str, str, Callable[[], Awaitable[Any]]]] = [
            (
                "sysinfo refresh",
                "device details (model, serial number, firmware)",
                partial(self.async_refresh, "sysinfo"),
            ),
            ("app refresh", "Wi-Fi mode", self.control.async_read_app),
            (
                "group/get",
                "custom groups and their aliases",
                self.async_get_custom_groups,
            ),
        ]
        for name, feature, request in requests:
            try:
                await request()
            except FlexApiStoppedError:
                return  # unloading: ask nothing more
            except (FlexApiTimeoutError, FlexApiNotConnectedError) as err:
                answered = False
                _LOGGER.debug("%s: %s unanswered: %s", self.client_id, name, err)
            except FlexApiResponseError as err:
                if err.code in RETRYABLE_CODES:
                    answered = False  # passing: asked again later, quietly
                    _LOGGER.debug("%s: %s failed: %s", self.client_id, name, err)
                else:
                    self._log_start_up_error(name, feature, err)
            except FlexApiError as err:
                _LOGGER.debug("%s: %s failed: %s", self.client_id, name, err)
        if answered:
            self._init_done = True
            return
        self._init_retry_at = time.monotonic() + self._init_backoff
        self._init_backoff = min(self._init_backoff * 2, INIT_BACKOFF_MAX)

    def _log_start_up_error(
        self, name: str, feature: str, err: FlexApiResponseError
    ) -> None:
        """Say what a start-up error means for the user, once.

        ``auth_failed`` needs the user (the gateway refuses our requests):
        a warning. Any other answer is the gateway's last word on an
        optional feature: at info, naming what is unavailable.
        """
        auth = err.code == ErrorCode.AUTH_FAILED
        said = err.code if auth else f"{name}: {err.code}"
        if said in self._start_up_errors:
            return
        self._start_up_errors.add(said)
        if auth:
            _LOGGER.warning(
                "%s refuses requests (%s: %s): %s are not available, and "
                "actions on the gateway will fail",
                self.client_id,
                err.code,
                err.meaning,
                feature,
            )
            return
        _LOGGER.info(
            "%s answered the %s with %s (%s): %s not available",
            self.client_id,
            name,
            err.code,
            err.meaning,
            feature,
        )

    # -- listeners ----------------------------------------------------------

    @callback
    def async_add_listener(
        self, listener: Listener, keys: Iterable[str], groups: Iterable[str]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when a key changes or a group's availability does."""
        registrations: list[list[Listener]] = [self._all_listeners]
        registrations += [self._key_listeners.setdefault(key, []) for key in keys]
        registrations += [self._group_listeners.setdefault(g, []) for g in groups]
        for bucket in registrations:
            bucket.append(listener)

        @callback
        def remove() -> None:
            for bucket in registrations:
                bucket.remove(listener)

        return remove

    @callback
    def async_add_new_key_listener(
        self, listener: Callable[[list[str]], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with keys reported for the first time."""
        self._new_key_listeners.append(listener)
        return lambda: self._new_key_listeners.remove(listener)

    @callback
    def async_add_event_listener(
        self, listener: Callable[[msgs.FlexEvent], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` for every ``event/notice``."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    # -- incoming data (hot path) --------------------------------------------

    @callback
    def handle_info(self, group: str | None, data: Mapping[str, Any]) -> None:
        """A timed upload: learn its interval, drop replays, then ingest."""
        now = time.monotonic()
        if group is not None:
            if self.store.is_replay(group, data):
                _LOGGER.debug("%s: skipping replayed %s upload", self.client_id, group)
                return
            self.freshness.observe(group, now)
        result = self.handle_data(group, data, now=now)
        if group is not None and result.groups:
            remember(self._topic_groups, group, frozenset(result.groups))
        self.trips.feed(result.groups, data, self.store.values)
        self._after_upload(now)

    @callback
    def handle_repeat(self, group: str) -> None:
        """A timed upload identical to the previous one: only timing counts."""
        self._heard()
        now = time.monotonic()
        self.freshness.observe(group, now)
        if groups := self._topic_groups.get(group):
            to_call: dict[Listener, None] = {}
            self._mark_fresh(groups, now, to_call)
            for listener in to_call:
                listener()
        self.trips.heard(groups)
        self._after_upload(now)

    def _after_upload(self, now: float) -> None:
        if not self._init_done and now >= self._init_retry_at:
            self._schedule_initial_requests()

    def _mark_fresh(
        self, groups: Set[str], now: float, to_call: dict[Listener, None]
    ) -> None:
        """Data groups heard now; queue the listeners of those that revive."""
        self.freshness.seen(groups, now)
        if self.stale and (revived := self.stale & groups):
            self.stale -= revived
            _LOGGER.info(
                "%s: %s data is back", self.client_id, ", ".join(sorted(revived))
            )
            for revived_group in revived:
                for listener in self._group_listeners.get(revived_group, ()):
                    to_call[listener] = None

    @callback
    def handle_data(
        self,
        group: str | None,
        data: Mapping[str, Any],
        *,
        fresh: bool = True,
        now: float | None = None,
    ) -> IngestResult:
        """Merge one message's data into the store and notify listeners.

        ``fresh`` is False for data that proves nothing about upload timing
        (event snapshots).
        """
        self._heard()
        result = self.store.ingest(group, data)
        groups = result.groups
        if result.invalid:
            _LOGGER.debug(
                "%s: invalid values for %s are unknown", self.client_id, result.invalid
            )
        if result.new:
            for new_key_listener in tuple(self._new_key_listeners):
                new_key_listener(result.new)
        # Each listener once, however many of its keys changed (the tracker
        # follows eight keys); insertion order keeps the calls deterministic.
        to_call: dict[Listener, None] = {}
        key_listeners = self._key_listeners
        for key in result.changed:
            if listeners := key_listeners.get(key):
                for listener in listeners:
                    to_call[listener] = None
        if groups and fresh:
            self._mark_fresh(groups, now or time.monotonic(), to_call)
        for listener in to_call:
            listener()
        if "sysinfo" in groups and result.changed:
            self.update_device_registry()
        return result

    @callback
    def _handle_event(self, event: msgs.FlexEvent) -> None:
        self._heard()
        if event.starts_at is not None and event in self.events:
            # A QoS 1 redelivery: same type, status, times and values.
            _LOGGER.debug("%s: dropping duplicate %s event", self.client_id, event.type)
            return
        if event.data:
            self.handle_data(None, event.data, fresh=False)
        self.events.append(event)
        del self.events[:-20]
        for listener in tuple(self._event_listeners):
            listener(event)

    # -- silence ---------------------------------------------------------------

    def _heard(self) -> None:
        """The gateway sent something (hot path: an assignment and two tests)."""
        self.last_heard = time.time()
        if not self._heard_save_pending:
            self._schedule_heard_save()
        if self._silent_issue:
            self._check_silent()

    def _schedule_heard_save(self) -> None:
        """Write the time last heard within the hour (or at shutdown)."""
        if self._heard_closed:
            return
        self._heard_save_pending = True
        self._storage.async_delay_save(self._storage_data, HEARD_SAVE_DELAY)

    def _storage_data(self) -> dict[str, Any]:
        """What the store holds: settings, the time last heard, the trips."""
        self._heard_save_pending = self._trip_save_pending = False
        return {
            **(self._saved or self._settings_data()),
            "last_heard": self.last_heard,
            "trips": self.trips.as_dict(),
        }

    def _schedule_trip_save(self) -> None:
        """A trip started or ended: write the store within a second.

        This replaces the hourly write of the time last heard, if one is
        pending (the same data is written), so that one follows.
        """
        if self._heard_closed:
            return
        self._heard_save_pending = self._trip_save_pending = True
        self._storage.async_delay_save(self._storage_data, TRIP_SAVE_DELAY)

    def _schedule_trip_progress_save(self) -> None:
        """A trip in progress grew: write the store within a minute.

        Once pending, further calls wait for that write (each call would
        push it back); it replaces a pending hourly write of the time heard.
        """
        if self._heard_closed or self._trip_save_pending:
            return
        self._heard_save_pending = self._trip_save_pending = True
        self._storage.async_delay_save(self._storage_data, TRIP_PROGRESS_SAVE_DELAY)

    def _trip_upload_window(self) -> float:
        """Seconds the trip data may stay silent, from the upload intervals."""
        now = time.monotonic()
        windows = [
            window
            for group in TRIP_GROUPS
            if (window := self.freshness.window(group, now)) is not None
        ]
        return min(windows, default=0.0)

    async def async_save_heard(self) -> None:
        """Write the time last heard now (unloading); nothing is scheduled after."""
        self._heard_closed = True
        await self._storage.async_save(self._storage_data())

    @callback
    def _check_silent(self, _now: Any = None) -> None:
        """Raise the repair issue after a day of silence; clear it once heard."""
        silent = time.time() - self.last_heard > SILENT_ISSUE_SECONDS
        if silent == self._silent_issue:
            return
        self._silent_issue = silent
        issue_id = silent_issue_id(self.entry)
        if not silent:
            _LOGGER.info("%s: heard from again", self.client_id)
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        _LOGGER.info("%s: nothing heard for more than a day", self.client_id)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="gateway_silent",
            translation_placeholders={
                "name": self.entry.title,
                "last_heard": dt_util.utc_from_timestamp(self.last_heard)
                .replace(microsecond=0)
                .isoformat(),
            },
        )

    # -- availability --------------------------------------------------------

    def is_available(self, group: str) -> bool:
        """Whether entities of a data group are available."""
        return self.mqtt_connected and group not in self.stale

    @callback
    def _handle_mqtt_status(self, connected: bool) -> None:
        if connected == self.mqtt_connected:
            return
        self.mqtt_connected = connected
        self.trips.set_listening(connected)
        if not connected:
            _LOGGER.info("%s: MQTT disconnected; entities unavailable", self.client_id)
        else:
            _LOGGER.info("%s: MQTT connected again", self.client_id)
            # Nothing goes out before HA has subscribed again.
            self.client.async_hold_until_resubscribed()
            self._schedule_initial_requests()
            self._schedule_reconnect_refresh()
        for listener in tuple(self._all_listeners):
            listener()

    @callback
    def _schedule_reconnect_refresh(self) -> None:
        """Ask for a summary once MQTT is back, not wait for the next upload.

        Uploads made while the broker was away are lost (clean session), and
        the next one may be far off. The request lanes hold it until HA has
        subscribed again (:meth:`FlexApiClient.async_hold_until_resubscribed`);
        a refresh already waiting merges with this one.
        """
        self.entry.async_create_background_task(
            self.hass,
            self._async_reconnect_refresh(),
            f"flexapi {self.client_id} reconnect refresh",
        )

    async def _async_reconnect_refresh(self) -> None:
        try:
            await self.async_refresh("summary")
        except FlexApiError as err:
            _LOGGER.debug(
                "%s: summary refresh after reconnect failed: %s", self.client_id, err
            )

    @callback
    def _check_stale(self, _now: Any = None) -> None:
        stale = self.freshness.stale_groups(time.monotonic())
        changed = stale ^ self.stale
        if not changed:
            return
        if went := stale - self.stale:
            _LOGGER.info(
                "%s: no %s data for %s× the upload interval; marking unavailable",
                self.client_id,
                ", ".join(sorted(went)),
                f"{self.freshness.multiplier:g}",
            )
        self.stale = stale
        to_call: dict[Listener, None] = {}
        for group in changed:
            to_call.update(dict.fromkeys(self._group_listeners.get(group, ())))
        for listener in to_call:
            listener()

    # -- device registry ------------------------------------------------------

    @callback
    def update_device_registry(self) -> None:
        """Create or update the device from what sysinfo we have.

        Every field is passed by keyword; one sysinfo has not given yet is left
        as the registry has it (``UNDEFINED``), not cleared.
        """

        def known(key: str) -> str | UndefinedType:
            value = self.store.get(key)
            return value if isinstance(value, str) and value else UNDEFINED

        oem, mac = known("sysinfo.oem_name"), known("sysinfo.lan_mac")
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, self.client_id)},
            name=self.entry.title,
            manufacturer=(
                UNDEFINED
                if isinstance(oem, UndefinedType)
                else MANUFACTURERS.get(oem.lower(), oem)
            ),
            model=known("sysinfo.model_name"),
            model_id=known("sysinfo.product_number"),
            serial_number=known("sysinfo.serial_number"),
            sw_version=known("sysinfo.firmware_version"),
            connections=(
                UNDEFINED
                if isinstance(mac, UndefinedType)
                else {(dr.CONNECTION_NETWORK_MAC, dr.format_mac(mac))}
            ),
        )

    # -- requests -------------------------------------------------------------

    async def async_refresh(self, group: str) -> Any:
        """Refresh a reserved or custom group; identical waiting refreshes merge."""
        return await self.client.async_request(
            self.topics.refresh(group),
            msgs.build_refresh(msgs.new_token()),
            merge_key=f"refresh:{group}",
        )

    async def async_set_group(
        self,
        group: str,
        interval: int | None = None,
        interest: Mapping[str, str] | None = None,
    ) -> Any:
        """Change a reserved group's interval and/or interest (§3.2.1).

        What the ``result`` echo confirms is recorded; a setting left out of
        it keeps its old value. Raises :class:`FlexApiNotAppliedError`
        naming the settings the echo did not confirm.
        """
        payload = msgs.build_group_settings(msgs.new_token(), interval, interest)
        result = await self.client.async_request(self.topics.set(group), payload)
        if confirmed := msgs.confirmed_settings(payload, result):
            self._apply_settings(
                group, confirmed.get("interval"), confirmed.get("interest")
            )
            await self._async_save()
        if unapplied := msgs.unapplied_keys(payload, result):
            raise FlexApiNotAppliedError(unapplied, result)
        return result

    async def async_get_custom_groups(self) -> list[msgs.CustomGroup]:
        """Read custom groups (and so their aliases) from the device."""
        try:
            result = await self.client.async_request(
                self.topics.group_get,
                msgs.build_group_get(msgs.new_token()),
                merge_key="group_get",
            )
        except FlexApiResponseError as err:
            if err.code != ErrorCode.DATA_EMPTY:
                raise
            result = []  # rev 1.0.9: no custom group exists
        groups = msgs.parse_custom_groups(result)
        if groups is None:
            # Not a list: keep what we know rather than forget every alias.
            _LOGGER.debug(
                "%s: unusable group/get result (%s)",
                self.client_id,
                type(result).__name__,
            )
            return list(self.custom_groups.values())
        for name in set(self.custom_groups) - {group.name for group in groups}:
            self._remove_custom_group(name)
        for group in groups:
            self._apply_custom_group(group)
        await self._async_save()
        return groups

    async def async_set_custom_groups(self, groups: list[msgs.CustomGroup]) -> Any:
        """Create or update custom groups (§4.1.1, the four cases of §3.2.1).

        A group given only an interval keeps its interest (and aliases), and
        one given only an interest keeps its interval. What each group's echo
        confirms is recorded; :class:`FlexApiNotAppliedError` names the
        settings (``<group>/interval``, ``<group>/interest``) it did not.
        """
        payload = msgs.build_custom_group_set(msgs.new_token(), groups)
        result = await self.client.async_request(self.topics.group_set, payload)
        echoes = msgs.group_set_echoes(result)
        unapplied: list[str] = []
        for settings in payload["settings"]:
            name = settings["group_name"]
            echo = echoes.get(name)
            requested = {k: v for k, v in settings.items() if k != "group_name"}
            if confirmed := msgs.confirmed_settings(requested, echo):
                self._update_custom_group(
                    name, confirmed.get("interval"), confirmed.get("interest")
                )
            unapplied += [
                f"{name}/{key}" for key in msgs.unapplied_keys(requested, echo)
            ]
        await self._async_save()
        if unapplied:
            raise FlexApiNotAppliedError(unapplied, result)
        return result

    async def async_remove_custom_groups(self, names: list[str]) -> Any:
        """Remove custom groups (§4.1.3).

        A group is forgotten once its echo confirms ``interest: null``;
        :class:`FlexApiNotAppliedError` names those it did not confirm.
        """
        payload = msgs.build_custom_group_remove(msgs.new_token(), names)
        result = await self.client.async_request(self.topics.group_set, payload)
        echoes = msgs.group_set_echoes(result)
        unapplied: list[str] = []
        for settings in payload["settings"]:
            name = settings["group_name"]
            if msgs.unapplied_keys({"interest": None}, echoes.get(name)):
                unapplied.append(f"{name}/interest")
            else:
                self._remove_custom_group(name)
        await self._async_save()
        if unapplied:
            raise FlexApiNotAppliedError(unapplied, result)
        return result

    async def async_userdata(self, operation: str, data: Any) -> Any:
        """Insert, update or delete userdata keys (§3.2.8).

        The result's ``inserted`` / ``updated`` / ``deleted`` echo decides
        what the store keeps, not the request: a confirmed deletion takes the
        key (and so its entity) away, and every requested key the echo leaves
        out raises :class:`FlexApiNotAppliedError`.
        """
        builders: dict[str, Callable[[str, Any], dict[str, Any]]] = {
            "insert": msgs.build_userdata_insert,
            "update": msgs.build_userdata_update,
            "delete": msgs.build_userdata_delete,
        }
        payload = builders[operation](msgs.new_token(), data)
        requested: dict[str, Any] = payload[operation]
        result = await self.client.async_request(self.topics.set("userdata"), payload)
        echo_key = {"insert": "inserted", "update": "updated", "delete": "deleted"}
        echo = result.get(echo_key[operation]) if isinstance(result, Mapping) else None
        confirmed = {
            key: value
            for key, value in (echo.items() if isinstance(echo, Mapping) else ())
            if key in requested
        }
        if operation == "delete":
            self.remove_keys(list(confirmed))
            missing = [key for key in requested if key not in confirmed]
        else:
            self.handle_data("userdata", confirmed)
            missing = [
                key
                for key, value in requested.items()
                if key not in confirmed or confirmed[key] != value
            ]
        if missing:
            raise FlexApiNotAppliedError(missing, result)
        return result

    @callback
    def remove_keys(self, keys: list[str]) -> None:
        """Forget keys that no longer exist on the device; drop their entities.

        Listeners hear every key, known to the store or not: after a restart
        an entity is back from the registry before its key is reported.
        """
        if not keys:
            return
        self.store.remove(keys)
        for listener in tuple(self._removed_key_listeners):
            listener(keys)

    @callback
    def async_add_removed_key_listener(
        self, listener: Callable[[list[str]], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with keys the device no longer has."""
        self._removed_key_listeners.append(listener)
        return lambda: self._removed_key_listeners.remove(listener)

    @property
    def control(self) -> DeviceControl:
        """The io/app control queues and Wi-Fi mode reads (made on first use)."""
        if self._control is None:
            self._control = DeviceControl(self)
        return self._control

    async def async_io_control(self, values: Mapping[str, bool | int]) -> Any:
        """Set digital outputs/pull-ups and wait for the request carrying them.

        Changes inside the 5 s io window merge into the next request (the
        last wish of each key); only the changed keys are sent, in the
        device's spelling. Raises :class:`FlexApiNotAppliedError` for keys
        of this call that the ``result`` echo does not confirm.
        """
        return await self.control.io.async_submit(validate_io_values(values))

    async def async_app_control(self, values: Mapping[str, int]) -> Any:
        """Change Wi-Fi modes (0 AP, 1 STA); the other mode goes at its value."""
        return await self.control.app.async_submit(validate_app_values(values))

    @callback
    def async_notify(
        self, keys: Iterable[str] = (), groups: Iterable[str] = ()
    ) -> None:
        """Call the listeners of keys and groups (e.g. a pending change)."""
        to_call: dict[Listener, None] = {}
        for key in keys:
            to_call.update(dict.fromkeys(self._key_listeners.get(key, ())))
        for group in groups:
            to_call.update(dict.fromkeys(self._group_listeners.get(group, ())))
        for listener in to_call:
            listener()

    # -- settings bookkeeping ---------------------------------------------------

    def _apply_settings(
        self, group: str, interval: Any, interest: Mapping[str, str] | None
    ) -> None:
        self.client.forget_repeats()
        settings = self._settings.setdefault(group, {})
        if type(interval) is int:
            settings["interval"] = interval
            self.freshness.set_interval(group, interval)
        if isinstance(interest, Mapping):
            settings["interest"] = dict(interest)
            self.store.set_interest(group, interest)

    def _update_custom_group(
        self, name: str, interval: int | None, interest: Mapping[str, str] | None
    ) -> None:
        """Change what was confirmed of a custom group; keep the rest."""
        old = self.custom_groups.get(name) or msgs.CustomGroup(name)
        self._apply_custom_group(
            msgs.CustomGroup(
                name,
                interval if interval is not None else old.interval,
                interest if interest is not None else old.interest,
            )
        )

    def _apply_custom_group(self, group: msgs.CustomGroup) -> None:
        self.client.forget_repeats()
        self.custom_groups[group.name] = group
        self.store.set_interest(group.name, group.interest)
        self.freshness.set_custom_group(
            group.name, group.interval, list(group.interest or ())
        )

    def _remove_custom_group(self, name: str) -> None:
        self.client.forget_repeats()
        self.custom_groups.pop(name, None)
        self.store.set_interest(name, None)
        self.freshness.set_custom_group(name, None, None)

    def interval(self, group: str) -> int | None:
        """Upload interval we last set or read for a topic group."""
        return self.freshness.intervals.get(group)

    async def _async_save(self) -> None:
        """Persist settings now (a reload right after a change must see them).

        Nothing is written when nothing changed, e.g. the group/get of every
        start-up.
        """
        data = self._settings_data()
        if data != self._saved:
            self._saved = copy.deepcopy(data)
            await self._storage.async_save(self._storage_data())

    def _settings_data(self) -> dict[str, Any]:
        """The settings and custom groups to keep across restarts."""
        return {
            "settings": self._settings,
            "custom_groups": {
                name: {
                    "interval": g.interval,
                    "interest": dict(g.interest) if g.interest is not None else None,
                }
                for name, g in self.custom_groups.items()
            },
        }

    @staticmethod
    async def async_remove_storage(hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Delete an entry's stored settings."""
        await Store[dict[str, Any]](
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        ).async_remove()
