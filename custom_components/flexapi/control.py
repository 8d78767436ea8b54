"""Control requests: merging and pacing of io/app control, and result checks.

Digital outputs and Wi-Fi modes are changed through control queues. A queue
collects the callers' wishes (canonical key -> value); the next request
carries the last wish of every key, and one request is on its way at a time.
For ``io/control`` requests are at least 5 s apart (§2.3): a change made
inside that window goes out with the next request. Every caller waits for
the request that carried its change and learns its outcome: the gateway's
``result`` echo, a :class:`FlexApiNotAppliedError` naming the keys of that
caller the echo did not confirm, or the gateway's error. Nothing is dropped.

State is never optimistic: the store changes only through what the gateway
reports (the echo included). While a wish waits or is on its way it is
*pending*, which the switches expose as an attribute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
import logging
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .const import SPACING_MARGIN
from .protocol import messages as msgs
from .protocol.catalog import canonical_key
from .protocol.errors import (
    ErrorCode,
    FlexApiError,
    FlexApiNotAppliedError,
    FlexApiResponseError,
    FlexApiStoppedError,
)
from .protocol.limits import MIN_IO_CONTROL_SPACING

if TYPE_CHECKING:
    from .runtime import FlexApiRuntime

_LOGGER = logging.getLogger(__name__)

#: Seconds between two io/control requests.
IO_SPACING: Final = MIN_IO_CONTROL_SPACING + SPACING_MARGIN
#: Seconds an io change waits for others when no request went out lately, so
#: that switching two outputs at once (one action, several entities) sends one
#: request carrying both.
IO_GATHER: Final = 1.0
#: The eight keys of the §3.4.1 example: what a full io/control body holds.
FULL_IO_KEYS: Final = tuple(
    key for n in range(1, 5) for key in (f"io.DO{n}", f"io.DO{n}_pullup")
)
WIFI_MODE_KEYS: Final = msgs.WIFI_MODE_KEYS
#: Wi-Fi mode values that can be sent (0 AP, 1 STA; -1 is status only).
WIFI_MODE_VALUES: Final = {"ap": 0, "sta": 1}
#: Seconds between reads of the Wi-Fi modes (the spec has no app/info).
APP_POLL_INTERVAL: Final = 300.0
#: Longest pause between reads while the gateway's WiFiControl app is missing.
APP_POLL_MAX_INTERVAL: Final = 3600.0


def validate_io_values(values: Mapping[str, Any]) -> dict[str, int]:
    """Canonical io control wishes (``io.DO1``: 0/1); raises FlexApiValueError."""
    msgs.build_io_control("validation", values)  # the builder's own checks
    return {canonical_key(key)[0]: int(value) for key, value in values.items()}


def validate_app_values(values: Mapping[str, Any]) -> dict[str, int]:
    """Wi-Fi mode wishes (0 AP, 1 STA); raises FlexApiValueError."""
    msgs.build_app_control("validation", values)
    return dict(values)


def _is_di_pullup(key: str) -> bool:
    return key.startswith("io.DI") and key.endswith("_pullup")


def io_batch_keys(waiting: Mapping[str, int]) -> list[str]:
    """The waiting io wishes the next request carries.

    DI pull-ups (rev 1.0.9) go in requests of their own: rev 1.0.8 firmware
    refuses a body naming one, and the outputs changed with it would fail
    for a key that was never theirs. The kind of the oldest wish goes first,
    so neither kind waits for ever.
    """
    first = _is_di_pullup(next(iter(waiting)))
    return [key for key in waiting if _is_di_pullup(key) == first]


def _all_keys(waiting: Mapping[str, int]) -> list[str]:
    return list(waiting)


class _Caller:
    """One caller's wishes, answered once every request carrying them is back."""

    __slots__ = (
        "_error",
        "_missing",
        "_result",
        "_sends",
        "future",
        "keys",
        "todo",
        "values",
    )

    def __init__(self, values: Mapping[str, int], future: asyncio.Future[Any]) -> None:
        self.values = dict(values)
        self.keys = frozenset(values)
        self.future = future
        #: Keys not yet taken into a request.
        self.todo = set(values)
        self._sends = 0
        self._result: Any = None
        self._error: FlexApiError | None = None
        self._missing: list[str] = []

    def taken(self, keys: Iterable[str]) -> bool:
        """Note that a request carries ``keys``; whether some were this caller's."""
        if self.todo.isdisjoint(keys):
            return False
        self.todo.difference_update(keys)
        self._sends += 1
        return True

    def settle(self, result: Any, error: FlexApiError | None) -> None:
        """The outcome of one request that carried some of this caller's keys."""
        self._sends -= 1
        if isinstance(error, FlexApiNotAppliedError):
            self._missing += [key for key in error.keys if key in self.keys]
            self._result = error.result
        elif error is not None:
            self._error = self._error or error
        else:
            self._result = result
        if self._sends <= 0 and not self.todo:
            self.resolve(self._result, self._error)

    def resolve(self, result: Any, error: FlexApiError | None) -> None:
        if self.future.done():  # the caller gave up
            return
        if error is not None and not isinstance(error, FlexApiNotAppliedError):
            self.future.set_exception(error)
        elif self._missing:
            self.future.set_exception(FlexApiNotAppliedError(self._missing, result))
        else:
            self.future.set_result(result)


