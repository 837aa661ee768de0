"""The last price line: a dashed line across the price pane at the newest price, with its
value in a box at the price axis, green when the forming candle is up and red when down."""

from __future__ import annotations

import pyqtgraph as pg

from qfdesk.ui.chart import theme


class LastPriceLine:
    def __init__(self, plot: pg.PlotItem) -> None:
        self.line = pg.InfiniteLine(angle=0, movable=False)
        self.line.setZValue(40)
        self.label = pg.InfLineLabel(
            self.line, text="", position=1.0, anchors=[(1, 0.5), (1, 0.5)], color=theme.BACKGROUND
        )
        plot.addItem(self.line, ignoreBounds=True)
        self.price: float | None = None
        self.up = True
        self._shown: tuple[float, bool, int] | None = None
        self.line.hide()

    def set(self, price: float | None, up: bool, decimals: int) -> None:
        if price is None:
            self.price, self._shown = None, None
            self.line.hide()
            return
        if (price, up, decimals) == self._shown:
            return
        self.price, self.up, self._shown = price, up, (price, up, decimals)
        color = theme.UP if up else theme.DOWN
        self.line.setPen(pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.line.setPos(price)
        self.label.fill = pg.mkBrush(color)
        self.label.update()
        self.label.setText(f"{price:.{decimals}f}")
        self.line.show()
