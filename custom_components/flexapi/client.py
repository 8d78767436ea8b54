"""MQTT transport of one FlexAPI device, through Home Assistant's MQTT only.

Requests carry a unique ``client_token`` and are matched to responses by it
(or, for the bare responses of §3.3.10, to the oldest pending request on the
same response topic). Requests go through two FIFO lanes that keep the §2.3
spacing: 1 s between settings/refresh/get requests and 5 s between io
control requests. Waiting requests with the same merge key are merged, never
dropped. Each request has a deadline from the moment it is made: one still
waiting then fails, and is never sent; a full lane refuses a request at once
(:class:`RequestLane`). The errors whose handling is "retry request" (§2.1.2) are retried
a few times, each time with a new token. Once stopped, the client fails
every request at once and publishes nothing more.

The devices of one topic prefix share one set of wildcard subscriptions
(:class:`SharedSubscription`), made when the first entry of the prefix
starts and removed when the last one stops. HA's MQTT client tries every
wildcard filter on each message it has not cached, so a filter set per
device would make every message cost more as the fleet grows; here a
message is matched against three filters per prefix and handed to its
device's client through a dict keyed by the client_id level.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
import logging
import math
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.hass_dict import HassKey

from . import const, logmask
from .compat import on_subscribe_done
from .const import (
    MAX_QUEUED_REQUESTS,
    REQUEST_QUEUE_TIMEOUT,
    REQUEST_RETRIES,
    REQUEST_TIMEOUT,
    SPACING_MARGIN,
)
from .protocol import messages as msgs
from .protocol.errors import (
    RETRYABLE_CODES,
    FlexApiError,
    FlexApiNotConnectedError,
    FlexApiNotSentError,
    FlexApiQueueFullError,
    FlexApiResponseError,
    FlexApiStoppedError,
    FlexApiTimeoutError,
    FlexApiUnknownOutcomeError,
)
from .protocol.limits import MIN_IO_CONTROL_SPACING, MIN_REQUEST_SPACING
from .protocol.topics import RESPONSE_KINDS, TopicKind, Topics, remember

_LOGGER = logging.getLogger(__name__)
#: QoS of the device's subscriptions.
_QOS = 1

type DataCallback = Callable[[str | None, Mapping[str, Any]], object]
type EventCallback = Callable[[msgs.FlexEvent], None]
type MessageHandler = Callable[[ReceiveMessage], None]

#: Topic prefix -> the subscriptions its devices share.
DATA_SHARED: HassKey[dict[str, SharedSubscription]] = HassKey(
    f"{const.DOMAIN}_subscriptions"
)


class SharedSubscription:
    """The wildcard subscriptions of one topic prefix, shared by its devices.

    Made by the first device of the prefix to start, removed when the last
    one stops. Each message goes to the handlers of its client_id level
    (one dict lookup); messages of devices that are not set up reach
    nothing.
    """

    def __init__(self, hass: HomeAssistant, topics: Topics) -> None:
        """Create the (not yet subscribed) subscriptions of ``topics.prefix``."""
        self.hass = hass
        self.prefix = topics.prefix
        self.filters = topics.subscriptions
        self._offset = topics.dispatch_offset
        #: client_id -> handlers (one, unless entries share a client_id).
        self.handlers: dict[str, list[MessageHandler]] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []
        #: Done once subscribed (and, where HA tells, acknowledged).
        self.ready: asyncio.Future[None] = hass.loop.create_future()
        #: Loop time of the SUBSCRIBE, for the settle of later devices.
        self.subscribed_at = 0.0
        #: The wait for HA's re-subscription after the latest reconnect.
        self._resubscribed: asyncio.Task[None] | None = None
        #: HA's MQTT debug lines about the prefix hide gateways' personal data.
        self._unwatch = logmask.watch_prefix(self.prefix)

    @classmethod
    async def async_attach(
        cls, hass: HomeAssistant, topics: Topics, handler: MessageHandler
    ) -> Callable[[], None]:
        """Route the messages of ``topics.client_id`` to ``handler``.

        Returns the callback that detaches it again (idempotent).
        """
        shared = hass.data.setdefault(DATA_SHARED, {})
        while True:
            if (subscription := shared.get(topics.prefix)) is None:
                subscription = shared[topics.prefix] = cls(hass, topics)
                try:
                    await subscription._async_subscribe()
                except BaseException:
                    subscription._close()
                    subscription.ready.cancel()  # its waiters try again
                    raise
                break
            try:
                await asyncio.shield(subscription.ready)
            except asyncio.CancelledError:
                if not subscription.ready.cancelled():
                    raise  # this start was cancelled
                continue  # the first device's SUBSCRIBE failed: try ourselves
            break
        subscription.handlers.setdefault(topics.client_id, []).append(handler)
        return partial(subscription._detach, topics.client_id, handler)

    async def _async_subscribe(self) -> None:
        for topic in self.filters:
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass, topic, self._handle_message, qos=_QOS, encoding=None
                )
            )
        self.subscribed_at = self.hass.loop.time()
        if const.SUBSCRIBE_SETTLE and (hook := on_subscribe_done()) is not None:
            await self._async_live(hook)
        self.ready.set_result(None)

    async def _async_live(
        self, on_subscribe_done: Callable[..., CALLBACK_TYPE]
    ) -> None:
        """Wait until the broker acknowledged every filter, or time out."""
        waiting = set(self.filters)
        live = self.hass.loop.create_future()

        @callback
        def _acknowledged(topic: str) -> None:
            waiting.discard(topic)
            if not waiting and not live.done():
                live.set_result(None)

        stops = [
            on_subscribe_done(self.hass, topic, _QOS, partial(_acknowledged, topic))
            for topic in sorted(waiting)
        ]
        try:
            async with asyncio.timeout(const.SUBSCRIBE_DONE_TIMEOUT):
                await live
        except TimeoutError:
            _LOGGER.debug(
                "%ssubscriptions not acknowledged within %g s; requesting anyway",
                self.prefix,
                const.SUBSCRIBE_DONE_TIMEOUT,
            )
        finally:
            for stop in stops:
                stop()

    @callback
    def async_resubscribed(
        self, on_subscribe_done: Callable[..., CALLBACK_TYPE]
    ) -> asyncio.Task[None]:
        """Done once HA has subscribed again after a reconnect (or timed out).

        Call it with ``mqtt.async_on_subscribe_done`` when HA reports the
        connection is back. HA queues its re-subscriptions right after
        telling, so the acknowledgements are awaited from the next loop
        turn; until then the hook would report the old subscriptions as
        live. The devices of the prefix share one wait.
        """
        if self._resubscribed is None or self._resubscribed.done():
            self._resubscribed = self.hass.async_create_background_task(
                self._async_resubscribed(on_subscribe_done),
                f"flexapi {self.prefix}resubscribe",
            )
        return self._resubscribed

    async def _async_resubscribed(
        self, on_subscribe_done: Callable[..., CALLBACK_TYPE]
    ) -> None:
        await asyncio.sleep(0)
        await self._async_live(on_subscribe_done)

    @callback
    def _handle_message(self, msg: ReceiveMessage) -> None:
        topic = msg.topic
        end = topic.find("/", self._offset)
        handlers = self.handlers.get(topic[self._offset : end])
        if handlers is None:
            return
        for handler in handlers:
            handler(msg)

    @callback
    def _detach(self, client_id: str, handler: MessageHandler) -> None:
        handlers = self.handlers.get(client_id)
        if handlers is None or handler not in handlers:
            return
        handlers.remove(handler)
        if not handlers:
            del self.handlers[client_id]
        if not self.handlers:
            self._close()

    @callback
    def _close(self) -> None:
        """Unsubscribe and forget this prefix's subscriptions."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._resubscribed is not None:
            self._resubscribed.cancel()
        self._unwatch()
        shared = self.hass.data.get(DATA_SHARED, {})
        if shared.get(self.prefix) is self:
            del shared[self.prefix]


