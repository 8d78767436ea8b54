"""What HA's MQTT client spends matching one message against a fleet's filters.

Run from the repository root::

    .venv/bin/python benchmarks/wildcards.py

Every FlexAPI entry subscribes two wildcard filters (``v1/<id>/+/info`` and
``v1/<id>/+/+/resp``). HA's MQTT client tries the matcher of every wildcard
subscription on every incoming message, so matching costs grow with the
fleet. This times exactly those matchers (HA's own ``_matcher_for_topic``)
for one upload topic.
"""

from __future__ import annotations

import sys
import timeit

from homeassistant.components.mqtt.client import _matcher_for_topic


def per_message(count: int, repeat: int = 200) -> float:
    """Seconds to match one upload topic against ``count`` gateways' filters."""
    matchers = [
        _matcher_for_topic(f"v1/FLEET-{n}/{tail}")
        for n in range(1, count + 1)
        for tail in ("+/info", "+/+/resp")
    ]
    topic = f"v1/FLEET-{count // 2 + 1}/summary/info"

    def run() -> list[object]:
        return [matcher for matcher in matchers if matcher(topic)]

    assert len(run()) == 1
    return min(timeit.repeat(run, number=repeat, repeat=3)) / repeat


def main() -> int:
    """Print the matching cost per message for 10, 100 and 500 gateways."""
    for count in (10, 100, 500):
        print(f"{count:>4} gateways: {per_message(count) * 1e6:8.1f} µs per message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
