"""Home Assistant's MQTT debug lines show no gateway identity or position.

With debug logging on for ``homeassistant.components.mqtt``, HA's MQTT
client logs every payload it receives and sends ("Received message on …",
"Transmitting message on …"): a gateway's IMEI, IMSI, ICCID, phone number,
position and userdata values would be in the log. While a FlexAPI entry is
loaded, a filter on that one logger masks them in the debug records about
topics under the entries' prefixes (``{prefix}v1/…``), with
:func:`.protocol.redact.mask_payload`; other records pass untouched.

It costs nothing while debug logging is off: a logger makes no record for a
level it is not enabled for, so the filter is never called. The filter is
added when the first prefix is watched and removed with the last one (when
the last entry unloads).
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any, Final

from .protocol.redact import mask_payload
from .protocol.topics import API_VERSION

#: HA's MQTT client: the logger of its "Received/Transmitting message" lines.
MQTT_CLIENT_LOGGER: Final = "homeassistant.components.mqtt.client"


class GatewayPayloadFilter(logging.Filter):
    """Mask personal values in HA's MQTT debug records about our topics."""

    def __init__(self) -> None:
        """Watch no prefix yet."""
        super().__init__("flexapi-gateway-payloads")
        #: Topic root (``{prefix}v1/``) -> number of watchers.
        self.roots: dict[str, int] = {}
        self._starts: tuple[str, ...] = ()

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the payload arguments of a debug record on one of our topics."""
        args = record.args
        if record.levelno != logging.DEBUG or not isinstance(args, tuple):
            return True
        starts = self._starts
        for arg in args:
            if isinstance(arg, str) and arg.startswith(starts):
                topic = arg
                break
        else:
            return True
        record.args = tuple(arg if arg is topic else _masked(arg) for arg in args)
        return True

    def watch(self, root: str) -> None:
        """Mask the records of topics under ``root``."""
        self.roots[root] = self.roots.get(root, 0) + 1
        self._starts = tuple(self.roots)

    def unwatch(self, root: str) -> None:
        """Stop one watch of ``root``."""
        count = self.roots.pop(root, 0) - 1
        if count > 0:
            self.roots[root] = count
        self._starts = tuple(self.roots)


def _masked(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "replace")
        masked = mask_payload(text)
        return masked if masked != text else value
    if isinstance(value, str):
        return mask_payload(value)
    return value


FILTER: Final = GatewayPayloadFilter()


def watch_prefix(prefix: str) -> Callable[[], None]:
    """Mask HA's MQTT debug lines about ``prefix``; return the undo (idempotent)."""
    root = f"{prefix}{API_VERSION}/"
    logger = logging.getLogger(MQTT_CLIENT_LOGGER)
    if not FILTER.roots:
        logger.addFilter(FILTER)
    FILTER.watch(root)
    done = False

    def _unwatch() -> None:
        nonlocal done
        if done:
            return
        done = True
        FILTER.unwatch(root)
        if not FILTER.roots:
            logger.removeFilter(FILTER)

    return _unwatch