@dataclass(slots=True, eq=False)
class _Job:
    topic: str
    payload: dict[str, Any]
    merge_key: str | None
    #: One future per caller: merged callers each await their own, so one
    #: caller giving up never cancels the others.
    futures: list[asyncio.Future[Any]]
    retries: int = REQUEST_RETRIES
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)
    #: Each caller's own payload, in the order of ``futures``: a merged
    #: request carries only the wishes of the callers still waiting.
    wishes: list[dict[str, Any]] = field(default_factory=list, repr=False)
    #: The callers' queue deadlines; cancelled once the request is sent.
    deadlines: list[asyncio.TimerHandle] = field(default_factory=list, repr=False)
    #: On the wire (or being put there): no longer the queue's to abandon.
    sent: bool = False

    @property
    def abandoned(self) -> bool:
        """Every caller has given up (or been answered)."""
        return all(future.done() for future in self.futures)

    def resolve(self, *, result: Any = None, error: Exception | None = None) -> None:
        """Answer every caller still waiting."""
        self.cancel_deadlines()
        for future in self.futures:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def cancel_deadlines(self) -> None:
        """The queue deadlines no longer apply (sent or answered)."""
        for handle in self.deadlines:
            handle.cancel()
        self.deadlines.clear()

    def live_payload(self) -> dict[str, Any]:
        """The payload of the callers still waiting (merged, last wish wins)."""
        if len(self.wishes) != len(self.futures) or not any(
            future.done() for future in self.futures
        ):
            return self.payload
        payload: dict[str, Any] = {msgs.TOKEN_KEY: self.token}
        for future, wish in zip(self.futures, self.wishes, strict=True):
            if not future.done():
                payload.update(wish)
        payload[msgs.TOKEN_KEY] = self.token
        return payload

    @property
    def token(self) -> str:
        return str(self.payload[msgs.TOKEN_KEY])

    @property
    def response_topic(self) -> str:
        return Topics.response(self.topic)


