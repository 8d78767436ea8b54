"""FlexAPI MQTT topics: builders, parsers and name validation.

Topics follow §2.2 of the FlexAPI reference: ``{prefix}v1/{client_id}/...``.
The optional prefix is the device's "Custom Topic Prefix" (§1.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import unicodedata

from .errors import FlexApiValueError
from .limits import MAX_CLIENT_ID_BYTES, MAX_CUSTOM_GROUPS

API_VERSION = "v1"

#: Groups uploaded on a timer (``{group}/info``) and settable (``{group}/set``).
RESERVED_GROUPS: tuple[str, ...] = (
    "summary",
    "gnss",
    "obd",
    "motion",
    "io",
    "cellular1",
    "userdata",
    "1-wire",
)
#: Groups that answer ``{group}/refresh``.
REFRESH_GROUPS: tuple[str, ...] = (*RESERVED_GROUPS, "sysinfo", "app")
#: Topic level names a custom group may not take.
RESERVED_NAMES: frozenset[str] = frozenset(
    {*REFRESH_GROUPS, "group", "event", "forward"}
)
#: How many topic groups a per-topic table (repeat detection, resolution
#: caches, upload timing) tracks: the reserved groups, forward and the
#: device's custom groups fit several times over. A gateway app (or a broker
#: user) publishing on ever new topics only evicts the oldest entries.
MAX_TOPIC_GROUPS = 4 * (len(RESERVED_GROUPS) + 1 + MAX_CUSTOM_GROUPS)
#: Default upload interval in seconds (§3.2, §2.3 notes).
DEFAULT_INTERVALS: dict[str, int] = {
    group: (30 if group == "cellular1" else 10) for group in RESERVED_GROUPS
}


class TopicKind(StrEnum):
    """What a topic carries."""

    INFO = "info"
    SET = "set"
    SET_RESP = "set_resp"
    REFRESH = "refresh"
    REFRESH_RESP = "refresh_resp"
    GROUP_SET = "group_set"
    GROUP_SET_RESP = "group_set_resp"
    GROUP_GET = "group_get"
    GROUP_GET_RESP = "group_get_resp"
    IO_CONTROL = "io_control"
    IO_CONTROL_RESP = "io_control_resp"
    APP_CONTROL = "app_control"
    APP_CONTROL_RESP = "app_control_resp"
    EVENT_NOTICE = "event_notice"


RESPONSE_KINDS = frozenset(
    {
        TopicKind.SET_RESP,
        TopicKind.REFRESH_RESP,
        TopicKind.GROUP_SET_RESP,
        TopicKind.GROUP_GET_RESP,
        TopicKind.IO_CONTROL_RESP,
        TopicKind.APP_CONTROL_RESP,
    }
)

# Fixed suffixes (after ``v1/{client_id}/``) that are not ``{group}/...``.
_FIXED: dict[str, TopicKind] = {
    "group/set": TopicKind.GROUP_SET,
    "group/set/resp": TopicKind.GROUP_SET_RESP,
    "group/get": TopicKind.GROUP_GET,
    "group/get/resp": TopicKind.GROUP_GET_RESP,
    "io/control": TopicKind.IO_CONTROL,
    "io/control/resp": TopicKind.IO_CONTROL_RESP,
    "app/control": TopicKind.APP_CONTROL,
    "app/control/resp": TopicKind.APP_CONTROL_RESP,
    "event/notice": TopicKind.EVENT_NOTICE,
}
_BY_TAIL: dict[str, TopicKind] = {
    "info": TopicKind.INFO,
    "set": TopicKind.SET,
    "set/resp": TopicKind.SET_RESP,
    "refresh": TopicKind.REFRESH,
    "refresh/resp": TopicKind.REFRESH_RESP,
}


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    """A topic split into its parts. ``group`` is ``None`` for fixed topics."""

    kind: TopicKind
    group: str | None = None


def unprintable(text: str) -> bool:
    """Whether ``text`` holds a control character or a lone surrogate."""
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in text)


def _check_text(value: str, what: str) -> None:
    if any(char in value for char in "+#/"):
        raise FlexApiValueError(f"{what} must not contain '+', '#' or '/'")
    if unprintable(value):
        raise FlexApiValueError(
            f"{what} must not contain control characters or lone surrogates"
        )


def validate_client_id(value: str) -> str:
    """Return ``value`` if it is a valid client_id, else raise.

    1-128 UTF-8 bytes (§2.3) with no MQTT wildcard, level separator or
    control character: this is what keeps a client_id from injecting topics.
    """
    if not isinstance(value, str) or not value:
        raise FlexApiValueError("client_id must be a non-empty string")
    _check_text(value, "client_id")
    if len(value.encode()) > MAX_CLIENT_ID_BYTES:
        raise FlexApiValueError(
            f"client_id must be at most {MAX_CLIENT_ID_BYTES} UTF-8 bytes"
        )
    return value


def validate_group_name(value: str) -> str:
    """Return ``value`` if it is a valid custom group name, else raise."""
    if not isinstance(value, str) or not value:
        raise FlexApiValueError("group name must be a non-empty string")
    _check_text(value, "group name")
    if len(value.encode()) > MAX_CLIENT_ID_BYTES:
        raise FlexApiValueError(
            f"group name must be at most {MAX_CLIENT_ID_BYTES} UTF-8 bytes"
        )
    if value in RESERVED_NAMES:
        raise FlexApiValueError(f"'{value}' is a reserved group name")
    return value


def normalize_prefix(value: str | None) -> str:
    """Normalise a custom topic prefix: empty, or ending in exactly one '/'.

    The prefix may span several levels (``fleet/site1``) but holds no
    wildcard, no empty level and no control character.
    """
    if value is None:
        return ""
    value = value.strip().strip("/")
    if not value:
        return ""
    for level in value.split("/"):
        if not level:
            raise FlexApiValueError("topic prefix must not contain empty levels")
        _check_text(level, "topic prefix")
    if len(value.encode()) > 256:
        raise FlexApiValueError("topic prefix must be at most 256 UTF-8 bytes")
    return value + "/"


_GROUP_LEVELS = frozenset({*REFRESH_GROUPS, "forward"})


def _group_level(group: str) -> str:
    """A reserved group, or a custom group name validated as one topic level."""
    return group if group in _GROUP_LEVELS else validate_group_name(group)


@dataclass(frozen=True, slots=True)
class Topics:
    """Every topic of one device."""

    client_id: str
    prefix: str = ""
    base: str = field(init=False)

    def __post_init__(self) -> None:
        """Validate and precompute the base ``{prefix}v1/{client_id}/``."""
        validate_client_id(self.client_id)
        object.__setattr__(self, "prefix", normalize_prefix(self.prefix))
        object.__setattr__(
            self, "base", f"{self.prefix}{API_VERSION}/{self.client_id}/"
        )

    def info(self, group: str) -> str:
        """Timer-triggered data of a reserved or custom group."""
        return f"{self.base}{_group_level(group)}/info"

    def set(self, group: str) -> str:
        """Group settings request (§3.2)."""
        return f"{self.base}{_group_level(group)}/set"

    def refresh(self, group: str) -> str:
        """On-demand data request (§3.3, §4.3)."""
        return f"{self.base}{_group_level(group)}/refresh"

    @property
    def group_set(self) -> str:
        """Create, update or remove custom groups (§4.1.1, §4.1.3)."""
        return f"{self.base}group/set"

    @property
    def group_get(self) -> str:
        """Get custom group settings (§4.1.2)."""
        return f"{self.base}group/get"

    @property
    def io_control(self) -> str:
        """Digital output control (§3.4.1)."""
        return f"{self.base}io/control"

    @property
    def app_control(self) -> str:
        """APP control (§3.4.2)."""
        return f"{self.base}app/control"

    @property
    def event_notice(self) -> str:
        """Event service (rev 1.0.9)."""
        return f"{self.base}event/notice"

    @property
    def forward_info(self) -> str:
        """Forward group (rev 1.0.9)."""
        return self.info("forward")

    @staticmethod
    def response(request_topic: str) -> str:
        """Response topic of a request topic."""
        return f"{request_topic}/resp"

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The filters that cover everything a device publishes.

        They cover every device under the same prefix: the entries of one
        prefix share them (one subscription each, not one per device), and
        a message is dispatched by its client_id level.
        """
        return prefix_subscriptions(self.prefix)

    @property
    def dispatch_offset(self) -> int:
        """Where the client_id level starts in this device's topics."""
        return len(self.prefix) + len(API_VERSION) + 1

    def parse(self, topic: str) -> ParsedTopic | None:
        """Parse a topic of this device; ``None`` if it is not one."""
        if not topic.startswith(self.base):
            return None
        return parse_suffix(topic[len(self.base) :])


