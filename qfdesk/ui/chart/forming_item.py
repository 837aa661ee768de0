"""The forming (not yet closed) candle: one small item updated in O(1) per tick."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.ui.chart import theme
from qfdesk.ui.chart.candle_item import BODY_WIDTH


class FormingCandleItem(pg.GraphicsObject):
    """Draws a single candle at bar index ``x``; never looks at history."""

    def __init__(self) -> None:
        super().__init__()
        self._bar: tuple[float, float, float, float, float] | None = None
        self._up_pen = pg.mkPen(theme.UP, width=0)
        self._down_pen = pg.mkPen(theme.DOWN, width=0)
        self._up_brush = pg.mkBrush(theme.UP)
        self._down_brush = pg.mkBrush(theme.DOWN)
        self.updates = 0

    @property
    def bar(self) -> tuple[float, float, float, float, float] | None:
        """(x, open, high, low, close) as drawn, or None when hidden."""
        return self._bar

    def set_bar(self, x: float, open_: float, high: float, low: float, close: float) -> None:
        bar = (x, open_, high, low, close)
        if bar == self._bar:
            return
        self.prepareGeometryChange()
        self._bar = bar
        self.updates += 1
        self.update()

    def clear(self) -> None:
        if self._bar is not None:
            self.prepareGeometryChange()
            self._bar = None
            self.update()

    def boundingRect(self) -> QtCore.QRectF:
        bar = self._bar
        if bar is None or not all(math.isfinite(v) for v in bar):
            return QtCore.QRectF()
        x, _, high, low, _ = bar
        pad = max((high - low) * 0.02, abs(high) * 1e-6, 1e-9)
        return QtCore.QRectF(x - 0.5, low - pad, 1.0, high - low + 2 * pad)

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        bar = self._bar
        if bar is None:
            return
        x, open_, high, low, close = bar
        up = close >= open_
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._up_pen if up else self._down_pen)
        painter.drawLine(QtCore.QPointF(x, low), QtCore.QPointF(x, high))
        painter.setBrush(self._up_brush if up else self._down_brush)
        half = BODY_WIDTH / 2.0
        painter.drawRect(QtCore.QRectF(x - half, min(open_, close), 2 * half, abs(close - open_)))
