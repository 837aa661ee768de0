"""History candles, drawn from numpy for the visible range only (see visible_item).

Merged bars keep each group's first open, highest high, lowest low and last close.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import theme
from qfdesk.ui.chart.visible_item import Rects, Segments, VisibleRangeItem, group_bounds

BODY_WIDTH = 0.8
MIN_BODY_PIXELS = 2.0


@dataclass(frozen=True, slots=True)
class VisibleBars:
    """Bars as drawn: x centre and OHLC of each (merged) bar."""

    x: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    group: int  # bars per drawn bar (1 = not merged)
    lo: int  # first series index covered
    hi: int  # one past the last series index covered


def merge_bars(series: CandleSeries, lo: int, hi: int, k: int) -> VisibleBars:
    """Bars [lo, hi) of ``series`` (``lo`` a multiple of ``k``) merged in groups of ``k``."""
    o, h, low, c = series.open[lo:hi], series.high[lo:hi], series.low[lo:hi], series.close[lo:hi]
    if k == 1 or hi <= lo:
        x = np.arange(lo, max(hi, lo), dtype=np.float64)
        return VisibleBars(x, o, h, low, c, 1, lo, max(hi, lo))
    firsts, lasts, x = group_bounds(lo, hi, k)
    high = np.maximum.reduceat(h, firsts)
    return VisibleBars(x, o[firsts], high, np.minimum.reduceat(low, firsts), c[lasts], k, lo, hi)


class CandleItem(VisibleRangeItem):
    """Closed candles [0, count) of one series."""

    def __init__(self) -> None:
        super().__init__()
        self._series: CandleSeries | None = None
        self._count = 0
        self._ymin = 0.0
        self._ymax = 0.0
        self._bodies = False
        self.wicks = (Segments(), Segments())  # up, down
        self.bodies = (Rects(), Rects())  # up, down
        self._pens = (pg.mkPen(theme.UP, width=0), pg.mkPen(theme.DOWN, width=0))
        self._brushes = (pg.mkBrush(theme.UP), pg.mkBrush(theme.DOWN))

    @property
    def count(self) -> int:
        return self._count

    @property
    def built(self) -> VisibleBars | None:
        """The bars behind the current drawing (for inspection and tests)."""
        if self.built_range is None:
            return None
        lo, hi, k = self.built_range
        x, open_, high, low, close = self._columns
        return VisibleBars(x, open_, high, low, close, k, lo, hi)

    @property
    def bodies_drawn(self) -> bool:
        return self._bodies

    def length(self) -> int:
        return self._count

    def set_series(self, series: CandleSeries | None, count: int) -> None:
        """Draw candles [0, count) of ``series``; O(count) once (the overall y bounds)."""
        self.prepareGeometryChange()
        self._series = series
        self._count = count if series is not None else 0
        if series is not None and self._count:
            self._ymin = float(series.low[: self._count].min())
            self._ymax = float(series.high[: self._count].max())
        else:
            self._ymin = self._ymax = 0.0
        self.invalidate()

    def set_count(self, count: int) -> None:
        """More candles closed: extend the bounds with the new ones only."""
        series = self._series
        if series is None or count == self._count:
            return
        if count < self._count:
            self.set_series(series, count)
            return
        old = self._count
        self.prepareGeometryChange()
        new_low = float(series.low[old:count].min())
        new_high = float(series.high[old:count].max())
        self._ymin = new_low if old == 0 else min(self._ymin, new_low)
        self._ymax = new_high if old == 0 else max(self._ymax, new_high)
        self._count = count
        self.grown(old)

    def boundingRect(self) -> QtCore.QRectF:
        if not self._count:
            return QtCore.QRectF()
        height = max(self._ymax - self._ymin, abs(self._ymax) * 1e-9, 1e-12)
        return QtCore.QRectF(-1.0, self._ymin, self._count + 1.0, height)

    def detailed(self, k: int, bars_per_pixel: float) -> bool:
        return BODY_WIDTH * k / max(bars_per_pixel, 1e-12) >= MIN_BODY_PIXELS

    def merge(self, lo: int, hi: int, k: int) -> tuple[np.ndarray, ...]:
        if self._series is None:  # no series set: no bars
            return (np.empty(0),) * 5
        bars = merge_bars(self._series, lo, hi, k)
        return bars.x, bars.open, bars.high, bars.low, bars.close

    def fill(self, columns: tuple[np.ndarray, ...], k: int, detailed: bool) -> None:
        x, open_, high, low, close = columns
        up = close >= open_
        self._bodies = detailed
        top = np.maximum(open_, close)
        bottom = np.minimum(open_, close)
        for side, mask in enumerate((up, ~up)):
            self.wicks[side].set(x[mask], low[mask], high[mask])
            if detailed:
                self.bodies[side].set(x[mask], top[mask], bottom[mask], BODY_WIDTH * k / 2)

    def draw(self, painter: QtGui.QPainter) -> None:
        for side in (0, 1):
            painter.setPen(self._pens[side])
            self.wicks[side].draw(painter)
            if self._bodies:
                painter.setBrush(self._brushes[side])
                self.bodies[side].draw(painter)
