"""A histogram (e.g. the MACD histogram) drawn from numpy for the visible range only.

Merged groups keep their largest and smallest value (see visible_item).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.ui.chart import theme
from qfdesk.ui.chart.visible_item import Rects, Segments, VisibleRangeItem, group_bounds

BAR_WIDTH = 0.6
MIN_BAR_PIXELS = 2.0


class HistogramItem(VisibleRangeItem):
    """Bars from 0 to ``values[i]`` at x = i; positive up-coloured, negative down-coloured."""

    def __init__(self) -> None:
        super().__init__()
        self._values = np.empty(0)
        self._low = 0.0
        self._high = 0.0
        self._rects = False
        self.segments = (Segments(), Segments())  # positive, negative
        self.rects = (Rects(), Rects())
        self._pens = (pg.mkPen(theme.UP, width=0), pg.mkPen(theme.DOWN, width=0))
        self._brushes = (pg.mkBrush(theme.UP), pg.mkBrush(theme.DOWN))

    def length(self) -> int:
        return self._values.shape[0]

    def set_values(self, values: np.ndarray) -> None:
        """Show ``values`` (a view; only its new tail is scanned when it grew)."""
        old = self._values.shape[0]
        grown = values.shape[0] >= old > 0
        fresh = values[old:] if grown else values
        self.prepareGeometryChange()
        if not grown:
            self._low = self._high = 0.0
        if fresh.shape[0] and not np.isnan(fresh).all():
            self._low = min(self._low, float(np.nanmin(fresh)))
            self._high = max(self._high, float(np.nanmax(fresh)))
        self._values = values
        if grown:
            self.grown(old)
        else:
            self.invalidate()

    def boundingRect(self) -> QtCore.QRectF:
        n = self._values.shape[0]
        if not n:
            return QtCore.QRectF()
        return QtCore.QRectF(-1.0, self._low, n + 1.0, max(self._high - self._low, 1e-12))

    def detailed(self, k: int, bars_per_pixel: float) -> bool:
        return BAR_WIDTH * k / max(bars_per_pixel, 1e-12) >= MIN_BAR_PIXELS

    def build(self, lo: int, hi: int, k: int, detailed: bool) -> None:
        values = self._values[lo:hi]
        if k == 1 or hi <= lo:
            x = np.arange(lo, max(lo, hi), dtype=np.float64)
            top = bottom = values
        else:
            firsts, _, x = group_bounds(lo, hi, k)
            top = np.fmax.reduceat(values, firsts)
            bottom = np.fmin.reduceat(values, firsts)
        zero = np.zeros(x.shape[0])
        up = top > 0
        down = bottom < 0
        self._rects = detailed
        for side, mask, y0, y1 in ((0, up, zero, top), (1, down, bottom, zero)):
            if detailed:
                self.rects[side].set(x[mask], y1[mask], y0[mask], BAR_WIDTH * k / 2)
            else:
                self.segments[side].set(x[mask], y0[mask], y1[mask])

    def draw(self, painter: QtGui.QPainter) -> None:
        for side in (0, 1):
            painter.setPen(self._pens[side])
            if self._rects:
                painter.setBrush(self._brushes[side])
                self.rects[side].draw(painter)
            else:
                self.segments[side].draw(painter)
