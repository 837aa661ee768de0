"""An indicator line drawn from numpy for the visible range only.

Merged groups draw their smallest and largest value, so spikes survive zooming out.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from qfdesk.ui.chart.visible_item import ValuesItem


class LineItem(ValuesItem):
    """A polyline through (i, values[i]); NaN values (warm-up) leave a gap."""

    def __init__(self, pen: QtGui.QPen) -> None:
        super().__init__()
        self._pen = pen
        self._polyline = QtGui.QPolygonF()
        self._gapped: QtGui.QPainterPath | None = None
        self.drawn_x = np.empty(0)
        self.drawn_y = np.empty(0)

    def fill(self, columns: tuple[np.ndarray, ...], k: int, detailed: bool) -> None:
        centres, low, high = columns
        if k == 1:
            x, y = centres, low
        else:
            x = np.repeat(centres, 2)
            y = np.empty(x.shape[0])
            y[0::2] = low
            y[1::2] = high
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
