"""FlexAPI device simulator: InHand VG710 gateways speaking FlexAPI over MQTT.

Behaves as the FlexAPI Reference (rev 1.0.8, plus rev 1.0.9 additions) describes.
``Device`` holds the protocol logic and needs no broker; ``Simulator`` runs a
fleet of devices over one paho-mqtt connection.
"""

from .device import Device, RateLimiter
from .mqtt import Simulator, SimulatorConfig
from .protocol import ErrorCode, Message

__all__ = [
    "Device",
    "ErrorCode",
    "Message",
    "RateLimiter",
    "Simulator",
    "SimulatorConfig",
]
