"""History candles drawn as a few QPainterPaths built with numpy for the visible range only.

The item draws closed candles [0, count) of a CandleSeries. Paths are built for the visible
range plus one view width either side, so small pan steps only repaint. When more than about
3 bars fall on one pixel, bars are merged in groups of ``k`` (a power of two, aligned to
multiples of ``k`` so groups do not shift while panning), keeping each group's first open,
highest high, lowest low and last close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import theme

MERGE_ABOVE_BARS_PER_PIXEL = 3.0
BODY_WIDTH = 0.8
_MIN_BODY_PIXELS = 2.0


@dataclass(frozen=True, slots=True)
class VisibleBars:
    """Bars as drawn: x centre, width and OHLC of each (merged) bar."""

    x: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    group: int  # bars per drawn bar (1 = not merged)
    lo: int  # first series index covered
    hi: int  # one past the last series index covered


def group_size(bars_per_pixel: float) -> int:
    """Bars merged into one drawn bar: 1, or the power of two at or above bars_per_pixel."""
    if bars_per_pixel <= MERGE_ABOVE_BARS_PER_PIXEL:
        return 1
    return 1 << math.ceil(math.log2(bars_per_pixel))


def merge_bars(series: CandleSeries, lo: int, hi: int, k: int) -> VisibleBars:
    """Bars [lo, hi) of ``series`` merged in groups of ``k`` aligned to multiples of ``k``."""
    lo = (lo // k) * k
    o, h, low, c = series.open[lo:hi], series.high[lo:hi], series.low[lo:hi], series.close[lo:hi]
    if k == 1 or hi <= lo:
        x = np.arange(lo, max(hi, lo), dtype=np.float64)
        return VisibleBars(x, o, h, low, c, 1, lo, max(hi, lo))
    firsts = np.arange(0, hi - lo, k)
    lasts = np.minimum(firsts + k, hi - lo) - 1
    x = lo + (firsts + lasts) / 2.0
    return VisibleBars(
        x,
        o[firsts],
        np.maximum.reduceat(h, firsts),
        np.minimum.reduceat(low, firsts),
        c[lasts],
        k,
        lo,
        hi,
    )


def segment_path(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> QtGui.QPainterPath:
    """Vertical segments from ``low`` to ``high`` at each ``x``, as one path."""
    xs = np.repeat(x, 2)
    ys = np.empty(xs.shape[0])
    ys[0::2] = low
    ys[1::2] = high
    return pg.functions.arrayToQPath(xs, ys, connect="pairs", finiteCheck=False)


def rect_path(
    x: np.ndarray, top: np.ndarray, bottom: np.ndarray, half: float
) -> QtGui.QPainterPath:
    """Rectangles ``2 * half`` wide centred on each ``x``, as one path of closed polygons."""
    n = x.shape[0]
    if n == 0:
        return QtGui.QPainterPath()
    left, right = x - half, x + half
    xs = np.column_stack((left, right, right, left, left)).ravel()
    ys = np.column_stack((bottom, bottom, top, top, bottom)).ravel()
    connect = np.ones((n, 5), dtype=np.int32)
    connect[:, 4] = 0  # the last vertex of a rectangle does not connect to the next one
    return pg.functions.arrayToQPath(xs, ys, connect=connect.ravel(), finiteCheck=False)


class CandleItem(pg.GraphicsObject):
    """Closed candles of one series; rebuilds its paths only when the view needs new ones."""

    def __init__(self) -> None:
        super().__init__()
        self._series: CandleSeries | None = None
        self._count = 0
        self._ymin = 0.0
        self._ymax = 0.0
        self._built: VisibleBars | None = None
        self._paths: tuple[QtGui.QPainterPath, ...] = ()
        self._draw_bodies = True
        self.path_builds = 0
        self._up_pen = pg.mkPen(theme.UP, width=0)
        self._down_pen = pg.mkPen(theme.DOWN, width=0)
        self._up_brush = pg.mkBrush(theme.UP)
        self._down_brush = pg.mkBrush(theme.DOWN)

    @property
    def count(self) -> int:
        return self._count

    @property
    def built(self) -> VisibleBars | None:
        """The bars behind the current paths (for inspection and tests)."""
        return self._built

    def set_series(self, series: CandleSeries | None, count: int) -> None:
        """Draw candles [0, count) of ``series``; O(count) once (the overall y bounds)."""
        self.prepareGeometryChange()
        self._series = series
        self._count = count if series is not None else 0
        if self._count:
            self._ymin = float(series.low[: self._count].min())
            self._ymax = float(series.high[: self._count].max())
        else:
            self._ymin = self._ymax = 0.0
        self._invalidate()

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
        built = self._built
        if built is not None and built.hi >= old:
            self._invalidate()
        else:
            self.update()

    def _invalidate(self) -> None:
        self._built = None
        self._paths = ()
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        if not self._count:
            return QtCore.QRectF()
        height = max(self._ymax - self._ymin, abs(self._ymax) * 1e-9, 1e-12)
        return QtCore.QRectF(-1.0, self._ymin, self._count + 1.0, height)

    def needed_range(self, x0: float, x1: float) -> tuple[int, int]:
        """Series indices [lo, hi) of closed candles touched by the view range [x0, x1]."""
        lo = max(0, math.floor(x0))
        hi = min(self._count, math.ceil(x1) + 1)
        return lo, max(lo, hi)

    def ensure_paths(self, x0: float, x1: float, bars_per_pixel: float) -> None:
        """Build the paths if the view [x0, x1] is not covered by the ones already built."""
        if self._series is None or not self._count:
            return
        k = group_size(bars_per_pixel)
        lo, hi = self.needed_range(x0, x1)
        built = self._built
        if built is not None and built.group == k and built.lo <= lo and hi <= built.hi:
            return
        width = max(hi - lo, 1)
        self._build(max(0, lo - width), min(self._count, hi + width), k, bars_per_pixel)

    def _build(self, lo: int, hi: int, k: int, bars_per_pixel: float) -> None:
        bars = merge_bars(self._series, lo, hi, k)
        up = bars.close >= bars.open
        down = ~up
        half = BODY_WIDTH * k / 2.0
        self._draw_bodies = BODY_WIDTH * k / max(bars_per_pixel, 1e-12) >= _MIN_BODY_PIXELS
        paths = [
            segment_path(bars.x[up], bars.low[up], bars.high[up]),
            segment_path(bars.x[down], bars.low[down], bars.high[down]),
        ]
        if self._draw_bodies:
            top = np.maximum(bars.open, bars.close)
            bottom = np.minimum(bars.open, bars.close)
            paths.append(rect_path(bars.x[up], top[up], bottom[up], half))
            paths.append(rect_path(bars.x[down], top[down], bottom[down], half))
        self._paths = tuple(paths)
        self._built = bars
        self.path_builds += 1

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view = self.getViewBox()
        if view is None or not self._count:
            return
        (x0, x1), _ = view.viewRange()
        self.ensure_paths(x0, x1, view.viewPixelSize()[0])
        if not self._paths:
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setPen(self._up_pen)
        painter.drawPath(self._paths[0])
        painter.setPen(self._down_pen)
        painter.drawPath(self._paths[1])
        if self._draw_bodies:
            painter.setPen(self._up_pen)
            painter.setBrush(self._up_brush)
            painter.drawPath(self._paths[2])
            painter.setPen(self._down_pen)
            painter.setBrush(self._down_brush)
            painter.drawPath(self._paths[3])
