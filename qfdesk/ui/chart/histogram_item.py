"""A histogram (e.g. the MACD histogram) drawn from numpy for the visible range only.

Merged groups keep their largest and smallest value (see visible_item).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from qfdesk.ui.chart import theme
from qfdesk.ui.chart.visible_item import Rects, Segments, ValuesItem

BAR_WIDTH = 0.6
MIN_BAR_PIXELS = 2.0


class HistogramItem(ValuesItem):
    """Bars from 0 to ``values[i]`` at x = i; positive up-coloured, negative down-coloured."""

    include_zero = True

    def __init__(self) -> None:
        super().__init__()
        self._rects = False
        self.segments = (Segments(), Segments())  # positive, negative
        self.rects = (Rects(), Rects())
        self._pens = (pg.mkPen(theme.UP, width=0), pg.mkPen(theme.DOWN, width=0))
        self._brushes = (pg.mkBrush(theme.UP), pg.mkBrush(theme.DOWN))

    def detailed(self, k: int, bars_per_pixel: float) -> bool:
        return BAR_WIDTH * k / max(bars_per_pixel, 1e-12) >= MIN_BAR_PIXELS

    def fill(self, columns: tuple[np.ndarray, ...], k: int, detailed: bool) -> None:
        x, bottom, top = columns
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
