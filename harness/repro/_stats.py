"""Rates with 95 % Wilson score intervals, and the min/median/p90/max of a sample. Pure functions.

Wilson's interval (Wilson 1927; Brown, Cai & DasGupta 2001, "Interval Estimation for a Binomial
Proportion") stays inside [0, 1] and keeps its coverage at 0/n and n/n, where the normal
approximation collapses to a zero-width interval: exactly the cases a kill-rate measurement hits
(a profile that always kills, a fix that never lets it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Z95", "Distribution", "Rate", "distribution", "quantile", "wilson"]

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile: a two-sided 95 % interval


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` out of ``n``; (0, 1) when there is no trial."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At 0/n and n/n the bound is exactly the edge; rounding must not leave it a hair inside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True, slots=True)
class Rate:
    """``hits`` out of ``n`` trials, with its 95 % Wilson interval."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.hits, self.n)

    def contains(self, p: float) -> bool:
        low, high = self.interval
        return low <= p <= high

    def text(self) -> str:
        """``12/30 = 40.0 %  [24.6 %, 57.7 %]``."""
        if not self.n:
            return "no runs with a verdict"
        low, high = self.interval
        return f"{self.hits}/{self.n} = {100 * self.hits / self.n:.1f} %  [{100 * low:.1f} %, {100 * high:.1f} %]"


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile with linear interpolation between order statistics (numpy's default, type 7)."""
    if not values:
        raise ValueError("quantile of an empty sample")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be within [0, 1], got {q}")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    below = math.floor(pos)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (pos - below)


@dataclass(frozen=True, slots=True)
class Distribution:
    count: int
    min: float
    median: float
    p90: float
    max: float


def distribution(values: Sequence[float]) -> Distribution | None:
    """min / median / p90 / max of a sample; None for an empty one."""
    if not values:
        return None
    return Distribution(len(values), min(values), quantile(values, 0.5), quantile(values, 0.9), max(values))
