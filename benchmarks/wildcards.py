"""What HA's MQTT client spends matching one message against a fleet's filters.

Run from the repository root::

    .venv/bin/python benchmarks/wildcards.py

Up to 0.1.0 every FlexAPI entry subscribed its own wildcard filters
(``v1/<id>/+/info``, ``v1/<id>/+/+/resp``). HA's MQTT client tries the
matcher of every wildcard subscription on a message whose topic is not in
its match cache (``MQTT._matching_subscriptions`` is an unbounded
``lru_cache`` that every subscribe and unsubscribe clears), so that cost
grew with the fleet. The entries of one prefix now share three filters
(``v1/+/+/info``, ``v1/+/+/+/resp``, ``v1/+/event/notice``) and a dict
dispatches by client_id. This times both with HA's own
``_matcher_for_topic`` for one upload topic.
"""

from __future__ import annotations

import sys
import timeit

from homeassistant.components.mqtt.client import _matcher_for_topic


def per_message(count: int, repeat: int = 200, *, shared: bool = False) -> float:
    """Seconds to match one upload topic against ``count`` gateways' filters."""
    if shared:
        filters = ["v1/+/+/info", "v1/+/+/+/resp", "v1/+/event/notice"]
    else:
        filters = [
            f"v1/FLEET-{n}/{tail}"
            for n in range(1, count + 1)
            for tail in ("+/info", "+/+/resp")
        ]
    matchers = [_matcher_for_topic(topic) for topic in filters]
    topic = f"v1/FLEET-{count // 2 + 1}/summary/info"

    def run() -> list[object]:
        return [matcher for matcher in matchers if matcher(topic)]

    assert len(run()) == 1
    return min(timeit.repeat(run, number=repeat, repeat=3)) / repeat


def main() -> int:
    """Print the matching cost per message for 10, 100 and 500 gateways."""
    print("gateways  filters per entry (before)  shared per prefix (now)")
    for count in (10, 100, 500):
        print(
            f"{count:>8}  {per_message(count) * 1e6:21.1f} µs"
            f"  {per_message(count, shared=True) * 1e6:20.1f} µs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
