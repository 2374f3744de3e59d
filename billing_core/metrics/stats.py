"""Median and nearest-rank percentiles over whole days. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


def median(values: Sequence[int]) -> Decimal:
    """The middle value; of an even count, the mean of the middle two (so 1, 2 -> 1.5).
    Raises ValueError on no values."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def nearest_rank(values: Sequence[int], percent: int) -> int:
    """The p-th percentile by nearest rank: the smallest value with at least p % of the
    values at or below it (the ceil(p/100 · n)-th smallest). Raises ValueError on no values."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    ordered = sorted(values)
    return ordered[math.ceil(percent * len(ordered) / 100) - 1]


@dataclass(frozen=True)
class DaysSpread:
    """Days from one event to another over `count` cases (median None when there are none)."""

    count: int
    median: Decimal | None
    p90: int | None

    @classmethod
    def of(cls, days: Sequence[int]) -> DaysSpread:
        if not days:
            return cls(0, None, None)
        return cls(len(days), median(days), nearest_rank(days, 90))
