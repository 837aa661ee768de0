"""Mapping between bar index (the chart's x) and platform time.

The chart's x axis is the bar index so gaps in trading leave no holes. Times outside the
series are extrapolated by the timeframe.
"""

from __future__ import annotations

import numpy as np


def index_to_time(starts: np.ndarray, timeframe: int, index: int) -> int:
    """Platform start time of bar ``index``, extrapolated beyond either end of ``starts``."""
    n: int = starts.shape[0]
    if n == 0:
        return 0
    if index < 0:
        return int(starts[0]) + index * timeframe
    if index >= n:
        return int(starts[n - 1]) + (index - n + 1) * timeframe
    return int(starts[index])


def time_to_x(starts: np.ndarray, timeframe: int, t: float) -> float:
    """Fractional bar index of platform time ``t`` (a time inside bar i maps into [i, i+1))."""
    n: int = starts.shape[0]
    if n == 0:
        return 0.0
    if t < starts[0]:
        return (t - float(starts[0])) / timeframe
    i = int(np.searchsorted(starts, t, side="right")) - 1
    frac = (t - float(starts[i])) / timeframe
    if i < n - 1:
        frac = min(frac, 1.0)
    return i + frac


def x_to_time(starts: np.ndarray, timeframe: int, x: float) -> float:
    """Platform time at fractional bar index ``x`` (the inverse of :func:`time_to_x` inside
    the series; extrapolated by the timeframe beyond it)."""
    n: int = starts.shape[0]
    if n == 0:
        return 0.0
    if x < 0:
        return float(starts[0]) + x * timeframe
    i = min(int(x), n - 1)
    return float(starts[i]) + (x - i) * timeframe
