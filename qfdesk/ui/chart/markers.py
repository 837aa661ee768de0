"""Trade and signal markers: one scatter item for every marker, one line item per result.

Markers are kept in platform time and placed on the bar-index axis whenever the series
changes, so they survive a timeframe switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from qfdesk.engine.events import Direction
from qfdesk.ui.chart import theme
from qfdesk.ui.chart.bar_index import time_to_x

MARKER_SIZE = 16


def _arrow(up: bool) -> QtGui.QPainterPath:
    """A solid arrow in the unit box, pointing up or down (symbol y grows downwards)."""
    points = [(0, 0.5), (0.5, 0), (0.18, 0), (0.18, -0.5), (-0.18, -0.5), (-0.18, 0), (-0.5, 0)]
    path = QtGui.QPainterPath()
    path.addPolygon(QtGui.QPolygonF([QtCore.QPointF(x, -y if up else y) for x, y in points]))
    path.closeSubpath()
    return path


ARROW_UP = _arrow(up=True)
ARROW_DOWN = _arrow(up=False)


class TradeResult(str, Enum):
    PENDING = "pending"
    WON = "won"
    LOST = "lost"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class TradeMarker:
    """A trade: arrow at (entry_time, entry_price), a line at that price to expiry_time."""

    id: str
    entry_time: float  # platform epoch seconds
    entry_price: float
    expiry_time: float  # platform epoch seconds
    direction: Direction
    result: TradeResult = TradeResult.PENDING
    paper: bool = False


@dataclass(frozen=True, slots=True)
class SignalMarker:
    """A strategy signal at a time and price."""

    time: float  # platform epoch seconds
    price: float
    direction: Direction


class MarkerLayer:
    """Owns the scatter and line items of all markers in one plot."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.scatter = pg.ScatterPlotItem(pxMode=True, size=MARKER_SIZE, antialias=False)
        self.scatter.setZValue(50)
        plot.addItem(self.scatter, ignoreBounds=True)
        self.lines: dict[TradeResult, pg.PlotCurveItem] = {}
        for result in TradeResult:
            line = pg.PlotCurveItem(pen=pg.mkPen(theme.RESULT_COLORS[result.value], width=2))
            line.setZValue(49)
            plot.addItem(line, ignoreBounds=True)
            self.lines[result] = line
        self._trades: dict[str, TradeMarker] = {}
        self._signals: list[SignalMarker] = []
        self._starts = np.empty(0, dtype=np.int64)
        self._timeframe = 60

    @property
    def trades(self) -> list[TradeMarker]:
        return list(self._trades.values())

    @property
    def signals(self) -> list[SignalMarker]:
        return list(self._signals)

    def set_time_source(self, starts: np.ndarray, timeframe: int) -> None:
        self._starts = starts
        self._timeframe = timeframe
        self.refresh()

    def set_trades(self, trades: list[TradeMarker]) -> None:
        self._trades = {t.id: t for t in trades}
        self.refresh()

    def upsert_trade(self, trade: TradeMarker) -> None:
        self._trades[trade.id] = trade
        self.refresh()

    def remove_trade(self, trade_id: str) -> None:
        if self._trades.pop(trade_id, None) is not None:
            self.refresh()

    def set_signals(self, signals: list[SignalMarker]) -> None:
        self._signals = list(signals)
        self.refresh()

    def clear(self) -> None:
        self._trades.clear()
        self._signals.clear()
        self.refresh()

    def x_of(self, t: float) -> float:
        return time_to_x(self._starts, self._timeframe, t)

    def refresh(self) -> None:
        """Place every marker on the current bar-index axis."""
        if self._starts.shape[0] == 0:
            self.scatter.setData([])
            for line in self.lines.values():
                line.setData([], [])
            return
        spots = []
        segments: dict[TradeResult, list[tuple[float, float, float]]] = {r: [] for r in TradeResult}
        for trade in self._trades.values():
            x0 = self.x_of(trade.entry_time)
            up = trade.direction == Direction.CALL
            spots.append(
                {
                    "pos": (x0, trade.entry_price),
                    "symbol": ARROW_UP if up else ARROW_DOWN,
                    "brush": pg.mkBrush(theme.RESULT_COLORS[trade.result.value]),
                    "pen": pg.mkPen(theme.MARKER_OUTLINE, width=1),
                    "data": trade.id,
                }
            )
            segments[trade.result].append((x0, self.x_of(trade.expiry_time), trade.entry_price))
        for signal in self._signals:
            up = signal.direction == Direction.CALL
            spots.append(
                {
                    "pos": (self.x_of(signal.time), signal.price),
                    "symbol": "t1" if up else "t",
                    "brush": pg.mkBrush(theme.SIGNAL_UP if up else theme.SIGNAL_DOWN),
                    "pen": None,
                    "data": None,
                }
            )
        self.scatter.setData(spots)
        for result, segs in segments.items():
            if segs:
                arr = np.asarray(segs)
                xs = arr[:, :2].ravel()
                ys = np.repeat(arr[:, 2], 2)
                self.lines[result].setData(xs, ys, connect="pairs")
            else:
                self.lines[result].setData([], [])
