"""The runtime of a Bimetri application entry, kept in ``entry.runtime_data``.

One subscription to ``application/third-party/{appName}/{instanceId}``
carries command responses and ``extDOStateChanged`` notifications. Commands
are matched to responses by correlationId; a "sent" command marks its output
pending until its notification arrives or the notification timeout passes.
Notifications are the truth: they set the state, are deduplicated by
(resourceId, output, correlationId), and a late notification of an older
command of ours never overrides a newer one.

The JWT travels in every command. It is never logged: a filter also masks it
in what Home Assistant's MQTT client logs at debug level.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
import itertools
import json
import logging
from typing import TYPE_CHECKING, Any, TypeIs

from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady, HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_point_in_utc_time
from homeassistant.helpers.typing import UNDEFINED
from homeassistant.util import dt as dt_util

from .const import (
    BIMETRI_RESPONSE_TIMEOUT,
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
    DOMAIN,
    JWT_RENEW_DAYS,
    KIND_BIMETRI,
    SUBENTRY_RESOURCE,
)
from .helpers import home_assistant_error
from .protocol import bimetri as proto, messages as msgs
from .protocol.errors import FlexApiNotConnectedError, FlexApiValueError

if TYPE_CHECKING:
    from .runtime import FlexApiConfigEntry

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.SWITCH]
#: Bounds of what grows with what arrives.
MAX_SEEN = 512
MAX_COMMANDS = 256
MAX_UNCONFIGURED_RESOURCES = 64
MAX_UNCONFIGURED_OUTPUTS = 64
#: Loggers that may print a command payload (HA's MQTT client at debug level).
MASKED_LOGGERS = (
    "homeassistant.components.mqtt.client",
    "homeassistant.components.mqtt",
)

UNCONFIGURED_KEY = f"{DOMAIN}_bimetri_memory"

type BimetriConfigEntry = ConfigEntry[BimetriRuntime]
#: What the integration's entry points get: an entry of either kind.
#: :func:`is_bimetri_entry` tells them apart, and narrows both branches.
type FlexApiOrBimetriEntry = FlexApiConfigEntry | BimetriConfigEntry
type OutputKey = tuple[int, int]


def is_bimetri_entry(entry: ConfigEntry[Any]) -> TypeIs[BimetriConfigEntry]:
    """Whether an entry is a Bimetri application (not a FlexAPI gateway)."""
    return entry.data.get(CONF_KIND) == KIND_BIMETRI


def app_id_of(data: Mapping[str, Any]) -> str:
    """The appId of a Bimetri entry's data."""
    return proto.make_app_id(data[CONF_APP_NAME], data[CONF_INSTANCE_ID])


def device_identifier(entry_id: str, resource_id: int) -> tuple[str, str]:
    """Device registry identifier of a resource of an entry.

    Keyed on the entry, never on the appId: reconfiguring the app name or
    instance id keeps the devices, their entities and their history. (No
    released version used other identifiers, so nothing is migrated.)
    """
    return (DOMAIN, f"{entry_id}_{resource_id}")


def output_unique_id(entry_id: str, resource_id: int, output: int) -> str:
    """Unique id of an output's switch (stable like :func:`device_identifier`)."""
    return f"{entry_id}_{resource_id}_{output}"


def resource_ids(entry: ConfigEntry[Any]) -> set[int]:
    """The resourceIds of an entry's ``resource`` subentries."""
    return {
        int(subentry.data[CONF_RESOURCE_ID])
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RESOURCE
    }


def jwt_issue_id(entry: ConfigEntry[Any]) -> str:
    """Repair issue id of an entry's expiring JWT."""
    return f"jwt_expiring_{entry.entry_id}"


# -- the JWT never reaches a log ----------------------------------------------------


