"""Constants of the FlexAPI integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "flexapi"

CONF_CLIENT_ID: Final = "client_id"
CONF_PREFIX: Final = "prefix"

CONF_GNSS_SPEED_UNIT: Final = "gnss_speed_unit"
CONF_STALE_MULTIPLIER: Final = "stale_multiplier"
#: Option values (translation keys) -> the unit they select.
SPEED_KMH: Final = "kmh"
SPEED_KNOTS: Final = "knots"
SPEED_UNITS: Final = {SPEED_KMH: "km/h", SPEED_KNOTS: "kn"}
DEFAULT_STALE_MULTIPLIER: Final = 3.0
#: Seconds the ignition is off (or the vehicle stands) before a trip ends.
CONF_TRIP_END_DELAY: Final = "trip_end_delay"
#: Metres a trip must reach to be reported.
CONF_TRIP_MIN_DISTANCE: Final = "trip_min_distance"

#: Seconds to wait for a response once a request is on the wire.
REQUEST_TIMEOUT: Final = 10.0
#: Seconds a request may wait for its turn in a request lane, counted from the
#: moment it is made. A request still waiting then fails with a translated
#: error and is never sent. Once on the wire, REQUEST_TIMEOUT applies.
REQUEST_QUEUE_TIMEOUT: Final = 60.0
#: Most requests one lane holds waiting (merged callers share a place; retries
#: of requests already sent do not count). A lane holds no more than can go out
#: before the queue deadline at its §2.3 pace, at most this many: the
#: settings/refresh/get lane (1.1 s apart) holds 32, which drain in 35 s and
#: leave room for a 5 s resubscribe hold and retries; the io control lane
#: (5.1 s apart) holds 11 (56 s). A request beyond that could not be sent in
#: time: it fails at once instead of a minute later.
MAX_QUEUED_REQUESTS: Final = 32
#: Seconds the config flow waits for a sysinfo answer.
FLOW_REQUEST_TIMEOUT: Final = 4.0
#: Seconds the user step listens for gateways: one default upload interval
#: (10 s) plus HA's subscribe debounce.
LISTEN_SECONDS: Final = 11.0
#: Margin added to the spec's minimum spacings, for network jitter.
SPACING_MARGIN: Final = 0.1
#: Seconds a new client waits after subscribing before its first request, on
#: Home Assistant before 2025.12: its MQTT client debounces SUBSCRIBE by 0.5 s
#: (INITIAL_SUBSCRIBE_COOLDOWN) and offers no "subscribed" callback; a response
#: published before the broker knows our subscription would be lost. 0 sends
#: at once (tests with a mocked MQTT client).
SUBSCRIBE_SETTLE: Final = 1.5
#: From 2025.12 (mqtt.async_on_subscribe_done) the client waits for the
#: broker's acknowledgement instead, at most this long.
SUBSCRIBE_DONE_TIMEOUT: Final = 5.0
#: Seconds between staleness checks.
STALE_CHECK_SECONDS: Final = 5.0
#: A configured gateway heard from by nothing for this long raises a repair issue.
SILENT_ISSUE_SECONDS: Final = 24 * 3600.0
#: Seconds between checks for a silent gateway.
SILENT_CHECK_SECONDS: Final = 600.0
#: Seconds after a message that the time it was heard is written to storage
#: (at the latest; Home Assistant's final write at shutdown saves it too).
HEARD_SAVE_DELAY: Final = 3600.0
#: Times a request is retried after ``device_busy``, ``device_error`` or
#: ``data_invalid`` (§2.1.2: "retry request"), each time with a new token.
REQUEST_RETRIES: Final = 2

MANUFACTURERS: Final = {"inhand": "InHand Networks"}

# -- Bimetri applications (an entry kind of its own) ---------------------------
CONF_KIND: Final = "kind"
KIND_BIMETRI: Final = "bimetri"
CONF_APP_NAME: Final = "app_name"
CONF_INSTANCE_ID: Final = "instance_id"
CONF_BRAND: Final = "brand"
CONF_JWT: Final = "jwt"
CONF_USER_ID: Final = "user_id"
CONF_ORGANIZATION_ID: Final = "organization_id"
CONF_NOTIFICATION_TIMEOUT: Final = "notification_timeout"
#: Seconds a "sent" command waits for its notification before ``timed_out``.
DEFAULT_NOTIFICATION_TIMEOUT: Final = 30.0
#: Seconds a command waits for its commandResponse.
BIMETRI_RESPONSE_TIMEOUT: Final = 10.0
#: Days before the JWT's ``exp`` that a repair issue asks for a new one.
JWT_RENEW_DAYS: Final = 7
SUBENTRY_RESOURCE: Final = "resource"
CONF_RESOURCE_ID: Final = "resource_id"
CONF_OUTPUTS: Final = "outputs"
