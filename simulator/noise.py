"""Small random-process helpers shared by the physical models."""

from __future__ import annotations

import math
import random


def clamp(value: float, low: float, high: float) -> float:
    """Limit ``value`` to ``[low, high]``."""
    return max(low, min(high, value))


def drift(
    value: float,
    rng: random.Random,
    *,
    mean: float,
    sigma: float,
    dt: float,
    tau: float,
    low: float,
    high: float,
) -> float:
    """Advance a mean reverting random walk (Ornstein-Uhlenbeck) by ``dt`` s.

    ``tau`` is the reversion time constant; ``sigma`` the noise per sqrt(second).
    """
    pull = (mean - value) * min(1.0, dt / tau)
    kick = rng.gauss(0.0, sigma * math.sqrt(dt))
    return clamp(value + pull + kick, low, high)


def chance(rng: random.Random, mean_interval_s: float, dt: float) -> bool:
    """Return True with the probability of a Poisson event within ``dt``."""
    if mean_interval_s <= 0:
        return False
    return rng.random() < 1.0 - math.exp(-dt / mean_interval_s)