def prefix_subscriptions(prefix: str) -> tuple[str, ...]:
    """The three filters that cover what every device under ``prefix`` publishes.

    ``prefix`` is normalised (see :func:`normalize_prefix`).
    """
    base = f"{prefix}{API_VERSION}/+/"
    return (f"{base}+/info", f"{base}+/+/resp", f"{base}event/notice")


def remember[K, V](
    table: dict[K, V], key: K, value: V, limit: int = MAX_TOPIC_GROUPS
) -> None:
    """``table[key] = value``, first evicting the oldest key if ``table`` is full.

    Keeps a table keyed by what arrives (topics, topic groups) bounded.
    """
    if key not in table and len(table) >= limit:
        del table[next(iter(table))]
    table[key] = value


def parse_suffix(suffix: str) -> ParsedTopic | None:
    """Parse the part of a topic after ``v1/{client_id}/``."""
    if (kind := _FIXED.get(suffix)) is not None:
        return ParsedTopic(kind)
    group, sep, tail = suffix.partition("/")
    if not sep or not group or (kind := _BY_TAIL.get(tail)) is None:
        return None
    return ParsedTopic(kind, group)


def split_topic(topic: str) -> tuple[str, str, ParsedTopic] | None:
    """Split any FlexAPI topic into ``(prefix, client_id, parsed)``.

    The prefix is everything before the ``v1`` level whose following levels
    form a known FlexAPI suffix. Used by discovery, where the client_id is
    not known in advance.
    """
    levels = topic.split("/")
    for index, level in enumerate(levels[:-2]):
        if level != API_VERSION:
            continue
        client_id = levels[index + 1]
        parsed = parse_suffix("/".join(levels[index + 2 :]))
        if parsed is None or not client_id:
            continue
        try:
            validate_client_id(client_id)
        except FlexApiValueError:
            continue
        prefix = "/".join(levels[:index])
        return (prefix + "/" if prefix else ""), client_id, parsed
    return None