class ControlQueue:
    """Wishes waiting for the next request of one kind; one request at a time."""

    def __init__(
        self,
        runtime: FlexApiRuntime,
        name: str,
        send: Callable[[ControlQueue, dict[str, int]], Awaitable[Any]],
        *,
        spacing: float = 0.0,
        gather: float = 0.0,
        batch_keys: Callable[[Mapping[str, int]], list[str]] = _all_keys,
    ) -> None:
        """Create an idle queue; ``send`` puts one batch on the wire."""
        self._runtime = runtime
        self._hass: HomeAssistant = runtime.hass
        self.name = name
        self._send = send
        self.spacing = spacing
        self.gather = gather
        self._batch_keys = batch_keys
        self._waiting: dict[str, int] = {}
        self._callers: list[_Caller] = []
        self._in_flight: dict[str, int] = {}
        self._in_flight_callers: list[_Caller] = []
        self._first_at = 0.0
        self._last_sent = -math.inf
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def pending(self, key: str) -> int | None:
        """The value a key is being changed to, if a change is pending."""
        if key in self._waiting:
            return self._waiting[key]
        return self._in_flight.get(key)

    async def async_submit(self, values: dict[str, int]) -> Any:
        """Queue validated wishes and wait for the request that carries them."""
        if self._closed:
            raise FlexApiStoppedError()
        loop = self._hass.loop
        if not self._waiting:
            self._first_at = loop.time()
        self._waiting.update(values)
        caller = _Caller(values, loop.create_future())
        self._callers.append(caller)
        self._runtime.async_notify(keys=values)
        if self._task is None:
            self._task = self._runtime.entry.async_create_background_task(
                self._hass, self._run(), f"flexapi {self.name} control"
            )
        return await caller.future

    async def async_wait_turn(self) -> None:
        """Wait until the next request may go out, and count it as sent."""
        loop = self._hass.loop
        delay = self._last_sent + self.spacing - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        self._last_sent = loop.time()

    async def _run(self) -> None:
        loop = self._hass.loop
        try:
            while self._waiting:
                delay = self._first_at + self.gather - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.async_wait_turn()
                if not self._forget_abandoned():
                    continue
                keys = self._batch_keys(self._waiting)
                batch = {key: self._waiting.pop(key) for key in keys}
                callers = [c for c in self._callers if c.taken(keys)]
                self._callers = [c for c in self._callers if c.todo]
                self._in_flight, self._in_flight_callers = batch, callers
                result: Any = None
                error: FlexApiError | None = None
                try:
                    result = await self._send(self, batch)
                except FlexApiError as err:
                    error = err
                except Exception as err:  # every caller must hear of it
                    _LOGGER.exception("%s control request failed", self.name)
                    error = FlexApiError(str(err))
                self._in_flight, self._in_flight_callers = {}, []
                for caller in callers:
                    caller.settle(result, error)
                self._runtime.async_notify(keys=batch)
        finally:
            self._task = None

    def _forget_abandoned(self) -> bool:
        """Keep only the wishes of callers still waiting; whether any is left.

        A caller that gave up (its action was cancelled) was told nothing was
        done: its wishes are not sent, and a key it shared with a caller still
        waiting goes out with that caller's value.
        """
        if all(not caller.future.done() for caller in self._callers):
            return bool(self._waiting)
        self._callers = [c for c in self._callers if not c.future.done()]
        wanted: dict[str, int] = {}
        for caller in self._callers:
            for key in caller.todo:
                wanted[key] = caller.values[key]
        dropped = [key for key in self._waiting if key not in wanted]
        self._waiting = {key: wanted[key] for key in self._waiting if key in wanted}
        if dropped:
            _LOGGER.debug("%s control: not sending %s (given up)", self.name, dropped)
            self._runtime.async_notify(keys=dropped)
        return bool(self._waiting)

    @callback
    def async_shutdown(self) -> None:
        """Fail every waiting and in-flight caller (the entry unloads)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            self._task = None
        error = FlexApiStoppedError()
        for caller in (*self._in_flight_callers, *self._callers):
            caller.resolve(None, error)
        self._waiting, self._callers = {}, []
        self._in_flight, self._in_flight_callers = {}, []


class DeviceControl:
    """The io and app control queues of one gateway, and the Wi-Fi mode reads."""

    def __init__(self, runtime: FlexApiRuntime) -> None:
        """Create the queues; they stop with the entry."""
        self._runtime = runtime
        self.io = ControlQueue(
            runtime,
            "io",
            self._async_send_io,
            spacing=IO_SPACING,
            gather=IO_GATHER,
            batch_keys=io_batch_keys,
        )
        # The request lane spaces app requests from every other request.
        self.app = ControlQueue(runtime, "app", self._async_send_app)
        #: The gateway answered ``not_found``: its WiFiControl app is not running.
        self.app_missing = False
        self._app_missing_logged = False
        self.app_poll_interval = APP_POLL_INTERVAL
        self._app_poll: CALLBACK_TYPE | None = None
        self._app_read: asyncio.Task[Any] | None = None
        self._closed = False
        runtime.entry.async_on_unload(self.async_shutdown)

    @callback
    def async_shutdown(self) -> None:
        """Stop polling and fail what waits (idempotent)."""
        self._closed = True
        if self._app_poll is not None:
            self._app_poll()
            self._app_poll = None
        self.io.async_shutdown()
        self.app.async_shutdown()

    # -- io/control -------------------------------------------------------------

    def full_io_body(self, wanted: Mapping[str, int]) -> dict[str, int]:
        """Confirmed states of the eight §3.4.1 keys, with the wanted changes."""
        store = self._runtime.store
        body: dict[str, int] = {}
        for key in FULL_IO_KEYS:
            if key in wanted:
                body[key] = wanted[key]
            elif (confirmed := store.get(key)) is not None:
                body[key] = int(confirmed)
        for key, value in wanted.items():
            body.setdefault(key, value)
        return body

    async def _async_io_request(self, values: Mapping[str, int]) -> Any:
        runtime = self._runtime
        payload = msgs.build_io_control(
            msgs.new_token(), values, runtime.store.digit_zero
        )
        return await runtime.client.async_request(
            runtime.topics.io_control, payload, lane="io"
        )

    async def _async_send_io(self, queue: ControlQueue, batch: dict[str, int]) -> Any:
        runtime = self._runtime
        try:
            result = await self._async_io_request(batch)
        except FlexApiResponseError as err:
            # The fallback is for the outputs of §3.4.1; a DI pull-up batch
            # (always a batch of its own) refused is not resent.
            full = self.full_io_body(batch)
            if (
                err.code != ErrorCode.INVALID_PARAMETER
                or any(_is_di_pullup(key) for key in batch)
                or full.keys() == batch.keys()
            ):
                raise
            _LOGGER.debug(
                "%s: partial io/control refused; sending the full body",
                runtime.client_id,
            )
            await queue.async_wait_turn()
            result = await self._async_io_request(full)
        if isinstance(result, dict):
            runtime.handle_data(None, result, fresh=False)
        if missing := msgs.unapplied_keys(batch, result):
            raise FlexApiNotAppliedError(missing, result)
        return result

    # -- app/control and Wi-Fi mode reads ------------------------------------------

    async def _async_send_app(self, _queue: ControlQueue, batch: dict[str, int]) -> Any:
        """Send the wanted modes and the other at its confirmed value (§3.4.2)."""
        runtime = self._runtime
        body: dict[str, int] = {}
        for key in WIFI_MODE_KEYS:
            if key in batch:
                body[key] = batch[key]
            elif (confirmed := runtime.store.get(key)) in (0, 1):
                body[key] = confirmed  # never -1: status only
        payload = msgs.build_app_control(msgs.new_token(), body)
        try:
            result = await runtime.client.async_request(
                runtime.topics.app_control, payload
            )
        except FlexApiResponseError as err:
            if err.code == ErrorCode.NOT_FOUND:
                self._set_app_missing(True)
            else:
                self._schedule_app_read()
            raise
        self._set_app_missing(False)
        self._schedule_app_read()
        if isinstance(result, dict):
            runtime.handle_data(None, result, fresh=False)
        if missing := msgs.unapplied_keys(batch, result):
            raise FlexApiNotAppliedError(missing, result)
        return result

    async def async_read_app(self) -> Any:
        """``app/refresh``: read the Wi-Fi modes (entities update from it)."""
        try:
            result = await self._runtime.async_refresh("app")
        except FlexApiResponseError as err:
            if err.code == ErrorCode.NOT_FOUND:
                self._set_app_missing(True)
            raise
        self._set_app_missing(False)
        return result

    @callback
    def _schedule_app_read(self) -> None:
        """Read the modes back after a change (the echo is not the whole truth)."""
        if self._app_read is not None and not self._app_read.done():
            return
        self._app_read = self._runtime.entry.async_create_background_task(
            self._runtime.hass,
            self._async_quiet_read(),
            f"flexapi {self._runtime.client_id} app read",
        )

    async def _async_quiet_read(self) -> None:
        try:
            await self.async_read_app()
        except FlexApiError as err:
            _LOGGER.debug("%s: app refresh failed: %s", self._runtime.client_id, err)

    @callback
    def _set_app_missing(self, missing: bool) -> None:
        if missing == self.app_missing:
            if missing:
                self.app_poll_interval = min(
                    self.app_poll_interval * 2, APP_POLL_MAX_INTERVAL
                )
            return
        self.app_missing = missing
        if missing:
            # Many gateways run without that app: information, said once.
            _LOGGER.log(
                logging.DEBUG if self._app_missing_logged else logging.INFO,
                "%s: the gateway does not answer Wi-Fi mode requests (is its "
                "WiFiControl app running?); the Wi-Fi mode selects are "
                "unavailable until it does",
                self._runtime.client_id,
            )
            self._app_missing_logged = True
            self.app_poll_interval = min(
                self.app_poll_interval * 2, APP_POLL_MAX_INTERVAL
            )
        else:
            _LOGGER.info(
                "%s: Wi-Fi mode requests answered again", self._runtime.client_id
            )
            self.app_poll_interval = APP_POLL_INTERVAL
        self._runtime.async_notify(groups=("app",))

    @callback
    def async_start_app_poll(self) -> None:
        """Read the Wi-Fi modes every 5 minutes (longer while they are missing)."""
        if self._app_poll is None and not self._closed:
            self._arm_app_poll()

    @callback
    def _arm_app_poll(self) -> None:
        self._app_poll = async_call_later(
            self._runtime.hass, self.app_poll_interval, self._app_poll_due
        )

    @callback
    def _app_poll_due(self, _now: Any) -> None:
        self._app_poll = None
        self._runtime.entry.async_create_background_task(
            self._runtime.hass,
            self._async_poll(),
            f"flexapi {self._runtime.client_id} app poll",
        )

    async def _async_poll(self) -> None:
        """One read, then the next one after the (possibly longer) interval."""
        await self._async_quiet_read()
        if not self._closed:
            self._arm_app_poll()