class _SecretFilter(logging.Filter):
    """Replace every active JWT in log records by its redacted form."""

    def __init__(self) -> None:
        super().__init__("flexapi-bimetri-secrets")
        self.secrets: dict[str, int] = {}

    def _mask(self, value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            text = bytes(value).decode("utf-8", "replace")
            masked = self._mask(text)
            return masked if masked != text else value
        if isinstance(value, str):
            for secret in self.secrets:
                if secret in value:
                    value = value.replace(secret, proto.redact_jwt(secret))
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._mask(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(self._mask(arg) for arg in record.args)
            elif isinstance(record.args, Mapping):
                record.args = {k: self._mask(v) for k, v in record.args.items()}
        return True


_FILTER = _SecretFilter()


def _mask_secret(secret: str) -> CALLBACK_TYPE:
    """Mask ``secret`` in HA's MQTT logs until the returned callback runs."""
    if not _FILTER.secrets:
        for name in MASKED_LOGGERS:
            logging.getLogger(name).addFilter(_FILTER)
    _FILTER.secrets[secret] = _FILTER.secrets.get(secret, 0) + 1

    def _unmask() -> None:
        count = _FILTER.secrets.pop(secret, 0) - 1
        if count > 0:
            _FILTER.secrets[secret] = count
        if not _FILTER.secrets:
            for name in MASKED_LOGGERS:
                logging.getLogger(name).removeFilter(_FILTER)

    return _unmask


# -- state ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resource:
    """A configured resource (one config subentry, one device)."""

    subentry_id: str
    resource_id: int
    outputs: tuple[int, ...]
    name: str

    @staticmethod
    def from_subentry(
        subentry_id: str, data: Mapping[str, Any], title: str
    ) -> Resource:
        """Read a ``resource`` subentry."""
        return Resource(
            subentry_id,
            int(data[CONF_RESOURCE_ID]),
            tuple(int(o) for o in data[CONF_OUTPUTS]),
            title,
        )


@dataclass(frozen=True, slots=True)
class OutputState:
    """What an ExtDO switch shows."""

    is_on: bool | None = None
    #: Restored after a restart; no notification since.
    assumed: bool = False
    #: Who triggered the last applied notification, and its correlationId.
    user_name: str | None = None
    correlation_id: str | None = None
    #: A "sent" command still waiting for its notification.
    pending_correlation_id: str | None = None
    pending_since: datetime | None = None
    #: sent, confirmed, timed_out, not_send, failed, send_no_ack,
    #: unauthorized, no_response (outcome unknown: pending until the platform
    #: tells) or not_sent (MQTT was not connected: never handed over).
    last_command_result: str | None = None
    #: Sequence number of the command whose notification was applied last.
    applied_seq: int = -1


class BimetriCommandError(HomeAssistantError):
    """A command the platform refused or never answered."""


class BimetriRuntime:
    """Everything one Bimetri application needs while its entry is loaded."""

    def __init__(self, hass: HomeAssistant, entry: BimetriConfigEntry) -> None:
        """Read the entry; :meth:`async_start` subscribes."""
        self.hass = hass
        self.entry = entry
        data = entry.data
        self.app_id = app_id_of(data)
        self.topic = proto.response_topic(self.app_id)
        self.brand: str = data.get(CONF_BRAND) or proto.BRAND
        self._jwt: str = data[CONF_JWT]
        self.user_id = int(data[CONF_USER_ID])
        self.organization_id = int(data[CONF_ORGANIZATION_ID])
        self.notification_timeout = float(
            entry.options.get(CONF_NOTIFICATION_TIMEOUT, DEFAULT_NOTIFICATION_TIMEOUT)
        )
        self.response_timeout = BIMETRI_RESPONSE_TIMEOUT
        self.resources: dict[int, Resource] = {}
        for subentry_id, subentry in entry.subentries.items():
            if subentry.subentry_type == SUBENTRY_RESOURCE:
                resource = Resource.from_subentry(
                    subentry_id, subentry.data, subentry.title
                )
                self.resources[resource.resource_id] = resource
        #: What the runtime was built from; a change reloads the entry.
        self.built_from = self.config_snapshot(entry)
        #: What survives a reload (adding a resource reloads the entry).
        self._memory: dict[str, Any] = hass.data.setdefault(
            UNCONFIGURED_KEY, {}
        ).setdefault(entry.entry_id, {"unconfigured": {}, "states": {}})
        kept: dict[OutputKey, OutputState] = self._memory["states"]
        self.states: dict[OutputKey, OutputState] = {
            (r.resource_id, o): kept.get((r.resource_id, o), OutputState())
            for r in self.resources.values()
            for o in r.outputs
        }
        #: resourceId -> outputs heard in notifications but not configured.
        self.unconfigured: dict[int, set[int]] = self._memory["unconfigured"]
        for key in self.states:
            if (outputs := self.unconfigured.get(key[0])) is not None:
                outputs.discard(key[1])
                if not outputs:
                    del self.unconfigured[key[0]]
        self.devices: dict[int, proto.DeviceData] = {}
        self.mqtt_connected = mqtt.is_connected(hass)
        self._responses: dict[str, asyncio.Future[proto.CommandResponse]] = {}
        self._commands: OrderedDict[str, tuple[OutputKey, int]] = OrderedDict()
        #: Commands whose caller was told the outcome is unknown: a late
        #: commandResponse still updates their output.
        self._unconfirmed: OrderedDict[str, OutputKey] = OrderedDict()
        self._seen: OrderedDict[tuple[int, int, str | None], None] = OrderedDict()
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._seq = itertools.count()
        self._listeners: dict[OutputKey, list[Callable[[], None]]] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @staticmethod
    def config_snapshot(entry: ConfigEntry[Any]) -> Any:
        """The parts of an entry a runtime is built from."""
        return (
            dict(entry.data),
            dict(entry.options),
            {
                sid: (sub.subentry_type, dict(sub.data), sub.title)
                for sid, sub in entry.subentries.items()
            },
        )

    @property
    def jwt_expiry(self) -> datetime | None:
        """When the JWT expires, if it says."""
        return proto.jwt_expiry(self._jwt)

    # -- lifecycle ------------------------------------------------------------

    async def async_start(self) -> None:
        """Subscribe, register the devices and watch the JWT's expiry."""
        self._unsubscribe.append(_mask_secret(self._jwt))
        self._unsubscribe.append(
            await mqtt.async_subscribe(
                self.hass, self.topic, self._handle_message, qos=2, encoding=None
            )
        )
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(self.hass, self._handle_mqtt_status)
        )
        registry = dr.async_get(self.hass)
        for resource in self.resources.values():
            registry.async_get_or_create(
                config_entry_id=self.entry.entry_id,
                config_subentry_id=resource.subentry_id,
                identifiers={self.device_identifier(resource.resource_id)},
                name=resource.name,
                manufacturer=self.brand,
            )
        self._watch_jwt()

    @callback
    def async_stop(self) -> None:
        """Release subscriptions and timers; fail commands still waiting."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        for cid, future in self._responses.items():
            if not future.done():
                future.set_exception(
                    BimetriCommandError(
                        translation_domain=DOMAIN,
                        translation_key="bimetri_unloaded",
                        translation_placeholders={"correlation_id": cid},
                    )
                )
        self._responses.clear()
        # A reload (a resource added) keeps what notifications confirmed.
        self._memory["states"] = {
            key: replace(state, pending_correlation_id=None, pending_since=None)
            for key, state in self.states.items()
        }

    def device_identifier(self, resource_id: int) -> tuple[str, str]:
        """Device registry identifier of a resource."""
        return device_identifier(self.entry.entry_id, resource_id)

    def output_unique_id(self, resource_id: int, output: int) -> str:
        """Unique id of an output's switch."""
        return output_unique_id(self.entry.entry_id, resource_id, output)

    # -- JWT expiry -------------------------------------------------------------

    @callback
    def _watch_jwt(self) -> None:
        expiry = self.jwt_expiry
        issue_id = jwt_issue_id(self.entry)
        if expiry is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        now = dt_util.utcnow()
        warn_at = expiry - timedelta(days=JWT_RENEW_DAYS)
        if now >= expiry:
            self._jwt_expired()
            return
        if now >= warn_at:
            self._jwt_expiring(expiry)
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            self._unsubscribe.append(
                async_track_point_in_utc_time(
                    self.hass, partial(self._jwt_expiring, expiry), warn_at
                )
            )
        self._unsubscribe.append(
            async_track_point_in_utc_time(self.hass, self._jwt_expired, expiry)
        )

    @callback
    def _jwt_expiring(self, expiry: datetime, _now: datetime | None = None) -> None:
        _LOGGER.info("%s: the Bimetri token expires at %s", self.app_id, expiry)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            jwt_issue_id(self.entry),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="jwt_expiring",
            translation_placeholders={
                "app_id": self.app_id,
                "expires": dt_util.as_local(expiry).strftime("%Y-%m-%d %H:%M"),
            },
            data={"entry_id": self.entry.entry_id},
        )

    @callback
    def _jwt_expired(self, _now: datetime | None = None) -> None:
        _LOGGER.warning("%s: the Bimetri token has expired", self.app_id)
        self.entry.async_start_reauth(self.hass)

    # -- listeners ----------------------------------------------------------------

    @callback
    def async_add_listener(
        self, key: OutputKey, listener: Callable[[], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when the output's state changes."""
        bucket = self._listeners.setdefault(key, [])
        bucket.append(listener)
        return lambda: bucket.remove(listener)

    @callback
    def _set_state(self, key: OutputKey, state: OutputState) -> None:
        if self.states.get(key) == state:
            return
        self.states[key] = state
        for listener in tuple(self._listeners.get(key, ())):
            listener()

    @callback
    def restore(self, key: OutputKey, is_on: bool) -> None:
        """A restarted switch's last confirmed state, assumed until notified."""
        state = self.states.get(key, OutputState())
        if state.is_on is None:
            self._set_state(key, replace(state, is_on=is_on, assumed=True))

    @callback
    def _handle_mqtt_status(self, connected: bool) -> None:
        if connected == self.mqtt_connected:
            return
        self.mqtt_connected = connected
        if not connected:
            _LOGGER.info("%s: MQTT disconnected; switches unavailable", self.app_id)
        for listeners in tuple(self._listeners.values()):
            for listener in tuple(listeners):
                listener()

    # -- commands -------------------------------------------------------------------

    async def async_set_output(self, resource_id: int, output: int, on: bool) -> None:
        """Send ``setExtDO``; return once the platform queued it ("sent").

        The switch keeps its confirmed state and shows the pending command
        until the notification comes (or the notification timeout passes).
        Never reports a failure for a command that may still be carried out:
        with MQTT not connected nothing is published (``mqtt_not_connected``);
        a command published but not answered within ``response_timeout``
        raises ``bimetri_outcome_unknown`` and stays pending, and whatever
        the platform reports later still updates the switch.
        """
        key = (resource_id, output)
        cid = proto.new_correlation_id()
        try:
            payload = proto.build_set_ext_do(
                app_id=self.app_id,
                jwt=self._jwt,
                user_id=self.user_id,
                organization_id=self.organization_id,
                resource_id=resource_id,
                output=output,
                status=on,
                correlation_id=cid,
                brand=self.brand,
            )
        except FlexApiValueError as err:  # pragma: no cover - validated config
            raise BimetriCommandError(
                translation_domain=DOMAIN,
                translation_key="invalid_request",
                translation_placeholders={"error": str(err)},
            ) from err
        if not mqtt.is_connected(self.hass):
            # Paho would queue a QoS 2 publish and send it after reconnecting,
            # long after the user was told it failed: it is never handed over.
            self._record_result(key, "not_sent")
            raise home_assistant_error(
                FlexApiNotConnectedError(f"MQTT is not connected; {cid} not sent")
            )
        self._commands[cid] = (key, next(self._seq))
        while len(self._commands) > MAX_COMMANDS:
            self._commands.popitem(last=False)
        future: asyncio.Future[proto.CommandResponse] = self.hass.loop.create_future()
        self._responses[cid] = future
        _LOGGER.debug(
            "%s: setExtDO resource %s output %s status %d, correlationId %s",
            self.app_id,
            resource_id,
            output,
            int(on),
            cid,
        )
        try:
            # One deadline for the hand-over and the answer: HA's publish
            # waits up to 10 s for the broker's acknowledgement by itself.
            async with asyncio.timeout(self.response_timeout):
                try:
                    await mqtt.async_publish(
                        self.hass,
                        proto.COMMAND_TOPIC,
                        json.dumps(payload, separators=(",", ":")),
                        qos=proto.COMMAND_QOS,
                        retain=False,
                    )
                except HomeAssistantError as err:
                    # Paho keeps a QoS 2 publish it could not send and sends
                    # it after reconnecting: the command may still go out.
                    if self._outcome_unknown(key, cid):
                        return
                    raise BimetriCommandError(
                        translation_domain=DOMAIN,
                        translation_key="bimetri_publish_unknown",
                        translation_placeholders={
                            "correlation_id": cid,
                            "error": str(err),
                        },
                    ) from err
                response = await future
        except TimeoutError:
            if self._outcome_unknown(key, cid):
                return
            raise BimetriCommandError(
                translation_domain=DOMAIN,
                translation_key="bimetri_outcome_unknown",
                translation_placeholders={
                    "correlation_id": cid,
                    "seconds": f"{self.response_timeout:g}",
                },
            ) from None
        finally:
            self._responses.pop(cid, None)
        self._handle_result(key, cid, response)

    @callback
    def _outcome_unknown(self, key: OutputKey, cid: str) -> bool:
        """A command that may still be carried out: follow what the platform says.

        The output shows the command as pending (``no_response``) until its
        notification, a late commandResponse or the notification timeout.
        Returns whether its notification already confirmed it.
        """
        state = self.states.get(key, OutputState())
        if (key[0], key[1], cid) in self._seen:
            self._record_result(key, "confirmed")
            return True
        _LOGGER.info(
            "%s: no commandResponse for correlationId %s within %g s; "
            "its outcome is unknown",
            self.app_id,
            cid,
            self.response_timeout,
        )
        self._unconfirmed[cid] = key
        while len(self._unconfirmed) > MAX_COMMANDS:
            self._unconfirmed.popitem(last=False)
        if state.pending_correlation_id in self._timers:
            self._timers.pop(state.pending_correlation_id)()
        self._timers[cid] = async_call_later(
            self.hass,
            self.notification_timeout,
            partial(self._notification_timed_out, key, cid),
        )
        self._set_state(
            key,
            replace(
                state,
                pending_correlation_id=cid,
                pending_since=dt_util.utcnow(),
                last_command_result="no_response",
            ),
        )
        return False

    @callback
    def _handle_late_response(
        self, key: OutputKey, cid: str, response: proto.CommandResponse
    ) -> None:
        """The commandResponse of a command whose caller was told "unknown"."""
        state = self.states.get(key, OutputState())
        if state.pending_correlation_id != cid:
            return  # a newer command, or the notification timeout, took over
        try:
            self._handle_result(key, cid, response)
        except BimetriCommandError:
            _LOGGER.warning(
                "%s: the platform refused command %s late: %s",
                self.app_id,
                cid,
                response.reason or response.result,
            )
            if (cancel := self._timers.pop(cid, None)) is not None:
                cancel()
            self._set_state(
                key,
                replace(
                    self.states.get(key, OutputState()),
                    pending_correlation_id=None,
                    pending_since=None,
                ),
            )

    @callback
    def _record_result(self, key: OutputKey, result: str) -> None:
        state = self.states.get(key, OutputState())
        self._set_state(key, replace(state, last_command_result=result))

    @callback
    def _handle_result(
        self, key: OutputKey, cid: str, response: proto.CommandResponse
    ) -> None:
        if response.ok:
            state = self.states.get(key, OutputState())
            if state.pending_correlation_id in self._timers:
                self._timers.pop(state.pending_correlation_id)()
            if (key[0], key[1], cid) in self._seen:
                # The notification overtook its response: already confirmed.
                self._record_result(key, "confirmed")
                return
            self._timers[cid] = async_call_later(
                self.hass,
                self.notification_timeout,
                partial(self._notification_timed_out, key, cid),
            )
            self._set_state(
                key,
                replace(
                    state,
                    pending_correlation_id=cid,
                    pending_since=dt_util.utcnow(),
                    last_command_result=proto.RESULT_SENT,
                ),
            )
            return
        result = response.result
        self._record_result(key, result)
        placeholders = {
            "result": result,
            "reason": response.reason or "-",
            "correlation_id": cid,
        }
        if result == proto.RESULT_UNAUTHORIZED:
            _LOGGER.warning(
                "%s: the Bimetri platform refused the token (correlationId %s)",
                self.app_id,
                cid,
            )
            self.entry.async_start_reauth(self.hass)
            raise BimetriCommandError(
                translation_domain=DOMAIN,
                translation_key="bimetri_unauthorized",
                translation_placeholders=placeholders,
            )
        raise BimetriCommandError(
            translation_domain=DOMAIN,
            translation_key="bimetri_command_failed",
            translation_placeholders=placeholders,
        )

    @callback
    def _notification_timed_out(
        self, key: OutputKey, cid: str, _now: datetime | None = None
    ) -> None:
        self._timers.pop(cid, None)
        state = self.states.get(key, OutputState())
        if state.pending_correlation_id != cid:
            return
        _LOGGER.info(
            "%s: no notification for correlationId %s within %g s",
            self.app_id,
            cid,
            self.notification_timeout,
        )
        self._set_state(
            key,
            replace(
                state,
                pending_correlation_id=None,
                pending_since=None,
                last_command_result="timed_out",
            ),
        )

    # -- incoming -------------------------------------------------------------------

    @callback
    def _handle_message(self, msg: ReceiveMessage) -> None:
        # The FlexAPI side's decoder: it never raises, whatever arrives (a
        # payload nested too deep for the parser included).
        obj = msgs.decode_object(msg.payload)
        if obj is None:
            _LOGGER.debug("%s: dropping a non-JSON-object payload", self.app_id)
            return
        parsed = proto.parse_message(obj)
        if isinstance(parsed, proto.CommandResponse):
            self._handle_response(parsed)
        elif isinstance(parsed, proto.ExtDoState):
            self._handle_notification(parsed)
        else:
            _LOGGER.debug(
                "%s: dropping a message it does not understand (keys %s)",
                self.app_id,
                sorted(obj)[:20],
            )

    @callback
    def _handle_response(self, response: proto.CommandResponse) -> None:
        cid = response.correlation_id
        _LOGGER.debug(
            "%s: commandResponse %s for correlationId %s",
            self.app_id,
            response.result,
            cid,
        )
        if response.resource_id is not None:
            self._update_device(response.resource_id, response.device)
        future = self._responses.get(cid)
        if future is None or future.done():
            if (key := self._unconfirmed.pop(cid, None)) is not None:
                self._handle_late_response(key, cid, response)
                return
            _LOGGER.debug("%s: no command waits for correlationId %s", self.app_id, cid)
            return
        future.set_result(response)

    @callback
    def _handle_notification(self, note: proto.ExtDoState) -> None:
        cid = note.correlation_id
        if note.app_id is not None and note.app_id != self.app_id:
            _LOGGER.debug(
                "%s: ignoring a notification for %s", self.app_id, note.app_id
            )
            return
        _LOGGER.debug(
            "%s: extDOStateChanged resource %s output %s status %d, correlationId %s",
            self.app_id,
            note.resource_id,
            note.output,
            int(note.status),
            cid,
        )
        if cid is not None:
            if note.dedup_key in self._seen:
                _LOGGER.debug("%s: duplicate of correlationId %s", self.app_id, cid)
                return
            self._seen[note.dedup_key] = None
            while len(self._seen) > MAX_SEEN:
                self._seen.popitem(last=False)
        key = (note.resource_id, note.output)
        if key not in self.states:
            self._remember_unconfigured(note.resource_id, note.output)
            return
        self._update_device(note.resource_id, note.device)
        state = self.states[key]
        command = self._commands.get(cid) if cid is not None else None
        seq = command[1] if command is not None and command[0] == key else None
        if seq is not None and seq < state.applied_seq:
            _LOGGER.debug(
                "%s: correlationId %s is older than the state shown; ignored",
                self.app_id,
                cid,
            )
            return
        new = replace(
            state,
            is_on=note.status,
            assumed=False,
            user_name=note.user_name,
            correlation_id=cid,
            applied_seq=state.applied_seq if seq is None else seq,
        )
        if cid is not None and state.pending_correlation_id == cid:
            new = replace(
                new,
                pending_correlation_id=None,
                pending_since=None,
                last_command_result="confirmed",
            )
            if (cancel := self._timers.pop(cid, None)) is not None:
                cancel()
        self._set_state(key, new)

    @callback
    def _remember_unconfigured(self, resource_id: int, output: int) -> None:
        if resource_id < 0 or output < 0:
            # The add-resource form refuses these: never offer them.
            _LOGGER.debug(
                "%s: ignoring resource %s output %s (negative)",
                self.app_id,
                resource_id,
                output,
            )
            return
        outputs = self.unconfigured.get(resource_id)
        if outputs is None:
            if len(self.unconfigured) >= MAX_UNCONFIGURED_RESOURCES:
                return
            outputs = self.unconfigured[resource_id] = set()
        if output in outputs or len(outputs) >= MAX_UNCONFIGURED_OUTPUTS:
            return
        outputs.add(output)
        configured = resource_id in self.resources
        _LOGGER.info(
            "%s: resource %s output %s reports its state but is not configured; "
            "add it %s to get a switch",
            self.app_id,
            resource_id,
            output,
            "as an output of the resource" if configured else "as a resource",
        )

    @callback
    def _update_device(self, resource_id: int, device: proto.DeviceData) -> None:
        resource = self.resources.get(resource_id)
        if resource is None or device == proto.DeviceData():
            return
        known = self.devices.get(resource_id, proto.DeviceData())
        merged = proto.DeviceData(
            device.brand or known.brand,
            device.model or known.model,
            device.network_id or known.network_id,
        )
        if merged == known:
            return
        self.devices[resource_id] = merged
        mac = dr.format_mac(merged.network_id) if merged.network_id else ""
        # Resources of one module report the module's MAC. A device found by a
        # connection is that device (before 2026.8 a second resource's device
        # merged into the first; 2026.8+ refuses a second device of an entry
        # with it), so the MAC goes only to a resource whose device of this
        # entry is the one holding it, or while none does.
        registry = dr.async_get(self.hass)
        identifier = self.device_identifier(resource_id)
        connection = (dr.CONNECTION_NETWORK_MAC, mac)
        shared = any(
            connection in other.connections and identifier not in other.identifiers
            for other in dr.async_entries_for_config_entry(
                registry, self.entry.entry_id
            )
        )
        # Every field by keyword; one the platform has not told yet stays as
        # the registry has it (UNDEFINED), never cleared.
        registry.async_get_or_create(
            config_entry_id=self.entry.entry_id,
            config_subentry_id=resource.subentry_id,
            identifiers={identifier},
            manufacturer=merged.brand or UNDEFINED,
            model=merged.model or UNDEFINED,
            connections=({connection} if len(mac) == 17 and not shared else UNDEFINED),
        )

    # -- diagnostics ------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """What the runtime knows (the caller redacts it)."""
        expiry = self.jwt_expiry
        return {
            "entry": {
                "data": dict(self.entry.data),
                "options": dict(self.entry.options),
            },
            "app_id": self.app_id,
            "topic": self.topic,
            "jwt_expires": expiry.isoformat() if expiry else None,
            "mqtt_connected": self.mqtt_connected,
            "resources": {
                str(r.resource_id): {"name": r.name, "outputs": list(r.outputs)}
                for r in self.resources.values()
            },
            "devices": {
                str(rid): {
                    "brand": d.brand,
                    "model": d.model,
                    "network_id": d.network_id,
                }
                for rid, d in self.devices.items()
            },
            "outputs": {
                f"{r}/{o}": {
                    "is_on": s.is_on,
                    "assumed": s.assumed,
                    "user_name": s.user_name,
                    "correlation_id": s.correlation_id,
                    "pending_correlation_id": s.pending_correlation_id,
                    "last_command_result": s.last_command_result,
                }
                for (r, o), s in self.states.items()
            },
            "unconfigured": {
                str(r): sorted(outputs) for r, outputs in self.unconfigured.items()
            },
            "commands_waiting_for_a_response": len(self._responses),
        }


# -- entry setup (called from __init__.py for Bimetri entries) ------------------------


async def async_setup_entry(hass: HomeAssistant, entry: BimetriConfigEntry) -> bool:
    """Set up one Bimetri application."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_not_available"
        )
    runtime = BimetriRuntime(hass, entry)
    entry.runtime_data = runtime
    try:
        await runtime.async_start()
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        runtime.async_stop()
        raise
    entry.async_on_unload(runtime.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


async def _async_entry_updated(hass: HomeAssistant, entry: BimetriConfigEntry) -> None:
    """Reload when resources (subentries), options or data changed."""
    if BimetriRuntime.config_snapshot(entry) != entry.runtime_data.built_from:
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: BimetriConfigEntry) -> bool:
    """Unload one Bimetri application."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


def can_remove_device(entry: BimetriConfigEntry, device_entry: dr.DeviceEntry) -> bool:
    """Whether a device of the entry is no configured resource's device.

    A resource's device goes with its subentry; any other device of the
    entry is left over and the user may delete it.
    """
    live = {device_identifier(entry.entry_id, rid) for rid in resource_ids(entry)}
    return not live & device_entry.identifiers


async def async_remove_entry(hass: HomeAssistant, entry: BimetriConfigEntry) -> None:
    """Remove the entry's repair issue and memory with it."""
    ir.async_delete_issue(hass, DOMAIN, jwt_issue_id(entry))
    hass.data.get(UNCONFIGURED_KEY, {}).pop(entry.entry_id, None)