class RequestLane:
    """A FIFO queue that puts at most one request on the wire per spacing.

    Every caller has a deadline from the moment it calls: still waiting in
    the queue ``deadline`` seconds later, it fails with
    :class:`FlexApiNotSentError` and its wish is never sent (a merged request
    goes out with the wishes of the callers still waiting, or not at all).
    The lane holds at most ``limit`` waiting requests: no more than can go
    out before the deadline at its pace, and at most ``MAX_QUEUED_REQUESTS``.
    One more fails at once with :class:`FlexApiQueueFullError`.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        name: str,
        spacing: float,
        send: Callable[[_Job], Any],
        *,
        deadline: float = REQUEST_QUEUE_TIMEOUT,
        limit: int = MAX_QUEUED_REQUESTS,
    ) -> None:
        """Create an idle lane."""
        self._hass = hass
        self.name = name
        self.spacing = spacing
        self.deadline = deadline
        #: What can go out before the deadline at this lane's pace.
        self.limit = max(1, min(limit, int(deadline // spacing)))
        self._send = send
        self._queue: deque[_Job] = deque()
        self._last_sent = -math.inf
        self._not_before = -math.inf
        self._task: asyncio.Task[None] | None = None
        #: Set while the lane waits for its next send; :meth:`release` wakes it.
        self._wake: asyncio.Future[None] | None = None
        #: Set by :meth:`shutdown`: every later job fails with it at once.
        self._closed: Exception | None = None

    def __len__(self) -> int:
        """Number of requests waiting."""
        return len(self._queue)

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now."""
        self._not_before = self._hass.loop.time() + seconds

    def release(self) -> None:
        """End a hold now; waiting requests go out as the spacing allows."""
        self._not_before = -math.inf
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def submit(self, job: _Job, *, front: bool = False) -> asyncio.Future[Any]:
        """Queue a job, merging it into a waiting one with the same key.

        A new job (``front=False``) has one caller, whose queue deadline
        starts now; a full lane refuses it at once. ``front`` puts a retry of
        a request already sent back at the head: it keeps its place
        whatever the lane holds. After :meth:`shutdown` the job fails at
        once and nothing is started.
        """
        if self._closed is not None:
            job.resolve(error=self._closed)
            return job.futures[0]
        if front:
            job.sent = False
            self._queue.appendleft(job)
        else:
            future = job.futures[0]
            if not job.wishes:
                job.wishes.append(dict(job.payload))
            if job.merge_key is not None:
                for waiting in self._queue:
                    if waiting.merge_key == job.merge_key and not waiting.sent:
                        token = waiting.payload[msgs.TOKEN_KEY]
                        waiting.payload.update(job.payload)
                        waiting.payload[msgs.TOKEN_KEY] = token
                        waiting.futures.append(future)
                        waiting.wishes.extend(job.wishes)
                        self._watch(waiting, future)
                        return future
            if len(self._queue) >= self.limit:
                _LOGGER.warning(
                    "%s lane: %d requests already waiting; refusing %s",
                    self.name,
                    len(self._queue),
                    job.topic,
                )
                job.resolve(error=FlexApiQueueFullError(self.limit))
                return future
            self._queue.append(job)
            self._watch(job, future)
        if self._task is None:
            task = self._hass.async_create_background_task(
                self._run(), f"flexapi request lane {self.name}"
            )
            # The task starts eagerly: a send that never suspends (a publish
            # failing at once) lets it finish here already. Keeping a
            # finished task would stall every later request.
            if not task.done():
                self._task = task
        return job.futures[0]

    def _watch(self, job: _Job, future: asyncio.Future[Any]) -> None:
        """Start a caller's queue deadline; forget the job once all gave up."""
        job.deadlines.append(
            self._hass.loop.call_later(self.deadline, self._expire, job, future)
        )
        future.add_done_callback(partial(self._caller_done, job))

    def _expire(self, job: _Job, future: asyncio.Future[Any]) -> None:
        """A caller's deadline passed while its request waited: never send it."""
        if job.sent or future.done():
            return
        _LOGGER.debug(
            "%s lane: %s waited %g s; abandoned unsent",
            self.name,
            job.topic,
            self.deadline,
        )
        future.set_exception(FlexApiNotSentError(self.deadline))

    def _caller_done(self, job: _Job, _future: asyncio.Future[Any]) -> None:
        """A waiting job whose every caller gave up leaves the queue."""
        if job.sent or not job.abandoned:
            return
        job.cancel_deadlines()
        if job in self._queue:
            self._queue.remove(job)

    async def _run(self) -> None:
        loop = self._hass.loop
        try:
            while self._queue:
                delay = (
                    max(self._last_sent + self.spacing, self._not_before) - loop.time()
                )
                if delay > 0:
                    await self._sleep(delay)
                    continue  # a hold may have ended or grown meanwhile
                job = self._queue.popleft()
                if job.abandoned:
                    continue
                job.sent = True
                job.cancel_deadlines()
                job.payload = job.live_payload()
                self._last_sent = loop.time()
                try:
                    await self._send(job)
                except Exception as err:  # one job fails, not the lane
                    # A failing send (a bug) fails its own job only: the
                    # requests behind it still go out.
                    _LOGGER.exception("Sending %s failed", job.topic)
                    job.resolve(error=FlexApiError(f"sending failed: {err!r}"))
        finally:
            self._task = None

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or until :meth:`release`."""
        wake = self._wake = self._hass.loop.create_future()
        timer = self._hass.loop.call_later(delay, _wake_up, wake)
        try:
            await wake
        finally:
            timer.cancel()
            self._wake = None

    def shutdown(self, error: Exception) -> None:
        """Stop the lane for good and fail every waiting request."""
        self._closed = error
        if self._task is not None:
            self._task.cancel()
            self._task = None
        while self._queue:
            self._queue.popleft().resolve(error=error)


def _wake_up(wake: asyncio.Future[None]) -> None:
    if not wake.done():
        wake.set_result(None)


def _nothing() -> None:
    """Detach before attaching: nothing to do."""


class FlexApiClient:
    """Subscriptions, request/response matching and spacing for one device."""

    def __init__(
        self,
        hass: HomeAssistant,
        topics: Topics,
        *,
        on_data: DataCallback | None = None,
        on_info: DataCallback | None = None,
        on_repeat: Callable[[str], object] | None = None,
        on_event: EventCallback | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """Create a client; call :meth:`async_start` to subscribe."""
        self.hass = hass
        self.topics = topics
        #: Data from refresh responses (and timed uploads unless ``on_info``).
        self._on_data = on_data
        #: Data from timed uploads (``{group}/info``).
        self._on_info = on_info or on_data
        #: A timed upload byte-identical to the previous one on its topic
        #: (userdata, custom groups without a timestamp): no decode, no ingest.
        self._on_repeat = on_repeat
        #: info topic -> its last payload (at most MAX_TOPIC_GROUPS topics).
        self._last_info: dict[str, bytes | bytearray | str] = {}
        self._on_event = on_event
        self.timeout = timeout
        self._pending: dict[str, _Job] = {}
        self._stopped = False
        #: Detaches the device from its prefix's shared subscriptions.
        self._detach: Callable[[], None] = _nothing
        self.lanes = {
            "request": RequestLane(
                hass, "request", MIN_REQUEST_SPACING + SPACING_MARGIN, self._send
            ),
            "io": RequestLane(
                hass, "io", MIN_IO_CONTROL_SPACING + SPACING_MARGIN, self._send
            ),
        }

    # -- lifecycle ----------------------------------------------------------

    async def async_start(self) -> None:
        """Receive the device's info, response and event topics.

        The subscriptions are shared by the devices of the prefix (see
        :class:`SharedSubscription`). A response published before the broker
        has them is lost, so the first request waits for them: where Home
        Assistant tells when a subscription is live
        (``mqtt.async_on_subscribe_done``, 2025.12+), this returns once
        every one is; on older releases the request lanes hold until the
        fixed settle time after the SUBSCRIBE has passed.
        """
        self._detach = await SharedSubscription.async_attach(
            self.hass, self.topics, self._handle_message
        )
        if self._stopped:  # stopped while waiting for the subscriptions
            self._detach()
            return
        if not (settle := const.SUBSCRIBE_SETTLE):
            return
        if on_subscribe_done() is not None:
            return
        shared = self.hass.data[DATA_SHARED][self.topics.prefix]
        remaining = shared.subscribed_at + settle - self.hass.loop.time()
        if remaining > 0:
            for lane in self.lanes.values():
                lane.hold(remaining)

    @callback
    def async_hold_until_resubscribed(self) -> None:
        """MQTT is back: send nothing before HA has subscribed again.

        HA re-subscribes after a short debounce, and a response published
        before the broker has the subscriptions is lost. Where HA tells when
        a subscription is done (``mqtt.async_on_subscribe_done``, 2025.12+),
        the lanes hold until the broker has acknowledged the prefix's
        subscriptions (at most ``SUBSCRIBE_DONE_TIMEOUT``); on older
        releases for the fixed settle time.
        """
        if not (settle := const.SUBSCRIBE_SETTLE):
            return
        shared = self.hass.data.get(DATA_SHARED, {}).get(self.topics.prefix)
        hook = on_subscribe_done()
        if shared is None or hook is None:
            for lane in self.lanes.values():
                lane.hold(settle)
            return
        for lane in self.lanes.values():
            lane.hold(const.SUBSCRIBE_DONE_TIMEOUT)
        shared.async_resubscribed(hook).add_done_callback(self._release_lanes)

    def _release_lanes(self, _done: object) -> None:
        for lane in self.lanes.values():
            lane.release()

    @callback
    def async_stop(self) -> None:
        """Unsubscribe, stop the lanes and fail pending requests, for good.

        Requests waiting, on the wire or made later fail at once with
        :class:`FlexApiStoppedError`; nothing more is published.
        """
        self._stopped = True
        self._detach()
        error = FlexApiStoppedError()
        for lane in self.lanes.values():
            lane.shutdown(error)
        for job in self._pending.values():
            if job.timer is not None:
                job.timer.cancel()
            job.resolve(error=error)
        self._pending.clear()

    # -- requests -----------------------------------------------------------

    async def async_request(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        lane: str = "request",
        merge_key: str | None = None,
    ) -> Any:
        """Queue a request (payload with its token) and await its result.

        Raises :class:`FlexApiResponseError` when the device answers an error,
        :class:`FlexApiTimeoutError` when it does not answer in time (sent:
        the outcome is unknown), :class:`FlexApiNotSentError` when the
        request waited in its lane past its deadline (never sent),
        :class:`FlexApiQueueFullError` when its lane is full (not queued),
        :class:`FlexApiNotConnectedError` when MQTT was not connected at its
        turn (not sent) and :class:`FlexApiStoppedError` once the client is
        stopped.
        """
        if self._stopped:
            raise FlexApiStoppedError
        job = _Job(topic, payload, merge_key, [self.hass.loop.create_future()])
        return await self.lanes[lane].submit(job)

    async def _send(self, job: _Job) -> None:
        if not mqtt.is_connected(self.hass):
            # paho would queue a QoS 1 publish and send it after reconnecting,
            # long after the caller was told it failed: refuse it instead.
            job.resolve(
                error=FlexApiNotConnectedError(
                    f"MQTT is not connected; {job.topic} was not sent"
                )
            )
            return
        token = job.token
        self._pending[token] = job
        job.timer = self.hass.loop.call_later(self.timeout, self._expire, token)
        _LOGGER.debug(
            "%s: sending %s token %s", self.topics.client_id, job.topic, token
        )
        try:
            await mqtt.async_publish(
                self.hass, job.topic, msgs.encode(job.payload), qos=1, retain=False
            )
        except HomeAssistantError as err:
            # Paho keeps a QoS 1 publish it could not send and sends it after
            # reconnecting: the request may still reach the gateway.
            self._finish(
                token,
                error=FlexApiUnknownOutcomeError(
                    f"MQTT publish failed: {err}; it may still be sent"
                ),
            )
        except Exception as err:  # a bug: fail this request only
            _LOGGER.exception("%s: sending %s failed", self.topics.client_id, job.topic)
            self._finish(token, error=FlexApiError(f"sending failed: {err!r}"))

    @callback
    def _expire(self, token: str) -> None:
        self._finish(
            token,
            error=FlexApiTimeoutError(
                f"no response from {self.topics.client_id} within {self.timeout:g} s",
                self.timeout,
            ),
        )

    def _finish(
        self, token: str, *, result: Any = None, error: Exception | None = None
    ) -> _Job | None:
        job = self._pending.pop(token, None)
        if job is None:
            return None
        if job.timer is not None:
            job.timer.cancel()
        job.resolve(result=result, error=error)
        return job

    # -- incoming -----------------------------------------------------------

    @callback
    def forget_repeats(self) -> None:
        """Decode every upload again (aliases changed: same bytes, new keys)."""
        self._last_info.clear()

    @callback
    def _handle_message(self, msg: ReceiveMessage) -> None:
        parsed = self.topics.parse(msg.topic)
        if parsed is None:
            return
        if parsed.kind is TopicKind.INFO and self._on_repeat is not None:
            if self._last_info.get(msg.topic) == msg.payload:
                self._on_repeat(parsed.group or "")
                return
            remember(self._last_info, msg.topic, msg.payload)
        obj = msgs.decode_object(msg.payload)
        if obj is None:
            _LOGGER.debug("Dropping non-JSON-object payload on %s", msg.topic)
            return
        if parsed.kind is TopicKind.INFO:
            if self._on_info is not None:
                self._on_info(parsed.group, obj)
        elif parsed.kind in RESPONSE_KINDS:
            self._handle_response(msg.topic, parsed.kind, parsed.group, obj)
        elif parsed.kind is TopicKind.EVENT_NOTICE:
            if (event := msgs.parse_event(obj)) is None:
                # Keys only: an event body can carry a position.
                _LOGGER.debug(
                    "Dropping malformed event on %s (keys %s)", msg.topic, sorted(obj)
                )
            elif self._on_event is not None:
                self._on_event(event)

    def _handle_response(
        self, topic: str, kind: TopicKind, group: str | None, obj: dict[str, Any]
    ) -> None:
        response = msgs.parse_response(obj)
        if response is None:
            _LOGGER.debug("Dropping malformed response on %s", topic)
            return
        token = response.token
        if token is None:
            # A bare response: the oldest pending request on this topic.
            token = next(
                (t for t, job in self._pending.items() if job.response_topic == topic),
                None,
            )
        job = self._pending.get(token) if token is not None else None
        if token is None or job is None or job.response_topic != topic:
            _LOGGER.debug("Ignoring response with unknown token on %s", topic)
            return
        if response.error in RETRYABLE_CODES and job.retries > 0:
            self._pending.pop(token)
            if job.timer is not None:
                job.timer.cancel()
            job.retries -= 1
            # A new token: a late answer to this attempt must not resolve
            # the retry (it matches nothing and is ignored).
            job.payload[msgs.TOKEN_KEY] = msgs.new_token()
            lane = "io" if kind is TopicKind.IO_CONTROL_RESP else "request"
            _LOGGER.debug(
                "%s answered %s; retrying %s",
                self.topics.client_id,
                response.error,
                job.topic,
            )
            self.lanes[lane].submit(job, front=True)
            return
        if not response.ok:
            self._finish(
                token,
                error=FlexApiResponseError(
                    response.error or "device_error", response.error_desc
                ),
            )
            return
        if (
            kind is TopicKind.REFRESH_RESP
            and isinstance(response.result, dict)
            and self._on_data is not None
        ):
            self._on_data(group, response.result)
        self._finish(token, result=response.result)
