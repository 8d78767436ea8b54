"""FlexAPI limits (§2.3 of the reference)."""

from typing import Final

#: Minimum spacing of settings, refresh and get requests, in seconds.
MIN_REQUEST_SPACING: Final = 1.0
#: Minimum spacing of io control requests, in seconds.
MIN_IO_CONTROL_SPACING: Final = 5.0
MAX_CLIENT_ID_BYTES: Final = 128
MAX_TOKEN_BYTES: Final = 256
MAX_CUSTOM_GROUPS: Final = 16
MAX_GROUP_ITEMS: Final = 256
MIN_INTERVAL: Final = 0
MAX_INTERVAL: Final = 3600
