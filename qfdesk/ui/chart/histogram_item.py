"""A histogram (e.g. the MACD histogram) drawn as numpy-built paths for the visible range.

Like the candle item, more than ~3 bars per pixel are merged in aligned groups of ``k``,
keeping each group's largest and smallest value.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.ui.chart import theme
from qfdesk.ui.chart.candle_item import group_size, rect_path, segment_path

BAR_WIDTH = 0.6
_MIN_BAR_PIXELS = 2.0


class HistogramItem(pg.GraphicsObject):
    """Bars from 0 to ``values[i]`` at x = i; positive up-coloured, negative down-coloured."""

    def __init__(self) -> None:
        super().__init__()
        self._values = np.empty(0)
        self._low = 0.0
        self._high = 0.0
        self._built: tuple[int, int, int] | None = None
        self._paths: tuple[QtGui.QPainterPath, ...] = ()
        self._rects = False
        self.path_builds = 0
        self._up_pen = pg.mkPen(theme.UP, width=0)
        self._down_pen = pg.mkPen(theme.DOWN, width=0)
        self._up_brush = pg.mkBrush(theme.UP)
        self._down_brush = pg.mkBrush(theme.DOWN)

    def set_values(self, values: np.ndarray) -> None:
        """Show ``values`` (a view; only its new tail is scanned when it grew)."""
        old = self._values.shape[0]
        grown = values.shape[0] >= old > 0
        fresh = values[old:] if grown else values
        self.prepareGeometryChange()
        if fresh.shape[0] and not np.all(np.isnan(fresh)):
            low, high = float(np.nanmin(fresh)), float(np.nanmax(fresh))
            if grown:
                low, high = min(low, self._low), max(high, self._high)
            self._low, self._high = min(low, 0.0), max(high, 0.0)
        elif not grown:
            self._low = self._high = 0.0
        self._values = values
        built = self._built
        if not grown or (built is not None and built[1] >= old):
            self._built = None
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        n = self._values.shape[0]
        if not n:
            return QtCore.QRectF()
        height = max(self._high - self._low, 1e-12)
        return QtCore.QRectF(-1.0, self._low, n + 1.0, height)

    def _ensure_paths(self, x0: float, x1: float, bars_per_pixel: float) -> None:
        n = self._values.shape[0]
        k = group_size(bars_per_pixel)
        lo, hi = max(0, math.floor(x0)), min(n, math.ceil(x1) + 1)
        built = self._built
        if built is not None and built[2] == k and built[0] <= lo and hi <= built[1]:
            return
        width = max(hi - lo, 1)
        lo, hi = (max(0, lo - width) // k) * k, min(n, hi + width)
        values = self._values[lo:hi]
        if k == 1 or hi <= lo:
            x = np.arange(lo, hi, dtype=np.float64)
            top = bottom = values
        else:
            firsts = np.arange(0, hi - lo, k)
            lasts = np.minimum(firsts + k, hi - lo) - 1
            x = lo + (firsts + lasts) / 2.0
            top = np.fmax.reduceat(values, firsts)
            bottom = np.fmin.reduceat(values, firsts)
        up_top = np.where(top > 0, top, 0.0)
        down_bottom = np.where(bottom < 0, bottom, 0.0)
        up = np.isfinite(top) & (top > 0)
        down = np.isfinite(bottom) & (bottom < 0)
        zero = np.zeros(x.shape[0])
        self._rects = BAR_WIDTH * k / max(bars_per_pixel, 1e-12) >= _MIN_BAR_PIXELS
        if self._rects:
            half = BAR_WIDTH * k / 2.0
            self._paths = (
                rect_path(x[up], up_top[up], zero[up], half),
                rect_path(x[down], zero[down], down_bottom[down], half),
            )
        else:
            self._paths = (
                segment_path(x[up], zero[up], up_top[up]),
                segment_path(x[down], down_bottom[down], zero[down]),
            )
        self._built = (lo, hi, k)
        self.path_builds += 1

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view = self.getViewBox()
        if view is None or not self._values.shape[0]:
            return
        (x0, x1), _ = view.viewRange()
        self._ensure_paths(x0, x1, view.viewPixelSize()[0])
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        for path, pen, brush in zip(
            self._paths, (self._up_pen, self._down_pen), (self._up_brush, self._down_brush)
        ):
            painter.setPen(pen)
            painter.setBrush(brush if self._rects else QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
