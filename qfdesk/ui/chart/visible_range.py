"""Cached min/max of the visible closed candles, so a tick on the forming one costs O(1)."""

from __future__ import annotations

import math

from qfdesk.engine.series import CandleSeries


class VisibleExtremes:
    """Lowest low and highest high of closed candles [lo, hi), recomputed only on change."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int] | None = None
        self._value = (math.inf, -math.inf)
        self.computations = 0

    def reset(self) -> None:
        self._key = None

    def closed_extremes(
        self, series: CandleSeries, lo: int, hi: int, closed: int
    ) -> tuple[float, float]:
        key = (lo, hi, closed)
        if key != self._key:
            self._key = key
            self.computations += 1
            if hi > lo:
                self._value = (float(series.low[lo:hi].min()), float(series.high[lo:hi].max()))
            else:
                self._value = (math.inf, -math.inf)
        return self._value
