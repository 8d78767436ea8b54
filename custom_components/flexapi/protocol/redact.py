"""Masking personal values in raw payload text, for log lines.

A gateway's payloads hold its modem identities (IMEI, IMSI, ICCID, phone
number), its position and the user's ``userdata.*`` values. Where a payload
is shown as text (Home Assistant's MQTT debug log repeats every payload it
receives or sends), :func:`mask_payload` replaces each such value by
``"**REDACTED**"``. It works on the text, not on parsed JSON: a truncated or
malformed payload is masked as well as a valid one.

A value stays visible only under a key the catalog knows and does not mark
personal, or under the envelope keys ``client_token`` and ``error``; unknown
keys are masked (an alias set by another tool may hide an IMEI), and so is
anything shaped like a JWT.
"""

from __future__ import annotations

from functools import lru_cache
import re
from typing import Final

from .catalog import CATALOG, canonical_key, lookup
from .messages import USERDATA_PREFIX

MASK: Final = '"**REDACTED**"'
#: Catalog keys whose values identify the device, its user or its place,
#: and the MAC addresses.
SENSITIVE_KEYS: Final = frozenset(
    {key for key, param in CATALOG.items() if param.sensitive}
    | {"sysinfo.lan_mac", "sysinfo.wlan_mac", "sysinfo.wlan_5g_mac"}
)
#: Keys of the request/response envelope that are safe to show.
ENVELOPE_KEYS: Final = frozenset({"client_token", "error"})
#: ``"key": value`` with a scalar value (a string, number, literal).
_PAIR: Final = re.compile(
    r'"((?:[^"\\]|\\.){1,256})"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^\s,{}\[\]"]+)'
)
#: Three base64url parts, the first two JSON objects.
_JWT: Final = re.compile(r"eyJ[\w-]{2,}\.eyJ[\w-]{2,}\.[\w-]+")


@lru_cache(maxsize=2048)
def is_harmless(key: str) -> bool:
    """Whether the value under ``key`` may be shown."""
    if key in ENVELOPE_KEYS:
        return True
    canonical = canonical_key(key)[0]
    if canonical in SENSITIVE_KEYS or canonical.startswith(USERDATA_PREFIX):
        return False
    param = lookup(canonical)
    return param is not None and not param.sensitive


def _mask_pair(match: re.Match[str]) -> str:
    if is_harmless(match[1]):
        return match[0]
    return f'"{match[1]}"{match[2]}{MASK}'


def mask_payload(text: str) -> str:
    """``text`` with every value that is not plainly harmless masked."""
    return _JWT.sub("eyJ…(redacted)", _PAIR.sub(_mask_pair, text))
