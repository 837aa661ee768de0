"""An indicator line drawn from numpy for the visible range only.

Merged groups draw their smallest and largest value, so spikes survive zooming out.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.ui.chart.visible_item import VisibleRangeItem, group_bounds


class LineItem(VisibleRangeItem):
    """A polyline through (i, values[i]); NaN values (warm-up) leave a gap."""

    def __init__(self, pen: QtGui.QPen) -> None:
        super().__init__()
        self._pen = pen
        self._values = np.empty(0)
        self._low = 0.0
        self._high = 0.0
        self._polyline = QtGui.QPolygonF()
        self._gapped: QtGui.QPainterPath | None = None
        self.drawn_x = np.empty(0)
        self.drawn_y = np.empty(0)

    @property
    def values(self) -> np.ndarray:
        return self._values

    def length(self) -> int:
        return self._values.shape[0]

    def set_values(self, values: np.ndarray) -> None:
        """Show ``values`` (a view; only its new tail is scanned when it grew)."""
        old = self._values.shape[0]
        grown = values.shape[0] >= old > 0
        fresh = values[old:] if grown else values
        self.prepareGeometryChange()
        if not grown:
            self._low, self._high = np.inf, -np.inf
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
        if not n or not np.isfinite(self._low):
            return QtCore.QRectF()
        return QtCore.QRectF(-1.0, self._low, n + 1.0, max(self._high - self._low, 1e-12))

    def build(self, lo: int, hi: int, k: int, detailed: bool) -> None:
        values = self._values[lo:hi]
        if k == 1 or hi <= lo:
            x = np.arange(lo, max(lo, hi), dtype=np.float64)
            y = values
        else:
            firsts, _, centres = group_bounds(lo, hi, k)
            x = np.repeat(centres, 2)
            y = np.empty(x.shape[0])
            y[0::2] = np.fmin.reduceat(values, firsts)
            y[1::2] = np.fmax.reduceat(values, firsts)
        self.drawn_x, self.drawn_y = x, y
        if np.isfinite(y).all():
            self._gapped = None
            self._polyline = pg.functions.create_qpolygonf(x.shape[0])
            points = pg.functions.ndarray_from_qpolygonf(self._polyline)
            points[:, 0] = x
            points[:, 1] = y
        else:  # warm-up NaNs in view: a path that skips them (rare, so the slower kind)
            self._gapped = pg.functions.arrayToQPath(x, y, connect="finite")

    def draw(self, painter: QtGui.QPainter) -> None:
        painter.setPen(self._pen)
        if self._gapped is None:
            painter.drawPolyline(self._polyline)
        else:
            painter.drawPath(self._gapped)
