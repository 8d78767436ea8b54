"""What the suite expects differently on the Home Assistant versions it runs on.

The suite runs on Home Assistant 2025.4 (``.venv``) and 2026.2 (``.venv-next``).
Where Home Assistant itself changed its output, a test branches explicitly on
``homeassistant.const.__version__`` through one of these flags; each names the
change and the release that made it (read from Home Assistant's code).
"""

from __future__ import annotations

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION

HA = AwesomeVersion(HA_VERSION)


def since(release: str) -> bool:
    """Whether the running Home Assistant is ``release`` or newer."""
    return AwesomeVersion(HA_VERSION) >= AwesomeVersion(release)


#: 2025.6: a sensor with a device class and no suggested precision gets a
#: default display precision in its registry options, and a converted value is
#: no longer rounded in the state (``1010.0`` hPa, not ``1010``).
SENSOR_DEFAULT_PRECISION = since("2025.6.0")

#: 2025.12: ``mqtt.async_on_subscribe_done`` tells when a subscription is live.
MQTT_SUBSCRIBE_DONE = since("2025.12.0")

#: The running release, e.g. ``2026.2``.
HA_RELEASE = f"{HA.major}.{HA.minor}"
#: Snapshot directory, next to the test file, of the running release: the
#: registry entries and states HA serialises differ between releases (2026.2
#: entries have ``object_id_base`` and ``suggested_object_id``; 2025.6 added
#: default display precisions).
#: Not the plugin's default ``snapshots``: syrupy's --snapshot-update would
#: delete another release's snapshots there as unused.
SNAPSHOT_DIR = f"snapshots-ha{HA_RELEASE}"
